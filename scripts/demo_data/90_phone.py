"""Demo data: the toll-free line.

The SIP accounts of the agents of 60_inbox ('ami-agent1' for agent.ami.1:
the antenna code lower-cased), a regional overflow team of two agents
('reg-agent1', 'reg-agent2'), the presence of today (every agent available
but those of Montdidier, away: its calls overflow to Amiens, which shares
its manager), the phone scope on the demo IVR key, then three months of
calls: one for each phone request of 60_inbox received in that time (the
same caller, antenna, usager and date, answered by an agent of the antenna
or of its sibling) and the calls that created no request (answered at
once, missed, abandoned: those got their callback request through the
intake), and the current call of ci.amiens.

The calls are inserted in bulk (Call.create by 1,000, without their CTI
events); a re-run finds them and creates nothing."""
import datetime as dt
import random

SEED = 90
DAYS = 91
BATCH = 1000
# the calls that created no request, per phone request of the period
EXTRA = 0.45
EXTRA_OUTCOMES = [('answered', 70), ('overflowed', 8), ('missed', 8),
    ('abandoned', 8), ('callback', 4), ('out_of_hours', 2)]
AWAY_ANTENNAS = {'MDD'}
# the calls of these last days get their CTI events
EVENT_DAYS = 14
OVERFLOW_TEAM = "Renfort régional du numéro vert"


