"""What the security suite knows of the demo server, found by introspection
as the admin over JSON-RPC (see test_trust.py for how it is used).

- The stored models: those whose search_count is an RPC method
  (system.listMethods); a ModelView (wizard form) has none. A table_query
  model (a SQL view such as the timeline) answers NotImplementedError to an
  empty write: write, delete and create are not tried on it.
- The personal models: party.party and gru.inbox.request, then, until
  nothing changes, every stored model with a Many2One (or One2One) to a
  personal model, or a Reference whose selection may hold one (a selection
  computed by a method, like ir.attachment's resource, may hold any model).
  Only STAFF and BINDINGS stop the walk: their link to a party is an agent
  or the Region itself, or they point at a model, not a record.
- The owner of a record, 'A' (visible to the information officer of Amiens)
  or 'B' (another antenna's): a request by its antenna; a usager by his
  antenna, 'A' as soon as he has a request in an antenna of A; any other
  record by the first of its links that has a value, in this order: to
  gru.inbox.request, to another personal model, to party.party, Reference
  fields, then its own antenna (a Many2One to gru.antenna, e.g. a letter's
  reception site) or its configuration's antenna (e.g. a received email's
  mailbox). None when nothing tells (a usager without antenna).
"""
import glob
import os
import re

from tests.support import ADMIN, ROOT, RPCClient, RPCError, demo_server

ROOTS = ['gru.inbox.request', 'party.party']
REQUEST, PARTY, ANTENNA = 'gru.inbox.request', 'party.party', 'gru.antenna'
# their party is an agent or the Region, not a usager (with the models
# named after them: company.company.tax_identifier...)
STAFF = {'company.company', 'company.employee', 'res.user'}
# ir.action.keyword's model points at a model ('model,-1'), not a record
BINDINGS = {'ir.action.keyword'}
# the messages trytond raises as an AccessError (ir/message.xml)
ACCESS_MESSAGES = ['msg_access_rule_error', 'msg_access_rule_field_error',
    'msg_create_rule_error', 'msg_read_rule_error', 'msg_read_error',
    'msg_write_rule_error', 'msg_write_error', 'msg_delete_rule_error',
    'msg_delete_error', 'msg_access_button_error', 'msg_access_wizard_error',
    'msg_access_wizard_model_error', 'msg_access_report_error']
# our own refusals: an ir.message of a gru_* module whose id says so
GRU_ACCESS_ID = re.compile(r'access|forbidden|not_allowed|denied')
RELATIONS = ['many2one', 'one2one', 'reference']
_survey = None


def survey():
    "Return the survey of the demo server, made on first use"
    global _survey
    if _survey is None:
        _survey = Survey(demo_server())
    return _survey


