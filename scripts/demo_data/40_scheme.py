"""Demo data: the configurable lists of the schemes and 8 illustrative aid
schemes across the themes of the report (mobility and access to
employment, energy, student grants, youth, families, information systems),
each with its referent instructor, backup and processing team, launch
checklist, request data, eligibility criteria, documents, steps, templates
and FAQ.

The referents, backups and teams are the employees of the instructor posts
of the Service Instruction in the target staff plan (20_staff.py), in the
order of the posts: 'SIN-INSTR1', the demo login ``instructeur``
(60_inbox.py), is the referent of the Permis pour l'emploi and the Aide à
la rentrée des familles and the backup of the Aide au transport. Without
the staff plans (gru_staff not activated), they are 6 named employees. A
re-run on an existing database puts right the demo schemes whose referent,
backup or team is not such an instructor.

The schemes are ILLUSTRATIONS written for the demo, not the Region's
actual rules: their description says so."""
import datetime as dt

ILLUSTRATIVE = ("Dispositif d'illustration pour la démonstration de la GRU : "
    "les montants et les conditions ne sont pas ceux du règlement en "
    "vigueur.")

THEMES = [
    ('MOB', "Mobilité et accès à l'emploi"),
    ('ENE', "Énergie"),
    ('ETU', "Bourses étudiantes"),
    ('JEU', "Jeunesse"),
    ('FAM', "Familles"),
    ('SI', "Systèmes d'information"),
    ]
DIRECTORATES = [
    ('DTM', "Direction des Transports et de la Mobilité"),
    ('DEN', "Direction de l'Environnement et de l'Énergie"),
    ('DESR', "Direction de l'Enseignement supérieur et de la Recherche"),
    ('DJ', "Direction de la Jeunesse, des Sports et de la Citoyenneté"),
    ('DSF', "Direction de la Santé et des Familles"),
    ('DSI', "Direction des Systèmes d'information"),
    ]
ACTORS = [
    ('LEAD', "Direction porteuse"),
    ('DARRU', "DARRU"),
    ('SROD', "SROD"),
    ]
CHECKLIST = [
    ('LEAD', "Faire voter le règlement du dispositif"),
    ('LEAD', "Désigner l'instructeur référent et son suppléant"),
    ('DARRU', "Rédiger la FAQ et les éléments de langage"),
    ('DARRU', "Former les chargés d'information et les antennes"),
    ('DARRU', "Créer la boîte mail du dispositif"),
    ('SROD', "Paramétrer le téléservice sur la plateforme PAS"),
    ('SROD', "Tester le parcours de dépôt de bout en bout"),
    ]
# the tasks that the scheme's data proves done (the mailbox: 70_mail.py)
CHECKLIST_KINDS = {
    "Désigner l'instructeur référent et son suppléant": 'referent',
    "Rédiger la FAQ et les éléments de langage": 'faq',
    }
ROLES = [
    ('INSTR', "Instructeur"),
    ('REF', "Instructeur référent"),
    ('CI', "Chargé d'information"),
    ('ANT', "Antenne"),
    ('SAF', "Secteur administratif et financier"),
    ]
DOCUMENT_TYPES = [
    ('ID', "Pièce d'identité"),
    ('ADDR', "Justificatif de domicile de moins de 3 mois"),
    ('RIB', "Relevé d'identité bancaire"),
    ('TAX', "Avis d'imposition"),
    ('SCHOOL', "Certificat de scolarité"),
    ('JOB', "Attestation d'inscription à France Travail"),
    ('DRIVING', "Attestation d'inscription en auto-école"),
    ('INVOICE', "Facture acquittée"),
    ('QUOTE', "Devis"),
    ('CAF', "Attestation de quotient familial CAF"),
    ('EMPLOY', "Promesse d'embauche ou contrat de travail"),
    ]
EMPLOYEES = [
    "Sophie Lefebvre", "Karim Benali", "Julie Dubois", "Thomas Caron",
    "Nadia Haddad", "Pierre Vasseur",
    ]
REGION = '02, 59, 60, 62, 80'
PAS = 'https://aides.hautsdefrance.fr/dossier/{reference}'


