# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Per-field accuracy of the letter extraction on the generated corpus,
measured the way the service works: the fields of gru.letter extracted
from the OCR result, the usager matched by the policy of gru_contact and
the antenna the request would be routed to. Used by the test of the
corpus and by tests/benchmarks/bench_letters.py."""
import datetime as dt

from trytond.pool import Pool

from gru_territory.tools import normalize_name

FIELDS = ['postal_code', 'commune', 'name', 'address', 'date', 'reference',
    'scheme', 'usager', 'antenna']


def _name_key(value):
    return ' '.join(sorted(normalize_name(value or '').split()))


def _antenna(party, postal_code, commune, received):
    "The code of the antenna the intake gives a letter request"
    pool = Pool()
    Request = pool.get('gru.inbox.request')
    request = Request(channel='letter', party=party, antenna=None,
        contact_postal_code=postal_code, contact_commune=commune,
        received_at=dt.datetime.combine(received, dt.time(9)))
    request.set_antenna()
    return request.antenna.code if request.antenna else None


def measure(truths, results, usagers, schemes, context=None):
    """Return (rights, totals, wrong usagers, failures) of the letters of
    truths read as results (the dicts of tesseract.ocr_document):
    rights and totals per field of FIELDS; wrong usagers counts the
    letters assigned to another usager than their sender (or to one when
    the sender is unknown); failures lists (file, field, expected, got).

    usagers: {corpus key: party.party}; schemes: {code: gru.scheme}"""
    pool = Pool()
    Letter = pool.get('gru.letter')
    Commune = pool.get('gru.commune')
    context = context or Letter.extraction_context()
    communes = {}
    rights = dict.fromkeys(FIELDS, 0)
    totals = dict.fromkeys(FIELDS, 0)
    wrong = 0
    failures = []

    def check(truth, name, expected, got, right=None):
        totals[name] += 1
        right = (expected == got) if right is None else right
        rights[name] += bool(right)
        if not right:
            failures.append((truth['file'], name, expected, got))

    for truth, result in zip(truths, results):
        letter = Letter(received_date=dt.date(2026, 11, 20))
        for name, value in letter.extract(result['text'], result['lines'],
                context=context).items():
            setattr(letter, name, value)
        letter.party = None
        letter.match_usager()
        key = (truth['postal_code'], truth['commune'])
        if key not in communes:
            communes[key], = Commune.search([
                    ('name', '=', truth['commune']),
                    ('postal_codes.code', '=', truth['postal_code']),
                    ], limit=1)
        commune = communes[key]
        check(truth, 'postal_code', truth['postal_code'], letter.postal_code)
        check(truth, 'commune', truth['commune'],
            letter.commune.name if letter.commune else None)
        check(truth, 'name', _name_key(truth['name']),
            _name_key(letter.sender_name))
        # the street of the sender, and nothing of the Region's address
        # (the postal code is measured on its own)
        address = normalize_name(letter.sender_address or '')
        check(truth, 'address', truth['street'], letter.sender_address,
            normalize_name(truth['street']) in address
            and 'hauts de france' not in address)
        check(truth, 'date', truth['date'], letter.letter_date.isoformat()
            if letter.letter_date else None)
        if truth['reference']:
            check(truth, 'reference', truth['reference'], letter.reference)
        check(truth, 'scheme', truth['scheme'],
            letter.scheme.code if letter.scheme else None)
        expected = usagers.get(truth['usager'])
        check(truth, 'usager', expected.name if expected else None,
            letter.party.name if letter.party else None,
            letter.party == expected if expected else letter.party is None)
        if letter.party and letter.party != expected:
            wrong += 1
        check(truth, 'antenna',
            _antenna(expected, truth['postal_code'], commune,
                letter.received_date),
            _antenna(letter.party, letter.postal_code, letter.commune,
                letter.received_date))
    return rights, totals, wrong, failures


def report(rights, totals, wrong):
    "Return the lines printing the accuracy per field"
    lines = []
    for name in FIELDS:
        if totals[name]:
            lines.append('%-12s %3d/%-3d %5.1f %%' % (name, rights[name],
                    totals[name], 100 * rights[name] / totals[name]))
    lines.append('%-12s %d' % ('wrong usager', wrong))
    return lines
