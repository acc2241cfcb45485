# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"API keys of the external systems (IVR, web forms) calling the GRU."
import hashlib
import json
import logging
import secrets
import urllib.parse
from functools import wraps

from werkzeug.exceptions import (
    HTTPException, InternalServerError, MethodNotAllowed, NotFound,
    RequestEntityTooLarge)

from trytond import backend, config
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.protocols.wrappers import HTTPStatus, Response
from trytond.transaction import Transaction, TransactionError
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import ApiInputError

KEY_PREFIX = 'gru_'
# the languages of the answers of the API (fr by default)
LANGUAGES = ['fr', 'en']
# query arguments refused as keys sent in the URL
KEY_ARGUMENTS = {'api_key', 'apikey', 'key', 'x-api-key', 'x_api_key'}
# the messages when no database is there to give them, by language (the
# same texts as the messages of message.xml and their translation)
FALLBACK_MESSAGES = {
    'en': {
        HTTPStatus.NOT_FOUND: "No such database or resource.",
        HTTPStatus.METHOD_NOT_ALLOWED: "This method is not allowed here.",
        HTTPStatus.SERVICE_UNAVAILABLE:
        "The server is busy: retry in a moment.",
        HTTPStatus.INTERNAL_SERVER_ERROR:
        "An internal error occurred; it has been logged.",
        None: "The request failed (HTTP %s).",
        },
    'fr': {
        HTTPStatus.NOT_FOUND: "Base de données ou ressource inexistante.",
        HTTPStatus.METHOD_NOT_ALLOWED: "Cette méthode n'est pas permise ici.",
        HTTPStatus.SERVICE_UNAVAILABLE:
        "Le serveur est occupé : réessayez dans un instant.",
        HTTPStatus.INTERNAL_SERVER_ERROR:
        "Une erreur interne est survenue ; elle a été journalisée.",
        None: "La requête a échoué (HTTP %s).",
        },
    }
logger = logging.getLogger(__name__)


def hash_key(key):
    return hashlib.sha256(key.encode('utf-8')).hexdigest()


