# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import io
import re
import zipfile
from collections import Counter
from decimal import Decimal

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
from gru_staff.output import committee_docx, render_org_chart, staffing_xlsx

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
            self.assertIn("Positions: 97 before, 97 after.", texts)
            self.assertIn("Transformation of a post of Chargé/e de "
                "mission (A) into a post of Responsable de projet GRU (A).",
                texts)
            comparison = document.tables[-1]
            last = [c.text for c in comparison.rows[-1].cells]
            self.assertEqual(last, ['Total', '1', '1', '18', '25', '3'])

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
