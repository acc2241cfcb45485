# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"What the models attached to an antenna share about the user's antennas."
from trytond.model import fields
from trytond.model.modelstorage import is_leaf
from trytond.pool import Pool
from trytond.transaction import Transaction


def implied_leaves(domain):
    """Return the clauses (tuples) every record of domain meets: the
    domain if a clause, those of each member of an AND, those of the only
    member of an OR"""
    if is_leaf(domain):
        return [tuple(domain)]
    if not isinstance(domain, (list, tuple)) or not domain:
        return []
    operator = domain[0] if isinstance(domain[0], str) else 'AND'
    members = [d for d in domain if not isinstance(d, str)]
    if operator == 'AND':
        return [c for d in members for c in implied_leaves(d)]
    if len(members) == 1:
        return implied_leaves(members[0])
    return []


class InMyAntennasMixin:
    """A model with an antenna: in_my_antennas tells whether its antenna is
    one of the user's (the filter of the agents' lists)"""
    __slots__ = ()
    in_my_antennas = fields.Function(fields.Boolean("In My Antennas"),
        'get_in_my_antennas', searcher='search_in_my_antennas')

    def get_in_my_antennas(self, name):
        pool = Pool()
        User = pool.get('res.user')
        return bool(self.antenna
            and self.antenna.id in User.get_gru_antennas())

    @classmethod
    def search_in_my_antennas(cls, name, clause):
        pool = Pool()
        User = pool.get('res.user')
        _, operator, value = clause[:3]
        antennas = list(User.get_gru_antennas())
        if (operator == '=') == bool(value):
            return [('antenna', 'in', antennas)]
        return [('antenna', 'not in', antennas)]

    @classmethod
    def search(cls, domain, offset=0, limit=None, order=None, count=False,
            query=False):
        """Search without the filter in_my_antennas when the user's read
        rules already keep only the records of his antennas (an officer's
        lists): the same records, but the condition twice made PostgreSQL
        square its selectivity and choose a plan reading every open
        request of the antenna for the first page of the list"""
        if Transaction().check_access and cls._in_my_antennas_by_rule():
            domain = _without_in_my_antennas(domain)
        return super().search(domain, offset=offset, limit=limit,
            order=order, count=count, query=query)

    @classmethod
    def _in_my_antennas_by_rule(cls):
        "Tell whether the user's read rules keep his antennas' records only"
        pool = Pool()
        Rule = pool.get('ir.rule')
        User = pool.get('res.user')
        if 'antenna' not in cls._fields:
            return False
        antennas = set(User.get_gru_antennas())
        return any(c[0] == 'antenna' and c[1] == 'in'
            and isinstance(c[2], (list, tuple)) and set(c[2]) == antennas
            for c in implied_leaves(
                Rule.domain_get(cls.__name__, mode='read')))


def _without_in_my_antennas(domain):
    "Return domain with its clauses in_my_antennas = True made true ([])"
    if is_leaf(domain):
        name, operator, value = domain[:3]
        if name == 'in_my_antennas' and (
                (operator == '=' and value is True)
                or (operator == '!=' and value is False)):
            return []
        return domain
    if isinstance(domain, (list, tuple)):
        return [d if isinstance(d, str) else _without_in_my_antennas(d)
            for d in domain]
    return domain
