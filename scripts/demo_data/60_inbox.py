"""Demo data: the inbox of the information service.

Four demo agents (an information officer of Amiens, the manager of the
Saint-Quentin and Laon antennas, a referent instructor and a DARRU
supervisor), a team of 2 or 3 agents per antenna and the mobile team of the
central service, the motives and tags, 7 triage rules, then 20,000 requests
(500 with --small) received over the last 12 months: channels, antennas,
schemes, the weekly rhythm and the states of a real inbox, each with a
thread of 1 to 4 messages in French.

The requests are inserted in bulk (Request.create by 1,000 with references
numbered like the sequence, messages by SQL), not through the intake: the
loader runs in well under a minute and a half on SQLite. A re-run finds the
requests and creates nothing."""
import datetime as dt
import random

SEED = 60
TOTAL, SMALL = 20000, 500
BATCH = 1000

LOGINS = [
    # login, password, role, groups, antennas, name (without staff plan)
    ('ci.amiens', 'demo-ci-amiens', "Chargé d'information, Amiens",
        ['group_information_officer'], ['AMI'], "Camille Lenoir"),
    ('resp.stquentin', 'demo-resp-stq',
        "Responsable des antennes de Saint-Quentin et Laon",
        ['group_antenna_manager'], ['STQ', 'LAO'], "Olivier Delattre"),
    ('instructeur', 'demo-instructeur',
        "Instructrice référente (Permis pour l'emploi, rentrée des familles)",
        ['group_instructor'], [], "Sophie Lefebvre"),
    ('superviseur', 'demo-superviseur', "Superviseur DARRU",
        ['group_supervisor'], [], "Martine Wattebled"),
    ]
# each demo login is the person of a post of the target staff plan
# (gru_staff.demo): the user is that employee and bears his name
POSTS = {
    'ci.amiens': 'AMI-CI1',
    'resp.stquentin': 'STQ-R1',
    # the first instructor post: referent of the PPE and FAMRENT schemes
    # (40_scheme.py)
    'instructeur': 'SIN-INSTR1',
    # the head of the Service Information et accompagnement
    'superviseur': 'SIA-HEAD_SRV1',
    }
MOTIVES = [
    ('INFO', "Demande d'information", [
            ('INFO-ELIG', "Éligibilité à un dispositif"),
            ('INFO-DEPOT', "Modalités de dépôt"),
            ]),
    ('SUIVI', "Suivi de dossier", [
            ('SUIVI-ETAT', "État d'avancement"),
            ('SUIVI-PIECES', "Pièces justificatives"),
            ('SUIVI-PAIE', "Paiement"),
            ]),
    ('RECLA', "Réclamation", []),
    ('PAS', "Problème technique PAS", [
            ('PAS-CONNEXION', "Connexion au compte"),
            ('PAS-DEPOT', "Dépôt en ligne"),
            ]),
    ('RDV', "Prise de rendez-vous", []),
    ('AUTRE', "Hors compétence régionale", []),
    ]
TAGS = [
    ("Urgent", '#c0392b'),
    ("Rappel demandé", '#d68910'),
    ("Incident PAS", '#7d3c98'),
    ("Élu signalé", '#1f618d'),
    ("Usager vulnérable", '#117a65'),
    ("Courrier recommandé", '#5d6d7e'),
    ]
CHANNELS = [('phone', 45), ('email', 35), ('counter', 10), ('letter', 7),
    ('web', 3)]
# Monday to Sunday: a peak on Monday, few contacts on the weekend
WEEKDAY_WEIGHTS = [1.45, 1.1, 1.0, 1.05, 0.9, 0.07, 0.02]
# January to December: the school year start (student grants, families)
MONTH_WEIGHTS = [1.0, 0.95, 1.0, 0.95, 0.9, 1.0, 0.85, 0.8, 1.35, 1.2,
    1.05, 0.8]
MOTIVE_WEIGHTS = [('INFO-ELIG', 22), ('INFO-DEPOT', 13), ('SUIVI-ETAT', 20),
    ('SUIVI-PIECES', 10), ('SUIVI-PAIE', 8), ('RECLA', 5),
    ('PAS-CONNEXION', 7), ('PAS-DEPOT', 5), ('RDV', 6), ('AUTRE', 4)]