def _steps(extra=()):
    steps = [
        ("Réception et accusé de réception", 2, 'CI'),
        ("Contrôle de complétude", 5, 'INSTR'),
        ]
    steps += list(extra)
    steps += [
        ("Décision et notification", 10, 'REF'),
        ("Mise en paiement", 15, 'SAF'),
        ]
    return steps


SCHEMES = [{
        'code': 'PPE', 'name': "Permis pour l'emploi", 'theme': 'MOB',
        'directorate': 'DTM', 'referent': 0, 'backup': 1,
        'pattern': r'PPE-[0-9]{4}-[0-9]{5}',
        'description': "Aide au financement du permis de conduire B pour "
        "les demandeurs d'emploi à qui le permis ouvre un emploi.",
        'data': [('job_seeker', "Demandeur d'emploi", 'boolean'),
            ('birth_date', "Date de naissance", 'date'),
            ('income', "Revenu fiscal de référence (€)", 'integer')],
        'criteria': [("Âgé de 18 ans ou plus", 'age', None, '>=', '18', None),
            ("Résident des Hauts-de-France", 'department', None, 'in',
                REGION, None),
            ("Inscrit à France Travail", 'data', 'job_seeker', 'true',
                None, None),
            ("Revenu fiscal de référence inférieur à 25 000 €", 'data',
                'income', '<', '25000', None)],
        'documents': [('ID', True), ('ADDR', True), ('JOB', True),
            ('DRIVING', True), ('EMPLOY', False)],
        'steps': _steps([("Vérification de l'inscription en auto-école", 5,
                    'INSTR')]),
        'faq': [("Qui peut bénéficier de l'aide au permis ?",
                "Les demandeurs d'emploi de 18 ans et plus résidant dans "
                "les Hauts-de-France, inscrits dans une auto-école "
                "partenaire."),
            ("L'aide est-elle versée à l'usager ?",
                "Non, elle est versée directement à l'auto-école sur "
                "présentation de la facture.")],
        }, {
        'code': 'TRAJ', 'name': "Aide au transport aux particuliers",
        'theme': 'MOB', 'directorate': 'DTM', 'referent': 1, 'backup': 0,
        'pattern': r'TRAJ-[0-9]{6}',
        'description': "Participation mensuelle aux frais de déplacement "
        "domicile-travail des salariés qui utilisent leur véhicule "
        "personnel faute de transport en commun.",
        'data': [('distance', "Distance domicile-travail (km)", 'integer'),
            ('salary', "Salaire net mensuel (€)", 'integer')],
        'criteria': [("Résident des Hauts-de-France", 'department', None,
                'in', REGION, None),
            ("Trajet d'au moins 20 km", 'data', 'distance', '>=', '20',
                None),
            ("Salaire inférieur à 2 fois le SMIC", 'data', 'salary', '<=',
                '2800', None)],
        'documents': [('ID', True), ('ADDR', True), ('RIB', True),
            ('EMPLOY', True)],
        'steps': _steps(),
        'faq': [("Faut-il renouveler la demande ?",
                "Oui, chaque année civile, sur la plateforme PAS."),
            ("Le covoiturage est-il concerné ?",
                "Oui si l'usager est conducteur ; le passager ne l'est "
                "pas.")],
        }, {
        'code': 'CHEN', 'name': "Chèque énergie régional", 'theme': 'ENE',
        'directorate': 'DEN', 'referent': 2, 'backup': 3,
        'pattern': r'CHEN-[0-9]{4}-[0-9]{5}',
        'description': "Aide aux ménages modestes pour payer leurs "
        "factures de chauffage (gaz, fioul, bois, électricité).",
        'data': [('quotient', "Quotient familial", 'integer'),
            ('heating', "Mode de chauffage", 'selection')],
        'criteria': [("Résident des Hauts-de-France", 'department', None,
                'in', REGION, None),
            ("Quotient familial inférieur à 1 000", 'data', 'quotient',
                '<', '1000', None)],
        'documents': [('ID', True), ('ADDR', True), ('TAX', True),
            ('INVOICE', True)],
        'steps': _steps(),
        'faq': [("Le chèque énergie régional remplace-t-il celui de "
                "l'État ?", "Non, il s'ajoute au chèque énergie national."),
            ("Quelles énergies sont couvertes ?",
                "Gaz, fioul, bois, granulés et électricité utilisés pour "
                "le chauffage du logement principal.")],
        }, {
        'code': 'RENO', 'name': "Prime rénovation énergétique",
        'theme': 'ENE', 'directorate': 'DEN', 'referent': 3, 'backup': 2,
        'pattern': r'RENO-[0-9]{6}',
        'description': "Prime pour les travaux d'isolation et de "
        "changement de chauffage des propriétaires occupants.",
        'data': [('owner', "Propriétaire occupant", 'boolean'),
            ('amount', "Montant des travaux (€)", 'integer')],
        'criteria': [("Propriétaire occupant", 'data', 'owner', 'true',
                None, None),
            ("Travaux d'au moins 1 500 €", 'data', 'amount', '>=', '1500',
                None),
            ("Logement dans la région", 'department', None, 'in', REGION,
                None)],
        'documents': [('ID', True), ('TAX', True), ('QUOTE', True),
            ('INVOICE', False)],
        'steps': _steps([("Visite technique", 20, 'ANT')]),
        'faq': [("Peut-on commencer les travaux avant la décision ?",
                "Non : les travaux commencés avant le dépôt du dossier ne "
                "sont pas aidés."),
            ("L'aide est-elle cumulable avec MaPrimeRénov' ?",
                "Oui, dans la limite du coût des travaux.")],
        }, {
        'code': 'BOURSE', 'name': "Bourse régionale étudiante",
        'theme': 'ETU', 'directorate': 'DESR', 'referent': 4, 'backup': 5,
        'pattern': r'BRS-[0-9]{4}-[0-9]{5}',
        'description': "Aide annuelle aux étudiants boursiers inscrits "
        "dans une formation sanitaire et sociale de la région.",
        'data': [('student', "Étudiant inscrit", 'boolean'),
            ('birth_date', "Date de naissance", 'date'),
            ('echelon', "Échelon de bourse", 'integer')],
        'criteria': [("Étudiant inscrit en formation", 'data', 'student',
                'true', None, None),
            ("Âgé de moins de 28 ans", 'age', None, '<', '28', None),
            ("Échelon de bourse de 0 à 7", 'data', 'echelon', 'between',
                '0', '7')],
        'documents': [('ID', True), ('SCHOOL', True), ('TAX', True),
            ('RIB', True)],
        'steps': _steps(),
        'faq': [("Quand déposer la demande ?",
                "Dès l'inscription, et au plus tard le 31 décembre de "
                "l'année universitaire."),
            ("Comment est calculé l'échelon ?",
                "À partir des revenus des parents et du nombre d'enfants à "
                "charge, selon le barème national.")],
        }, {
        'code': 'PASSJ', 'name': "Pass Jeunes Culture et Sport",
        'theme': 'JEU', 'directorate': 'DJ', 'referent': 5, 'backup': 4,
        'pattern': r'PJ-[0-9]{7}',
        'description': "Crédit pour une licence sportive ou une activité "
        "culturelle des jeunes de 15 à 25 ans.",
        'data': [('birth_date', "Date de naissance", 'date')],
        'criteria': [("Âgé de 15 à 25 ans", 'age', None, 'between', '15',
                '25'),
            ("Résident des Hauts-de-France", 'department', None, 'in',
                REGION, None)],
        'documents': [('ID', True), ('ADDR', True)],
        'steps': _steps(),
        'faq': [("Où utiliser le Pass Jeunes ?",
                "Auprès des clubs et structures culturelles partenaires, "
                "listés sur le site de la Région."),
            ("Le pass est-il cumulable avec le Pass'Sport de l'État ?",
                "Oui.")],
        }, {
        'code': 'FAMRENT', 'name': "Aide à la rentrée des familles",
        'theme': 'FAM', 'directorate': 'DSF', 'referent': 0, 'backup': 2,
        'pattern': r'FAM-[0-9]{4}-[0-9]{5}',
        'description': "Aide forfaitaire aux familles modestes pour "
        "l'équipement des lycéens et apprentis à la rentrée.",
        'data': [('quotient', "Quotient familial CAF", 'integer'),
            ('children', "Enfants lycéens ou apprentis", 'integer')],
        'criteria': [("Résident des Hauts-de-France", 'department', None,
                'in', REGION, None),
            ("Quotient familial inférieur à 800", 'data', 'quotient', '<',
                '800', None),
            ("Au moins un lycéen ou apprenti", 'data', 'children', '>=',
                '1', None)],
        'documents': [('ID', True), ('CAF', True), ('SCHOOL', True),
            ('RIB', True)],
        'steps': _steps(),
        'faq': [("Faut-il une demande par enfant ?",
                "Non, une seule demande par famille, qui liste les "
                "enfants."),
            ("Quand l'aide est-elle versée ?",
                "Sous 30 jours après la décision, par virement.")],
        }, {
        'code': 'NUMINC', 'name': "Équipement numérique des lycéens",
        'theme': 'SI', 'directorate': 'DSI', 'referent': 1, 'backup': 3,
        'pattern': r'NUM-[0-9]{6}',
        'description': "Prêt d'un ordinateur portable aux lycéens entrant "
        "en seconde, avec l'assistance technique associée (signalement "
        "des pannes au support).",
        'data': [('grade', "Classe", 'selection'),
            ('student', "Lycéen inscrit", 'boolean')],
        'criteria': [("Lycéen inscrit dans un lycée de la région", 'data',
                'student', 'true', None, None),
            ("Entrée en seconde", 'data', 'grade', '=', 'seconde', None)],
        'documents': [('ID', True), ('SCHOOL', True)],
        'steps': _steps([("Remise de l'équipement au lycée", 20, 'ANT')]),
        'faq': [("Que faire en cas de panne ?",
                "Déclarer la panne au support technique via le "
                "formulaire en ligne ; un équipement de prêt est remis "
                "sous 5 jours."),
            ("L'ordinateur appartient-il au lycéen ?",
                "Il devient sa propriété à l'obtention du baccalauréat.")],
        }]
