# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"A thin adapter over imapclient: the few IMAP operations the gateway uses."
import socket
import ssl

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

FETCH_ITEM = b'BODY[]'
CONNECTION_ERRORS = (OSError, socket.error, IMAPClientError, ssl.SSLError)


class IMAPAdapter:
    "One connection to one mailbox folder"

    def __init__(self, host, port, security='ssl', login=None,
            password=None, timeout=30):
        self.host = host
        self.port = port
        self.security = security
        self.login = login
        self.password = password
        self.timeout = timeout
        self.client = None
        self.folder = None
        self.uidvalidity = None
        self._delimiter = None

    def connect(self):
        self.client = IMAPClient(self.host, port=self.port,
            ssl=self.security == 'ssl', timeout=self.timeout)
        if self.security == 'starttls':
            self.client.starttls(ssl.create_default_context())
        if self.login:
            self.client.login(self.login, self.password or '')
        return self

    def __enter__(self):
        if self.client is None:
            self.connect()
        return self

    def __exit__(self, *exc):
        self.logout()

    def logout(self):
        if self.client is not None:
            try:
                self.client.logout()
            except CONNECTION_ERRORS:
                try:
                    self.client.shutdown()
                except CONNECTION_ERRORS:
                    pass
            self.client = None

    @property
    def capabilities(self):
        return {c.decode().upper() if isinstance(c, bytes) else c.upper()
            for c in self.client.capabilities()}

    def has_idle(self):
        return 'IDLE' in self.capabilities

    @property
    def delimiter(self):
        if self._delimiter is None:
            folders = self.client.list_folders(directory='', pattern='')
            delimiter = folders[0][1] if folders else b'/'
            if isinstance(delimiter, bytes):
                delimiter = delimiter.decode()
            self._delimiter = delimiter or '/'
        return self._delimiter

    def folder_name(self, name):
        "Return the server name of folder name written with '/'"
        return name.replace('/', self.delimiter) if name else name

    def ensure_folder(self, name):
        name = self.folder_name(name)
        if name and not self.client.folder_exists(name):
            self.client.create_folder(name)

    def select(self, folder):
        "Select folder and return its UIDVALIDITY"
        info = self.client.select_folder(self.folder_name(folder))
        self.folder = folder
        self.uidvalidity = int(info[b'UIDVALIDITY'])
        return self.uidvalidity

    def uids(self, min_uid=None):
        "Return the UIDs of the folder (greater than or equal to min_uid)"
        if min_uid:
            criteria = ['UID', '%d:*' % min_uid]
        else:
            criteria = ['ALL']
        uids = self.client.search(criteria)
        if min_uid:
            uids = [u for u in uids if u >= min_uid]
        return sorted(int(u) for u in uids)

    def fetch(self, uids):
        "Return {uid: raw bytes} without setting the \\Seen flag"
        if not uids:
            return {}
        response = self.client.fetch(list(uids), ['BODY.PEEK[]'])
        return {int(uid): data[FETCH_ITEM]
            for uid, data in response.items() if FETCH_ITEM in data}

    def headers(self, uids, fields):
        "Return {uid: the bytes of the header fields} without \\Seen"
        uids = list(uids)
        result = {}
        # by 1000: a command line of the server is limited (64 KB)
        for i in range(0, len(uids), 1000):
            response = self.client.fetch(uids[i:i + 1000],
                ['BODY.PEEK[HEADER.FIELDS (%s)]' % ' '.join(fields)])
            for uid, data in response.items():
                for key, value in data.items():
                    if key.startswith(b'BODY[HEADER'):
                        result[int(uid)] = value or b''
        return result

    def move(self, uids, folder):
        "Move the messages to folder (MOVE, or COPY then delete)"
        if not uids:
            return
        uids = list(uids)
        folder = self.folder_name(folder)
        if 'MOVE' in self.capabilities:
            self.client.move(uids, folder)
        else:
            self.client.copy(uids, folder)
            self.client.delete_messages(uids)
            if 'UIDPLUS' in self.capabilities:
                self.client.uid_expunge(uids)
            else:
                self.client.expunge()

    def mark_seen(self, uids):
        if uids:
            self.client.add_flags(list(uids), [b'\\Seen'])

    def append(self, folder, raw, flags=()):
        return self.client.append(folder, raw, flags=flags)

    def count(self, folder):
        return self.client.folder_status(folder, ['MESSAGES'])[b'MESSAGES']

    def wait(self, timeout):
        """Wait for new mail up to timeout seconds with IDLE.
        Return True when the server announced something."""
        self.client.idle()
        try:
            responses = self.client.idle_check(timeout=timeout)
        finally:
            self.client.idle_done()
        return bool(responses)
