# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The perimeter planner on a small region: the figures of a scenario
(population, communes, expected contacts measured or estimated, FTE,
contacts per FTE before and after), the proposal of a balanced assignment
over the contours' adjacency, the saving as a draft territorial plan and
the errors a user can act on."""
import datetime as dt
import unittest
from decimal import Decimal

from trytond.exceptions import UserError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from gru_perimeter import geometry
from gru_perimeter.balance import components

SIZE = 10000  # metres: the side of a commune's square


def square(x, y):
    "The polygons of the square of the grid cell (x, y)"
    x0, y0 = x * SIZE, y * SIZE
    ring = [(x0, y0), (x0 + SIZE, y0), (x0 + SIZE, y0 + SIZE),
        (x0, y0 + SIZE), (x0, y0)]
    return [[ring]]


class PlannerTestCase(unittest.TestCase):
    "Test the perimeter planner"

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_perimeter'])

    def create_region(self, company, populations=None):
        """A region of 3 x 2 EPCI of one commune each, a square each:
            1 2 3
            4 5 6
        Amiens (seat in 1) serves 1, 2, 4, 5 and Laon (seat in 6) 3 and 6;
        each has 1 agent FTE in the approved staff plan. Return (epcis,
        communes, antennas, plan)."""
        pool = Pool()
        Epci = pool.get('gru.epci')
        Commune = pool.get('gru.commune')
        PostalCode = pool.get('gru.postal_code')
        Antenna = pool.get('gru.antenna')
        Plan = pool.get('gru.territory.plan')
        Contour = pool.get('gru.perimeter.contour')
        populations = populations or [1000] * 6
        epcis, communes = [], []
        for i in range(6):
            epci, = Epci.create([{
                        'siren': '2000000%02d' % (i + 1),
                        'name': "CC %d" % (i + 1), 'type': 'CC'}])
            commune, = Commune.create([{
                        'insee_code': '800%02d' % (i + 1),
                        'name': "Commune %d" % (i + 1),
                        'department': '80', 'epci': epci.id,
                        'population': populations[i]}])
            epcis.append(epci)
            communes.append(commune)
            x, y = i % 3, 1 - i // 3
            Contour.create([{
                        'commune': commune.id,
                        'geometry': geometry.encode(square(x, y)),
                        'label_x': x * SIZE + SIZE // 2,
                        'label_y': y * SIZE + SIZE // 2}])
        # a postal code shared by communes 2 and 3
        PostalCode.create([{'code': '80200',
                    'communes': [('add', [communes[1].id, communes[2].id])]}])
        amiens, laon = Antenna.create([{
                    'code': 'AMI', 'name': "Amiens", 'kind': 'antenna',
                    'state': 'open', 'seat': communes[0].id,
                    }, {
                    'code': 'LAO', 'name': "Laon", 'kind': 'antenna',
                    'state': 'open', 'seat': communes[5].id,
                    }])
        plan, = Plan.create([{
                    'name': "Plan 2022", 'start_date': dt.date(2022, 6, 16),
                    'epcis': [('create', [{
                                    'sequence': i, 'epci': e.id,
                                    'antenna': (laon if i in {2, 5}
                                        else amiens).id,
                                    'reason': "Reason %d" % i}
                                for i, e in enumerate(epcis)])],
                    }])
        Plan.approve([plan])
        self.create_staff_plan(company, {amiens: ['1'], laon: ['1']})
        return epcis, communes, (amiens, laon), plan

    def create_staff_plan(self, company, posts):
        "An approved staff plan with posts {antenna: [FTE]}"
        pool = Pool()
        StaffPlan = pool.get('gru.staff.plan')
        Unit = pool.get('gru.staff.unit')
        Position = pool.get('gru.staff.position')
        plan, = StaffPlan.create([{
                    'company': company.id, 'name': "Staff plan",
                    'reference_date': dt.date(2025, 1, 1),
                    'authorised_posts': 10}])
        for antenna, ftes in posts.items():
            unit, = Unit.create([{
                        'plan': plan.id, 'name': antenna.name,
                        'kind': 'antenna', 'antenna': antenna.id}])
            for fte in ftes:
                Position.create([{
                            'plan': plan.id, 'unit': unit.id,
                            'title': "Chargé/e d'information",
                            'fte': Decimal(fte), 'status': 'vacant'}])
        table = StaffPlan.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update([table.state], ['approved'],
                where=table.id == plan.id))
        return plan

    def create_requests(self, company, count, **values):
        Request = Pool().get('gru.inbox.request')
        now = dt.datetime.now()
        Request.create([dict({
                        'company': company.id, 'channel': 'web',
                        'received_at': now - dt.timedelta(days=i + 1),
                        'subject': "Test"}, **values)
                for i in range(count)])

    def create_scenario(self, plan, **values):
        Scenario = Pool().get('gru.perimeter.scenario')
        scenario, = Scenario.create([dict({
                        'name': "Équilibre 2027", 'base_plan': plan.id,
                        'start_date': dt.date(2027, 1, 1)}, **values)])
        return scenario

    def rows(self, scenario):
        return {r.antenna.code: r for r in scenario.antennas}

    @with_transaction()
    def test_figures(self):
        "The figures of a scenario: before and after, per antenna"
        pool = Pool()
        Scenario = pool.get('gru.perimeter.scenario')
        company = create_company()
        with set_company(company):
            epcis, communes, (amiens, laon), plan = self.create_region(
                company, populations=[1000, 2000, 3000, 4000, 5000, 6000])
            # the base plan in force is the default
            self.assertEqual(Scenario.default_base_plan(), plan.id)
            # 40 requests in commune 1, 10 with the postal code of 2 and 3
            self.create_requests(company, 40, contact_commune=communes[0].id)
            self.create_requests(company, 10, contact_postal_code='80200')
            # out of the 12 months: not counted
            self.create_requests(company, 5, contact_commune=communes[3].id,
                received_at=dt.datetime.now() - dt.timedelta(days=400))
            scenario = self.create_scenario(plan, min_contacts=30)

            self.assertEqual(len(scenario.lines), 6)
            lines = {l.epci: l for l in scenario.lines}
            first = lines[epcis[0]]
            self.assertEqual(
                (first.population, first.commune_count,
                    first.measured_contacts, first.contacts_method,
                    first.expected_contacts),
                (1000, 1, 40, 'measured', 40))
            # 10 contacts split 2000 / 3000 between communes 2 and 3
            self.assertEqual(lines[epcis[1]].measured_contacts, 4)
            self.assertEqual(lines[epcis[2]].measured_contacts, 6)
            # 50 located contacts for 21,000 inhabitants
            self.assertAlmostEqual(scenario.regional_rate, 2.4, places=1)
            second = lines[epcis[1]]
            self.assertEqual(second.contacts_method, 'estimated')
            self.assertAlmostEqual(second.expected_contacts,
                2000 * 50 / 21000, places=1)
            self.assertEqual(scenario.contacts_to,
                pool.get('ir.date').today())

            rows = self.rows(scenario)
            self.assertEqual(rows['AMI'].fte, 1)
            self.assertEqual(
                (rows['AMI'].population_before, rows['AMI'].communes_before,
                    rows['AMI'].epci_before),
                (12000, 4, 4))
            self.assertEqual(rows['LAO'].population_after, 9000)
            expected_ami = 40 + 50 * (2000 + 4000 + 5000) / 21000
            self.assertEqual(rows['AMI'].contacts_before, round(expected_ami))
            self.assertEqual(rows['AMI'].per_fte_after, round(expected_ami))
            self.assertEqual(scenario.moved_count, 0)
            self.assertEqual(scenario.gini_before, scenario.gini_after)

            # move EPCI 5 to Laon by hand: the figures follow
            line = lines[epcis[4]]
            line.proposed_antenna = laon
            line.save()
            scenario = Scenario(scenario.id)
            rows = self.rows(scenario)
            self.assertEqual(rows['AMI'].population_after, 7000)
            self.assertEqual(rows['LAO'].population_after, 14000)
            self.assertEqual(rows['LAO'].epci_after, 3)
            self.assertEqual(scenario.moved_count, 1)
            self.assertNotEqual(scenario.gini_after, scenario.gini_before)
            self.assertTrue(scenario.improvement.startswith('Gini '))
            self.assertIn('max/min', scenario.improvement)

            # the map of the proposal is drawn on demand, as a PNG of the
            # proposed antennas
            self.assertIsNone(scenario.map)
            Scenario.draw_map([scenario])
            scenario = Scenario(scenario.id)
            self.assertTrue(scenario.map.startswith(b'\x89PNG'))
            Map = pool.get('gru.perimeter.map')
            self.assertEqual(scenario.map, Map.render(
                    assignment={l.epci.id: l.proposed_antenna.id
                        for l in scenario.lines},
                    plan=plan, format='png', width=1200,
                    title=scenario.name))
            # a change of the proposal clears it: never a stale map
            line = type(line)(line.id)
            line.proposed_antenna = amiens
            line.save()
            scenario = Scenario(scenario.id)
            self.assertIsNone(scenario.map)
            Scenario.draw_map([scenario])
            scenario = Scenario(scenario.id)
            self.assertIsNotNone(scenario.map)
            # so does a new name (the map's title)
            Scenario.write([scenario], {'name': "Équilibre 2028"})
            scenario = Scenario(scenario.id)
            self.assertIsNone(scenario.map)
            line.proposed_antenna = laon
            line.save()

            # updating the figures keeps the proposal
            Scenario.update_figures([scenario])
            line = type(line)(line.id)
            self.assertEqual(line.proposed_antenna, laon)

    @with_transaction()
    def test_propose(self):
        "The proposal balances the contacts per FTE, contiguous"
        pool = Pool()
        Scenario = pool.get('gru.perimeter.scenario')
        Map = pool.get('gru.perimeter.map')
        company = create_company()
        with set_company(company):
            epcis, _, (amiens, laon), plan = self.create_region(company)
            scenario = self.create_scenario(plan)
            self.assertEqual(scenario.gini_before, round(1 / 6, 3))
            self.assertEqual(scenario.max_min_before, 2)

            Scenario.draw_map([scenario])
            Scenario.propose([scenario])
            scenario = Scenario(scenario.id)
            # the map drawn before the proposal is cleared, not drawn
            # again by the button
            self.assertIsNone(scenario.map)
            # 3 EPCI each: equal contacts per FTE
            self.assertEqual(scenario.gini_after, 0)
            self.assertEqual(scenario.max_min_after, 1)
            self.assertEqual(scenario.moved_count, 1)
            self.assertEqual(scenario.improvement,
                'Gini 0.17 → 0.00, max/min 2.0 → 1.0')
            assignment = {l.epci.id: l.proposed_antenna
                for l in scenario.lines}
            # the seats stay
            self.assertEqual(assignment[epcis[0].id], amiens)
            self.assertEqual(assignment[epcis[5].id], laon)
            adjacency = Map.epci_adjacency()
            for antenna in [amiens, laon]:
                members = {e for e, a in assignment.items() if a == antenna}
                self.assertEqual(components(members, adjacency), 1)
            # the same answer again
            Scenario.reset_proposal([scenario])
            scenario = Scenario(scenario.id)
            self.assertEqual(scenario.moved_count, 0)
            Scenario.propose([scenario])
            scenario = Scenario(scenario.id)
            self.assertEqual({l.epci.id: l.proposed_antenna
                    for l in scenario.lines}, assignment)

    @with_transaction()
    def test_propose_locked(self):
        "A locked EPCI keeps its proposed antenna"
        pool = Pool()
        Scenario = pool.get('gru.perimeter.scenario')
        company = create_company()
        with set_company(company):
            epcis, _, (amiens, laon), plan = self.create_region(company)
            scenario = self.create_scenario(plan)
            Scenario.propose([scenario])
            scenario = Scenario(scenario.id)
            moved, = [l for l in scenario.lines if l.moved]
            Scenario.reset_proposal([scenario])
            # lock the EPCI the optimiser moved with its base antenna
            moved = type(moved)(moved.id)
            moved.locked = True
            moved.save()
            Scenario.propose([scenario])
            scenario = Scenario(scenario.id)
            line, = [l for l in scenario.lines if l.id == moved.id]
            self.assertEqual(line.proposed_antenna, amiens)
            # another EPCI moved instead
            self.assertEqual(scenario.moved_count, 1)
            self.assertEqual(scenario.gini_after, 0)
            # reset leaves a locked line alone
            line.proposed_antenna = laon
            line.save()
            Scenario.reset_proposal([scenario])
            line = type(line)(line.id)
            self.assertEqual(line.proposed_antenna, laon)

    @with_transaction()
    def test_save_plan(self):
        "The scenario becomes a draft territorial plan, dated and named"
        pool = Pool()
        Scenario = pool.get('gru.perimeter.scenario')
        Plan = pool.get('gru.territory.plan')
        Commune = pool.get('gru.commune')
        Exception_ = pool.get('gru.territory.plan.exception')
        company = create_company()
        with set_company(company):
            epcis, communes, (amiens, laon), plan = self.create_region(
                company)
            Plan.draft([plan])
            # commune 7 of EPCI 2 served by Laon by exception
            extra, = Commune.create([{
                        'insee_code': '80007', 'name': "Commune 7",
                        'department': '80', 'epci': epcis[1].id,
                        'population': 500}])
            Exception_.create([{'plan': plan.id, 'commune': extra.id,
                        'antenna': laon.id, 'reason': "Closer to Laon"}])
            Plan.approve([plan])
            scenario = self.create_scenario(plan)
            rows = self.rows(scenario)
            self.assertEqual(rows['LAO'].fixed_population, 500)
            self.assertEqual(rows['LAO'].population_before, 2500)
            self.assertEqual(rows['AMI'].population_before, 4000)
            Scenario.propose([scenario])
            scenario = Scenario(scenario.id)
            improvement = scenario.improvement

            action = Scenario.save_plan([scenario])
            scenario = Scenario(scenario.id)
            self.assertEqual(scenario.state, 'saved')
            new = scenario.plan
            self.assertEqual(action['res_model'], 'gru.territory.plan')
            self.assertEqual(action['res_id'], [new.id])
            self.assertEqual(action['views'][0][1], 'form')
            self.assertEqual(
                (new.name, new.start_date, new.state),
                ("Équilibre 2027", dt.date(2027, 1, 1), 'draft'))
            self.assertEqual(
                {l.epci.id: l.antenna for l in new.epcis},
                {l.epci.id: l.proposed_antenna for l in scenario.lines})
            moved, = [l for l in scenario.lines if l.moved]
            line, = [l for l in new.epcis if l.epci == moved.epci]
            self.assertIn("Équilibre 2027", line.reason)
            kept = [l for l in new.epcis if l.epci == epcis[0]][0]
            self.assertEqual(kept.reason, "Reason 0")
            self.assertEqual(
                [(e.commune, e.antenna, e.reason) for e in new.exceptions],
                [(extra, laon, "Closer to Laon")])
            self.assertIn(improvement, new.comment)
            # the plan in force did not change
            self.assertEqual(
                pool.get('gru.territory.routing').plan_at(), plan.id)
            # a saved scenario is read-only until reset to draft
            with self.assertRaises(UserError):
                Scenario.write([scenario], {'name': "Other"})
            Scenario.draft([scenario])
            Scenario.write([scenario], {'name': "Other"})

    @with_transaction()
    def test_errors(self):
        "The errors a user can act on"
        pool = Pool()
        Scenario = pool.get('gru.perimeter.scenario')
        Plan = pool.get('gru.territory.plan')
        company = create_company()
        with set_company(company):
            # no plan in force: no default, and a clear error
            self.assertIsNone(Scenario.default_base_plan())
            with self.assertRaises(UserError) as cm:
                Scenario.create([{'name': "No plan",
                            'start_date': dt.date(2027, 1, 1)}])
            self.assertIn('no base plan', cm.exception.message)

            epcis, _, (amiens, laon), plan = self.create_region(company)
            # an antenna without agent FTE
            Soissons = pool.get('gru.antenna')
            soissons, = Soissons.create([{'code': 'SOI', 'name': "Soissons",
                        'kind': 'antenna', 'state': 'open'}])
            Plan.draft([plan])
            line = [l for l in plan.epcis if l.epci == epcis[2]][0]
            line.antenna = soissons
            line.save()
            Plan.approve([plan])
            scenario = self.create_scenario(plan)
            with self.assertRaises(UserError) as cm:
                Scenario.propose([scenario])
            self.assertIn('Soissons', cm.exception.message)
            self.assertIn('no agent FTE', cm.exception.message)
