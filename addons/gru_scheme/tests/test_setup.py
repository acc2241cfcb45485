# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""No-code scheme setup: dossier numbers from an example, request data and
criteria usable before saving, a checklist ticked from the data."""
import unittest

from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from gru_scheme import reference
from gru_scheme.tests.test_module import create_lists


class ReferenceFormatTestCase(unittest.TestCase):
    "The dossier number format read from an example"

    def test_pattern_from_example(self):
        "Letters are kept, a year reads as a year, digits as so many digits"
        self.assertEqual(reference.segments("AID-2026-00123"), [
                ('literal', 'AID-'), ('year', '2026'), ('literal', '-'),
                ('digits', '00123')])
        self.assertEqual(reference.pattern("AID-2026-00123"),
            r'AID\-(?:19|20)[0-9]{2}\-[0-9]{5}')
        self.assertEqual(reference.pattern("PPE 123456"),
            r'PPE\ [0-9]{6}')
        self.assertIsNone(reference.pattern(""))


class SchemeSetupTestCase(unittest.TestCase):
    "Scheme setup without expression"

    @classmethod
    def setUpClass(cls):
        activate_module('gru_scheme')

    def _scheme(self, **values):
        Scheme = Pool().get('gru.scheme')
        theme, directorate, actors = create_lists()
        values.setdefault('code', 'AID')
        values.setdefault('name', "Aide")
        scheme, = Scheme.create([dict(values,
                    theme=theme.id, directorate=directorate.id)])
        return scheme, actors

    @with_transaction()
    def test_reference_test(self):
        "A number typed is checked against the example with the reason"
        scheme, _ = self._scheme(reference_example="AID-2026-00123")
        self.assertEqual(scheme.reference_pattern,
            r'AID\-(?:19|20)[0-9]{2}\-[0-9]{5}')
        self.assertEqual(scheme.reference_format,
            '"AID-" + a year (4 digits) + "-" + 5 digits')
        self.assertTrue(scheme.test_reference("AID-2025-99999")
            .startswith('✓'))
        result = scheme.test_reference("AID-2025-9999")
        self.assertTrue(result.startswith('✗'))
        self.assertIn("5 digits expected after \"AID-2025-\", found 4",
            result)
        result = scheme.test_reference("AIX-2025-99999")
        self.assertIn("\"AID-\" expected", result)
        self.assertIn("is not a year", scheme.test_reference(
                "AID-3025-99999"))
        self.assertIn("Unexpected \"/1\"", scheme.test_reference(
                "AID-2025-99999/1"))
        self.assertIsNone(scheme.test_reference(""))
        # the pattern found in a text follows the example
        found = scheme.find_references("Mon dossier AID-2026-00042 ?",
            [scheme])
        self.assertEqual(found[0]['reference'], 'AID-2026-00042')
        # the client's live test, before saving
        scheme.reference_test = "AID-2026-0004"
        self.assertTrue(
            scheme.on_change_with_reference_test_result().startswith('✗'))
        # a pattern written by a specialist is still tested
        other, = scheme.copy([scheme], {'reference_example': None,
                'reference_pattern': r'X[0-9]+'})
        self.assertTrue(other.test_reference("X12").startswith('✓'))
        self.assertTrue(other.test_reference("Y12").startswith('✗'))

    @with_transaction()
    def test_criterion_name_kept(self):
        "The name typed is kept; a generated one follows the changes"
        Criterion = Pool().get('gru.scheme.criterion')
        criterion = Criterion(subject='age', operator='>=', value='18')
        criterion.name = None
        criterion.auto_name = None
        criterion.on_change_value()
        self.assertEqual(criterion.name, "Age of the User is at least 18")
        criterion.operator = '>'
        criterion.on_change_operator()
        self.assertEqual(criterion.name,
            "Age of the User is greater than 18")
        criterion.name = "Majeur"
        criterion.subject = 'department'
        criterion.on_change_subject()
        criterion.operator = 'in'
        criterion.on_change_operator()
        self.assertEqual(criterion.name, "Majeur")
        self.assertEqual(criterion.auto_name,
            "Department of the User is one of 18")

    @with_transaction()
    def test_data_usable_before_saving(self):
        """A criterion picks a request data of the scheme form not saved
        yet; both are saved together and linked"""
        pool = Pool()
        Scheme = pool.get('gru.scheme')
        DataField = pool.get('gru.scheme.data.field')
        Criterion = pool.get('gru.scheme.criterion')
        # the client's picker, on the unsaved scheme form
        unsaved = Scheme(data_fields=[
                DataField(name='income', string="Revenu"),
                DataField(name='status', string="Statut")])
        criterion = Criterion(scheme=unsaved, data_key=None,
            data_field=None)
        self.assertEqual(criterion.get_data_keys(), [
                (None, ''), ('income', "Revenu"), ('status', "Statut")])

        scheme, _ = self._scheme(
            data_fields=[('create', [{
                            'name': 'income', 'string': "Revenu",
                            'type_': 'integer', 'minimum': 0,
                            'maximum': 100000,
                            }, {
                            'name': 'status', 'string': "Statut",
                            'type_': 'selection',
                            'options': "Étudiant\nDemandeur d'emploi",
                            }])],
            criteria=[('create', [{
                            'name': "Revenu modeste", 'subject': 'data',
                            'data_key': 'income', 'operator': '<',
                            'value': '25000',
                            }])])
        criterion, = scheme.criteria
        income = [f for f in scheme.data_fields if f.name == 'income'][0]
        status = [f for f in scheme.data_fields if f.name == 'status'][0]
        self.assertEqual(criterion.data_field, income)
        # the limits become the domain of the data, the choices its keys
        self.assertEqual(income.domain,
            '[["income", ">=", 0], ["income", "<=", 100000]]')
        self.assertEqual(status.selection,
            "etudiant:Étudiant\ndemandeur_d_emploi:Demandeur d'emploi")
        self.assertEqual(status.options, "Étudiant\nDemandeur d'emploi")
        self.assertIn(('numeric', "Decimal Number"),
            DataField.fields_get(['type_'])['type_']['selection'])
        result = scheme.evaluate_eligibility(None, {'income': 12000})
        self.assertEqual(result['status'], 'eligible')
        result = scheme.evaluate_eligibility(None, {'income': 30000})
        self.assertEqual(result['status'], 'not_eligible')

        # a criterion whose value does not fit the data is still refused
        from gru_scheme.exceptions import CriterionValidationError
        with self.assertRaises(CriterionValidationError):
            Scheme.write([scheme], {
                    'criteria': [('create', [{
                                    'name': "Bad", 'subject': 'data',
                                    'data_key': 'income', 'operator': '=',
                                    'value': 'beaucoup',
                                    }])],
                    })

    @with_transaction()
    def test_checklist_from_data(self):
        "The tasks proven by the data are ticked, the others by hand"
        pool = Pool()
        Scheme = pool.get('gru.scheme')
        Template = pool.get('gru.scheme.checklist.template')
        company = create_company()
        with set_company(company):
            referent = create_employee(company, "Référente")
            backup = create_employee(company, "Suppléant")
            theme, directorate, (lead, darru, srod) = create_lists()
            Template.create([
                    {'actor': lead.id, 'name': "Désigner le référent",
                        'sequence': 1, 'kind': 'referent'},
                    {'actor': darru.id, 'name': "Écrire les critères",
                        'sequence': 2, 'kind': 'criteria'},
                    {'actor': srod.id, 'name': "Paramétrer la plateforme",
                        'sequence': 3},
                    ])
            scheme, = Scheme.create([{
                        'code': 'AID', 'name': "Aide",
                        'theme': theme.id, 'directorate': directorate.id,
                        }])
            designate, criteria, platform = scheme.tasks
            self.assertEqual(
                [t.kind for t in scheme.tasks],
                ['referent', 'criteria', 'manual'])
            self.assertFalse(any(t.done for t in scheme.tasks))

            scheme.referent = referent
            scheme.save()
            # the backup is missing: not proven yet
            self.assertFalse(Scheme(scheme.id).tasks[0].done)
            Scheme.write([scheme], {
                    'backup_referent': backup.id,
                    'criteria': [('create', [{
                                    'name': "Majeur", 'subject': 'age',
                                    'operator': '>=', 'value': '18',
                                    }])],
                    })
            scheme = Scheme(scheme.id)
            self.assertEqual([t.done for t in scheme.tasks],
                [True, True, False])
            self.assertEqual(scheme.checklist_progress, '2 / 3')
            self.assertTrue(scheme.tasks[0].done_date)
            platform, = [t for t in scheme.tasks if t.kind == 'manual']
            platform.done = True
            platform.save()
            Scheme.open([scheme])
            self.assertEqual(scheme.state, 'open')
