# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import unittest

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from gru_scheme.exceptions import TemplateValidationError
from gru_scheme.sve import french_date, missing_mentions

from .test_module import create_lists


class SchemeSveTestCase(unittest.TestCase):
    "Test the acknowledgement mentions and the template palette"

    @classmethod
    def setUpClass(cls):
        activate_module('gru_scheme')

    def test_french_date(self):
        "Dates are written in French words"
        self.assertEqual(french_date(dt.date(2026, 12, 6)),
            "6 décembre 2026")
        self.assertEqual(french_date(dt.datetime(2027, 2, 1, 10)),
            "1er février 2027")
        self.assertEqual(french_date(None), '')

    def test_missing_mentions(self):
        "The mentions needed depend on the meaning of the silence"
        base = ['received_date_text', 'service_name', 'service_address',
            'service_email', 'service_phone']
        self.assertEqual(missing_mentions(base, 'none'), [])
        self.assertEqual(missing_mentions(base, 'reject'),
            ['silence_date', 'silence_meaning', 'appeal'])
        self.assertEqual(missing_mentions(
                base + ['silence_date', 'silence_meaning', 'appeal'],
                'reject'), [])
        # only the sentence tells the certificate of an acceptance
        self.assertEqual(missing_mentions(
                base + ['silence_date', 'silence_meaning'], 'accept'),
            ['silence_decision'])
        self.assertEqual(missing_mentions(base, None),
            ['silence_decision', 'appeal'])
        self.assertEqual(missing_mentions(['service_name'], 'none'),
            ['received_date_text', 'service_address', 'service_email',
                'service_phone'])

    @with_transaction()
    def test_acknowledgement_values(self):
        "The values of the mentions: silence date = receipt + delay"
        pool = Pool()
        Scheme = pool.get('gru.scheme')
        theme, directorate, _ = create_lists()
        scheme, = Scheme.create([{'code': 'PP', 'name': "Pass Permis",
                    'theme': theme.id, 'directorate': directorate.id,
                    'silence_delay': 4, 'service': 'scheme',
                    'service_name': "Service des permis",
                    'service_street': "1 rue A\n2e étage",
                    'service_postal_code': '80000',
                    'service_city': "Amiens",
                    'service_email': 'permis@gru.test',
                    'service_phone': '03 00 00 00 00'}])
        self.assertEqual(scheme.silence, 'reject')
        self.assertEqual(scheme.appeal,
            gettext('gru_scheme.msg_sve_appeal_default'))
        values = Scheme.acknowledgement_values(
            scheme, dt.date(2026, 10, 31))
        self.assertEqual(values['received_date_text'], "31 octobre 2026")
        # 31 October + 4 months: the end of February
        self.assertEqual(values['silence_date'], "28 février 2027")
        self.assertEqual(values['silence_meaning'],
            gettext('gru_scheme.msg_sve_meaning_reject'))
        self.assertEqual(values['service_address'],
            "1 rue A, 2e étage, 80000 Amiens")
        self.assertEqual(values['service_name'], "Service des permis")

        Scheme.write([scheme], {'silence': 'none'})
        values = Scheme.acknowledgement_values(
            scheme, dt.date(2026, 10, 31))
        self.assertEqual(values['silence_date'], '')
        self.assertEqual(values['silence_decision'],
            gettext('gru_scheme.msg_sve_decision_none'))
        # no scheme, no antenna: the service is unknown
        values = Scheme.acknowledgement_values(None, dt.date(2026, 1, 1))
        self.assertEqual(values['service_name'], '')
        self.assertEqual(values['silence_decision'],
            gettext('gru_scheme.msg_sve_decision_none'))

    @with_transaction()
    def test_template_palette(self):
        """The palette lists every variable with its description, the
        mentions included; an unknown variable is refused by name"""
        pool = Pool()
        Scheme = pool.get('gru.scheme')
        Template = pool.get('gru.scheme.template')
        theme, directorate, _ = create_lists()
        scheme, = Scheme.create([{'code': 'PP', 'name': "Pass Permis",
                    'theme': theme.id, 'directorate': directorate.id}])
        template, = Template.create([{'scheme': scheme.id,
                    'name': "Accusé de réception", 'body': "Bonjour"}])
        lines = template.available_variables.splitlines()
        self.assertIn('${silence_date}: %s' % gettext(
                'gru_scheme.msg_variable_silence_date'), lines)
        self.assertIn('${reference}: %s' % gettext(
                'gru_scheme.msg_variable_reference'), lines)
        with self.assertRaises(TemplateValidationError) as cm:
            Template.write([template], {'body': "Le ${date_limite}"})
        self.assertIn('${date_limite}', cm.exception.message)
        self.assertIn('${received_date_text}', cm.exception.message)
        # not an acknowledgement: no mention required
        Template.write([template], {'body': "Le ${silence_date}"})
        with self.assertRaises(TemplateValidationError):
            Template.write([template], {'acknowledgement': True})
        self.assertEqual(template.rec_name,
            "Accusé de réception — Pass Permis")
