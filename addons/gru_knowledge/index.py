# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The full-text index of the articles.

Every article keeps, outside of its Tryton fields (so out of its history),
a column 'search_document' with its normalised text (title, tags, body on
three lines, see tools.normalize_text) and, on PostgreSQL, a column
'search_vector' (tsvector, French stemming, title weighted A, tags B, body
C) with a GIN index. Queries are normalised the same way, so accents and
case never matter on either backend:
- PostgreSQL: to_tsquery('french', 'word:* & ...') matched with @@ and
  ranked with ts_rank;
- SQLite (and any backend without full-text search): every word must
  appear in search_document (LIKE), ranked in Python.
"""
import logging

from sql import Cast, Column, Literal, Select
from sql.functions import Function
from sql.operators import Concat, Like

from trytond import backend
from trytond.transaction import Transaction

from .tools import normalize_text, query_words

logger = logging.getLogger(__name__)

DOCUMENT = 'search_document'
VECTOR = 'search_vector'
TEXT_CONFIG = 'french'


class ToTsQuery(Function):
    __slots__ = ()
    _function = 'TO_TSQUERY'


def use_postgresql():
    return backend.name == 'postgresql'


def register(Article, module_name):
    "Create the index columns and, on PostgreSQL, the GIN index"
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    table_h = Article.__table_handler__(module_name)
    if not table_h.column_exist(DOCUMENT):
        table_h.add_column(DOCUMENT, 'TEXT')
    if not use_postgresql():
        return
    if not table_h.column_exist(VECTOR):
        table_h.add_column(VECTOR, 'FULLTEXT')
    cursor.execute(
        'CREATE INDEX IF NOT EXISTS "%s_search_vector_gin" '
        'ON "%s" USING GIN ("%s")' % (
            Article._table, Article._table, VECTOR))
    create_unaccent()


def create_unaccent():
    """Try to create the unaccent extension: with it Tryton's own searches
    (ilike on names in the client) ignore accents too. The knowledge search
    does not need it (texts are normalised before indexing)."""
    transaction = Transaction()
    database = transaction.database
    if database.has_unaccent():
        return True
    cursor = transaction.connection.cursor()
    cursor.execute('SAVEPOINT gru_knowledge_unaccent')
    try:
        cursor.execute('CREATE EXTENSION IF NOT EXISTS unaccent')
    except Exception as exception:
        cursor.execute('ROLLBACK TO SAVEPOINT gru_knowledge_unaccent')
        logger.warning(
            "the unaccent extension cannot be created (%s): "
            "Tryton searches stay accent-sensitive, the knowledge search "
            "is not affected", exception)
        return False
    cursor.execute('RELEASE SAVEPOINT gru_knowledge_unaccent')
    database._has_proc.clear()
    return True


def document_of(article):
    "Return the normalised (title, tags, body) of article"
    return (
        normalize_text(article.title),
        normalize_text(' '.join(t.name for t in article.tags)),
        normalize_text(article.body),
        )


def update(Article, articles):
    "Index the articles (after a creation or a modification)"
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    table = Article.__table__()
    for article in articles:
        title, tags, body = document_of(article)
        document = '\n'.join([title, tags, body])
        if use_postgresql():
            from trytond.backend.postgresql.database import (
                Setweight, ToTsvector)
            vector = Concat(Concat(
                    Setweight(ToTsvector(TEXT_CONFIG, title), 'A'),
                    Setweight(ToTsvector(TEXT_CONFIG, tags), 'B')),
                Setweight(ToTsvector(TEXT_CONFIG, body), 'C'))
            cursor.execute(*table.update(
                    [Column(table, DOCUMENT), Column(table, VECTOR)],
                    [document, vector],
                    where=table.id == article.id))
        else:
            cursor.execute(*table.update(
                    [Column(table, DOCUMENT)], [document],
                    where=table.id == article.id))


def search(Article, query, table=None, where=None, limit=20):
    """Return [(article id, score)] of the articles matching every word of
    query, best first; where is a python-sql condition on table (an
    instance of the article table) to narrow the search."""
    words = query_words(query)
    if not words:
        return []
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    if table is None:
        table = Article.__table__()
    condition = where if where is not None else Literal(True)
    if use_postgresql():
        from trytond.backend.postgresql.database import Match, TsRank

        # stem the query once: a to_tsquery() call in the main query
        # would be evaluated again for every matching row
        cursor.execute(*Select([Cast(ToTsQuery(TEXT_CONFIG,
                            ' & '.join(w + ':*' for w in words)), 'TEXT')]))
        text, = cursor.fetchone()
        if not text:  # only stop words
            return []
        tsquery = Cast(Literal(text), 'TSQUERY')
        vector = Column(table, VECTOR)
        rank = TsRank(vector, tsquery)
        cursor.execute(*table.select(table.id, rank,
                where=condition & Match(vector, tsquery),
                order_by=[rank.desc, table.id.desc],
                limit=limit or None))
        return [(id_, float(score)) for id_, score in cursor]

    document = Column(table, DOCUMENT)
    for word in words:
        condition &= Like(document, '%' + word + '%')
    cursor.execute(*table.select(table.id, document, where=condition))
    results = []
    for id_, text in cursor:
        title, tags, body = ((text or '') + '\n\n').split('\n')[:3]
        score = 0.0
        for word in words:
            score += (3 * title.count(word) + 2 * tags.count(word)
                + min(body.count(word), 5))
        results.append((id_, score))
    results.sort(key=lambda r: (-r[1], -r[0]))
    return results[:limit] if limit else results


def excerpt(text, query, size=220):
    """Return the first paragraph or sentence of text that holds a word of
    query, cut to size characters (the start of text if none)."""
    if not text:
        return ''
    words = query_words(query or '')
    pieces = [p.strip() for p in text.replace('. ', '.\n').splitlines()
        if p.strip()]
    chosen = pieces[0] if pieces else ''
    for piece in pieces:
        normalised = normalize_text(piece)
        if any(w in normalised for w in words):
            chosen = piece
            break
    if len(chosen) > size:
        chosen = chosen[:size - 1].rsplit(' ', 1)[0] + '…'
    return chosen
