"""Looking for a person everywhere the demo server keeps data.

- Needles: the person's name, email, phone (any French writing: +33...,
  0033..., 06..., spaced, dotted), street and identifier, searched in
  text without accents nor case.
- The database: every text, varchar, bytea (blob) or json column of every
  table, read directly from the server's database (the SQLite file or the
  PostgreSQL database), history tables included.
- The file store: every file of the server's store (trytond writes them in
  <database path>/<database name>/xx/yy/<uuid>), read as text, and inside
  what compresses or encodes text: zip members (docx, xlsx, odt, zip),
  PDF text (pypdf, and the inflated content streams), emails (headers,
  decoded parts and attachments), gzip.
A binary column's value is read the same way as a file.
"""
import email
import email.policy
import gzip
import io
import logging
import os
import re
import unicodedata
import zipfile
import zlib

SEPARATOR = r'[\s.\-/()]{0,3}'


def plain(text):
    "Return text without accents, in lower case (what the needles match)"
    if not text.isascii():
        text = unicodedata.normalize('NFKD', text)
        text = ''.join(c for c in text if not unicodedata.combining(c))
        text = text.replace('œ', 'oe').replace('æ', 'ae')
    return text.casefold()


def phone_pattern(national):
    """Return the regular expression of a French number given nationally
    ('0647198352'): with or without 0, +33, 0033 or 33 (0), any separator
    between the digits"""
    digits = re.sub(r'\D', '', national)
    assert digits.startswith('0') and len(digits) == 10, national
    body = SEPARATOR.join(digits[1:])
    return (r'(?<!\d)(?:(?:\+|00)?33' + SEPARATOR + r'(?:\(0\))?'
        + SEPARATOR + r'|0' + SEPARATOR + r')?' + body + r'(?!\d)')


def code_pattern(code):
    "Return the expression of an identifier with or without separators"
    chars = [re.escape(c) for c in plain(code) if c.isalnum()]
    return r'(?<![a-z0-9])' + SEPARATOR.join(chars) + r'(?![a-z0-9])'


class Needles:
    """The person searched for: needles is a list of (label, pattern) on
    plain text"""

    def __init__(self, first_name, last_names, email, phone, street,
            identifier):
        self.first_name = first_name
        self.last_names = last_names
        self.email = email
        self.phone = phone
        self.street = street
        self.identifier = identifier
        words = [w for w in re.split(r'[^a-z0-9]+', plain(street))
            if len(w) >= 6]
        self.needles = [('name', re.escape(plain(n))) for n in last_names]
        self.needles += [
            ('first name', re.escape(plain(first_name))),
            ('email', re.escape(plain(email.split('@')[0]))),
            # what survives a misread letter of the address (zqnl -> zanl)
            ('email', re.escape(plain(re.split(r'[.@]', email)[1]))),
            ('phone', phone_pattern(phone)),
            ('street', re.escape(max(words, key=len))),
            ('identifier', code_pattern(identifier)),
            ]
        self.regex = re.compile('|'.join('(?P<n%d>%s)' % (i, p)
                for i, (_, p) in enumerate(self.needles)))

    def find(self, text):
        "Return the labels of the needles found in text (a str)"
        found = set()
        for match in self.regex.finditer(plain(text)):
            found.add(self.needles[int(match.lastgroup[1:])][0])
        return found


# -- reading files and blobs as text -----------------------------------------

def kind(data):
    "Return the kind of a file's content"
    head = data[:8]
    if head.startswith(b'PK\x03\x04'):
        return 'zip'
    if head.startswith(b'%PDF'):
        return 'pdf'
    if head.startswith(b'\x1f\x8b'):
        return 'gzip'
    if head.startswith(b'\x89PNG') or head.startswith(b'\xff\xd8\xff') \
            or head[:4] in {b'II*\x00', b'MM\x00*'} \
            or head.startswith(b'GIF8'):
        return 'image'
    if _looks_like_email(data):
        return 'email'
    return 'data'


def _looks_like_email(data):
    head = data[:4096]
    if b'\x00' in head:
        return False
    return bool(re.search(rb'(?im)^(from|message-id|mime-version|received):',
            head)) and bool(re.search(rb'(?im)^(subject|date|to):', head))


def texts(data, depth=0):
    """Yield (where, text) of what data holds: the raw bytes decoded, then
    what compressed or encoded parts hold; where tells the part
    ('' for the raw content, 'zip:word/document.xml', 'pdf text'...)"""
    yield '', data.decode('utf-8', 'ignore')
    if depth > 4:
        return
    what = kind(data)
    try:
        if what == 'zip':
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    member = archive.read(info)
                    for where, text in texts(member, depth + 1):
                        yield ('zip:%s %s' % (info.filename, where)).strip(), \
                            text
                    if info.filename.endswith('.xml'):
                        # the text of a docx/xlsx may be cut in runs
                        yield 'zip:%s text' % info.filename, re.sub(
                            r'<[^>]*>', '', member.decode('utf-8', 'ignore'))
        elif what == 'pdf':
            yield from _pdf_texts(data)
        elif what == 'gzip':
            for where, text in texts(gzip.decompress(data), depth + 1):
                yield ('gzip %s' % where).strip(), text
        elif what == 'email':
            yield from _email_texts(data, depth)
    except Exception as error:  # a damaged file is read raw only
        yield 'unreadable %s: %s' % (what, error), ''


