"""Demo data: the counters of the antennas.

Every counter request of the inbox (60_inbox.py) gets its visit: the same
antenna, usager, motive, scheme and agent, arrived when the request was
received, called after a wait and seen for a few minutes. About one visit
in fifteen more left unseen over the last three months. The antennas held
permanences at partner sites (France Services, town halls, social
centres): some of the days they received walk-ins became a permanence
there, holding those visits; the next four weeks are planned, with a few
off-site operations (job forums, student fairs, a mobile antenna at a
market). Today, Amiens, Saint-Quentin and Arras have a waiting list:
usagers arrived, one called, some seen (their requests go through the
intake, triage included) and one who left.

Skipped when the demo already has visits; --small keeps the same shape on
the smaller inbox."""
import datetime as dt
import random

SEED = 92
# the share of visits that left unseen, added to the counter requests
LEFT_SHARE = 0.07
# the share of the antenna days with visits held at a permanence
PERMANENCE_SHARE = 0.2
HISTORY_WEEKS = 13
PLANNED_WEEKS = 4
TODAY_ANTENNAS = ['AMI', 'STQ', 'ARR']
PLACES = ["France Services de {commune}", "Mairie de {commune}",
    "Centre social de {commune}", "Maison des habitants de {commune}"]
OPERATIONS = ["Forum de l'emploi de {commune}",
    "Salon de l'étudiant de {commune}",
    "Antenne mobile au marché de {commune}"]
# minutes: how long the usagers wait, how long they stay with the agent
WAITING = [(2, 20), (5, 25), (10, 20), (15, 15), (25, 10), (40, 6),
    (60, 4)]
SPENT = [(4, 15), (8, 25), (12, 25), (20, 20), (30, 10), (45, 5)]
NAMES = ["Mme Dubois", "M. Lefebvre", "Mme Carpentier", "M. Lambert",
    "Mme Vasseur", "M. Boulanger", "Mme Delannoy", "M. Caron"]
TODAY_NOTES = [
    "Venue se renseigner sur les conditions du dispositif.",
    "Apporte les pièces justificatives demandées par courrier.",
    "Difficulté à se connecter à la plateforme des aides : aidé sur place.",
    ]


def _weighted(rng, pairs):
    values, weights = zip(*pairs)
    return rng.choices(values, weights)[0]


def _minutes(rng, pairs):
    "A duration drawn around one of the weighted values"
    value = _weighted(rng, pairs)
    return max(1, round(value * rng.uniform(0.6, 1.4)))


def _communes(antennas):
    """Return {antenna id: [commune]} of the most populated communes of the
    EPCI each antenna serves (its perimeter in the plans)"""
    from trytond.pool import Pool
    pool = Pool()
    PlanEpci = pool.get('gru.territory.plan.epci')
    Commune = pool.get('gru.commune')
    result = {}
    for antenna in antennas:
        epcis = {p.epci.id for p in PlanEpci.search([
                    ('antenna', '=', antenna.id)])}
        if not epcis:
            continue
        result[antenna.id] = Commune.search([
                ('epci', 'in', list(epcis)),
                ], order=[('population', 'DESC'), ('id', 'ASC')], limit=6)
    return result


def _agents(antennas):
    "Return {antenna id: [users of its team]}"
    from trytond.pool import Pool
    pool = Pool()
    Team = pool.get('gru.inbox.team')
    result = {}
    for team in Team.search([('kind', '=', 'antenna')]):
        if team.antenna:
            result.setdefault(team.antenna.id, []).extend(team.members)
    return result


def _usagers():
    "Return {antenna id: [usager]} of the usagers attached to an antenna"
    from trytond.pool import Pool
    pool = Pool()
    Party = pool.get('party.party')
    result = {}
    for party in Party.search([
                ('is_person', '=', True),
                ('antenna', '!=', None),
                ('anonymized', '!=', True),
                ], order=[('id', 'ASC')]):
        result.setdefault(party.antenna.id, []).append(party)
    return result