def _sip_accounts(ctx, antennas):
    """Give the agents of each antenna their SIP account; return
    {antenna id: [users with a SIP account]}"""
    from trytond.pool import Pool
    pool = Pool()
    User = pool.get('res.user')
    by_antenna = {}
    to_write = []
    for code, antenna in sorted(antennas.items()):
        users = User.search([
                ('login', 'like', 'agent.%s.%%' % code.lower()),
                ], order=[('login', 'ASC')])
        for user in users:
            number = user.login.rsplit('.', 1)[-1]
            sip = '%s-agent%s' % (code.lower(), number)
            if user.sip_user != sip:
                to_write.extend(([user], {'sip_user': sip}))
        by_antenna[antenna.id] = users
    if to_write:
        User.write(*to_write)
        ctx.log('%d SIP accounts given' % (len(to_write) // 2))
    return by_antenna


def _overflow_team(ctx, company):
    from trytond.pool import Pool
    pool = Pool()
    User = pool.get('res.user')
    Team = pool.get('gru.inbox.team')
    ModelData = pool.get('ir.model.data')
    Configuration = pool.get('gru.phone.configuration')
    config = Configuration(1)
    if config.overflow_team:
        return config.overflow_team
    agent = ModelData.get_id('gru_base', 'group_gru_agent')
    officer = ModelData.get_id('gru_inbox', 'group_information_officer')
    users = []
    for number, name in [(1, "Nadia Benali"), (2, "Thomas Vasseur")]:
        login = 'agent.reg.%d' % number
        found = User.search([('login', '=', login)])
        if found:
            users.append(found[0])
            continue
        user, = User.create([{
                    'login': login, 'name': name,
                    'sip_user': 'reg-agent%d' % number,
                    'groups': [('add', [agent, officer])],
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    }])
        users.append(user)
    team, = Team.create([{
                'name': OVERFLOW_TEAM, 'kind': 'mobile',
                'strategy': 'least_loaded',
                'members': [('add', [u.id for u in users])],
                }])
    config.overflow_team = team
    config.save()
    ctx.log('overflow team created')
    return team


def _presence(ctx, by_antenna, antennas, team):
    "Today's presence: available, but the antennas of AWAY_ANTENNAS"
    from trytond.pool import Pool
    pool = Pool()
    User = pool.get('res.user')
    away_ids = {antennas[c].id for c in AWAY_ANTENNAS if c in antennas}
    available, away = [], []
    for antenna_id, users in by_antenna.items():
        (away if antenna_id in away_ids else available).extend(users)
    available.extend(team.members)
    to_write = []
    for users, presence in [(available, 'available'), (away, 'away')]:
        users = [u for u in users if u.phone_presence != presence]
        if users:
            to_write.extend((users, {'phone_presence': presence}))
    if to_write:
        User.write(*to_write)
        ctx.log('presence of today set')


def _api_key(ctx):
    from trytond.pool import Pool
    pool = Pool()
    ApiKey = pool.get('gru.api.key')
    for key in ApiKey.search([('name', '=', "Serveur vocal (démo)")]):
        if 'phone' not in (key.scopes or ()):
            key.scopes = list(key.scopes or ()) + ['phone']
            key.save()
            ctx.log('phone scope added to the demo IVR key')
    ctx.logins.append(('X-API-Key', 'gru_demo_ivr_key_not_for_production',
            "API key (phone): %s<db>/gru/phone/decision?call_id=demo-1"
            "&postal_code=80000" % 'http://127.0.0.1:8000/'))


def _step(kind, antenna, users):
    return {'sequence': 1, 'kind': kind,
        'antenna': antenna.id if antenna else None,
        'code': antenna.code if antenna else None,
        'name': antenna.name if antenna else None,
        'agents': ' '.join(u.sip_user for u in users if u.sip_user)}


def _events(ctx, since):
    """The CTI events of the calls since since, as the proxy would have
    posted them: started, offered and answered or missed, ended"""
    from trytond.pool import Pool
    pool = Pool()
    Call = pool.get('gru.phone.call')
    Event = pool.get('gru.phone.call.event')
    rows = []
    calls = Call.search([('started_at', '>=', since)])
    for call in calls:
        agent = call.agent.sip_user if call.agent else None
        target = call.answered_target or (
            call.routed_antenna.code if call.routed_antenna else None)
        events = [('started', call.started_at, None, None, None)]
        if call.ring_at:
            events.append(('offered', call.ring_at, agent, target, None))
        if call.answer_at:
            events.append(('answered', call.answer_at, agent, target, 200))
        elif call.ring_at:
            events.append(('missed', call.end_at or call.ring_at, agent,
                    target, call.end_code or 480))
        if call.end_at:
            events.append(('ended', call.end_at, agent, target,
                    call.end_code))
        for event, time, agent_, target_, code in events:
            rows.append((call.id, '%s:%s' % (call.call_id, event), event,
                    time, agent_, target_, code))
    Event.insert_many(rows)
    ctx.log('%d CTI events of the calls of the last %d days' % (
            len(rows), EVENT_DAYS))


def load(ctx):
    from trytond.pool import Pool

    from gru_phone.phone import parse_number
    pool = Pool()
    Company = pool.get('company.company')
    Antenna = pool.get('gru.antenna')
    Call = pool.get('gru.phone.call')
    Request = pool.get('gru.inbox.request')
    User = pool.get('res.user')

    companies = Company.search([])
    antennas = {a.code: a for a in Antenna.search([])}
    if not companies or not antennas:
        ctx.log('phone skipped: no company or antenna')
        return
    company = companies[0]
    by_antenna = _sip_accounts(ctx, antennas)
    team = _overflow_team(ctx, company)
    _presence(ctx, by_antenna, antennas, team)
    _api_key(ctx)
    officer = User.search([('login', '=', 'ci.amiens')])
    if officer and not officer[0].sip_user:
        User.write(officer, {'sip_user': 'ami-ci',
                'phone_presence': 'available'})

    if Call.search([], limit=1):
        ctx.log('calls: already there')
        return
    rng = random.Random(SEED)
    now = dt.datetime.now().replace(microsecond=0)
    since = now - dt.timedelta(days=DAYS)
    siblings = {}
    for antenna in antennas.values():
        if antenna.manager_shared_with:
            siblings.setdefault(antenna.id, []).append(
                antenna.manager_shared_with)
            siblings.setdefault(antenna.manager_shared_with.id, []).append(
                antenna)
    central = antennas.get('SIA')

    def agents_of(antenna):
        return [u for u in by_antenna.get(antenna.id, []) if u.sip_user] \
            if antenna else []

    def times(start, answered=True):
        ring = start + dt.timedelta(seconds=rng.randint(20, 70))
        if not answered:
            return ring, None, ring + dt.timedelta(
                seconds=rng.randint(10, 60))
        answer = ring + dt.timedelta(seconds=rng.choice(
                [4, 8, 12, 20, 35, 60, 90, 150]))
        end = answer + dt.timedelta(seconds=rng.randint(60, 900))
        return ring, answer, end

    rows = []
    requests = Request.search([
            ('channel', '=', 'phone'),
            ('received_at', '>=', since),
            ], order=[('received_at', 'ASC')])
    for request in requests:
        routed = request.antenna or central
        handler = routed
        outcome = 'answered'
        if siblings.get(routed.id if routed else None) \
                and rng.random() < 0.08:
            handler = rng.choice(siblings[routed.id])
            outcome = 'overflowed'
        agents = agents_of(handler)
        agent = request.assignee if request.assignee in agents \
            else (rng.choice(agents) if agents else None)
        start = request.received_at - dt.timedelta(
            seconds=rng.randint(60, 900))
        ring, answer, end = times(start)
        party = request.party
        caller = request.contact_phone or (party.phone if party else None)
        postal_code = request.contact_postal_code or (
            party.postal_code if party else None)
        steps = [_step('antenna', routed, agents_of(routed))]
        if outcome == 'overflowed':
            steps.append(dict(_step('sibling', handler, agents),
                    sequence=2))
        rows.append({
                'call_id': 'demo-%s' % request.reference,
                'caller': parse_number(caller),
                'called': '+33800026080',
                'postal_code': postal_code,
                'routed_antenna': routed.id if routed else None,
                'antenna': handler.id if handler else None,
                'agent': agent.id if agent else None,
                'state': 'ended',
                'started_at': start, 'decided_at': start,
                'ring_at': ring, 'answer_at': answer, 'end_at': end,
                'answered_target': handler.code if handler else None,
                'waiting_time': answer - start, 'talk_time': end - answer,
                'outcome': outcome,
                'party': party.id if party else None,
                'request': request.id,
                'steps': [('create', steps)],
                })

    # the calls that created no request
    pending_callbacks = []
    extra = int(len(requests) * EXTRA)
    routable = [a for a in antennas.values()
        if a.kind == 'antenna' and a.state == 'open']
    span = (now - since).total_seconds()
    for i in range(extra):
        routed = rng.choice(routable)
        outcome = rng.choices(*zip(*EXTRA_OUTCOMES))[0]
        start = since + dt.timedelta(seconds=rng.random() * span)
        day = start.date()
        if day.weekday() >= 5:
            start -= dt.timedelta(days=day.weekday() - 4)
        hour = rng.choice([8, 9, 10, 11, 13, 14, 15, 16])
        if outcome == 'out_of_hours':
            hour = rng.choice([7, 18, 19])
        start = start.replace(hour=hour)
        if start > now:
            start = now - dt.timedelta(minutes=rng.randint(10, 600))
        handler = routed
        if outcome == 'overflowed' and siblings.get(routed.id):
            handler = rng.choice(siblings[routed.id])
        elif outcome == 'overflowed':
            handler = central
        answered = outcome in {'answered', 'overflowed'}
        agents = agents_of(handler)
        ring, answer, end = times(start, answered=answered)
        row = {
            'call_id': 'demo-x%05d' % i,
            'caller': '+3397742%04d' % rng.randrange(10000),
            'called': '+33800026080',
            'postal_code': routed.postal_code,
            'routed_antenna': routed.id,
            'antenna': handler.id if handler else routed.id,
            'agent': rng.choice(agents).id if answered and agents else None,
            'state': 'ended',
            'started_at': start, 'decided_at': start,
            'outcome': outcome,
            'steps': [('create', [_step(
                            'callback' if outcome in {
                                'callback', 'out_of_hours'} else 'antenna',
                            routed, agents_of(routed))])],
            }
        if outcome not in {'callback', 'out_of_hours'}:
            row.update({'ring_at': ring, 'answer_at': answer,
                    'end_at': end, 'waiting_time': (answer or end) - start,
                    'talk_time': end - answer if answer else None,
                    'end_code': None if answered else (
                        487 if outcome == 'abandoned' else 480)})
        else:
            row['end_at'] = start + dt.timedelta(seconds=40)
        if not answered:
            pending_callbacks.append(row['call_id'])
        rows.append(row)

    for i in range(0, len(rows), BATCH):
        Call.create(rows[i:i + BATCH])
    # the callbacks of the missed, abandoned and out of hours calls, through
    # the intake (channel phone, SLA of the phone policy)
    calls = []
    for i in range(0, len(pending_callbacks), BATCH):
        calls.extend(Call.search([
                    ('call_id', 'in', pending_callbacks[i:i + BATCH])]))
    from trytond.transaction import Transaction
    with Transaction().set_context(company=company.id):
        Call.create_callbacks(calls)
    ctx.log('%d calls created (%d callbacks)' % (len(rows), len(calls)))
    _events(ctx, since=now - dt.timedelta(days=EVENT_DAYS))

    # the current call of ci.amiens: answered a minute ago
    if officer and 'AMI' in antennas:
        party = Pool().get('party.party').search([
                ('antenna', '=', antennas['AMI'].id),
                ('is_person', '=', True)], limit=1)
        start = now - dt.timedelta(seconds=90)
        Call.create([{
                    'call_id': 'demo-current-ci-amiens',
                    'caller': party[0].phone if party and party[0].phone
                    else '+33612345678',
                    'called': '+33800026080',
                    'postal_code': '80000',
                    'routed_antenna': antennas['AMI'].id,
                    'antenna': antennas['AMI'].id,
                    'agent': officer[0].id,
                    'state': 'answered',
                    'started_at': start, 'decided_at': start,
                    'ring_at': start + dt.timedelta(seconds=25),
                    'answer_at': start + dt.timedelta(seconds=31),
                    'party': party[0].id if party else None,
                    'steps': [('create', [_step('antenna', antennas['AMI'],
                                    [officer[0]])])],
                    }])
