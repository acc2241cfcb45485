# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Text normalisation shared by the index and the queries."
import re
import unicodedata

_LIGATURES = str.maketrans({
        'œ': 'oe', 'Œ': 'oe', 'æ': 'ae', 'Æ': 'ae', 'ß': 'ss',
        '’': "'", 'ʼ': "'",
        })
_NON_WORD = re.compile(r'[^0-9a-z]+')
# French elisions: l'énergie, d'une, qu'il
_ELISION = re.compile(r"\b(?:[cdjlmnst]|qu)'")
# words too common to search for (normalised)
STOP_WORDS = frozenset('''
    a au aux avec ce ces dans de des du elle en et il ils je la le les leur
    lui ma mais me mes mon ne nos notre nous on ou par pas pour qu que qui
    sa se ses son sur ta te tes ton tu un une vos votre vous y est sont
    '''.split())


def normalize_text(text):
    """Return text lower case, without accents nor punctuation, words
    separated by one space.

    >>> normalize_text("L'Énergie : Chèque   ŒUVRE-d'art !")
    'energie cheque oeuvre art'
    >>> normalize_text(None)
    ''
    """
    if not text:
        return ''
    text = text.translate(_LIGATURES)
    text = unicodedata.normalize('NFKD', text)
    text = ''.join(c for c in text if not unicodedata.combining(c))
    text = text.casefold()
    text = _ELISION.sub(' ', text)
    return _NON_WORD.sub(' ', text).strip()


def query_words(query, max_words=12):
    """Return the distinct normalised words of a search query without the
    stop words (unless there are only stop words), at most max_words.

    >>> query_words("Le chèque énergie, l'énergie")
    ['cheque', 'energie']
    >>> query_words("et ou")
    ['et', 'ou']
    """
    words = []
    for word in normalize_text(query).split():
        if word not in words:
            words.append(word)
    meaningful = [w for w in words if w not in STOP_WORDS]
    return (meaningful or words)[:max_words]
