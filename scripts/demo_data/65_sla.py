"""Demo data: the business calendars of the antennas and of the toll-free
number, and the service level policies by channel and priority.

The targets are ILLUSTRATIONS written for the demo, not commitments of the
Region: the policy names say so."""
import datetime as dt

ANTENNA_HOURS = [((9, 0), (12, 30)), ((13, 30), (17, 0))]
PHONE_HOURS = [((8, 30), (18, 0))]
CLOSURES = [
    (dt.date(2026, 5, 15), None, "Pont de l'Ascension"),
    (dt.date(2026, 12, 24), dt.date(2026, 12, 24),
        "Veille de Noël"),
    (dt.date(2026, 12, 31), None, "Veille du jour de l'an"),
    ]
# name, channel, priority, (first response), (resolution)
POLICIES = [
    ("Urgent (exemple)", None, '3', (2, 'hours'), (1, 'days')),
    ("Téléphone (exemple)", 'phone', None, (4, 'hours'), (2, 'days')),
    ("Accueil en antenne (exemple)", 'counter', None, (2, 'hours'),
        (3, 'days')),
    ("Courriel et formulaire web (exemple)", 'email', None, (1, 'days'),
        (5, 'days')),
    ("Formulaire web (exemple)", 'web', None, (1, 'days'), (5, 'days')),
    ("Courrier postal (exemple)", 'letter', None, (5, 'days'),
        (15, 'days')),
    ("Par défaut (exemple)", None, None, (2, 'days'), (10, 'days')),
    ]


def hours(ranges):
    return [{'weekday': str(day), 'start_time': dt.time(*start),
            'end_time': dt.time(*end)}
        for day in range(5) for start, end in ranges]


def load(ctx):
    from trytond.pool import Pool

    pool = Pool()
    Calendar = pool.get('gru.sla.calendar')
    Closure = pool.get('gru.sla.calendar.closure')
    Policy = pool.get('gru.sla.policy')
    Antenna = pool.get('gru.antenna')
    Configuration = pool.get('gru.inbox.configuration')
    ModelData = pool.get('ir.model.data')
    Request = pool.get('gru.inbox.request')

    standard = Calendar(ModelData.get_id('gru_sla', 'calendar_standard'))
    standard.name = "Horaires des antennes"
    standard.save()
    existing = {(c.start_date, c.name) for c in standard.closures}
    Closure.create([{
                'calendar': standard.id, 'start_date': start,
                'end_date': end, 'name': name}
            for start, end, name in CLOSURES
            if (start, name) not in existing])

    phone, = Calendar.search([('name', '=', "Numéro vert")]) or [None]
    if not phone:
        phone, = Calendar.create([{
                    'name': "Numéro vert",
                    'timezone': 'Europe/Paris',
                    'public_holidays': True,
                    'hours': [('create', hours(PHONE_HOURS))],
                    }])
        ctx.log("calendar %s created" % phone.name)

    config = Configuration(1)
    config.sla_calendar = standard
    config.save()

    # the central services answer the toll-free number on its hours
    antennas = Antenna.search([('calendar', '=', None)])
    for antenna in antennas:
        antenna.calendar = phone if antenna.kind == 'service' else standard
    Antenna.save(antennas)
    ctx.log("%d antennas given a calendar" % len(antennas))

    names = {p.name for p in Policy.search(
            [('active', 'in', [True, False])])}
    to_create = []
    for sequence, (name, channel, priority, first, resolution) in enumerate(
            POLICIES, 1):
        if name in names:
            continue
        to_create.append({
                'name': name, 'sequence': sequence * 10,
                'channel': channel, 'priority': priority,
                'first_response_target': first[0],
                'first_response_unit': first[1],
                'resolution_target': resolution[0],
                'resolution_unit': resolution[1],
                })
    Policy.create(to_create)
    ctx.log("%d policies created" % len(to_create))

    # the requests loaded before the policies get their due dates
    requests = Request.search([])
    Request.compute_sla(requests)
    ctx.log("due dates computed for %d requests" % len(requests))
    # what the scheduled task would do: escalate the overdue requests
    escalated = Request.escalate_overdue()
    ctx.log("%d overdue requests escalated" % len(escalated))
