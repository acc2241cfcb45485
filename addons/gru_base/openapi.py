# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The OpenAPI 3.1 description of the HTTP JSON API of the GRU.

Each module serving an endpoint contributes its paths in CONTRIBUTIONS
(keyed by module name); /<database>/gru/openapi.json describes the paths
of the modules activated in that database, /gru/openapi.json those of
every module, with the database as a server variable. The answers listed
are those the code gives: 400 (invalid input, key in the query string),
401 (no key), 403 (wrong key or scope), 404 (no such database), 413
(body or batch too large), 415 (not JSON), 500 and 503 (database busy).
The other methods of a path answer a JSON 405: they are not operations,
so they are not listed. The API has no rate limit (no 429) and answers
invalid values with a 400 (no 422)."""
import copy

from trytond.pool import Pool
from trytond.protocols.wrappers import with_pool, with_transaction
from trytond.wsgi import app

from .api import json_api, json_response, method_not_allowed

VERSION = '1.0.0'
ERROR = {'$ref': '#/components/schemas/Error'}
LANGUAGE = {
    'name': 'language', 'in': 'query', 'required': False,
    'description': "Language of the messages (default: Accept-Language, "
    "else fr); another value is a 400.",
    'schema': {'type': 'string', 'enum': ['fr', 'en']},
    }


def _error(description):
    return {'description': description,
        'content': {'application/json': {'schema': ERROR}}}


def _responses(ok, post=False):
    "Return the responses of a route answering ok (status: response)"
    responses = dict(ok)
    responses.update({
            '400': _error("Invalid input: the message names the field; "
                "an API key in the query string is refused."),
            '401': _error("No X-API-Key header."),
            '403': _error("The key is unknown, inactive or lacks the "
                "scope of the endpoint."),
            '404': _error("No such database."),
            '500': _error("Internal error (logged, without details)."),
            '503': _error("The database is busy: retry later."),
            })
    if post:
        responses['413'] = _error("The body is larger than the server "
            "accepts ([request] max_size) or holds too many items.")
        responses['415'] = _error("The body is not application/json.")
    return responses


def _query(name, description, schema=None):
    return {'name': name, 'in': 'query', 'required': False,
        'description': description, 'schema': schema or {'type': 'string'}}


STRING_OR_NULL = {'type': ['string', 'null']}
CONTRIBUTIONS = {
    'gru_territory': {
        'paths': {
            '/gru/route': {
                    'get': {
                        'operationId': 'route',
                        'summary': "The antenna serving a place",
                        'description': "Scope: route. Any other argument "
                        "is a 400.",
                        'parameters': [
                            _query('postal_code', "French postal code."),
                            _query('insee_code', "INSEE code of the "
                                "commune."),
                            _query('commune', "Name of the commune."),
                            _query('date', "Date of the routing "
                                "(YYYY-MM-DD, default today)."),
                            LANGUAGE,
                            ],
                        'responses': _responses({'200': {
                                    'description': "The antenna and how it "
                                    "was found.",
                                    'content': {'application/json': {
                                            'schema': {'type': 'object'},
                                            }},
                                    }}),
                        },
                    },
            },
        'scopes': {'route': "Territory routing (/gru/route)"},
        },
    'gru_inbox': {
        'paths': {
            '/gru/requests': {
                    'post': {
                        'operationId': 'intake',
                        'summary': "Create a request (web form, telephony)",
                        'description': "Scope: intake. A client_key "
                        "already received answers 200 with the same "
                        "reference (idempotent).",
                        'parameters': [LANGUAGE],
                        'requestBody': {'required': True, 'content': {
                                'application/json': {'schema': {
                                        '$ref': '#/components/schemas/'
                                        'Intake'}}}},
                        'responses': _responses({
                                '201': {'description': "Request created.",
                                    'content': {'application/json': {
                                            'schema': {'$ref':
                                                '#/components/schemas/'
                                                'IntakeResult'}}}},
                                '200': {'description': "The client_key was "
                                    "already received: the same request.",
                                    'content': {'application/json': {
                                            'schema': {'$ref':
                                                '#/components/schemas/'
                                                'IntakeResult'}}}},
                                }, post=True),
                        },
                    },
            },
        'schemas': {
            'Intake': {
                'type': 'object',
                'additionalProperties': False,
                'description': "A subject or a body, and an email, a "
                "phone or a name, are required (else 400).",
                'properties': {
                    'channel': {'type': ['string', 'null'],
                        'description': "web (default), other or a channel "
                        "of the modules installed"},
                    'received_at': {'type': ['string', 'null'],
                        'description': "ISO 8601, from 1900 to tomorrow"},
                    'subject': STRING_OR_NULL,
                    'body': STRING_OR_NULL,
                    'name': STRING_OR_NULL,
                    'email': STRING_OR_NULL,
                    'phone': STRING_OR_NULL,
                    'postal_code': STRING_OR_NULL,
                    'commune': {'type': ['string', 'null'],
                        'description': "INSEE code"},
                    'scheme': {'type': ['string', 'null'],
                        'description': "code of a scheme"},
                    'motive': {'type': ['string', 'null'],
                        'description': "code of a motive"},
                    'priority': {'type': ['string', 'null'],
                        'description': "0 to 3"},
                    'client_key': {'type': ['string', 'null'],
                        'description': "idempotency key, at most 100 "
                        "characters"},
                    'origin_address': STRING_OR_NULL,
                    },
                },
            'IntakeResult': {
                'type': 'object',
                'required': ['reference', 'state', 'antenna', 'created'],
                'properties': {
                    'reference': {'type': 'string'},
                    'state': {'type': 'string'},
                    'antenna': STRING_OR_NULL,
                    'created': {'type': 'boolean'},
                    },
                },
            },
        'scopes': {'intake': "Request intake (/gru/requests)"},
        },
    'gru_phone': {
        'paths': {
            '/gru/phone/decision': {
                    'get': {
                        'operationId': 'phone_decision',
                        'summary': "Where to put a call (IVR decision)",
                        'description': "Scope: phone. Any other argument "
                        "is a 400.",
                        'parameters': [
                            dict(_query('call_id', "Identifier of the "
                                    "call (required, else 400)."),
                                required=True),
                            _query('caller', "Number of the caller."),
                            _query('called', "Number called."),
                            _query('postal_code', "Postal code keyed in."),
                            _query('commune', "Name of the commune."),
                            _query('time', "ISO 8601 or epoch seconds "
                                "(default now)."),
                            LANGUAGE,
                            ],
                        'responses': _responses({'200': {
                                    'description': "The decision.",
                                    'content': {'application/json': {
                                            'schema': {'$ref':
                                                '#/components/schemas/'
                                                'Decision'}}},
                                    }}),
                        },
                    },
            '/gru/phone/events': {
                    'post': {
                        'operationId': 'phone_events',
                        'summary': "Record CTI events",
                        'description': "Scope: phone. One event or "
                        "{\"events\": [...]} (at most 5000, else 413).",
                        'parameters': [LANGUAGE],
                        'requestBody': {'required': True, 'content': {
                                'application/json': {'schema': {
                                        'oneOf': [
                                            {'$ref': '#/components/schemas/'
                                                'Event'},
                                            {'type': 'object',
                                                'required': ['events'],
                                                'additionalProperties':
                                                False,
                                                'properties': {'events': {
                                                        'type': 'array',
                                                        'items': {'$ref':
                                                            '#/components/'
                                                            'schemas/Event'},
                                                        }}},
                                            ]}}}},
                        'responses': _responses({
                                '200': {'description': "At least one event "
                                    "accepted or already known.",
                                    'content': {'application/json': {
                                            'schema': {'$ref':
                                                '#/components/schemas/'
                                                'EventsResult'}}}},
                                }, post=True),
                        },
                    },
            },
        'schemas': {
            'Decision': {
                'type': 'object',
                'required': ['call_id', 'status'],
                'properties': {
                    'call_id': {'type': 'string'},
                    'status': {'type': 'string',
                        'enum': ['route', 'callback']},
                    'antenna': {'type': ['object', 'null']},
                    'explanation': {'type': 'string'},
                    'targets': {'type': 'array'},
                    'sip_targets': {'type': 'array'},
                    'callback': {'type': ['object', 'null']},
                    'outcome': STRING_OR_NULL,
                    },
                },
            'Event': {
                'type': 'object',
                'description': "A CTI event; an invalid one is rejected "
                "alone (listed in rejected).",
                'required': ['event_id', 'event', 'call_id'],
                'properties': {
                    'event_id': {'type': 'string'},
                    'event': {'type': 'string', 'enum': ['started',
                            'offered', 'ringing', 'answered', 'transferred',
                            'missed', 'ended', 'failed']},
                    'call_id': {'type': 'string'},
                    'time': {'type': ['string', 'number']},
                    'from': STRING_OR_NULL,
                    'to': STRING_OR_NULL,
                    'target': STRING_OR_NULL,
                    'agent': STRING_OR_NULL,
                    'postal_code': STRING_OR_NULL,
                    'code': STRING_OR_NULL,
                    },
                },
            'EventsResult': {
                'type': 'object',
                'required': ['accepted', 'duplicates', 'rejected'],
                'properties': {
                    'accepted': {'type': 'integer', 'minimum': 0},
                    'duplicates': {'type': 'integer', 'minimum': 0},
                    'rejected': {'type': 'array', 'items': {
                            'type': 'object',
                            'required': ['index', 'error'],
                            'properties': {
                                'index': {'type': 'integer'},
                                'error': {'type': 'string'},
                                }}},
                    },
                },
            },
        'scopes': {'phone': "Toll-free line (/gru/phone/...)"},
        },
    }


def description(modules=None, database=None):
    """Return the OpenAPI document of the paths of modules (all when None),
    for the server of database (a server variable when None)"""
    paths, schemas, scopes = {}, {
        'Error': {
            'type': 'object',
            'required': ['error'],
            'properties': {
                'error': {'type': 'string',
                    'description': "The message, in the language asked"},
                'field': STRING_OR_NULL,
                'fields': {'type': 'array', 'items': {'type': 'string'}},
                'detail': {'type': 'string'},
                },
            },
        }, []
    for module in sorted(CONTRIBUTIONS):
        if modules is not None and module not in modules:
            continue
        contribution = copy.deepcopy(CONTRIBUTIONS[module])
        paths.update(contribution['paths'])
        schemas.update(contribution.get('schemas', {}))
        scopes.extend(contribution.get('scopes', {}).values())
    if database is None:
        server = {'url': '/{database}', 'variables': {
                'database': {'default': 'gru',
                    'description': "Name of the database"}}}
    else:
        server = {'url': '/' + database}
    return {
        'openapi': '3.1.0',
        'info': {
            'title': "GRU API",
            'version': VERSION,
            'description': "JSON API for the external systems (IVR, web "
            "forms, CTI). Each key opens scopes: " + '; '.join(scopes)
            + ".",
            },
        'servers': [server],
        'paths': paths,
        'components': {
            'schemas': schemas,
            'securitySchemes': {
                'apiKey': {'type': 'apiKey', 'in': 'header',
                    'name': 'X-API-Key'},
                },
            },
        'security': [{'apiKey': []}],
        }


@app.route('/gru/openapi.json', methods={'GET'})
def openapi(request):
    "The description of the API of every module (no database read)"
    return json_response(description())


app.route('/<database_name>/gru/openapi.json',
    methods={'POST', 'PUT', 'PATCH', 'DELETE'})(method_not_allowed({'GET'}))


@app.route('/<database_name>/gru/openapi.json', methods={'GET'})
@json_api
@with_pool
@with_transaction(readonly=True, context={'_check_access': False})
def database_openapi(request, pool, **kwargs):
    "The description of the API of the modules activated in the database"
    Module = Pool().get('ir.module')
    modules = {m.name for m in Module.search(
            [('state', '=', 'activated')])}
    return json_response(description(modules,
            database=Pool().database_name))