class ApiKey(ModelSQL, ModelView):
    "API Key"
    __string__ = "API Key"
    __name__ = 'gru.api.key'

    name = fields.Char("Consumer", required=True,
        help="The external system using the key, e.g. \"IVR\".")
    # the modules serving an endpoint add its scope in __setup__
    scopes = fields.MultiSelection([], "Scopes",
        help="The endpoints the key opens.")
    key_hash = fields.Char("Key Hash", readonly=True)
    key_hint = fields.Char("Key Hint", readonly=True,
        help="The first characters of the key, to recognise it.")
    active = fields.Boolean("Active")
    comment = fields.Text("Comment")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('key_hash_unique', Unique(t, t.key_hash),
                'gru_base.msg_api_key_hash_unique'),
            ]
        cls._buttons.update({
                'generate': {
                    'icon': 'tryton-refresh',
                    },
                })

    @staticmethod
    def default_active():
        return True

    @classmethod
    def default_scopes(cls):
        return []

    @classmethod
    def new_key(cls):
        return KEY_PREFIX + secrets.token_urlsafe(32)

    def set_key(self, key):
        self.key_hash = hash_key(key)
        self.key_hint = key[:len(KEY_PREFIX) + 4] + '…'

    @classmethod
    @ModelView.button_action('gru_base.wizard_api_key_generate')
    def generate(cls, keys):
        pass

    @classmethod
    def check(cls, key, scope):
        "Return the active API key record matching key for scope or None"
        if not key or not isinstance(key, str):
            return None
        keys = cls.search([
                ('key_hash', '=', hash_key(key.strip())),
                ('active', '=', True),
                ], limit=1)
        if keys and scope in (keys[0].scopes or ()):
            return keys[0]
        return None

    @classmethod
    def copy(cls, keys, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('key_hash', None)
        default.setdefault('key_hint', None)
        return super().copy(keys, default=default)


class ApiKeyGenerateShow(ModelView):
    "API Key Generated"
    __string__ = "API Key Generated"
    __name__ = 'gru.api.key.generate.show'

    key = fields.Char("Key", readonly=True,
        help="Copy the key now: it is stored hashed and cannot be shown "
        "again.")


class ApiKeyGenerate(Wizard):
    "Generate API Key"
    __string__ = "Generate API Key"
    __name__ = 'gru.api.key.generate'
    start = StateTransition()
    show = StateView('gru.api.key.generate.show',
        'gru_base.api_key_generate_show_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_start(self):
        return 'show'

    def default_show(self, fields):
        pool = Pool()
        ApiKey = pool.get('gru.api.key')
        key = ApiKey.new_key()
        record = self.record
        record.set_key(key)
        record.save()
        return {'key': key}


def json_response(data, status=HTTPStatus.OK):
    return Response(
        json.dumps(data, ensure_ascii=False, default=str),
        status=status, content_type='application/json')


def json_error(status, message, **extra):
    data = {'error': message}
    data.update(extra)
    return json_response(data, status=status)


def request_language(request):
    """Return the language of the answers: the 'language' argument if it
    is supported, else the best of the Accept-Language header, else fr"""
    language = request.args.get('language')
    if language in LANGUAGES:
        return language
    return request.accept_languages.best_match(LANGUAGES, default='fr')


def hide_query_key(request):
    "Keep a key sent in the query string out of the request log"
    query = urllib.parse.urlencode([
            (k, '***' if k.lower() in KEY_ARGUMENTS else v)
            for k, v in request.args.items(multi=True)], safe='*')
    # trytond logs each request with its url (a cached property)
    request.__dict__['url'] = request.base_url + (
        '?' + query if query else '')


def check_text(values, name='body'):
    """Return the name of the first value of values that cannot be stored:
    a string with a NUL character or an unpaired surrogate; the keys of a
    mapping name its values, lists and mappings are walked; a bad key is
    named after its mapping. Return None when every string is storable."""
    stack = [(name, values)]
    while stack:
        name, value = stack.pop()
        if isinstance(value, str):
            if '\x00' in value:
                return name
            try:
                value.encode('utf-8')
            except UnicodeEncodeError:
                return name
        elif isinstance(value, dict):
            # the keys are checked first: a bad key is never a name
            stack.extend((k, v) for k, v in value.items())
            stack.extend((name, k) for k in value)
        elif isinstance(value, (list, tuple)):
            stack.extend((name, v) for v in value)
    return None


def read_json(request):
    """Return the JSON body of request, raise ApiInputError when it is not
    a UTF-8 JSON text with storable strings"""
    if request.mimetype != 'application/json':
        raise ApiInputError(
            gettext('gru_base.msg_api_content_type'),
            status=HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
    # raises RequestEntityTooLarge above [request] max_size
    data = request.get_data(cache=True)
    try:
        text = data.decode('utf-8')
        value = json.loads(text or 'null')
    except (ValueError, RecursionError) as exception:
        # RecursionError: nested deeper than Python's recursion limit
        raise ApiInputError(gettext('gru_base.msg_api_json'),
            detail=str(exception)[:200]) from exception
    name = check_text(value)
    if name is not None:
        raise ApiInputError(
            gettext('gru_base.msg_api_text', field=name), field=name)
    return value


def _http_error(exception):
    "Return the message and status of a werkzeug HTTP exception"
    if isinstance(exception, RequestEntityTooLarge):
        return (gettext('gru_base.msg_api_too_large',
                size=config.getint('request', 'max_size')),
            exception.code)
    if isinstance(exception, MethodNotAllowed):
        return gettext('gru_base.msg_api_method'), exception.code
    if isinstance(exception, NotFound):
        return gettext('gru_base.msg_api_not_found'), exception.code
    if (isinstance(exception, InternalServerError)
            and isinstance(exception.description,
                backend.DatabaseOperationalError)):
        return gettext('gru_base.msg_api_busy'), 503
    if exception.code == 503:
        return gettext('gru_base.msg_api_busy'), 503
    if (exception.code or 500) >= 500:
        return gettext('gru_base.msg_api_internal'), 500
    return (gettext('gru_base.msg_api_http_error',
            code=exception.code, name=exception.name),
        exception.code)


def _rollback():
    "Undo what the failed call wrote: the transaction commits on return"
    transaction = Transaction()
    transaction.rollback()
    transaction.tasks.clear()


def api_key_required(scope):
    """Decorate a route (after with_pool/with_transaction) to require a valid
    API key for scope, given in the 'X-API-Key' header.

    The answers are JSON, in the language of request_language: a key in
    the query string is refused (400), a missing key is a 401, a wrong one
    a 403; the ApiInputError and UserError raised by the route are 4xx
    (the transaction is rolled back), werkzeug's HTTP errors (body too
    large...) keep their status and any other error is a 500 without
    details (logged)."""
    def decorator(func):
        @wraps(func)
        def wrapper(request, pool, *args, **kwargs):
            ApiKey = pool.get('gru.api.key')
            language = request_language(request)
            with Transaction().set_context(language=language):
                try:
                    return check_key(request, ApiKey, scope) or func(
                        request, pool, *args, **kwargs)
                except (TransactionError, backend.DatabaseOperationalError):
                    # with_transaction retries
                    raise
                except ApiInputError as exception:
                    _rollback()
                    return json_error(exception.status, exception.message,
                        **exception.extra)
                except UserError as exception:
                    _rollback()
                    return json_error(
                        HTTPStatus.BAD_REQUEST, exception.message)
                except HTTPException as exception:
                    _rollback()
                    message, status = _http_error(exception)
                    return json_error(status, message)
                except Exception:
                    _rollback()
                    logger.exception("%s failed", request)
                    return json_error(HTTPStatus.INTERNAL_SERVER_ERROR,
                        gettext('gru_base.msg_api_internal'))
        return wrapper
    return decorator


def check_key(request, ApiKey, scope):
    "Return the JSON error response when request has no valid key for scope"
    in_query = sorted(k for k in request.args if k.lower() in KEY_ARGUMENTS)
    if in_query:
        hide_query_key(request)
        return json_error(HTTPStatus.BAD_REQUEST,
            gettext('gru_base.msg_api_key_in_query'), field=in_query[0])
    language = request.args.get('language')
    if language is not None and language not in LANGUAGES:
        return json_error(HTTPStatus.BAD_REQUEST,
            gettext('gru_base.msg_api_language', language=language[:20]),
            field='language')
    key = request.headers.get('X-API-Key')
    if not key:
        return json_error(HTTPStatus.UNAUTHORIZED,
            gettext('gru_base.msg_api_key_missing'))
    if not ApiKey.check(key, scope):
        return json_error(HTTPStatus.FORBIDDEN,
            gettext('gru_base.msg_api_key_invalid', scope=scope))


def json_api(func):
    """Decorate a route (right after app.route, before with_pool) to answer
    in JSON the errors raised outside the transaction: unknown database
    (404), database busy after the retries (503), unexpected errors (500).
    The message is read from the database when its pool is loaded, else it
    is in English."""
    @wraps(func)
    def wrapper(request, database_name, **kwargs):
        # Not a JSON-RPC call: with_pool asks request.rpc_method whether to
        # re-raise an error, and trytond's JSON request answers it by
        # parsing a "method" key our bodies do not have, raising 400
        # "Unable to get RPC method" in place of the error. A database
        # restarting under a request was answered 400 (a client does not
        # retry) and the input lost (found by the soak test): let
        # with_pool turn the error into 500, answered 503 below.
        request.__dict__['rpc_method'] = None
        try:
            return func(request, database_name, **kwargs)
        except HTTPException as exception:
            status = exception.code or 500
            error = exception
        except backend.DatabaseOperationalError as exception:
            status, error = HTTPStatus.SERVICE_UNAVAILABLE, exception
        except Exception as exception:
            logger.exception("%s failed", request)
            status, error = HTTPStatus.INTERNAL_SERVER_ERROR, exception
        if (isinstance(error, InternalServerError)
                and isinstance(error.description,
                    backend.DatabaseOperationalError)):
            status = HTTPStatus.SERVICE_UNAVAILABLE
        return json_error(status, _outer_message(
                database_name, request_language(request), status, error))
    return wrapper


def _outer_message(database_name, language, status, error):
    if database_name in Pool.database_list():
        try:
            with Transaction().start(database_name, 0, readonly=True,
                    context={'language': language}):
                if isinstance(error, HTTPException) and status < 500:
                    return _http_error(error)[0]
                elif status == HTTPStatus.SERVICE_UNAVAILABLE:
                    return gettext('gru_base.msg_api_busy')
                return gettext('gru_base.msg_api_internal')
        except Exception:
            logger.debug("no message for %s", status, exc_info=True)
    return fallback_message(language, status)


def fallback_message(language, status):
    "Return the message of status in language (fr by default) without a pool"
    messages = FALLBACK_MESSAGES.get(language, FALLBACK_MESSAGES['fr'])
    if status in messages:
        return messages[status]
    return messages[None] % int(status)


def method_not_allowed(allowed):
    """Return a route answering the methods a route does not take, to give
    them a JSON 405 instead of werkzeug's page (route it on those methods)"""
    def route(request, database_name, **kwargs):
        response = json_error(HTTPStatus.METHOD_NOT_ALLOWED, _outer_message(
                database_name, request_language(request),
                HTTPStatus.METHOD_NOT_ALLOWED, MethodNotAllowed()))
        response.headers['Allow'] = ', '.join(sorted(allowed))
        return response
    return route