SCHEME_WEIGHTS = {'PPE': 18, 'TRAJ': 12, 'CHEN': 14, 'RENO': 10,
    'BOURSE': 16, 'PASSJ': 12, 'FAMRENT': 12, 'NUMINC': 6}
SUBJECTS = {
    'INFO-ELIG': ["Suis-je éligible au {scheme} ?",
        "Conditions du {scheme}", "Renseignements sur le {scheme}",
        "Question sur les plafonds de ressources ({scheme})"],
    'INFO-DEPOT': ["Comment déposer une demande de {scheme} ?",
        "Date limite de dépôt {scheme}", "Dossier papier pour le {scheme}"],
    'SUIVI-ETAT': ["Où en est mon dossier {scheme} ?",
        "Suivi de ma demande de {scheme}",
        "Pas de nouvelles de mon dossier"],
    'SUIVI-PIECES': ["Pièce manquante dans mon dossier {scheme}",
        "Envoi d'un justificatif de domicile",
        "Quelles pièces fournir pour le {scheme} ?"],
    'SUIVI-PAIE': ["Versement du {scheme} non reçu",
        "Date de paiement de l'aide", "Changement de RIB"],
    'RECLA': ["Réclamation : refus du {scheme}",
        "Contestation de la décision", "Mécontentement délai de traitement"],
    'PAS-CONNEXION': ["Impossible de me connecter à mon compte",
        "Mot de passe oublié sur la plateforme des aides",
        "Compte bloqué"],
    'PAS-DEPOT': ["Erreur lors du dépôt en ligne",
        "Le téléversement des pièces ne fonctionne pas",
        "Bug sur le formulaire du {scheme}"],
    'RDV': ["Demande de rendez-vous à l'antenne",
        "Rendez-vous pour être aidé dans ma démarche"],
    'AUTRE': ["Question sur la carte grise", "Demande de logement social",
        "Transport scolaire de mon enfant"],
    }
BODIES = {
    'INFO': "Bonjour,\nJe souhaiterais savoir si je peux bénéficier du "
    "{scheme}. {situation} Pouvez-vous m'indiquer les conditions et la "
    "marche à suivre ?\nCordialement,\n{name}",
    'SUIVI': "Bonjour,\nJ'ai déposé une demande de {scheme} il y a "
    "{weeks} semaines et je n'ai pas de nouvelles. Pouvez-vous me dire où "
    "en est mon dossier ?\nMerci d'avance,\n{name}",
    'RECLA': "Madame, Monsieur,\nJe conteste la réponse reçue pour ma "
    "demande de {scheme} : {situation} Je vous remercie de réexaminer mon "
    "dossier.\n{name}",
    'PAS': "Bonjour,\nJe n'arrive pas à finaliser ma demande sur la "
    "plateforme des aides : la page affiche une erreur de connexion après "
    "la saisie de mon mot de passe. Pouvez-vous m'aider ?\n{name}",
    'RDV': "Bonjour,\nJe voudrais un rendez-vous à l'antenne pour être "
    "accompagné dans ma demande de {scheme}. Je suis disponible en "
    "semaine.\n{name}",
    'AUTRE': "Bonjour,\nJe ne sais pas à qui m'adresser pour ma question : "
    "{situation}\n{name}",
    }
SITUATIONS = [
    "Je suis demandeur d'emploi depuis six mois.",
    "Je suis étudiante à Lille et boursière du CROUS.",
    "Nous sommes une famille de trois enfants.",
    "Je viens de déménager dans l'Aisne.",
    "Je travaille en horaires décalés à 40 km de chez moi.",
    "Mon fils entre en seconde en septembre.",
    "Mes revenus ont baissé cette année.",
    ]
ANSWERS = [
    "Bonjour,\nMerci pour votre message. {answer}\nNous restons à votre "
    "disposition au 0800 026 080 (appel gratuit).\nCordialement,\n{agent}\n"
    "{antenna}",
    ]
ANSWER_TEXTS = {
    'INFO': "Vous trouverez les conditions du {scheme} sur "
    "aides.hautsdefrance.fr ; au vu de votre situation, vous pouvez "
    "déposer une demande en ligne.",
    'SUIVI': "Votre dossier {scheme} est en cours d'instruction ; vous "
    "recevrez la décision par courriel dans les prochaines semaines.",
    'RECLA': "Votre réclamation a été transmise à l'instructeur référent "
    "du {scheme}, qui réexamine votre dossier.",
    'PAS': "Nous avons réinitialisé l'accès à votre compte : vous pouvez "
    "vous reconnecter avec le lien reçu par courriel.",
    'RDV': "Un rendez-vous vous est proposé à l'antenne la semaine "
    "prochaine ; un agent vous rappellera pour fixer l'heure.",
    'AUTRE': "Cette démarche ne relève pas de la Région : nous vous "
    "invitons à contacter votre mairie ou le service compétent.",
    }
