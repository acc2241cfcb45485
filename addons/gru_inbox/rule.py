# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Triage rules: conditions on a new request and the actions they take."
import re

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, fields, sequence_ordered)
from trytond.pool import Pool

from gru_territory.tools import strip_accents

from .exceptions import RuleValidationError
from .inbox import PRIORITIES
from .team import STRATEGIES


def _keywords(text):
    "Return the keywords of a comma separated list, normalised"
    return [k for k in (
            strip_accents(w).lower().strip() for w in (text or '').split(','))
        if k]


def _normalise(text):
    return strip_accents(text or '').lower()


class Rule(sequence_ordered(), DeactivableMixin, ModelSQL, ModelView):
    "Triage Rule"
    __string__ = "Triage Rule"
    __name__ = 'gru.inbox.rule'

    name = fields.Char("Name", required=True)
    match_mode = fields.Selection([
            ('all', "All the conditions"),
            ('any', "At least one condition"),
            ], "The Rule Applies When", required=True, sort=False,
        help="All the conditions filled below must be met, or one of "
        "them is enough; empty conditions are ignored.")
    # conditions
    channel = fields.Selection('get_channels', "Channel")
    address = fields.Char("Mailbox or Address",
        help="The request arrived at this address (mailbox, number); "
        "a part of it is enough.")
    sender = fields.Char("Sender",
        help="The sender's email or phone contains this text "
        "(e.g. \"@example.org\").")
    subject_keywords = fields.Char("Subject Keywords",
        help="Comma separated: one of them in the subject "
        "(accents and case ignored).")
    body_keywords = fields.Char("Body Keywords",
        help="Comma separated: one of them in the message.")
    postal_code_prefixes = fields.Char("Postal Codes",
        help="Comma separated postal codes or their beginning "
        "(e.g. \"02, 80000\").")
    antenna = fields.Many2One('gru.antenna', "Antenna")
    scheme = fields.Many2One('gru.scheme', "Scheme")
    usager_known = fields.Selection([
            (None, "Any"),
            ('known', "Known Usager"),
            ('unknown', "Unknown Usager"),
            ], "Usager")
    # actions
    set_scheme = fields.Many2One('gru.scheme', "Set Scheme")
    set_antenna = fields.Many2One('gru.antenna', "Set Antenna")
    set_team = fields.Many2One('gru.inbox.team', "Set Team")
    set_priority = fields.Selection([(None, "")] + PRIORITIES,
        "Set Priority", sort=False)
    set_motive = fields.Many2One('gru.inbox.motive', "Set Motive")
    add_tags = fields.Many2Many('gru.inbox.rule-gru.inbox.tag', 'rule',
        'tag', "Add Tags")
    assignment_strategy = fields.Selection([(None, "")] + STRATEGIES,
        "Assignment Strategy",
        help="Overrides the team's strategy for the requests of the rule.")
    acknowledgement = fields.Many2One('gru.scheme.template',
        "Acknowledgement Template",
        help="The answer sent automatically to the usager.")
    spam = fields.Boolean("Mark as Spam",
        help="Cancel the request as spam.")
    stop = fields.Boolean("Stop",
        help="When all matching rules apply, do not evaluate the next "
        "rules after this one.")

    @staticmethod
    def default_match_mode():
        return 'all'

    @classmethod
    def validate_fields(cls, rules, field_names):
        super().validate_fields(rules, field_names)
        for rule in rules:
            for code in (rule.postal_code_prefixes or '').split(','):
                code = code.strip()
                if code and (not code.isdigit() or len(code) > 5):
                    raise RuleValidationError(gettext(
                            'gru_inbox.msg_rule_postal_code',
                            rule=rule.name, value=code))

    @classmethod
    def get_channels(cls):
        "The channels of the request, with those of the channel modules"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        return [(None, "")] + list(Request.channels())

    def match(self, request, message=None):
        """Return (matched, reasons): with match mode 'all', reasons
        explain each condition met; with 'any', the conditions met"""
        results = list(self._conditions(request, message))
        met = [reason for ok, reason in results if ok]
        if not results:
            return True, [gettext('gru_inbox.msg_rule_reason_always')]
        if self.match_mode == 'any':
            return bool(met), met
        if len(met) != len(results):
            return False, []
        return True, met

    def _conditions(self, request, message=None):
        "Yield (met, reason) for each condition the rule sets"
        if self.channel:
            yield (request.channel == self.channel, gettext(
                    'gru_inbox.msg_rule_reason_channel', value=self.channel))
        if self.address:
            origin = (request.origin_address or '').lower()
            yield (self.address.lower() in origin, gettext(
                    'gru_inbox.msg_rule_reason_address', value=self.address))
        if self.sender:
            senders = ' '.join(filter(None, [
                        request.contact_email, request.contact_phone,
                        message.from_address if message else None,
                        request.party.email if request.party else None,
                        ])).lower()
            yield (self.sender.lower() in senders, gettext(
                    'gru_inbox.msg_rule_reason_sender', value=self.sender))
        if self.subject_keywords:
            subject = _normalise(request.subject)
            found = [k for k in _keywords(self.subject_keywords)
                if re.search(r'\b%s' % re.escape(k), subject)]
            yield (bool(found), gettext('gru_inbox.msg_rule_reason_subject',
                    value=found[0] if found else ''))
        if self.body_keywords:
            body = _normalise(' '.join(filter(None, [
                            message.body if message else None,
                            request.subject])))
            found = [k for k in _keywords(self.body_keywords)
                if re.search(r'\b%s' % re.escape(k), body)]
            yield (bool(found), gettext('gru_inbox.msg_rule_reason_body',
                    value=found[0] if found else ''))
        if self.postal_code_prefixes:
            code = request.contact_postal_code or (
                getattr(request.party, 'postal_code', None)
                if request.party else None) or ''
            prefixes = [p.strip() for p in
                self.postal_code_prefixes.split(',') if p.strip()]
            yield (any(code.startswith(p) for p in prefixes), gettext(
                    'gru_inbox.msg_rule_reason_postal_code', value=code))
        if self.antenna:
            yield (request.antenna == self.antenna, gettext(
                    'gru_inbox.msg_rule_reason_antenna',
                    value=self.antenna.name))
        if self.scheme:
            yield (request.scheme == self.scheme, gettext(
                    'gru_inbox.msg_rule_reason_scheme',
                    value=self.scheme.name))
        if self.usager_known:
            known = bool(request.party)
            yield (known == (self.usager_known == 'known'), gettext(
                    'gru_inbox.msg_rule_reason_usager_known'
                    if known else 'gru_inbox.msg_rule_reason_usager_unknown'))

    def act(self, request):
        "Apply the actions to request and return their descriptions"
        done = []
        if self.set_scheme:
            request.scheme = self.set_scheme
            done.append(gettext('gru_inbox.msg_rule_action_scheme',
                    value=self.set_scheme.name))
        if self.set_antenna:
            request.antenna = self.set_antenna
            request.antenna_reason = gettext(
                'gru_inbox.msg_antenna_from_rule', rule=self.name)
            done.append(gettext('gru_inbox.msg_rule_action_antenna',
                    value=self.set_antenna.name))
        if self.set_team:
            request.team = self.set_team
            done.append(gettext('gru_inbox.msg_rule_action_team',
                    value=self.set_team.name))
        if self.set_priority:
            request.priority = self.set_priority
            done.append(gettext('gru_inbox.msg_rule_action_priority',
                    value=self._selection_label('set_priority')))
        if self.set_motive:
            request.motive = self.set_motive
            done.append(gettext('gru_inbox.msg_rule_action_motive',
                    value=self.set_motive.rec_name))
        if self.add_tags:
            request.tags = list(request.tags or []) + [
                t for t in self.add_tags if t not in (request.tags or [])]
            done.append(gettext('gru_inbox.msg_rule_action_tags',
                    value=', '.join(t.name for t in self.add_tags)))
        if self.assignment_strategy:
            request.assignment_strategy = self.assignment_strategy
            done.append(gettext('gru_inbox.msg_rule_action_strategy',
                    value=self._selection_label('assignment_strategy')))
        if self.acknowledgement:
            request.acknowledgement_template = self.acknowledgement
            done.append(gettext('gru_inbox.msg_rule_action_acknowledgement',
                    value=self.acknowledgement.name))
        if self.spam:
            done.append(gettext('gru_inbox.msg_rule_action_spam'))
        return done

    def _selection_label(self, name):
        "Return the label of the selection field name in the user's language"
        field = self.__class__.fields_get([name])[name]
        value = getattr(self, name)
        return dict(field['selection']).get(value, value)

    @classmethod
    def evaluate(cls, request, message=None, rules=None, config=None):
        """Apply the matching rules to request (saved or not) without
        saving it; return (explanation lines, spam).
        rules and config may be given when many requests are triaged."""
        pool = Pool()
        Configuration = pool.get('gru.inbox.configuration')
        if config is None:
            config = Configuration(1)
        if rules is None:
            rules = cls.search([])
        all_matches = config.rule_mode == 'all'
        lines = []
        spam = False
        for rule in rules:
            matched, reasons = rule.match(request, message)
            if not matched:
                continue
            actions = rule.act(request)
            spam = spam or rule.spam
            lines.append(gettext('gru_inbox.msg_rule_fired',
                    rule=rule.name, reasons='; '.join(reasons),
                    actions='; '.join(actions) or '-'))
            if not all_matches or rule.stop:
                break
        if not lines:
            lines.append(gettext('gru_inbox.msg_rule_none'))
        request.triage_log = '\n'.join(lines)
        return lines, spam


class RuleTag(ModelSQL):
    "Triage Rule - Tag"
    __string__ = "Triage Rule - Tag"
    __name__ = 'gru.inbox.rule-gru.inbox.tag'
    rule = fields.Many2One('gru.inbox.rule', "Rule", required=True,
        ondelete='CASCADE')
    tag = fields.Many2One('gru.inbox.tag', "Tag", required=True,
        ondelete='CASCADE')
