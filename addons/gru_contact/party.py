# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
from itertools import chain

from sql.conditionals import Coalesce
from sql.functions import Lower, Substring

from trytond.i18n import gettext
from trytond.model import Index, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction

from gru_base.model import ExportAccessMixin
from gru_territory.exceptions import RoutingInputError
from gru_territory.tools import normalize_postal_code

from .exceptions import InvalidEmail, InvalidPhone
from .tools import (
    DEFAULT_REGION, name_key, name_key_rotated, normalize_email,
    normalize_phone, parse_phone, search_keys)

PHONE_TYPES = {'phone', 'mobile', 'fax'}


class Party(ExportAccessMixin, metaclass=PoolMeta):
    __name__ = 'party.party'

    is_person = fields.Boolean("Person",
        help="Check for an individual usager, uncheck for an organisation.")
    antenna = fields.Many2One('gru.antenna', "Antenna", ondelete='RESTRICT',
        states={
            'readonly': ~Eval('antenna_override', False),
            'required': Bool(Eval('antenna_override', False)),
            },
        help="The antenna of attachment: computed from the main address "
        "through the territorial plan unless overridden.")
    antenna_override = fields.Boolean("Override Antenna",
        help="Check to choose the antenna by hand instead of the routing.")
    antenna_reason = fields.Char("Override Reason",
        states={
            'invisible': ~Eval('antenna_override', False),
            'required': Bool(Eval('antenna_override', False)),
            },
        help="Why the antenna differs from the one of the address.")
    antenna_explanation = fields.Char("Routing", readonly=True,
        help="How the routing found the antenna of the main address.")
    postal_code = fields.Char("Postal Code", readonly=True,
        help="The postal code of the main address.")
    birth_date = fields.Date("Birth Date",
        domain=[If(Eval('birth_date'),
                ('birth_date', '>', dt.date(1900, 1, 1)), ())])
    birth_year = fields.Integer("Birth Year", readonly=True,
        help="Kept for statistics when the usager is anonymised.")
    preferred_channel = fields.Selection('get_preferred_channels',
        "Preferred Channel",
        help="The channel the usager prefers to be answered on.")
    consent_email = fields.Boolean("Consents to Email",
        help="The usager accepts to be contacted by email.")
    consent_sms = fields.Boolean("Consents to SMS",
        help="The usager accepts to be contacted by SMS.")
    consent_date = fields.Date("Consent Date", readonly=True,
        help="When the consents were last changed.")
    name_key = fields.Char("Name Key", readonly=True,
        help="The name without accents, case nor word order, for matching.")
    name_key_rotated = fields.Char("Rotated Name Key", readonly=True,
        help="The name key starting from its second word, for matching.")
    last_contact_date = fields.Date("Last Contact",
        help="The date of the last contact with the usager; "
        "the retention rule counts from it.")
    archived = fields.Boolean("Archived", readonly=True,
        help="In the intermediate archive: no contact for a long time, "
        "kept out of the daily lists until the next contact.")
    archive_date = fields.Date("Archive Date", readonly=True)
    anonymized = fields.Boolean("Anonymised", readonly=True)
    anonymization_date = fields.Date("Anonymisation Date", readonly=True)
    retention_due = fields.Function(fields.Boolean("Retention Expired",
            help="The retention period after the last contact is over."),
        'get_retention_due', searcher='search_retention_due')

    @classmethod
    def __setup__(cls):
        cls.name_key.search_unaccented = False
        cls.name_key_rotated.search_unaccented = False
        super().__setup__()
        t = cls.__table__()
        # covering indexes: the name look-ups are index-only scans
        cls._sql_indexes.update({
                Index(t,
                    (t.name_key, Index.Similarity(begin=True)),
                    (t.id, Index.Equality())),
                Index(t,
                    (t.name_key_rotated, Index.Similarity(begin=True)),
                    (t.name_key, Index.Equality()),
                    (t.id, Index.Equality())),
                Index(t,
                    (t.postal_code, Index.Equality()),
                    (t.name_key, Index.Similarity(begin=True)),
                    (t.id, Index.Equality())),
                Index(t,
                    (t.postal_code, Index.Equality()),
                    (t.name_key_rotated, Index.Similarity(begin=True)),
                    (t.name_key, Index.Equality()),
                    (t.id, Index.Equality())),
                Index(t, (t.last_contact_date, Index.Range())),
                })

    @classmethod
    def get_preferred_channels(cls):
        """Return the channels a usager may prefer: none here, the inbox
        (gru_inbox) gives those of its requests"""
        return [(None, "")]

    @classmethod
    def default_is_person(cls):
        return True

    @classmethod
    def default_antenna_override(cls):
        return False

    @classmethod
    def default_anonymized(cls):
        return False

    @classmethod
    def default_archived(cls):
        return False

    @classmethod
    def default_last_contact_date(cls):
        return Pool().get('ir.date').today()

    @fields.depends('consent_email', 'consent_sms')
    def on_change_consent_email(self):
        self.consent_date = Pool().get('ir.date').today()

    on_change_consent_sms = on_change_consent_email

    @fields.depends('antenna_override', 'antenna_reason')
    def on_change_antenna_override(self):
        if not self.antenna_override:
            self.antenna_reason = None

    def compute_fields(self, field_names=None):
        values = super().compute_fields(field_names=field_names)
        if field_names is None or 'name' in field_names:
            key = name_key(getattr(self, 'name', None))
            if getattr(self, 'name_key', None) != key:
                values['name_key'] = key
                values['name_key_rotated'] = name_key_rotated(key)
        if field_names is None or 'birth_date' in field_names:
            birth_date = getattr(self, 'birth_date', None)
            if birth_date:
                values['birth_year'] = birth_date.year
        return values

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        today = Pool().get('ir.date').today()
        if ({'consent_email', 'consent_sms'} & values.keys()
                and 'consent_date' not in values
                and (mode == 'write' or values.get('consent_email')
                    or values.get('consent_sms'))):
            values['consent_date'] = today
        if values.get('antenna_override') is False:
            values['antenna_reason'] = None
        return values

    @classmethod
    def on_modification(cls, mode, parties, field_names=None):
        super().on_modification(mode, parties, field_names=field_names)
        if mode == 'write' and 'antenna_override' in field_names:
            cls.update_antenna(parties)

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('anonymized')
        default.setdefault('anonymization_date')
        default.setdefault('archived')
        default.setdefault('archive_date')
        return super().copy(parties, default=default)

    def main_address(self):
        "Return the address the antenna is computed from"
        for address in self.addresses:
            if address.active:
                return address
        return None

    @classmethod
    def update_antenna(cls, parties, date=None):
        """Recompute the postal code and, unless overridden, the antenna of
        the active parties from their main address."""
        pool = Pool()
        Routing = pool.get('gru.territory.routing')
        to_write = {}
        for party in parties:
            if not party.active or party.anonymized:
                # keep what a merged or anonymised usager was attached to
                continue
            address = party.main_address()
            postal_code = city = None
            if address:
                postal_code = (normalize_postal_code(address.postal_code)
                    or address.postal_code or None)
                city = address.city or None
            values = {}
            if party.postal_code != postal_code:
                values['postal_code'] = postal_code
            if not party.antenna_override:
                antenna, explanation = None, None
                if postal_code or city:
                    try:
                        result = Routing.resolve(
                            postal_code=postal_code, commune=city, date=date)
                    except RoutingInputError as exception:
                        explanation = exception.message
                    else:
                        if result['antenna']:
                            antenna = result['antenna']['id']
                        explanation = result['explanation']
                else:
                    explanation = gettext('gru_contact.msg_antenna_no_address')
                if explanation and len(explanation) > 250:
                    explanation = explanation[:249] + '…'
                if (party.antenna.id if party.antenna else None) != antenna:
                    values['antenna'] = antenna
                if party.antenna_explanation != explanation:
                    values['antenna_explanation'] = explanation
            if values:
                key = tuple(sorted(values.items()))
                to_write.setdefault(key, []).append(party)
        if to_write:
            # one write per distinct change: usagers often share them
            cls.write(*chain.from_iterable(
                    (parties, dict(key)) for key, parties in to_write.items()))

    @classmethod
    def retention_limit(cls):
        """Return the date before which the last contact is too old: the
        deletion period of the active 'usager' retention policy"""
        Policy = Pool().get('gru.retention.policy')
        return Policy.usager_limit()

    def get_retention_due(self, name):
        if self.anonymized:
            return False
        last = self.last_contact_date or (
            self.create_date.date() if self.create_date else None)
        return bool(last and last < self.retention_limit())

    @classmethod
    def search_retention_due(cls, name, clause):
        _, operator, value = clause
        limit = cls.retention_limit()
        due = ['AND',
            ('anonymized', '!=', True),
            ['OR',
                ('last_contact_date', '<', limit),
                [('last_contact_date', '=', None),
                    ('create_date', '<', dt.datetime.combine(
                            limit, dt.time()))],
                ],
            ]
        if (operator == '=') == bool(value):
            return due
        return ['OR',
            ('anonymized', '=', True),
            [
                ['OR',
                    ('last_contact_date', '>=', limit),
                    ('last_contact_date', '=', None),
                    ],
                ['OR',
                    ('last_contact_date', '!=', None),
                    ('create_date', '>=', dt.datetime.combine(
                            limit, dt.time())),
                    ]],
            ]

    @classmethod
    def __register__(cls, module):
        pool = Pool()
        Model = pool.get('ir.model')
        super().__register__(module)
        # the usagers are found from the search box of the header
        model = Model.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*model.update([model.global_search_p], [True],
                where=(model.name == cls.__name__)
                & (Coalesce(model.global_search_p, False)
                    == False)))  # noqa: E712

    @staticmethod
    def order_name(tables):
        # "de Vries" sorts with "Dupont", not after "Zola"
        table, _ = tables[None]
        return [Lower(table.name), table.name]

    @classmethod
    def search_rec_name(cls, name, clause):
        """Find the usagers also by their normalised phone number or email
        and by their name in any word order"""
        domain = super().search_rec_name(name, clause)
        _, operator, operand, *extra = clause
        if (domain and domain[0] == 'OR' and isinstance(operand, str)
                and operator in {'=', 'ilike', 'like'}):
            keys = search_keys(operand)
            domain = list(domain)
            for key in [keys['phone'], keys['email']]:
                if key:
                    domain.append(('contact_mechanisms.value_key', '=', key))
            if keys['name_key'] and operator != '=':
                domain.append(
                    ('name_key', 'like', '%' + keys['name_key'] + '%'))
        return domain

    @classmethod
    def usager_labels(cls, parties):
        """Return {id: label} telling usagers of the same name apart: the
        name with the town and the birth year, or the email when the birth
        year is unknown"""
        labels = {}
        for party in parties:
            details = []
            address = party.main_address() if party.addresses else None
            if address and address.city:
                details.append(address.city)
            if party.birth_year:
                details.append(str(party.birth_year))
            else:
                emails = [m.value for m in party.contact_mechanisms
                    if m.type == 'email' and m.active]
                if emails:
                    details.append(emails[0])
            label = party.rec_name
            if details:
                label = '%s (%s)' % (label, ', '.join(details))
            labels[party.id] = label
        return labels

    @classmethod
    def autocomplete(cls, text, domain=None, limit=None, order=None):
        result = super().autocomplete(
            text, domain=domain, limit=limit, order=order)
        ids = [r['id'] for r in result if r.get('id') is not None]
        labels = cls.usager_labels(cls.browse(ids))
        for value in result:
            if value.get('id') in labels:
                value['name'] = labels[value['id']]
        return result

    @classmethod
    def search_global(cls, text):
        found = list(super().search_global(text))
        labels = cls.usager_labels([r for r, _, _ in found])
        for record, name, icon in found:
            yield record, labels.get(record.id, name), icon

    @classmethod
    def touch_contact(cls, parties, date=None):
        """Record a contact with the parties at date (today by default):
        modules of the channels call it on every contact."""
        date = date or Pool().get('ir.date').today()
        later = [p for p in parties
            if not p.last_contact_date or p.last_contact_date < date]
        archived = [p for p in parties if p.archived]
        to_write = []
        if later:
            to_write.extend((later, {'last_contact_date': date}))
        if archived:
            # back in the active base
            to_write.extend((archived, {
                        'archived': False,
                        'archive_date': None,
                        }))
        if to_write:
            cls.write(*to_write)


