# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"API keys of the external systems (IVR, web forms) calling the GRU."
import hashlib
import json
import secrets
from functools import wraps

from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.protocols.wrappers import HTTPStatus, Response
from trytond.wizard import Button, StateTransition, StateView, Wizard

SCOPES = [
    ('route', "Territory routing"),
    ('intake', "Request intake"),
    ]
KEY_PREFIX = 'gru_'


def hash_key(key):
    return hashlib.sha256(key.encode('utf-8')).hexdigest()


class ApiKey(ModelSQL, ModelView):
    "API Key"
    __string__ = "API Key"
    __name__ = 'gru.api.key'

    name = fields.Char("Consumer", required=True,
        help="The external system using the key, e.g. \"IVR\".")
    scopes = fields.MultiSelection(SCOPES, "Scopes",
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

    @staticmethod
    def default_scopes():
        return ['route']

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


def api_key_required(scope):
    """Decorate a route (after with_pool/with_transaction) to require a valid
    API key for scope, given as the 'X-API-Key' header or the 'api_key'
    query argument."""
    def decorator(func):
        @wraps(func)
        def wrapper(request, pool, *args, **kwargs):
            ApiKey = pool.get('gru.api.key')
            key = (request.headers.get('X-API-Key')
                or request.args.get('api_key'))
            if not key:
                return json_error(
                    HTTPStatus.UNAUTHORIZED, "missing API key",
                    hint="send it in the X-API-Key header")
            if not ApiKey.check(key, scope):
                return json_error(
                    HTTPStatus.FORBIDDEN,
                    "invalid API key or key without scope '%s'" % scope)
            return func(request, pool, *args, **kwargs)
        return wrapper
    return decorator
