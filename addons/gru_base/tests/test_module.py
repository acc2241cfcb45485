# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import os
import tempfile
import unittest

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest

from trytond.config import config
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    ModuleTestCase, activate_module, with_transaction)
from trytond.transaction import Transaction

from gru_base import api
from gru_base.exceptions import ApiInputError
from gru_base.filestore import (
    delete_unreferenced, purge_orphan_files, referenced_files)


def request(path='/', query=None, headers=None, data=None,
        content_type=None):
    builder = EnvironBuilder(path=path, query_string=query,
        headers=headers or {}, data=data, content_type=content_type)
    return WerkzeugRequest(builder.get_environ())


class ApiHelpersTestCase(unittest.TestCase):
    "The HTTP helpers, without a database"

    def test_check_text(self):
        "Strings a database cannot store are named, the rest passes"
        self.assertIsNone(api.check_text({'a': ['b', {'c': 'd'}], 'e': 1}))
        self.assertEqual(api.check_text({'subject': 'a\x00b'}), 'subject')
        self.assertEqual(api.check_text({'body': ['\ud800']}), 'body')

    def test_hide_query_key(self):
        "A key sent in the URL never reaches the request log in clear"
        req = request(query='api_key=gru_secret&postal_code=80000')
        api.hide_query_key(req)
        self.assertNotIn('gru_secret', req.url)
        self.assertIn('postal_code=80000', req.url)

    def test_request_language(self):
        "French by default, English when asked"
        self.assertEqual(api.request_language(request()), 'fr')
        self.assertEqual(api.request_language(
                request(headers={'Accept-Language': 'en-GB,en;q=0.8'})),
            'en')
        self.assertEqual(api.request_language(
                request(headers={'Accept-Language': 'de'})), 'fr')

    def test_fallback_messages(self):
        """Without a database the errors are in French by default, in
        English when asked, with the texts of the messages"""
        status = api.HTTPStatus
        self.assertEqual(api.fallback_message('fr', status.NOT_FOUND),
            "Base de données ou ressource inexistante.")
        self.assertEqual(api.fallback_message('en', status.NOT_FOUND),
            "No such database or resource.")
        self.assertEqual(api.fallback_message(None, status.BAD_GATEWAY),
            "La requête a échoué (HTTP 502).")
        self.assertEqual(api.fallback_message('en', status.BAD_GATEWAY),
            "The request failed (HTTP 502).")
        # the same texts as the messages and their translation
        folder = os.path.dirname(os.path.dirname(__file__))
        with open(os.path.join(folder, 'message.xml')) as file:
            messages = file.read()
        with open(os.path.join(folder, 'locale', 'fr.po')) as file:
            translations = file.read()
        for language, texts in api.FALLBACK_MESSAGES.items():
            self.assertEqual(set(texts), set(api.FALLBACK_MESSAGES['fr']))
            for code, text in texts.items():
                if code is None:
                    continue
                if language == 'en':
                    self.assertIn(text, messages)
                else:
                    self.assertIn('msgstr "%s"' % text, translations)


class JsonApiTestCase(unittest.TestCase):
    "The errors of the JSON routes as their clients receive them"

    @classmethod
    def setUpClass(cls):
        activate_module('gru_base')

    def call(self, error):
        "Answer a JSON POST to a route that raises error"
        from trytond.protocols.jsonrpc import JSONRequest
        from trytond.protocols.wrappers import with_pool
        from trytond.tests.test_tryton import DB_NAME

        @api.json_api
        @with_pool
        def route(request, pool):
            raise error
        builder = EnvironBuilder(method='POST', path='/db/gru/requests',
            json={'subject': "Bourse", 'body': "Bonjour"})
        return route(JSONRequest(builder.get_environ()), DB_NAME)

    def test_database_gone(self):
        """A request the database failed under (restarted, busy) is
        answered 503, which a client retries, not 400"""
        from trytond import backend
        response = self.call(backend.DatabaseOperationalError(
                "terminating connection due to administrator command"))
        self.assertEqual(response.status_code, 503)

    def test_unexpected_error(self):
        "An unexpected error is answered 500, not 400"
        response = self.call(ZeroDivisionError())
        self.assertEqual(response.status_code, 500)


