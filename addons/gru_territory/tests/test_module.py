# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import doctest
import os

from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

from gru_territory import tools
from gru_territory.etalab import default_data_path, import_territory
from gru_territory.exceptions import (
    ImportDataError, PlanCoverageError, RoutingInputError)

FIXTURE = os.path.join(os.path.dirname(__file__), 'data', 'etalab')


def setup_fixture_plan(start_date=dt.date(2022, 10, 3)):
    """Import the small fixture and approve a plan:
    CA Amiens Métropole -> AMI, CA du Saint-Quentinois -> STQ,
    CC du Val de l'Oise -> LAO, with 02300 shared by STQ and LAO communes"""
    pool = Pool()
    Antenna = pool.get('gru.antenna')
    Epci = pool.get('gru.epci')
    Plan = pool.get('gru.territory.plan')
    Configuration = pool.get('gru.territory.configuration')
    import_territory(path=FIXTURE)
    ami, stq, lao, sia = Antenna.create([
            {'code': 'AMI', 'name': "Antenne d'Amiens"},
            {'code': 'STQ', 'name': "Antenne de Saint-Quentin"},
            {'code': 'LAO', 'name': "Antenne de Laon"},
            {'code': 'SIA', 'name': "Service Information", 'kind': 'service'},
            ])
    config = Configuration(1)
    config.fallback_antenna = sia
    config.save()
    epci = {e.siren: e for e in Epci.search([])}
    plan, = Plan.create([{
                'name': "Plan 2022",
                'start_date': start_date,
                'epcis': [('create', [
                            {'epci': epci['248000531'].id, 'antenna': ami.id},
                            {'epci': epci['200071892'].id, 'antenna': stq.id},
                            {'epci': epci['240200477'].id, 'antenna': lao.id},
                            ])],
                }])
    Plan.approve([plan])
    return plan, (ami, stq, lao, sia)


