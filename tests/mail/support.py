"""Shared set-up of the email channel tests: company, territory, mailboxes."""
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool

from .servers import PASSWORD


def create_mailbox(dovecot, address, name=None, **values):
    Mailbox = Pool().get('gru.mail.mailbox')
    dovecot.add_user(address)
    values.setdefault('poll_interval', 5)
    mailbox, = Mailbox.create([dict({
                'name': name or address,
                'address': address,
                'host': '127.0.0.1',
                'port': dovecot.imap_port,
                'security': 'none',
                'login': address,
                'password': PASSWORD,
                }, **values)])
    return mailbox


def setup_company():
    company = create_company()
    return company, set_company(company)


def make_mail(sender, to, subject, body, name=None, headers=None,
        attachments=()):
    msg = EmailMessage()
    msg['From'] = formataddr((name, sender)) if name else sender
    msg['To'] = to if isinstance(to, str) else ', '.join(to)
    msg['Subject'] = subject
    msg['Message-ID'] = make_msgid(domain=sender.split('@')[1])
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    for filename, data, maintype, subtype in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype,
            filename=filename)
    return msg
