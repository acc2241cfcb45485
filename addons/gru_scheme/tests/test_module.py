# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import io

from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

from gru_scheme import placeholder
from gru_scheme.eligibility import age_at, combine, convert
from gru_scheme.exceptions import (
    CriterionValidationError, SchemeOpenError, SchemeReferencePatternError,
    TemplateValidationError)


def create_lists():
    "Create a theme, a directorate, the three launch actors"
    pool = Pool()
    Theme = pool.get('gru.scheme.theme')
    Directorate = pool.get('gru.scheme.directorate')
    Actor = pool.get('gru.scheme.actor')
    theme, = Theme.create([{'name': "Jeunesse", 'code': 'YOUTH'}])
    directorate, = Directorate.create([{
                'name': "Direction de la Jeunesse", 'code': 'DJ'}])
    actors = Actor.create([
            {'name': "Direction porteuse", 'code': 'LEAD'},
            {'name': "DARRU", 'code': 'DARRU'},
            {'name': "SROD", 'code': 'SROD'},
            ])
    return theme, directorate, actors


class GruSchemeTestCase(CompanyTestMixin, ModuleTestCase):
    "Test GRU Scheme module"
    module = 'gru_scheme'

    def test_convert(self):
        "Test values are converted to the schema types"
        self.assertIs(convert('Oui', 'boolean'), True)
        self.assertIs(convert('non', 'boolean'), False)
        self.assertEqual(convert(' 18 ', 'integer'), 18)
        self.assertEqual(convert('2004-02-29', 'date'), dt.date(2004, 2, 29))
        self.assertEqual(convert('Étudiant', 'char'), 'etudiant')
        self.assertEqual(str(convert('2,5', 'numeric')), '2.5')
        for value, type_ in [('abc', 'integer'), ('maybe', 'boolean'),
                ('31/12/2000', 'date'), (1.5, 'integer')]:
            with self.subTest(value=value, type_=type_):
                self.assertRaises(ValueError, convert, value, type_)

    def test_age_at(self):
        "Test age in full years"
        birth = dt.date(2000, 6, 15)
        self.assertEqual(age_at(birth, dt.date(2018, 6, 14)), 17)
        self.assertEqual(age_at(birth, dt.date(2018, 6, 15)), 18)

    def test_combine(self):
        "Test the three-valued combination"
        met, failed, unknown = (
            {'status': 'met'}, {'status': 'failed'},
            {'status': 'undetermined'})
        self.assertEqual(combine([met, met]), 'eligible')
        self.assertEqual(combine([met, unknown]), 'undetermined')
        self.assertEqual(combine([unknown, failed]), 'not_eligible')
        self.assertEqual(combine([]), 'eligible')

    @with_transaction()
    def test_scheme_checklist_and_open(self):
        "Test a scheme gets the default checklist and opens once complete"
        pool = Pool()
        Scheme = pool.get('gru.scheme')
        Template = pool.get('gru.scheme.checklist.template')
        Task = pool.get('gru.scheme.task')
        company = create_company()
        with set_company(company):
            employee = create_employee(company, "Instructrice")
            theme, directorate, (lead, darru, srod) = create_lists()
            Template.create([
                    {'actor': lead.id, 'name': "Valider le règlement",
                        'sequence': 1},
                    {'actor': darru.id, 'name': "Former les agents",
                        'sequence': 2},
                    {'actor': srod.id, 'name': "Paramétrer la plateforme",
                        'sequence': 3},
                    ])
            scheme, = Scheme.create([{
                        'code': 'PASS', 'name': "Pass Permis",
                        'theme': theme.id,
                        'directorate': directorate.id,
                        }])
            self.assertEqual(len(scheme.tasks), 3)
            self.assertEqual(scheme.checklist_progress, '0 / 3')
            with self.assertRaises(SchemeOpenError) as cm:
                Scheme.open([scheme])
            message = cm.exception.message
            self.assertIn("Former les agents", message)
            self.assertIn("SROD", message)
            self.assertIn("referent", message)

            scheme.referent = employee
            scheme.save()
            Task.write(list(scheme.tasks[:2]), {'done': True})
            with self.assertRaises(SchemeOpenError) as cm:
                Scheme.open([scheme])
            self.assertIn("Paramétrer la plateforme", cm.exception.message)
            self.assertNotIn("Former les agents", cm.exception.message)

            Task.write(list(scheme.tasks), {'done': True})
            task = Task(scheme.tasks[0].id)
            self.assertTrue(task.done_date)
            Scheme.open([scheme])
            self.assertEqual(scheme.state, 'open')
            self.assertTrue(scheme.opening_date)
            self.assertTrue(scheme.is_open_at())
            Scheme.close([scheme])
            self.assertEqual(scheme.state, 'closed')

            # the template is loaded once only
            Scheme.draft([scheme])
            Scheme.load_checklist([scheme])
            self.assertEqual(len(Scheme(scheme.id).tasks), 3)

    @with_transaction()
    def test_reference_pattern(self):
        "Test dossier patterns are validated and references found"
        pool = Pool()
        Scheme = pool.get('gru.scheme')
        theme, directorate, _ = create_lists()
        scheme, other = Scheme.create([{
                    'code': 'PP', 'name': "Pass Permis",
                    'theme': theme.id, 'directorate': directorate.id,
                    'reference_pattern': r'PP-\d{4}-\d{5}',
                    'reference_link':
                    'https://aides.hautsdefrance.fr/dossier/{reference}',
                    }, {
                    'code': 'GE', 'name': "Green Pass",
                    'theme': theme.id, 'directorate': directorate.id,
                    'reference_pattern': r'dossier (?P<reference>GE\d{6})',
                    }])
        text = ("Bonjour, mon dossier PP-2023-00042 est bloqué, comme le "
            "dossier GE123456 et PP-2023-00042.")
        found = Scheme.find_references(text)
        self.assertEqual(
            [(f['scheme'], f['reference'], f['link']) for f in found], [
                (scheme, 'PP-2023-00042',
                    'https://aides.hautsdefrance.fr/dossier/PP-2023-00042'),
                (other, 'GE123456', None),
                ])
        self.assertEqual(Scheme.find_references(''), [])

        for pattern in ['PP-(\\d{4', '[0-9]*']:
            with self.subTest(pattern=pattern):
                with self.assertRaises(SchemeReferencePatternError):
                    Scheme.write([scheme], {'reference_pattern': pattern})
        for link in ['aides.hautsdefrance.fr/{reference}',
                'https://aides.hautsdefrance.fr/{dossier}',
                'https://aides.hautsdefrance.fr/dossier']:
            with self.subTest(link=link):
                with self.assertRaises(SchemeReferencePatternError):
                    Scheme.write([scheme], {'reference_link': link})

    @with_transaction()
    def test_eligibility(self):
        "Test eligibility is explained and three-valued"
        pool = Pool()
        Scheme = pool.get('gru.scheme')
        Party = pool.get('party.party')
        theme, directorate, _ = create_lists()
        scheme, = Scheme.create([{
                    'code': 'PP', 'name': "Pass Permis",
                    'theme': theme.id, 'directorate': directorate.id,
                    'data_fields': [('create', [{
                                    'name': 'student', 'string': "Étudiant",
                                    'type_': 'boolean'}, {
                                    'name': 'income', 'string': "Revenus",
                                    'type_': 'integer'}, {
                                    'name': 'birth_date',
                                    'string': "Date de naissance",
                                    'type_': 'date'}])],
                    }])
        student, income, _ = scheme.data_fields
        Scheme.write([scheme], {'criteria': [('create', [{
                            'name': "Âgé de 18 à 30 ans", 'sequence': 1,
                            'subject': 'age', 'operator': 'between',
                            'value': '18', 'value_max': '30'}, {
                            'name': "Résident des Hauts-de-France",
                            'sequence': 2, 'subject': 'department',
                            'operator': 'in',
                            'value': '02, 59, 60, 62, 80'}, {
                            'name': "Étudiant", 'sequence': 3,
                            'subject': 'data', 'data_field': student.id,
                            'operator': 'true'}, {
                            'name': "Revenus modestes", 'sequence': 4,
                            'subject': 'data', 'data_field': income.id,
                            'operator': '<=', 'value': '20000'}])]})
        party, = Party.create([{'name': "Camille Martin",
                    'addresses': [('create', [{
                                    'street': "1 rue de la Paix",
                                    'postal_code': '80000',
                                    'city': "Amiens"}])]}])
        date = dt.date(2024, 1, 15)

        result = scheme.evaluate_eligibility(party, {
                'birth_date': '2004-03-01', 'student': True,
                'income': 12000}, date)
        self.assertEqual(result['status'], 'eligible')
        self.assertEqual([c['status'] for c in result['criteria']],
            ['met'] * 4)
        self.assertEqual(result['criteria'][0]['value'], 19)

        result = scheme.evaluate_eligibility(party, {
                'birth_date': '1980-03-01', 'student': True}, date)
        self.assertEqual(result['status'], 'not_eligible')
        self.assertEqual([c['status'] for c in result['criteria']],
            ['failed', 'met', 'met', 'undetermined'])
        self.assertIn("Revenus", result['criteria'][3]['reason'])
        self.assertIn("Âgé de 18 à 30 ans", result['explanation'])

        # missing or malformed data is undetermined, never a silent false
        result = scheme.evaluate_eligibility(party, {
                'student': 'peut-être', 'income': 'beaucoup'}, date)
        self.assertEqual(result['status'], 'undetermined')
        statuses = [c['status'] for c in result['criteria']]
        self.assertEqual(statuses,
            ['undetermined', 'met', 'undetermined', 'undetermined'])
        self.assertIn("birth date", result['criteria'][0]['reason'])
        self.assertIn("peut-être", result['criteria'][2]['reason'])
        self.assertIn("beaucoup", result['criteria'][3]['reason'])

        # a party field this database does not have is explained
        Scheme.write([scheme], {'criteria': [('create', [{
                            'name': "Nationalité", 'sequence': 5,
                            'subject': 'party',
                            'party_field': 'nationality_of_user',
                            'operator': 'set'}])]})
        result = scheme.evaluate_eligibility(None, {}, date)
        self.assertEqual(result['criteria'][4]['status'], 'undetermined')
        self.assertIn("nationality_of_user", result['criteria'][4]['reason'])
        self.assertEqual(result['criteria'][1]['status'], 'undetermined')

    @with_transaction()
    def test_criterion_validation(self):
        "Test criteria that cannot be compared are rejected on save"
        pool = Pool()
        Scheme = pool.get('gru.scheme')
        Criterion = pool.get('gru.scheme.criterion')
        theme, directorate, _ = create_lists()
        scheme, = Scheme.create([{
                    'code': 'PP', 'name': "Pass Permis",
                    'theme': theme.id, 'directorate': directorate.id,
                    'data_fields': [('create', [{
                                    'name': 'student', 'string': "Étudiant",
                                    'type_': 'boolean'}])],
                    }])
        student, = scheme.data_fields
        for values in [
                {'subject': 'age', 'operator': '>=', 'value': 'dix-huit'},
                {'subject': 'age', 'operator': 'true'},
                {'subject': 'data', 'data_field': student.id,
                    'operator': '<', 'value': '1'},
                {'subject': 'party', 'party_field': 'birth date',
                    'operator': 'set'},
                ]:
            with self.subTest(values=values):
                with self.assertRaises(CriterionValidationError):
                    Criterion.create([dict(values, scheme=scheme.id,
                                name="Critère")])

    @with_transaction()
    def test_template_render(self):
        "Test templates render variables and reject bad placeholders"
        pool = Pool()
        Scheme = pool.get('gru.scheme')
        Template = pool.get('gru.scheme.template')
        theme, directorate, _ = create_lists()
        scheme, = Scheme.create([{
                    'code': 'PP', 'name': "Pass Permis",
                    'theme': theme.id, 'directorate': directorate.id,
                    }])
        template, = Template.create([{
                    'scheme': scheme.id, 'name': "Accusé de réception",
                    'subject': "Votre dossier ${reference}",
                    'body': "Bonjour ${name},\nnous avons reçu votre "
                    "demande ${reference} (coût : 30 $$).",
                    }])
        self.assertEqual(template.variables, 'reference, name')
        subject, body, missing = template.render({'reference': 'PP-1'})
        self.assertEqual(subject, "Votre dossier PP-1")
        self.assertIn("Bonjour ${name},", body)
        self.assertIn("(coût : 30 $).", body)
        self.assertEqual(missing, ['name'])
        with self.assertRaises(TemplateValidationError):
            Template.write([template], {'body': "Bonjour ${nom complet}"})
        with self.assertRaises(TemplateValidationError):
            Template.write([template], {'kind': 'letter',
                    'document': b'PK', 'document_name': 'modele.pdf'})

    @with_transaction()
    def test_template_variables_checked(self):
        """A template is saved only with the available variables, lists
        them, and keeps those without value"""
        pool = Pool()
        Scheme = pool.get('gru.scheme')
        Template = pool.get('gru.scheme.template')
        theme, directorate, _ = create_lists()
        scheme, = Scheme.create([{
                    'code': 'PP', 'name': "Pass Permis",
                    'theme': theme.id, 'directorate': directorate.id,
                    }])
        for body in [
                "Délai : ${delay} jours.",
                "Suivez votre dossier : ${link}",
                "Pièces : ${missing_documents}"]:
            with self.subTest(body=body):
                with self.assertRaises(TemplateValidationError) as cm:
                    Template.create([{
                                'scheme': scheme.id, 'name': "Accusé",
                                'body': body,
                                }])
                name = body.split('${')[1].split('}')[0]
                self.assertIn('${%s}' % name, cm.exception.message)
                self.assertIn('${reference}', cm.exception.message)
        template, = Template.create([{
                    'scheme': scheme.id, 'name': "Accusé",
                    'subject': "Dossier ${reference}",
                    'body': "Appelez le ${antenna_phone}.",
                    }])
        available = template.available_variables.splitlines()
        self.assertEqual(
            [line.split(':')[0] for line in available],
            ['${%s}' % n for n, _ in Template.available_variables_get()])
        self.assertIn('${antenna_phone}: ', template.available_variables)
        # an empty value leaves the variable to fill, never a blank
        subject, body, missing = template.render({
                'reference': 'PP-1', 'antenna_phone': '',
                'delay': '30'})
        self.assertEqual(subject, "Dossier PP-1")
        self.assertEqual(body, "Appelez le ${antenna_phone}.")
        self.assertEqual(missing, ['antenna_phone'])
        with self.assertRaises(TemplateValidationError):
            Template.write([template], {'subject': "Dossier ${delay}"})

    @with_transaction()
    def test_template_one_syntax(self):
        """Texts and .docx documents use ${variable} only: an unknown
        variable or a {{variable}} is refused, with the syntax to use"""
        pool = Pool()
        Scheme = pool.get('gru.scheme')
        Template = pool.get('gru.scheme.template')
        theme, directorate, _ = create_lists()
        scheme, = Scheme.create([{
                    'code': 'PP', 'name': "Pass Permis",
                    'theme': theme.id, 'directorate': directorate.id,
                    }])
        for values in [
                {'subject': "Dossier {{reference}}", 'body': "Bonjour"},
                {'body': "Bonjour {{ name }},"}]:
            with self.subTest(values=values):
                with self.assertRaises(TemplateValidationError) as cm:
                    Template.create([dict(values, scheme=scheme.id,
                                name="Accusé")])
                self.assertIn('${', cm.exception.message)
                self.assertIn('{{', cm.exception.message)

        def document(*texts, header=None):
            import docx
            document = docx.Document()
            for text in texts:
                paragraph = document.add_paragraph()
                # Word splits the typed text into runs
                for index in range(0, len(text), 4):
                    paragraph.add_run(text[index:index + 4])
            if header:
                document.sections[0].header.paragraphs[0].text = header
            output = io.BytesIO()
            document.save(output)
            return output.getvalue()

        letter, = Template.create([{
                    'scheme': scheme.id, 'name': "Décision", 'kind': 'letter',
                    'subject': "Décision ${reference}",
                    'document': document("Bonjour ${usager_name},",
                        "Dossier ${reference}", header="${antenna}"),
                    'document_name': 'decision.docx',
                    }])
        self.assertEqual(letter.variables,
            'reference, usager_name, antenna')
        for data, text in [
                (document("Bonjour ${usager_nom},"), '${usager_nom}'),
                (document("Bonjour", header="${lettre}"), '${lettre}'),
                (document("Bonjour {{usager_name}},"), '{{usager_name}}'),
                (document("Ref {{ reference }}"), '${reference}'),
                ]:
            with self.subTest(text=text):
                with self.assertRaises(TemplateValidationError) as cm:
                    Template.write([letter], {'document': data})
                self.assertIn(text, cm.exception.message)
        with self.assertRaises(TemplateValidationError):
            Template.write([letter], {'document': b'not a docx'})
        # a template of every scheme, without body when it has a document
        common, = Template.create([{
                    'name': "Courrier", 'kind': 'letter',
                    'document': document("Bonjour ${usager_name}"),
                    'document_name': 'courrier.docx',
                    }])
        self.assertIsNone(common.scheme)
        self.assertIsNone(common.body)

    def test_placeholder_legacy_conversion(self):
        "{{variables}} are written ${variables} in texts and documents"
        import docx
        self.assertEqual(placeholder.from_legacy(
                "Bonjour {{name}}, dossier {{ reference }} ({{x y}})"),
            "Bonjour ${name}, dossier ${reference} ({{x y}})")
        self.assertEqual(placeholder.names("${a} $b $$ ${a}"), ['a', 'b'])
        document = docx.Document()
        paragraph = document.add_paragraph()
        paragraph.add_run("Bonjour {{usa")
        paragraph.add_run("ger_name}}").bold = True
        document.add_table(rows=1, cols=1).cell(0, 0).text = "{{antenna}}"
        output = io.BytesIO()
        document.save(output)
        data = placeholder.docx_from_legacy(output.getvalue())
        self.assertEqual(placeholder.docx_legacy_names(data), [])
        self.assertEqual(placeholder.docx_names(data),
            ['usager_name', 'antenna'])
        converted = docx.Document(io.BytesIO(data))
        self.assertEqual(converted.paragraphs[0].text,
            "Bonjour ${usager_name}")
        self.assertFalse(converted.paragraphs[0].runs[0].bold)
        with self.assertRaises(ValueError):
            placeholder.docx_names(b'PK not a zip')

    @with_transaction()
    def test_template_migration(self):
        "The update writes ${x} the {{x}} stored in texts and documents"
        import docx

        from trytond.transaction import Transaction
        pool = Pool()
        Scheme = pool.get('gru.scheme')
        Template = pool.get('gru.scheme.template')
        theme, directorate, _ = create_lists()
        scheme, = Scheme.create([{
                    'code': 'PP', 'name': "Pass Permis",
                    'theme': theme.id, 'directorate': directorate.id,
                    }])
        template, = Template.create([{
                    'scheme': scheme.id, 'name': "Ancien", 'kind': 'letter',
                    'body': "Bonjour", 'document_name': 'ancien.docx',
                    }])
        document = docx.Document()
        document.add_paragraph("Madame {{usager_name}}, {{reference}}")
        output = io.BytesIO()
        document.save(output)
        # stored before the one syntax, without the check of the form
        table = Template.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.subject, table.body, table.document],
                ["Dossier {{reference}}", "Bonjour {{name}}, 10 $$",
                    Template.document.sql_format(output.getvalue())],
                where=table.id == template.id))
        Template.__register__('gru_scheme')
        Transaction().cache.clear()
        template = Template(template.id)
        self.assertEqual(template.subject, "Dossier ${reference}")
        self.assertEqual(template.body, "Bonjour ${name}, 10 $$")
        self.assertEqual(placeholder.docx_texts(template.document)[0],
            "Madame ${usager_name}, ${reference}")
        self.assertEqual(template.variables, 'reference, name, usager_name')
        subject, body, missing = template.render({'reference': 'PP-1',
                'name': "Jeanne"})
        self.assertEqual((subject, body, missing),
            ("Dossier PP-1", "Bonjour Jeanne, 10 $", []))


del ModuleTestCase
