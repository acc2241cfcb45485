# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The walk-in: a usager received at a counter or a permanence, recorded in
two actions (who, then what) as a request of channel Counter through the
intake, with his visit."""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from gru_contact.tools import normalize_email, normalize_phone
from gru_territory.tools import normalize_postal_code

from .counter import WAITING_STATES
from .exceptions import WalkInError
from .tools import minutes_between, parse_search

NEW = 'new'
CANDIDATES = 5


class WalkInStart(ModelView):
    "Walk-in: Usager"
    __string__ = "Walk-in: Usager"
    __name__ = 'gru.counter.walkin.start'

    antenna = fields.Many2One('gru.antenna', "Antenna", required=True,
        states={'readonly': Bool(Eval('visit'))},
        help="Where the usager is received.")
    permanence = fields.Many2One('gru.counter.permanence', "Permanence",
        domain=[If(Eval('antenna'),
                ('antenna', '=', Eval('antenna', -1)), ())],
        states={'readonly': Bool(Eval('visit'))})
    visit = fields.Many2One('gru.counter.visit', "Visit", readonly=True,
        states={'invisible': ~Eval('visit')})
    visit_party = fields.Integer("Usager of the Visit", readonly=True)
    search = fields.Char("Search",
        help="A name (with the postal code if known), a phone number, an "
        "email address or a dossier number.")
    usager = fields.Selection('get_usagers', "Usager", sort=False,
        selection_change_with=['search', 'visit_party'],
        help="The usager found by the matching, or a new usager created "
        "from the fields below.")
    match_reasons = fields.Text("Matching", readonly=True)
    new_name = fields.Char("Name",
        states={'invisible': Eval('usager', NEW) != NEW})
    new_phone = fields.Char("Phone",
        states={'invisible': Eval('usager', NEW) != NEW})
    new_email = fields.Char("Email",
        states={'invisible': Eval('usager', NEW) != NEW})
    new_postal_code = fields.Char("Postal Code", size=5,
        states={'invisible': Eval('usager', NEW) != NEW})

    @classmethod
    def default_usager(cls):
        return NEW

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('//separator[@id="new_usager"]', 'states', {
                    'invisible': Eval('usager', NEW) != NEW,
                    }),
            ]

    def decision(self):
        """Return the decision of the matching policy on the search, or on
        the new usager's fields when the search is empty"""
        pool = Pool()
        Matching = pool.get('gru.contact.matching')
        query = parse_search(getattr(self, 'search', None))
        if not any(query.values()):
            query = {
                'name': getattr(self, 'new_name', None),
                'phone': getattr(self, 'new_phone', None),
                'email': getattr(self, 'new_email', None),
                'postal_code': getattr(self, 'new_postal_code', None),
                }
        return Matching.resolve(limit=CANDIDATES, **query)

    def candidate_ids(self, decision=None):
        "Return the ids of the usagers the agent may choose"
        decision = decision or self.decision()
        ids = [c['party'] for c in decision['candidates']]
        visit_party = getattr(self, 'visit_party', None)
        if visit_party and visit_party not in ids:
            ids.insert(0, visit_party)
        return ids

    @fields.depends('search', 'visit_party')
    def get_usagers(self):
        pool = Pool()
        Party = pool.get('party.party')
        selection = [(NEW, gettext('gru_counter.msg_new_usager'))]
        decision = self.decision()
        candidates = {c['party']: c for c in decision['candidates']}
        for party_id in self.candidate_ids(decision):
            candidate = candidates.get(party_id)
            if candidate:
                label = gettext('gru_counter.msg_candidate',
                    name=candidate['name'],
                    antenna=candidate['antenna'] or '-',
                    score=candidate['score'])
            else:
                # the usager the reception identified on the visit
                label = Party(party_id).rec_name
            selection.append((str(party_id), label))
        return selection

    @fields.depends('search', 'visit_party', 'usager', 'match_reasons',
        'new_name', 'new_phone', 'new_email', 'new_postal_code')
    def on_change_search(self):
        decision = self.decision()
        query = parse_search(self.search)
        lines = [decision['explanation']]
        for candidate in decision['candidates']:
            lines.append(gettext('gru_counter.msg_candidate_reasons',
                    name=candidate['name'],
                    antenna=candidate['antenna'] or '-',
                    score=candidate['score'],
                    reasons='; '.join(candidate['reasons'])))
        self.match_reasons = '\n'.join(lines)
        if decision['decision'] == 'assign':
            self.usager = str(decision['party'])
        elif self.visit_party:
            self.usager = str(self.visit_party)
        else:
            self.usager = NEW
        # what was typed fills the new usager when nobody matches
        for name, key in [('new_name', 'name'), ('new_phone', 'phone'),
                ('new_email', 'email'), ('new_postal_code', 'postal_code')]:
            if query[key] and not getattr(self, name, None):
                setattr(self, name, query[key])


