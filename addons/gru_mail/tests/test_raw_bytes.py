# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Mail with raw bytes: an undeclared legacy charset in a header, NUL
characters in the text; decoded and stored, never quarantined."""
import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from gru_mail.parsing import parse

CP1252 = (b"From: =?utf-8?q?Fran=C3=A7oise_M=C3=A9nard?= "
    b"<francoise@exemple.fr>\r\nTo: accueil@gru.test\r\n"
    b"Subject: Probl\xe8me de d\xe9p\xf4t sur le PAS\r\n"
    b"Message-ID: <cp1252@exemple.fr>\r\n"
    b"Date: Mon, 30 Nov 2026 09:15:00 +0100\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Bonjour,\x00 mon dossier est bloqu\xc3\xa9.\r\n")


class ParsingRawBytesTestCase(unittest.TestCase):

    def test_undeclared_charset_header(self):
        "A cp1252 subject without declaration decodes without U+FFFD"
        parsed = parse(CP1252)
        self.assertEqual(parsed.subject, "Problème de dépôt sur le PAS")
        self.assertEqual(parsed.from_name, "Françoise Ménard")

    def test_utf8_raw_header_with_encoded_words(self):
        "Raw UTF-8 bytes beside RFC 2047 words: both decoded"
        parsed = parse(b"From: a@exemple.fr\r\n"
            b"Subject: =?utf-8?q?D=C3=A9p=C3=B4t?= \xc3\xa9t\xc3\xa9\r\n\r\nx")
        self.assertEqual(parsed.subject, "Dépôt été")

    def test_nul_stripped(self):
        "NUL characters are removed from the parsed texts"
        parsed = parse(CP1252)
        self.assertNotIn('\x00', parsed.text)
        self.assertIn("mon dossier est bloqué", parsed.text)


class IngestRawBytesTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        activate_module('gru_mail')

    @with_transaction()
    def test_stored_not_quarantined(self):
        "The mail is stored, decoded, and its raw bytes kept untouched"
        pool = Pool()
        Received = pool.get('gru.mail.received')
        Mailbox = pool.get('gru.mail.mailbox')
        company = create_company()
        with set_company(company):
            mailbox, = Mailbox.create([{
                        'name': "Accueil", 'address': 'accueil@gru.test',
                        'host': 'imap.invalid', 'login': 'accueil',
                        'password': 'x'}])
            received = Received.ingest(mailbox, 7, 1, CP1252)
            self.assertEqual(received.state, 'processed', received.reason)
            message = received.message
            self.assertEqual(message.subject, "Problème de dépôt sur le PAS")
            self.assertNotIn('\ufffd', message.subject)
            self.assertNotIn('\x00', message.body)
            self.assertEqual(received.subject,
                "Problème de dépôt sur le PAS")
            self.assertEqual(received.inbound_email.data, CP1252)
