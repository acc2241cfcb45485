# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Qualify a call: the request it creates through the intake, or continues."
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction
from trytond.wizard import (
    Button, StateAction, StateTransition, StateView, Wizard)

from gru_inbox.inbox import OPEN_STATES

from .exceptions import CallError


class QualifyStart(ModelView):
    "Qualify Call"
    __string__ = "Qualify Call"
    __name__ = 'gru.phone.call.qualify.start'

    call = fields.Many2One('gru.phone.call', "Call", readonly=True)
    party = fields.Many2One('party.party', "Usager",
        help="Empty for a new caller: the request keeps the number and the "
        "name given.")
    caller = fields.Char("Caller", readonly=True)
    contact_name = fields.Char("Caller's Name",
        states={'invisible': Bool(Eval('party'))})
    postal_code = fields.Char("Postal Code", size=5)
    continued = fields.Many2One('gru.inbox.request', "Continue Request",
        domain=[
            ('party', '=', Eval('party', -1)),
            ('state', 'in', OPEN_STATES),
            ],
        states={'invisible': ~Bool(Eval('party'))},
        help="An open request of the usager the call is about: the note "
        "is added to it instead of creating a request.")
    motive = fields.Many2One('gru.inbox.motive', "Motive",
        states={'invisible': Bool(Eval('continued'))})
    scheme = fields.Many2One('gru.scheme', "Scheme",
        states={'invisible': Bool(Eval('continued'))})
    note = fields.Text("Note", required=True,
        help="What the caller asked and what was answered.")


class Qualify(Wizard):
    "Qualify Call"
    __string__ = "Qualify Call"
    __name__ = 'gru.phone.call.qualify'
    start = StateView('gru.phone.call.qualify.start',
        'gru_phone.call_qualify_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Qualify", 'qualify', 'tryton-ok', default=True),
            ])
    qualify = StateTransition()
    open_ = StateAction('gru_inbox.act_request_form')

    def default_start(self, fields):
        call = self.record
        if call.request and call.outcome not in {
                'callback', 'out_of_hours', 'missed', 'abandoned'}:
            raise CallError(gettext('gru_phone.msg_call_already_qualified',
                    call=call.rec_name, request=call.request.rec_name))
        open_requests = [r.id for r in call.open_requests]
        return {
            'call': call.id,
            'party': call.party.id if call.party else None,
            'caller': call.caller,
            'postal_code': call.postal_code,
            'continued': call.request.id if call.request
            else (open_requests[0] if len(open_requests) == 1 else None),
            }

    def transition_qualify(self):
        pool = Pool()
        Call = pool.get('gru.phone.call')
        Request = pool.get('gru.inbox.request')
        Message = pool.get('gru.inbox.message')
        call = self.record
        start = self.start
        moment = call.answer_at or call.started_at or call.decided_at
        message = {
            'body': start.note,
            'date': moment,
            'from_address': call.caller,
            'direction': 'in',
            'channel': 'phone',
            }
        if start.continued:
            request = start.continued
            # read as the user: the access rules apply to the request
            Request.read([request.id], ['id'])
            Message.create([dict(message, request=request.id)])
        else:
            caller = call.caller if call.caller and call.caller.startswith(
                '+') else None
            context = {}
            if not Transaction().context.get('company'):
                Company = pool.get('company.company')
                companies = Company.search([], limit=1)
                if companies:
                    context['company'] = companies[0].id
            with Transaction().set_context(**context):
                request, = Request.intake_many([({
                                'channel': 'phone',
                                'received_at': moment,
                                'subject': (start.motive.rec_name
                                    if start.motive else None)
                                or start.note.splitlines()[0][:200],
                                'party': start.party,
                                'contact_name': None if start.party
                                else start.contact_name,
                                'contact_phone': caller,
                                'contact_postal_code': start.postal_code,
                                'antenna': call.antenna or call.routed_antenna,
                                'motive': start.motive,
                                'scheme': start.scheme,
                                'origin_address': call.called,
                                }, message)])
        values = {'request': request.id, 'note': start.note}
        if start.party and start.party != call.party:
            values['party'] = start.party.id
        if call.note:
            del values['note']
        Call.write([call], values)
        self.start.continued = request
        return 'open_'

    def do_open_(self, action):
        action['res_id'] = [self.start.continued.id]
        action['views'].reverse()
        return action, {}
