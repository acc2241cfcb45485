# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Normalisation and comparison helpers of the usagers: the keys stored and
indexed for exact look-ups and the name similarity."""
import re
import unicodedata
from difflib import SequenceMatcher

import phonenumbers

from gru_territory.tools import strip_accents

DEFAULT_REGION = 'FR'
_EMAIL = re.compile(
    r"^[^@\s\"(),:;<>\[\\\]]+@"
    r"[^@\s\"(),:;<>\[\\\]_.][^@\s\"(),:;<>\[\\\]_]*\.[^@\s\"(),:;<>\[\\\]_.]"
    r"[^@\s\"(),:;<>\[\\\]_]*$")
_NAME_SEPARATORS = re.compile(r"[^a-z0-9]+")
_NAME_NOISE = {'m', 'mr', 'mme', 'mlle', 'monsieur', 'madame', 'mademoiselle',
    'dr', 'me'}


def normalize_email(value):
    """Return the look-up key of an email address or None when it is not one:
    NFC normalised, without surrounding spaces, lower case.

    >>> normalize_email(' Jean.DUPONT@Example.ORG ')
    'jean.dupont@example.org'
    >>> normalize_email('e\\u0301lodie@exemple.fr') == 'élodie@exemple.fr'
    True
    >>> normalize_email('jean.dupont') is None
    True
    >>> normalize_email('jean@localhost') is None
    True
    """
    if not value or not isinstance(value, str):
        return None
    text = unicodedata.normalize('NFC', value).strip().lower()
    if text.startswith('mailto:'):
        text = text[len('mailto:'):]
    if len(text) > 254 or not _EMAIL.match(text) or '..' in text:
        return None
    return text


def parse_phone(value, region=DEFAULT_REGION):
    "Return the phonenumbers.PhoneNumber of value or None when not valid"
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith('00'):
        text = '+' + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return number


def normalize_phone(value, region=DEFAULT_REGION):
    """Return the E.164 form of a phone number or None when it is not valid.

    >>> normalize_phone('06 12 34 56 78')
    '+33612345678'
    >>> normalize_phone('+33 6 12 34 56 78')
    '+33612345678'
    >>> normalize_phone('0033612345678')
    '+33612345678'
    >>> normalize_phone('06 12') is None
    True
    """
    number = parse_phone(value, region=region)
    if number is None:
        return None
    return phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.E164)


def name_words(name):
    """Return the words of a person's name without accents, case,
    punctuation nor civility.

    >>> name_words("Mme Hélène LE GOFF-Dubœuf")
    ['helene', 'le', 'goff', 'duboeuf']
    """
    if not name:
        return []
    text = strip_accents(name).lower().replace('œ', 'oe').replace('æ', 'ae')
    text = text.replace('ß', 'ss')
    return [w for w in _NAME_SEPARATORS.split(text)
        if w and w not in _NAME_NOISE]


def name_key(name):
    """Return the comparison key of a person's name: its words sorted, so
    that "DUPONT Jean" and "Jean Dupont" give the same key.

    >>> name_key("DUPONT Jean")
    'dupont jean'
    >>> name_key("Jéan  dupont")
    'dupont jean'
    """
    return ' '.join(sorted(name_words(name))) or None


def name_key_rotated(key):
    """Return the name key starting from its second word, so that every
    word of a two-word name starts one of the two keys.

    >>> name_key_rotated('dupont jean')
    'jean dupont'
    >>> name_key_rotated('dupont') is None
    True
    """
    words = (key or '').split()
    if len(words) < 2:
        return None
    return ' '.join(words[1:] + words[:1])


def name_similarity(key1, key2):
    """Return the similarity of two name keys between 0 and 1; a missing or
    extra space between words is a typo like another.

    >>> name_similarity('dupont jean', 'dupont jean')
    1.0
    >>> name_similarity('dupont jean', 'dupond jean') > 0.85
    True
    >>> name_similarity('jeandupont', 'dupont jean') > 0.9
    True
    >>> name_similarity('dupont jean', 'martin paul') < 0.5
    True
    """
    if not key1 or not key2:
        return 0.0
    if key1 == key2:
        return 1.0
    ratio = SequenceMatcher(None, key1, key2, autojunk=False).ratio()
    words1, words2 = key1.split(), key2.split()
    if len(words1) != len(words2):
        if len(words1) > len(words2):
            words1, words2 = words2, words1
        # words glued together: compare with the words in every order
        glued = ''.join(words1)
        for i in range(len(words2)):
            other = ''.join(words2[i:] + words2[:i])
            ratio = max(ratio, SequenceMatcher(
                    None, glued, other, autojunk=False).ratio())
    return ratio
