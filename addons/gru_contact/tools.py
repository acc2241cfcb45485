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


def _edits(word1, word2, limit):
    """Return the number of edits (insertion, deletion, substitution,
    transposition of two neighbours) from word1 to word2, or limit + 1 when
    it is over limit"""
    if abs(len(word1) - len(word2)) > limit:
        return limit + 1
    previous2, previous = None, list(range(len(word2) + 1))
    for i, c1 in enumerate(word1, 1):
        current = [i]
        for j, c2 in enumerate(word2, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1,
                previous[j - 1] + (c1 != c2))
            if (previous2 is not None and i > 1 and j > 1
                    and c1 == word2[j - 2] and word1[i - 2] == c2):
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _typos(word):
    "Return how many typos a word of a name may hold and stay itself"
    return 0 if len(word) <= 3 else 1 if len(word) <= 7 else 2


def _same_word(word1, word2):
    "Tell if two words of a name may be the same with a typo"
    if word1 + 'e' == word2 or word2 + 'e' == word1:
        # the feminine form of a first name: Louis and Louise
        return False
    limit = min(_typos(word1), _typos(word2))
    return _edits(word1, word2, limit) <= limit


def same_name(key1, key2):
    """Tell if two name keys can be the same person's name: every word of
    one pairs with a word of the other, each with a typo at most (two for
    long words, none for short ones), words glued together allowed.
    Another first name with the same family name is not the same name, even
    when the first names look alike (Louis and Louise, Jean and Jeanne): a
    word that only gains or loses a final e is another word.

    >>> same_name('dupont jean', 'dupont jean')
    True
    >>> same_name('dupont jean', 'dupond jean')
    True
    >>> same_name('lefebvre helene', 'helene lefevre')
    True
    >>> same_name('jeandupont', 'dupont jean')
    True
    >>> same_name('louis martin', 'louise martin')
    False
    >>> same_name('dupont jean', 'dupont jeanne')
    False
    >>> same_name('dupont', 'dupont jean')
    False
    >>> same_name('dupont jean', 'dupont marie')
    False
    """
    if not key1 or not key2:
        return False
    if key1 == key2:
        return True
    words1, words2 = key1.split(), key2.split()
    if len(words1) != len(words2):
        if len(words1) > len(words2):
            words1, words2 = words2, words1
        if len(words1) != 1:
            return False
        # words glued together: compare with the words in every order
        glued = words1[0]
        return any(_edits(glued, ''.join(words2[i:] + words2[:i]),
                    _typos(glued)) <= _typos(glued)
            for i in range(len(words2)))
    rest = list(words2)
    # the exact words first so that a typo cannot take another's pair
    todo = []
    for word in words1:
        if word in rest:
            rest.remove(word)
        else:
            todo.append(word)
    for word in todo:
        match = next((w for w in rest if _same_word(word, w)), None)
        if match is None:
            return False
        rest.remove(match)
    return True


_STREET_ABBREVIATIONS = {
    'r': 'rue',
    'av': 'avenue', 'ave': 'avenue', 'avn': 'avenue',
    'bd': 'boulevard', 'bld': 'boulevard', 'boul': 'boulevard',
    'bvd': 'boulevard',
    'pl': 'place',
    'ch': 'chemin', 'che': 'chemin', 'chem': 'chemin',
    'imp': 'impasse',
    'all': 'allee',
    'rte': 'route',
    'fbg': 'faubourg',
    'qu': 'quai',
    'sq': 'square',
    'res': 'residence', 'resid': 'residence',
    'st': 'saint', 'ste': 'sainte',
    'gal': 'general', 'gen': 'general',
    'mal': 'marechal',
    }
_STREET_NOISE = {'de', 'du', 'des', 'la', 'le', 'les', 'l', 'd', 'a', 'au',
    'aux', 'et'}
_STREET_NUMBER = re.compile(r'^(\d+)\s*(bis|ter|quater|[a-d])?\b')


def street_key(street):
    """Return the comparison key of the street line of an address: number,
    repetition index and words without accents, case, articles nor
    abbreviations; None when it has no word of a street.

    >>> street_key("12, Rue des Lilas")
    '12 rue lilas'
    >>> street_key("12 r. des lilas") == street_key("12 RUE DES LILAS")
    True
    >>> street_key("3 bis Bd de la Libération")
    '3bis boulevard liberation'
    >>> street_key("3 boulevard de la Liberation") == street_key(
    ...     "3 bis boulevard de la Liberation")
    False
    >>> street_key("  ") is None
    True
    """
    if not street:
        return None
    text = strip_accents(street).lower().replace('œ', 'oe').replace(
        'æ', 'ae').strip()
    number = ''
    found = _STREET_NUMBER.match(text)
    if found:
        number = found.group(1) + (found.group(2) or '')
        text = text[found.end():]
    words = [_STREET_ABBREVIATIONS.get(w, w)
        for w in _NAME_SEPARATORS.split(text) if w]
    words = [w for w in words if w not in _STREET_NOISE]
    if not words:
        return None
    return ' '.join(([number] if number else []) + words)


_PHONE_TEXT = re.compile(r'^\+?[\d\s.()/-]+$')


def search_keys(text):
    """Return the look-up keys of what an agent types in a search box, as a
    dict of email (normalised), phone (E.164) and name_key, each None when
    the text is not one; the wildcards of a like operand are ignored.

    >>> keys = search_keys('%06 12 34 56 78%')
    >>> keys['phone'], keys['email']
    ('+33612345678', None)
    >>> search_keys(' Jeanne.Martin@Example.org ')['email']
    'jeanne.martin@example.org'
    >>> search_keys('REGNIER alexandre')['name_key']
    'alexandre regnier'
    >>> search_keys('GRU-2026-000001')['phone'] is None
    True
    """
    text = (text or '').strip().strip('%').strip()
    phone = None
    if _PHONE_TEXT.match(text) and sum(c.isdigit() for c in text) >= 9:
        phone = normalize_phone(text)
    email = normalize_email(text) if '@' in text else None
    key = None
    if not phone and not email and re.search(r'[^\W\d_]', text):
        key = name_key(text)
    return {'email': email, 'phone': phone, 'name_key': key}


def phone_like(phone):
    """Return a like pattern matching the phone number (E.164) however its
    digits are spaced, national or international

    >>> phone_like('+33612345678')
    '%6%1%2%3%4%5%6%7%8'
    """
    number = phonenumbers.parse(phone, None)
    national = str(number.national_number)
    return '%' + '%'.join(national)