class Survey:

    def __init__(self, server):
        self.server = server
        self.admin = RPCClient(server, *ADMIN)
        self.created = []  # (model, ids) of the fixtures, deleted at the end
        self.methods = set(self.admin('system.listMethods', []))
        self.storage = {m[len('model.'):-len('.search_count')]
            for m in self.methods
            if m.startswith('model.') and m.endswith('.search_count')}
        self._fields = {}
        self.access_patterns = self._access_patterns()
        self._links()
        self._closure()
        self.table_query = {m for m in self.personal if self._is_view(m)}
        self._rows = {}
        self._owner = {}
        self.antennas = {a['id']: a['code'] for a in self.search_read(
                ANTENNA, [], ['code'], active_test=False)}

    # -- admin helpers ------------------------------------------------------

    def search_read(self, model, domain, fields, limit=None,
            active_test=True):
        context = {} if active_test else {'active_test': False}
        return self.admin.model(model, 'search_read', domain, 0, limit,
            [('id', 'ASC')], fields, context=context)

    def user(self, login):
        user, = self.search_read('res.user', [('login', '=', login)],
            ['gru_antennas', 'gru_teams', 'groups', 'employees'])
        return user

    # -- refusals -----------------------------------------------------------

    def _access_patterns(self):
        keys = [('ir', name) for name in ACCESS_MESSAGES]
        for path in sorted(glob.glob(
                    os.path.join(ROOT, 'addons', 'gru_*', 'message.xml'))):
            module = os.path.basename(os.path.dirname(path))
            with open(path) as fp:
                for fs_id in re.findall(
                        r'model="ir.message" id="(\w+)"', fp.read()):
                    if GRU_ACCESS_ID.search(fs_id):
                        keys.append((module, fs_id))
        ids = []
        for module, fs_id in keys:
            try:
                ids.append(self.admin.model(
                        'ir.model.data', 'get_id', module, fs_id))
            except RPCError:
                pass  # a message of a newer code than the server's
        patterns = []
        for language in ['fr', 'en']:
            for message in self.admin.model('ir.message', 'read', ids,
                    ['text'], context={'language': language}):
                parts = re.split(r'%\(\w+\)s', message['text'])
                patterns.append(re.compile(
                        '.*'.join(re.escape(p) for p in parts), re.S))
        return patterns

    def is_access_error(self, error):
        "Tell if error is the refusal of an access (rule, ACL, wizard...)"
        return (isinstance(error, RPCError) and error.user_error
            and any(p.fullmatch(error.message)
                for p in self.access_patterns))

    # -- models -------------------------------------------------------------

    def _links(self):
        "Read every relation field of the stored models"
        self.links = []  # (model, field, ttype, targets or None for any)
        self.antenna_fields = {}  # model: [Many2One to gru.antenna]
        fields = self.search_read('ir.model.field',
            [('ttype', 'in', RELATIONS)],
            ['model', 'name', 'relation', 'ttype'])
        for field in sorted(fields, key=lambda f: (f['model'], f['name'])):
            if field['model'] not in self.storage:
                continue
            if field['ttype'] == 'reference':
                targets = self._reference_targets(
                    field['model'], field['name'])
            else:
                targets = {field['relation']}
            self.links.append(
                (field['model'], field['name'], field['ttype'], targets))
            if field['relation'] == ANTENNA:
                self.antenna_fields.setdefault(field['model'], []).append(
                    field['name'])

    def _reference_targets(self, model, name):
        "Return the models a Reference may hold, None for any"
        selection = self.fields(model)[name].get('selection')
        if isinstance(selection, str):
            # computed by a method: ask it when it is an RPC method
            try:
                selection = self.admin.model(model, selection)
            except RPCError:
                return None
        if isinstance(selection, list):
            return {value for value, _ in selection if value}
        return None

    def fields(self, model):
        "Return the fields_get of model, read as admin"
        if model not in self._fields:
            self._fields[model] = self.admin.model(model, 'fields_get', [])
        return self._fields[model]

    def _closure(self):
        """Compute self.personal: {model: (field, target) that brought it},
        breadth first (the shortest path)"""
        self.personal = {root: None for root in ROOTS}
        changed = True
        while changed:
            changed = False
            found = set(self.personal)
            for model, name, _, targets in self.links:
                if model in self.personal or not self.may_be_personal(model):
                    continue
                hits = ROOTS if targets is None \
                    else sorted(t for t in targets if t in found)
                if hits:
                    self.personal[model] = (name, hits[0])
                    changed = True

    @staticmethod
    def may_be_personal(model):
        for name in STAFF:
            if model == name or model.startswith((name + '.', name + '-')):
                return False
        return model not in BINDINGS

    def path(self, model):
        "Return how model reaches a root, e.g. 'ir.note.resource -> ...'"
        steps = []
        while self.personal.get(model):
            name, target = self.personal[model]
            steps.append('%s.%s' % (model, name))
            model = target
        return ' -> '.join(steps + [model])

    def _is_view(self, model):
        try:
            self.admin.model(model, 'write', [], {})
        except RPCError as error:
            return 'table_query' in str(error.error)
        return False

    def parents(self, model):
        """Return the links of model used to find its owner, in order:
        [(field, targets or None)]"""
        ranked = []
        fields = self.fields(model)
        for link_model, name, ttype, targets in self.links:
            if link_model != model:
                continue
            # a required link first (a message's request before the
            # request it came from before a merge)
            optional = not fields.get(name, {}).get('required')
            if ttype == 'reference':
                if targets is None or targets & set(self.personal):
                    ranked.append((3, optional, name, targets))
                continue
            target, = targets
            if target == REQUEST:
                ranked.append((0, optional, name, targets))
            elif target == PARTY:
                ranked.append((2, optional, name, targets))
            elif target in self.personal:
                ranked.append((1, optional, name, targets))
        ranked.sort(key=lambda r: r[:3])
        return [(name, targets) for _, _, name, targets in ranked]

    def antenna_links(self, model):
        """Return the fields giving model's own antenna: [(field, None)]
        for a Many2One to gru.antenna, [(field, antenna field of its
        target)] for a Many2One to a configuration holding one"""
        result = [(name, None) for name in self.antenna_fields.get(model, [])]
        for link_model, name, ttype, targets in self.links:
            if link_model != model or ttype == 'reference':
                continue
            target, = targets
            if target in self.personal or target == ANTENNA \
                    or not self.may_be_personal(target):
                continue
            for antenna_field in self.antenna_fields.get(target, []):
                result.append((name, '%s.%s' % (name, antenna_field)))
        return result

    # -- owners -------------------------------------------------------------

    def rows(self, model):
        "Return {id: row} of every active record of model, read as admin"
        if model not in self._rows:
            if model == REQUEST:
                fields = ['antenna', 'party', 'scheme']
            elif model == PARTY:
                fields = ['antenna']
            else:
                fields = [name for name, _ in self.parents(model)]
                fields += [f for _, f in self.antenna_links(model) if f]
                fields += [name for name, dotted
                    in self.antenna_links(model) if not dotted]
            self._rows[model] = {r['id']: r
                for r in self.search_read(model, [], sorted(set(fields)))}
        return self._rows[model]

    def forget(self, model):
        self._rows.pop(model, None)
        for key in [k for k in self._owner if k[0] == model]:
            del self._owner[key]

    def officer_antennas(self, login):
        "Return the antennas of login's requests: his own and his teams'"
        user = self.user(login)
        antennas = set(user['gru_antennas'])
        if user['gru_teams']:
            antennas |= {t['antenna'] for t in self.admin.model(
                    'gru.inbox.team', 'read', user['gru_teams'], ['antenna'])
                if t['antenna']}
        return antennas

    def set_scope(self, antennas):
        "Set the antennas seen as A"
        self.scope = set(antennas)
        self._owner = {}
        requests = self.search_read(REQUEST,
            [('antenna', 'in', list(self.scope))], ['party'])
        self.parties_a = {r['party'] for r in requests if r['party']}

    def owner(self, model, id_, _seen=None):
        "Return 'A', 'B' or None for the record id_ of model"
        key = (model, id_)
        if key in self._owner:
            return self._owner[key]
        seen = _seen or set()
        if key in seen:
            return None
        seen.add(key)
        row = self.rows(model).get(id_)
        result = None
        if row is None:
            result = None
        elif model == REQUEST:
            result = self._antenna_owner(row['antenna'])
        elif model == PARTY:
            if id_ in self.parties_a:
                result = 'A'
            else:
                result = self._antenna_owner(row['antenna'])
        else:
            for name, _ in self.parents(model):
                value = row.get(name)
                if not value:
                    continue
                if isinstance(value, str):
                    target, target_id = value.split(',')
                    target_id = int(target_id)
                    if target not in self.personal or target_id < 0:
                        continue
                else:
                    target, = [t for m, n, _, ts in self.links
                        if m == model and n == name for t in ts]
                    target_id = value
                result = self.owner(target, target_id, seen)
                if result:
                    break
            if not result:
                for name, dotted in self.antenna_links(model):
                    result = self._antenna_owner(row.get(dotted or name))
                    if result:
                        break
        self._owner[key] = result
        return result

    def _antenna_owner(self, antenna):
        if not antenna:
            return None
        return 'A' if antenna in self.scope else 'B'

    def split(self, model):
        "Return (A ids, B ids) of model"
        owners = {'A': [], 'B': []}
        for id_ in self.rows(model):
            owner = self.owner(model, id_)
            if owner:
                owners[owner].append(id_)
        return owners['A'], owners['B']

    # -- fixtures -----------------------------------------------------------

    def create(self, model, values):
        "Create records as admin, deleted by cleanup()"
        ids = self.admin.model(model, 'create', values)
        self.created.append((model, ids))
        self.forget(model)
        return ids

    def cleanup(self):
        for model, ids in reversed(self.created):
            try:
                self.admin.model(model, 'delete', ids)
            except RPCError:
                pass
        self.created = []
