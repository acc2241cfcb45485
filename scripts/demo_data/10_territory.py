"""Demo data: the official territory data, the 19 antennas of the target
plan, the central information service and the territorial plan of
16 June 2022 (EPCI perimeters reconstructed from the report, see
addons/gru_territory/doc/perimeter.rst), and an API key for the IVR."""
import csv
import datetime as dt
import os

DEMO_IVR_KEY = 'gru_demo_ivr_key_not_for_production'


def load(ctx):
    from trytond.pool import Pool

    from gru_territory.etalab import format_report, import_territory
    pool = Pool()
    Commune = pool.get('gru.commune')
    Epci = pool.get('gru.epci')
    Antenna = pool.get('gru.antenna')
    Plan = pool.get('gru.territory.plan')
    Configuration = pool.get('gru.territory.configuration')
    ApiKey = pool.get('gru.api.key')
    data = os.path.join(ctx.root, 'addons', 'gru_territory', 'data')

    def progress(step, done, total):
        if done == total:
            ctx.log('  %s: %d' % (step, total))
    report = import_territory(progress=progress)
    ctx.log(format_report(report).replace('\n', '; '))

    communes = {c.insee_code: c for c in Commune.search([])}
    with open(os.path.join(data, 'antennas.csv'), encoding='utf-8') as fp:
        rows = list(csv.DictReader(fp))
    existing = {a.code: a for a in Antenna.search(
            [('active', 'in', [True, False])])}
    to_create = []
    for row in rows:
        if row['code'] in existing:
            continue
        to_create.append({
                'code': row['code'],
                'name': row['name'],
                'kind': row['kind'],
                'state': row['status'],
                'seat': communes[row['seat_insee']].id,
                'street': row['street'],
                'postal_code': row['zip'],
                'phone': row['phone'],
                'email': row['email'],
                'opening_date': (dt.date.fromisoformat(row['opening_date'])
                    if row['opening_date'] else None),
                })
    if 'SIA' not in existing:
        to_create.append({
                'code': 'SIA',
                'name': "Service Information et accompagnement",
                'kind': 'service',
                'state': 'open',
                'seat': communes['80021'].id,
                'street': "15 mail Albert 1er",
                'postal_code': '80000',
                'phone': '0800 026 080',
                'email': 'relation.usagers@hautsdefrance.fr',
                'comment': "Plateforme multicanale et équipe mobile de "
                "renfort : reçoit ce qu'aucune antenne ne peut traiter.",
                })
    if to_create:
        for antenna in Antenna.create(to_create):
            existing[antenna.code] = antenna
        ctx.log('%d antennas created' % len(to_create))
    for row in rows:
        shared = row['shared_manager_code']
        antenna = existing[row['code']]
        if shared and antenna.manager_shared_with != existing[shared]:
            Antenna.write([antenna], {
                    'manager_shared_with': existing[shared].id})

    config = Configuration(1)
    if not config.fallback_antenna:
        config.fallback_antenna = existing['SIA']
        config.save()

    if not Plan.search([('name', '=', "Périmètres du 16 juin 2022")]):
        epcis = {e.siren: e for e in Epci.search([])}
        lines = []
        filename = os.path.join(data, 'perimeter_2022.csv')
        with open(filename, encoding='utf-8') as fp:
            for i, row in enumerate(csv.DictReader(fp)):
                lines.append({
                        'sequence': i,
                        'epci': epcis[row['epci_siren']].id,
                        'antenna': existing[row['antenna_code']].id,
                        'reason': row['reason'][:250],
                        })
        exceptions = []
        filename = os.path.join(data, 'perimeter_exceptions_2022.csv')
        with open(filename, encoding='utf-8') as fp:
            for row in csv.DictReader(fp):
                exceptions.append({
                        'commune': communes[row['insee']].id,
                        'antenna': existing[row['antenna_code']].id,
                        'reason': row['reason'],
                        })
        plan, = Plan.create([{
                    'name': "Périmètres du 16 juin 2022",
                    'start_date': dt.date(2022, 6, 16),
                    'decision': "Carte des périmètres d'intervention des "
                    "antennes au 16 juin 2022, cible CT du 3 octobre 2022",
                    'epcis': [('create', lines)],
                    'exceptions': [('create', exceptions)],
                    'comment': "Reconstruction documentée dans "
                    "addons/gru_territory/doc/perimeter.rst.",
                    }])
        Plan.approve([plan])
        ctx.log('territorial plan approved: %d EPCI' % len(lines))

    if not ApiKey.search([('name', '=', "Serveur vocal (démo)")]):
        key = ApiKey(name="Serveur vocal (démo)", scopes=['route', 'intake'],
            comment="Clé de démonstration, à révoquer en production.")
        key.set_key(DEMO_IVR_KEY)
        key.save()
    ctx.logins.append(('X-API-Key', DEMO_IVR_KEY,
            "API key: %s<db>/gru/route?postal_code=80000"
            % 'http://127.0.0.1:8000/'))
