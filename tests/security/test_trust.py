"""Trust (issue #12): an agent reaches only the usagers and requests of his
scope, proven over JSON-RPC on the demo server as the agent himself.

How a model gets caught, without a hand-kept list (survey.py):
every stored model of the server (its search_count is an RPC method) that
holds a Many2One, a One2One or a Reference to party.party or
gru.inbox.request, or to a model already caught, is a personal model; the
walk goes on until nothing changes. So a new model of ours with a Many2One
to a request, a usager, a message, a letter... (or a core model pointing at
one: an attachment, a note, a log) is in the list printed at the start of
the run, and each check below runs on it: without a rule, it fails. The
only models the walk skips are named in survey.STAFF (the company, its
employees and users: their party is not a usager) and survey.BINDINGS.

For each personal model, the records of another antenna than the
information officer of Amiens' ('B', found by following the record's
request, usager, reception site or mailbox, see survey.py; created here as
the admin where the demo has none) must not be searched, counted, read
(directly or through a related field, from any model), exported, written,
deleted or given a new child record by the officer, and no wizard or
report bound to the model may run on them; the officer still reads his own
records ('A'), so a rule refusing everything does not pass. Then the
merges into another antenna's request or usager, the widening of one's own
scope (preferences, user form, teams, context) as the officer and the
manager of Saint-Quentin and Laon, and the instructor's schemes.

A refusal counts only when it is an access error: one of trytond's
(ir.msg_*_rule_error, ir.msg_access_*...) or an ir.message of a gru_*
module whose id contains access, forbidden, not_allowed or denied; any
other error (a crash, a validation error) fails the check.
"""
import datetime as dt
import unittest

from tests.security.survey import PARTY, REQUEST, survey
from tests.support import RPCClient, RPCError

OFFICER = ('ci.amiens', 'demo-ci-amiens')
MANAGER = ('resp.stquentin', 'demo-resp-stq')
INSTRUCTOR = ('instructeur', 'demo-instructeur')
SAMPLE = 5
PNG = ('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgAAAAAgAB'
    'VKJPXQAAAABJRU5ErkJggg==')
_fixtures = False


def tearDownModule():
    if _fixtures:
        survey().cleanup()


def short(value, length=300):
    text = repr(value)
    return text if len(text) <= length else text[:length] + '...'


def today():
    date = dt.date.today()
    return {'__class__': 'date', 'year': date.year, 'month': date.month,
        'day': date.day}


def restore(before, after):
    "Return the Many2Many actions putting back before from after"
    actions = []
    if set(after) - set(before):
        actions.append(('remove', sorted(set(after) - set(before))))
    if set(before) - set(after):
        actions.append(('add', sorted(set(before) - set(after))))
    return actions


def create_fixtures(s):
    """Create, as the admin, a record of another antenna for the personal
    models the demo has none of, where it is simple; return the models
    created"""
    b_requests = [i for i in s.split(REQUEST)[1]
        if s.rows(REQUEST)[i]['party']]
    request = b_requests[0]
    party = s.rows(REQUEST)[request]['party']
    antenna = s.rows(REQUEST)[request]['antenna']
    message = [i for i in s.split('gru.inbox.message')[1]][:1]
    company = s.admin.context.get('company')
    letters = []

    def letter():
        if not letters:
            letters.extend(s.create('gru.letter', [{
                            'received_date': today(), 'site': antenna,
                            'company': company,
                            'source': 'tests/security'}]))
        return letters[0]

    fixtures = {
        'ir.note': lambda: [{'resource': '%s,%d' % (REQUEST, request),
                'message': "Note of the security suite"}],
        'ir.attachment': lambda: [{
                'resource': 'gru.inbox.message,%d' % message[0]
                if message else '%s,%d' % (REQUEST, request),
                'name': 'security-suite.txt', 'type': 'data',
                'data': {'__class__': 'bytes', 'base64': 'c2VjdXJpdHk='}}],
        'ir.avatar': lambda: [{'resource': '%s,%d' % (PARTY, party),
                'image': {'__class__': 'bytes', 'base64': PNG}}],
        'gru.letter': lambda: None if letter() else None,
        'document.incoming': lambda: [{'name': 'security-suite.pdf',
                'result': 'gru.letter,%d' % letter(), 'company': company,
                'data': {'__class__': 'bytes', 'base64': 'JVBERi0xLjQ='}}],
        'gru.letter.outgoing': lambda: [{'request': request,
                'company': company, 'date': today()}],
        }
    created = []
    for model, values in fixtures.items():
        if model not in s.personal or s.split(model)[1]:
            continue
        try:
            values = values()
            if values:
                s.create(model, values)
            created.append(model)
        except RPCError as error:
            print('fixture of %s not created: %s' % (model, error))
        s.forget(model)
    return created


