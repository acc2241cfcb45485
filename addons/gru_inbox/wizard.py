# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Wizards on requests: cancel, merge duplicates, reply from a template."
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction, check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import ReplyUnfilledError, RequestError
from .inbox import OPEN_STATES


class CancelStart(ModelView):
    "Cancel Request"
    __string__ = "Cancel Request"
    __name__ = 'gru.inbox.request.cancel.start'

    reason = fields.Selection([
            ('spam', "Spam"),
            ('duplicate', "Duplicate"),
            ('other', "Other"),
            ], "Reason", required=True)
    duplicate_of = fields.Many2One('gru.inbox.request', "Duplicate Of",
        states={
            'invisible': Eval('reason') != 'duplicate',
            'required': Eval('reason') == 'duplicate',
            },
        domain=[('state', 'not in', ['cancelled'])])


class Cancel(Wizard):
    "Cancel Request"
    __name__ = 'gru.inbox.request.cancel'
    start = StateView('gru.inbox.request.cancel.start',
        'gru_inbox.request_cancel_start_view_form', [
            Button("Back", 'end', 'tryton-cancel'),
            Button("Cancel Request", 'cancel', 'tryton-ok', default=True),
            ])
    cancel = StateTransition()

    def transition_cancel(self):
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        if self.start.reason == 'duplicate':
            Merge.check_target(self.start.duplicate_of)
            Request.merge_into(list(self.records), self.start.duplicate_of)
        else:
            Request.do_cancel(list(self.records), self.start.reason)
        return 'end'


class MergeStart(ModelView):
    "Merge Requests"
    __string__ = "Merge Requests"
    __name__ = 'gru.inbox.request.merge.start'

    target = fields.Many2One('gru.inbox.request', "Keep Request",
        required=True, domain=[('state', 'not in', ['cancelled'])],
        help="The request that stays; the others are cancelled as its "
        "duplicates and their messages move to it.")


class Merge(Wizard):
    "Merge Requests"
    __name__ = 'gru.inbox.request.merge'
    start = StateView('gru.inbox.request.merge.start',
        'gru_inbox.request_merge_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Merge", 'merge', 'tryton-ok', default=True),
            ])
    merge = StateTransition()

    def default_start(self, fields):
        records = list(self.records)
        if records:
            return {'target': records[0].id}
        return {}

    def transition_merge(self):
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        self.check_target(self.start.target)
        Request.merge_into(list(self.records), self.start.target)
        return 'end'

    @classmethod
    def check_target(cls, target):
        "Refuse a target request the user may not write"
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        Rule = pool.get('ir.rule')
        transaction = Transaction()
        if not transaction.user:
            return
        # the wizard runs without access checks: check the target here
        with check_access():
            ModelAccess.check('gru.inbox.request', mode='write')
            try:
                Rule.check('gru.inbox.request', [target.id], mode='write')
            except AccessError as exception:
                raise RequestError(gettext(
                        'gru_inbox.msg_merge_target_access')) from exception


class ReplyStart(ModelView):
    "Reply to Request"
    __string__ = "Reply to Request"
    __name__ = 'gru.inbox.request.reply.start'

    request = fields.Many2One('gru.inbox.request', "Request", readonly=True)
    scheme = fields.Many2One('gru.scheme', "Scheme", readonly=True)
    template = fields.Many2One('gru.scheme.template', "Template",
        domain=[If(Bool(Eval('scheme')),
                ['OR',
                    ('scheme', '=', Eval('scheme', -1)),
                    ('scheme', '=', None),
                    ],
                [])])
    channel = fields.Selection('get_channels', "Channel", required=True,
        help="The channels an answer can be sent on.")
    to_address = fields.Char("To")
    subject = fields.Char("Subject")
    body = fields.Text("Body", required=True)
    mark_answered = fields.Boolean("Mark as Answered")

    @classmethod
    def get_channels(cls):
        "The channels of the request on which an answer can be given"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        return [(c, n) for c, n in Request.channels()
            if c in Request._reply_channels]

    @fields.depends('template', 'request', 'subject', 'body')
    def on_change_template(self):
        if self.template and self.request:
            subject, body, _ = self.template.render(
                self.request.template_values())
            self.body = body
            if subject:
                self.subject = subject


class Reply(Wizard):
    "Reply to Request"
    __name__ = 'gru.inbox.request.reply'
    start = StateView('gru.inbox.request.reply.start',
        'gru_inbox.request_reply_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Send", 'send', 'tryton-ok', default=True),
            ])
    send = StateTransition()

    def default_start(self, fields):
        request = self.record
        channel = self.reply_channel(request)
        values = {
            'request': request.id,
            'scheme': request.scheme.id if request.scheme else None,
            'channel': channel,
            'subject': request.subject,
            'mark_answered': True,
            }
        if channel:
            values.update(self._reply_defaults(request, channel))
        return values

    @classmethod
    def reply_channel(cls, request):
        """Return the channel proposed for the answer to request: its own
        when an answer can be given on it, else the usager's preferred
        channel when it can, else the first reply channel (None if none)"""
        pool = Pool()
        ReplyStart = pool.get('gru.inbox.request.reply.start')
        channels = [c for c, _ in ReplyStart.get_channels()]
        preferred = request.party.preferred_channel if request.party \
            else None
        for channel in [request.channel, preferred]:
            if channel in channels:
                return channel
        return channels[0] if channels else None

    def _reply_defaults(self, request, channel):
        """Return the values of the form for an answer to request on
        channel (the recipient's address...); the channel modules extend
        it for their channel"""
        return {}

    def transition_send(self):
        pool = Pool()
        Message = pool.get('gru.inbox.message')
        Template = pool.get('gru.scheme.template')
        request = self.record
        unfilled = []
        for text in [self.start.subject, self.start.body]:
            unfilled += [n for n in Template.placeholders(text)
                if n not in unfilled]
        if unfilled:
            raise ReplyUnfilledError(gettext(
                    'gru_inbox.msg_reply_unfilled_placeholders',
                    request=request.rec_name,
                    placeholders=', '.join('${%s}' % n for n in unfilled)))
        message = Message(
            request=request, direction='out', channel=self.start.channel,
            to_address=self.start.to_address, subject=self.start.subject,
            body=self.start.body)
        message.save()
        request.send_message(message)
        return self.after_send(message)

    def after_send(self, message):
        """Return the state that follows the sending of message; a channel
        that failed to send returns its own state and leaves the request in
        its state"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        request = self.record
        if self.start.mark_answered and request.state in OPEN_STATES:
            Request.answer([request])
        return 'end'
