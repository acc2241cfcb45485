# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Fuzzing of the mail parser with a small budget (scripts/fuzz --target
mail runs the long one): hostile mail is parsed or quarantined with its
reason, never a crash, a hang or a text the database refuses."""
import random
import unittest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from gru_mail.parsing import parse

from .fuzz_mail import build, check, check_parsed

# deterministic: the same examples at each run, no example database
FUZZ = settings(max_examples=150, derandomize=True, database=None,
    deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
        HealthCheck.large_base_example])

# the crashes the fuzzer found in the parser, reduced by hand
REGRESSIONS = {
    'group in From': b'From: undisclosed-recipients:;group: a@b, c@d;\r\n'
    b'\r\nx',
    'unterminated angle address': b'From: x <a@\r\n\r\nx',
    'empty domain in To': b'To: a@\r\n\r\nx',
    'lone quote in Reply-To': b'Reply-To: "\r\n\r\nx',
    'multipart without boundary inside a multipart': (
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n'
        b'Content-Type: multipart/related\r\n\r\nno boundary\r\n--B--\r\n'),
    'NUL in the charset name': b'Content-Type: text/plain; '
    b'charset="a\x00b"\r\n\r\n\xe9t\xe9',
    'date beyond year 9999 in UTC': b'Date: Sat, 31 Dec 9999 23:59:59 '
    b'-2359\r\n\r\nx',
    'NUL in addresses and Message-ID': b'To: a\x00b@c.fr\r\n'
    b'From: u\x00@e.fr\r\nMessage-ID: <a\x00b@c>\r\n\r\nx',
    'undeclared 8-bit From address': b'From: \xe9l\xe9@exemple.fr\r\n\r\nx',
    }


class ParserFuzzTestCase(unittest.TestCase):

    def test_regressions(self):
        "The hostile mails that crashed the parser are parsed"
        for name, raw in REGRESSIONS.items():
            with self.subTest(name):
                self.assertEqual(check(raw), ('parsed', None))

    def test_regression_values(self):
        "Hostile headers are kept readable, without what cannot be stored"
        parsed = parse(REGRESSIONS['NUL in addresses and Message-ID'])
        self.assertEqual(parsed.from_address, 'u@e.fr')
        self.assertEqual(parsed.to, ['ab@c.fr'])
        self.assertEqual(parsed.message_id, '<ab@c>')
        self.assertEqual(parsed.key, '<ab@c>')
        parsed = parse(REGRESSIONS['undeclared 8-bit From address'])
        self.assertEqual(parsed.from_address, 'élé@exemple.fr')
        parsed = parse(REGRESSIONS['date beyond year 9999 in UTC'])
        self.assertIsNone(parsed.date)
        # the part without boundary is kept as a file, not dropped
        parsed = parse(REGRESSIONS[
                'multipart without boundary inside a multipart'])
        self.assertEqual([a.data for a in parsed.attachments],
            [b'no boundary\r\n'])

    @FUZZ
    @given(st.randoms(use_true_random=False))
    def test_hostile_mime(self, rnd):
        "Broken MIME, mutated corpus mails: parsed, in bounded time"
        outcome, reason = check(build(rnd), max_attachment_size=1 << 20)
        self.assertEqual(outcome, 'parsed', reason)

    @FUZZ
    @given(st.binary(max_size=4096))
    def test_random_bytes(self, raw):
        "Pure random bytes: parsed, in bounded time"
        outcome, reason = check(raw)
        self.assertEqual(outcome, 'parsed', reason)


class IngestFuzzTestCase(unittest.TestCase):
    "Hostile mail through the ingestion of the gateway, on the database"

    @classmethod
    def setUpClass(cls):
        activate_module('gru_mail')

    @with_transaction()
    def test_batch_nothing_lost(self):
        """A batch of hostile mails: each ends stored or quarantined with
        a reason, the batch goes on"""
        pool = Pool()
        Mailbox = pool.get('gru.mail.mailbox')
        Received = pool.get('gru.mail.received')
        rnd = random.Random(18)
        raws = list(REGRESSIONS.values()) + [build(rnd) for _ in range(40)]
        company = create_company()
        with set_company(company):
            mailbox, = Mailbox.create([{
                        'name': "Accueil", 'address': 'accueil@gru.test',
                        'host': 'imap.invalid', 'login': 'accueil',
                        'password': 'x'}])
            messages = list(enumerate(raws, 1))
            states = mailbox.ingest_many(7, messages)
            self.assertEqual(sorted(states), [u for u, _ in messages])
            for uid, raw in messages:
                received, = Received.search([('uid', '=', uid)])
                with self.subTest(uid=uid):
                    self.assertEqual(received.state, states[uid])
                    if received.state == 'quarantined':
                        self.assertTrue(received.reason)
                    else:
                        # stored with its raw bytes untouched
                        self.assertEqual(received.inbound_email.data, raw)
                    check_parsed(parse(raw))