class SecurityCase(unittest.TestCase):
    "The survey, the officer's client and the assertions on refusals"

    @classmethod
    def setUpClass(cls):
        global _fixtures
        cls.survey = s = survey()
        s.set_scope(s.officer_antennas(OFFICER[0]))
        if not _fixtures:
            _fixtures = True
            created = create_fixtures(s)
            print('\nPersonal models (%d), records of antenna A (%s) / of '
                'another antenna:' % (len(s.personal),
                    ', '.join(s.antennas[a] for a in sorted(s.scope))))
            for model in sorted(s.personal):
                a_ids, b_ids = s.split(model)
                print('  %-32s %5d / %5d%s  via %s' % (model, len(a_ids),
                        len(b_ids), ' (fixture)' if model in created else '',
                        s.path(model)))
        cls.officer = RPCClient(s.server, *OFFICER)

    def attempt(self, call):
        "Return ('ok', result), ('refused', error) or ('error', error)"
        try:
            return 'ok', call()
        except RPCError as error:
            if self.survey.is_access_error(error):
                return 'refused', error
            return 'error', error

    def assertRefused(self, what, call):
        outcome, value = self.attempt(call)
        if outcome == 'ok':
            self.fail('%s: allowed, answered %s' % (what, short(value)))
        elif outcome == 'error':
            self.fail('%s: not refused as an access, failed with %s'
                % (what, value.summary()))
        return value

    def assertNotFound(self, what, call, forbidden):
        "Assert call answers none of the forbidden ids (or is refused)"
        outcome, value = self.attempt(call)
        if outcome == 'error':
            self.fail('%s: failed with %s' % (what, value.summary()))
        if outcome == 'ok':
            if isinstance(value, int):
                self.assertEqual(value, 0, '%s: counted %d' % (what, value))
            else:
                found = sorted(set(value) & set(forbidden))
                self.assertFalse(found, '%s: found %s' % (what, short(found)))

    def has_method(self, model, method):
        return 'model.%s.%s' % (model, method) in self.survey.methods


