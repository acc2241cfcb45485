# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Split a round of mail into chunks that gateway workers ingest at once.

Pure Python (no database, no server). The gateway reads a few headers of
the waiting messages (HEADER_FIELDS) and partition() puts in one group
the messages that classify() may relate to each other: the same sender
(its open request, the attach policy, the acknowledgement limit, the
bounces of one mailer daemon), the same message key (a duplicate) and a
reply with the message it replies to (In-Reply-To, References). A group
is never split: the worker that takes it ingests its messages in UID
order, as the single gateway would; messages of different groups have
nothing to read from one another and may be ingested at the same time.
"""
import hashlib
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr

from .parsing import _message_ids

# what partition() reads of each message (BODY.PEEK[HEADER.FIELDS (...)])
HEADER_FIELDS = ('FROM', 'MESSAGE-ID', 'IN-REPLY-TO', 'REFERENCES')


def relations(header):
    """Return the nodes that relate the message whose header (bytes of
    HEADER_FIELDS) is given to others: its sender, its Message-ID and the
    Message-IDs it replies to."""
    nodes = []
    try:
        message = BytesHeaderParser(policy=compat32).parsebytes(header)
        sender = parseaddr(str(message.get('From') or ''))[1]
        if '@' in sender:
            nodes.append('from:' + sender.strip().lower())
        for name in ['Message-ID', 'In-Reply-To', 'References']:
            nodes.extend('id:' + i for i in _message_ids(
                    str(message.get(name) or '')))
    except Exception:  # a hostile header: related by its bytes below
        pass
    if not nodes:
        # no sender nor Message-ID: two copies of one raw message have the
        # same header, so the same node
        nodes.append('raw:' + hashlib.sha256(header).hexdigest())
    return nodes


def groups(headers):
    """Return the groups of related UIDs of headers ({uid: header bytes}),
    each sorted, the groups in the order of their first UID"""
    parent = {}

    def find(node):
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    for uid in sorted(headers):
        node = ('uid', uid)
        parent[node] = node
        for other in relations(headers[uid]):
            parent.setdefault(other, other)
            a, b = find(node), find(other)
            if a != b:
                parent[b] = a
    members = {}
    for uid in sorted(headers):
        members.setdefault(find(('uid', uid)), []).append(uid)
    return sorted(members.values(), key=lambda g: g[0])


def partition(headers, size):
    """Return chunks of UIDs (each sorted) of about size messages made of
    whole groups of headers ({uid: header bytes}): a group larger than
    size is a chunk alone. The chunks are in the order of their first UID
    so that the oldest mail is ingested first."""
    chunks, current = [], []
    for group in groups(headers):
        if len(group) >= size:
            chunks.append(group)
            continue
        if current and len(current) + len(group) > size:
            chunks.append(sorted(current))
            current = []
        current.extend(group)
    if current:
        chunks.append(sorted(current))
    return sorted(chunks, key=lambda c: c[0])