def _history(ctx, rng, company, now, agents, usagers):
    """Return the visit values of the counter requests and of the usagers
    who left unseen"""
    from trytond.pool import Pool
    pool = Pool()
    Request = pool.get('gru.inbox.request')
    rows = []
    requests = Request.search([
            ('channel', '=', 'counter'),
            ('antenna', '!=', None),
            ], order=[('received_at', 'ASC'), ('id', 'ASC')])
    for request in requests:
        waiting = _minutes(rng, WAITING)
        spent = _minutes(rng, SPENT)
        called = request.received_at + dt.timedelta(minutes=waiting)
        ended = called + dt.timedelta(minutes=spent)
        if ended > now:
            # received a moment ago: seen now, after a short wait
            ended = now
            called = max(request.received_at, now - dt.timedelta(
                    minutes=spent))
        team = agents.get(request.antenna.id) or []
        seen_by = request.assignee or (rng.choice(team) if team else None)
        rows.append({
                'company': company.id,
                'antenna': request.antenna.id,
                'arrived_at': request.received_at,
                'party': request.party.id if request.party else None,
                'name': request.party.name if request.party
                else request.contact_name,
                'motive': request.motive.id if request.motive else None,
                'scheme': request.scheme.id if request.scheme else None,
                'state': 'seen',
                'called_at': called,
                'seen_by': seen_by.id if seen_by else None,
                'ended_at': ended,
                'waiting_time': round(
                    (called - request.received_at).total_seconds() / 60),
                'time_spent': round((ended - called).total_seconds() / 60),
                'request': request.id,
                })
    # the usagers who left unseen over the last weeks
    start = now - dt.timedelta(weeks=HISTORY_WEEKS)
    recent = [r for r in rows if r['arrived_at'] >= start]
    for row in rng.sample(recent, round(len(recent) * LEFT_SHARE)):
        antenna = row['antenna']
        arrived = row['arrived_at'] + dt.timedelta(
            minutes=rng.randrange(5, 90))
        waited = _minutes(rng, WAITING[3:])
        if arrived + dt.timedelta(minutes=waited) > now:
            continue
        party = rng.choice(usagers[antenna]) \
            if usagers.get(antenna) and rng.random() < 0.4 else None
        rows.append({
                'company': company.id,
                'antenna': antenna,
                'arrived_at': arrived,
                'party': party.id if party else None,
                'name': party.name if party else rng.choice(NAMES),
                'state': 'left',
                'ended_at': arrived + dt.timedelta(minutes=waited),
                'waiting_time': waited,
                })
    ctx.log('visits: %d of counter requests, %d left unseen' % (
            len(requests), len(rows) - len(requests)))
    return rows


def _permanences(ctx, rng, company, now, rows, antennas, agents):
    """Create the permanences of the antenna days chosen among those with
    visits (and put those visits there) and the planned ones"""
    from trytond.pool import Pool
    pool = Pool()
    Permanence = pool.get('gru.counter.permanence')
    communes = _communes(antennas)
    by_day = {}
    start = now - dt.timedelta(weeks=HISTORY_WEEKS)
    for row in rows:
        if row['arrived_at'] < start or row['antenna'] not in communes:
            continue
        # the morning or the afternoon of a day
        half = row['arrived_at'].hour >= 12
        key = (row['antenna'], row['arrived_at'].date(), half)
        by_day.setdefault(key, []).append(row)
    keys = sorted(by_day)
    chosen = rng.sample(keys, round(len(keys) * PERMANENCE_SHARE))
    values, held = [], []
    for antenna, day, half in chosen:
        places = communes[antenna][1:] or communes[antenna]
        commune = rng.choice(places)
        begin = dt.datetime.combine(day,
            dt.time(13, 0) if half else dt.time(8, 0))
        team = agents.get(antenna) or []
        values.append({
                'company': company.id,
                'kind': 'permanence',
                'antenna': antenna,
                'place': rng.choice(PLACES).format(commune=commune.name),
                'commune': commune.id,
                'start': begin,
                'end': begin + dt.timedelta(hours=4, minutes=30),
                'agents': [('add', [u.id for u in rng.sample(
                                team, min(len(team), 1))])],
                })
        held.append(by_day[(antenna, day, half)])
    # the planning of the weeks to come: a weekly permanence per antenna
    # and a few off-site operations
    monday = now.date() - dt.timedelta(days=now.weekday())
    for antenna in antennas:
        if antenna.id not in communes or not communes[antenna.id]:
            continue
        commune = communes[antenna.id][min(1, len(communes[antenna.id]) - 1)]
        place = rng.choice(PLACES).format(commune=commune.name)
        weekday = rng.randrange(5)
        team = agents.get(antenna.id) or []
        for week in range(PLANNED_WEEKS):
            day = monday + dt.timedelta(weeks=week, days=weekday)
            begin = dt.datetime.combine(day, dt.time(8, 30))
            if begin < now:
                continue
            values.append({
                    'company': company.id,
                    'kind': 'permanence',
                    'antenna': antenna.id,
                    'place': place,
                    'commune': commune.id,
                    'start': begin,
                    'end': begin + dt.timedelta(hours=3, minutes=30),
                    'agents': [('add', [u.id for u in team[:1]])],
                    })
        if rng.random() < 0.3:
            commune = rng.choice(communes[antenna.id])
            day = monday + dt.timedelta(weeks=rng.randrange(1, PLANNED_WEEKS),
                days=rng.randrange(5))
            begin = dt.datetime.combine(day, dt.time(9, 0))
            values.append({
                    'company': company.id,
                    'kind': 'off_site',
                    'antenna': antenna.id,
                    'place': rng.choice(OPERATIONS).format(
                        commune=commune.name),
                    'commune': commune.id,
                    'start': begin,
                    'end': begin + dt.timedelta(hours=7),
                    'agents': [('add', [u.id for u in team[:2]])],
                    })
    permanences = Permanence.create(values)
    for permanence, visits in zip(permanences, held):
        for row in visits:
            row['permanence'] = permanence.id
    ctx.log('permanences: %d held (%d visits there), %d planned' % (
            len(held), sum(len(v) for v in held),
            len(permanences) - len(held)))


