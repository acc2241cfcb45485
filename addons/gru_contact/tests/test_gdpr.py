# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The personal data of a usager: the export archive, the anonymisation and
its hooks, the files left in the store, the retention policies and the log
of each access."""
import datetime as dt
import io
import json
import os
import shutil
import tempfile
import unittest
import zipfile
from unittest.mock import patch

from trytond import config
from trytond.filestore import filestore
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.pyson import PYSONEncoder
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from gru_base.filestore import purge_orphan_files, referenced_files
from gru_contact.exceptions import GdprAccessError
from gru_contact.retention import months_before
from gru_contact.tests.test_module import create_usager
from gru_territory.tests.test_module import setup_fixture_plan

PDF = b'%PDF-1.4 courrier de Jean Dupont'


def file_path(file_id):
    return filestore._filename(file_id, Transaction().database.name)


def attachment_file(attachment):
    Attachment = Pool().get('ir.attachment')
    table = Attachment.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(table.file_id,
            where=table.id == attachment.id))
    file_id, = cursor.fetchone()
    return file_id


def run_wizard(name, state, data=None, **context):
    Wizard = Pool().get(name, type='wizard')
    with Transaction().set_context(**context):
        session_id, _, _ = Wizard.create()
        result = Wizard.execute(session_id, data or {}, state)
        Wizard.delete(session_id)
    return result


def export(party):
    result = run_wizard('gru.contact.export', 'result',
        active_model='party.party', active_id=party.id,
        active_ids=[party.id])
    return result['view']['defaults']


def create_user(login, *groups):
    pool = Pool()
    User = pool.get('res.user')
    user, = User.create([{
                'login': login, 'name': login,
                'groups': [('add', [g.id for g in groups])],
                }])
    return user


class GruContactGdprTestCase(unittest.TestCase):
    "Test the personal data of the usagers"

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_contact'])
        # a file store of our own: the purge must not see the files of
        # the other test processes
        cls._store = tempfile.mkdtemp(prefix='gru-contact-store-')
        cls._path = config.get('database', 'path')
        config.set('database', 'path', cls._store)

    @classmethod
    def tearDownClass(cls):
        config.set('database', 'path', cls._path)
        shutil.rmtree(cls._store, ignore_errors=True)

    def setup_usager(self):
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        Note = pool.get('ir.note')
        Duplicate = pool.get('gru.contact.duplicate')
        jean = create_usager("Jean Dupont", email='jean@exemple.fr',
            phone='06 12 34 56 78', postal_code='80000', city="Amiens",
            birth_date=dt.date(1970, 1, 2),
            identifiers=[('create', [{
                            'type': 'gru_pas_file',
                            'code': 'PAS-2024-00042'}])])
        twin = create_usager("Jean Dupond", phone='0612345678',
            postal_code='80000')
        attachment, = Attachment.create([{
                    'name': 'scan.pdf', 'resource': str(jean),
                    'data': PDF}])
        Note.create([{'resource': str(jean),
                    'message': "Appel de Jean Dupont"}])
        Duplicate.detect()
        return jean, twin, attachment

    @with_transaction()
    def test_export_archive(self):
        "The export is one zip: summary, JSON of every section, xlsx, files"
        pool = Pool()
        Log = pool.get('gru.contact.gdpr.log')
        jean, twin, attachment = self.setup_usager()

        values = export(jean)

        self.assertEqual(values['archive_filename'],
            'usager-%s-%s.zip' % (jean.code, dt.date.today().isoformat()))
        with zipfile.ZipFile(io.BytesIO(values['archive'])) as archive:
            names = set(archive.namelist())
            path = 'files/attachments/%s-scan.pdf' % attachment.id
            self.assertEqual(names, {
                    'summary.html', 'data.json', 'data.xlsx', path})
            self.assertEqual(archive.read(path), PDF)
            data = json.loads(archive.read('data.json'))
            summary = archive.read('summary.html').decode('utf-8')
        self.assertEqual(set(data), {'usager', 'addresses',
                'contact_mechanisms', 'identifiers', 'notes', 'attachments',
                'probable_duplicates'})
        self.assertEqual(data['identifiers'][0]['code'], 'PAS-2024-00042')
        self.assertEqual(data['notes'][0]['message'], "Appel de Jean Dupont")
        self.assertEqual(data['attachments'][0]['file'], path)
        self.assertIn('+33612345678',
            data['probable_duplicates'][0]['reasons'])
        # the other usager of the pair is not named
        self.assertNotIn('Dupond', json.dumps(data))
        # readable: the name, the sections with their rows, the files
        self.assertIn('Jean Dupont', summary)
        self.assertIn('PAS-2024-00042', summary)
        self.assertIn('<table>', summary)
        self.assertIn('Birth Date', summary)
        self.assertIn(path, summary)

        log, = Log.search([])
        self.assertEqual(
            (log.action, log.party_id, log.party_code, log.user.id),
            ('export', jean.id, jean.code, Transaction().user))

    @with_transaction()
    def test_export_other_antenna(self):
        """An agent exports the usagers he may see, not those the record
        rules (the antenna rule) hide from him; both leave a log"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Group = pool.get('res.group')
        RuleGroup = pool.get('ir.rule.group')
        Log = pool.get('gru.contact.gdpr.log')
        _, (ami, stq, lao, sia) = setup_fixture_plan()
        own = create_usager("Jean Dupont", postal_code='80000')
        other = create_usager("Paul Durand", postal_code='02100')
        self.assertEqual((own.antenna, other.antenna), (ami, stq))
        officers, = Group.create([{'name': "Amiens officers"}])
        RuleGroup.create([{
                    'name': "Amiens usagers",
                    'model': 'party.party',
                    'global_p': False,
                    'groups': [('add', [officers.id])],
                    'rules': [('create', [{
                                    'domain': PYSONEncoder().encode(
                                        [('antenna', '=', ami.id)]),
                                    }])],
                    }])
        agent = Group(ModelData.get_id('gru_base', 'group_gru_agent'))
        user = create_user('officer', agent, officers)

        with Transaction().set_user(user.id):
            with self.assertRaises(AccessError):
                export(other)
            values = export(own)
        self.assertTrue(values['archive'])
        log, = Log.search([])
        self.assertEqual((log.user, log.party_id, log.action),
            (user, own.id, 'export'))

    @with_transaction()
    def test_gdpr_models(self):
        "The models covered are listed over RPC to administrators only"
        pool = Pool()
        Party = pool.get('party.party')
        ModelData = pool.get('ir.model.data')
        Group = pool.get('res.group')
        self.assertIn('gdpr_models', Party.__rpc__)
        self.assertTrue(Party.__rpc__['gdpr_models'].readonly)
        models = Party.gdpr_models()
        self.assertTrue({'party.party', 'party.address',
                'party.contact_mechanism', 'party.identifier',
                'gru.contact.duplicate', 'ir.attachment', 'ir.note',
                'ir.avatar'} <= models)
        agent = create_user('agent', Group(
                ModelData.get_id('gru_base', 'group_gru_agent')))
        admin = create_user('gruadmin', Group(
                ModelData.get_id('gru_base', 'group_gru_admin')))
        with Transaction().set_user(agent.id), \
                Transaction().set_context(_check_access=True):
            with self.assertRaises(GdprAccessError):
                Party.gdpr_models()
        with Transaction().set_user(admin.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(Party.gdpr_models(), models)

    @with_transaction()
    def test_anonymize_hooks(self):
        "Anonymisation calls the hooks before and after the erasure"
        pool = Pool()
        Party = pool.get('party.party')
        jean = create_usager("Jean Dupont", email='jean@exemple.fr')
        seen = []

        def before(cls, parties):
            seen.append(('before', [(p.id, Party(p.id).name, p.anonymized)
                        for p in parties]))

        def after(cls, parties):
            seen.append(('after', [(p.id, Party(p.id).name, p.anonymized)
                        for p in parties]))

        with patch.object(Party, '_gdpr_before_anonymize',
                    classmethod(before)), \
                patch.object(Party, '_gdpr_after_anonymize',
                    classmethod(after)):
            Party.anonymize([jean])
            # once only
            Party.anonymize([Party(jean.id)])
        self.assertEqual(seen, [
                ('before', [(jean.id, "Jean Dupont", False)]),
                ('after', [(jean.id, None, True)]),
                ])

    @with_transaction()
    def test_anonymize_duplicates_identifier(self):
        """Anonymisation clears the reasons of his probable duplicates and
        the compact code of his identifiers, and logs it"""
        pool = Pool()
        Party = pool.get('party.party')
        Duplicate = pool.get('gru.contact.duplicate')
        Identifier = pool.get('party.identifier')
        Matching = pool.get('gru.contact.matching')
        Log = pool.get('gru.contact.gdpr.log')
        jean, twin, _ = self.setup_usager()
        duplicate, = Duplicate.search([])
        self.assertIn('+33612345678', duplicate.reasons)

        run_wizard('gru.contact.anonymize', 'anonymize',
            {'ask': {'parties': [jean.id]}})

        duplicate = Duplicate(duplicate.id)
        self.assertIsNone(duplicate.reasons)
        table = Identifier.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.code, table.code_compact,
                where=table.party == jean.id))
        self.assertEqual(cursor.fetchall(), [('****', '****')])
        self.assertEqual(Matching.find(reference='PAS-2024-00042'), [])
        # his probable duplicate holds the same person's data: erased too
        self.assertTrue(Party(twin.id).anonymized)
        self.assertIsNone(Party(twin.id).name)
        logs = Log.search([], order=[('party_id', 'ASC')])
        self.assertEqual(
            [(l.action, l.party_id, l.party_code) for l in logs],
            sorted([('anonymize', jean.id, jean.code),
                    ('anonymize', twin.id, twin.code)],
                key=lambda l: l[1]))
        self.assertEqual(Party(jean.id).code, logs[0].party_code
            if logs[0].party_id == jean.id else logs[1].party_code)

    @with_transaction()
    def test_anonymize_files(self):
        "Anonymisation removes from the store the files of his attachments"
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        Party = pool.get('party.party')
        jean, twin, attachment = self.setup_usager()
        # not his duplicate (the twin is, and goes with him)
        other = create_usager("Marie Lefèvre", email='marie@exemple.fr',
            postal_code='80000')
        kept, = Attachment.create([{
                    'name': 'autre.pdf', 'resource': str(other),
                    'data': b'%PDF-1.4 autre'}])
        path, kept_path = (file_path(attachment_file(a))
            for a in [attachment, kept])
        self.assertTrue(os.path.exists(path))

        Party.anonymize([jean])

        self.assertEqual(Attachment.search(
                [('resource', '=', str(jean))]), [])
        self.assertFalse(os.path.exists(path))
        self.assertTrue(os.path.exists(kept_path))

    @with_transaction()
    def test_purge_orphan_files(self):
        "The purge removes the files no record references, and only them"
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        jean = create_usager("Jean Dupont")
        deleted, kept = Attachment.create([{
                    'name': 'deleted.pdf', 'resource': str(jean),
                    'data': b'deleted'}, {
                    'name': 'kept.pdf', 'resource': str(jean),
                    'data': b'kept'}])
        deleted_id, kept_id = map(attachment_file, [deleted, kept])
        prefix = Transaction().database.name
        self.assertIn(deleted_id, referenced_files()[prefix])
        Attachment.delete([deleted])
        self.assertNotIn(deleted_id, referenced_files()[prefix])
        self.assertTrue(os.path.exists(file_path(deleted_id)))

        # a file just written may belong to a transaction not committed
        self.assertNotIn((prefix, deleted_id), purge_orphan_files(
                dry_run=True))
        # (the files of the rolled back tests are orphans too)
        orphans = purge_orphan_files(dry_run=True, min_age=None)
        self.assertIn((prefix, deleted_id), orphans)
        self.assertNotIn((prefix, kept_id), orphans)
        self.assertTrue(os.path.exists(file_path(deleted_id)))

        self.assertEqual(purge_orphan_files(min_age=None), orphans)
        self.assertFalse(os.path.exists(file_path(deleted_id)))
        self.assertTrue(os.path.exists(file_path(kept_id)))
        self.assertEqual(Attachment(kept.id).data, b'kept')
        self.assertEqual(purge_orphan_files(min_age=None), [])

    @with_transaction()
    def test_retention(self):
        """The usager policy archives and anonymises after its periods; the
        dry run changes nothing and lists the candidates"""
        pool = Pool()
        Party = pool.get('party.party')
        Policy = pool.get('gru.retention.policy')
        Date = pool.get('ir.date')
        Log = pool.get('gru.contact.gdpr.log')
        today = Date.today()
        policy, = Policy.search([('kind', '=', 'usager')])
        self.assertEqual((policy.archive_after, policy.delete_after),
            (24, 36))
        self.assertTrue(Policy.search([('kind', '=', 'orphan_files')]))
        old = create_usager("Jean Ancien", email='ancien@exemple.fr',
            last_contact_date=months_before(today, 37))
        asleep = create_usager("Marie Dormante",
            last_contact_date=months_before(today, 30))
        recent = create_usager("Paul Récent",
            last_contact_date=months_before(today, 12))

        run = Policy.apply(dry_run=True)
        self.assertTrue(run.dry_run)
        self.assertFalse(run.failed)
        line, = [l for l in run.lines if l.kind == 'usager']
        self.assertEqual((line.to_delete, line.to_archive),
            (1, 1))
        self.assertEqual((line.deleted, line.archived), (None, None))
        self.assertIn(old.code, line.details)
        self.assertIn(asleep.code, line.details)
        self.assertNotIn(recent.code, line.details)
        old, asleep, recent = Party.browse([old, asleep, recent])
        self.assertEqual([p.anonymized for p in [old, asleep, recent]],
            [False, False, False])
        self.assertEqual([p.archived for p in [old, asleep, recent]],
            [False, False, False])
        self.assertEqual(Log.search([]), [])

        run = Policy.apply()
        self.assertFalse(run.dry_run)
        line, = [l for l in run.lines if l.kind == 'usager']
        self.assertEqual((line.deleted, line.archived), (1, 1))
        old, asleep, recent = Party.browse([old, asleep, recent])
        self.assertTrue(old.anonymized)
        self.assertIsNone(old.name)
        self.assertTrue(asleep.archived)
        self.assertEqual(asleep.archive_date, today)
        self.assertFalse(asleep.anonymized)
        self.assertFalse(recent.archived)
        self.assertFalse(recent.anonymized)
        log, = Log.search([])
        self.assertEqual((log.action, log.party_id), ('retention', old.id))

        # a new contact brings him back to the active base
        Party.touch_contact([asleep])
        self.assertFalse(asleep.archived)
        self.assertEqual(asleep.last_contact_date, today)

    @with_transaction()
    def test_retention_cron(self):
        "The scheduled task applies the active policies"
        pool = Pool()
        Cron = pool.get('ir.cron')
        Run = pool.get('gru.retention.run')
        Party = pool.get('party.party')
        ModelData = pool.get('ir.model.data')
        old = create_usager("Jean Ancien", last_contact_date=months_before(
                pool.get('ir.date').today(), 40))
        cron = Cron(ModelData.get_id('gru_contact', 'cron_retention'))
        self.assertEqual(cron.method, 'gru.retention.policy|run_retention')
        Cron.run_once([cron])
        run, = Run.search([])
        self.assertFalse(run.dry_run)
        self.assertEqual({l.kind for l in run.lines},
            {'usager', 'orphan_files'})
        self.assertTrue(Party(old.id).anonymized)

    @with_transaction()
    def test_retention_dry_run_wizard(self):
        "The dry run wizard records a run and opens it"
        pool = Pool()
        Run = pool.get('gru.retention.run')
        Party = pool.get('party.party')
        old = create_usager("Jean Ancien", last_contact_date=months_before(
                pool.get('ir.date').today(), 40))
        result = run_wizard('gru.retention.dry_run', 'run')
        run, = Run.search([])
        self.assertTrue(run.dry_run)
        action, = result['actions']
        self.assertEqual(action[0]['res_id'], [run.id])
        self.assertFalse(Party(old.id).anonymized)

    @with_transaction()
    def test_retention_failing_kind(self):
        """A kind that fails is recorded, its changes undone, and the
        other kinds run"""
        pool = Pool()
        Party = pool.get('party.party')
        Policy = pool.get('gru.retention.policy')
        today = pool.get('ir.date').today()
        old = create_usager("Jean Ancien",
            last_contact_date=months_before(today, 40))

        def fail(self, dry_run, run):
            create_usager("Créé puis annulé")
            raise ValueError("store unreachable")

        with patch.object(Policy, '_apply_orphan_files', fail):
            run = Policy.apply()
        self.assertTrue(run.failed)
        failed, = [l for l in run.lines if l.kind == 'orphan_files']
        self.assertIn("store unreachable", failed.error)
        usager, = [l for l in run.lines if l.kind == 'usager']
        self.assertFalse(usager.error)
        self.assertEqual(usager.deleted, 1)
        self.assertTrue(Party(old.id).anonymized)
        self.assertEqual(
            Party.search([('name', '=', "Créé puis annulé")]), [])

    @with_transaction()
    def test_log_access(self):
        "Only the GRU administrators read the log; nobody writes it"
        pool = Pool()
        Log = pool.get('gru.contact.gdpr.log')
        ModelData = pool.get('ir.model.data')
        Group = pool.get('res.group')
        jean = create_usager("Jean Dupont")
        Log.log('export', [jean])
        agent = create_user('agent', Group(
                ModelData.get_id('gru_base', 'group_gru_agent')))
        admin = create_user('gruadmin', Group(
                ModelData.get_id('gru_base', 'group_gru_admin')))
        with Transaction().set_user(agent.id), \
                Transaction().set_context(_check_access=True):
            with self.assertRaises(AccessError):
                Log.search([])
        with Transaction().set_user(admin.id), \
                Transaction().set_context(_check_access=True):
            log, = Log.search([])
            with self.assertRaises(AccessError):
                Log.write([log], {'party_code': 'X'})
            with self.assertRaises(AccessError):
                Log.delete([log])

    def test_months_before(self):
        "Months are counted back to the same day or the month's last"
        self.assertEqual(months_before(dt.date(2026, 3, 31), 1),
            dt.date(2026, 2, 28))
        self.assertEqual(months_before(dt.date(2026, 1, 15), 36),
            dt.date(2023, 1, 15))
        self.assertEqual(months_before(dt.date(2024, 2, 29), 12),
            dt.date(2023, 2, 28))
        self.assertEqual(months_before(dt.date(2026, 5, 10), 0),
            dt.date(2026, 5, 10))
