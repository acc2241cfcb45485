"""Demo data: 2,000 synthetic usagers (200 with --small) living in the
communes of Hauts-de-France in proportion to their population, with French
names (Faker, locale fr_FR), emails at reserved example domains, phone
numbers in the ranges ARCEP keeps for fiction (03 53 01 and 09 77 42),
typed in varied formats, and about 2% deliberate duplicates (typo in the
name, same phone) for the report of probable duplicates.

Every usager carries a PAS account identifier PAS-DEMO-NNNNNN: a re-run
creates only the missing ones."""
import datetime as dt
import random

SEED = 30
PREFIX = 'PAS-DEMO-'
DOMAINS = ['example.org', 'example.com', 'example.net']
PHONE_RANGES = ['0353 01', '0977 42']


def _phone(rng, number):
    "Return a fictional phone number in one of the formats people type"
    prefix = PHONE_RANGES[number % len(PHONE_RANGES)].replace(' ', '')
    digits = prefix + '%04d' % (number // len(PHONE_RANGES) % 10000)
    pairs = [digits[i:i + 2] for i in range(0, 10, 2)]
    style = rng.randrange(5)
    if style == 0:
        return ' '.join(pairs)
    elif style == 1:
        return '.'.join(pairs)
    elif style == 2:
        return '+33 ' + digits[1] + ' ' + ' '.join(pairs[1:])
    elif style == 3:
        return '0033' + digits[1:]
    return digits


def _email(rng, first, last, index):
    from gru_contact.tools import name_words
    local = '.'.join(name_words(first) + name_words(last))
    if rng.random() < 0.3:
        local += str(index % 100)
    value = '%s@%s' % (local, rng.choice(DOMAINS))
    if rng.random() < 0.15:
        value = value.upper()
    elif rng.random() < 0.2:
        value = ' ' + value.capitalize()
    return value


def _typo(rng, name):
    "Return name with one typing mistake"
    letters = list(name)
    positions = [i for i, c in enumerate(letters) if c.isalpha()]
    if len(positions) < 4:
        return name + 'e'
    i = rng.choice(positions[1:])
    kind = rng.randrange(3)
    if kind == 0:
        del letters[i]
    elif kind == 1 and i + 1 < len(letters):
        letters[i], letters[i + 1] = letters[i + 1], letters[i]
    else:
        letters.insert(i, letters[i])
    return ''.join(letters)


def _communes():
    "Return [(name, postal codes, population)] of the active communes"
    from sql import Literal

    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    commune = pool.get('gru.commune').__table__()
    rel = pool.get('gru.commune-gru.postal_code').__table__()
    postal_code = pool.get('gru.postal_code').__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*rel.join(postal_code,
            condition=rel.postal_code == postal_code.id
            ).select(rel.commune, postal_code.code,
            order_by=[rel.commune, postal_code.code]))
    codes = {}
    for commune_id, code in cursor:
        codes.setdefault(commune_id, []).append(code)
    cursor.execute(*commune.select(commune.id, commune.name,
            commune.population,
            where=(commune.active == Literal(True))
            & (commune.population > 0),
            order_by=[commune.insee_code]))
    return [(name, codes[id_], population)
        for id_, name, population in cursor if id_ in codes]


def load(ctx):
    from faker import Faker

    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Party = pool.get('party.party')
    Identifier = pool.get('party.identifier')
    Duplicate = pool.get('gru.contact.duplicate')

    total = 200 if ctx.small else 2000
    existing = {i.code for i in Identifier.search([
                ('code', 'like', PREFIX + '%'),
                ('active', 'in', [True, False]),
                ])}
    missing = [n for n in range(1, total + 1)
        if '%s%06d' % (PREFIX, n) not in existing]
    if not missing:
        ctx.log('usagers: %d already there' % total)
        return

    communes = _communes()
    if not communes:
        ctx.log('usagers: no commune (load the territory first)')
        return
    weights = [c[2] for c in communes]
    today = dt.date.today()
    fake = Faker('fr_FR')
    fake.seed_instance(SEED)
    rng = random.Random(SEED)

    people = []
    for n in range(1, total + 1):
        # draw every usager, even existing ones, to stay deterministic
        female = rng.random() < 0.52
        first = fake.first_name_female() if female else fake.first_name_male()
        last = fake.last_name()
        commune_name, codes, _ = rng.choices(communes, weights)[0]
        postal_code = rng.choice(codes)
        street = fake.street_address()
        birth_date = today - dt.timedelta(days=rng.randrange(18 * 365,
                90 * 365))
        last_contact = today - dt.timedelta(days=rng.randrange(0, 6 * 365))
        person = {
            'n': n, 'first': first, 'last': last,
            'street': street, 'postal_code': postal_code,
            'city': commune_name, 'birth_date': birth_date,
            'last_contact': last_contact,
            'email': (_email(rng, first, last, n)
                if rng.random() < 0.7 else None),
            'phone': _phone(rng, n) if rng.random() < 0.8 else None,
            'channel': rng.choice(['email', 'letter', 'phone', 'counter']),
            'consent_email': rng.random() < 0.5,
            'consent_sms': rng.random() < 0.3,
            'name': ('%s %s' % (first, last) if rng.random() < 0.7
                else '%s %s' % (last.upper(), first)),
            }
        # about 2% are registered twice by different agents
        if n > 10 and rng.random() < 0.02:
            original = people[rng.randrange(len(people))]
            person.update({
                    'first': original['first'],
                    'last': original['last'],
                    'name': _typo(rng, '%s %s' % (
                            original['first'], original['last'])),
                    'street': original['street'],
                    'postal_code': original['postal_code'],
                    'city': original['city'],
                    'phone': original['phone'] or _phone(rng, n),
                    'birth_date': (original['birth_date']
                        if rng.random() < 0.5 else None),
                    'email': None,
                    })
        people.append(person)

    to_create = []
    for person in people:
        if person['n'] not in missing:
            continue
        mechanisms = []
        if person['phone']:
            mechanisms.append({'type': 'phone', 'value': person['phone']})
        if person['email']:
            mechanisms.append({'type': 'email', 'value': person['email']})
        to_create.append({
                'name': person['name'],
                'is_person': True,
                'birth_date': person['birth_date'],
                'preferred_channel': person['channel'],
                'consent_email': person['consent_email'],
                'consent_sms': person['consent_sms'],
                'last_contact_date': person['last_contact'],
                'addresses': [('create', [{
                                'street_unstructured': person['street'],
                                'postal_code': person['postal_code'],
                                'city': person['city'],
                                }])],
                'contact_mechanisms': [('create', mechanisms)],
                'identifiers': [('create', [{
                                'type': 'gru_pas_account',
                                'code': '%s%06d' % (PREFIX, person['n']),
                                }])],
                })
    with Transaction().set_context(_skip_warnings=True):
        for i in range(0, len(to_create), 500):
            Party.create(to_create[i:i + 500])
    ctx.log('usagers: %d created' % len(to_create))
    ctx.log('probable duplicates: %d' % Duplicate.detect())
