# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Test the agent's screen of a request: the thread built as HTML, its
order, its attachments, the usager 360° panel and the reply box."""
import datetime as dt
import re
import unittest
from unittest.mock import patch

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from gru_inbox.conversation import fold_html, fold_text
from gru_inbox.tests.test_module import InboxMixin, create_usager
from gru_scheme.tests.test_module import create_lists

LONG_BODY = ("Bonjour, Je voudrais savoir où en est mon dossier de "
    "transport scolaire déposé le mois dernier pour ma fille.")


def details(html):
    "The text folded in <details> of html"
    return ' '.join(re.findall(r'<details.*?</details>', html, re.S))


class FoldTestCase(unittest.TestCase):
    "Test the folding of the quoted history (no database)"

    def test_fold_text_reply_header(self):
        "A French reply header folds what follows; the new text stays"
        text = ("Merci pour votre réponse.\n\n"
            "Le lun. 23 nov. 2026 à 10:00, Région <gru@example.org> "
            "a écrit :\n> Bonjour,\n> votre dossier est complet.")
        html = fold_text(text, summary="Historique")
        self.assertIn('<summary>Historique</summary>', html)
        self.assertIn('votre dossier est complet', details(html))
        self.assertNotIn('Merci pour votre réponse', details(html))
        self.assertIn('Merci pour votre réponse', html)

    def test_fold_text_outlook_and_quotes(self):
        "An Outlook 'De : / Envoyé :' block and '>' lines are folded"
        text = ("Voici la pièce.\n> ancienne ligne\n> autre\nSuite.\n"
            "De : Service <gru@example.org>\nEnvoyé : lundi 23 novembre\n"
            "Objet : Dossier\nTexte d'origine")
        html = fold_text(text)
        folded = details(html)
        self.assertIn('ancienne ligne', folded)
        self.assertIn("Texte d&#x27;origine", folded)
        self.assertNotIn('Suite.', folded)
        self.assertNotIn('Voici la pièce', folded)

    def test_fold_text_escaped_and_history(self):
        "The text is escaped; the history split by the channel is folded"
        html = fold_text('<script>alert(1)</script>', history="> avant")
        self.assertNotIn('<script>', html)
        self.assertIn('&lt;script&gt;', html)
        self.assertIn('avant', details(html))

    def test_fold_html(self):
        """A blockquote is folded; a reply header folds the rest, the
        elements around it closed and opened again"""
        html = ('<div><p>Nouveau texte</p><blockquote>cité 1</blockquote>'
            '<p>Entre</p><div><p>Le 2 déc. 2026, X &lt;x@example.org&gt; '
            'a écrit :</p><p>Ancien message</p></div><p>Fin</p></div>')
        folded = fold_html(html, summary="Historique")
        self.assertIn('cité 1', details(folded))
        self.assertIn('Ancien message', details(folded))
        self.assertIn('Fin', details(folded))
        self.assertNotIn('Nouveau texte', details(folded))
        self.assertNotIn('Entre', details(folded))
        # the result is balanced
        for tag in ['div', 'p', 'details', 'blockquote']:
            self.assertEqual(folded.count('<%s' % tag),
                folded.count('</%s>' % tag), tag)

    def test_fold_html_outlook(self):
        "The Outlook header in HTML (De : <br> Envoyé :) folds the rest"
        html = ('<p>Réponse</p><div><p><b>De :</b> Service<br>'
            '<b>Envoyé :</b> lundi</p></div><p>Texte d\'origine</p>')
        folded = fold_html(html)
        self.assertIn('Texte', details(folded))
        self.assertNotIn('Réponse', details(folded))

    def test_fold_html_only_quote(self):
        "A message that is only a header keeps its text visible"
        html = '<p>Le 2 déc. 2026, X a écrit :</p>'
        self.assertEqual(fold_html(html), html)


class ConversationTestCase(InboxMixin, unittest.TestCase):
    "Test the conversation, the usager panel and the reply box"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('gru_inbox')

    def add_message(self, request, **values):
        Message = Pool().get('gru.inbox.message')
        values.setdefault('channel', 'web')
        values.setdefault('direction', 'in')
        message, = Message.create([dict(values, request=request.id)])
        return message

    @with_transaction()
    def test_conversation_html(self):
        """The whole body is shown sanitised: no script, no remote image,
        the quoted history folded, the attachments linked"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Attachment = pool.get('ir.attachment')
        company = create_company()
        with set_company(company):
            self.setup_inbox()
            request = self.new_request(body=LONG_BODY,
                contact_email='jeanne@example.org',
                contact_postal_code='80000')
            message = self.add_message(request,
                date=dt.datetime(2026, 11, 24, 9, 0),
                from_address='jeanne@example.org', subject="Relance",
                body_html='<p>Avez-vous <b>reçu</b> ma pièce ?</p>'
                '<script>alert(1)</script>'
                '<img src="https://tracker.example.com/pixel.gif">'
                '<blockquote>Ancien échange</blockquote>')
            attachment, scan = Attachment.create([{
                        'name': 'justificatif.pdf', 'type': 'data',
                        'data': b'%PDF-1.4', 'resource': str(message),
                        }, {
                        'name': 'courrier.pdf', 'type': 'data',
                        'data': b'%PDF-1.4', 'resource': str(request),
                        }])
            request = Request(request.id)
            html = request.conversation
            self.assertIn(LONG_BODY, html)
            self.assertIn('<b>reçu</b>', html)
            self.assertNotIn('<script', html)
            self.assertNotIn('tracker.example.com', html)
            self.assertIn('gru-external-blocked', html)
            self.assertIn('Ancien échange', details(html))
            self.assertIn('data-gru-attachment="%d"' % attachment.id, html)
            self.assertIn('justificatif.pdf', html)
            self.assertIn('data-gru-attachment="%d"' % scan.id, html)
            self.assertIn('data-gru-model="gru.inbox.message" '
                'data-gru-id="%d"' % message.id, html)
            self.assertIn('jeanne@example.org', html)
            self.assertIn('Relance', html)

    @with_transaction()
    def test_conversation_order_remembered(self):
        "The toggle switches the order for the user and is remembered"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            data = self.setup_inbox()
            request = self.new_request(body="Premier message",
                contact_email='jeanne@example.org',
                contact_postal_code='80000')
            self.add_message(request, date=dt.datetime(2026, 11, 25, 9),
                body="Deuxième message")
            alice = self.new_agent(company, 'agent_a', [data['ami']])
            bob = self.new_agent(company, 'agent_b', [data['ami']])
            with Transaction().set_user(alice.id):
                html = Request(request.id).conversation
                self.assertLess(html.index('Premier'),
                    html.index('Deuxième'))
                Request.toggle_conversation_order([Request(request.id)])
            self.assertEqual(User(alice.id).conversation_order, 'newest')
            with Transaction().set_user(alice.id):
                html = Request(request.id).conversation
                self.assertGreater(html.index('Premier'),
                    html.index('Deuxième'))
            # another user keeps his order
            with Transaction().set_user(bob.id):
                html = Request(request.id).conversation
                self.assertLess(html.index('Premier'),
                    html.index('Deuxième'))

    def new_agent(self, company, login, antennas):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        user, = User.create([{
                    'login': login, 'name': login,
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    'groups': [('add', [ModelData.get_id(
                                    'gru_inbox',
                                    'group_information_officer')])],
                    'gru_antennas': [('add', [a.id for a in antennas])],
                    }])
        return user

    @with_transaction()
    def test_usager_overview(self):
        """The panel shows the usager, his identifiers, antenna, other
        requests and schemes; an agent of another antenna does not get
        the requests he may not see"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Party = pool.get('party.party')
        Scheme = pool.get('gru.scheme')
        company = create_company()
        with set_company(company):
            data = self.setup_inbox()
            party = create_usager("Jeanne Martin",
                email='jeanne.martin@example.org', postal_code='80000')
            Party.write([party], {'identifiers': [('create', [{
                                'code': 'DOSSIER-4242'}])]})
            theme, directorate, _ = create_lists()
            scheme, = Scheme.create([{'name': "Transport scolaire",
                        'code': 'TS', 'theme': theme.id,
                        'directorate': directorate.id}])
            request = self.new_request(
                contact_email='jeanne.martin@example.org',
                contact_postal_code='80000', subject="Ici")
            other_ami = self.new_request(
                contact_email='jeanne.martin@example.org',
                contact_postal_code='80000', subject="Visible")
            other_stq = self.new_request(
                contact_email='jeanne.martin@example.org',
                contact_postal_code='02100', subject="Ailleurs")
            Request.write([other_ami], {'scheme': scheme.id})
            Request.write([other_stq], {'antenna': data['stq'].id})
            self.assertEqual(request.party, party)
            self.assertEqual(other_stq.antenna, data['stq'])
            self.assertEqual(other_ami.antenna, data['ami'])

            html = Request(request.id).usager_overview
            self.assertIn("Jeanne Martin", html)
            self.assertIn('DOSSIER-4242', html)
            self.assertIn('jeanne.martin@example.org', html)
            self.assertIn(other_ami.reference, html)
            self.assertIn(other_stq.reference, html)
            self.assertNotIn(request.reference, html)
            self.assertIn("Transport scolaire", html)

            agent = self.new_agent(company, 'agent_ami', [data['ami']])
            transaction = Transaction()
            with transaction.set_user(agent.id), \
                    transaction.set_context(_check_access=True,
                        company=company.id):
                html = Request.read([request.id],
                    ['usager_overview'])[0]['usager_overview']
            self.assertIn("Jeanne Martin", html)
            self.assertIn(other_ami.reference, html)
            self.assertNotIn(other_stq.reference, html)

    @with_transaction()
    def test_usager_overview_without_party(self):
        "Without usager the panel shows the captured contact"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        company = create_company()
        with set_company(company):
            self.setup_inbox()
            request = self.new_request(contact_name="Paul Inconnu",
                contact_email='paul@example.org',
                contact_postal_code='80000')
            self.assertFalse(request.party)
            html = Request(request.id).usager_overview
            self.assertIn("Paul Inconnu", html)
            self.assertIn('paul@example.org', html)

    @with_transaction()
    def test_reply_box(self):
        """The template fills the reply box with its variables replaced;
        Send answers through the reply wizard and empties the box"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        Template = pool.get('gru.scheme.template')
        company = create_company()
        with set_company(company), \
                patch.object(Request, '_reply_channels', {'web', 'other'}):
            self.setup_inbox()
            request = self.new_request(channel='web', body=LONG_BODY,
                contact_name="Jeanne Martin",
                contact_email='jeanne@example.org',
                contact_postal_code='80000')
            template, = Template.create([{
                        'name': "Réponse",
                        'kind': 'email',
                        'subject': "Votre demande ${reference}",
                        'body': "Bonjour ${usager},\nVotre demande "
                        "${reference} est traitée.",
                        }])
            self.assertIn(('web', "Web Form"),
                [tuple(c) for c in Request.get_draft_channels()])
            request = Request(request.id)
            request.draft_template = template
            request.on_change_draft_template()
            self.assertEqual(request.draft_subject,
                "Votre demande %s" % request.reference)
            self.assertIn("Bonjour Jeanne Martin", request.draft_body)
            request.draft_channel = 'web'
            request.save()

            Request.send_reply([request])
            message, = Message.search([
                    ('request', '=', request.id),
                    ('direction', '=', 'out'),
                    ])
            self.assertEqual(message.channel, 'web')
            self.assertEqual(message.subject,
                "Votre demande %s" % request.reference)
            self.assertIn("est traitée", message.body)
            request = Request(request.id)
            self.assertEqual(request.state, 'answered')
            self.assertFalse(request.draft_body)
            self.assertFalse(request.draft_template)
            self.assertIn("est traitée", request.conversation)

    @with_transaction()
    def test_reply_box_other_channel(self):
        """An answer by another channel than the one proposed takes the
        defaults of that channel (the usager's address of a mail when the
        box's To is left empty, as its help says)"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        Reply = pool.get('gru.inbox.request.reply', type='wizard')
        company = create_company()

        def reply_defaults(self, request, channel):
            return {'to_address': '%s@example.org' % channel}
        with set_company(company), \
                patch.object(Request, '_reply_channels', {'web', 'other'}), \
                patch.object(Reply, '_reply_defaults', reply_defaults):
            self.setup_inbox()
            request = self.new_request(channel='web', body=LONG_BODY,
                contact_email='jeanne@example.org',
                contact_postal_code='80000')
            Request.write([request], {
                    'draft_body': "Voici la réponse.",
                    'draft_channel': 'other',
                    })
            Request.send_reply([request])
            Request.write([request], {
                    'draft_body': "Et la suite.",
                    'draft_channel': None,
                    })
            Request.send_reply([request])
            first, second = Message.search([
                    ('request', '=', request.id),
                    ('direction', '=', 'out'),
                    ], order=[('id', 'ASC')])
            self.assertEqual((first.channel, first.to_address),
                ('other', 'other@example.org'))
            self.assertEqual((second.channel, second.to_address),
                ('web', 'web@example.org'))

    @with_transaction()
    def test_reply_box_unfilled_refused(self):
        "The reply box refuses an answer with unfilled ${placeholders}"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        company = create_company()
        with set_company(company), \
                patch.object(Request, '_reply_channels', {'web'}):
            self.setup_inbox()
            request = self.new_request(channel='web',
                contact_email='jeanne@example.org',
                contact_postal_code='80000')
            Request.write([request], {'draft_body': "Délai ${delay}"})
            with self.assertRaises(Exception):
                Request.send_reply([request])
            self.assertFalse(Message.search([
                        ('request', '=', request.id),
                        ('direction', '=', 'out')]))