WAITING = ("Bonjour,\nPour poursuivre, merci de nous transmettre votre "
    "avis d'imposition et un justificatif de domicile de moins de 3 "
    "mois.\nCordialement,\n{agent}")
NOTES = ["Appel de l'usager : rappel demandé en fin de journée.",
    "Dossier vu avec l'instructeur référent.",
    "Usager reçu à l'antenne, pièces photocopiées.",
    "Transmis au service instructeur pour avis."]
FOLLOW_UPS = ["Bonjour, je me permets de vous relancer : je n'ai toujours "
    "pas de réponse. Merci.", "Je vous joins le document demandé.",
    "Merci de me rappeler, je suis joignable le matin."]
RULES = [{
        'name': "Incident technique de la plateforme PAS",
        'body_keywords': "mot de passe, connexion, bug, erreur, "
        "televersement, compte bloque",
        'set_motive': 'PAS', 'add_tags': ["Incident PAS"],
        }, {
        'name': "Réclamation : priorité haute",
        'subject_keywords': "reclamation, contestation, recours",
        'set_motive': 'RECLA', 'set_priority': '2',
        }, {
        'name': "Permis pour l'emploi",
        'body_keywords': "permis, auto-ecole, code de la route",
        'set_scheme': 'PPE',
        }, {
        'name': "Bourse régionale étudiante",
        'body_keywords': "bourse, etudiant, etudiante, crous",
        'set_scheme': 'BOURSE',
        }, {
        'name': "Chèque énergie régional",
        'body_keywords': "cheque energie, facture de chauffage, fioul",
        'set_scheme': 'CHEN',
        }, {
        'name': "Courrier recommandé",
        'channel': 'letter', 'subject_keywords': "recommande, lrar",
        'add_tags': ["Courrier recommandé"],
        }, {
        'name': "Indésirables",
        'sender': "@promo-",
        'spam': True,
        }]
DOMAINS = ['example.org', 'example.com', 'example.net']


def _weighted(rng, pairs):
    values, weights = zip(*pairs)
    return rng.choices(values, weights)[0]


def _user(login, name, password=None, groups=(), antennas=(), company=None):
    from trytond.pool import Pool
    pool = Pool()
    User = pool.get('res.user')
    Lang = pool.get('ir.lang')
    users = User.search([('login', '=', login), ('active', 'in',
                [True, False])])
    if users:
        return users[0], False
    languages = Lang.search([('code', '=', 'fr')], limit=1)
    values = {
        'login': login, 'name': name,
        'language': languages[0].id if languages else None,
        'groups': [('add', list(groups))],
        'gru_antennas': [('add', list(antennas))],
        }
    if password:
        values['password'] = password
    if company:
        values['companies'] = [('add', [company.id])]
        values['company'] = company.id
    user, = User.create([values])
    return user, True


def _login_employees(ctx, company):
    """Return {login: employee} of the demo logins: the occupants of their
    posts in the staff plan, or else (gru_staff not activated) the employee
    of their name, created when missing"""
    from trytond.pool import Pool
    pool = Pool()
    Employee = pool.get('company.employee')
    Party = pool.get('party.party')
    occupants = {}
    try:
        pool.get('gru.staff.position')
    except KeyError:
        pass
    else:
        from gru_staff import demo
        occupants = demo.post_occupants(company, POSTS.values())
    employees = {}
    for login, _, _, _, _, name in LOGINS:
        if POSTS[login] in occupants:
            employees[login] = occupants[POSTS[login]]
            continue
        found = Employee.search([
                ('party.name', '=', name),
                ('company', '=', company.id)], limit=1)
        if not found:
            party, = Party.create([{'name': name}])
            found = Employee.create([{
                        'party': party.id, 'company': company.id}])
            ctx.log('employee %s created for the login %s' % (name, login))
        employees[login] = found[0]
    return employees