class OtherAntennaRecordsTestCase(SecurityCase):
    "The officer of Amiens and the records of the other antennas"

    def test_records(self):
        "No personal record of another antenna reaches the officer"
        s = self.survey
        for model in sorted(s.personal):
            a_ids, b_ids = s.split(model)
            with self.subTest(model=model, check='demo data'):
                self.assertTrue(b_ids, '%s: no record of another antenna '
                    'in the demo: add demo data or a fixture' % model)
            if b_ids:
                self.check_other(model, b_ids)
            if a_ids:
                self.check_own(model, a_ids)

    def check_other(self, model, b_ids):
        s = self.survey
        call = self.officer.model
        sample = b_ids[:SAMPLE]
        with self.subTest(model=model, check='search'):
            self.assertNotFound('search', lambda: call(model, 'search',
                    [('id', 'in', b_ids)], 0, None, None), b_ids)
        with self.subTest(model=model, check='search_count'):
            self.assertNotFound('search_count', lambda: call(
                    model, 'search_count', [('id', 'in', b_ids)]), b_ids)
        with self.subTest(model=model, check='read'):
            self.assertRefused('read %s' % sample,
                lambda: call(model, 'read', sample, ['rec_name']))
        parents = [name for name, targets in s.parents(model)
            if targets and len(targets) == 1]
        if parents:
            with self.subTest(model=model, check='read parents'):
                self.assertRefused('read %s' % parents, lambda: call(
                        model, 'read', sample,
                        ['%s.rec_name' % p for p in parents]))
        self.check_related(model, b_ids)
        with self.subTest(model=model, check='export_data'):
            self.assertRefused('export_data %s' % sample, lambda: call(
                    model, 'export_data', sample, ['rec_name']))
        if model not in s.table_query:
            with self.subTest(model=model, check='write'):
                self.assertRefused('write %s' % sample,
                    lambda: call(model, 'write', sample, {}))
            self.check_children(model, b_ids)
            with self.subTest(model=model, check='delete'):
                target = b_ids[-1:]
                self.assertRefused('delete %s' % target,
                    lambda: call(model, 'delete', target))
                s.forget(model)

    def check_related(self, model, b_ids):
        """Read the Many2One of every record the officer sees that points
        at a record of another antenna: refused or empty"""
        s = self.survey
        for other, name, ttype, targets in s.links:
            if ttype == 'reference' or targets != {model} \
                    or other in s.table_query and other != model:
                continue
            domain = [(name, 'in', b_ids)]
            if other in s.personal:
                a_ids = s.split(other)[0]
                if not a_ids:
                    continue
                domain.append(('id', 'in', a_ids))
            try:
                ids = s.admin.model(other, 'search', domain, 0, 3, None)
            except RPCError:
                continue  # a field that cannot be searched
            if not ids:
                continue
            with self.subTest(model=model, check='read %s.%s' % (
                        other, name)):
                outcome, value = self.attempt(lambda: self.officer.model(
                        other, 'read', ids, [name, name + '.rec_name']))
                if outcome == 'error':
                    self.fail('read %s.%s.rec_name of %s: failed with %s'
                        % (other, name, ids, value.summary()))
                if outcome == 'ok':
                    leaked = [r[name + '.'] for r in value
                        if r.get(name + '.')]
                    self.assertFalse(leaked, 'read %s.%s.rec_name of %s: '
                        'answered %s' % (other, name, ids, short(leaked)))

    def check_children(self, model, b_ids):
        """Create, as the officer, a copy of a record of each personal
        model holding a link to model, pointing at a record of another
        antenna"""
        s = self.survey
        for child, name, ttype, targets in s.links:
            if child not in s.personal or child in s.table_query \
                    or (targets is not None and model not in targets) \
                    or not self.has_method(child, 'create'):
                continue
            if ttype == 'reference' and model not in {REQUEST, PARTY}:
                continue  # a Reference to anything: tried on the roots
            attributes = s.fields(child).get(name, {})
            if attributes.get('readonly') is True \
                    and not attributes.get('required'):
                continue  # computed (a Function field) or set by the code
            value = b_ids[0] if ttype != 'reference' \
                else '%s,%d' % (model, b_ids[0])
            values = self.copy_values(child, name)
            values[name] = value
            with self.subTest(model=model, check='create %s.%s' % (
                        child, name)):
                outcome, result = self.attempt(lambda: self.officer.model(
                        child, 'create', [values]))
                if outcome == 'ok':
                    self.fail('create %s with %s=%s: allowed%s' % (
                            child, name, value, self.delete(child, result)))
                elif outcome == 'error':
                    self.skipTest('create %s with %s=%s: inconclusive, '
                        'failed with %s' % (child, name, value,
                            result.summary()))

    def delete(self, model, ids):
        "Delete what a check created as the admin; return a note if not"
        try:
            self.survey.admin.model(model, 'delete', ids)
        except RPCError as error:
            return ' (%s %s left: %s)' % (model, ids, error.summary())
        return ''

    def copy_values(self, model, name):
        "Return the required values of a record of model, but name"
        s = self.survey
        fields = s.fields(model)
        required = [f for f, d in fields.items()
            if d.get('required') and f != name
            and d['type'] not in {'one2many', 'many2many'}]
        rows = s.search_read(model, [], required, limit=1)
        if not rows:
            return {}
        row = rows[0]
        return {f: row[f] for f in required if row.get(f) is not None}

    def check_own(self, model, a_ids):
        "The officer still finds and reads his own records"
        call = self.officer.model
        with self.subTest(model=model, check='own records'):
            outcome, found = self.attempt(lambda: call(model, 'search',
                    [('id', 'in', a_ids)], 0, None, None))
            if outcome == 'refused':
                self.skipTest('%s is closed to the officer' % model)
            self.assertEqual(outcome, 'ok', '%s: search of his own '
                'records failed with %s' % (model, short(found)))
            self.assertTrue(found, '%s: the officer finds none of his own '
                'records %s' % (model, short(a_ids)))
            outcome, rows = self.attempt(
                lambda: call(model, 'read', found[:SAMPLE], ['rec_name']))
            self.assertEqual(outcome, 'ok', '%s: read of his own records '
                '%s: %s' % (model, found[:SAMPLE], short(rows)))

    def test_related_search(self):
        "A search through a related field finds no other antenna's request"
        s = self.survey
        b_requests = s.split(REQUEST)[1]
        for model, field in [('gru.inbox.message', 'request'),
                ('gru.inbox.timeline', 'request'),
                ('gru.letter.outgoing', 'request'),
                ('gru.mail.received', 'request')]:
            if model not in s.personal:
                continue
            with self.subTest(model=model, field=field):
                self.assertNotFound('search %s by %s.reference' % (
                        model, field), lambda: self.officer.model(model,
                        'search', [(field + '.reference', 'like', '%')],
                        0, None, None), s.split(model)[1])
                outcome, rows = self.attempt(lambda: self.officer.model(
                        model, 'search_read',
                        [(field, 'in', b_requests)], 0, 5, None,
                        [field + '.subject']))
                if outcome == 'error':
                    self.fail('search_read: %s' % rows.summary())
                if outcome == 'ok':
                    self.assertFalse(rows, 'search_read %s of other '
                        'antennas: %s' % (model, short(rows)))


