# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The agents of the toll-free line (res.user): SIP account and presence."
import datetime as dt

from trytond.model import ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

PRESENCES = [
    ('available', "Available"),
    ('on_call', "On a Call"),
    ('away', "Away"),
    ]


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    sip_user = fields.Char("SIP Account",
        help="The account of the agent on the telephony (e.g. "
        "'ami-agent1'): the IVR decision offers the call to it.")
    phone_presence = fields.Selection(PRESENCES, "Phone Presence",
        required=True,
        help="Available: the IVR decision offers calls to the agent. It "
        "becomes \"On a Call\" when he answers and \"Available\" again "
        "when the call ends.")
    phone_presence_at = fields.DateTime("Presence Since", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('sip_user_unique', Unique(t, t.sip_user),
                'gru_phone.msg_sip_user_unique'),
            ]
        # the presence is the agent's own: he sets it in his preferences
        cls._preferences_fields.append('phone_presence')
        cls._buttons.update({
                'toggle_presence': {
                    'invisible': ~Bool(Eval('sip_user')),
                    'icon': 'tryton-refresh',
                    'depends': ['sip_user'],
                    },
                })

    @classmethod
    def default_phone_presence(cls):
        return 'away'

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('sip_user'):
            values['sip_user'] = values['sip_user'].strip() or None
        if 'phone_presence' in values and 'phone_presence_at' not in values:
            values['phone_presence_at'] = dt.datetime.now()
        return values

    @classmethod
    @ModelView.button
    def toggle_presence(cls, users):
        "Available ↔ away (an agent on a call becomes available)"
        to_write = []
        for user in users:
            to_write.extend(([user], {'phone_presence': user.next_presence()}))
        if to_write:
            cls.write(*to_write)

    def next_presence(self):
        return 'away' if self.phone_presence == 'available' else 'available'

    @classmethod
    def set_own_presence(cls, presence):
        "Set the presence of the current user (the My Presence action)"
        user_id = Transaction().user
        if not user_id:
            return
        with without_check_access():
            cls.write([cls(user_id)], {'phone_presence': presence})


class PresenceStart(ModelView):
    "My Presence"
    __string__ = "My Presence"
    __name__ = 'gru.phone.presence.start'

    sip_user = fields.Char("SIP Account", readonly=True)
    phone_presence = fields.Selection(PRESENCES, "Phone Presence",
        readonly=True)
    phone_presence_at = fields.DateTime("Presence Since", readonly=True)


class Presence(Wizard):
    "My Presence"
    __string__ = "My Presence"
    __name__ = 'gru.phone.presence'
    start = StateView('gru.phone.presence.start',
        'gru_phone.presence_start_view_form', [
            Button("Close", 'end', 'tryton-close'),
            Button("Away", 'away', 'tryton-clock'),
            Button("Available", 'available', 'tryton-ok', default=True),
            ])
    available = StateTransition()
    away = StateTransition()

    def default_start(self, fields):
        pool = Pool()
        User = pool.get('res.user')
        with without_check_access():
            user = User(Transaction().user)
            return {
                'sip_user': user.sip_user,
                'phone_presence': user.phone_presence,
                'phone_presence_at': user.phone_presence_at,
                }

    def transition_available(self):
        Pool().get('res.user').set_own_presence('available')
        return 'end'

    def transition_away(self):
        Pool().get('res.user').set_own_presence('away')
        return 'end'