def _agents(ctx, company, antennas):
    """Create the demo logins and 2 or 3 agents per antenna; return
    ({code: team members}, {login: user})"""
    from faker import Faker

    from trytond.pool import Pool

    from gru_staff.demo import link_user
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    agent_group = ModelData.get_id('gru_base', 'group_gru_agent')
    officer_group = ModelData.get_id('gru_inbox', 'group_information_officer')

    demo = {}
    created = 0
    employees = _login_employees(ctx, company)
    for login, password, role, groups, codes, name in LOGINS:
        group_ids = [agent_group] + [ModelData.get_id('gru_inbox', g)
            for g in groups]
        employee = employees[login]
        user, new = _user(login, employee.party.name, password, group_ids,
            [antennas[c].id for c in codes if c in antennas], company)
        created += new
        # an existing user is put right: the employee and his name
        link_user(user, employee)
        demo[login] = user
        # a retried transaction loads again: list each login once
        if (login, password, role) not in ctx.logins:
            ctx.logins.append((login, password, role))

    fake = Faker('fr_FR')
    fake.seed_instance(SEED)
    members = {}
    for code, antenna in sorted(antennas.items()):
        size = 3 if code in {'AMI', 'VAL', 'ARR', 'CLE', 'HAZ'} else 2
        users = []
        for i in range(1, size + 1):
            name = fake.name()
            login = 'agent.%s.%d' % (code.lower(), i)
            # the agents without password cannot log in: they hold the
            # requests of the demo, the demo logins above are for people
            user, new = _user(login, name, None,
                [agent_group, officer_group], [antenna.id], company)
            created += new
            users.append(user)
        members[code] = users
    members['AMI'].insert(0, demo['ci.amiens'])
    # one manager per antenna, shared as in the org chart: the antennas
    # whose manager is shared with another have that one's manager
    manager_group = ModelData.get_id('gru_inbox', 'group_antenna_manager')
    managed = {}
    for code, antenna in sorted(antennas.items()):
        if code == 'SIA':
            continue
        head = antenna.manager_shared_with.code \
            if antenna.manager_shared_with else code
        managed.setdefault(head, []).append(code)
    for head, codes in sorted(managed.items()):
        if 'STQ' in codes:
            manager = demo['resp.stquentin']
        else:
            manager, new = _user('resp.%s' % head.lower(), fake.name(), None,
                [agent_group, manager_group],
                [antennas[c].id for c in codes], company)
            created += new
        for code in codes:
            demo['manager.' + code] = manager
    if created:
        ctx.log('%d agents created' % created)
    return members, demo


def _teams(ctx, antennas, members, demo):
    from trytond.pool import Pool
    pool = Pool()
    Team = pool.get('gru.inbox.team')
    Configuration = pool.get('gru.inbox.configuration')
    existing = {t.antenna.code: t for t in Team.search([
                ('kind', '=', 'antenna')]) if t.antenna}
    # the team manager receives the escalations of the SLA
    without_manager = [t for c, t in existing.items()
        if not t.manager and demo.get('manager.' + c)]
    for team in without_manager:
        team.manager = demo['manager.' + team.antenna.code]
    Team.save(without_manager)
    to_create = []
    for code, antenna in sorted(antennas.items()):
        if code == 'SIA' or code in existing:
            continue
        manager = demo.get('manager.' + code)
        to_create.append({
                'name': antenna.name.replace('Antenne', 'Équipe', 1),
                'kind': 'antenna',
                'antenna': antenna.id,
                'manager': manager.id if manager else None,
                'strategy': 'least_loaded' if code == 'AMI'
                else 'round_robin',
                'members': [('add', [u.id for u in members[code]])],
                })
    if to_create:
        for team in Team.create(to_create):
            existing[team.antenna.code] = team
        ctx.log('%d antenna teams created' % len(to_create))
    config = Configuration(1)
    if not config.mobile_team:
        mobile, = Team.create([{
                    'name': "Équipe mobile du service information",
                    'kind': 'mobile',
                    'manager': demo['superviseur'].id,
                    'antenna': antennas['SIA'].id if 'SIA' in antennas
                    else None,
                    'strategy': 'least_loaded',
                    'members': [('add', [u.id for u in members['SIA']])],
                    }])
        config.mobile_team = mobile
        config.save()
        ctx.log('mobile team created')
    elif not config.mobile_team.manager:
        Team.write([config.mobile_team], {'manager': demo['superviseur'].id})
    existing['SIA'] = config.mobile_team
    return existing


