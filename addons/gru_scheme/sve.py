# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The acknowledgement of electronic submissions (saisine par voie
électronique, SVE): what a scheme says about the implicit decision and the
service handling its requests, and the values of the legal mentions.

Code des relations entre le public et l'administration: L. 112-3 and
L. 112-11 (an acknowledgement for every request, electronic for the
electronic ones), R. 112-5 (its mentions: the date of receipt, the date and
the meaning of the implicit decision, the designation, postal address,
email and phone of the service handling the request, the appeal routes and
delays against an implicit rejection, the certificate of L. 232-3 for an
implicit acceptance) and R. 112-11-1 (the electronic acknowledgement
carries the same mentions)."""
import datetime as dt

from dateutil.relativedelta import relativedelta

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import TemplateValidationError

# the French names of the months: the acknowledgement is a French
# administrative document whatever the language of the agent
MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet',
    'août', 'septembre', 'octobre', 'novembre', 'décembre']

# the variables of the mentions, in the order of R. 112-5
RECEIPT_MENTIONS = ['received_date_text']
SERVICE_MENTIONS = [
    'service_name', 'service_address', 'service_email', 'service_phone']
DECISION_MENTIONS = ['silence_date', 'silence_meaning']
DECISION_SENTENCE = 'silence_decision'
APPEAL_MENTION = 'appeal'
VARIABLES = (RECEIPT_MENTIONS + SERVICE_MENTIONS + DECISION_MENTIONS
    + [DECISION_SENTENCE, APPEAL_MENTION])


def french_date(date):
    "Return date written in French, e.g. 6 décembre 2026 (1er for the 1st)"
    if not date:
        return ''
    if isinstance(date, dt.datetime):
        date = date.date()
    day = '1er' if date.day == 1 else str(date.day)
    return '%s %s %d' % (day, MONTHS[date.month - 1], date.year)


def missing_mentions(names, silence):
    """Return the variables of the legal mentions an acknowledgement using
    the variables names lacks, for a scheme whose silence is silence (None:
    a template of every scheme, which must carry every mention)"""
    names = set(names)
    missing = [n for n in RECEIPT_MENTIONS + SERVICE_MENTIONS
        if n not in names]
    if silence in {None, 'accept'} and DECISION_SENTENCE not in names:
        # only the sentence tells the certificate of an implicit acceptance
        missing.append(DECISION_SENTENCE)
    elif silence == 'reject' and DECISION_SENTENCE not in names:
        # the sentence or the date and the meaning
        missing += [n for n in DECISION_MENTIONS if n not in names]
    if silence in {None, 'reject'} and APPEAL_MENTION not in names:
        missing.append(APPEAL_MENTION)
    return missing


class Scheme(metaclass=PoolMeta):
    __name__ = 'gru.scheme'

    silence = fields.Selection([
            ('reject', "Deemed Rejected"),
            ('accept', "Deemed Accepted"),
            ('none', "No Implicit Decision"),
            ], "Silence Means", required=True, sort=False,
        help="What a request means when the Region has not answered it "
        "within the delay (silence vaut rejet or acceptation): the "
        "acknowledgement gives the date and the meaning of this implicit "
        "decision.")
    silence_delay = fields.Integer("Silence Delay",
        states={
            'invisible': Eval('silence') == 'none',
            'required': Eval('silence') != 'none',
            },
        domain=['OR',
            ('silence_delay', '=', None),
            ('silence_delay', '>', 0),
            ],
        help="In months from the receipt of the request.")
    appeal = fields.Text("Appeal Routes and Delays",
        states={
            'required': Eval('silence') == 'reject',
            },
        help="How and within which delay the usager may contest a "
        "rejection; the acknowledgement quotes it.")
    service = fields.Selection([
            ('antenna', "Antenna of the Request"),
            ('scheme', "Service of the Scheme"),
            ], "Handling Service", required=True, sort=False,
        help="The service the acknowledgement names as handling the "
        "request, with its address, email and phone.")
    _service_states = {
        'invisible': Eval('service') != 'scheme',
        'required': Eval('service') == 'scheme',
        }
    service_name = fields.Char("Service Name", states=_service_states)
    service_street = fields.Text("Service Street", states=_service_states)
    service_postal_code = fields.Char("Service Postal Code",
        states=_service_states)
    service_city = fields.Char("Service City", states=_service_states)
    service_email = fields.Char("Service Email", states=_service_states)
    service_phone = fields.Char("Service Phone", states=_service_states)
    del _service_states

    @classmethod
    def default_silence(cls):
        return 'reject'

    @classmethod
    def default_silence_delay(cls):
        return 2

    @classmethod
    def default_appeal(cls):
        return gettext('gru_scheme.msg_sve_appeal_default')

    @classmethod
    def default_service(cls):
        return 'antenna'

    @classmethod
    def validate_fields(cls, schemes, field_names):
        super().validate_fields(schemes, field_names)
        if field_names and not (field_names & {'silence'}):
            return
        # the acknowledgements must keep carrying the mentions the new
        # meaning of the silence needs
        for scheme in schemes:
            for template in scheme.templates:
                if template.acknowledgement:
                    template.check_mentions()

    def silence_date(self, received):
        "Return the date of the implicit decision on a request received"
        if self.silence == 'none' or not received:
            return None
        if isinstance(received, dt.datetime):
            received = received.date()
        return received + relativedelta(months=self.silence_delay or 2)

    @classmethod
    def acknowledgement_values(cls, scheme, received, antenna=None):
        """Return the values of the variables of the legal mentions for a
        request of scheme (or None) received on the date received and
        handled by antenna (a gru.antenna or None); in French, the
        language of the acknowledgements whoever sends them"""
        with Transaction().set_context(language='fr'):
            return cls._acknowledgement_values(scheme, received, antenna)

    @classmethod
    def _acknowledgement_values(cls, scheme, received, antenna):
        values = {'received_date_text': french_date(received)}
        if scheme and scheme.service == 'scheme':
            service = {
                'name': scheme.service_name,
                'street': scheme.service_street,
                'postal_code': scheme.service_postal_code,
                'city': scheme.service_city,
                'email': scheme.service_email,
                'phone': scheme.service_phone,
                }
        elif antenna:
            service = {
                'name': antenna.name,
                'street': antenna.street,
                'postal_code': antenna.postal_code,
                'city': antenna.city,
                'email': antenna.email,
                'phone': antenna.phone,
                }
        else:
            service = {}
        street = ', '.join(line.strip()
            for line in (service.get('street') or '').splitlines()
            if line.strip())
        town = ' '.join(filter(None,
                [service.get('postal_code'), service.get('city')]))
        values.update({
                'service_name': service.get('name') or '',
                'service_address': ', '.join(filter(None, [street, town])),
                'service_email': service.get('email') or '',
                'service_phone': service.get('phone') or '',
                })
        silence = scheme.silence if scheme else 'none'
        date = scheme.silence_date(received) if scheme else None
        if silence != 'none' and date:
            date_text = french_date(date)
            values['silence_date'] = date_text
            values['silence_meaning'] = gettext(
                'gru_scheme.msg_sve_meaning_%s' % silence)
            values['silence_decision'] = gettext(
                'gru_scheme.msg_sve_decision_%s' % silence, date=date_text)
        else:
            values['silence_date'] = ''
            values['silence_meaning'] = ''
            values['silence_decision'] = gettext(
                'gru_scheme.msg_sve_decision_none')
        values['appeal'] = ((scheme.appeal if scheme else None)
            or gettext('gru_scheme.msg_sve_appeal_default'))
        return values


class Template(metaclass=PoolMeta):
    __name__ = 'gru.scheme.template'

    acknowledgement = fields.Boolean("Acknowledgement of Receipt",
        states={
            'invisible': Eval('kind') != 'email',
            },
        help="Sent when a request arrives: it must carry the legal "
        "mentions (date of receipt, handling service, implicit decision, "
        "appeal).")

    @classmethod
    def default_acknowledgement(cls):
        return False

    @classmethod
    def validate_fields(cls, templates, field_names):
        super().validate_fields(templates, field_names)
        if field_names and not (field_names & {
                    'subject', 'body', 'kind', 'acknowledgement',
                    'scheme'}):
            return
        for template in templates:
            if template.acknowledgement:
                template.check_mentions()

    def check_mentions(self):
        "Check the acknowledgement carries the legal mentions of R. 112-5"
        names = set()
        for text in [self.subject, self.body]:
            names.update(self.placeholders(text))
        missing = missing_mentions(names,
            self.scheme.silence if self.scheme else None)
        if missing:
            descriptions = dict(self.available_variables_get(self.kind))
            raise TemplateValidationError(gettext(
                    'gru_scheme.msg_template_mention_missing',
                    template=self.rec_name,
                    mentions='; '.join('${%s} (%s)' % (
                            n, descriptions.get(n, '')) for n in missing)))