class Address(ExportAccessMixin, metaclass=PoolMeta):
    __name__ = 'party.address'

    @classmethod
    def on_modification(cls, mode, addresses, field_names=None):
        super().on_modification(mode, addresses, field_names=field_names)
        if mode == 'create' or (mode == 'write' and field_names & {
                    'postal_code', 'city', 'active', 'sequence', 'party'}):
            Party = Pool().get('party.party')
            Party.update_antenna(Party.browse({a.party.id for a in addresses}))

    @classmethod
    def on_delete(cls, addresses):
        pool = Pool()
        Party = pool.get('party.party')
        callback = super().on_delete(addresses)
        party_ids = {a.party.id for a in addresses}

        def update():
            parties = Party.search([('id', 'in', list(party_ids))])
            Party.update_antenna(parties)
        if party_ids:
            callback.append(update)
        return callback


class ContactMechanism(ExportAccessMixin, metaclass=PoolMeta):
    __name__ = 'party.contact_mechanism'

    value_key = fields.Char("Look-up Key", readonly=True,
        help="The normalised email address (lower case) or phone number "
        "(E.164) used to find the usager.")

    @classmethod
    def __setup__(cls):
        cls.value_key.search_unaccented = False
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.value_key, Index.Equality())))

    @fields.depends(methods=['_phone_country_codes'])
    def _parse_phonenumber(self, value):
        # The usagers live in France: a national number is French
        codes = list(self._phone_country_codes())
        if DEFAULT_REGION not in codes and value:
            number = super()._parse_phonenumber(value)
            if number is not None:
                return number
            return parse_phone(value)
        return super()._parse_phonenumber(value)

    @classmethod
    def value_key_of(cls, type_, value):
        "Return the look-up key of value for the type or None"
        if type_ == 'email':
            return normalize_email(value)
        elif type_ in PHONE_TYPES:
            return normalize_phone(value)
        return None

    def compute_fields(self, field_names=None):
        values = super().compute_fields(field_names=field_names)
        if field_names is None or {'value', 'type'} & field_names:
            value = values.get('value', getattr(self, 'value', None))
            key = self.value_key_of(getattr(self, 'type', None), value)
            if getattr(self, 'value_key', None) != key:
                values['value_key'] = key
        return values

    @classmethod
    def check_valid_phonenumber(cls, mechanisms, field_names=None):
        if field_names and not (field_names & {'type', 'value'}):
            return
        for mechanism in mechanisms:
            if (mechanism.type in PHONE_TYPES
                    and not mechanism._parse_phonenumber(mechanism.value)):
                raise InvalidPhone(gettext('gru_contact.msg_invalid_phone',
                        field=mechanism.type_string,
                        value=mechanism.value,
                        party=mechanism.party.rec_name))

    @classmethod
    def check_valid_email(cls, mechanisms, field_names=None):
        if field_names and not (field_names & {'type', 'value'}):
            return
        for mechanism in mechanisms:
            if (mechanism.type == 'email'
                    and not normalize_email(mechanism.value)):
                raise InvalidEmail(gettext('gru_contact.msg_invalid_email',
                        field=mechanism.type_string,
                        value=mechanism.value,
                        party=mechanism.party.rec_name))
        super().check_valid_email(mechanisms, field_names=field_names)


