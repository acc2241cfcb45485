#!/usr/bin/env python3
"""Back up a GRU database with its filestore, and drill its restoration.

backup DATABASE --target DIR
    writes DIR/DATABASE-<UTC stamp>/ with database.dump (pg_dump, custom
    format), filestore.tar (trytond's files of the database: [database]
    path/DATABASE) and manifest.json: the row counts of the main tables
    and the files referenced by the database, both read in the snapshot
    pg_dump dumps (so they describe exactly what the dump holds), and the
    size of each file of the filestore. The folder is written under a
    temporary name and renamed when complete.

restore-drill DATABASE --target DIR
    restores the latest backup of DATABASE in DIR into a new database
    (DATABASE_drill_<stamp>) and its filestore into a temporary folder,
    prints the row counts of the main tables restored against those of the
    source when it was dumped (and the source's now, for information),
    checks every file referenced by the restored database and every file
    of the backup is present with its size, then drops the drill database
    and the folder. Exit status 1 on any difference.

The PostgreSQL server is TRYTOND_DATABASE__URI (or [database] uri of the
trytond configuration TRYTOND_CONFIG); the filestore [database] path
(TRYTOND_DATABASE__PATH) unless --filestore is given.
"""
import argparse
import datetime as dt
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse

# the main tables: label, table
TABLES = [
    ('usagers (party.party)', 'party_party'),
    ('requests (gru.inbox.request)', 'gru_inbox_request'),
    ('messages (gru.inbox.message)', 'gru_inbox_message'),
    ('letters (gru.letter)', 'gru_letter'),
    ('calls (gru.phone.call)', 'gru_phone_call'),
    ('counter visits (gru.counter.visit)', 'gru_counter_visit'),
    ('incoming documents (document.incoming)', 'document_incoming'),
    ('attachments (ir.attachment)', 'ir_attachment'),
    ('users (res.user)', 'res_user'),
    ]
# trytond's file ids: a UUID (8.0) or an MD5 (older versions)
FILE_ID = r'^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' \
    r'|[0-9a-f]{32})$'


def log(message):
    print(message, flush=True)


def server_uri():
    uri = os.environ.get('TRYTOND_DATABASE__URI')
    if not uri:
        from trytond import config
        uri = config.get('database', 'uri')
    if not uri.startswith('postgresql'):
        raise SystemExit('a PostgreSQL server is needed, not %s' % uri)
    return uri


def filestore_path():
    path = os.environ.get('TRYTOND_DATABASE__PATH')
    if not path:
        from trytond import config
        path = config.get('database', 'path')
    return path


def dsn(uri, database):
    "The libpq connection string of database on the server of uri"
    parts = urllib.parse.urlparse(uri)
    return urllib.parse.urlunparse(parts._replace(
            scheme='postgresql', path='/' + database))


def connect(uri, database, **kwargs):
    import psycopg
    return psycopg.connect(dsn(uri, database), **kwargs)


def counts(cursor):
    "Return {table: rows} of the main tables of the database (None: absent)"
    result = {}
    for _, table in TABLES:
        cursor.execute("SELECT to_regclass(%s)", (table,))
        if cursor.fetchone()[0] is None:
            result[table] = None
            continue
        cursor.execute('SELECT COUNT(*) FROM "%s"' % table)
        result[table] = cursor.fetchone()[0]
    return result


def referenced_files(cursor):
    """Return the file ids the database refers to: the values that look
    like trytond's file ids in the character columns named file_id or
    *_id (where the Binary fields keep them)"""
    cursor.execute("SELECT table_name, column_name "
        "FROM information_schema.columns "
        "WHERE table_schema = 'public' "
        "AND data_type IN ('character varying', 'text') "
        "AND (column_name = 'file_id' OR column_name LIKE '%%\\_id') "
        "ORDER BY table_name, column_name")
    ids = set()
    for table, column in cursor.fetchall():
        cursor.execute('SELECT DISTINCT "%s" FROM "%s" WHERE "%s" ~ %%s'
            % (column, table, column), (FILE_ID,))
        ids.update(row[0] for row in cursor.fetchall())
    return sorted(ids)


def file_sizes(folder):
    "Return {relative path: size} of the files under folder"
    sizes = {}
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            path = os.path.join(dirpath, name)
            sizes[os.path.relpath(path, folder)] = os.path.getsize(path)
    return sizes


def file_path(file_id):
    "The path of a file id inside the filestore of a database"
    return os.path.join(file_id[0:2], file_id[2:4], file_id)


