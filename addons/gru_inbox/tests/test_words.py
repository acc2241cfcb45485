# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The words the agents read: the labels of the triage log in their
language, no currency in the header, request buttons unlike the dialogs'."""
import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .test_module import InboxMixin


def new_rule(**values):
    "Return a rule (not saved) with only the actions of values"
    Rule = Pool().get('gru.inbox.rule')
    for name in ['set_scheme', 'set_antenna', 'set_team', 'set_priority',
            'set_motive', 'assignment_strategy', 'acknowledgement']:
        values.setdefault(name, None)
    values.setdefault('add_tags', [])
    values.setdefault('spam', False)
    return Rule(name="Urgent", **values)


class WordsTestCase(InboxMixin, unittest.TestCase):
    "Test the words of the inbox"

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_inbox'])

    @with_transaction()
    def test_rule_log_labels_translated(self):
        "The triage log names the strategy and priority in the language"
        pool = Pool()
        Rule = pool.get('gru.inbox.rule')
        Request = pool.get('gru.inbox.request')
        Translation = pool.get('ir.translation')
        Lang = pool.get('ir.lang')
        fr, = Lang.search([('code', '=', 'fr')])
        fr.translatable = True
        fr.save()
        Translation.create([{
                    'lang': 'fr', 'type': 'selection', 'module': 'gru_inbox',
                    'name': 'gru.inbox.rule,' + name, 'src': src,
                    'value': value, 'fuzzy': False,
                    } for name, src, value in [
                    ('assignment_strategy', "Least Loaded",
                        "Le moins chargé"),
                    ('set_priority', "High", "Haute"),
                    ]])
        rule = new_rule(assignment_strategy='least_loaded', set_priority='2')
        self.assertEqual(dict(Rule.fields_get(['set_priority'])[
                    'set_priority']['selection'])['2'], "High")
        request = Request(tags=[])
        done = rule.act(request)
        self.assertIn("Least Loaded", ' '.join(done))
        with Transaction().set_context(language='fr'):
            done = new_rule(assignment_strategy='least_loaded',
                set_priority='2').act(Request(tags=[]))
        text = ' '.join(done)
        self.assertIn("Le moins chargé", text)
        self.assertIn("Haute", text)
        self.assertNotIn("Least Loaded", text)
        self.assertEqual(request.assignment_strategy, 'least_loaded')

    @with_transaction()
    def test_status_bar_without_currency(self):
        "The header shows the user and the company, not its currency"
        pool = Pool()
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            user = User(Transaction().user)
            self.assertEqual(user.company, company)
            status = user.status_bar
        self.assertTrue(status)
        self.assertNotIn('[%s]' % company.currency.code, status)
        self.assertIn(user.name, status)

    @with_transaction()
    def test_request_buttons_unlike_dialogs(self):
        "Closing or cancelling a request is not the word of a dialog"
        pool = Pool()
        Button = pool.get('ir.model.button')
        labels = {b.name: b.string for b in Button.search(
                [('model', '=', 'gru.inbox.request')])}
        self.assertEqual(labels['close'], "Close Request")
        self.assertEqual(labels['cancel'], "Cancel Request")