SELECTIONS = {
    'heating': "gaz:Gaz\nfioul:Fioul\nbois:Bois ou granulés\n"
    "electricite:Électricité",
    'grade': "seconde:Seconde\npremiere:Première\nterminale:Terminale",
    }


def _by_code(Model, rows, extra=None):
    existing = {r.code: r for r in Model.search(
            [('active', 'in', [True, False])])}
    to_create = [dict({'code': c, 'name': n}, **(extra or {}))
        for c, n in rows if c not in existing]
    if to_create:
        for record in Model.create(to_create):
            existing[record.code] = record
    return existing


def load(ctx):
    from trytond.pool import Pool
    pool = Pool()
    Theme = pool.get('gru.scheme.theme')
    Directorate = pool.get('gru.scheme.directorate')
    Actor = pool.get('gru.scheme.actor')
    Role = pool.get('gru.scheme.role')
    DocumentType = pool.get('gru.scheme.document.type')
    Template = pool.get('gru.scheme.checklist.template')
    Scheme = pool.get('gru.scheme')
    Task = pool.get('gru.scheme.task')
    Company = pool.get('company.company')

    themes = _by_code(Theme, THEMES)
    directorates = _by_code(Directorate, DIRECTORATES)
    actors = _by_code(Actor, ACTORS)
    roles = _by_code(Role, ROLES)
    doc_types = _by_code(DocumentType, DOCUMENT_TYPES)
    if not Template.search([]):
        Template.create([{'sequence': i, 'actor': actors[a].id, 'name': n,
                    'kind': CHECKLIST_KINDS.get(n, 'manual')}
                for i, (a, n) in enumerate(CHECKLIST)])
        ctx.log('launch checklist template created')

    company, = Company.search([], limit=1)
    instructors = _instructors(ctx, company)
    _fix_instructors(ctx, instructors)

    existing = {s.code for s in Scheme.search([])}
    schemes = SCHEMES[:4] if ctx.small else SCHEMES
    created = 0
    for spec in schemes:
        if spec['code'] in existing:
            continue
        referent, backup, team = _staffing(spec, instructors)
        scheme, = Scheme.create([{
                    'code': spec['code'],
                    'name': spec['name'],
                    'theme': themes[spec['theme']].id,
                    'directorate': directorates[spec['directorate']].id,
                    'referent': referent.id,
                    'backup_referent': backup.id,
                    'team': [('add', [e.id for e in team])],
                    'description': spec['description'] + '\n\n'
                    + ILLUSTRATIVE,
                    'reference_pattern': spec['pattern'],
                    'reference_link': PAS,
                    'opening_date': dt.date(2023, 1, 1),
                    'data_fields': [('create', [{
                                    'sequence': i, 'name': n, 'string': s,
                                    'type_': t,
                                    'selection': SELECTIONS.get(n)}
                                for i, (n, s, t) in enumerate(
                                    spec['data'])])],
                    'documents': [('create', [{
                                    'sequence': i,
                                    'type': doc_types[c].id,
                                    'mandatory': m}
                                for i, (c, m) in enumerate(
                                    spec['documents'])])],
                    'steps': [('create', [{
                                    'sequence': i, 'name': n,
                                    'duration': d, 'role': roles[r].id}
                                for i, (n, d, r) in enumerate(
                                    spec['steps'])])],
                    'faqs': [('create', _faqs(spec))],
                    **SVE.get(spec['code'], {}),
                    }])
        fields = {f.name: f for f in scheme.data_fields}
        Scheme.write([scheme], {
                'criteria': [('create', [{
                                'sequence': i, 'name': n, 'subject': s,
                                'data_field': (fields[f].id if f else None),
                                'operator': o, 'value': v,
                                'value_max': vm}
                            for i, (n, s, f, o, v, vm) in enumerate(
                                spec['criteria'])])],
                'templates': [('create', _templates(spec, scheme))],
                })
        Task.write(list(scheme.tasks), {'done': True})
        Scheme.open([scheme])
        created += 1
    if created:
        ctx.log('%d illustrative schemes created and opened' % created)


