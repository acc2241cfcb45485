"""Demo data: scanned postal letters waiting for the letter agents.

8 letters (3 with --small), printed and handwritten French letters rendered
as the OCR test corpus renders them (gru_letter/tests/corpus.py: tilted,
noisy scans, some of two pages, about the regional aid schemes), are
registered at the mail room of the Amiens antenna as the drop folder does
(scripts/letter-dropfolder), then read by Tesseract with their fields
extracted, as the scheduler does. They wait in "To validate" for an agent
to check the sender, the scheme and the antenna and open the request.
Skipped when the demo already has letters; Tesseract is installed by
scripts/setup."""
import datetime as dt
import os
import shutil
import tempfile
from collections import Counter

COUNT = 8
COUNT_SMALL = 3
SEED = 80


def load(ctx):
    from trytond.pool import Pool

    from gru_letter import tesseract
    from gru_letter.tests import corpus
    pool = Pool()
    Letter = pool.get('gru.letter')
    Configuration = pool.get('gru.letter.configuration')
    Antenna = pool.get('gru.antenna')

    if Letter.search([], limit=1):
        ctx.log("letters: already there")
        return
    if not tesseract.available():
        raise RuntimeError(
            "Tesseract is missing: run scripts/setup to install it")
    config = Configuration(1)
    if not config.default_site:
        site, = Antenna.search([('name', '=', "Antenne d'Amiens")])
        config.default_site = site
        config.save()
    count = COUNT_SMALL if ctx.small else COUNT
    folder = tempfile.mkdtemp(prefix='gru-demo-letters-')
    try:
        truths, _ = corpus.generate(folder, count=count, seed=SEED)
        today = dt.date.today()
        letters = []
        for index, truth in enumerate(truths):
            with open(os.path.join(folder, truth['path']), 'rb') as file:
                letters.extend(Letter.register(file.read(), truth['path'],
                        received_date=today - dt.timedelta(days=index % 4),
                        source='scripts/demo_data/80_letter.py'))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    Letter.process_ocr(letters)
    letters = Letter.browse(letters)
    states = Counter(l.state for l in letters)
    ctx.log("letters: %d scanned and read by OCR (%s), %d pages" % (
            len(letters), ', '.join('%s %d' % i for i in sorted(
                    states.items())), sum(l.pages or 0 for l in letters)))
