# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import io
import re
import zipfile
from collections import Counter
from decimal import Decimal
from html import escape

from docx import Document

from trytond.model.exceptions import ValidationError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

from gru_staff import demo
from gru_staff.analysis import PlanData, planning_dates, staffing_timeline
from gru_staff.compare import compare, format_summary
from gru_staff.exceptions import (
    CompareError, PlanApprovalError, PositionValidationError)
from gru_staff.output import (
    antenna_columns, antenna_departments, committee_docx, format_number,
    french_elision, network_totals, org_chart_dot, org_chart_layout,
    render_org_chart, staffing_xlsx)

ANTENNAS = ['AMI', 'MDD', 'CAM', 'VAL', 'SAT', 'ABB', 'HAZ', 'CAL', 'CLE',
    'GRA', 'VDO', 'STQ', 'LAO', 'ARR', 'BMN', 'SOI', 'CHT', 'FRE', 'MTR']

# DOMAIN.md "Staff plans": positions placed in each unit of the target plan
TARGET_UNIT_COUNTS = {
    demo.DIRECTION: 4,
    "Département Proximité avec les territoires et usagers": 2,
    "Service Information et accompagnement": 11,
    "Département Gestion des aides aux usagers": 2,
    "Service Instruction": 23,
    "Cellule système d'information DARRU": 2,
    "Secteur administratif et financier": 3,
    "Antenne d'Amiens": 3, "Antenne de Montdidier": 2,
    "Antenne de Cambrai": 3, "Antenne du Valenciennois": 2,
    "Antenne Sambre – Avesnois – Thiérache": 4, "Antenne d'Abbeville": 3,
    "Antenne d'Hazebrouck": 3, "Antenne du Calaisis": 3,
    "Antenne de Clermont": 3, "Antenne de Grandvilliers": 2,
    "Antenne de la Vallée de l'Oise": 1, "Antenne de Saint-Quentin": 3,
    "Antenne de Laon": 2, "Antenne d'Arras": 3,
    "Antenne du Bassin minier": 2, "Antenne de Soissons": 3,
    "Antenne de Château-Thierry": 2, "Antenne de Frévent": 2,
    "Antenne de Montreuil": 3,
    }


def setup_plans():
    "Create the company, the antennas and the two plans of the report"
    pool = Pool()
    Antenna = pool.get('gru.antenna')
    company = create_company()
    Antenna.create([{'code': c, 'name': "Antenne %s" % c}
            for c in ANTENNAS])
    source, target = demo.build_report_plans(company)
    demo.staff_report_plans(source, target)
    return company, source, target


def xlsx_cells(content):
    """Return {sheet name: [cell text]} of an xlsx, with openpyxl when
    installed, else from the XML parts"""
    try:
        import openpyxl
    except ImportError:
        openpyxl = None
    if openpyxl:
        book = openpyxl.load_workbook(io.BytesIO(content))
        return {ws.title: [str(c.value) for row in ws.iter_rows()
                for c in row if c.value is not None] for ws in book}
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        workbook = archive.read('xl/workbook.xml').decode()
        names = re.findall(r'<sheet name="([^"]+)"', workbook)
        strings = re.findall(r'<t[^>]*>([^<]*)</t>',
            archive.read('xl/sharedStrings.xml').decode())
        result = {}
        for i, name in enumerate(names, 1):
            sheet = archive.read('xl/worksheets/sheet%d.xml' % i).decode()
            values = []
            for attributes, value in re.findall(
                    r'<c ([^>]*)><v>([^<]*)</v>', sheet):
                shared = ' t="s"' in ' ' + attributes
                values.append(strings[int(value)] if shared else value)
            result[name.replace('&amp;', '&').replace('&apos;', "'")] = [
                v.replace('&amp;', '&').replace('&apos;', "'")
                for v in values]
        return result


def _orient(a, b, c):
    v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return (v > 1e-6) - (v < -1e-6)


