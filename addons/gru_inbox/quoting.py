# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The headers that start the quoted history of a reply or a forward.

Shared by the conversation view (gru_inbox) and the mail parser
(gru_mail), which fold the history out of a message's text: kept free of
Tryton imports so the mail gateway loads it cheaply."""
import re

__all__ = ['QUOTE_HEADERS', 'quote_start']

QUOTE_HEADERS = [
    re.compile(r'^\s*(Le|On)\s.{4,200}(a écrit|wrote)\s*:\s*$',
        re.IGNORECASE | re.MULTILINE),
    re.compile(r'^\s*-{2,}\s*(Original Message|Message d\'origine'
        r'|Message original|Forwarded message|Message transféré)\s*-{2,}'
        r'\s*$', re.IGNORECASE | re.MULTILINE),
    re.compile(r'^\s*(De|From)\s*:\s.+\n\s*(Envoyé|Sent|Date)\s*:\s',
        re.IGNORECASE | re.MULTILINE),
    ]


def quote_start(text):
    "Return the position of the first quote header in text or None"
    start = None
    for pattern in QUOTE_HEADERS:
        match = pattern.search(text)
        if match and (start is None or match.start() < start):
            start = match.start()
    return start
