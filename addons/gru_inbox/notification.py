# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Tell the agents what lands on their desk: a request assigned to them (by
the triage, the balancing or by hand) and, through gru_sla, a request
escalated to them as manager.

The notifications are the core's res.notification (the bell of the web
client; a click opens the request), and an email to the address of the
user who asked for it (res.user.gru_notify_email). The core module
notification_email is not used: its triggers fire on a condition becoming
true on a record (no "the assignee changed, to whom"), are run later by the
scheduler and send only emails, while the agent works in the web client."""
import json
import logging
from email.message import EmailMessage
from email.utils import formataddr

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.sendmail import send_message_transactional
from trytond.transaction import Transaction

logger = logging.getLogger(__name__)


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    gru_notify_email = fields.Boolean("Notify by Email",
        help="Also receive by email the notifications of the requests "
        "assigned or escalated to you.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._preferences_fields.append('gru_notify_email')

    @classmethod
    def default_gru_notify_email(cls):
        return False


class Request(metaclass=PoolMeta):
    __name__ = 'gru.inbox.request'

    @classmethod
    def on_write(cls, requests, values):
        callbacks = super().on_write(requests, values)
        assignee = values.get('assignee')
        if assignee:
            # the assignees before the write
            changed = [r.id for r in cls.browse([r.id for r in requests])
                if (r.assignee.id if r.assignee else None) != assignee]
            if changed:
                callbacks.append(
                    lambda: cls.notify_assignment(cls.browse(changed)))
        return callbacks

    @classmethod
    def on_modification(cls, mode, requests, field_names=None):
        super().on_modification(mode, requests, field_names=field_names)
        if mode == 'create':
            cls.notify_assignment([r for r in requests if r.assignee])

    @classmethod
    def notify_assignment(cls, requests):
        "Notify their assignee of the requests assigned, but oneself"
        user = Transaction().user
        cls.notify([(r, r.assignee, 'gru_inbox.msg_notification_assigned')
                for r in requests
                if r.assignee and r.assignee.id != user])

    @classmethod
    def notify(cls, notifications):
        """Notify each user of [(request, user, message)]: an unread
        notification opening the request, labelled by the message (an
        ir.message id with the parameter request) in the language of the
        user, and, if the user asked for it, an email"""
        pool = Pool()
        Notification = pool.get('res.notification')
        if not notifications:
            return []
        to_create, emails = [], []
        for request, user, message in notifications:
            language = user.language.code if user.language else None
            with Transaction().set_context(language=language):
                label = gettext(message, request=request.rec_name)
                to_create.append({
                        'user': user.id,
                        'label': label,
                        'description': request.subject or None,
                        'icon': 'tryton-notification',
                        'model': cls.__name__,
                        'records': json.dumps([request.id]),
                        })
                if user.gru_notify_email and user.email:
                    emails.append(cls._notify_email(request, user, label))
        created = Notification.create(to_create)
        for msg in filter(None, emails):
            send_message_transactional(msg)
        return created

    @classmethod
    def _notify_email(cls, request, user, label):
        "Return the email of the notification to the user (or None)"
        sender = config.get('email', 'from')
        if not sender:
            logger.warning("no [email] from: notification to %s not sent",
                user.login)
            return None
        msg = EmailMessage()
        msg['From'] = sender
        msg['To'] = formataddr((user.name or '', user.email))
        msg['Subject'] = label
        msg.set_content(gettext('gru_inbox.msg_notification_email',
                label=label,
                subject=request.subject or '',
                usager=(request.party.rec_name if request.party
                    else request.contact_name) or '',
                ))
        return msg