def segments_cross(p1, p2, q1, q2):
    "Return whether the segments cross properly (not touching, not collinear)"
    o1, o2 = _orient(p1, p2, q1), _orient(p1, p2, q2)
    o3, o4 = _orient(q1, q2, p1), _orient(q1, q2, p2)
    return o1 * o2 < 0 and o3 * o4 < 0


def edge_crossings(edges):
    result = []
    for i, (t1, h1, pts1) in enumerate(edges):
        for t2, h2, pts2 in edges[i + 1:]:
            if {t1, h1} & {t2, h2}:
                continue
            for a, b in zip(pts1, pts1[1:]):
                if any(segments_cross(a, b, c, d)
                        for c, d in zip(pts2, pts2[1:])):
                    result.append(((t1, h1), (t2, h2)))
                    break
    return result


def segment_in_box(a, b, box, margin=1):
    x0, y0 = box[0] + margin, box[1] + margin
    x1, y1 = box[2] - margin, box[3] - margin
    # sample the segment: the edges are orthogonal polylines
    for k in range(0, 21):
        x = a[0] + (b[0] - a[0]) * k / 20
        y = a[1] + (b[1] - a[1]) * k / 20
        if x0 < x < x1 and y0 < y < y1:
            return True
    return False


def edges_through_nodes(nodes, edges):
    result = []
    for tail, head, points in edges:
        for name, box in nodes.items():
            if name in {tail, head}:
                continue
            if any(segment_in_box(a, b, box)
                    for a, b in zip(points, points[1:])):
                result.append(((tail, head), name))
    return result


def overlaps(boxes):
    names = list(boxes)
    result = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            A, B = boxes[a], boxes[b]
            if A[0] < B[2] and B[0] < A[2] and A[1] < B[3] and B[1] < A[3]:
                result.append((a, b))
    return result


def red_cells(content, sheet):
    "Return the values of the cells of the sheet written in red"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        styles = archive.read('xl/styles.xml').decode()
        fonts = re.findall(r'<font>.*?</font>|<font/>',
            re.search(r'<fonts[^>]*>(.*?)</fonts>', styles, re.S).group(1),
            re.S)
        xfs = re.findall(r'<xf [^>]*fontId="(\d+)"', re.search(
                r'<cellXfs[^>]*>(.*?)</cellXfs>', styles, re.S).group(1))
        red = {str(i) for i, font in enumerate(xfs)
            if 'C00000' in fonts[int(font)]}
        xml = archive.read('xl/worksheets/sheet%d.xml' % sheet).decode()
        return [value for style, value in re.findall(
                r'<c r="[A-Z]+\d+" s="(\d+)"><v>([^<]*)</v></c>', xml)
            if style in red]


DEJAVU = '/usr/share/fonts/truetype/dejavu/DejaVuSans%s.ttf'

# seat department of the antennas of the report
ANTENNA_DEPARTMENTS = {
    'AMI': '80', 'MDD': '80', 'ABB': '80', 'CAM': '59', 'VAL': '59',
    'SAT': '59', 'HAZ': '59', 'BMN': '62', 'CAL': '62', 'ARR': '62',
    'FRE': '62', 'MTR': '62', 'CLE': '60', 'GRA': '60', 'VDO': '60',
    'STQ': '02', 'LAO': '02', 'SOI': '02', 'CHT': '02'}


def set_antenna_seats():
    "Give each antenna a seat commune in its department"
    pool = Pool()
    Antenna = pool.get('gru.antenna')
    Commune = pool.get('gru.commune')
    antennas = Antenna.search([])
    for i, antenna in enumerate(antennas):
        department = ANTENNA_DEPARTMENTS[antenna.code]
        commune, = Commune.create([{
                    'insee_code': '%s%03d' % (department, i),
                    'name': antenna.name, 'department': department}])
        antenna.seat = commune
    Antenna.save(antennas)