class WizardReportTestCase(SecurityCase):
    "The wizards and reports bound to the personal models"

    def bound(self):
        "Return [(kind, name, model, action id)] bound to personal models"
        s = self.survey
        models = sorted(s.personal)
        keywords = s.search_read('ir.action.keyword',
            [('model', 'in', ['%s,-1' % m for m in models])],
            ['action', 'model'])
        keyword_models = {}
        for keyword in keywords:
            keyword_models.setdefault(keyword['action'], set()).add(
                keyword['model'].split(',')[0])
        result = []
        for kind, action_model, name_field in [
                ('wizard', 'ir.action.wizard', 'wiz_name'),
                ('report', 'ir.action.report', 'report_name')]:
            actions = s.search_read(action_model, ['OR',
                    ('model', 'in', models),
                    ('action', 'in', list(keyword_models))],
                ['action', 'model', name_field], active_test=False)
            for action in actions:
                bound = set(keyword_models.get(action['action'], set()))
                if action['model'] in s.personal:
                    bound.add(action['model'])
                for model in sorted(bound):
                    result.append((kind, action[name_field], model,
                            action['id']))
        return sorted(set(result))

    def test_wizards_reports(self):
        "No wizard nor report runs on another antenna's records"
        s = self.survey
        bound = self.bound()
        print('\nWizards and reports bound to personal models: %s' % (
                ', '.join('%s %s on %s' % b[:3] for b in bound)))
        for kind, name, model, action_id in bound:
            b_ids = s.split(model)[1][:2]
            if not b_ids:
                continue  # reported by test_records
            with self.subTest(kind=kind, name=name, model=model):
                if kind == 'wizard':
                    self.check_wizard(name, model, b_ids)
                else:
                    self.assertRefused('report %s on %s %s' % (
                            name, model, b_ids), lambda: self.officer(
                            'report.%s.execute' % name, [b_ids, {
                                    'model': model, 'id': b_ids[0],
                                    'ids': b_ids, 'action_id': action_id},
                                self.officer.context]))

    def check_wizard(self, name, model, b_ids):
        context = dict(self.officer.context, active_model=model,
            active_id=b_ids[0], active_ids=b_ids)
        outcome, value = self.attempt(
            lambda: self.officer('wizard.%s.create' % name, [context]))
        if outcome == 'refused':
            return
        if outcome == 'error':
            self.fail('wizard %s on %s %s: failed with %s' % (
                    name, model, b_ids, value.summary()))
        # trytond checks the same access when creating and executing the
        # wizard: a session created on the records is enough to fail, and
        # no state runs (a transition could change them)
        session = value[0]
        try:
            self.officer('wizard.%s.delete' % name, [session, context])
        except RPCError:
            pass
        self.fail('wizard %s opened on %s %s' % (name, model, b_ids))

    def run_wizard(self, client, name, model, ids, data, state):
        "Create the wizard on ids, execute state with data, delete it"
        context = dict(client.context, active_model=model,
            active_id=ids[0], active_ids=ids)
        session, _, _ = client('wizard.%s.create' % name, [context])
        try:
            return client('wizard.%s.execute' % name,
                [session, data, state, context])
        finally:
            try:
                client('wizard.%s.delete' % name, [session, context])
            except RPCError:
                pass

    def open_request(self, ids, exclude=()):
        s = self.survey
        rows = s.search_read(REQUEST, [('id', 'in', ids),
                ('state', 'not in', ['cancelled', 'closed'])], ['id'])
        rows = [r['id'] for r in rows if r['id'] not in exclude]
        return rows[0] if rows else None

    def test_merge_request(self):
        "No request is merged into another antenna's request"
        s = self.survey
        a_ids, b_ids = s.split(REQUEST)
        source = self.open_request(a_ids)
        source2 = self.open_request(a_ids, exclude=[source])
        target = self.open_request(b_ids)
        self.assertTrue(source and source2 and target,
            'the demo has no open request to merge')
        with self.subTest(wizard='gru.inbox.request.merge'):
            self.assertRefused('merge %s into %s' % (source, target),
                lambda: self.run_wizard(self.officer,
                    'gru.inbox.request.merge', REQUEST, [source],
                    {'start': {'target': target}}, 'merge'))
        with self.subTest(wizard='gru.inbox.request.cancel'):
            self.assertRefused('cancel %s as duplicate of %s' % (
                    source2, target), lambda: self.run_wizard(self.officer,
                    'gru.inbox.request.cancel', REQUEST, [source2],
                    {'start': {'reason': 'duplicate',
                            'duplicate_of': target}}, 'cancel'))
        s.forget(REQUEST)

    def test_merge_party(self):
        "No usager is merged into another antenna's usager"
        s = self.survey
        a_ids, b_ids = s.split(PARTY)
        self.assertTrue(a_ids and b_ids)
        self.assertRefused('replace usager %s by %s' % (
                a_ids[0], b_ids[0]), lambda: self.run_wizard(self.officer,
                'party.replace', PARTY, [a_ids[0]],
                {'ask': {'source': a_ids[0], 'destination': b_ids[0]}},
                'replace'))
        s.forget(PARTY)