class GruTerritoryTestCase(ModuleTestCase):
    "Test GRU Territory module"
    module = 'gru_territory'

    def test_doctest_tools(self):
        "Test the normalisation helpers"
        failures, _ = doctest.testmod(tools)
        self.assertEqual(failures, 0)

    @with_transaction()
    def test_api_key_route_scope(self):
        """The territory declares the routing scope of the API keys, the
        default of a new key; a key opens only its scopes"""
        pool = Pool()
        ApiKey = pool.get('gru.api.key')
        scopes = dict(ApiKey.fields_get(['scopes'])['scopes']['selection'])
        self.assertEqual(scopes, {'route': "Territory routing"})
        self.assertEqual(ApiKey.default_scopes(), ['route'])
        key = ApiKey.new_key()
        record = ApiKey(name="IVR")
        record.set_key(key)
        record.save()
        self.assertEqual(record.scopes, ('route',))
        self.assertEqual(ApiKey.check(key, 'route'), record)
        self.assertEqual(ApiKey.check(' %s ' % key, 'route'), record)
        self.assertIsNone(ApiKey.check(key, 'intake'))
        self.assertIsNone(ApiKey.check(key + 'x', 'route'))
        self.assertIsNone(ApiKey.check(None, 'route'))
        self.assertIsNone(ApiKey.check(['list'], 'route'))
        record.active = False
        record.save()
        self.assertIsNone(ApiKey.check(key, 'route'))

    def test_normalize_name(self):
        "Test names are compared without accents, case nor separators"
        self.assertEqual(
            tools.normalize_name("ST-QUENTIN"),
            tools.normalize_name("Saint Quentin"))
        self.assertEqual(
            tools.normalize_name("Château-Thierry"), 'chateau thierry')
        self.assertEqual(tools.normalize_name("L'Étoile"), 'l etoile')

    @with_transaction()
    def test_import_fixture(self):
        "Test import of the fixture creates then only updates"
        pool = Pool()
        Commune = pool.get('gru.commune')
        Epci = pool.get('gru.epci')
        PostalCode = pool.get('gru.postal_code')
        progress = []
        report = import_territory(
            path=FIXTURE, progress=lambda *a: progress.append(a))
        self.assertEqual(report['communes']['created'], 8)
        self.assertEqual(report['epci']['created'], 3)
        self.assertEqual(Commune.search([], count=True), 8)
        self.assertEqual(Epci.search([], count=True), 3)
        self.assertEqual(PostalCode.search([], count=True), 9)
        self.assertTrue(progress)
        # the delegated commune (type commune-deleguee) is not imported
        self.assertFalse(Commune.search([('insee_code', '=', '02999')]))
        # the EPCI member outside the region is counted, not imported
        epci, = Epci.search([('siren', '=', '240200477')])
        self.assertEqual(epci.outside_communes, 1)
        self.assertEqual(epci.commune_count, 2)
        self.assertEqual(epci.population, 1000 + 350)
        amiens, = Commune.search([('insee_code', '=', '80021')])
        self.assertEqual(
            sorted(p.code for p in amiens.postal_codes),
            ['80000', '80080', '80090'])
        self.assertEqual(amiens.name_key, 'amiens')

        # a re-run changes nothing
        report = import_territory(path=FIXTURE)
        self.assertEqual(report['communes'], {
                'created': 0, 'updated': 0, 'deactivated': 0,
                'unchanged': 8})
        self.assertEqual(report['epci']['unchanged'], 3)
        self.assertEqual(Commune.search([], count=True), 8)

        # an edited record is set back and counted as updated
        Commune.write([amiens], {'population': 1, 'name': "Amiens X"})
        report = import_territory(path=FIXTURE)
        self.assertEqual(report['communes']['updated'], 1)
        self.assertEqual(amiens.population, 133625)
        self.assertEqual(amiens.name, "Amiens")

    @with_transaction()
    def test_import_missing_file(self):
        "Test import from a missing folder gives a clear error"
        with self.assertRaisesRegex(ImportDataError, 'missing'):
            import_territory(path='/nonexistent')

    @with_transaction()
    def test_routing(self):
        "Test resolution of postal codes, INSEE codes and names"
        pool = Pool()
        Routing = pool.get('gru.territory.routing')
        plan, (ami, stq, lao, sia) = setup_fixture_plan()
        date = dt.date(2023, 1, 1)

        result = Routing.resolve(postal_code='80000', date=date)
        self.assertEqual(result['status'], 'found')
        self.assertEqual(result['antenna']['code'], 'AMI')
        self.assertFalse(result['ambiguous'])
        self.assertIn("Amiens", result['explanation'])
        self.assertEqual(result['plan']['id'], plan.id)

        # a 4-digit Aisne code gets its leading zero back
        for value in ['02100', '2100', ' 02 100 ']:
            result = Routing.resolve(postal_code=value, date=date)
            self.assertEqual(result['antenna']['code'], 'STQ', value)
            self.assertEqual(result['query']['postal_code'], '02100')

        # names without accents nor case, INSEE codes
        result = Routing.resolve(commune="st-quentin", date=date)
        self.assertEqual(result['antenna']['code'], 'STQ')
        result = Routing.resolve(insee_code='2691', date=date)
        self.assertEqual(result['antenna']['code'], 'STQ')

        # a code shared by communes of two antennas is ambiguous
        result = Routing.resolve(postal_code='02300', date=date)
        self.assertEqual(result['status'], 'ambiguous')
        self.assertTrue(result['ambiguous'])
        self.assertEqual(
            {c['antenna'] for c in result['candidates']}, {'STQ', 'LAO'})
        # default: the antenna of the most populated candidate
        self.assertEqual(result['candidates'][0]['commune'], "Chauny")
        self.assertEqual(result['antenna']['code'], 'STQ')
        # the commune name settles it
        result = Routing.resolve(
            postal_code='02300', commune="VIRY NOUREUIL", date=date)
        self.assertEqual(result['status'], 'found')
        self.assertEqual(result['antenna']['code'], 'LAO')

        # outside the region and unknown codes go to the fallback service
        result = Routing.resolve(postal_code='75001', date=date)
        self.assertEqual(result['status'], 'out_of_region')
        self.assertTrue(result['fallback'])
        self.assertEqual(result['antenna']['code'], 'SIA')
        result = Routing.resolve(postal_code='59999', date=date)
        self.assertEqual(result['status'], 'unknown')
        self.assertEqual(result['antenna']['code'], 'SIA')
        result = Routing.resolve(commune="Atlantis", date=date)
        self.assertEqual(result['status'], 'unknown')

        # before the plan: no plan in force, fallback
        result = Routing.resolve(postal_code='80000', date=dt.date(2020, 1, 1))
        self.assertEqual(result['status'], 'no_plan')
        self.assertEqual(result['antenna']['code'], 'SIA')

        # malformed input is an error naming the value
        for kwargs in [
                {'postal_code': '8000A'},
                {'postal_code': '123'},
                {'insee_code': 'ABCDE'},
                {'commune': '---'},
                {},
                {'postal_code': '80000', 'date': '2023-13-45'},
                ]:
            with self.assertRaises(RoutingInputError, msg=kwargs):
                Routing.resolve(**kwargs)

    @with_transaction()
    def test_routing_follows_plan_in_force(self):
        "Test a later plan changes the routing from its start date"
        pool = Pool()
        Routing = pool.get('gru.territory.routing')
        Plan = pool.get('gru.territory.plan')
        PlanEpci = pool.get('gru.territory.plan.epci')
        plan, (ami, stq, lao, sia) = setup_fixture_plan()
        new, = Plan.copy([plan], {
                'name': "Plan 2024", 'start_date': dt.date(2024, 1, 1)})
        line, = [l for l in new.epcis if l.antenna == lao]
        PlanEpci.write([line], {'antenna': stq.id})
        Plan.approve([new])
        before = Routing.resolve(
            postal_code='02300', date=dt.date(2023, 12, 31))
        after = Routing.resolve(postal_code='02300', date=dt.date(2024, 1, 1))
        self.assertEqual(before['status'], 'ambiguous')
        self.assertEqual(after['status'], 'found')
        self.assertEqual(after['plan']['name'], "Plan 2024")

    @with_transaction()
    def test_plan_exception_and_figures(self):
        "Test commune exceptions and the antenna figures"
        pool = Pool()
        Routing = pool.get('gru.territory.routing')
        Plan = pool.get('gru.territory.plan')
        Commune = pool.get('gru.commune')
        Antenna = pool.get('gru.antenna')
        plan, (ami, stq, lao, sia) = setup_fixture_plan()
        Plan.draft([plan])
        viry, = Commune.search([('insee_code', '=', '02807')])
        Plan.write([plan], {'exceptions': [('create', [{
                            'commune': viry.id, 'antenna': stq.id,
                            'reason': "closer to Saint-Quentin"}])]})
        Plan.approve([plan])
        result = Routing.resolve(postal_code='02300')
        self.assertEqual(result['status'], 'found')
        self.assertEqual(result['antenna']['code'], 'STQ')

        stq = Antenna(stq.id)
        self.assertEqual(stq.plan, plan)
        self.assertEqual(stq.commune_count, 4)
        self.assertEqual(stq.population, 53000 + 11500 + 5400 + 1000)
        self.assertEqual(stq.postal_codes_served, '02100, 02300, 02430')
        lao = Antenna(lao.id)
        self.assertEqual(lao.commune_count, 1)

    @with_transaction()
    def test_plan_approve_uncovered(self):
        "Test a plan leaving communes without antenna cannot be approved"
        pool = Pool()
        Plan = pool.get('gru.territory.plan')
        plan, _ = setup_fixture_plan()
        Plan.draft([plan])
        Plan.write([plan], {'epcis': [('delete', [plan.epcis[0].id])]})
        self.assertTrue(plan.uncovered_count)
        with self.assertRaises(PlanCoverageError):
            Plan.approve([plan])

    @with_transaction()
    def test_import_real_data(self):
        "Test the import of the official package: the region's counts"
        pool = Pool()
        Commune = pool.get('gru.commune')
        Epci = pool.get('gru.epci')
        PostalCode = pool.get('gru.postal_code')
        path = default_data_path()
        self.assertTrue(os.path.isdir(path),
            "run scripts/setup to install the territory data in %s" % path)
        report = import_territory(path=path)
        self.assertEqual(report['errors'], [])
        self.assertEqual(Commune.search([], count=True), 3782)
        self.assertEqual(Epci.search([], count=True), 92)
        self.assertEqual(
            Epci.search([('outside_communes', '>', 0)], count=True), 2)
        self.assertEqual(PostalCode.search([], count=True), 647)
        self.assertEqual(
            set(c.department for c in Commune.search([])),
            {'02', '59', '60', '62', '80'})
        self.assertLess(report['duration'], 60)
        report = import_territory(path=path)
        self.assertEqual(report['communes']['unchanged'], 3782)
        self.assertEqual(report['communes']['created'], 0)


del ModuleTestCase