class Identifier(ExportAccessMixin, metaclass=PoolMeta):
    __name__ = 'party.identifier'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.code, Index.Equality())))


class PartyConfiguration(metaclass=PoolMeta):
    __name__ = 'party.configuration'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        selection = list(cls.identifier_types.selection)
        keys = dict(selection)
        cls.identifier_types.selection = [t for t in IDENTIFIER_TYPES
            if t[0] not in keys] + selection


IDENTIFIER_TYPES = [
    ('gru_pas_account', "PAS Account"),
    ('gru_pas_file', "PAS File"),
    ]


class Replace(metaclass=PoolMeta):
    __name__ = 'party.replace'

    def transition_replace(self):
        pool = Pool()
        Party = pool.get('party.party')
        Duplicate = pool.get('gru.contact.duplicate')
        source, destination = self.ask.source, self.ask.destination
        # Keep on the survivor what only the duplicate knew
        values = {}
        for name in self._fields_to_complete():
            if (getattr(destination, name) in (None, False)
                    and getattr(source, name) not in (None, False)):
                value = getattr(source, name)
                values[name] = getattr(value, 'id', value)
        last = max(filter(None, [
                    source.last_contact_date, destination.last_contact_date]),
            default=None)
        if last and last != destination.last_contact_date:
            values['last_contact_date'] = last
        state = super().transition_replace()
        if values:
            Party.write([Party(destination.id)], values)
        Duplicate.delete(Duplicate.search(['OR',
                    ('party', '=', source.id),
                    ('other', '=', source.id),
                    ]))
        Party.update_antenna([Party(destination.id)])
        return state

    @classmethod
    def fields_to_replace(cls):
        # the notes and attachments follow the survivor too
        return super().fields_to_replace() + [
            ('ir.attachment', 'resource'),
            ('ir.note', 'resource'),
            ]

    @classmethod
    def _fields_to_complete(cls):
        return ['birth_date', 'preferred_channel']