class ScopeTestCase(SecurityCase):
    "No user widens his own scope"

    def other_antennas(self, client, login):
        "Return (antennas out of login's scope, requests of them)"
        s = self.survey
        antennas = s.officer_antennas(login)
        if login == MANAGER[0]:
            for antenna in s.search_read('gru.antenna',
                    [('id', 'in', list(antennas))],
                    ['shared_antennas', 'manager_shared_with']):
                antennas |= set(antenna['shared_antennas'])
                if antenna['manager_shared_with']:
                    antennas.add(antenna['manager_shared_with'])
        others = sorted(set(s.antennas) - antennas)
        requests = [r['id'] for r in s.search_read(REQUEST,
                [('antenna', 'in', others)], ['id'])]
        return others, requests

    def assertInvisible(self, client, requests, what):
        outcome, count = self.attempt(lambda: client.model(REQUEST,
                'search_count', [('id', 'in', requests)]))
        self.assertEqual((outcome, count), ('ok', 0), '%s: %s sees %s '
            'requests of other antennas' % (what, client.login,
                short(count)))

    def attempt_widening(self, client, what, call, user_fields, requests):
        """Call must be refused or change nothing, and the requests stay
        invisible; restore user_fields of the user as the admin after"""
        s = self.survey
        before = s.search_read('res.user', [('id', '=', client.user_id)],
            user_fields)[0]
        outcome, value = self.attempt(call)
        _, visible = self.attempt(lambda: client.model(REQUEST,
                'search_count', [('id', 'in', requests)]))
        after = s.search_read('res.user', [('id', '=', client.user_id)],
            user_fields)[0]
        changed = {f: (before[f], after[f]) for f in user_fields
            if sorted(before[f] or []) != sorted(after[f] or [])}
        if changed:
            s.admin.model('res.user', 'write', [client.user_id], {
                    f: restore(before[f], after[f]) for f in changed})
        if outcome == 'error' and not value.user_error:
            self.fail('%s: failed with %s' % (what, value.summary()))
        self.assertFalse(changed, '%s: changed %s, then saw %s requests of '
            'other antennas' % (what, changed, short(visible)))
        self.assertEqual(visible, 0, '%s: saw %s requests of other '
            'antennas' % (what, short(visible)))

    def check_widening(self, login, password):
        s = self.survey
        client = RPCClient(s.server, login, password)
        others, requests = self.other_antennas(client, login)
        self.assertTrue(requests, 'no request out of the scope of %s'
            % login)
        supervisor = s.search_read('res.group',
            [('name', 'in', ['GRU Superviseur', 'GRU Supervisor'])], ['id'])
        groups = [g['id'] for g in supervisor] or [
            g['id'] for g in s.search_read('res.group', [], ['id'])]
        teams = [t['id'] for t in s.search_read('gru.inbox.team',
                [('antenna', 'in', others)], ['id'])]
        values = {'gru_antennas': others, 'groups': groups,
            'gru_teams': teams}
        fields = list(values)
        with self.subTest(login=login, check='context gru_antennas'):
            outcome, count = self.attempt(lambda: client.model(REQUEST,
                    'search_count', [('id', 'in', requests)],
                    context={'gru_antennas': others}))
            self.assertEqual((outcome, count), ('ok', 0),
                'a context of other antennas shows %s' % short(count))
        for field, ids in values.items():
            if not ids:
                continue
            with self.subTest(login=login, check='set_preferences ' + field):
                self.attempt_widening(client, 'set_preferences %s' % field,
                    lambda: client.model('res.user', 'set_preferences',
                        {field: [('add', ids)]}), fields, requests)
                self.assertInvisible(client, requests,
                    'after set_preferences %s' % field)
            with self.subTest(login=login, check='write own ' + field):
                self.attempt_widening(client, 'write own %s' % field,
                    lambda: client.model('res.user', 'write',
                        [client.user_id], {field: [('add', ids)]}), fields,
                    requests)
                self.assertInvisible(client, requests,
                    'after writing his %s' % field)
        self.assertInvisible(client, requests, 'at the end')
        return client, others, requests, teams

    def attempt_team(self, client, what, team, values, requests):
        """Write values on team as client: refused or without effect, the
        requests staying invisible; the admin puts the team back after"""
        s = self.survey

        def read():
            return s.admin.model('gru.inbox.team', 'read', [team],
                ['antenna', 'members'])[0]
        before = read()
        outcome, value = self.attempt(lambda: client.model(
                'gru.inbox.team', 'write', [team], values))
        _, visible = self.attempt(lambda: client.model(REQUEST,
                'search_count', [('id', 'in', requests)]))
        after = read()
        if before != after:
            s.admin.model('gru.inbox.team', 'write', [team], {
                    'antenna': before['antenna'],
                    'members': restore(before['members'],
                        after['members'])})
        if outcome == 'error' and not value.user_error:
            self.fail('%s: failed with %s' % (what, value.summary()))
        self.assertEqual(before, after, '%s: done, then saw %s requests '
            'of other antennas' % (what, short(visible)))
        self.assertEqual(visible, 0, '%s: saw %s requests of other '
            'antennas' % (what, short(visible)))

    def test_officer(self):
        "The officer of Amiens does not widen his scope"
        self.check_widening(*OFFICER)

    def test_manager(self):
        "The manager of Saint-Quentin and Laon does not widen his scope"
        s = self.survey
        client, others, requests, teams = self.check_widening(*MANAGER)
        with self.subTest(check='create a team of another antenna'):
            outcome, value = self.attempt(lambda: client.model(
                    'gru.inbox.team', 'create', [{
                            'name': 'Security suite', 'antenna': others[0],
                            'members': [('add', [client.user_id])]}]))
            if outcome == 'ok':
                try:
                    self.assertInvisible(client, requests, 'after his team')
                finally:
                    s.admin.model('gru.inbox.team', 'delete', value)
                self.fail('created a team of %s' % s.antennas[others[0]])
            elif outcome == 'error':
                self.fail('create team: %s' % value.summary())
        if teams:
            with self.subTest(check='join a team of another antenna'):
                self.attempt_team(client, 'join the team %s' % teams[0],
                    teams[0], {'members': [('add', [client.user_id])]},
                    requests)
        own = s.search_read('gru.inbox.team',
            [('members', '=', client.user_id)], ['antenna'])
        own = [t for t in own if t['antenna']] or s.search_read(
            'gru.inbox.team', [('manager', '=', client.user_id)],
            ['antenna'])
        if own:
            with self.subTest(check='move his team to another antenna'):
                self.attempt_team(client, 'move his team %s to %s' % (
                        own[0]['id'], s.antennas[others[0]]), own[0]['id'],
                    {'antenna': others[0]}, requests)
        self.assertInvisible(client, requests, 'after the team attempts')


