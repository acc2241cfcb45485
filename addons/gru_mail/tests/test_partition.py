# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The split of a round of mail between gateway workers (partition.py):
every message in exactly one chunk, related messages in the same one."""
import random
import unittest

from gru_mail.parsing import parse
from gru_mail.partition import groups, partition, relations


def header(sender=None, message_id=None, in_reply_to=None,
        references=None):
    lines = []
    if sender:
        lines.append('From: %s' % sender)
    if message_id:
        lines.append('Message-ID: %s' % message_id)
    if in_reply_to:
        lines.append('In-Reply-To: %s' % in_reply_to)
    if references:
        lines.append('References: %s' % references)
    return ('\r\n'.join(lines) + '\r\n\r\n').encode()


class PartitionTestCase(unittest.TestCase):

    def test_relations_agree_with_parse(self):
        "The sender and Message-IDs read are those parse() gives"
        raw = (b'From: =?utf-8?q?Fran=C3=A7oise?= <Francoise@Exemple.FR>\r\n'
            b'Message-ID: <a1@exemple.fr>\r\n'
            b'In-Reply-To: <b2@gru.test>\r\n'
            b'References: <c3@gru.test> <b2@gru.test>\r\n\r\n')
        parsed = parse(raw + b'Bonjour\r\n')
        nodes = relations(raw)
        self.assertIn('from:' + parsed.from_address, nodes)
        self.assertIn('id:' + parsed.key, nodes)
        for message_id in parsed.in_reply_to + parsed.references:
            self.assertIn('id:' + message_id, nodes)

    def test_same_sender_one_group(self):
        "The mail of one sender is one group, in UID order"
        headers = {
            3: header('a@exemple.fr', '<1@x>'),
            7: header('b@exemple.fr', '<2@x>'),
            9: header('A@Exemple.fr', '<3@x>'),
            }
        self.assertEqual(groups(headers), [[3, 9], [7]])

    def test_duplicate_other_sender_one_group(self):
        "Two copies of one Message-ID from two senders: one group"
        headers = {
            1: header('a@exemple.fr', '<same@x>'),
            2: header('list@liste.fr', '<same@x>'),
            3: header('c@exemple.fr', '<other@x>'),
            }
        self.assertEqual(groups(headers), [[1, 2], [3]])

    def test_reply_chain_one_group(self):
        "A reply of another sender joins the mail it replies to, and so on"
        headers = {
            1: header('a@exemple.fr', '<1@x>'),
            2: header('b@exemple.fr', '<2@x>', in_reply_to='<1@x>'),
            3: header('c@exemple.fr', '<3@x>', references='<0@x> <2@x>'),
            4: header('d@exemple.fr', '<4@x>'),
            }
        self.assertEqual(groups(headers), [[1, 2, 3], [4]])

    def test_no_sender_no_message_id(self):
        "Two copies of a mail without sender nor Message-ID: one group"
        headers = {1: b'\r\n', 2: header('a@exemple.fr'), 5: b'\r\n',
            6: b'Subject: x\r\n\r\n'}
        self.assertEqual(groups(headers), [[1, 5], [2], [6]])

    def test_hostile_header(self):
        "A header that breaks the parser still has its group"
        headers = {1: b'From: \xff\xfe<<@@>>\r\nMessage-ID: \x00\r\n\r\n',
            2: b'From: \xff\xfe<<@@>>\r\nMessage-ID: \x00\r\n\r\n'}
        self.assertEqual(groups(headers), [[1, 2]])

    def test_chunks_cover_once_and_keep_groups(self):
        "Every UID in one chunk; groups whole; chunks about the size"
        rng = random.Random(18)
        headers = {}
        for uid in rng.sample(range(1, 100000), 3000):
            sender = 'u%d@exemple.fr' % rng.randrange(2000)
            replied = '<%d@x>' % rng.randrange(100000) \
                if rng.random() < 0.1 else None
            headers[uid] = header(sender, '<%d@x>' % uid,
                in_reply_to=replied)
        # a mass mailer: one group larger than a chunk
        for uid in range(200000, 200400):
            headers[uid] = header('robot@exemple.fr', '<r%d@x>' % uid)
        chunks = partition(headers, 100)
        uids = [u for c in chunks for u in c]
        self.assertEqual(sorted(uids), sorted(headers))
        self.assertEqual(len(uids), len(set(uids)))
        where = {u: i for i, c in enumerate(chunks) for u in c}
        for group in groups(headers):
            self.assertEqual(len({where[u] for u in group}), 1, group)
        for chunk in chunks:
            self.assertEqual(chunk, sorted(chunk))
        self.assertIn(list(range(200000, 200400)), chunks)
        self.assertTrue(all(len(c) <= 100 for c in chunks
                if c[0] < 200000))
        self.assertEqual([c[0] for c in chunks],
            sorted(c[0] for c in chunks))