def _motives_tags(ctx):
    from trytond.pool import Pool
    pool = Pool()
    Motive = pool.get('gru.inbox.motive')
    Tag = pool.get('gru.inbox.tag')
    motives = {m.code: m for m in Motive.search([]) if m.code}
    to_create = [{
            'code': code, 'name': name,
            'children': [('create', [{'code': c, 'name': n}
                        for c, n in children])],
            } for code, name, children in MOTIVES if code not in motives]
    if to_create:
        Motive.create(to_create)
        motives = {m.code: m for m in Motive.search([]) if m.code}
        ctx.log('%d motives created' % len(motives))
    tags = {t.name: t for t in Tag.search([])}
    new_tags = [{'name': n, 'color': c} for n, c in TAGS if n not in tags]
    if new_tags:
        for tag in Tag.create(new_tags):
            tags[tag.name] = tag
        ctx.log('%d tags created' % len(new_tags))
    return motives, tags


def _rules(ctx, motives, tags, schemes):
    from trytond.pool import Pool
    pool = Pool()
    Rule = pool.get('gru.inbox.rule')
    Configuration = pool.get('gru.inbox.configuration')
    existing = {r.name for r in Rule.search([('active', 'in',
                    [True, False])])}
    to_create = []
    for sequence, spec in enumerate(RULES, 1):
        if spec['name'] in existing:
            continue
        values = {k: v for k, v in spec.items()
            if k not in {'set_motive', 'set_scheme', 'add_tags'}}
        values['sequence'] = sequence * 10
        if 'set_motive' in spec:
            values['set_motive'] = motives[spec['set_motive']].id
        if 'set_scheme' in spec:
            if spec['set_scheme'] not in schemes:
                continue
            values['set_scheme'] = schemes[spec['set_scheme']].id
        if 'add_tags' in spec:
            values['add_tags'] = [('add',
                    [tags[n].id for n in spec['add_tags']])]
        to_create.append(values)
    if to_create:
        Rule.create(to_create)
        config = Configuration(1)
        config.rule_mode = 'all'
        config.save()
        ctx.log('%d triage rules created' % len(to_create))