class InstructorTestCase(SecurityCase):
    "The instructor reads the requests of the schemes she instructs only"

    def test_instructor(self):
        s = self.survey
        client = RPCClient(s.server, *INSTRUCTOR)
        user = s.user(INSTRUCTOR[0])
        employees = user['employees']
        schemes = {r['id'] for r in s.search_read('gru.scheme', ['OR',
                    ('referent', 'in', employees),
                    ('backup_referent', 'in', employees),
                    ('team', 'in', employees)], ['id'])}
        self.assertTrue(schemes, 'the instructor instructs no scheme (her '
            'user %s has no employee referent of a scheme): fix the demo'
            % user['employees'])
        rows = s.rows(REQUEST)
        own = [i for i, r in rows.items() if r['scheme'] in schemes]
        other = [i for i, r in rows.items()
            if r['scheme'] and r['scheme'] not in schemes]
        messages = s.search_read('gru.inbox.message',
            [('request', 'in', other)], ['id'])
        checks = [(REQUEST, other), ('gru.inbox.message',
                [m['id'] for m in messages])]
        for model, ids in checks:
            sample = ids[:SAMPLE]
            with self.subTest(model=model, check='search'):
                self.assertNotFound('search', lambda: client.model(model,
                        'search', [('id', 'in', ids)], 0, None, None), ids)
            with self.subTest(model=model, check='search_count'):
                self.assertNotFound('search_count', lambda: client.model(
                        model, 'search_count', [('id', 'in', ids)]), ids)
            with self.subTest(model=model, check='read'):
                self.assertRefused('read %s' % sample, lambda: client.model(
                        model, 'read', sample, ['rec_name']))
            with self.subTest(model=model, check='export_data'):
                self.assertRefused('export %s' % sample, lambda: client.model(
                        model, 'export_data', sample, ['rec_name']))
        with self.subTest(check='own requests'):
            found = client.model(REQUEST, 'search', [('id', 'in', own)],
                0, None, None)
            self.assertTrue(found, 'she finds none of her requests')
