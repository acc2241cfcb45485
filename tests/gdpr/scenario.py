"""A usager with traces in every channel of the demo server, made as the
users and systems make them: over JSON-RPC as the admin (an agent's
screens), over the HTTP intake API (the IVR) and through the real mail
gateway (an IMAP server, Dovecot, fetched by the mailbox's button)."""
import base64
import datetime as dt
import importlib.util
import io
import os
import random
import shutil
import subprocess
import tempfile
import uuid
import zipfile
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from tests.support import DEMO_IVR_KEY, ROOT, RPCError

FIRST, LAST = "Zéphyrine", "Quenouillard"
NAME = '%s %s' % (LAST.upper(), FIRST)
EMAIL = 'zqnl.lavande87@example.net'
PHONE = '06 47 19 83 52'
STREET = '14 rue du Pré-Tortillard'
POSTAL_CODE, CITY = '80000', 'Amiens'
IDENTIFIER = 'QX7-4815-2342'
BIRTH_DATE = dt.date(1987, 3, 29)
# her second record, typed at a counter with a typo in the name, with her
# phone: a probable duplicate, to be anonymised with her
DUPLICATE = 'QUENOUILLART Zéphyrine'
DUPLICATE_PHONE = '+33 6 47 19 83 52'
DUPLICATE_STREET = '14 r. du Pré Tortillard'
MAILBOX = 'gdpr.probe@gru-test.example.org'


def needles():
    from tests.gdpr.probe import Needles
    return Needles(FIRST, [LAST, DUPLICATE.split()[0]], EMAIL, PHONE,
        STREET, IDENTIFIER)


# -- values over JSON-RPC ---------------------------------------------------

def binary(data):
    return {'__class__': 'bytes',
        'base64': base64.b64encode(data).decode()}


def unbinary(value):
    "Return the bytes of a Binary value read over JSON-RPC, else None"
    if isinstance(value, dict) and value.get('__class__') == 'bytes':
        return base64.b64decode(value['base64'])
    return None


def datetime_(value):
    return {'__class__': 'datetime', 'year': value.year,
        'month': value.month, 'day': value.day, 'hour': value.hour,
        'minute': value.minute, 'second': value.second,
        'microsecond': 0}


def date_(value):
    return {'__class__': 'date', 'year': value.year, 'month': value.month,
        'day': value.day}


def run_wizard(client, name, model, ids, steps=None, context=None):
    """Run the wizard name on the records ids of model as a client does.

    steps: [(state, data)] executed in order after the start state; when
    None, the start state is executed and then the default button of each
    view until the wizard ends. Return the list of the results."""
    context = dict(client.context, active_model=model,
        active_id=ids[0] if ids else None, active_ids=list(ids),
        **(context or {}))
    session, start, end = client('wizard.%s.create' % name, [context])
    results = []
    try:
        if steps is None:
            state, data = start, {}
            for _ in range(5):
                result = client('wizard.%s.execute' % name,
                    [session, data, state, context])
                results.append(result)
                view = result.get('view')
                if not view:
                    break
                button = next((b for b in view['buttons']
                        if b.get('default') and b['state'] != end), None)
                if button is None:
                    break
                values = dict(view.get('defaults') or {})
                values.update(view.get('values') or {})
                data = {view['state']: values}
                state = button['state']
        else:
            for state, data in steps:
                results.append(client('wizard.%s.execute' % name,
                        [session, data, state, context]))
    finally:
        try:
            client('wizard.%s.delete' % name, [session, context])
        except RPCError:
            pass
    return results