def _instructors(ctx, company):
    """Return the instructors of the demo schemes: the instruction employees
    of the staff plan, or else the named EMPLOYEES (created when missing)"""
    from trytond.pool import Pool
    pool = Pool()
    Employee = pool.get('company.employee')
    Party = pool.get('party.party')
    try:
        pool.get('gru.staff.position')
    except KeyError:
        pass
    else:
        from gru_staff import demo
        instructors = demo.instruction_employees(company)
        if len(instructors) >= 2:
            return instructors
    by_name = {e.party.name: e for e in Employee.search([
                ('company', '=', company.id),
                ('party.name', 'in', EMPLOYEES)])}
    missing = [n for n in EMPLOYEES if n not in by_name]
    if missing:
        parties = Party.create([{'name': n} for n in missing])
        for employee in Employee.create([{
                        'party': p.id, 'company': company.id,
                        'start_date': dt.date(2022, 10, 3)}
                    for p in parties]):
            by_name[employee.party.name] = employee
        ctx.log('%d referent instructors created' % len(missing))
    return [by_name[n] for n in EMPLOYEES]


def _staffing(spec, instructors):
    """Return (referent, backup, team) of the scheme spec: two distinct
    instructors and the processing team, them and a third instructor
    (after the 6 referents, when there are enough)"""
    count = len(instructors)
    referent = instructors[spec['referent'] % count]
    backup = instructors[spec['backup'] % count]
    if backup == referent:
        backup = instructors[(spec['referent'] + 1) % count]
    team = [referent, backup]
    index = len(EMPLOYEES) + SCHEMES.index(spec)
    if index < count and instructors[index] not in team:
        team.append(instructors[index])
    return referent, backup, team


