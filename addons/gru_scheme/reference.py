# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Dossier number formats built from an example: "AID-2026-00123" reads
as the letters 'AID', a dash, a year, a dash and 5 digits; the regular
expression and the checks of a typed number follow from it."""
import re

from trytond.i18n import gettext

LITERAL, YEAR, DIGITS = 'literal', 'year', 'digits'
_TOKEN = re.compile(r'[0-9]+|[^0-9]+')
_YEAR = re.compile(r'(19|20)[0-9]{2}')


def segments(example):
    """Return the segments of example as a list of (kind, text): a run of
    4 digits reading as a year of 1900-2099 is a YEAR, other runs of
    digits DIGITS, the rest LITERAL (kept as typed)"""
    result = []
    for token in _TOKEN.findall((example or '').strip()):
        if token.isdigit():
            if len(token) == 4 and _YEAR.fullmatch(token):
                result.append((YEAR, token))
            else:
                result.append((DIGITS, token))
        else:
            result.append((LITERAL, token))
    return result


def pattern(example):
    "Return the regular expression of the dossier numbers like example"
    parts = []
    for kind, text in segments(example):
        if kind == YEAR:
            parts.append('(?:19|20)[0-9]{2}')
        elif kind == DIGITS:
            parts.append('[0-9]{%d}' % len(text))
        else:
            parts.append(re.escape(text))
    return ''.join(parts) or None


def describe(example):
    "Return the format of example in words, e.g. 'AID', '-', a year..."
    words = []
    for kind, text in segments(example):
        if kind == YEAR:
            words.append(gettext('gru_scheme.msg_reference_part_year'))
        elif kind == DIGITS:
            words.append(gettext('gru_scheme.msg_reference_part_digits',
                    count=len(text)))
        else:
            words.append(gettext('gru_scheme.msg_reference_part_text',
                    text=text))
    return ' + '.join(words)


def check(example, number):
    """Return (matched, reason) for the number typed against the format of
    example; the reason names the first part that differs"""
    number = (number or '').strip()
    position = 0
    done = ''
    for kind, text in segments(example):
        rest = number[position:]
        if kind == LITERAL:
            if not rest.startswith(text):
                return False, gettext(
                    'gru_scheme.msg_reference_check_literal',
                    expected=text, after=done or '-',
                    found=rest[:len(text)] or '-')
            found = text
        else:
            found = re.match(r'[0-9]*', rest).group(0)
            if len(found) != len(text):
                return False, gettext(
                    'gru_scheme.msg_reference_check_digits',
                    expected=len(text), found=len(found), after=done or '-')
            if kind == YEAR and not _YEAR.fullmatch(found):
                return False, gettext(
                    'gru_scheme.msg_reference_check_year',
                    found=found)
        position += len(found)
        done += found
    if number[position:]:
        return False, gettext('gru_scheme.msg_reference_check_extra',
            extra=number[position:], after=done)
    return True, gettext('gru_scheme.msg_reference_check_ok')
