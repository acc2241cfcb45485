# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Helpers of the GDPR tests of the modules: what the database and the file
store still hold of a usager, read directly (SQL and files), not through
the ORM that could hide it."""
from sql import Column, Null

from trytond.filestore import filestore
from trytond.model import fields
from trytond.pool import Pool
from trytond.transaction import Transaction


def text_hits(models, needles):
    """Return [(model, column, id, needle)] of the text columns (Char,
    Text, Dict) and the binary columns kept in the table of models holding
    one of needles (case ignored)"""
    pool = Pool()
    cursor = Transaction().connection.cursor()
    needles = [n.lower() for n in needles]
    hits = []
    for model in models:
        Model = pool.get(model)
        table = Model.__table__()
        columns = [name for name, field in Model._fields.items()
            if isinstance(field, (fields.Char, fields.Text, fields.Dict))
            and not isinstance(field, fields.Function)]
        binaries = [name for name, field in Model._fields.items()
            if isinstance(field, fields.Binary)
            and not isinstance(field, fields.Function)]
        names = columns + binaries
        if not names:
            continue
        cursor.execute(*table.select(table.id,
                *[Column(table, n) for n in names]))
        for row in cursor:
            for name, value in zip(names, row[1:]):
                if value is None:
                    continue
                if isinstance(value, (bytes, bytearray, memoryview)):
                    value = bytes(value).decode('utf-8', 'replace')
                value = str(value).lower()
                for needle in needles:
                    if needle in value:
                        hits.append((model, name, row[0], needle))
    return hits


def stored_files(models):
    """Return {(model, field, id): (prefix, file id)} of the files of the
    file store referenced by the records of models"""
    pool = Pool()
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    result = {}
    for model in models:
        Model = pool.get(model)
        table = Model.__table__()
        for name, field in Model._fields.items():
            if not (isinstance(field, fields.Binary)
                    and getattr(field, 'file_id', None)):
                continue
            prefix = field.store_prefix
            if prefix is None:
                prefix = transaction.database.name
            column = Column(table, field.file_id)
            cursor.execute(*table.select(table.id, column,
                    where=(column != Null) & (column != '')))
            for id_, file_id in cursor:
                result[(model, name, id_)] = (prefix, file_id)
    return result


def file_content(prefix, file_id):
    "Return the content of the file or None when it is not in the store"
    try:
        return filestore.get(file_id, prefix=prefix)
    except (FileNotFoundError, OSError):
        return None


def file_hits(files, needles):
    "Return the keys of files whose content holds one of needles"
    hits = []
    for key, (prefix, file_id) in files.items():
        data = file_content(prefix, file_id)
        if data is None:
            continue
        text = data.decode('utf-8', 'replace').lower()
        if any(n.lower() in text for n in needles):
            hits.append(key)
    return hits