class GruBaseTestCase(ModuleTestCase):
    "Test GRU Base module"
    module = 'gru_base'

    @with_transaction()
    def test_french_date_format(self):
        "French dates read 06/12/2026, as French usage writes them"
        import datetime as dt
        Lang = Pool().get('ir.lang')
        fr, = Lang.search([('code', '=', 'fr')])
        self.assertEqual(fr.date, '%d/%m/%Y')
        self.assertEqual(fr.strftime(dt.date(2026, 12, 6)), '06/12/2026')

    @with_transaction()
    def test_api_key_scopes(self):
        """The base declares no scope: the modules serving an endpoint add
        theirs (gru_territory and gru_inbox test them)"""
        pool = Pool()
        ApiKey = pool.get('gru.api.key')
        self.assertEqual(ApiKey.fields_get(['scopes'])['scopes']['selection'],
            [])
        self.assertEqual(ApiKey.default_scopes(), [])

    @with_transaction()
    def test_api_key_check(self):
        "A key is stored hashed; without a scope it opens nothing"
        pool = Pool()
        ApiKey = pool.get('gru.api.key')
        key = ApiKey.new_key()
        self.assertTrue(key.startswith(api.KEY_PREFIX))
        record = ApiKey(name="IVR")
        record.set_key(key)
        record.save()
        self.assertNotIn(key, record.key_hash)
        self.assertFalse(record.key_hint.endswith(key[-6:]))
        self.assertIsNone(ApiKey.check(key, 'route'))
        # a copy has no key: two records never share one
        copy, = ApiKey.copy([record])
        self.assertIsNone(copy.key_hash)

    @with_transaction()
    def test_read_json(self):
        "Bodies that are not storable JSON are refused with a reason"
        with Transaction().set_context(language='en'):
            self.assertEqual(api.read_json(request(
                        data=b'{"a": 1}', content_type='application/json')),
                {'a': 1})
            for data, content_type in [
                    (b'{"a": 1}', 'text/plain'),
                    (b'{"a": ', 'application/json'),
                    (b'\xff\xfe', 'application/json'),
                    (b'[' * 100000 + b']' * 100000, 'application/json'),
                    (b'{"a": "\\u0000"}', 'application/json'),
                    ]:
                with self.subTest(data=data[:20], content_type=content_type):
                    with self.assertRaises(ApiInputError):
                        api.read_json(request(data=data,
                                content_type=content_type))

    @with_transaction()
    def test_purge_orphan_files(self):
        "The file of a deleted attachment is purged, a referenced one kept"
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        path = tempfile.mkdtemp(prefix='gru-base-filestore-')
        old_path = config.get('database', 'path')
        config.set('database', 'path', path)
        self.addCleanup(config.set, 'database', 'path', old_path)
        kept, gone = Attachment.create([
                {'name': 'kept.txt', 'resource': 'res.user,1',
                    'data': b'kept'},
                {'name': 'gone.txt', 'resource': 'res.user,1',
                    'data': b'gone'},
                ])
        gone_id = gone.file_id
        files = referenced_files()
        ids = {i for ids in files.values() for i in ids}
        self.assertTrue({kept.file_id, gone_id} <= ids)
        Attachment.delete([gone])

        removed = delete_unreferenced(files)

        self.assertEqual([i for _, i in removed], [gone_id])
        self.assertEqual(Attachment(kept.id).data, b'kept')
        self.assertEqual(purge_orphan_files(dry_run=True, min_age=0), [])
        stored = [n for _, _, names in os.walk(path) for n in names]
        self.assertEqual(len(stored), 1)


del ModuleTestCase