def _today(ctx, rng, company, now, antennas, agents, usagers, motives,
        schemes):
    "The waiting lists of today at a few antennas"
    from trytond.pool import Pool
    pool = Pool()
    Request = pool.get('gru.inbox.request')
    Visit = pool.get('gru.counter.visit')
    midnight = dt.datetime.combine(now.date(), dt.time(0, 1))

    def ago(minutes):
        return max(midnight, now - dt.timedelta(minutes=minutes))
    count = 0
    for antenna in antennas:
        if antenna.code not in TODAY_ANTENNAS:
            continue
        known = usagers.get(antenna.id) or []
        team = agents.get(antenna.id) or []
        if len(known) < 6 or not team:
            continue
        people = rng.sample(known, 6)
        # seen this morning: their requests through the intake
        seen = []
        for party, minutes in zip(people[:2], [150, 95]):
            motive = rng.choice(motives)
            scheme = rng.choice(schemes) if schemes else None
            arrived = ago(minutes)
            subject = motive.rec_name + (
                ' - ' + scheme.rec_name if scheme else '')
            request, = Request.intake_many([({
                            'channel': 'counter',
                            'received_at': arrived,
                            'subject': subject,
                            'party': party,
                            'antenna': antenna,
                            'motive': motive,
                            'scheme': scheme,
                            'origin_address': antenna.name,
                            'company': company,
                            }, {
                            'subject': subject,
                            'body': rng.choice(TODAY_NOTES),
                            'date': arrived,
                            'from_address': None,
                            'to_address': None,
                            })])
            called = min(arrived + dt.timedelta(minutes=12), now)
            seen.append({
                    'antenna': antenna.id, 'company': company.id,
                    'arrived_at': arrived, 'party': party.id,
                    'name': party.name, 'motive': motive.id,
                    'scheme': scheme.id if scheme else None,
                    'state': 'seen', 'called_at': called,
                    'seen_by': team[0].id,
                    'ended_at': min(called + dt.timedelta(minutes=15), now),
                    'waiting_time': round(
                        (called - arrived).total_seconds() / 60),
                    'time_spent': round((min(called + dt.timedelta(
                                    minutes=15), now) - called
                            ).total_seconds() / 60),
                    'request': request.id,
                    })
        motive = rng.choice(motives)
        waiting = [{
                # left before being called
                'antenna': antenna.id, 'company': company.id,
                'arrived_at': ago(80), 'name': rng.choice(NAMES),
                'state': 'left', 'ended_at': ago(45), 'waiting_time': 35,
                }, {
                # called by an agent, with him now
                'antenna': antenna.id, 'company': company.id,
                'arrived_at': ago(30), 'party': people[2].id,
                'name': people[2].name, 'motive': motive.id,
                'state': 'called', 'called_at': ago(6),
                'seen_by': team[-1].id, 'waiting_time': 24,
                }]
        # waiting: identified at the reception or only a name given
        for party, minutes in zip(people[3:], [22, 14, 5]):
            waiting.append({
                    'antenna': antenna.id, 'company': company.id,
                    'arrived_at': ago(minutes), 'party': party.id,
                    'name': party.name,
                    'motive': rng.choice(motives).id,
                    'state': 'arrived',
                    })
        waiting.append({
                'antenna': antenna.id, 'company': company.id,
                'arrived_at': ago(2), 'name': rng.choice(NAMES),
                'state': 'arrived',
                })
        count += len(Visit.create(seen + waiting))
    ctx.log('visits of today: %d' % count)


def load(ctx):
    from trytond.pool import Pool
    pool = Pool()
    Company = pool.get('company.company')
    Antenna = pool.get('gru.antenna')
    Visit = pool.get('gru.counter.visit')
    Motive = pool.get('gru.inbox.motive')
    Scheme = pool.get('gru.scheme')

    companies = Company.search([])
    if not companies:
        ctx.log('counter skipped: no company')
        return
    company = companies[0]
    if Visit.search([], limit=1):
        ctx.log('visits: already there')
        return
    rng = random.Random(SEED)
    now = dt.datetime.now().replace(microsecond=0)
    antennas = Antenna.search([('kind', '=', 'antenna')],
        order=[('code', 'ASC')])
    agents = _agents(antennas)
    usagers = _usagers()
    motives = [m for m in Motive.search([('parent', '!=', None)])] \
        or Motive.search([])
    schemes = Scheme.search([])

    rows = _history(ctx, rng, company, now, agents, usagers)
    _permanences(ctx, rng, company, now, rows, antennas, agents)
    for i in range(0, len(rows), 1000):
        Visit.create(rows[i:i + 1000])
    if motives:
        _today(ctx, rng, company, now, antennas, agents, usagers, motives,
            schemes)
