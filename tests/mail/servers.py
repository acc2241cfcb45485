"""Real mail servers for the tests: Dovecot (IMAP + LMTP) and an SMTP server.

Dovecot runs from a temporary configuration on free loopback ports; the
SMTP server (aiosmtpd) delivers every accepted mail into Dovecot over
LMTP, so mail sent by the GRU arrives in a real mailbox the way production
mail does. Both stop with stop(). Users log in with
one password (any user name logs in with it: the mailboxes are created on
first use); plus-addressed recipients (contact+TOKEN@domain) land in the
mailbox of contact@domain.
"""
import os
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time

from imapclient import IMAPClient

from gru_base.tests.tools import external_skip

PASSWORD = 'secret'
CONFIG = """\
protocols = imap lmtp
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{dir}/mail/%u
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 100
log_path = {dir}/dovecot.log
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no
mail_max_userip_connections = 100
auth_failure_delay = 0
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={dir}/mail/%u allow_all_users=yes
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_port(port, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError('nothing answers on port %d' % port)


def available():
    "Tell if Dovecot can be started here"
    return bool(shutil.which('dovecot')) and os.geteuid() == 0


def skip_reason():
    "Return why the tests with Dovecot do not run here, or None"
    if not available():
        return "Dovecot is not installed or not root"
    return external_skip('the IMAP tests (Dovecot)', 'GRU_IMAP_TESTS')


class Dovecot:
    "A private Dovecot instance with IMAP and LMTP on loopback"

    def __init__(self, users=()):
        self.dir = tempfile.mkdtemp(prefix='gru-dovecot-')
        os.chmod(self.dir, 0o755)
        self.imap_port = free_port()
        self.lmtp_port = free_port()
        self.config = os.path.join(self.dir, 'dovecot.conf')
        self.users = []
        for user in users:
            self.add_user(user)

    def add_user(self, user):
        "Declare a user (any user logs in with PASSWORD)"
        if user not in self.users:
            self.users.append(user)

    def start(self):
        os.makedirs(os.path.join(self.dir, 'mail'), exist_ok=True)
        shutil.chown(os.path.join(self.dir, 'mail'), 'dovecot', 'dovecot')
        with open(self.config, 'w') as fp:
            fp.write(CONFIG.format(dir=self.dir, imap_port=self.imap_port,
                    lmtp_port=self.lmtp_port, password=PASSWORD))
        # dovecot daemonizes: its output must not be a pipe we wait on
        with open(os.path.join(self.dir, 'start.log'), 'w') as log:
            subprocess.run(['dovecot', '-c', self.config], check=True,
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                timeout=30)
        wait_port(self.imap_port)
        wait_port(self.lmtp_port)
        return self

    def _master_pid(self):
        try:
            with open(os.path.join(self.dir, 'run', 'master.pid')) as fp:
                return int(fp.read().strip())
        except (OSError, ValueError):
            return None

    def stop(self):
        pid = self._master_pid()
        subprocess.run(['doveadm', '-c', self.config, 'stop'],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, timeout=30)
        deadline = time.monotonic() + 10
        while pid and time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        try:
            with open(os.path.join(self.dir, 'dovecot.log')) as fp:
                return fp.read()
        except OSError:
            return ''

    def client(self, user):
        "Return an IMAPClient logged in as user"
        client = IMAPClient('127.0.0.1', port=self.imap_port, ssl=False,
            timeout=30)
        client.login(user, PASSWORD)
        return client

    def append(self, user, raw, folder='INBOX'):
        with self.client(user) as client:
            client.append(folder, raw)

    def messages(self, user, folder='INBOX'):
        "Return the raw messages of folder"
        with self.client(user) as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = client.search(['ALL'])
            if not uids:
                return []
            data = client.fetch(uids, ['BODY.PEEK[]'])
            return [data[u][b'BODY[]'] for u in sorted(data)]

    def count(self, user, folder='INBOX'):
        with self.client(user) as client:
            if not client.folder_exists(folder):
                return 0
            return client.folder_status(folder, [b'MESSAGES'])[b'MESSAGES']

    def deliver(self, sender, recipients, raw):
        "Deliver raw to recipients over LMTP, one transaction each"
        # smtplib reads a single reply after DATA where LMTP sends one per
        # recipient: deliver to one recipient at a time
        with smtplib.LMTP('127.0.0.1', self.lmtp_port) as lmtp:
            for recipient in recipients:
                lmtp.sendmail(sender, [recipient], raw)


class LMTPRelayHandler:
    "aiosmtpd handler delivering the accepted mail to Dovecot over LMTP"

    def __init__(self, dovecot):
        self.dovecot = dovecot
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode('utf-8')
        try:
            self.dovecot.deliver(envelope.mail_from, envelope.rcpt_tos,
                content)
        except smtplib.SMTPException as error:
            return '451 LMTP delivery failed: %s' % error
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return '250 OK delivered'


class SMTPServer:
    "A real SMTP server on loopback that delivers into Dovecot"

    def __init__(self, dovecot):
        from aiosmtpd.controller import Controller
        self.port = free_port()
        self.handler = LMTPRelayHandler(dovecot)
        self.controller = Controller(self.handler, hostname='127.0.0.1',
            port=self.port)

    @property
    def uri(self):
        return 'smtp://127.0.0.1:%d' % self.port

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def send(self, sender, recipients, raw):
        with smtplib.SMTP('127.0.0.1', self.port) as smtp:
            smtp.sendmail(sender, recipients, raw)