def backup(args):
    uri = server_uri()
    filestore = os.path.join(args.filestore or filestore_path(),
        args.database)
    stamp = dt.datetime.now(dt.timezone.utc).strftime('%Y%m%dT%H%M%SZ')
    os.makedirs(args.target, exist_ok=True)
    name = '%s-%s' % (args.database, stamp)
    final = os.path.join(args.target, name)
    partial = os.path.join(args.target, '.%s.partial' % name)
    os.makedirs(partial)
    try:
        with connect(uri, args.database, autocommit=True) as connection:
            connection.execute('BEGIN ISOLATION LEVEL REPEATABLE READ, '
                'READ ONLY')
            cursor = connection.cursor()
            cursor.execute('SELECT pg_export_snapshot(), '
                'current_setting(\'server_version\')')
            snapshot, server_version = cursor.fetchone()
            # what the dump holds: read in the snapshot pg_dump dumps
            table_counts = counts(cursor)
            files = referenced_files(cursor)
            dump = os.path.join(partial, 'database.dump')
            subprocess.run(['pg_dump', '--format=custom',
                    '--snapshot=%s' % snapshot, '--file', dump,
                    '--dbname', dsn(uri, args.database)], check=True)
            connection.execute('ROLLBACK')
        # the files are written once under a new id, never changed: those
        # of the snapshot are all there (a file deleted since is kept by
        # trytond until ir.filestore.queue removes it, days later)
        sizes = file_sizes(filestore) if os.path.isdir(filestore) else {}
        with tarfile.open(os.path.join(partial, 'filestore.tar'),
                'w') as tar:
            for path in sorted(sizes):
                tar.add(os.path.join(filestore, path), arcname=path)
        pg_dump_version = subprocess.run(['pg_dump', '--version'],
            capture_output=True, text=True, check=True).stdout.strip()
        with open(os.path.join(partial, 'manifest.json'), 'w') as fp:
            json.dump({
                    'database': args.database,
                    'stamp': stamp,
                    'server_version': server_version,
                    'pg_dump': pg_dump_version,
                    'counts': table_counts,
                    'referenced_files': files,
                    'files': sizes,
                    }, fp, indent=1, sort_keys=True)
        os.rename(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    size = sum(os.path.getsize(os.path.join(final, f))
        for f in os.listdir(final))
    log('backup %s: %s rows in the main tables, %d files, %.1f MB' % (
            final, sum(c for c in table_counts.values() if c),
            len(sizes), size / 1e6))
    return 0


def latest(target, database):
    "The folder of the latest complete backup of database in target"
    pattern = re.compile(r'^%s-(\d{8}T\d{6}Z)$' % re.escape(database))
    found = sorted((m.group(1), path)
        for path in glob.glob(os.path.join(target, database + '-*'))
        for m in [pattern.match(os.path.basename(path))]
        if m and os.path.isfile(os.path.join(path, 'manifest.json')))
    if not found:
        raise SystemExit('no backup of %s in %s' % (database, target))
    return found[-1][1]


def restore_drill(args):
    uri = server_uri()
    folder = latest(args.target, args.database)
    with open(os.path.join(folder, 'manifest.json')) as fp:
        manifest = json.load(fp)
    drill = '%s_drill_%s' % (args.database,
        dt.datetime.now(dt.timezone.utc).strftime('%Y%m%d%H%M%S'))
    tmp = tempfile.mkdtemp(prefix='gru-restore-drill-')
    log('restoring %s into the database %s' % (folder, drill))
    differences = []
    try:
        with connect(uri, 'postgres', autocommit=True) as connection:
            connection.execute('CREATE DATABASE "%s"' % drill)
        try:
            subprocess.run(['pg_restore', '--no-owner', '--exit-on-error',
                    '--dbname', dsn(uri, drill),
                    os.path.join(folder, 'database.dump')], check=True)
            with connect(uri, drill) as connection:
                cursor = connection.cursor()
                restored = counts(cursor)
                restored_files = referenced_files(cursor)
            try:
                with connect(uri, args.database) as connection:
                    now = counts(connection.cursor())
            except Exception:
                now = {}
            log('%-40s %10s %10s %10s' % ('table', 'dumped', 'restored',
                    'source now'))
            for label, table in TABLES:
                dumped, back = manifest['counts'].get(table), restored[table]
                log('%-40s %10s %10s %10s %s' % (label,
                        '-' if dumped is None else dumped,
                        '-' if back is None else back,
                        '-' if now.get(table) is None else now[table],
                        'ok' if dumped == back else 'DIFFERENT'))
                if dumped != back:
                    differences.append(table)

            # the filestore, restored under the drill database's name
            filestore = os.path.join(tmp, drill)
            os.makedirs(filestore)
            with tarfile.open(os.path.join(folder, 'filestore.tar')) as tar:
                tar.extractall(filestore, filter='data')
            sizes = file_sizes(filestore)
            missing = [f for f in restored_files
                if file_path(f) not in sizes]
            wrong = [p for p, size in manifest['files'].items()
                if sizes.get(p) != size]
            log('%-40s %10d %10d %10s %s' % ('filestore files',
                    len(manifest['files']), len(sizes), '',
                    'ok' if not wrong else 'DIFFERENT'))
            log('%-40s %10d %10d %10s %s' % ('files referenced (present)',
                    len(manifest['referenced_files']),
                    len(restored_files) - len(missing), '',
                    'ok' if not missing and restored_files
                    == manifest['referenced_files'] else 'DIFFERENT'))
            if wrong:
                differences.append('%d files missing or of another size'
                    % len(wrong))
            if missing or restored_files != manifest['referenced_files']:
                differences.append('%d referenced files missing'
                    % len(missing))
        finally:
            with connect(uri, 'postgres', autocommit=True) as connection:
                connection.execute(
                    'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % drill)
            log('database %s dropped' % drill)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if differences:
        log('restore drill FAILED: %s' % '; '.join(differences))
        return 1
    log('restore drill ok: %s (%s) restored identical' % (
            os.path.basename(folder), manifest['stamp']))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('command', choices=['backup', 'restore-drill'])
    parser.add_argument('database')
    parser.add_argument('--target', required=True,
        help="the folder of the backups")
    parser.add_argument('--filestore',
        help="trytond's [database] path (default: its configuration)")
    args = parser.parse_args()
    if args.command == 'backup':
        return backup(args)
    return restore_drill(args)


if __name__ == '__main__':
    sys.exit(main())