def _pdf_texts(data):
    from pypdf import PdfReader
    logging.getLogger('pypdf').setLevel(logging.ERROR)
    reader = PdfReader(io.BytesIO(data))
    for number, page in enumerate(reader.pages, 1):
        try:
            yield 'pdf text p%d' % number, page.extract_text() or ''
        except Exception:
            pass
    if reader.metadata:
        yield 'pdf metadata', ' '.join(
            str(v) for v in reader.metadata.values())
    # the content streams, inflated: the strings shown by Tj/TJ
    for match in re.finditer(rb'stream\r?\n(.*?)\r?\nendstream', data, re.S):
        try:
            stream = zlib.decompress(match.group(1))
        except zlib.error:
            continue
        yield 'pdf stream', stream.decode('latin-1', 'ignore')


def _email_texts(data, depth):
    message = email.message_from_bytes(data, policy=email.policy.default)
    headers = []
    for name, value in message.items():
        try:
            headers.append('%s: %s' % (name, value))
        except Exception:
            pass
    yield 'email headers', '\n'.join(headers)
    for number, part in enumerate(message.walk()):
        if part.is_multipart():
            continue
        try:
            content = part.get_content()
        except Exception:
            content = part.get_payload(decode=True) or b''
        name = part.get_filename() or 'part %d' % number
        if isinstance(content, str):
            yield 'email %s' % name, content
        elif isinstance(content, bytes):
            for where, text in texts(content, depth + 1):
                yield ('email %s %s' % (name, where)).strip(), text
        elif isinstance(content, email.message.Message):
            for where, text in texts(content.as_bytes(), depth + 1):
                yield ('email %s %s' % (name, where)).strip(), text


def search_data(needles, data):
    "Return {label: where} of the needles found in data (bytes)"
    found = {}
    for where, text in texts(data):
        for label in needles.find(text):
            found.setdefault(label, where or 'raw')
    return found


# -- the file store ---------------------------------------------------------

def store_files(folder):
    "Return {relative path: (size, mtime)} of the files of the store"
    result = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            stat = os.stat(path)
            result[os.path.relpath(path, folder)] = (
                stat.st_size, stat.st_mtime_ns)
    return result


class StoreScanner:
    """Search the files of a store; a file read once is not read again
    while its size and time stay (trytond never rewrites a file: a new
    content is a new file)"""

    def __init__(self, needles, folder):
        self.needles = needles
        self.folder = folder
        self._cache = {}

    def files(self):
        return store_files(self.folder)

    def scan(self):
        "Return the hits: [(path, label, where, kind)]"
        hits = []
        for path, stamp in sorted(self.files().items()):
            key = (path, stamp)
            if key not in self._cache:
                with open(os.path.join(self.folder, path), 'rb') as fp:
                    data = fp.read()
                self._cache[key] = (kind(data),
                    sorted(search_data(self.needles, data).items()))
            what, found = self._cache[key]
            for label, where in found:
                hits.append((path, label, where, what))
        return hits


# -- the database -----------------------------------------------------------

TEXT_TYPES = {'character varying', 'text', 'bytea', 'character', 'json',
    'jsonb', 'xml'}


def scan_database(needles, server):
    """Return the hits of the server's database:
    [('table.column', id or None, label, where)]"""
    if server.backend == 'postgresql':
        rows = _postgresql_values(server)
    else:
        rows = _sqlite_values(server)
    hits = []
    for table, column, id_, value in rows:
        if isinstance(value, memoryview):
            value = bytes(value)
        if isinstance(value, bytes):
            found = search_data(needles, value)
        elif isinstance(value, str):
            found = {label: '' for label in needles.find(value)}
        else:
            continue
        for label, where in sorted(found.items()):
            hits.append(('%s.%s' % (table, column), id_, label, where))
    return hits


def sqlite_path(server):
    return os.path.join(server.tmp, server.database + '.sqlite')


