"""Retention that runs (issue #19), proven on a demo server of its own over
JSON-RPC as the admin.

The policies (gru.retention.policy, one per kind) are given periods, and
records of each kind are made due or kept recent: their dates are moved
back directly in the database (tests/gdpr/probe.py set_column: nobody may
write them, time passes for them in production):
- usagers: one without contact for 60 months (anonymised after 36), one
  for 30 months (archived after 24), one contacted 2 months ago;
- closed requests: one closed 48 months ago (erased after 36), one today;
- raw emails: one received 12 months ago (cleared after 6), one today;
- letter scans: one validated 24 months ago (deleted after 12), one today;
- orphaned files: the file of an attachment deleted 3 days ago (its
  record is gone, the file stayed).
Then the dry run (its wizard, as an administrator does) lists each due
record in its run and changes nothing: no table but the run's own changes,
no file goes. The scheduled task (its Run Once button) then purges exactly
what the dry run listed, leaves the recent records untouched, removes the
files of what it erased and the orphan, and no file a row still
references.
"""
import datetime as dt
import os
import re
import unittest
import uuid

from tests.gdpr import probe, scenario
from tests.gdpr.test_no_trace import gdpr_server
from tests.support import ADMIN, RPCClient

PERIODS = {
    # kind: (archive_after, delete_after) in months
    'usager': (24, 36),
    'request': (None, 36),
    'raw_email': (None, 6),
    'scan': (None, 12),
    'orphan_files': (None, 0),
    }
# the tables a dry run may change: its own run, the wizard's session
DRY_RUN_TABLES = re.compile(
    r'^(gru_retention_run.*|ir_session.*|ir_cache|ir_lock|res_user_device'
    r'|ir_model_log|sqlite_sequence)$')
# trytond's queue of the files to delete: its rows reference no file to keep
NOT_REFERENCES = {'ir_filestore_queue', 'ir_filestore_queue__history'}


def months_ago(months, date=None):
    date = date or dt.date.today()
    year, month = divmod(date.year * 12 + date.month - 1 - months, 12)
    return date.replace(year=year, month=month + 1, day=min(date.day, 28))


class RetentionTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = server = gdpr_server()
        cls.admin = RPCClient(server, *ADMIN)
        cls.store = os.path.join(server.tmp, server.database)
        cls.u = scenario.Usager(server, cls.admin)
        cls.policies = cls.set_policies()
        cls.make_usagers()
        cls.make_requests()
        cls.make_raw_emails()
        cls.make_scans()
        cls.make_orphan()

        files = probe.store_files(cls.store)
        digests = probe.table_digests(server)
        scenario.run_wizard(cls.admin, 'gru.retention.dry_run',
            'gru.retention.policy', [], steps=[('run', {})])
        cls.dry = cls.last_run(dry_run=True)
        cls.dry_changed = sorted(t for t, d in probe.table_digests(
                server).items() if digests.get(t) != d
            and not DRY_RUN_TABLES.match(t))
        cls.dry_files_gone = sorted(set(files)
            - set(probe.store_files(cls.store)))

        cron = cls.model('ir.model.data', 'get_id', 'gru_contact',
            'cron_retention')
        cls.model('ir.cron', 'run_once', [cron])
        cls.real = cls.last_run(dry_run=False)
        # trytond 8 queues the files of a cleared Binary and deletes them
        # [attachment] retention_days (90) later: told in the failures
        cls.queued = {v for t, _, _, v in probe.referenced_files(server)
            if t in NOT_REFERENCES}

    @classmethod
    def model(cls, model, method, *args, **kwargs):
        return cls.admin.model(model, method, *args, **kwargs)

    @classmethod
    def read(cls, model, ids, fields, **kwargs):
        return cls.model(model, 'read', ids, fields, **kwargs)

    @classmethod
    def file(cls, file_id):
        return os.path.join(cls.store, file_id[0:2], file_id[2:4], file_id)

    @classmethod
    def set_policies(cls):
        policies = cls.model('gru.retention.policy', 'search_read',
            [('active', 'in', [True, False])], 0, None, None,
            ['kind', 'archive_after', 'delete_after', 'active'])
        by_kind = {p['kind']: p for p in policies}
        missing = sorted(set(PERIODS) - set(by_kind))
        assert not missing, "no retention policy of kind %s" % missing
        for kind, (archive, delete) in PERIODS.items():
            cls.model('gru.retention.policy', 'write', [by_kind[kind]['id']],
                {'archive_after': archive, 'delete_after': delete,
                    'active': True})
        return by_kind

    # -- the records, due or recent ------------------------------------------

    @classmethod
    def make_usagers(cls):
        cls.usagers = {}
        for key, months in [('old', 60), ('middle', 30), ('recent', 2)]:
            name = 'RETENTION%s Usager' % key.upper()
            party, = cls.model('party.party', 'create', [{
                        'name': name, 'is_person': True,
                        'addresses': [('create', [{
                                        'street': '1 rue du Test %s' % key,
                                        'postal_code': '80000',
                                        'city': 'Amiens'}])],
                        'contact_mechanisms': [('create', [{
                                        'type': 'email',
                                        'value': 'retention.%s@example.org'
                                        % key}])],
                        }])
            probe.set_column(cls.server, 'party_party', 'last_contact_date',
                [party], months_ago(months))
            cls.usagers[key] = party
        old = cls.usagers['old']
        attachment, = cls.model('ir.attachment', 'create', [{
                    'resource': 'party.party,%d' % old,
                    'name': 'piece_identite_retentionold.pdf',
                    'type': 'data', 'data': scenario.binary(scenario.pdf(
                            "Piece d'identite", ['RETENTIONOLD Usager']))}])
        cls.old_file = cls.read('ir.attachment', [attachment],
            ['file_id'])[0]['file_id']
        cls.model('ir.note', 'create', [{
                    'resource': 'party.party,%d' % old,
                    'message': "RETENTIONOLD a appelé"}])
        cls.party_rows = {k: cls.read('party.party', [v],
                ['name', 'code', 'anonymized', 'archived'],
                context={'active_test': False})[0]
            for k, v in cls.usagers.items()}

    @classmethod
    def make_requests(cls):
        cls.requests = {}
        for key in ['old', 'recent']:
            request, = cls.model('gru.inbox.request', 'create', [{
                        'channel': 'counter',
                        'received_at': scenario.datetime_(
                            dt.datetime.now().replace(microsecond=0)),
                        'subject': "Demande RETENTIONREQ%s" % key.upper(),
                        'contact_name': 'RETENTIONREQ%s Contact'
                        % key.upper(),
                        'contact_email': 'retention.req.%s@example.org'
                        % key,
                        'messages': [('create', [{
                                        'direction': 'in',
                                        'channel': 'counter',
                                        'body': "Message de RETENTIONREQ%s"
                                        % key.upper()}])],
                        }])
            cls.model('gru.inbox.request', 'answer', [request])
            cls.model('gru.inbox.request', 'close', [request])
            cls.requests[key] = request
        closed = dt.datetime.combine(months_ago(48), dt.time(10))
        probe.set_column(cls.server, 'gru_inbox_request', 'closed_at',
            [cls.requests['old']], closed)
        cls.request_rows = {k: cls.read('gru.inbox.request', [v],
                ['reference', 'contact_name', 'state'])[0]
            for k, v in cls.requests.items()}

    @classmethod
    def make_raw_emails(cls):
        received = cls.model('gru.mail.received', 'search_read',
            [('state', '!=', 'quarantined'),
                ('inbound_email', '!=', None)], 0, None,
            [('id', 'ASC')], ['inbound_email', 'message_id'])
        emails = {r['inbound_email']: r for r in received}
        with_file = [r for r in cls.read('inbound.email', sorted(emails),
                ['data_id']) if r['data_id']]
        assert len(with_file) >= 2, "the demo has no raw emails"
        cls.mails = {'old': emails[with_file[0]['id']],
            'recent': emails[with_file[1]['id']]}
        cls.mail_files = {k: r['data_id'] for k, r in zip(
                ['old', 'recent'], with_file)}
        probe.set_column(cls.server, 'gru_mail_received', 'date',
            [cls.mails['old']['id']],
            dt.datetime.combine(months_ago(12), dt.time(10)))

    @classmethod
    def make_scans(cls):
        letters = cls.model('gru.letter', 'search_read',
            [('state', '=', 'to_validate')], 0, 2, [('id', 'ASC')],
            ['party', 'sender_name'])
        assert len(letters) == 2, "the demo has no letters to validate"
        cls.letters = {}
        for key, letter in zip(['old', 'recent'], letters):
            if not (letter['party'] or letter['sender_name']):
                cls.model('gru.letter', 'write', [letter['id']],
                    {'sender_name': 'Expéditeur %s' % key})
            cls.model('gru.letter', 'validate_letter', [letter['id']])
            cls.letters[key] = letter['id']
        probe.set_column(cls.server, 'gru_letter', 'validated_at',
            [cls.letters['old']],
            dt.datetime.combine(months_ago(24), dt.time(10)))
        cls.letter_rows = {}
        cls.letter_files = {}
        for key, id_ in cls.letters.items():
            row, = cls.read('gru.letter', [id_], ['number', 'preview_id',
                    'ocr_pdf_id', 'document', 'text'])
            document, = cls.read('document.incoming', [row['document']],
                ['file_id', 'ocr_pdf_id'])
            cls.letter_rows[key] = row
            cls.letter_files[key] = [f for f in [row['preview_id'],
                    row['ocr_pdf_id'], document['file_id'],
                    document['ocr_pdf_id']] if f]

    @classmethod
    def make_orphan(cls):
        "The file of an attachment deleted 3 days ago"
        request = cls.requests['recent']
        attachment, = cls.model('ir.attachment', 'create', [{
                    'resource': 'gru.inbox.request,%d' % request,
                    'name': 'supprime.txt', 'type': 'data',
                    'data': scenario.binary(uuid.uuid4().bytes * 8)}])
        file_id = cls.read('ir.attachment', [attachment],
            ['file_id'])[0]['file_id']
        cls.model('ir.attachment', 'delete', [attachment])
        if not os.path.exists(cls.file(file_id)):
            # its deletion removed it: an orphan left by an older version
            file_id = str(uuid.uuid4())
            os.makedirs(os.path.dirname(cls.file(file_id)), exist_ok=True)
            with open(cls.file(file_id), 'wb') as fp:
                fp.write(b'orphan')
        old = (dt.datetime.now() - dt.timedelta(days=3)).timestamp()
        os.utime(cls.file(file_id), (old, old))
        cls.orphan = file_id

    # -- the runs ----------------------------------------------------------

    @classmethod
    def last_run(cls, dry_run):
        runs = cls.model('gru.retention.run', 'search_read',
            [('dry_run', '=', dry_run)], 0, 1, [('id', 'DESC')],
            ['lines'])
        assert runs, "no %s run recorded" % (
            'dry' if dry_run else 'real')
        lines = cls.read('gru.retention.run.line', runs[0]['lines'],
            ['kind', 'to_archive', 'archived', 'to_delete', 'deleted',
                'details', 'error'])
        return {l['kind']: l for l in lines}

    def check_lines(self, run):
        errors = {k: l['error'] for k, l in run.items() if l['error']}
        self.assertFalse(errors, "kinds that failed: %s" % errors)
        self.assertLessEqual(set(PERIODS), set(run))

    def test_dry_run_lists(self):
        "The dry run lists every due record and no recent one"
        run = self.dry
        self.check_lines(run)
        details = {k: l['details'] or '' for k, l in run.items()}
        parties = self.party_rows

        def listed(value, text):
            return bool(re.search(r'(?<![\w-])%s(?![\w-])'
                    % re.escape(value), text))
        for kind, due, recent in [
                ('usager', parties['old']['code'],
                    parties['recent']['code']),
                ('usager', parties['middle']['code'], None),
                ('request', self.request_rows['old']['reference'],
                    self.request_rows['recent']['reference']),
                ('raw_email', self.mails['old']['message_id'],
                    self.mails['recent']['message_id']),
                ('scan', self.letter_rows['old']['number'],
                    self.letter_rows['recent']['number']),
                ('orphan_files', self.orphan, None),
                ]:
            # the details are cut after a hundred records ('…')
            self.assertTrue(listed(due, details[kind])
                or '…' in details[kind],
                "%s not listed: %s" % (due, run[kind]))
            if recent:
                self.assertFalse(listed(recent, details[kind]),
                    "%s listed: %s" % (recent, run[kind]))
        self.assertGreaterEqual(run['usager']['to_delete'], 1)
        self.assertGreaterEqual(run['usager']['to_archive'], 1)
        for kind in PERIODS:
            self.assertGreaterEqual(run[kind]['to_delete'] or 0, 1, kind)

    def test_dry_run_changes_nothing(self):
        "The dry run changes no table but its run, removes no file"
        if self.dry_changed or self.dry_files_gone:
            self.fail("the dry run changed the tables %s and removed the "
                "files %s" % (self.dry_changed, self.dry_files_gone))
        for line in self.dry.values():
            self.assertFalse(line['deleted'], line)
            self.assertFalse(line['archived'], line)

    def test_run_purges_what_was_listed(self):
        "The scheduled task purges what the dry run listed"
        self.check_lines(self.real)
        for kind, line in self.real.items():
            dry = self.dry.get(kind, {})
            if kind == 'orphan_files':
                # what the other kinds left may add to them
                self.assertGreaterEqual(line['deleted'] or 0,
                    dry.get('to_delete') or 0, line)
            else:
                self.assertEqual(line['deleted'] or 0,
                    dry.get('to_delete') or 0, (kind, line, dry))
                self.assertEqual(line['archived'] or 0,
                    dry.get('to_archive') or 0, (kind, line, dry))

    def test_usagers(self):
        "Old usagers anonymised, their files gone; archived; recent kept"
        rows = {k: self.read('party.party', [v], ['name', 'anonymized',
                        'archived'],
                    context={'active_test': False})[0]
            for k, v in self.usagers.items()}
        self.assertTrue(rows['old']['anonymized'],
            (rows['old'], self.real.get('usager')))
        self.assertNotIn('RETENTIONOLD', rows['old']['name'] or '')
        self.assertFalse(os.path.exists(self.file(self.old_file)),
            "the file of the anonymised usager stays")
        self.assertTrue(rows['middle']['archived'], rows['middle'])
        self.assertFalse(rows['middle']['anonymized'], rows['middle'])
        self.assertEqual(rows['middle']['name'],
            self.party_rows['middle']['name'])
        self.assertFalse(rows['recent']['anonymized'], rows['recent'])
        self.assertFalse(rows['recent']['archived'], rows['recent'])
        self.assertEqual(rows['recent']['name'],
            self.party_rows['recent']['name'])

    def test_requests(self):
        "The old closed request is erased, the recent one kept"
        rows = {k: self.read('gru.inbox.request', [v],
                    ['contact_name', 'contact_email', 'state', 'messages',
                        'anonymized'])[0]
            for k, v in self.requests.items()}
        self.assertFalse(rows['old']['contact_name'], rows['old'])
        self.assertFalse(rows['old']['contact_email'], rows['old'])
        self.assertEqual(rows['old']['state'], 'closed')
        bodies = [m['body'] or '' for m in self.read('gru.inbox.message',
                rows['old']['messages'], ['body'])]
        self.assertFalse([b for b in bodies if 'RETENTIONREQ' in b], bodies)
        self.assertEqual(rows['recent']['contact_name'],
            self.request_rows['recent']['contact_name'])

    def test_raw_emails(self):
        "The old raw email is cleared with its file, the recent one kept"
        old, recent = (self.read('inbound.email',
                [self.mails[k]['inbound_email']], ['data_id'])[0]
            for k in ['old', 'recent'])
        self.assertFalse(old['data_id'], "the old raw email stays; dry run "
            "%s, run %s" % (self.dry.get('raw_email'),
                self.real.get('raw_email')))
        self.assertFalse(os.path.exists(self.file(self.mail_files['old'])),
            "the file of the old raw email stays%s" % (
                ' (queued in ir.filestore.queue)'
                if self.mail_files['old'] in self.queued else ''))
        self.assertEqual(recent['data_id'], self.mail_files['recent'])
        self.assertTrue(os.path.exists(self.file(self.mail_files['recent'])))

    def test_scans(self):
        "The old scan, its preview and PDF are gone, the recent kept"
        for path in self.letter_files['old']:
            self.assertFalse(os.path.exists(self.file(path)),
                "%s of the old scan stays%s; dry run %s, run %s" % (path,
                    ' (queued in ir.filestore.queue)'
                    if path in self.queued else '',
                    self.dry.get('scan'), self.real.get('scan')))
        row, = self.read('gru.letter', [self.letters['old']],
            ['preview_id', 'ocr_pdf_id', 'number', 'state'])
        self.assertFalse(row['preview_id'] or row['ocr_pdf_id'], row)
        self.assertEqual(row['number'], self.letter_rows['old']['number'])
        self.assertTrue(self.letter_files['recent'])
        for path in self.letter_files['recent']:
            self.assertTrue(os.path.exists(self.file(path)), path)

    def test_orphan_files(self):
        "The orphaned file is gone, every referenced file stays"
        self.assertFalse(os.path.exists(self.file(self.orphan)))
        names = {os.path.basename(p) for p in probe.store_files(self.store)}
        missing = []
        for table, column, id_, value in probe.referenced_files(
                self.server):
            if value not in names and table not in NOT_REFERENCES:
                missing.append('%s.%s %s: %s' % (table, column, id_, value))
        if missing:
            self.fail("files referenced by a row but removed from the "
                "store:\n  " + '\n  '.join(missing[:40]))


if __name__ == '__main__':
    unittest.main()
