# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The acknowledgement of an electronic submission (SVE) carries the legal
mentions of R. 112-5 of the code des relations entre le public et
l'administration: checked on the mail the SMTP server receives."""
import email
import email.policy
import unittest
from email.message import EmailMessage
from email.utils import formataddr

from trytond.i18n import gettext
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from gru_mail.tests.test_module import smtp_server
from gru_scheme.exceptions import TemplateValidationError
from gru_scheme.tests.test_module import create_lists

SENDER = 'lea.martin@example.org'
# 23:30 UTC on 5 December: already 6 December in Amiens
DATE = 'Sat, 05 Dec 2026 23:30:00 +0000'
BODY = """Bonjour ${name},

Nous avons reçu votre demande le ${received_date_text}.
Service : ${service_name}
Adresse : ${service_address}
Courriel : ${service_email}
Téléphone : ${service_phone}
Décision implicite : ${silence_date} (${silence_meaning})
${silence_decision}
Recours : ${appeal}
"""


def mail(subject="Aide au permis"):
    msg = EmailMessage()
    msg['From'] = formataddr(("Léa Martin", SENDER))
    msg['To'] = 'permis@gru.test'
    msg['Subject'] = subject
    msg['Date'] = DATE
    msg['Message-ID'] = '<sve-1@example.org>'
    msg.set_content("Bonjour, voici ma demande d'aide au permis.")
    return msg.as_bytes()


def mentions(text):
    "Return the {label: value} of the 'Label : value' lines of text"
    result = {}
    for line in text.splitlines():
        label, sep, value = line.partition(' : ')
        if sep:
            result[label.strip()] = value.strip()
    return result


