# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Routing service: which antenna serves a postal code, a commune or an INSEE
code at a given date."""
import datetime as dt
from bisect import bisect_right
from collections import defaultdict

from sql import Literal

from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import Model, ModelSingleton, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.wizard import Button, StateView, Wizard

from .exceptions import RoutingInputError
from .tools import (
    REGION_DEPARTMENTS, normalize_insee_code, normalize_name,
    normalize_postal_code)


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Territory Configuration"
    __string__ = "Territory Configuration"
    __name__ = 'gru.territory.configuration'

    fallback_antenna = fields.Many2One('gru.antenna', "Fallback Service",
        help="Who answers contacts from outside the region, unknown places "
        "or communes no antenna serves (the central information service).")

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        Pool().get('gru.territory.routing').clear_cache()


class RoutingTable:
    "In-memory index of one territorial plan, rebuilt when data changes"
    __slots__ = ('plan_id', 'plan_name', 'communes', 'antennas', 'postal',
        'insee', 'names', 'fallback', 'by_antenna')

    def __init__(self, plan_id, plan_name, fallback):
        self.plan_id = plan_id
        self.plan_name = plan_name
        self.fallback = fallback
        # commune id: (insee, name, population, antenna id, postal codes)
        self.communes = {}
        # antenna id: {'id', 'code', 'name', 'phone', 'email'}
        self.antennas = {}
        self.postal = defaultdict(list)
        self.insee = {}
        self.names = defaultdict(list)
        self.by_antenna = defaultdict(list)

    def antenna_figures(self, antenna_id):
        communes = self.by_antenna.get(antenna_id, [])
        postal_codes = sorted({p for c in communes
                for p in self.communes[c][4]})
        return {
            'communes': communes,
            'population': sum(self.communes[c][2] for c in communes),
            'postal_codes': postal_codes,
            }


class Routing(Model):
    "Territory Routing"
    __string__ = "Territory Routing"
    __name__ = 'gru.territory.routing'

    _table_cache = Cache('gru.territory.routing', context=False)

    @classmethod
    def clear_cache(cls):
        cls._table_cache.clear()

    @classmethod
    def _plans(cls):
        "Return the sorted list of (start date, id) of approved plans"
        plans = cls._table_cache.get('plans')
        if plans is None:
            pool = Pool()
            Plan = pool.get('gru.territory.plan')
            plan = Plan.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*plan.select(plan.start_date, plan.id,
                    where=plan.state == 'approved',
                    order_by=[plan.start_date.asc, plan.id.asc]))
            plans = [(d if isinstance(d, dt.date)
                    else dt.date.fromisoformat(d), i) for d, i in cursor]
            cls._table_cache.set('plans', plans)
        return plans

    @classmethod
    def plan_at(cls, date=None):
        "Return the id of the approved plan in force at date or None"
        if date is None:
            date = Pool().get('ir.date').today()
        plans = cls._plans()
        index = bisect_right(plans, (date, float('inf')))
        if not index:
            return None
        return plans[index - 1][1]

    @classmethod
    def get_table(cls, date=None, plan=None):
        "Return the RoutingTable of plan or of the plan in force at date"
        plan_id = plan if plan is not None else cls.plan_at(date)
        if plan_id is None:
            return None
        table = cls._table_cache.get(('table', plan_id))
        if table is None:
            table = cls._build_table(plan_id)
            table = cls._table_cache.set(('table', plan_id), table)
        return table

    @classmethod
    def _build_table(cls, plan_id):
        pool = Pool()
        Plan = pool.get('gru.territory.plan')
        Commune = pool.get('gru.commune')
        Rel = pool.get('gru.commune-gru.postal_code')
        PostalCode = pool.get('gru.postal_code')
        Antenna = pool.get('gru.antenna')
        PlanEpci = pool.get('gru.territory.plan.epci')
        PlanException = pool.get('gru.territory.plan.exception')
        Configuration = pool.get('gru.territory.configuration')
        cursor = Transaction().connection.cursor()

        plan = Plan(plan_id)
        config = Configuration(1)
        table = RoutingTable(plan.id, plan.name, None)

        antenna = Antenna.__table__()
        cursor.execute(*antenna.select(antenna.id, antenna.code,
                antenna.name, antenna.phone, antenna.email))
        for id_, code, name, phone, email in cursor:
            table.antennas[id_] = {
                'id': id_, 'code': code, 'name': name,
                'phone': phone, 'email': email,
                }
        if config.fallback_antenna:
            table.fallback = config.fallback_antenna.id

        line = PlanEpci.__table__()
        cursor.execute(*line.select(line.epci, line.antenna,
                where=line.plan == plan_id))
        epci2antenna = dict(cursor)
        exception = PlanException.__table__()
        cursor.execute(*exception.select(exception.commune, exception.antenna,
                where=exception.plan == plan_id))
        commune2antenna = dict(cursor)

        postal_code = PostalCode.__table__()
        rel = Rel.__table__()
        cursor.execute(*rel.join(postal_code,
                condition=rel.postal_code == postal_code.id
                ).select(rel.commune, postal_code.code))
        commune_codes = defaultdict(list)
        for commune_id, code in cursor:
            commune_codes[commune_id].append(code)

        commune = Commune.__table__()
        cursor.execute(*commune.select(commune.id, commune.insee_code,
                commune.name, commune.population, commune.epci,
                where=commune.active == Literal(True)))
        for id_, insee, name, population, epci in cursor:
            antenna_id = commune2antenna.get(id_, epci2antenna.get(epci))
            codes = tuple(sorted(commune_codes.get(id_, ())))
            table.communes[id_] = (
                insee, name, population or 0, antenna_id, codes)
            table.insee[insee] = id_
            table.names[normalize_name(name)].append(id_)
            for code in codes:
                table.postal[code].append(id_)
            if antenna_id:
                table.by_antenna[antenna_id].append(id_)
        table.postal = dict(table.postal)
        table.names = dict(table.names)
        table.by_antenna = dict(table.by_antenna)
        return table

    @classmethod
    def resolve(cls, postal_code=None, insee_code=None, commune=None,
            date=None):
        """Return the antenna serving the place at date (today by default).

        The place is given by postal_code, insee_code or commune (a name);
        a commune name can narrow a postal code shared by several communes.
        The result is a dict:
        - status: 'found', 'ambiguous', 'out_of_region', 'unknown',
          'uncovered' or 'no_plan';
        - ambiguous: True when the candidates are served by different
          antennas (ask for the commune); antenna is then the default: the
          antenna of the most populated candidate commune;
        - antenna: {'id', 'code', 'name', 'phone', 'email'}; the fallback
          service when the place cannot be routed (fallback is True);
        - candidates: the communes considered with their antenna;
        - plan, date, query and a human explanation.
        Malformed input raises RoutingInputError; any well-formed input
        gets an answer.
        """
        query = {}
        code = None
        if postal_code not in (None, ''):
            code = normalize_postal_code(postal_code)
            if code is None:
                raise RoutingInputError(gettext(
                        'gru_territory.msg_routing_postal_code_malformed',
                        value=postal_code))
            query['postal_code'] = code
        insee = None
        if insee_code not in (None, ''):
            insee = normalize_insee_code(insee_code)
            if insee is None:
                raise RoutingInputError(gettext(
                        'gru_territory.msg_routing_insee_code_malformed',
                        value=insee_code))
            query['insee_code'] = insee
        name_key = None
        if commune not in (None, ''):
            if not isinstance(commune, str) or len(commune) > 100:
                raise RoutingInputError(gettext(
                        'gru_territory.msg_routing_commune_malformed'))
            name_key = normalize_name(commune)
            if not name_key:
                raise RoutingInputError(gettext(
                        'gru_territory.msg_routing_commune_malformed'))
            query['commune'] = commune
        if not query:
            raise RoutingInputError(gettext(
                    'gru_territory.msg_routing_no_input'))
        if date is None:
            date = Pool().get('ir.date').today()
        elif isinstance(date, str):
            try:
                date = dt.date.fromisoformat(date)
            except ValueError:
                raise RoutingInputError(gettext(
                        'gru_territory.msg_routing_date_malformed',
                        value=date))

        table = cls.get_table(date=date)
        result = {
            'query': query,
            'date': date.isoformat(),
            'status': None,
            'ambiguous': False,
            'fallback': False,
            'antenna': None,
            'candidates': [],
            'plan': None,
            'explanation': '',
            }
        if table is None:
            return cls._fallback(result, None, 'no_plan', gettext(
                    'gru_territory.msg_routing_no_plan',
                    date=date.isoformat()))
        result['plan'] = {'id': table.plan_id, 'name': table.plan_name}

        if insee:
            ids = [table.insee[insee]] if insee in table.insee else []
            label = insee
        elif code:
            ids = table.postal.get(code, [])
            label = code
            if ids and name_key:
                narrowed = [i for i in ids
                    if normalize_name(table.communes[i][1]) == name_key]
                if narrowed:
                    ids = narrowed
                    label = '%s %s' % (code, commune)
        else:
            ids = table.names.get(name_key, [])
            label = commune
        if not ids:
            department = (insee or code or '')[:2]
            if (insee or code) and department not in REGION_DEPARTMENTS:
                return cls._fallback(result, table, 'out_of_region', gettext(
                        'gru_territory.msg_routing_out_of_region',
                        value=label))
            return cls._fallback(result, table, 'unknown', gettext(
                    'gru_territory.msg_routing_unknown', value=label))

        candidates = []
        for id_ in ids:
            insee_, name, population, antenna_id, codes = table.communes[id_]
            candidates.append({
                    'insee_code': insee_,
                    'commune': name,
                    'population': population,
                    'postal_codes': list(codes),
                    'antenna': (table.antennas[antenna_id]['code']
                        if antenna_id else None),
                    })
        candidates.sort(key=lambda c: (-c['population'], c['insee_code']))
        result['candidates'] = candidates
        codes = {c['antenna'] for c in candidates}
        if None in codes and len(codes) == 1:
            return cls._fallback(result, table, 'uncovered', gettext(
                    'gru_territory.msg_routing_uncovered', value=label,
                    plan=table.plan_name))
        by_code = {a['code']: a for a in table.antennas.values()}
        best = next(c for c in candidates if c['antenna'])
        result['antenna'] = dict(by_code[best['antenna']])
        if len(codes - {None}) == 1 and None not in codes:
            result['status'] = 'found'
            if len(candidates) == 1:
                result['explanation'] = gettext(
                    'gru_territory.msg_routing_found',
                    value=label, commune=best['commune'],
                    antenna=result['antenna']['name'],
                    plan=table.plan_name)
            else:
                result['explanation'] = gettext(
                    'gru_territory.msg_routing_found_shared',
                    value=label, count=len(candidates),
                    antenna=result['antenna']['name'],
                    plan=table.plan_name)
        else:
            result['status'] = 'ambiguous'
            result['ambiguous'] = True
            result['explanation'] = gettext(
                'gru_territory.msg_routing_ambiguous',
                value=label,
                antennas=', '.join(sorted(c for c in codes if c)),
                commune=best['commune'],
                antenna=result['antenna']['name'])
        return result

    @classmethod
    def _fallback(cls, result, table, status, explanation):
        result['status'] = status
        result['fallback'] = True
        result['explanation'] = explanation
        if table is not None and table.fallback:
            result['antenna'] = dict(table.antennas[table.fallback])
        elif table is None:
            pool = Pool()
            Configuration = pool.get('gru.territory.configuration')
            fallback = Configuration(1).fallback_antenna
            if fallback:
                result['antenna'] = {
                    'id': fallback.id, 'code': fallback.code,
                    'name': fallback.name, 'phone': fallback.phone,
                    'email': fallback.email,
                    }
        return result

    @classmethod
    def antenna_of(cls, postal_code=None, insee_code=None, commune=None,
            date=None):
        """Return the gru.antenna routed for the place or None, never
        raising: for callers that only want a best guess."""
        pool = Pool()
        Antenna = pool.get('gru.antenna')
        try:
            result = cls.resolve(postal_code=postal_code,
                insee_code=insee_code, commune=commune, date=date)
        except RoutingInputError:
            return None
        if result['antenna']:
            return Antenna(result['antenna']['id'])
        return None


class RouteTestStart(ModelView):
    "Try Routing"
    __string__ = "Try Routing"
    __name__ = 'gru.territory.route.test.start'

    postal_code = fields.Char("Postal Code")
    commune = fields.Char("Commune")
    insee_code = fields.Char("INSEE Code")
    date = fields.Date("Date", required=True)
    status = fields.Char("Status", readonly=True)
    antenna = fields.Many2One('gru.antenna', "Antenna", readonly=True)
    explanation = fields.Text("Explanation", readonly=True)
    candidates = fields.Text("Candidates", readonly=True)

    @staticmethod
    def default_date():
        return Pool().get('ir.date').today()

    @fields.depends('postal_code', 'commune', 'insee_code', 'date')
    def on_change_postal_code(self):
        pool = Pool()
        Routing = pool.get('gru.territory.routing')
        Antenna = pool.get('gru.antenna')
        self.status = self.antenna = self.candidates = None
        self.explanation = None
        if not (self.postal_code or self.commune or self.insee_code):
            return
        try:
            result = Routing.resolve(postal_code=self.postal_code,
                insee_code=self.insee_code, commune=self.commune,
                date=self.date)
        except RoutingInputError as exception:
            self.status = 'error'
            self.explanation = exception.message
            return
        self.status = result['status']
        self.antenna = (Antenna(result['antenna']['id'])
            if result['antenna'] else None)
        self.explanation = result['explanation']
        self.candidates = '\n'.join('%s %s (%s) → %s' % (
                    c['insee_code'], c['commune'],
                    ', '.join(c['postal_codes']), c['antenna'] or '-')
            for c in result['candidates'])

    on_change_commune = on_change_postal_code
    on_change_insee_code = on_change_postal_code
    on_change_date = on_change_postal_code


class RouteTest(Wizard):
    "Try Routing"
    __string__ = "Try Routing"
    __name__ = 'gru.territory.route.test'
    start = StateView('gru.territory.route.test.start',
        'gru_territory.route_test_start_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])