class GruStaffTestCase(CompanyTestMixin, ModuleTestCase):
    "Test GRU Staff module"
    module = 'gru_staff'

    @with_transaction()
    def test_report_plans_totals(self):
        "Test both plans of the report hold 97 posts as the report counts"
        company, source, target = setup_plans()
        with set_company(company):
            self.assertEqual(len(source.positions), 97)
            self.assertEqual(len(target.positions), 97)
            self.assertEqual(source.headcount, 97)
            self.assertEqual(target.authorised_posts, 97)
            self.assertEqual(source.placed, 97)
            self.assertEqual(target.placed, 96)

            checks = target.check_plans([target])[target.id]
            self.assertEqual(checks['by_unit'], TARGET_UNIT_COUNTS)
            self.assertEqual(checks['by_category'], {'A': 23, 'B': 74})
            antennas = [p for p in target.positions
                if p.unit and p.unit.kind == 'antenna']
            self.assertEqual(Counter(p.title for p in antennas), {
                    "Responsable d'antenne": 11,
                    "Gestionnaire administratif/ve": 17,
                    "Chargé/e d'information": 11,
                    "Gestionnaire de relations publiques": 10,
                    })
            # shared posts are counted once, their shares add up to 1
            self.assertEqual(len(checks['shared']), 8)
            self.assertEqual(checks['fte'], Decimal('97.00'))
            clermont, = [p for p in target.positions
                if p.code == 'CLE-R1']
            self.assertEqual(
                sorted(l.unit.name for l in clermont.extra_units),
                ["Antenne de Grandvilliers",
                    "Antenne de la Vallée de l'Oise"])
            self.assertEqual(clermont.main_share, Decimal('0.34'))

            source_checks = source.check_plans([source])[source.id]
            self.assertEqual(source_checks['by_unit']["Antenne d'Amiens"], 9)
            antennas = [p for p in source.positions
                if p.unit and p.unit.kind == 'antenna']
            self.assertEqual(len(antennas), 55)
            self.assertFalse(source_checks['authorisation_gaps'])
            self.assertFalse(source_checks['unplaced'])

            # the plan builder does not duplicate on a second call
            self.assertEqual(demo.build_report_plans(company),
                (source, target))

    @with_transaction()
    def test_unplaced_manager(self):
        "Test the check shows 12 antenna managers authorised, 11 placed"
        company, source, target = setup_plans()
        with set_company(company):
            checks = target.check_plans([target])[target.id]
            self.assertEqual(len(checks['unplaced']), 1)
            unplaced = Pool().get('gru.staff.position')(
                checks['unplaced'][0])
            self.assertEqual(unplaced.title, "Responsable d'antenne")
            self.assertEqual(unplaced.status, 'frozen')
            gaps = checks['authorisation_gaps']
            self.assertEqual(len(gaps), 1)
            self.assertEqual(gaps[0]['title'], "Responsable d'antenne")
            self.assertEqual((gaps[0]['quantity'], gaps[0]['placed']),
                (12, 11))
            line, = [a for a in target.authorisations
                if a.title == "Responsable d'antenne"]
            self.assertEqual((line.placed, line.gap), (11, 1))
            self.assertIn("12", target.check_report)
            self.assertIn("Responsable d'antenne (A)", target.check_report)
            # every antenna has its own or a shared manager
            units = Pool().get('gru.staff.unit').browse(
                checks['units_without_manager'])
            self.assertFalse([u for u in units if u.kind == 'antenna'])
            self.assertIn("Cellule système d'information DARRU",
                [u.name for u in units])
            # 4 posts to create and 3 whose origin was vacant
            self.assertEqual(len(checks['vacancies']), 7)

    @with_transaction()
    def test_compare_report_plans(self):
        "Test the comparison shows the changes of the report's section 4"
        company, source, target = setup_plans()
        with set_company(company):
            comparison = compare(source, target)
            self.assertEqual(comparison['totals'], {
                    'created': 1, 'removed': 1, 'transformed': 18,
                    'moved': 25, 'shared': 3})
            by_kind = {}
            for change in comparison['changes']:
                by_kind.setdefault(change['kind'], []).append(change)
            created, = by_kind['created']
            self.assertEqual(created['new_label'],
                "Responsable de service adjoint (A)")
            removed, = by_kind['removed']
            self.assertEqual(removed['old_unit'],
                "Secteur instruction des aides à la jeunesse")
            transformations = Counter((c['old_label'], c['new_label'])
                for c in by_kind['transformed'])
            self.assertEqual(transformations[(
                        "Responsable de secteur (A)",
                        "Cadre administratif et financier (A)")], 1)
            self.assertEqual(transformations[(
                        "Chargé/e de mission (A)",
                        "Responsable de projet GRU (A)")], 1)
            self.assertEqual(transformations[(
                        "Gestionnaire instructeur/rice (B)",
                        "Gestionnaire d'études et de dispositifs (B)")], 3)
            self.assertEqual(sum(n for (o, new), n in transformations.items()
                    if new.startswith("Gestionnaire de relations")), 10)
            moved_to_info = [c for c in by_kind['moved']
                if c['old_unit'] == "Antenne d'Amiens"]
            self.assertEqual(len(moved_to_info), 6)
            self.assertEqual({c['new_unit'] for c in moved_to_info},
                {"Service Information et accompagnement"})
            self.assertIn(None, [c['new_unit'] for c in by_kind['moved']])
            self.assertEqual(sorted(c['new_unit'] for c in by_kind['shared']),
                ["Antenne d'Arras", "Antenne de Clermont",
                    "Antenne de Montreuil"])
            units = comparison['units']
            self.assertEqual(sorted(units['removed']), [
                    "Secteur instruction des aides aux familles",
                    "Secteur instruction des aides à la jeunesse"])
            self.assertIn("Antenne du Bassin minier", units['created'])
            self.assertIn(("Antenne de Fourmies",
                    "Antenne Sambre – Avesnois – Thiérache"),
                units['renamed'])
            self.assertIn("97", format_summary(comparison))
            with self.assertRaises(CompareError):
                compare(target, target)

    @with_transaction()
    def test_copy_plan(self):
        "Test copying a plan keeps units, positions and links the origins"
        pool = Pool()
        Plan = pool.get('gru.staff.plan')
        Position = pool.get('gru.staff.position')
        company, source, target = setup_plans()
        with set_company(company):
            copy, = Plan.copy([target])
            self.assertEqual(copy.state, 'draft')
            self.assertEqual(copy.previous, target)
            self.assertEqual(len(copy.positions), 97)
            self.assertEqual(
                {p.origin for p in copy.positions}, set(target.positions))
            self.assertTrue(all(p.unit.plan == copy
                    for p in copy.positions if p.unit))
            self.assertEqual(len([p for p in copy.positions if p.shared]), 8)
            self.assertTrue(all(p.hierarchical_manager.plan == copy
                    for p in copy.positions if p.hierarchical_manager))
            self.assertEqual(len(copy.authorisations), 9)
            comparison = compare(target, copy)
            self.assertEqual(comparison['changes'], [])

            position, = [p for p in copy.positions if p.code == 'AMI-CI1']
            laon, = [u for u in Pool().get('gru.staff.unit').search(
                    [('plan', '=', copy.id),
                        ('name', '=', "Antenne de Laon")])]
            Position.write([position], {'unit': laon.id})
            comparison = compare(target, copy)
            self.assertEqual(comparison['totals']['moved'], 1)

    @with_transaction()
    def test_workflow_and_validation(self):
        "Test the plan workflow and the position checks"
        pool = Pool()
        Plan = pool.get('gru.staff.plan')
        Position = pool.get('gru.staff.position')
        PositionUnit = pool.get('gru.staff.position.unit')
        company, source, target = setup_plans()
        with set_company(company):
            empty, = Plan.create([{'name': "Vide",
                        'reference_date': dt.date(2023, 1, 1),
                        'company': company.id}])
            Plan.submit([empty])
            with self.assertRaises(PlanApprovalError):
                Plan.approve([empty])
            Plan.submit([target])
            Plan.approve([target])
            self.assertEqual(target.state, 'approved')
            Plan.archive([target])
            self.assertEqual(target.state, 'archived')

            vacant = [p for p in source.positions if p.status == 'vacant'][0]
            with self.assertRaises(ValidationError):
                Position.write([vacant], {'status': 'filled'})
            shared = [p for p in source.positions if p.shared][0]
            with self.assertRaises(PositionValidationError):
                PositionUnit.write(list(shared.extra_units),
                    {'share': Decimal('0.99')})
                PositionUnit.create([{'position': shared.id,
                            'unit': shared.extra_units[0].unit.id,
                            'share': Decimal('0.1')}])
            with self.assertRaises(PositionValidationError):
                Position.write([vacant], {'origin': shared.id})

    @with_transaction()
    def test_planning(self):
        "Test the staffing over time and the recruitment needs"
        pool = Pool()
        Position = pool.get('gru.staff.position')
        company, source, target = setup_plans()
        with set_company(company):
            timeline = staffing_timeline(PlanData(target),
                planning_dates(dt.date(2022, 10, 3), 12))
            self.assertEqual(timeline[0]['date'], dt.date(2022, 10, 3))
            self.assertEqual(timeline[1]['date'], dt.date(2022, 11, 1))
            self.assertEqual(timeline[0]['posts'], 96)
            first, last = timeline[0]['occupied'], timeline[-1]['occupied']
            self.assertEqual(first - last, len(demo.TARGET_LEAVING))
            self.assertEqual(sum(r['leaving'] for r in timeline),
                len(demo.TARGET_LEAVING))
            needs = Position.search([
                    ('plan', '=', target.id), ('need_date', '!=', None)])
            vacant = [p for p in target.positions if p.status == 'vacant']
            self.assertEqual(len(needs),
                4 + len(demo.TARGET_LEAVING) + len(vacant))
            leaving, = [p for p in needs if p.code == 'MTR-GA1']
            self.assertEqual(leaving.need_date, dt.date(2023, 1, 1))
            self.assertIn("Antenne de Montreuil - ", target.planning_report)
            self.assertIn('01/01/2023', target.planning_report)
            employee = leaving.occupant
            self.assertEqual(employee.antenna.code, 'MTR')
            self.assertEqual(len(employee.positions), 2)

    @with_transaction()
    def test_xlsx(self):
        "Test the staffing table holds a sheet per department and totals"
        company, source, target = setup_plans()
        with set_company(company):
            content = staffing_xlsx(PlanData(target))
            sheets = xlsx_cells(content)
            names = list(sheets)
            self.assertEqual(names[0], "Summary")
            # the long names cut at a word, within Excel's 31 characters
            self.assertIn("Direction des antennes…", names)
            self.assertIn("Département Gestion des…", names)
            self.assertTrue(all(len(n) <= 31 for n in names), names)
            summary = sheets['Summary']
            index = summary.index("Positions")
            self.assertEqual(summary[index + 1], '97')
            department = sheets["Département Gestion des…"]
            total = department.index("Total")
            self.assertEqual(department[total + 1], '30')
            self.assertIn("Responsable d'antenne", sheets["Not placed"])
            self.assertIn("97 FTE", summary)
            # only the gap of 1 is red, not the zeros
            self.assertEqual(red_cells(content, 1), ['1'])

    @with_transaction()
    def test_docx(self):
        "Test the report to the comité technique"
        company, source, target = setup_plans()
        with set_company(company):
            content = committee_docx(PlanData(target), PlanData(source))
            document = Document(io.BytesIO(content))
            headings = [p.text for p in document.paragraphs
                if p.style.name.startswith('Heading')]
            self.assertIn("Service Instruction (23)", headings)
            self.assertIn(
                "Département Proximité avec les territoires et usagers",
                headings)
            texts = '\n'.join(p.text for p in document.paragraphs)
            self.assertIn("Total of the section: 30 positions.", texts)
            # the comparison summary is a table
            totals = [[c.text for c in r.cells]
                for r in document.tables[-2].rows]
            self.assertEqual(totals, [
                    ['Figure', 'Before', 'After'],
                    ['Positions', '97', '97'],
                    ['Authorised posts', '97', '97']])
            # the antennas with their totals as the report prints them
            self.assertIn("Antennes de la Région (50)", headings)
            network = [t for t in document.tables
                if t.rows[0].cells[0].text == "Count"][0]
            self.assertEqual([[c.text for c in r.cells]
                    for r in network.rows[1:]], [
                    ['12', "Responsable d'antenne", 'A', '11'],
                    ['17', "Gestionnaire administratif/ve", 'B', '17'],
                    ['11', "Chargé/e d'information", 'B', '11'],
                    ['10', "Gestionnaire de relations publiques", 'B', '10'],
                    ])
            # the unit column is filled, the shared posts say with whom
            units = [r.cells[3].text for t in document.tables
                if len(t.columns) == 5 and t.rows[0].cells[3].text == "Unit"
                for r in t.rows[1:]]
            self.assertTrue(all(units), units)
            self.assertIn("Antenne de Clermont, shared with Antenne de la "
                "Vallée de l'Oise, Antenne de Grandvilliers", units)
            self.assertIn("Antenne de Château-Thierry, shared with Antenne "
                "de Soissons", units)
            # the antennas sharing a manager follow each other
            order = [h for h in headings if h.startswith("Antenne ")]
            index = order.index("Antenne de Clermont (3)")
            self.assertEqual(order[index - 1:index + 2], [
                    "Antenne de Grandvilliers (2)", "Antenne de Clermont (3)",
                    "Antenne de la Vallée de l'Oise (1)"])
            self.assertIn("Transformation of a post of Chargé/e de "
                "mission (A) into a post of Responsable de projet GRU (A).",
                texts)
            comparison = document.tables[-1]
            last = [c.text for c in comparison.rows[-1].cells]
            self.assertEqual(last, ['Total', '1', '1', '18', '25', '3'])

    def test_french_wording(self):
        "Test the French elision, plural and numbers of the outputs"
        self.assertEqual(french_elision(
                "Transformation d'un poste de Chargé/e de mission (A) en un "
                "poste de Assistant/e de direction (B)."),
            "Transformation d'un poste de Chargé/e de mission (A) en un "
            "poste d'Assistant/e de direction (B).")
        self.assertEqual(french_elision("le poste de Hazebrouck de la "
                "Région, le Intitulé"),
            "le poste d'Hazebrouck de la Région, l'Intitulé")
        self.assertEqual(format_number(Decimal('97.00')), '97')
        self.assertEqual(format_number(Decimal('1234.5')), '1\u202f234,5')

    @with_transaction()
    def test_org_chart(self):
        "Test the org chart is drawn and stored on the plan"
        pool = Pool()
        Plan = pool.get('gru.staff.plan')
        company, source, target = setup_plans()
        with set_company(company):
            svg, png = render_org_chart(PlanData(target))
            self.assertTrue(png.startswith(b'\x89PNG'))
            text = svg.decode('utf-8')
            self.assertIn('<svg', text)
            self.assertIn("Antenne du Bassin minier", text)
            self.assertIn("Responsable d&#39;antenne", text)
            self.assertIn('stroke-dasharray', text)
            Plan.draw_org_chart([target])
            self.assertTrue(target.org_chart.startswith(b'\x89PNG'))
            self.assertTrue(target.org_chart_svg)

    def assertReadableChart(self, data):
        "Assert the laid out org chart has no crossing nor overlap"
        from PIL import ImageFont
        nodes, edges, clusters = org_chart_layout(data)
        boxes = {n: b[:4] for n, b in nodes.items()}
        self.assertEqual(edge_crossings(edges), [])
        self.assertEqual(edges_through_nodes(boxes, edges), [])
        self.assertEqual(overlaps(boxes), [])
        self.assertEqual(overlaps(clusters), [])
        fonts = {}
        for name, (x0, y0, x1, y1, texts) in nodes.items():
            for x, y, width, align, text, face, bold in texts:
                # Graphviz measured it with the DejaVu Sans metrics
                self.assertEqual(face[0], "DejaVu Sans")
                key = (bold, face[1])
                if key not in fonts:
                    fonts[key] = ImageFont.truetype(
                        DEJAVU % ('-Bold' if bold else ''), face[1])
                measured = fonts[key].getlength(text)
                self.assertAlmostEqual(measured / width, 1, delta=0.05,
                    msg=text)
                # the text drawn with the font's own metrics (as browsers
                # do, a bit wider than Graphviz) does not touch its box
                left = {'l': x, 'c': x - width / 2}.get(align, x - width)
                if align == 'c':
                    left = x - measured / 2
                self.assertGreaterEqual(left - x0, 3, text)
                self.assertGreaterEqual(x1 - (left + measured), 3, text)
        return nodes, edges

    @with_transaction()
    def test_org_chart_layout(self):
        "Test the org chart reads like the report's"
        company, source, target = setup_plans()
        with set_company(company):
            data = PlanData(target)
            dot = org_chart_dot(data)
            self.assertIn("Authorised posts: 97", dot)
            network, = [u for u in data.units.values()
                if u['name'] == "Antennes de la Région"]
            self.assertEqual(network_totals(data, network['id']), [
                    (12, "Responsable d'antenne", 'A', 11),
                    (17, "Gestionnaire administratif/ve", 'B', 17),
                    (11, "Chargé/e d'information", 'B', 11),
                    (10, "Gestionnaire de relations publiques", 'B', 10),
                    ])
            self.assertIn(escape(
                    "12 × Responsable d'antenne (A) — 11 placed"), dot)
            nodes, edges = self.assertReadableChart(data)
            dashed = [e for e in edges if e[0].startswith('u')
                and e[1].startswith('u')
                and data.units[int(e[0][1:])]['kind']
                == data.units[int(e[1][1:])]['kind'] == 'antenna']
            # a line per pair of antennas sharing a post
            self.assertEqual(len(dashed), 8)
            self.assertReadableChart(PlanData(source))

            set_antenna_seats()
            data = PlanData(target)
            names = {u['id']: u['code'] for u in data.units.values()}
            columns = antenna_columns(data, data.children(network['id']),
                antenna_departments(data))
            self.assertEqual([c[0] for c in columns], [
                    "Aisne (02)", "Nord (59)", "Oise (60)",
                    "Pas-de-Calais (62)", "Somme (80)"])
            groups = [[names[u] for u in g] for c in columns for g in c[1]]
            # the antenna holding the shared manager between the others
            self.assertIn(['GRA', 'CLE', 'VDO'], groups)
            self.assertIn(['AMI', 'MDD'], groups)
            self.assertIn(['ARR', 'BMN'], groups)
            self.assertReadableChart(data)

    @with_transaction()
    def test_reports(self):
        "Test the report actions return the files"
        pool = Pool()
        company, source, target = setup_plans()
        with set_company(company):
            for name, ext in [
                    ('gru.staff.plan.staffing_table', 'xlsx'),
                    ('gru.staff.plan.committee_report', 'docx'),
                    ('gru.staff.plan.org_chart', 'svg')]:
                Report = pool.get(name, type='report')
                oext, content, _, filename = Report.execute(
                    [target.id], {'model': 'gru.staff.plan'})
                self.assertEqual(oext, ext)
                self.assertTrue(content)


del ModuleTestCase
