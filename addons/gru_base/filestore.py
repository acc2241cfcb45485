# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The files of trytond's file store that no record references any more.

A ``fields.Binary`` with a ``file_id`` keeps its content in the file store
(``[database] path``/<prefix>/<id[0:2]>/<id[2:4]>/<id>, the prefix being
the field's ``store_prefix`` or the database name) and the file id in a
column. Deleting a record by SQL (``party.erase`` deletes the attachments
of the erased records so) or clearing the column leaves the file behind:
these helpers find and delete such files."""
import datetime as dt
import logging
import os
import time
from collections import defaultdict

from sql import Column, Null

from trytond.filestore import filestore
from trytond.model import ModelSQL, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

logger = logging.getLogger(__name__)

# A file younger than this may belong to a transaction not yet committed
DEFAULT_MIN_AGE = dt.timedelta(hours=24)


def _prefix(field):
    prefix = field.store_prefix
    if prefix is None:
        prefix = Transaction().database.name
    return prefix


def file_fields():
    """Yield (Model, field name, field) for every stored Binary field of the
    pool whose content is kept in the file store"""
    pool = Pool()
    for _, Model in pool.iterobject():
        if not issubclass(Model, ModelSQL) or Model._is_table_query():
            continue
        for name, field in Model._fields.items():
            if (isinstance(field, fields.Binary)
                    and getattr(field, 'file_id', None)):
                yield Model, name, field


def referenced_files():
    """Return {prefix: set of file ids} referenced by a row of any table
    (history tables included)"""
    cursor = Transaction().connection.cursor()
    referenced = defaultdict(set)
    seen = set()
    for Model, _, field in file_fields():
        tables = [Model.__table__()]
        if Model._history:
            tables.append(Model.__table_history__())
        prefix = _prefix(field)
        for table in tables:
            key = (str(table), field.file_id, prefix)
            if key in seen:
                continue
            seen.add(key)
            column = Column(table, field.file_id)
            cursor.execute(*table.select(column,
                    where=(column != Null) & (column != ''),
                    group_by=[column]))
            referenced[prefix].update(r for r, in cursor)
    return referenced


def stored_files(prefix, min_age=None):
    """Yield the ids of the files stored under prefix, older than min_age
    (a timedelta) when given.
    Only trytond's file system store is listed."""
    root = os.path.join(filestore.path, prefix)
    if not os.path.isdir(root):
        return
    limit = time.time() - min_age.total_seconds() if min_age else None
    for first in sorted(os.listdir(root)):
        level1 = os.path.join(root, first)
        if len(first) != 2 or not os.path.isdir(level1):
            continue
        for second in sorted(os.listdir(level1)):
            level2 = os.path.join(level1, second)
            if len(second) != 2 or not os.path.isdir(level2):
                continue
            for name in sorted(os.listdir(level2)):
                path = os.path.join(level2, name)
                # trytond keeps the files of the old ids without a dash
                if (name[0:2] != first or name[2:4] != second
                        or '-' not in name or not os.path.isfile(path)):
                    continue
                if limit is not None and os.path.getmtime(path) > limit:
                    continue
                yield name


def _prefixes():
    prefixes = {Transaction().database.name}
    prefixes.update(_prefix(f) for _, _, f in file_fields())
    return prefixes


def purge_orphan_files(dry_run=False, min_age=DEFAULT_MIN_AGE):
    """Delete from the file store the files that no row references.

    Files younger than min_age (a timedelta, None for all) are kept: they
    may belong to a transaction not yet committed.
    Return the sorted list of (prefix, file id) removed, or that would be
    removed with dry_run."""
    referenced = referenced_files()
    orphans = []
    for prefix in sorted(_prefixes()):
        for file_id in stored_files(prefix, min_age=min_age):
            if file_id not in referenced.get(prefix, ()):
                orphans.append((prefix, file_id))
    orphans.sort()
    if not dry_run:
        _delete(orphans)
    return orphans


def delete_unreferenced(files):
    """Delete the files, given as {prefix: file ids}, that no row references
    any more; return the sorted list of (prefix, file id) removed.
    A process that cleared or deleted rows holding files (an erasure) calls
    it with the files it saw before: files added meanwhile by others are
    never touched."""
    referenced = referenced_files()
    orphans = sorted((prefix, file_id)
        for prefix, ids in files.items()
        for file_id in ids
        if file_id not in referenced.get(prefix, ()))
    _delete(orphans)
    return orphans


def _delete(files):
    by_prefix = defaultdict(list)
    for prefix, file_id in files:
        by_prefix[prefix].append(file_id)
    for prefix, ids in by_prefix.items():
        logger.info("remove %d files from the store at %r", len(ids), prefix)
        filestore.delete_many(ids, prefix=prefix)