class MailSveTestCase(unittest.TestCase):
    "Test the legal mentions of the acknowledgements"

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_mail'])

    def setup_sve(self, **scheme_values):
        """A scheme, its mailbox in Amiens and its acknowledgement chosen by
        a triage rule"""
        pool = Pool()
        Antenna = pool.get('gru.antenna')
        Commune = pool.get('gru.commune')
        Mailbox = pool.get('gru.mail.mailbox')
        Scheme = pool.get('gru.scheme')
        Template = pool.get('gru.scheme.template')
        Rule = pool.get('gru.inbox.rule')
        theme, directorate, _ = create_lists()
        amiens, = Commune.create([{'insee_code': '80021', 'name': "Amiens",
                    'department': '80'}])
        antenna, = Antenna.create([{'code': 'AMI',
                    'name': "Antenne d'Amiens", 'seat': amiens.id,
                    'street': "15 mail Albert Ier\nBâtiment B",
                    'postal_code': '80000', 'phone': '03 74 27 00 00',
                    'email': 'antenne.amiens@gru.test'}])
        scheme, = Scheme.create([dict({'name': "Aide au permis",
                        'code': 'PPE', 'theme': theme.id,
                        'directorate': directorate.id}, **scheme_values)])
        template, = Template.create([{'scheme': scheme.id,
                    'name': "Accusé de réception", 'acknowledgement': True,
                    'subject': "Accusé de réception de votre demande",
                    'body': BODY}])
        Rule.create([{'name': "Accusé", 'acknowledgement': template.id}])
        mailbox, = Mailbox.create([{
                    'name': "Aide au permis", 'address': 'permis@gru.test',
                    'host': 'imap.invalid', 'login': 'permis',
                    'password': 'x', 'scheme': scheme.id,
                    'antenna': antenna.id,
                    }])
        return scheme, template, mailbox

    def send(self, mailbox):
        "Receive the mail; return the acknowledgement the server got"
        pool = Pool()
        Received = pool.get('gru.mail.received')
        Message = pool.get('gru.inbox.message')
        with smtp_server() as smtp:
            received = Received.ingest(mailbox, 1, 1, mail())
            Message.send_pending_mails()
        sent, = smtp.mails
        self.assertEqual(sent.rcpt_tos, [SENDER])
        parsed = email.message_from_bytes(sent.content,
            policy=email.policy.default)
        return received.request, parsed

    @with_transaction()
    def test_acknowledgement_mentions(self):
        """The sent acknowledgement tells the date of receipt, the antenna
        handling the request, the implicit rejection two months later and
        the appeal"""
        company = create_company()
        company.timezone = 'Europe/Paris'
        company.save()
        with set_company(company):
            scheme, template, mailbox = self.setup_sve()
            self.assertEqual(scheme.silence, 'reject')
            self.assertEqual(scheme.silence_delay, 2)
            request, parsed = self.send(mailbox)

        self.assertEqual(parsed['Auto-Submitted'], 'auto-replied')
        self.assertIn(request.reference, parsed['Subject'])
        text = parsed.get_body(('plain',)).get_content()
        values = mentions(text)
        self.assertIn("Nous avons reçu votre demande le 6 décembre 2026.",
            text)
        self.assertEqual(values['Service'], "Antenne d'Amiens")
        self.assertEqual(values['Adresse'],
            "15 mail Albert Ier, Bâtiment B, 80000 Amiens")
        self.assertEqual(values['Courriel'], 'antenne.amiens@gru.test')
        self.assertEqual(values['Téléphone'], '03 74 27 00 00')
        # received on 6 December + 2 months
        self.assertEqual(values['Décision implicite'],
            "6 février 2027 (%s)" % gettext(
                'gru_scheme.msg_sve_meaning_reject'))
        self.assertIn(gettext('gru_scheme.msg_sve_decision_reject',
                date="6 février 2027"), text)
        self.assertEqual(values['Recours'],
            gettext('gru_scheme.msg_sve_appeal_default'))

    @with_transaction()
    def test_acknowledgement_scheme_service(self):
        """A scheme handled by its own service, deemed accepted after three
        months: the acknowledgement names the service and the acceptance"""
        company = create_company()
        with set_company(company):
            scheme, template, mailbox = self.setup_sve(
                silence='accept', silence_delay=3, service='scheme',
                service_name="Direction des mobilités",
                service_street="151 avenue du Président Hoover",
                service_postal_code='59555', service_city="Lille",
                service_email='mobilites@gru.test',
                service_phone='03 74 27 00 01',
                appeal="Recours devant le tribunal administratif de Lille.")
            request, parsed = self.send(mailbox)

        text = parsed.get_body(('plain',)).get_content()
        values = mentions(text)
        # no time zone on the company: the date is the UTC one
        self.assertIn("le 5 décembre 2026.", text)
        self.assertEqual(values['Service'], "Direction des mobilités")
        self.assertEqual(values['Adresse'],
            "151 avenue du Président Hoover, 59555 Lille")
        self.assertEqual(values['Courriel'], 'mobilites@gru.test')
        self.assertEqual(values['Téléphone'], '03 74 27 00 01')
        self.assertEqual(values['Décision implicite'],
            "5 mars 2027 (%s)" % gettext(
                'gru_scheme.msg_sve_meaning_accept'))
        self.assertIn(gettext('gru_scheme.msg_sve_decision_accept',
                date="5 mars 2027"), text)
        self.assertEqual(values['Recours'],
            "Recours devant le tribunal administratif de Lille.")

    @with_transaction()
    def test_acknowledgement_mention_missing(self):
        "An acknowledgement without a legal mention is refused, naming it"
        pool = Pool()
        Template = pool.get('gru.scheme.template')
        Scheme = pool.get('gru.scheme')
        company = create_company()
        with set_company(company):
            scheme, template, mailbox = self.setup_sve()
            with self.assertRaises(TemplateValidationError) as cm:
                Template.write([template], {
                        'body': BODY.replace('${service_phone}', '')})
            self.assertIn('${service_phone}', cm.exception.message)
            self.assertIn(gettext('gru_scheme.msg_variable_service_phone'),
                cm.exception.message)
            # the sentence stands for the date and the meaning
            Template.write([template], {'body': BODY.replace(
                        '${silence_date} (${silence_meaning})', '')})
            # without implicit decision, no decision nor appeal needed
            short = BODY.split('Décision')[0]
            with self.assertRaises(TemplateValidationError) as cm:
                Template.write([template], {'body': short})
            self.assertIn('${silence_date}', cm.exception.message)
            self.assertIn('${silence_meaning}', cm.exception.message)
            self.assertIn('${appeal}', cm.exception.message)
            Scheme.write([scheme], {'silence': 'none'})
            Template.write([template], {'body': short})
            # and back to a rejection: the template no longer fits
            with self.assertRaises(TemplateValidationError):
                Scheme.write([scheme], {'silence': 'reject'})
            # a template of every scheme carries every mention
            with self.assertRaises(TemplateValidationError):
                Template.create([{'name': "Accusé", 'body': BODY.replace(
                                '${silence_decision}', ''),
                            'acknowledgement': True}])
            generic, = Template.create([{'name': "Accusé", 'body': BODY,
                        'acknowledgement': True}])
            self.assertEqual(generic.rec_name, "Accusé")
            self.assertEqual(template.rec_name,
                "Accusé de réception — Aide au permis")
            self.assertEqual(Template.search([
                        ('rec_name', 'ilike', '%permis%')]), [template])
            self.assertEqual(Template.search([
                        ('rec_name', 'ilike', 'PPE')]), [template])
            self.assertEqual(Template.search([('rec_name', 'ilike',
                            '%Accusé de réception — Aide au permis%')]),
                [template])
            self.assertEqual(Template.search([('rec_name', '=',
                            'Accusé de réception — Aide au permis')]),
                [template])
