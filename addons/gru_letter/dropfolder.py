# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Import what a scanner writes into a folder.

Each file is registered as a letter (or a batch split at its separator
sheets), then moved to processed/<date>/; a file that cannot be read is
moved to quarantine/ with <name>.reason.txt beside it and a quarantine
record agents see in GRU > Letters > Quarantined Scans."""
import datetime as dt
import os
import shutil
import time

from trytond.pool import Pool

from .exceptions import LetterError

EXTENSIONS = {'.pdf', '.tif', '.tiff', '.jpg', '.jpeg', '.png'}
PROCESSED = 'processed'
QUARANTINE = 'quarantine'


def pending_files(folder, settle=0):
    """Return the files to import, oldest first: not hidden, not being
    written (unchanged for settle seconds)"""
    now = time.time()
    files = []
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if name.startswith('.') or not os.path.isfile(path):
            continue
        if name.endswith(('.part', '.tmp', '.reason.txt')):
            continue
        stat = os.stat(path)
        if settle and now - stat.st_mtime < settle:
            continue
        files.append((stat.st_mtime, name, path))
    return [(n, p) for _, n, p in sorted(files)]


def _move(path, folder):
    os.makedirs(folder, exist_ok=True)
    name = os.path.basename(path)
    target = os.path.join(folder, name)
    stem, ext = os.path.splitext(name)
    index = 1
    while os.path.exists(target):
        target = os.path.join(folder, '%s-%d%s' % (stem, index, ext))
        index += 1
    shutil.move(path, target)
    return target


def import_file(name, path, folder, site=None, batch=False, blank=None,
        received_date=None):
    """Register one file of the folder. Return ('processed', letters) or
    ('quarantined', quarantine record). An unreadable file is moved to the
    quarantine folder at once (its content is also kept in the quarantine
    record); a processed file stays in place: the caller commits, then
    calls finish_file, so a failed commit never leaves a file moved but
    unregistered."""
    pool = Pool()
    Letter = pool.get('gru.letter')
    Quarantine = pool.get('gru.letter.quarantine')
    with open(path, 'rb') as file:
        data = file.read()
    reason = None
    if os.path.splitext(name)[1].lower() not in EXTENSIONS:
        reason = "unsupported file type (PDF, TIFF, JPEG or PNG expected)"
    elif not data:
        reason = "empty file"
    letters = []
    if reason is None:
        try:
            letters = Letter.register(data, name, site=site,
                source='dropfolder:%s' % os.path.basename(
                    os.path.normpath(folder)),
                batch=batch, blank=blank, received_date=received_date)
        except LetterError as exception:
            reason = exception.message
    if reason is not None:
        target = _move(path, os.path.join(folder, QUARANTINE))
        with open(target + '.reason.txt', 'w', encoding='utf-8') as file:
            file.write('%s\n%s\n' % (dt.datetime.now().isoformat(
                        timespec='seconds'), reason))
        record, = Quarantine.create([{
                    'name': name, 'path': target, 'reason': reason,
                    'data': data, 'site': site.id if site else None,
                    'batch': batch,
                    }])
        return 'quarantined', record
    return 'processed', letters


def finish_file(path, folder):
    "Move a registered file to the processed folder of the day"
    return _move(path, os.path.join(folder, PROCESSED,
            dt.date.today().isoformat()))