def _fix_instructors(ctx, instructors):
    """Put right the existing demo schemes whose referent, backup or team
    is not an instructor of the demo (e.g. created by an older loader)"""
    from trytond.pool import Pool
    Scheme = Pool().get('gru.scheme')
    specs = {s['code']: s for s in SCHEMES}
    fixed = []
    for scheme in Scheme.search([('code', 'in', list(specs))]):
        if (scheme.referent in instructors
                and scheme.backup_referent in instructors
                and scheme.backup_referent != scheme.referent
                and all(e in instructors for e in scheme.team)):
            continue
        referent, backup, team = _staffing(specs[scheme.code], instructors)
        Scheme.write([scheme], {
                'referent': referent.id,
                'backup_referent': backup.id,
                'team': [('remove', [e.id for e in scheme.team]),
                    ('add', [e.id for e in team])],
                })
        fixed.append(scheme.code)
    if fixed:
        ctx.log('referent instructors put right: %s' % ', '.join(fixed))


def _faqs(spec):
    faqs = [{'sequence': i, 'kind': 'faq', 'question': q, 'answer': a}
        for i, (q, a) in enumerate(spec['faq'])]
    faqs.append({
            'sequence': 90, 'kind': 'language',
            'question': "Présenter le dispositif",
            'answer': "« %s : %s Toutes les démarches se font en ligne sur "
            "la plateforme des aides de la Région ; votre antenne peut vous "
            "accompagner pour le dépôt. »" % (
                spec['name'], spec['description']),
            })
    return faqs


