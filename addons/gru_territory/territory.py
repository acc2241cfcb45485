# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Reference data: communes, EPCI (intercommunalities) and postal codes."
from sql import Literal
from sql.aggregate import Count, Sum

from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

from .tools import normalize_name

EPCI_TYPES = [
    ('CA', "Communauté d'agglomération"),
    ('CC', "Communauté de communes"),
    ('CU', "Communauté urbaine"),
    ('METRO', "Métropole"),
    ]


class PostalCode(ModelSQL, ModelView):
    "Postal Code"
    __string__ = "Postal Code"
    __name__ = 'gru.postal_code'
    _rec_name = 'code'

    code = fields.Char("Code", required=True, size=5)
    communes = fields.Many2Many(
        'gru.commune-gru.postal_code', 'postal_code', 'commune',
        "Communes", readonly=True)
    commune_count = fields.Function(
        fields.Integer("Communes"), 'get_commune_count')
    active = fields.Boolean("Active")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_unique', Unique(t, t.code),
                'gru_territory.msg_postal_code_unique'),
            ]
        cls._order = [('code', 'ASC'), ('id', 'ASC')]

    @staticmethod
    def default_active():
        return True

    @classmethod
    def get_commune_count(cls, codes, name):
        pool = Pool()
        Rel = pool.get('gru.commune-gru.postal_code')
        rel = Rel.__table__()
        cursor = Transaction().connection.cursor()
        result = {c.id: 0 for c in codes}
        cursor.execute(*rel.select(rel.postal_code, Count(rel.id),
                where=rel.postal_code.in_(list(result)),
                group_by=[rel.postal_code]))
        result.update(cursor)
        return result


class Epci(ModelSQL, ModelView):
    "EPCI"
    __string__ = "EPCI"
    __name__ = 'gru.epci'

    siren = fields.Char("SIREN", required=True, size=9)
    name = fields.Char("Name", required=True)
    type = fields.Selection(EPCI_TYPES, "Type", required=True)
    communes = fields.One2Many(
        'gru.commune', 'epci', "Communes", readonly=True,
        help="The member communes in the region.")
    outside_communes = fields.Integer("Communes outside the Region",
        readonly=True,
        help="Member communes located outside the region (interregional "
        "EPCI): they are not imported.")
    commune_count = fields.Function(
        fields.Integer("Communes"), 'get_figures')
    population = fields.Function(
        fields.Integer("Population"), 'get_figures')
    active = fields.Boolean("Active")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('siren_unique', Unique(t, t.siren),
                'gru_territory.msg_epci_siren_unique'),
            ]
        cls._order = [('name', 'ASC'), ('id', 'ASC')]

    @staticmethod
    def default_active():
        return True

    @staticmethod
    def default_outside_communes():
        return 0

    def get_rec_name(self, name):
        return self.name

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        bool_op = 'AND' if operator.startswith('!') else 'OR'
        return [bool_op,
            ('name', operator, value),
            ('siren', operator, value),
            ]

    @classmethod
    def get_figures(cls, epcis, names):
        pool = Pool()
        Commune = pool.get('gru.commune')
        commune = Commune.__table__()
        cursor = Transaction().connection.cursor()
        ids = [e.id for e in epcis]
        result = {n: {i: 0 for i in ids} for n in names}
        cursor.execute(*commune.select(
                commune.epci, Count(commune.id), Sum(commune.population),
                where=commune.epci.in_(ids)
                & (commune.active == Literal(True)),
                group_by=[commune.epci]))
        for epci, count, population in cursor:
            if 'commune_count' in result:
                result['commune_count'][epci] = count
            if 'population' in result:
                result['population'][epci] = int(population or 0)
        return result


class Commune(ModelSQL, ModelView):
    "Commune"
    __string__ = "Commune"
    __name__ = 'gru.commune'

    insee_code = fields.Char("INSEE Code", required=True, size=5)
    name = fields.Char("Name", required=True)
    name_key = fields.Char("Name Key", readonly=True,
        help="The name without accents nor case, used to search.")
    department = fields.Char("Department", size=3, required=True)
    epci = fields.Many2One('gru.epci', "EPCI", ondelete='RESTRICT')
    population = fields.Integer("Population",
        help="Population municipale (INSEE) as published in the official "
        "territory data.")
    postal_codes = fields.Many2Many(
        'gru.commune-gru.postal_code', 'commune', 'postal_code',
        "Postal Codes")
    postal_code_list = fields.Function(
        fields.Char("Postal Codes"), 'get_postal_code_list')
    active = fields.Boolean("Active")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('insee_code_unique', Unique(t, t.insee_code),
                'gru_territory.msg_commune_insee_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.name_key, Index.Equality())),
                Index(t, (t.epci, Index.Equality())),
                })
        cls._order = [
            ('name', 'ASC'), ('insee_code', 'ASC'), ('id', 'ASC')]

    @staticmethod
    def default_active():
        return True

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if 'name' in values:
            values['name_key'] = normalize_name(values['name'])
        return values

    def get_rec_name(self, name):
        return '%s (%s)' % (self.name, self.insee_code)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        bool_op = 'AND' if operator.startswith('!') else 'OR'
        domain = [bool_op,
            ('name', operator, value),
            ('insee_code', operator, value),
            ]
        if isinstance(value, str) and operator in {'ilike', 'like', '='}:
            key = normalize_name(value.strip('%'))
            if key:
                domain.append(('name_key', 'ilike', '%' + key + '%'))
        return domain

    def get_postal_code_list(self, name):
        return ', '.join(sorted(p.code for p in self.postal_codes))

    @classmethod
    def on_modification(cls, mode, communes, field_names=None):
        super().on_modification(mode, communes, field_names=field_names)
        Pool().get('gru.territory.routing').clear_cache()


class CommunePostalCode(ModelSQL):
    "Commune - Postal Code"
    __string__ = "Commune - Postal Code"
    __name__ = 'gru.commune-gru.postal_code'

    commune = fields.Many2One(
        'gru.commune', "Commune", required=True, ondelete='CASCADE')
    postal_code = fields.Many2One(
        'gru.postal_code', "Postal Code", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('commune_postal_code_unique',
                Unique(t, t.commune, t.postal_code),
                'gru_territory.msg_commune_postal_code_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.postal_code, Index.Equality())),
                })

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        Pool().get('gru.territory.routing').clear_cache()
