# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Eligibility: scheme-specific request data and criteria evaluated on a
user (party) with a three-valued result."""
import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from sql import Null

from trytond.i18n import gettext
from trytond.model import (
    DictSchemaMixin, ModelSQL, ModelView, Unique, fields, sequence_ordered)
from trytond.pool import Pool
from trytond.pyson import Eval, If, PYSONEncoder
from trytond.transaction import Transaction
from trytond.wizard import Button, StateView, Wizard

from .exceptions import CriterionValidationError

SUBJECTS = [
    ('age', "Age of the User"),
    ('postal_code', "Postal Code of the User"),
    ('department', "Department of the User"),
    ('antenna', "Antenna of the User"),
    ('party', "Field of the User"),
    ('data', "Request Data"),
    ]
OPERATORS = [
    ('=', "equals"),
    ('!=', "differs from"),
    ('<', "is less than"),
    ('<=', "is at most"),
    ('>', "is greater than"),
    ('>=', "is at least"),
    ('between', "is between"),
    ('in', "is one of"),
    ('not in', "is none of"),
    ('set', "is given"),
    ('true', "is yes"),
    ('false', "is no"),
    ]
VALUE_OPERATORS = {'=', '!=', '<', '<=', '>', '>=', 'between', 'in',
    'not in'}
ORDER_OPERATORS = {'<', '<=', '>', '>=', 'between'}
ELIGIBLE, NOT_ELIGIBLE, UNDETERMINED = 'eligible', 'not_eligible', \
    'undetermined'
MET, FAILED = 'met', 'failed'
_MISSING = object()
_TRUE = {'1', 'true', 'yes', 'y', 'oui', 'o', 'vrai', 'x'}
_FALSE = {'0', 'false', 'no', 'n', 'non', 'faux', ''}


class ConversionError(ValueError):
    pass


def _fold(text):
    text = unicodedata.normalize('NFKD', str(text))
    return ''.join(c for c in text if not unicodedata.combining(c)
        ).casefold().strip()


def convert(value, type_):
    """Convert value to the Python type of the schema type_ or raise
    ConversionError; strings are stripped and compared folded."""
    if value is None:
        return None
    try:
        if type_ == 'boolean':
            if isinstance(value, bool):
                return value
            if isinstance(value, (int, float, Decimal)):
                return bool(value)
            folded = _fold(value)
            if folded in _TRUE:
                return True
            if folded in _FALSE:
                return False
            raise ConversionError(value)
        elif type_ == 'integer':
            if isinstance(value, bool):
                raise ConversionError(value)
            if isinstance(value, (float, Decimal)):
                if value != int(value):
                    raise ConversionError(value)
                return int(value)
            return int(str(value).strip())
        elif type_ in {'float', 'numeric'}:
            if isinstance(value, bool):
                raise ConversionError(value)
            return Decimal(str(value).strip().replace(',', '.'))
        elif type_ == 'date':
            if isinstance(value, dt.datetime):
                return value.date()
            if isinstance(value, dt.date):
                return value
            return dt.date.fromisoformat(str(value).strip())
        elif type_ == 'datetime':
            if isinstance(value, dt.datetime):
                return value
            return dt.datetime.fromisoformat(str(value).strip())
        elif type_ == 'multiselection':
            if isinstance(value, (list, tuple)):
                return [option_key(v) for v in value]
            return [option_key(v) for v in str(value).split(',')
                if v.strip()]
        elif type_ == 'selection':
            if isinstance(value, (list, tuple, dict)):
                raise ConversionError(value)
            return option_key(value)
        else:
            if isinstance(value, (list, tuple, dict)):
                raise ConversionError(value)
            return _fold(value)
    except (ValueError, TypeError, InvalidOperation):
        raise ConversionError(value)


def infer_type(value):
    "Return the schema type of a Python value"
    if isinstance(value, bool):
        return 'boolean'
    if isinstance(value, int):
        return 'integer'
    if isinstance(value, (float, Decimal)):
        return 'numeric'
    if isinstance(value, dt.datetime):
        return 'datetime'
    if isinstance(value, dt.date):
        return 'date'
    if isinstance(value, (list, tuple)):
        return 'multiselection'
    return 'char'


def age_at(birth_date, date):
    "Return the age in full years at date of someone born at birth_date"
    years = date.year - birth_date.year
    if (date.month, date.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


DATA_TYPES = [
    ('char', "Text"),
    ('integer', "Whole Number"),
    ('numeric', "Decimal Number"),
    ('float', "Decimal Number (approximate)"),
    ('boolean', "Yes or No"),
    ('date', "Date"),
    ('datetime', "Date and Time"),
    ('selection', "Choice in a List"),
    ('multiselection', "Multiple Choice"),
    ]
NUMBER_TYPES = {'integer', 'numeric', 'float'}
CHOICE_TYPES = {'selection', 'multiselection'}


def option_key(label):
    """Return the key stored for the option label of a choice list (a key
    is its own key: criteria may give the label or the key)"""
    return re.sub(r'[^a-z0-9]+', '_', _fold(label)).strip('_') or '_'


class DataField(DictSchemaMixin, ModelSQL, ModelView):
    "Scheme Request Data Field"
    __string__ = "Scheme Request Data Field"
    __name__ = 'gru.scheme.data.field'

    scheme = fields.Many2One('gru.scheme', "Scheme", required=True,
        ondelete='CASCADE')
    sequence = fields.Integer("Sequence")
    minimum = fields.Numeric("Minimum",
        states={
            'invisible': ~Eval('type_').in_(list(NUMBER_TYPES)),
            },
        help="The smallest value accepted; empty: no limit.")
    maximum = fields.Numeric("Maximum",
        domain=[
            If(Eval('minimum', None) & Eval('maximum', None),
                ('maximum', '>=', Eval('minimum', 0)),
                ()),
            ],
        states={
            'invisible': ~Eval('type_').in_(list(NUMBER_TYPES)),
            },
        help="The largest value accepted; empty: no limit.")
    options = fields.Function(fields.Text("Choices",
            states={
                'invisible': ~Eval('type_').in_(list(CHOICE_TYPES)),
                'required': Eval('type_').in_(list(CHOICE_TYPES)),
                },
            help="One choice a line, as the agent sees it."),
        'get_options', setter='set_options')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('scheme_name_unique', Unique(t, t.scheme, t.name),
                'gru_scheme.msg_data_field_name_unique'),
            ]
        cls._order.insert(0, ('sequence', 'ASC NULLS FIRST'))
        cls.type_.selection = list(DATA_TYPES)
        cls.type_.sort = False
        cls.type_.string = "Kind of Data"
        cls.string.string = "Label"
        cls.name.string = "Key"
        cls.name.help = ("Filled from the label; the name of the data in "
            "the exports and the templates.")
        cls.selection.states = {'invisible': True}

    @staticmethod
    def default_type_():
        return 'char'

    def get_options(self, name):
        return '\n'.join(label for _, label in self._selection_lines())

    def _selection_lines(self):
        lines = []
        for line in (self.selection or '').splitlines():
            if not line.strip():
                continue
            key, _, label = line.partition(':')
            lines.append((key.strip(), (label or key).strip()))
        return lines

    @classmethod
    def set_options(cls, fields_, name, value):
        for field in fields_:
            keys = {label: key for key, label in field._selection_lines()}
            lines = []
            for label in (value or '').splitlines():
                label = label.strip()
                if label:
                    lines.append('%s:%s' % (
                            keys.get(label) or option_key(label), label))
            cls.write([field], {'selection': '\n'.join(lines) or None})

    def _number(self, value):
        if value is None:
            return None
        if self.type_ == 'integer':
            return int(value)
        if self.type_ == 'float':
            return float(value)
        return Decimal(value)

    def _domain(self):
        "Return the PYSON domain of the limits or None"
        if self.type_ not in NUMBER_TYPES or not self.name:
            return None
        clauses = []
        if self.minimum is not None:
            clauses.append((self.name, '>=', self._number(self.minimum)))
        if self.maximum is not None:
            clauses.append((self.name, '<=', self._number(self.maximum)))
        if clauses:
            return PYSONEncoder(sort_keys=True).encode(clauses)

    @classmethod
    def _sync_domain(cls, fields_):
        "The domain of the dictionary follows the limits"
        for field in fields_:
            domain = field._domain()
            if field.domain != domain:
                # bypass write to keep the hook quiet
                super().write([field], {'domain': domain})

    @classmethod
    def create(cls, vlist):
        fields_ = super().create(vlist)
        cls._sync_domain(fields_)
        return fields_

    @classmethod
    def write(cls, *args):
        super().write(*args)
        cls._sync_domain(sum(args[0:None:2], []))


class Criterion(sequence_ordered(), ModelSQL, ModelView):
    "Scheme Eligibility Criterion"
    __string__ = "Scheme Eligibility Criterion"
    __name__ = 'gru.scheme.criterion'

    scheme = fields.Many2One('gru.scheme', "Scheme", required=True,
        ondelete='CASCADE')
    name = fields.Char("Criterion", required=True,
        help="How the criterion is explained, e.g. \"Aged 18 to 30\".")
    subject = fields.Selection(SUBJECTS, "Subject", required=True,
        sort=False)
    party_field = fields.Selection('get_party_fields', "User Field",
        states={
            'invisible': Eval('subject') != 'party',
            'required': Eval('subject') == 'party',
            },
        help="A field of the user record, e.g. the birth date.")
    data_key = fields.Selection('get_data_keys', "Request Data",
        sort=False,
        states={
            'invisible': Eval('subject') != 'data',
            'required': Eval('subject') == 'data',
            },
        help="One of the request data of the scheme, saved or not yet.")
    data_field = fields.Many2One('gru.scheme.data.field', "Data Field",
        ondelete='RESTRICT',
        domain=[('scheme', '=', Eval('scheme', -1))],
        states={
            'invisible': Eval('subject') != 'data',
            })
    operator = fields.Selection(OPERATORS, "Operator", required=True,
        sort=False)
    value = fields.Char("Value",
        states={
            'invisible': ~Eval('operator').in_(list(VALUE_OPERATORS)),
            'required': Eval('operator').in_(list(VALUE_OPERATORS)),
            },
        help="For \"is one of\", separate the values with commas; "
        "dates are written YYYY-MM-DD.")
    value_max = fields.Char("Maximum Value",
        states={
            'invisible': Eval('operator') != 'between',
            'required': Eval('operator') == 'between',
            })
    auto_name = fields.Function(fields.Char("Generated Name"),
        'get_auto_name')

    @classmethod
    def __register__(cls, module):
        pool = Pool()
        DataField = pool.get('gru.scheme.data.field')
        super().__register__(module)
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        data_field = DataField.__table__()
        # the key of the data fields linked before the key existed
        cursor.execute(*table.update([table.data_key],
                data_field.select(data_field.name,
                    where=data_field.id == table.data_field),
                where=(table.data_key == Null)
                & (table.data_field != Null)))

    @staticmethod
    def default_operator():
        return '='

    @fields.depends('party_field')
    def get_party_fields(self):
        """The fields of the user record a criterion may compare (and the
        field chosen, even when this database lacks it)"""
        Party = Pool().get('party.party')
        types = {'char', 'integer', 'float', 'numeric', 'date', 'boolean',
            'selection', 'many2one'}
        fields_ = Party.fields_get()
        choices = [(None, '')] + sorted(
            ((n, f['string']) for n, f in fields_.items()
                if f['type'] in types and not n.startswith('_')
                and n not in {'id', 'create_uid', 'write_uid'}),
            key=lambda f: f[1])
        if self.party_field and self.party_field not in dict(choices):
            choices.append((self.party_field, self.party_field))
        return choices

    @fields.depends('scheme', '_parent_scheme.data_fields', 'data_key',
        'data_field')
    def get_data_keys(self):
        """The request data of the scheme, including those not saved yet
        on the scheme form"""
        keys = [(None, '')]
        if self.scheme:
            for field in self.scheme.data_fields or []:
                name = getattr(field, 'name', None)
                if name and name not in dict(keys):
                    keys.append((name, getattr(field, 'string', None) or name))
        if self.data_key and self.data_key not in dict(keys):
            keys.append((self.data_key, self.data_key))
        return keys

    def _generate_name(self):
        "Return the name that explains the criterion, e.g. Age is at least 18"
        if not self.subject or not self.operator:
            return None
        if self.subject == 'data':
            if not self.data_key:
                return None
            label = dict(self.get_data_keys()).get(self.data_key)
        elif self.subject == 'party':
            label = dict(self.get_party_fields()).get(self.party_field)
        else:
            label = dict(self.fields_get(['subject'])['subject'][
                    'selection']).get(self.subject)
        operator = dict(self.fields_get(['operator'])['operator'][
                'selection']).get(self.operator)
        if self.operator == 'between':
            values = gettext('gru_scheme.msg_eligibility_between',
                min=self.value or '…', max=self.value_max or '…')
        elif self.operator in VALUE_OPERATORS:
            values = self.value or '…'
        else:
            values = None
        return ' '.join(filter(None, [label, operator, values]))

    def get_auto_name(self, name):
        return self._generate_name()

    @fields.depends('name', 'auto_name', 'subject', 'party_field',
        'data_key', 'operator', 'value', 'value_max', 'scheme',
        '_parent_scheme.data_fields', 'data_field')
    def _update_name(self):
        "Name the criterion unless the name typed is not the generated one"
        generated = self._generate_name()
        if not self.name or self.name == self.auto_name:
            self.name = generated
        self.auto_name = generated

    @fields.depends(methods=['_update_name'])
    def on_change_subject(self):
        self._update_name()

    @fields.depends(methods=['_update_name'])
    def on_change_party_field(self):
        self._update_name()

    @fields.depends(methods=['_update_name'])
    def on_change_data_key(self):
        self._update_name()

    @fields.depends(methods=['_update_name'])
    def on_change_operator(self):
        self._update_name()

    @fields.depends(methods=['_update_name'])
    def on_change_value(self):
        self._update_name()

    @fields.depends(methods=['_update_name'])
    def on_change_value_max(self):
        self._update_name()

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('data_field') and not values.get('data_key'):
            DataField = Pool().get('gru.scheme.data.field')
            values['data_key'] = DataField(values['data_field']).name
        return values

    @classmethod
    def create(cls, vlist):
        criteria = super().create(vlist)
        cls.link_data_fields(criteria)
        return criteria

    @classmethod
    def write(cls, *args):
        super().write(*args)
        cls.link_data_fields(sum(args[0:None:2], []))

    @classmethod
    def link_data_fields(cls, criteria):
        """Link the criteria to the data field of their key (the key may be
        of a data field created later in the same save)"""
        to_write = []
        for criterion in cls.browse(criteria):
            target = None
            if criterion.subject == 'data' and criterion.data_key:
                for field in criterion.scheme.data_fields:
                    if field.name == criterion.data_key:
                        target = field
                        break
            if target != criterion.data_field:
                to_write.extend(([criterion], {
                            'data_field': target.id if target else None,
                            }))
        if to_write:
            cls.write(*to_write)

    @classmethod
    def validate_fields(cls, criteria, field_names):
        super().validate_fields(criteria, field_names)
        for criterion in criteria:
            criterion.check_values()

    def value_type(self, actual=_MISSING):
        "Return the schema type the values are compared as"
        if self.subject == 'age':
            return 'integer'
        if self.subject == 'data' and self.data_field:
            return self.data_field.type_
        if self.subject == 'party' and actual is not _MISSING:
            return infer_type(actual)
        return 'char'

    def check_values(self):
        "Reject on save a criterion whose values cannot be compared"
        if self.subject == 'party' and self.party_field:
            if not self.party_field.isidentifier():
                raise CriterionValidationError(gettext(
                        'gru_scheme.msg_criterion_party_field_invalid',
                        criterion=self.name, field=self.party_field))
        if self.subject == 'party':
            # the type is known only on evaluation
            return
        if self.subject == 'data' and not self.data_field:
            # checked once linked to the data field saved with the scheme
            return
        type_ = self.value_type()
        if self.operator in ORDER_OPERATORS and type_ in {
                'boolean', 'selection', 'multiselection'}:
            raise CriterionValidationError(gettext(
                    'gru_scheme.msg_criterion_operator_type',
                    criterion=self.name, type=type_))
        if self.operator in {'true', 'false'} and type_ != 'boolean':
            raise CriterionValidationError(gettext(
                    'gru_scheme.msg_criterion_operator_type',
                    criterion=self.name, type=type_))
        for value in self._raw_values():
            try:
                convert(value, type_)
            except ConversionError:
                raise CriterionValidationError(gettext(
                        'gru_scheme.msg_criterion_value_invalid',
                        criterion=self.name, value=value, type=type_))

    def _raw_values(self):
        if self.operator in {'in', 'not in'}:
            return [v.strip() for v in (self.value or '').split(',')
                if v.strip()]
        elif self.operator == 'between':
            return [self.value, self.value_max]
        elif self.operator in VALUE_OPERATORS:
            return [self.value]
        return []

    def _label(self):
        if self.subject == 'data':
            return self.data_field.string if self.data_field else (
                self.data_key)
        if self.subject == 'party':
            return self.party_field
        return dict(self.fields_get(['subject'])['subject']['selection'])[
            self.subject]

    def get_actual(self, party, data, date):
        """Return (value, reason, absent): the value the criterion reads
        or None with the reason it is unknown; absent tells the value is
        known to be empty (rather than impossible to read)"""
        data = data or {}
        label = self._label()
        if self.subject == 'data':
            value = data.get(self.data_key)
            if value in (None, ''):
                return None, gettext(
                    'gru_scheme.msg_eligibility_data_missing',
                    field=label), True
            return value, None, False
        if self.subject == 'age':
            birth_date = getattr(party, 'birth_date', None) if party else None
            if birth_date is None:
                birth_date = data.get('birth_date')
            if not birth_date:
                return None, gettext(
                    'gru_scheme.msg_eligibility_birth_date_missing'), True
            try:
                birth_date = convert(birth_date, 'date')
            except ConversionError:
                return None, gettext(
                    'gru_scheme.msg_eligibility_birth_date_invalid',
                    value=birth_date), False
            return age_at(birth_date, date), None, False
        if party is None:
            return None, gettext('gru_scheme.msg_eligibility_no_party',
                field=label), False
        if self.subject == 'party':
            value = getattr(party, self.party_field, _MISSING)
            if value is _MISSING:
                return None, gettext(
                    'gru_scheme.msg_eligibility_party_field_unknown',
                    field=self.party_field), False
            if isinstance(value, ModelSQL):
                value = value.rec_name
            if value in (None, ''):
                return None, gettext(
                    'gru_scheme.msg_eligibility_party_field_empty',
                    field=self.party_field), True
            return value, None, False
        if self.subject in {'postal_code', 'department', 'antenna'}:
            postal_code = self._party_postal_code(party)
            if self.subject == 'antenna':
                antenna = getattr(party, 'antenna', None)
                if antenna:
                    return antenna.code, None, False
                if not postal_code:
                    return None, gettext(
                        'gru_scheme.msg_eligibility_antenna_unknown'), False
                Routing = Pool().get('gru.territory.routing')
                antenna = Routing.antenna_of(postal_code=postal_code,
                    date=date)
                if not antenna:
                    return None, gettext(
                        'gru_scheme.msg_eligibility_antenna_unknown'), False
                return antenna.code, None, False
            if not postal_code:
                return None, gettext(
                    'gru_scheme.msg_eligibility_postal_code_missing'), True
            if self.subject == 'department':
                return postal_code[:2], None, False
            return postal_code, None, False
        raise NotImplementedError(self.subject)

    @staticmethod
    def _party_postal_code(party):
        for address in getattr(party, 'addresses', None) or []:
            code = (address.postal_code or '').replace(' ', '')
            if code:
                return code
        return None

    def evaluate(self, party, data=None, date=None):
        """Return a dict {'criterion', 'name', 'status', 'value', 'reason'}
        with status 'met', 'failed' or 'undetermined' and the reason"""
        if date is None:
            date = Pool().get('ir.date').today()
        result = {
            'criterion': self.id,
            'name': self.name,
            'status': UNDETERMINED,
            'value': None,
            'reason': '',
            }
        actual, reason, absent = self.get_actual(party, data, date)
        operator_label = dict(self.fields_get(['operator'])['operator'][
                'selection'])[self.operator]
        if actual is None:
            if self.operator == 'set' and absent:
                # "is given" answers the question the missing data raises
                result['status'] = FAILED
            result['reason'] = reason
            return result
        result['value'] = actual
        type_ = self.value_type(actual)
        try:
            actual = convert(actual, type_)
        except ConversionError:
            result['reason'] = gettext(
                'gru_scheme.msg_eligibility_value_wrong_type',
                field=self._label(), value=actual, type=type_)
            return result
        try:
            expected = [convert(v, type_) for v in self._raw_values()]
        except ConversionError as exception:
            result['reason'] = gettext(
                'gru_scheme.msg_eligibility_criterion_wrong_type',
                value=exception.args[0], type=type_)
            return result
        try:
            met = self._compare(actual, expected)
        except TypeError:
            result['reason'] = gettext(
                'gru_scheme.msg_eligibility_not_comparable',
                field=self._label(), value=result['value'], type=type_)
            return result
        result['status'] = MET if met else FAILED
        values = self._raw_values()
        if self.operator == 'between':
            expected = gettext('gru_scheme.msg_eligibility_between',
                min=values[0], max=values[1])
        else:
            expected = ', '.join(values)
        condition = ' '.join(filter(None, [operator_label, expected]))
        shown = result['value']
        if isinstance(shown, bool):
            shown = gettext('gru_scheme.msg_eligibility_yes' if shown
                else 'gru_scheme.msg_eligibility_no')
        result['reason'] = gettext(
            'gru_scheme.msg_eligibility_met' if met
            else 'gru_scheme.msg_eligibility_failed',
            field=self._label(), value=shown, condition=condition)
        return result

    def _compare(self, actual, expected):
        operator = self.operator
        if isinstance(actual, list):
            # multiselection: any selected value must satisfy
            if operator in {'=', 'in'}:
                return bool(set(actual) & set(expected))
            if operator in {'!=', 'not in'}:
                return not (set(actual) & set(expected))
            if operator == 'set':
                return bool(actual)
            raise TypeError(operator)
        if operator == 'set':
            return True
        if operator == 'true':
            return actual is True
        if operator == 'false':
            return actual is False
        if operator == '=':
            return actual == expected[0]
        if operator == '!=':
            return actual != expected[0]
        if operator == '<':
            return actual < expected[0]
        if operator == '<=':
            return actual <= expected[0]
        if operator == '>':
            return actual > expected[0]
        if operator == '>=':
            return actual >= expected[0]
        if operator == 'between':
            return expected[0] <= actual <= expected[1]
        if operator == 'in':
            return actual in expected
        if operator == 'not in':
            return actual not in expected
        raise TypeError(operator)


def combine(results):
    """Combine criterion results with three-valued logic: a failed
    criterion makes the user not eligible, else an undetermined one makes
    the result undetermined"""
    statuses = {r['status'] for r in results}
    if FAILED in statuses:
        return NOT_ELIGIBLE
    if UNDETERMINED in statuses:
        return UNDETERMINED
    return ELIGIBLE


def evaluate_eligibility(scheme, party, data=None, date=None):
    """Evaluate the criteria of scheme for party (party.party or None) and
    the request data (a dict keyed by the data field names).

    Return {'status': 'eligible'|'not_eligible'|'undetermined',
    'criteria': [criterion results], 'explanation': text}."""
    if date is None:
        date = Pool().get('ir.date').today()
    results = [c.evaluate(party, data, date) for c in scheme.criteria]
    status = combine(results)
    lines = [gettext('gru_scheme.msg_eligibility_%s' % status,
            scheme=scheme.rec_name)]
    marks = {MET: '✔', FAILED: '✘', UNDETERMINED: '?'}
    for result in results:
        lines.append('%s %s: %s' % (
                marks[result['status']], result['name'], result['reason']))
    if not results:
        lines.append(gettext('gru_scheme.msg_eligibility_no_criteria'))
    return {
        'status': status,
        'criteria': results,
        'explanation': '\n'.join(lines),
        }


class EligibilityCheckStart(ModelView):
    "Check Eligibility"
    __string__ = "Check Eligibility"
    __name__ = 'gru.scheme.eligibility.check.start'

    scheme = fields.Many2One('gru.scheme', "Scheme", required=True)
    party = fields.Many2One('party.party', "User")
    date = fields.Date("Date", required=True)
    data = fields.Dict('gru.scheme.data.field', "Request Data",
        domain=[('scheme', '=', Eval('scheme', -1))])

    @staticmethod
    def default_date():
        return Pool().get('ir.date').today()

    @staticmethod
    def default_scheme():
        context = Transaction().context
        if context.get('active_model') == 'gru.scheme':
            return context.get('active_id')


class EligibilityCheckResult(ModelView):
    "Eligibility Result"
    __string__ = "Eligibility Result"
    __name__ = 'gru.scheme.eligibility.check.result'

    scheme = fields.Many2One('gru.scheme', "Scheme", readonly=True)
    party = fields.Many2One('party.party', "User", readonly=True)
    status = fields.Selection([
            (ELIGIBLE, "Eligible"),
            (NOT_ELIGIBLE, "Not Eligible"),
            (UNDETERMINED, "Undetermined"),
            ], "Result", readonly=True)
    explanation = fields.Text("Explanation", readonly=True)


class EligibilityCheck(Wizard):
    "Check Eligibility"
    __string__ = "Check Eligibility"
    __name__ = 'gru.scheme.eligibility.check'

    start = StateView('gru.scheme.eligibility.check.start',
        'gru_scheme.eligibility_check_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Check", 'result', 'tryton-ok', default=True),
            ])
    result = StateView('gru.scheme.eligibility.check.result',
        'gru_scheme.eligibility_check_result_view_form', [
            Button("Check Again", 'start', 'tryton-back'),
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_start(self, fields):
        "Keep what was entered when checking again"
        values = {}
        scheme = getattr(self.start, 'scheme', None)
        if scheme:
            party = getattr(self.start, 'party', None)
            values.update({
                    'scheme': scheme.id,
                    'party': party.id if party else None,
                    'date': self.start.date,
                    'data': dict(getattr(self.start, 'data', None) or {}),
                    })
        return values

    def default_result(self, fields):
        result = evaluate_eligibility(self.start.scheme,
            self.start.party, dict(self.start.data or {}), self.start.date)
        return {
            'scheme': self.start.scheme.id,
            'party': self.start.party.id if self.start.party else None,
            'status': result['status'],
            'explanation': result['explanation'],
            }