# the acknowledgement of receipt with the mentions of R. 112-5 of the code
# des relations entre le public et l'administration (SVE)
ACKNOWLEDGEMENT_BODY = (
    "Bonjour ${name},\n\n"
    "Nous avons bien reçu le ${received_date_text} votre demande « %s », "
    "enregistrée sous le numéro ${reference}.\n\n"
    "Elle est instruite par : ${service_name}\n"
    "${service_address}\n"
    "Courriel : ${service_email} - Téléphone : ${service_phone}\n\n"
    "${silence_decision}\n\n"
    "Voies et délais de recours : ${appeal}\n\n"
    "S'il manque des pièces à votre dossier, nous vous indiquerons "
    "lesquelles et le délai pour les transmettre.\n\n"
    "Vous pouvez suivre votre dossier sur la plateforme des aides de la "
    "Région.\n\nLe service Relation usagers de la Région Hauts-de-France")
# how each scheme answers by silence and who handles it (SVE); the others:
# rejected after two months, handled by the antenna of the request
SVE = {
    'RENO': {
        'silence_delay': 3,
        'service': 'scheme',
        'service_name': "Direction de la transition énergétique - "
        "service rénovation",
        'service_street': "151 avenue du Président Hoover",
        'service_postal_code': '59555',
        'service_city': "Lille Cedex",
        'service_email': 'renovation.energetique@hautsdefrance.fr',
        'service_phone': '03 74 27 00 00',
        },
    'CHEN': {'silence': 'accept'},
    }


def _templates(spec, scheme):
    steps = {s.sequence: s for s in scheme.steps}
    first, last = steps[min(steps)], steps[max(steps)]
    return [{
            'kind': 'email', 'step': first.id,
            'name': "Accusé de réception", 'acknowledgement': True,
            'subject': "%s : votre dossier ${reference}" % spec['name'],
            'body': ACKNOWLEDGEMENT_BODY % spec['name'],
            }, {
            'kind': 'email', 'step': first.id,
            'name': "Pièces manquantes",
            'subject': "%s : pièces manquantes (${reference})" % spec['name'],
            'body': "Bonjour ${name},\n\nVotre dossier ${reference} est "
            "incomplet. Merci de déposer sur la plateforme les pièces "
            "suivantes : \n\n- \n\nSans réponse sous 30 jours, le "
            "dossier sera classé sans suite.\n\nLe service Relation "
            "usagers",
            }, {
            'kind': 'letter', 'step': last.id,
            'name': "Notification de décision",
            'subject': "Décision relative à votre demande ${reference}",
            'body': "Madame, Monsieur,\n\nPar décision du ${date}, la "
            "Région Hauts-de-France vous attribue une aide au titre du "
            "dispositif « %s ».\n\nJe vous prie d'agréer, "
            "Madame, Monsieur, l'expression de mes salutations "
            "distinguées." % spec['name'],
            }]
