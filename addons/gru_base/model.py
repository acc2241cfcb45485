# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.transaction import Transaction, check_access


class ExportAccessMixin:
    """Check the record rules in SQL before an export.

    trytond's export_data evaluates the rules in Python on each row, which
    lets through the rules reached by ``__access__`` (a 'where' clause) or
    by a dotted field: read the records first, as the user, to apply
    them (and the resource checks of attachments and notes)."""
    __slots__ = ()

    @classmethod
    def export_data(cls, records, fields_names, header=False):
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            cls.read([r.id for r in records], ['id'])
        return super().export_data(records, fields_names, header=header)


def check_targets(records, field_names, values=None):
    """Refuse, for a user, records pointing through field_names at records he
    may not read: a rule that follows the target (a usager seen through his
    requests) must not be widened by linking to someone else's record.
    values: the written values (write), else the records' own (create)."""
    # called from check_modification, which trytond runs without access
    # checks: the caller tells whether the change is external
    if not Transaction().user or not records:
        return
    Model = records[0].__class__
    targets = {}
    for name in field_names:
        Target = Model._fields[name].get_target()
        if values is not None:
            ids = {values[name]} if values.get(name) else set()
        else:
            ids = {getattr(r, name).id for r in records
                if getattr(r, name, None) is not None}
        ids = {i for i in ids if i is not None and i >= 0}
        if ids:
            targets.setdefault(Target, set()).update(ids)
    with check_access():
        for Target, ids in targets.items():
            Target.read(list(ids), ['id'])
