# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The classifier of the incoming mail, on its own (no database)."""
import unittest

from gru_mail.classify import Known, classify
from gru_mail.parsing import ParsedMail


def mail(number, sender='usager@example.org', **values):
    message_id = '<m%s@example.org>' % number
    values.setdefault('message_id', message_id)
    values.setdefault('key', values['message_id'] or 'sha256:%s' % number)
    return ParsedMail(from_address=sender, **values)


def kinds(verdicts):
    return [(v.kind, v.parent) for v in verdicts]


class ClassifyTestCase(unittest.TestCase):
    "Test the classifier of the incoming mail"

    def test_kinds(self):
        "Each kind of mail of a batch against what the database knows"
        known = Known(mailbox_addresses={'contact@gru.test'},
            message_keys={'<old@example.org>'},
            message_ids={'<sent@gru.test>'},
            references={'GRU-2026-000001'})
        verdicts = classify([
                mail(1),
                mail(2, sender='contact@gru.test'),
                mail(3, sender='mailer-daemon@example.org', bounce=True,
                    auto_reply="Delivery Status Notification"),
                mail(4, message_id='<old@example.org>'),
                mail(5, in_reply_to=['<sent@gru.test>']),
                mail(6, tokens=['GRU-2026-000001']),
                mail(7, auto_reply="Auto-Submitted: auto-replied"),
                mail(8, spam=True),
                mail(9, tokens=['GRU-2026-999999'],
                    in_reply_to=['<unknown@example.org>']),
                mail(10, sender='mailer-daemon@example.org', bounce=True),
                ], known)
        self.assertEqual(kinds(verdicts), [
                ('new', None), ('loop', None), ('bounce', None),
                ('duplicate', None), ('thread', None), ('thread', None),
                ('auto_reply', None), ('spam', None), ('new', None),
                ('bounce', None)])
        self.assertEqual([v.independent for v in verdicts], [
                True, False, False, False, False, False, False, True,
                True, False])

    def test_same_batch_reply(self):
        "A reply to a mail of the same batch depends on it"
        original = mail(1)
        reply = mail(2, in_reply_to=[original.message_id],
            references=[original.message_id])
        # a reply through the references only, the latest first
        later = mail(3, sender='other@example.org',
            references=['<elsewhere@example.org>', reply.message_id])
        auto = mail(4, auto_reply="Auto-Submitted: auto-replied",
            in_reply_to=[original.message_id])
        verdicts = classify([original, reply, later, auto], Known())
        self.assertEqual(kinds(verdicts), [
                ('new', None), ('thread', 0), ('thread', 1),
                ('auto_reply', 0)])
        self.assertEqual([v.independent for v in verdicts],
            [True, False, False, False])

    def test_reply_before_original(self):
        "A reply fetched before its original is not made to depend on it"
        original = mail(1)
        reply = mail(2, in_reply_to=[original.message_id])
        self.assertEqual(kinds(classify([reply, original], Known())),
            [('new', None), ('new', None)])

    def test_duplicate_in_batch(self):
        "The second copy of a mail in the batch depends on the first"
        first = mail(1)
        copy = mail(1)
        without_id = mail(3, message_id=None)
        verdicts = classify([first, copy, without_id,
                mail(3, message_id=None)], Known())
        self.assertEqual(kinds(verdicts), [
                ('new', None), ('duplicate', 0), ('new', None),
                ('duplicate', 2)])

    def test_precedence(self):
        "Loop before bounce before duplicate before auto-reply and thread"
        known = Known(mailbox_addresses={'contact@gru.test'},
            message_keys={'<m1@example.org>'},
            message_ids={'<sent@gru.test>'})
        self.assertEqual(kinds(classify([
                        mail(1, sender='contact@gru.test', bounce=True),
                        mail(1, sender='daemon@example.org', bounce=True),
                        mail(1, auto_reply="x"),
                        mail(2, auto_reply="x",
                            in_reply_to=['<sent@gru.test>']),
                        mail(3, spam=True, in_reply_to=['<sent@gru.test>']),
                        ], known)), [
                ('loop', None), ('bounce', None), ('duplicate', None),
                ('auto_reply', None), ('thread', None)])

    def test_attach_open_request(self):
        "With the attach policy, new mail of a usager goes to his request"
        known = Known(attach=True,
            open_request_senders={'usager@example.org'})
        verdicts = classify([
                mail(1),
                mail(2, sender='new@example.org'),
                mail(3, sender='new@example.org'),
                mail(4, sender='new@example.org', spam=True),
                ], known)
        self.assertEqual(kinds(verdicts), [
                ('thread', None), ('new', None), ('thread', 1),
                ('spam', None)])
        # without the policy each opens its own request
        self.assertEqual(kinds(classify([mail(1), mail(2), mail(3)],
                    Known(open_request_senders={'usager@example.org'}))),
            [('new', None)] * 3)
