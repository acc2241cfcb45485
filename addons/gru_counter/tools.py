# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What a counter agent types in the one search box of the walk-in, read
as the evidences of the matching policy (gru.contact.matching)."""
import re

from gru_contact.tools import name_key, normalize_email, normalize_phone
from gru_territory.tools import normalize_postal_code

_POSTAL_CODE = re.compile(r'(?<![\w-])(\d{5})(?![\w-])')


def parse_search(text):
    """Return the evidences of text: a dict with email, phone, reference
    (a dossier number), name and postal_code, each None when absent.

    An email or a phone number is the whole text; a text with digits that
    is neither is a dossier number; else it is a name, with the postal code
    typed beside it.

    >>> parse_search(' Jeanne.Martin@Example.org ')['email']
    'Jeanne.Martin@Example.org'
    >>> parse_search('06 12 34 56 78')['phone']
    '06 12 34 56 78'
    >>> parse_search('PAS-2024-00042')['reference']
    'PAS-2024-00042'
    >>> found = parse_search('Martin Jeanne 80000')
    >>> found['name'], found['postal_code']
    ('Martin Jeanne', '80000')
    >>> parse_search('  ') == dict.fromkeys(
    ...     ['email', 'phone', 'reference', 'name', 'postal_code'])
    True
    """
    result = dict.fromkeys(
        ['email', 'phone', 'reference', 'name', 'postal_code'])
    text = ' '.join((text or '').split())
    if not text:
        return result
    if '@' in text:
        if normalize_email(text):
            result['email'] = text
        return result
    if normalize_phone(text) and not re.search(r'[^\d\s.+()-]', text):
        result['phone'] = text
        return result
    codes = _POSTAL_CODE.findall(text)
    rest = _POSTAL_CODE.sub(' ', text).strip()
    if codes and normalize_postal_code(codes[0]) and rest \
            and not re.search(r'\d', rest):
        result['postal_code'] = normalize_postal_code(codes[0])
        text = ' '.join(rest.split())
    if re.search(r'\d', text):
        result['reference'] = text
    elif name_key(text):
        result['name'] = text
    return result


def minutes_between(start, end):
    """Return the whole minutes from start to end (datetimes), at least 0,
    or None when one is missing.

    >>> import datetime as dt
    >>> minutes_between(dt.datetime(2026, 12, 7, 9, 0),
    ...     dt.datetime(2026, 12, 7, 9, 14, 40))
    15
    >>> minutes_between(None, dt.datetime(2026, 12, 7, 9, 0)) is None
    True
    """
    if not start or not end:
        return None
    return max(0, round((end - start).total_seconds() / 60))


def iso_week(date):
    """Return the ISO week of date (a date or datetime) as 'YYYY-Www'.

    >>> import datetime as dt
    >>> iso_week(dt.date(2027, 1, 1))
    '2026-W53'
    """
    if not date:
        return None
    year, week, _ = date.isocalendar()
    return '%04d-W%02d' % (year, week)