def _sqlite_values(server):
    import sqlite3
    connection = sqlite3.connect(
        'file:%s?mode=ro' % sqlite_path(server), uri=True, timeout=30)
    connection.text_factory = bytes
    try:
        tables = [name.decode() for name, in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [(row[1].decode(), (row[2] or b'').decode().upper())
                for row in connection.execute(
                    'PRAGMA table_info("%s")' % table)]
            names = [c for c, _ in columns]
            # every column: SQLite stores any type in any column
            key = 'id' if 'id' in names else 'rowid'
            for column in names:
                if column == key:
                    continue
                query = 'SELECT "%s", "%s" FROM "%s" WHERE "%s" IS NOT NULL' \
                    % (key, column, table, column) if key == 'id' else \
                    'SELECT rowid, "%s" FROM "%s" WHERE "%s" IS NOT NULL' % (
                        column, table, column)
                for id_, value in connection.execute(query):
                    if isinstance(value, bytes):
                        # TEXT comes as bytes (text_factory): decode it
                        # when it is text, keep a blob as bytes
                        try:
                            value = value.decode('utf-8')
                        except UnicodeDecodeError:
                            pass
                    yield table, column, id_, value
    finally:
        connection.close()


def postgresql_uri(server):
    uri = server.env['TRYTOND_DATABASE__URI'].rstrip('/')
    return '%s/%s' % (uri, server.database)


def _postgresql_values(server):
    import psycopg
    with psycopg.connect(postgresql_uri(server)) as connection:
        columns = connection.execute(
            "SELECT c.table_name, c.column_name, c.data_type "
            "FROM information_schema.columns c "
            "JOIN information_schema.tables t "
            "ON t.table_schema = c.table_schema "
            "AND t.table_name = c.table_name "
            "WHERE c.table_schema = 'public' "
            "AND t.table_type = 'BASE TABLE' "
            "ORDER BY c.table_name, c.ordinal_position").fetchall()
        with_id = {t for t, c, _ in columns if c == 'id'}
        for table, column, data_type in columns:
            if data_type not in TEXT_TYPES or column == 'id':
                continue
            key = '"id"' if table in with_id else 'NULL'
            value = '"%s"::text' % column if data_type in {
                'json', 'jsonb', 'xml'} else '"%s"' % column
            query = 'SELECT %s, %s FROM "%s" WHERE "%s" IS NOT NULL' % (
                key, value, table, column)
            for id_, value in connection.execute(query):
                yield table, column, id_, value


def describe(hits, limit=40):
    """Return the hits as lines, grouped by place (table.column or file):
    'place [kind]: needles (where) ids'"""
    groups = {}
    for hit in hits:
        if len(hit) == 4 and isinstance(hit[3], str) and '/' in hit[0]:
            place, label, where, what = hit  # a file
            key, id_ = '%s [%s]' % (place, what), None
        else:
            place, id_, label, where = hit  # a column
            key = place
        group = groups.setdefault(key, [set(), set(), set()])
        group[0].add(label)
        if where:
            group[1].add(where)
        if id_ is not None:
            group[2].add(id_)
    lines = []
    for key, (labels, wheres, ids) in sorted(groups.items())[:limit]:
        line = '  %s: %s' % (key, ', '.join(sorted(labels)))
        if wheres:
            line += ' (in %s)' % ', '.join(sorted(wheres))
        if ids:
            line += ' ids %s' % ', '.join(str(i) for i in sorted(
                        ids, key=str)[:10])
        lines.append(line)
    if len(groups) > limit:
        lines.append('  ... and %d more places' % (len(groups) - limit))
    return '\n'.join(lines)


# -- direct access to the server's database --------------------------------

def connect(server):
    "Return a DB-API connection to the server's database (to write)"
    if server.backend == 'postgresql':
        import psycopg
        return psycopg.connect(postgresql_uri(server))
    import sqlite3
    return sqlite3.connect(sqlite_path(server), timeout=30)


def set_column(server, table, column, ids, value):
    """Set column of the rows ids of table to value (a date or datetime):
    the tests' time machine, for the dates no user may write"""
    mark = '%s' if server.backend == 'postgresql' else '?'
    if server.backend != 'postgresql' and value is not None:
        value = str(value)  # as trytond's SQLite backend writes them
    connection = connect(server)
    try:
        connection.execute('UPDATE "%s" SET "%s" = %s WHERE id IN (%s)' % (
                table, column, mark, ', '.join([mark] * len(ids))),
            [value] + list(ids))
        connection.commit()
    finally:
        connection.close()


def table_digests(server):
    "Return {table: digest of its rows} of the server's database"
    import hashlib
    connection = connect(server)
    try:
        if server.backend == 'postgresql':
            tables = [t for t, in connection.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'public' "
                    "AND table_type = 'BASE TABLE'")]
        else:
            tables = [t for t, in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")]
        result = {}
        for table in tables:
            digest = hashlib.sha256()
            rows = connection.execute('SELECT * FROM "%s"' % table)
            for row in sorted(repr(tuple(r)) for r in rows):
                digest.update(row.encode())
            result[table] = digest.hexdigest()
        return result
    finally:
        connection.close()


FILE_ID = re.compile(
    r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')


def referenced_files(server):
    """Yield (table, column, id, file id) of the file ids the rows hold:
    the values of the columns named *_id that are trytond file ids"""
    rows = _postgresql_values(server) if server.backend == 'postgresql' \
        else _sqlite_values(server)
    for table, column, id_, value in rows:
        if column.endswith('id') and isinstance(value, str) \
                and FILE_ID.fullmatch(value):
            yield table, column, id_, value