def load_demo_module(name):
    "Return the module scripts/demo_data/<name>.py"
    path = os.path.join(ROOT, 'scripts', 'demo_data', name + '.py')
    spec = importlib.util.spec_from_file_location('demo_' + name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pdf(title, lines):
    "Return a one-page PDF (the demo mail's generator)"
    return load_demo_module('70_mail')._pdf(title, lines)


def identity_lines():
    return ['%s %s' % (FIRST, LAST), STREET, '%s %s' % (POSTAL_CODE, CITY),
        'Tel. %s' % PHONE, EMAIL, 'Dossier PAS %s' % IDENTIFIER]


def scan(seed=19):
    """Return the scanned letter she writes, as a PDF (rendered like the
    OCR test corpus, printed and straight so that the OCR reads it)"""
    from gru_letter.tests import corpus
    truth = {
        'file': 'gdpr_probe', 'index': 0, 'usager': None,
        'name': '%s %s' % (FIRST, LAST), 'first': FIRST, 'last': LAST,
        'street': STREET, 'postal_code': POSTAL_CODE, 'commune': CITY,
        'email': EMAIL, 'phone': PHONE, 'scheme': 'PERMIS',
        'scheme_sentence': corpus.SCHEMES[0][4][0],
        'reference': None, 'date': dt.date.today().isoformat(),
        'layout': 'classic', 'font': None, 'pages': 1, 'dpi': 300,
        'rotation': 0, 'skew': 0.0, 'format': 'pdf',
        }
    printed, _ = corpus.fonts()
    images = corpus.render(truth, random.Random(seed), printed[:1], [])
    output = io.BytesIO()
    images[0].save(output, format='PDF', resolution=300.0)
    return output.getvalue()


class Usager:
    """Build the usager and his traces; every id is kept (self.ids: {what:
    [ids]}) with the bytes of the files he gave (self.files: {what:
    bytes}) and what could not be made (self.skipped: [reason])"""

    def __init__(self, server, client):
        self.server = server
        self.client = client
        self.ids = {}
        self.files = {}
        self.skipped = []
        self.mailbox = None

    def model(self, model, method, *args, **kwargs):
        return self.client.model(model, method, *args, **kwargs)

    def create(self, model, values):
        return self.model(model, 'create', values)

    def read(self, model, ids, fields):
        return self.model(model, 'read', ids, fields)

    def search(self, model, domain, **kwargs):
        return self.model(model, 'search', domain, 0, None, None,
            **kwargs)

    def keep(self, what, ids):
        self.ids.setdefault(what, []).extend(ids)

    @property
    def party(self):
        return self.ids['party'][0]

    def build(self):
        self.make_party()
        self.make_email()
        self.make_letter()
        self.make_reply_letter()
        self.make_phone_call()
        self.make_counter_visit()
        self.make_notes()
        self.make_duplicate()
        self.collect()
        return self

    # -- the usager ---------------------------------------------------------

    def make_party(self):
        countries = self.search('country.country', [('code', '=', 'FR')])
        address = {'street': STREET, 'postal_code': POSTAL_CODE,
            'city': CITY}
        if countries:
            address['country'] = countries[0]
        party, = self.create('party.party', [{
                    'name': NAME,
                    'is_person': True,
                    'birth_date': date_(BIRTH_DATE),
                    'addresses': [('create', [address])],
                    'contact_mechanisms': [('create', [
                                {'type': 'email', 'value': EMAIL},
                                {'type': 'mobile', 'value': PHONE},
                                ])],
                    'identifiers': [('create', [{
                                    'type': 'gru_pas_file',
                                    'code': IDENTIFIER}])],
                    }])
        self.keep('party', [party])

    # -- email, through the real gateway -------------------------------------

    def mail(self):
        "Return the raw email she sends with a PDF supporting document"
        message = EmailMessage()
        message['From'] = formataddr(('%s %s' % (FIRST, LAST), EMAIL))
        message['To'] = MAILBOX
        message['Subject'] = "Permis pour l'emploi : mon attestation"
        message['Date'] = format_datetime(
            dt.datetime.now(dt.timezone.utc))
        message['Message-ID'] = make_msgid(idstring='gdpr-probe',
            domain='example.net')
        body = ("Bonjour,\n\nVeuillez trouver ci-joint mon attestation "
            "France Travail pour mon dossier d'aide au permis (dossier PAS "
            "%s).\nVous pouvez me joindre au %s.\n\nCordialement,\n%s %s\n"
            "%s\n%s %s\n" % (IDENTIFIER, PHONE, FIRST, LAST, STREET,
                POSTAL_CODE, CITY))
        message.set_content(body)
        message.add_alternative('<html><body><p>%s</p></body></html>'
            % body.replace('\n', '<br>'), subtype='html')
        attachment = pdf("Attestation France Travail", identity_lines())
        self.files['mail attachment'] = attachment
        message.add_attachment(attachment, maintype='application',
            subtype='pdf', filename='attestation_%s.pdf' % LAST.lower())
        return message.as_bytes()

    def make_email(self):
        from tests.mail import servers
        raw = self.mail()
        if not servers.available():
            self.skipped.append("Dovecot is not available: the mail is "
                "not received through the gateway")
            return
        dovecot = servers.Dovecot(users=[MAILBOX]).start()
        try:
            schemes = self.search('gru.scheme', [('code', '=', 'PPE')])
            # the team and antenna of the demo's scheme mailboxes
            demo = self.model('gru.mail.mailbox', 'search_read',
                [('scheme', '!=', None)], 0, 1, None, ['team', 'antenna'],
                context={'active_test': False})
            values = {
                'name': "Sonde RGPD", 'address': MAILBOX,
                'host': '127.0.0.1', 'port': dovecot.imap_port,
                'security': 'none', 'login': MAILBOX,
                'password': servers.PASSWORD, 'poll_interval': 5,
                'scheme': schemes[0] if schemes else None,
                }
            if demo:
                values['team'] = demo[0]['team']
                values['antenna'] = demo[0]['antenna']
            existing = self.search('gru.mail.mailbox',
                [('address', '=', MAILBOX)], context={'active_test': False})
            if existing:
                self.model('gru.mail.mailbox', 'write', existing,
                    dict(values, active=True))
                self.mailbox = existing[0]
            else:
                self.mailbox, = self.create('gru.mail.mailbox', [values])
            dovecot.append(MAILBOX, raw)
            self.model('gru.mail.mailbox', 'fetch_now', [self.mailbox])
        finally:
            if self.mailbox:
                self.model('gru.mail.mailbox', 'write', [self.mailbox],
                    {'active': False})
            dovecot.stop()
        received = self.model('gru.mail.received', 'search_read',
            [('mailbox', '=', self.mailbox)], 0, None, None,
            ['state', 'outcome', 'reason', 'request', 'message',
                'inbound_email'])
        assert received and received[0]['request'], (
            "the gateway did not make a request of the mail: %s"
            % received)
        received, = received
        self.keep('received mail', [received['id']])
        self.keep('email request', [received['request']])
        self.keep('inbound email', [received['inbound_email']])
        self.link(received['request'])

    def link(self, request):
        "Give the request to her when the matching did not"
        party, = self.read('gru.inbox.request', [request], ['party'])
        if party['party'] != self.party:
            self.model('gru.inbox.request', 'write', [request],
                {'party': self.party})

    # -- a postal letter, scanned and validated -----------------------------

    def make_letter(self):
        """The scan goes through the drop folder (scripts/letter-dropfolder,
        as the scanner of a mail room) and the OCR task of the scheduler
        (run now by the Run Once button of the scheduled action)"""
        data = scan()
        self.files['scan'] = data
        folder = tempfile.mkdtemp(prefix='gru-gdpr-scans-')
        try:
            with open(os.path.join(folder, 'courrier_%s.pdf'
                        % LAST.lower()), 'wb') as fp:
                fp.write(data)
            env = dict(self.server.env,
                TRYTOND_DATABASE__PATH=self.server.tmp)
            process = subprocess.run([
                    os.path.join(ROOT, 'scripts', 'letter-dropfolder'),
                    '-d', self.server.database, '--settle', '0', folder],
                env=env, capture_output=True, text=True, timeout=120)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        letters = self.search('gru.letter', [('source', '=',
                    'dropfolder:%s' % os.path.basename(folder))])
        # (the script's exit status is not looked at: it fails printing
        # the numbers after the commit, once the letters are registered)
        assert letters, "no letter registered from the scan:\n%s" % (
            (process.stdout + process.stderr)[-3000:])
        letter, = letters
        self.keep('letter', [letter])
        cron = self.model('ir.model.data', 'get_id', 'gru_letter',
            'cron_process_ocr')
        self.model('ir.cron', 'run_once', [cron])
        row, = self.read('gru.letter', [letter], ['document'])
        self.keep('incoming document', [row['document']])
        row, = self.read('gru.letter', [letter], ['state', 'party', 'text'])
        assert row['state'] == 'to_validate', row
        if row['party'] != self.party:
            self.model('gru.letter', 'write', [letter],
                {'party': self.party})
        self.model('gru.letter', 'validate_letter', [letter])
        row, = self.read('gru.letter', [letter], ['state', 'request'])
        assert row['state'] == 'validated' and row['request'], row
        self.keep('letter request', [row['request']])
        self.link(row['request'])

    # -- a reply letter -----------------------------------------------------

    def make_reply_letter(self):
        request = self.ids['letter request'][0]
        run_wizard(self.client, 'gru.letter.reply', 'gru.inbox.request',
            [request], steps=[('start', {}), ('write', {'start': {
                            'template': None,
                            'body': "Madame %s, votre dossier PAS %s est "
                            "complet." % (LAST, IDENTIFIER),
                            'pdf': False, 'mark_answered': False,
                            'count': 1}})])
        outgoing = self.search('gru.letter.outgoing',
            [('request', '=', request)])
        assert outgoing, "no reply letter written"
        self.keep('reply letter', outgoing)

    # -- a phone call, through the IVR's HTTP API --------------------------

    def make_phone_call(self):
        status, data = self.server.post(
            '/%s/gru/requests' % self.server.database, {
                'channel': 'phone', 'phone': '+33 6 47 19 83 52',
                'postal_code': POSTAL_CODE,
                'subject': "Appel au numéro vert",
                'body': "Appel de %s %s, rappeler au %s" % (
                    FIRST, LAST, PHONE.replace(' ', '.')),
                'client_key': 'gdpr-probe-%s' % uuid.uuid4(),
                }, headers={'X-API-Key': DEMO_IVR_KEY})
        assert status == 201, (status, data)
        request, = self.search('gru.inbox.request',
            [('reference', '=', data['reference'])])
        self.keep('phone request', [request])
        self.link(request)

    # -- a visit at the counter with a document and an internal note -------

    def make_counter_visit(self):
        request, = self.create('gru.inbox.request', [{
                    'channel': 'counter',
                    'received_at': datetime_(dt.datetime.now()
                        .replace(microsecond=0)),
                    'subject': "Passage à l'accueil de %s" % LAST,
                    'party': self.party,
                    'contact_name': '%s %s' % (FIRST, LAST),
                    'contact_phone': PHONE,
                    'contact_email': EMAIL,
                    'contact_postal_code': POSTAL_CODE,
                    'messages': [('create', [{
                                    'direction': 'in', 'channel': 'counter',
                                    'from_address': '%s %s' % (FIRST, LAST),
                                    'body': "Mme %s habite %s depuis mars, "
                                    "dossier PAS %s." % (
                                        LAST, STREET, IDENTIFIER),
                                    }])],
                    }])
        self.keep('counter request', [request])
        document = pdf("Justificatif de domicile", identity_lines())
        self.files['counter attachment'] = document
        attachment, = self.create('ir.attachment', [{
                    'resource': 'gru.inbox.request,%d' % request,
                    'name': 'justificatif_domicile_%s.pdf' % LAST.lower(),
                    'type': 'data', 'data': binary(document)}])
        self.keep('attachment', [attachment])

    def make_notes(self):
        request = self.ids['counter request'][0]
        note, = self.create('gru.inbox.message', [{
                    'request': request, 'direction': 'note',
                    'channel': 'counter',
                    'body': "Note interne : rappeler %s %s au %s" % (
                        FIRST, LAST, PHONE),
                    }])
        self.keep('internal note', [note])
        note, = self.create('ir.note', [{
                    'resource': 'party.party,%d' % self.party,
                    'message': "%s préfère être appelée au %s (%s)" % (
                        LAST, PHONE, EMAIL),
                    }])
        self.keep('ir.note', [note])

    # -- a probable duplicate: her second record ----------------------------

    def make_duplicate(self):
        other, = self.create('party.party', [{
                    'name': DUPLICATE, 'is_person': True,
                    'addresses': [('create', [{
                                    'street': DUPLICATE_STREET,
                                    'postal_code': POSTAL_CODE,
                                    'city': CITY}])],
                    'contact_mechanisms': [('create', [{
                                    'type': 'mobile',
                                    'value': DUPLICATE_PHONE}])],
                    }])
        self.keep('duplicate party', [other])
        run_wizard(self.client, 'gru.contact.duplicate.detect',
            'party.party', [self.party], steps=[('start', {})])
        pair = self.search('gru.contact.duplicate', ['OR',
                [('party', '=', self.party), ('other', '=', other)],
                [('party', '=', other), ('other', '=', self.party)]])
        assert pair, "the detection found no duplicate pair"
        self.keep('duplicate', pair)

    def collect(self):
        "Read the ids of what the server made from all this"
        requests = self.search('gru.inbox.request',
            [('party', '=', self.party)])
        self.keep('request', requests)
        self.keep('message', self.search('gru.inbox.message',
                [('request', 'in', requests)]))
        self.keep('request attachment', self.search('ir.attachment',
                [('resource', 'in', ['gru.inbox.request,%d' % r
                            for r in requests])]))

    # -- his files as the server keeps them ---------------------------------

    def server_files(self):
        """Return {what: bytes} of his files read back from the server:
        the raw email, the scan and its searchable PDF, the reply .docx and
        the attachments"""
        files = {}
        for id_ in self.ids.get('inbound email', []):
            row, = self.read('inbound.email', [id_], ['data'])
            files['raw email'] = unbinary(row['data'])
        for id_ in self.ids.get('incoming document', []):
            row, = self.read('document.incoming', [id_], ['data'])
            files['scan'] = unbinary(row['data'])
        for id_ in self.ids.get('letter', []):
            row, = self.read('gru.letter', [id_], ['ocr_pdf'])
            if unbinary(row['ocr_pdf']):
                files['searchable PDF'] = unbinary(row['ocr_pdf'])
        for id_ in self.ids.get('reply letter', []):
            row, = self.read('gru.letter.outgoing', [id_], ['docx'])
            files['reply .docx'] = unbinary(row['docx'])
        for row in self.read('ir.attachment',
                self.ids.get('request attachment', []), ['name', 'data']):
            files['attachment %s' % row['name']] = unbinary(row['data'])
        return {k: v for k, v in files.items() if v}


def read_zip(data):
    "Return {name: bytes} of a zip"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {i.filename: archive.read(i) for i in archive.infolist()
            if not i.is_dir()}