class ReplaceAsk(metaclass=PoolMeta):
    __name__ = 'party.replace.ask'

    @classmethod
    def default_source(cls):
        pool = Pool()
        Duplicate = pool.get('gru.contact.duplicate')
        context = Transaction().context
        if context.get('active_model') == Duplicate.__name__:
            return Duplicate(context['active_id']).other.id
        return super().default_source()

    @classmethod
    def default_destination(cls):
        pool = Pool()
        Duplicate = pool.get('gru.contact.duplicate')
        context = Transaction().context
        if context.get('active_model') == Duplicate.__name__:
            return Duplicate(context['active_id']).party.id
        if hasattr(super(), 'default_destination'):
            return super().default_destination()


class Erase(metaclass=PoolMeta):
    __name__ = 'party.erase'

    def to_erase(self, party_id):
        pool = Pool()
        Party = pool.get('party.party')
        ContactMechanism = pool.get('party.contact_mechanism')
        Identifier = pool.get('party.identifier')
        Duplicate = pool.get('gru.contact.duplicate')
        to_erase = super().to_erase(party_id)
        to_erase.extend([
                (Party, [('id', '=', party_id)], False,
                    ['name_key', 'name_key_rotated', 'birth_date',
                        'preferred_channel',
                        'consent_email', 'consent_sms', 'consent_date',
                        'antenna_reason', 'antenna_explanation',
                        'postal_code'],
                    [None, None, None, None, False, False, None, None, None,
                        lambda c: Substring(c, 1, 2)]),
                (ContactMechanism, [('party', '=', party_id)], False,
                    ['value_key', 'value_compact'], [None, None]),
                # required column: masked like the code by party.erase
                (Identifier, [('party', '=', party_id)], False,
                    ['code_compact'], ['****']),
                # the reasons quote the shared email, phone or reference
                (Duplicate, ['OR',
                        ('party', '=', party_id),
                        ('other', '=', party_id),
                        ], False,
                    ['reasons'], [None]),
                ])
        return to_erase