def _postal_antennas(antennas):
    """Return ([(postal code, population weight)], {postal code: antenna
    id}) of the region, routed once per code"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Routing = pool.get('gru.territory.routing')
    commune = pool.get('gru.commune').__table__()
    rel = pool.get('gru.commune-gru.postal_code').__table__()
    postal_code = pool.get('gru.postal_code').__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*rel.join(postal_code,
            condition=rel.postal_code == postal_code.id
            ).join(commune, condition=rel.commune == commune.id
            ).select(postal_code.code, commune.population,
            where=commune.population > 0))
    weights = {}
    for code, population in cursor:
        weights[code] = weights.get(code, 0) + population
    routed = {}
    for code in sorted(weights):
        try:
            result = Routing.resolve(postal_code=code)
        except Exception:
            continue
        if result.get('antenna'):
            routed[code] = result['antenna']['id']
    fallback = antennas['SIA'].id if 'SIA' in antennas else None
    return ([(c, w) for c, w in sorted(weights.items())],
        {c: routed.get(c, fallback) for c in weights})


def _usagers():
    "Return the usagers that gru_contact attached to an antenna"
    from trytond.pool import Pool
    pool = Pool()
    Party = pool.get('party.party')
    parties = Party.search([
            ('is_person', '=', True),
            ('antenna', '!=', None),
            ('anonymized', '!=', True),
            ], order=[('id', 'ASC')])
    return [{
            'id': p.id, 'name': p.name, 'antenna': p.antenna.id,
            'email': p.email, 'phone': p.phone,
            'postal_code': p.postal_code,
            } for p in parties]


def _days(rng, today, count):
    "Return count datetimes over the last 12 months with the weekly rhythm"
    days = [today - dt.timedelta(days=n) for n in range(365)]
    weights = [WEEKDAY_WEIGHTS[d.weekday()] * MONTH_WEIGHTS[d.month - 1]
        for d in days]
    result = []
    for day in rng.choices(days, weights, k=count):
        result.append(day)
    return result


def _received(rng, day, channel, now):
    if channel in {'phone', 'counter'}:
        hour = rng.choice([8, 9, 9, 10, 10, 11, 11, 13, 14, 14, 15, 16])
    elif channel == 'letter':
        hour = 9
    else:
        hour = rng.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20,
                21, 22])
    moment = dt.datetime.combine(day, dt.time(hour, rng.randrange(60),
            rng.randrange(60)))
    if moment > now:
        moment = now - dt.timedelta(minutes=rng.randrange(5, 120))
    return moment


def _state(rng, age):
    "Return the state of a request received age days ago"
    if age > 30:
        table = [('closed', 86), ('answered', 5), ('cancelled', 6),
            ('waiting', 2), ('in_progress', 1)]
    elif age > 7:
        table = [('closed', 50), ('answered', 20), ('waiting', 10),
            ('in_progress', 10), ('qualified', 3), ('cancelled', 5),
            ('new', 2)]
    else:
        table = [('new', 28), ('qualified', 10), ('in_progress', 27),
            ('waiting', 8), ('answered', 17), ('closed', 6),
            ('cancelled', 4)]
    return _weighted(rng, table)


def _captured(rng, fake, postal_codes, routed):
    code = _weighted(rng, postal_codes)
    first, last = fake.first_name(), fake.last_name()
    local = '%s.%s' % (first, last)
    local = ''.join(c for c in local.lower() if c.isalnum() or c == '.')
    return {
        'name': '%s %s' % (first, last),
        'email': '%s@%s' % (local, rng.choice(DOMAINS)),
        'phone': '0977 42 %02d %02d' % (rng.randrange(100),
            rng.randrange(100)),
        'postal_code': code,
        'antenna': routed.get(code),
        }


def load(ctx):
    from faker import Faker

    from trytond.i18n import gettext
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Company = pool.get('company.company')
    Antenna = pool.get('gru.antenna')
    Scheme = pool.get('gru.scheme')
    Template = pool.get('gru.scheme.template')
    Request = pool.get('gru.inbox.request')
    Message = pool.get('gru.inbox.message')
    Configuration = pool.get('gru.inbox.configuration')

    companies = Company.search([])
    if not companies:
        ctx.log('inbox skipped: no company')
        return
    company = companies[0]
    antennas = {a.code: a for a in Antenna.search([])}
    if not antennas:
        ctx.log('inbox skipped: no antenna (load the territory first)')
        return
    schemes = {s.code: s for s in Scheme.search([])}
    members, demo = _agents(ctx, company, antennas)
    teams = _teams(ctx, antennas, members, demo)
    motives, tags = _motives_tags(ctx)
    _rules(ctx, motives, tags, schemes)

    if Request.search([], limit=1):
        ctx.log('requests: already there')
        return

    total = SMALL if ctx.small else TOTAL
    rng = random.Random(SEED)
    fake = Faker('fr_FR')
    fake.seed_instance(SEED)
    now = dt.datetime.now().replace(microsecond=0)
    today = now.date()
    usagers = _usagers()
    from_usager = gettext('gru_inbox.msg_antenna_from_usager')
    postal_codes, routed = _postal_antennas(antennas)
    antenna_names = {a.id: a.name for a in antennas.values()}
    antenna_codes = {a.id: a.code for a in antennas.values()}
    acknowledgements = {}
    for template in Template.search([('name', '=', "Accusé de réception")]):
        acknowledgements.setdefault(template.scheme.id, template.id)
    scheme_pairs = [(s, SCHEME_WEIGHTS.get(c, 5))
        for c, s in sorted(schemes.items())]
    officer = demo['ci.amiens']
    user_names = {u.id: u.name for us in members.values() for u in us}
    for team in teams.values():
        for user in team.members:
            user_names[user.id] = user.name

    # the sequence numbers the references over the years: GRU-YYYY-NNNNNN
    config = Configuration(1)
    sequence = config.get_multivalue('request_sequence', company=company.id)
    number = sequence.number_next

    days = sorted(_days(rng, today, total))
    rows, threads = [], []
    for day in days:
        channel = _weighted(rng, CHANNELS)
        received = _received(rng, day, channel, now)
        age = (now - received).days
        state = _state(rng, age)
        usager = None
        if usagers and rng.random() < 0.7:
            usager = rng.choice(usagers)
            antenna = usager['antenna']
        else:
            contact = _captured(rng, fake, postal_codes, routed)
            antenna = contact['antenna']
        motive_code = _weighted(rng, MOTIVE_WEIGHTS)
        family = motive_code.split('-')[0]
        scheme = None
        # technical and out of scope contacts name a scheme half the time
        if scheme_pairs and (family not in {'PAS', 'AUTRE'}
                or rng.random() < 0.5):
            scheme = _weighted(rng, scheme_pairs)
        scheme_name = scheme.name if scheme else "dispositif"
        subject = rng.choice(SUBJECTS[motive_code]).format(
            scheme=scheme_name)
        code = antenna_codes.get(antenna)
        team = teams.get(code)
        team_members = [m.id for m in team.members] if team else []
        assignee = rng.choice(team_members) if team_members else None
        if state == 'new' and rng.random() < 0.4:
            assignee = None
        priority = '1'
        tag_names = []
        if family == 'RECLA':
            priority = '2'
        elif rng.random() < 0.03:
            priority = '3'
            tag_names.append("Urgent")
        elif rng.random() < 0.05:
            priority = '0'
        if family == 'PAS':
            tag_names.append("Incident PAS")
        if channel == 'phone' and rng.random() < 0.1:
            tag_names.append("Rappel demandé")
        if channel == 'letter' and rng.random() < 0.15:
            tag_names.append("Courrier recommandé")
        cancel_reason = None
        if state == 'cancelled':
            cancel_reason = _weighted(rng, [('spam', 3), ('duplicate', 5),
                    ('other', 2)])
        answer_delay = dt.timedelta(hours=rng.choice([1, 3, 6, 20, 26, 48,
                    72, 120, 200]))
        first_response = answered = closed = None
        if state in {'answered', 'closed', 'waiting'} or (
                state == 'in_progress' and rng.random() < 0.3):
            first_response = min(received + answer_delay, now)
        if state in {'answered', 'closed'}:
            answered = first_response
        if state == 'closed':
            closed = min(answered + dt.timedelta(days=rng.choice([2, 7, 15])),
                now)
        year = received.year
        row = {
            'reference': 'GRU-%d-%06d' % (year, number),
            'channel': channel,
            'received_at': received,
            'subject': subject,
            'state': state,
            'priority': priority,
            'antenna': antenna,
            'antenna_reason': None,
            'scheme': scheme.id if scheme else None,
            'motive': motives[motive_code].id,
            'team': team.id if team else None,
            'assignee': assignee,
            'cancel_reason': cancel_reason,
            'first_response_at': first_response,
            'answered_at': answered,
            'closed_at': closed,
            'company': company.id,
            'acknowledgement_template': acknowledgements.get(
                scheme.id) if scheme and channel in {'email', 'web'}
            else None,
            'tags': [('add', [tags[n].id for n in tag_names if n in tags])],
            }
        number += 1
        if usager:
            row['party'] = usager['id']
            row['antenna_reason'] = from_usager
            name = usager['name']
            address = (usager['email'] if channel in {'email', 'web'}
                else usager['phone']) or usager['email'] or usager['phone']
        else:
            row['contact_name'] = contact['name']
            row['contact_postal_code'] = contact['postal_code']
            if channel in {'email', 'web'}:
                row['contact_email'] = contact['email']
            elif channel == 'phone':
                row['contact_phone'] = contact['phone']
            row['antenna_reason'] = "Code postal %s." % contact['postal_code']
            name = contact['name']
            address = row.get('contact_email') or row.get('contact_phone')
        # the scheme's mailbox, when the email channel has one already
        mailboxes = getattr(scheme, 'mailboxes', ()) if scheme else ()
        if channel == 'email' and mailboxes and rng.random() < 0.5:
            row['origin_address'] = mailboxes[0].address
        elif channel == 'email':
            row['origin_address'] = 'relation.usagers@hautsdefrance.fr'
        rows.append(row)
        threads.append(_thread(rng, row, family, scheme_name, name, address,
                user_names, antenna_names, now))

    # a few new requests of the last days for the demo officer of Amiens
    mine = [r for r in reversed(rows) if r['state'] == 'new'
        and antenna_codes.get(r['antenna']) == 'AMI'][:6]
    if len(mine) < 6:
        candidates = [r for r in reversed(rows)
            if antenna_codes.get(r['antenna']) == 'AMI' and r not in mine]
        for r in candidates[:6 - len(mine)]:
            r.update({'state': 'new', 'first_response_at': None,
                    'answered_at': None, 'closed_at': None,
                    'cancel_reason': None})
            mine.append(r)
    mine_ids = {id(r) for r in mine}
    for i, row in enumerate(rows):
        if id(row) in mine_ids:
            row['assignee'] = officer.id
            if 'AMI' in teams:
                row['team'] = teams['AMI'].id
            # a new request holds the message of the usager only
            threads[i] = threads[i][:1]

    requests = []
    for i in range(0, len(rows), BATCH):
        requests.extend(Request.create(rows[i:i + BATCH]))
    sequence.number_next = number
    sequence.save()

    message = Message.__table__()
    columns = [message.request, message.direction, message.channel,
        message.date, message.author, message.from_address,
        message.to_address, message.subject, message.body,
        message.create_uid, message.create_date]
    values = []
    user_id = Transaction().user
    for request, thread in zip(requests, threads):
        for m in thread:
            values.append([request.id, m['direction'], m['channel'],
                    m['date'], m.get('author'), m.get('from_address'),
                    m.get('to_address'), m.get('subject'), m['body'],
                    user_id, now])
    cursor = Transaction().connection.cursor()
    for i in range(0, len(values), BATCH):
        cursor.execute(*message.insert(columns, values[i:i + BATCH]))
    ctx.log('requests: %d created with %d messages' % (
            len(requests), len(values)))
    by_state = {}
    for row in rows:
        by_state[row['state']] = by_state.get(row['state'], 0) + 1
    ctx.log('requests by state: %s' % ', '.join(
            '%s %d' % item for item in sorted(by_state.items())))


def _thread(rng, row, family, scheme_name, name, address, user_names,
        antenna_names, now):
    "Return the messages of a request: the usager, answers and notes"
    received = row['received_at']
    channel = row['channel']
    agent = user_names.get(row['assignee'], "L'équipe de la Région")
    antenna = antenna_names.get(row['antenna'], "Région Hauts-de-France")
    body = BODIES[family].format(scheme=scheme_name, name=name,
        situation=rng.choice(SITUATIONS), weeks=rng.choice([3, 5, 8]))
    thread = [{
            'direction': 'in', 'channel': channel, 'date': received,
            'from_address': address, 'subject': row['subject'],
            'body': body,
            }]
    state = row['state']
    if rng.random() < 0.2 and state not in {'new', 'cancelled'}:
        thread.append({
                'direction': 'note', 'channel': channel,
                'date': received + dt.timedelta(minutes=30),
                'author': row['assignee'], 'body': rng.choice(NOTES),
                })
    if rng.random() < 0.15 and state not in {'cancelled'}:
        # the usager writes again before the first answer
        date = received + dt.timedelta(hours=rng.choice([2, 5, 26]))
        if row['first_response_at']:
            date = max(received + dt.timedelta(minutes=5), min(date,
                    row['first_response_at'] - dt.timedelta(minutes=10)))
        thread.append({
                'direction': 'in', 'channel': channel,
                'date': date,
                'from_address': address,
                'subject': 'RE: %s' % row['subject'],
                'body': rng.choice(FOLLOW_UPS),
                })
    reply_channel = channel if channel in {'email', 'letter', 'phone'} \
        else 'email'
    if state == 'waiting' and row['first_response_at']:
        thread.append({
                'direction': 'out', 'channel': reply_channel,
                'date': row['first_response_at'], 'author': row['assignee'],
                'to_address': address, 'subject': 'RE: %s' % row['subject'],
                'body': WAITING.format(agent=agent),
                })
    elif row['answered_at']:
        answer = ANSWER_TEXTS[family].format(scheme=scheme_name)
        thread.append({
                'direction': 'out', 'channel': reply_channel,
                'date': row['answered_at'], 'author': row['assignee'],
                'to_address': address, 'subject': 'RE: %s' % row['subject'],
                'body': ANSWERS[0].format(answer=answer, agent=agent,
                    antenna=antenna),
                })
    elif row['first_response_at']:
        thread.append({
                'direction': 'note', 'channel': channel,
                'date': row['first_response_at'], 'author': row['assignee'],
                'body': rng.choice(NOTES),
                })
    # messages in the order of their dates, never in the future
    for message in thread:
        message['date'] = min(message['date'], now)
    thread.sort(key=lambda m: m['date'])
    return thread[:4]
