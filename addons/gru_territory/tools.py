# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Normalisation helpers shared by the territory models and the routing."
import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-'’‘`_.,/]+")
_ABBREVIATIONS = {
    'st': 'saint',
    'ste': 'sainte',
    }
REGION_DEPARTMENTS = ('02', '59', '60', '62', '80')


def strip_accents(text):
    text = unicodedata.normalize('NFKD', text)
    return ''.join(c for c in text if not unicodedata.combining(c))


def normalize_name(name):
    """Return the comparison key of a place name: no accents, lower case,
    hyphens and apostrophes as spaces, 'St' and 'Ste' expanded.

    >>> normalize_name("  SAINT-Quentin ")
    'saint quentin'
    >>> normalize_name("st quentin")
    'saint quentin'
    >>> normalize_name("Château-Thierry")
    'chateau thierry'
    """
    if not name:
        return ''
    text = strip_accents(name).lower().replace('œ', 'oe').replace('æ', 'ae')
    words = [w for w in _SEPARATORS.split(text) if w]
    words = [_ABBREVIATIONS.get(w, w) for w in words]
    return ' '.join(words)


def normalize_postal_code(value):
    """Return the 5-digit postal code or None when malformed.

    Spaces are ignored and a 4-digit code gets its leading zero back
    (Aisne codes typed as numbers lose it: "2100" is 02100).

    >>> normalize_postal_code(' 80 000')
    '80000'
    >>> normalize_postal_code('2100')
    '02100'
    >>> normalize_postal_code('8000A') is None
    True
    """
    if value is None:
        return None
    text = re.sub(r'\s+', '', str(value))
    if not text.isdigit() or not text.isascii():
        return None
    if len(text) == 4:
        text = '0' + text
    if len(text) != 5:
        return None
    return text


def normalize_insee_code(value):
    """Return the 5-character INSEE code or None when malformed.

    >>> normalize_insee_code('2691')
    '02691'
    >>> normalize_insee_code('2a004')
    '2A004'
    """
    if value is None:
        return None
    text = re.sub(r'\s+', '', str(value)).upper()
    if len(text) == 4 and text.isdigit():
        text = '0' + text
    if not re.fullmatch(r'(\d{2}|2A|2B)\d{3}', text):
        return None
    return text
