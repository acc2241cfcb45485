# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Classification of the incoming mail, without database.

classify() tells for each parsed mail of a fetch batch what it is: sent by
one of our mailboxes (loop), a delivery failure (bounce), an automatic
reply, already received (duplicate), a reply to or a new mail about an
existing request (thread), spam, or a new request. What it needs from the
database is given as a Known, read once for the whole batch.

A mail may depend on an earlier mail of the same batch (the original it
replies to, the first copy it repeats): its verdict names that mail
(parent) so that it is ingested after it. Only the mails classified new or
spam open a request on their own and can be created together.
"""
from dataclasses import dataclass, field

LOOP = 'loop'
BOUNCE = 'bounce'
AUTO_REPLY = 'auto_reply'
DUPLICATE = 'duplicate'
THREAD = 'thread'
SPAM = 'spam'
NEW = 'new'
# the kinds that open a request depending on no other mail
INDEPENDENT = {NEW, SPAM}


@dataclass
class Known:
    "What the database knows of the mails of a batch"
    # the addresses of our mailboxes
    mailbox_addresses: set = field(default_factory=set)
    # the message keys already received and giving a request
    message_keys: set = field(default_factory=set)
    # the Message-IDs of the stored messages
    message_ids: set = field(default_factory=set)
    # the request references
    references: set = field(default_factory=set)
    # the senders with an open request to attach their new mail to
    open_request_senders: set = field(default_factory=set)
    # new mail of a sender with an open request is attached to it
    attach: bool = False


@dataclass
class Verdict:
    kind: str
    # the index in the batch of the mail this one depends on
    parent: int = None

    @property
    def independent(self):
        return self.kind in INDEPENDENT and self.parent is None


def classify(mails, known):
    """Return the Verdict of each parsed mail of mails (in fetch order)
    given the Known of the database"""
    by_message_id, by_key, by_sender = {}, {}, {}
    verdicts = []
    for index, mail in enumerate(mails):
        verdicts.append(_classify(mail, known,
                by_message_id, by_key, by_sender))
        if mail.message_id:
            by_message_id.setdefault(mail.message_id, index)
        by_key.setdefault(mail.key, index)
        if mail.from_address:
            by_sender.setdefault(mail.from_address, index)
    return verdicts


def _classify(mail, known, by_message_id, by_key, by_sender):
    if mail.from_address and mail.from_address in known.mailbox_addresses:
        return Verdict(LOOP)
    if mail.bounce:
        return Verdict(BOUNCE)
    if mail.key in known.message_keys:
        return Verdict(DUPLICATE)
    if mail.key in by_key:
        return Verdict(DUPLICATE, parent=by_key[mail.key])
    ids = list(mail.in_reply_to) + list(reversed(mail.references))
    parent = next((by_message_id[i] for i in ids if i in by_message_id),
        None)
    replies = parent is not None or bool(
        known.message_ids.intersection(ids)
        or known.references.intersection(mail.tokens))
    if mail.auto_reply:
        # noted on the request it replies to, if any
        return Verdict(AUTO_REPLY, parent=parent)
    if replies:
        return Verdict(THREAD, parent=parent)
    if known.attach and not mail.spam and mail.from_address:
        if mail.from_address in known.open_request_senders:
            return Verdict(THREAD)
        if mail.from_address in by_sender:
            return Verdict(THREAD, parent=by_sender[mail.from_address])
    if mail.spam:
        return Verdict(SPAM)
    return Verdict(NEW)