class WalkInDetails(ModelView):
    "Walk-in: Request"
    __string__ = "Walk-in: Request"
    __name__ = 'gru.counter.walkin.details'

    usager_name = fields.Char("Usager", readonly=True)
    motive = fields.Many2One('gru.inbox.motive', "Motive", required=True)
    scheme = fields.Many2One('gru.scheme', "Scheme")
    time_spent = fields.Integer("Time Spent", required=True,
        domain=[('time_spent', '>', 0)],
        help="In minutes, with the usager.")
    note = fields.Text("Note",
        help="What the usager asked: the first message of the request.")
    answer = fields.Text("Answer Given",
        help="Filled when the usager got his answer at the counter: the "
        "request is recorded as answered.")


class WalkIn(Wizard):
    "Walk-in"
    __name__ = 'gru.counter.walkin'

    start = StateView('gru.counter.walkin.start',
        'gru_counter.walkin_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Next", 'identify', 'tryton-forward', default=True),
            ])
    identify = StateTransition()
    details = StateView('gru.counter.walkin.details',
        'gru_counter.walkin_details_view_form', [
            Button("Back", 'start', 'tryton-back'),
            Button("Record", 'register', 'tryton-ok', default=True),
            ])
    register = StateTransition()

    def _visit(self):
        "Return the visit being received, or None for a direct walk-in"
        if self.model and self.model.__name__ == 'gru.counter.visit' \
                and self.record:
            visit = self.record
            if visit.state not in WAITING_STATES:
                raise WalkInError(gettext(
                        'gru_counter.msg_visit_not_waiting',
                        visit=visit.rec_name))
            return visit
        return None

    def default_start(self, fields):
        pool = Pool()
        User = pool.get('res.user')
        Permanence = pool.get('gru.counter.permanence')
        Antenna = pool.get('gru.antenna')
        Start = pool.get('gru.counter.walkin.start')
        visit = self._visit()
        now = dt.datetime.now()
        if visit:
            antenna = visit.antenna
            permanence = visit.permanence
        else:
            antenna_id = User.counter_antenna()
            antenna = Antenna(antenna_id) if antenna_id else None
            permanence = Permanence.current(
                antenna, now, user=Transaction().user) if antenna else None
        values = {
            'antenna': antenna.id if antenna else None,
            'permanence': permanence.id if permanence else None,
            'visit': visit.id if visit else None,
            'visit_party': visit.party.id if visit and visit.party else None,
            'usager': NEW,
            }
        search = (visit.name or (visit.party.name if visit.party else None)
            ) if visit else None
        if search:
            start = Start(search=search, visit_party=values['visit_party'],
                usager=NEW, new_name=None, new_phone=None, new_email=None,
                new_postal_code=None, match_reasons=None)
            start.on_change_search()
            values.update({
                    'search': start.search,
                    'usager': start.usager,
                    'match_reasons': start.match_reasons,
                    'new_name': start.new_name,
                    'new_phone': start.new_phone,
                    'new_email': start.new_email,
                    'new_postal_code': start.new_postal_code,
                    })
        elif values['visit_party']:
            values['usager'] = str(values['visit_party'])
        return values

    def transition_identify(self):
        start = self.start
        if start.usager in {None, NEW}:
            if not (start.new_name or start.new_phone or start.new_email):
                raise WalkInError(gettext('gru_counter.msg_walkin_no_usager'))
            self._check_new_usager()
        elif int(start.usager) not in start.candidate_ids():
            raise WalkInError(gettext('gru_counter.msg_walkin_not_candidate'))
        return 'details'

    def _check_new_usager(self):
        "Refuse malformed contact data of the new usager, naming the field"
        start = self.start
        for value, check, field in [
                (start.new_phone, normalize_phone, 'new_phone'),
                (start.new_email, normalize_email, 'new_email'),
                (start.new_postal_code, normalize_postal_code,
                    'new_postal_code')]:
            if value and not check(value):
                raise WalkInError(gettext('gru_counter.msg_walkin_invalid',
                        field=start.__class__.fields_get(
                            [field])[field]['string'],
                        value=value))

    def default_details(self, fields):
        pool = Pool()
        Party = pool.get('party.party')
        start = self.start
        visit = self._visit()
        if start.usager not in {None, NEW}:
            name = Party(int(start.usager)).name
        else:
            name = start.new_name or start.new_email or start.new_phone
        values = {
            'usager_name': name,
            'motive': visit.motive.id if visit and visit.motive else None,
            'scheme': visit.scheme.id if visit and visit.scheme else None,
            }
        if visit and visit.called_at:
            values['time_spent'] = max(1, minutes_between(
                    visit.called_at, dt.datetime.now()))
        for name in ['motive', 'scheme', 'time_spent', 'note', 'answer']:
            # coming back from the first step keeps what was typed
            value = getattr(self.details, name, None)
            if value is not None:
                values[name] = getattr(value, 'id', value)
        return values

    def transition_register(self):
        pool = Pool()
        User = pool.get('res.user')
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        Visit = pool.get('gru.counter.visit')
        start, details = self.start, self.details
        visit = self._visit()
        antenna = visit.antenna if visit else start.antenna
        permanence = visit.permanence if visit else start.permanence
        # the wizard writes as the system: the scopes are checked here
        User.check_counter_antenna(antenna)
        if permanence and permanence.antenna != antenna:
            raise WalkInError(gettext(
                    'gru_counter.msg_walkin_permanence_antenna',
                    permanence=permanence.rec_name,
                    antenna=antenna.rec_name))
        if not details.time_spent or details.time_spent <= 0:
            raise WalkInError(gettext('gru_counter.msg_walkin_time_spent'))
        self.transition_identify()
        party = self._party()

        now = dt.datetime.now().replace(second=0, microsecond=0)
        started = now - dt.timedelta(minutes=details.time_spent)
        received_at = visit.arrived_at if visit else started
        subject = details.motive.rec_name
        if details.scheme:
            subject = '%s - %s' % (subject, details.scheme.rec_name)
        values = {
            'channel': 'counter',
            'received_at': received_at,
            'subject': subject[:200],
            'party': party,
            'antenna': antenna,
            'motive': details.motive,
            'scheme': details.scheme,
            'origin_address': (permanence.place if permanence
                else antenna.name),
            }
        if visit and visit.company:
            values['company'] = visit.company
        # no address: the usager spoke at the counter
        message = {
            'subject': subject[:200],
            'body': details.note or subject,
            'date': received_at,
            'from_address': None,
            'to_address': None,
            }
        request, = Request.intake_many([(values, message)])
        if details.answer and request.state != 'cancelled':
            Message.create([{
                        'request': request.id,
                        'direction': 'out',
                        'channel': 'counter',
                        'date': now,
                        'subject': subject[:200],
                        'body': details.answer,
                        }])
            Request.answer([request])

        if visit:
            Visit.see([visit], request, details.time_spent, at=now)
        else:
            Visit.create([{
                        'antenna': antenna.id,
                        'permanence': permanence.id if permanence else None,
                        'company': request.company.id,
                        'arrived_at': started,
                        'party': party.id,
                        'name': party.name,
                        'motive': details.motive.id,
                        'scheme': details.scheme.id
                        if details.scheme else None,
                        'state': 'seen',
                        'called_at': started,
                        'seen_by': Transaction().user or None,
                        'ended_at': now,
                        'time_spent': details.time_spent,
                        'request': request.id,
                        }])
        return 'end'

    def _party(self):
        """Return the usager chosen, or the new usager: the one the
        matching policy assigns from his contact data, else created"""
        pool = Pool()
        Party = pool.get('party.party')
        Matching = pool.get('gru.contact.matching')
        start = self.start
        if start.usager not in {None, NEW}:
            return Party(int(start.usager))
        decision = Matching.resolve(name=start.new_name,
            phone=start.new_phone, email=start.new_email,
            postal_code=start.new_postal_code)
        if decision['decision'] == 'assign':
            return Party(decision['party'])
        mechanisms = []
        if start.new_email:
            mechanisms.append({'type': 'email',
                    'value': start.new_email.strip()})
        if start.new_phone:
            mechanisms.append({'type': 'phone',
                    'value': start.new_phone.strip()})
        addresses = []
        if start.new_postal_code:
            addresses.append({
                    'postal_code': normalize_postal_code(
                        start.new_postal_code)})
        party, = Party.create([{
                    'name': (start.new_name or start.new_email
                        or start.new_phone).strip(),
                    'contact_mechanisms': [('create', mechanisms)],
                    'addresses': [('create', addresses)],
                    }])
        return party
