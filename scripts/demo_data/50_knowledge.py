"""Demo data: the common knowledge base in French: the reception charter,
the channels and commitments, one information page per antenna (built
from the gru.antenna records), the FAQ of each scheme and the key
messages (éléments de langage) of the information officers."""

GENERAL = [
    ('charter', 'public', "Charte d'accueil des usagers",
        ["accueil", "charte"],
        "La Région Hauts-de-France s'engage à accueillir chaque usager avec "
        "courtoisie, écoute et équité, quel que soit le canal choisi : "
        "numéro vert, courriel, courrier, antenne ou permanence.\n"
        "Nous vous informons sur l'ensemble des aides régionales et vous "
        "orientons vers le bon interlocuteur, y compris quand la demande "
        "ne relève pas de la Région.\n"
        "Nous répondons aux courriels et aux courriers sous 5 jours ouvrés "
        "et vous tenons informé de l'avancement de votre demande.\n"
        "Nous protégeons vos données personnelles : elles ne servent qu'au "
        "traitement de votre demande.\n"
        "Vos remarques nous aident à progresser : une réclamation reçoit "
        "toujours une réponse écrite."),
    ('charter', 'public', "Nos engagements de délai de réponse",
        ["accueil", "délais"],
        "Numéro vert : réponse immédiate ou rappel sous 48 heures quand un "
        "spécialiste doit être consulté.\n"
        "Courriel et formulaire en ligne : réponse sous 5 jours ouvrés.\n"
        "Courrier postal : réponse sous 10 jours ouvrés.\n"
        "Accueil en antenne : sans rendez-vous aux heures d'ouverture, ou "
        "sur rendez-vous pour un accompagnement au dépôt d'un dossier."),
    ('procedure', 'internal', "Contacter la Région : les canaux",
        ["accueil", "canaux", "numéro vert"],
        "Numéro vert 0800 026 080 (appel gratuit), du lundi au vendredi de "
        "8 h 30 à 18 h. L'appel est orienté selon le code postal vers "
        "l'antenne de rattachement de l'usager.\n"
        "Boîtes mail génériques et une boîte par dispositif : voir la "
        "fiche du dispositif.\n"
        "Courriers postaux : Hôtel de Région, 151 avenue du Président "
        "Hoover, 59555 Lille Cedex.\n"
        "19 antennes régionales et des permanences dans les Maisons des "
        "habitants."),
    ('procedure', 'internal', "Tracer une demande dans la GRU",
        ["procédure", "traçabilité"],
        "Chaque contact est enregistré, quel que soit le canal, sur la "
        "fiche de l'usager : motif, dispositif, antenne, réponse apportée. "
        "Un contact non résolu reste ouvert et a un responsable.\n"
        "Rechercher d'abord l'usager (nom, courriel, téléphone) pour ne "
        "pas créer de doublon. Noter le numéro de dossier PAS quand il "
        "existe : il devient un lien vers la plateforme des aides."),
    ('procedure', 'internal', "Signaler un bug technique de la plateforme",
        ["procédure", "PAS", "bug"],
        "Quand un usager ne peut pas déposer son dossier à cause d'une "
        "erreur de la plateforme PAS : noter le numéro de dossier, le "
        "navigateur, l'heure et le message d'erreur, faire une capture "
        "d'écran si possible, et transmettre au support via la fiche de "
        "signalement. Rassurer l'usager : le délai de dépôt sera prolongé "
        "si la panne est confirmée."),
    ('procedure', 'internal', "Réunion hebdomadaire des référents",
        ["organisation"],
        "Chaque semaine, les instructeurs référents, les antennes et le "
        "service Information et accompagnement partagent les nouveautés "
        "des dispositifs, les questions fréquentes de la semaine et les "
        "dossiers bloqués. Le compte rendu met à jour la base de "
        "connaissances."),
    ]
LANGUAGE = [
    ("Accueillir un appel au numéro vert",
        "« Région Hauts-de-France, bonjour, [prénom] à votre écoute. "
        "Pouvez-vous m'indiquer votre code postal afin que je vous oriente "
        "vers votre antenne ? »"),
    ("Répondre à une demande hors compétence de la Région",
        "« Cette aide ne relève pas de la Région, mais je vais vous "
        "indiquer l'organisme compétent et ses coordonnées. » Toujours "
        "donner un contact précis (CAF, département, mairie, France "
        "Travail)."),
    ("Annoncer un dossier incomplet",
        "« Votre dossier est bien enregistré. Il manque une pièce pour "
        "que l'instructeur puisse l'étudier : [pièce]. Vous pouvez la "
        "déposer directement sur la plateforme des aides. »"),
    ("Répondre à un usager mécontent",
        "Écouter sans interrompre, reformuler la demande, s'excuser pour "
        "la gêne sans commenter le travail d'un collègue, proposer une "
        "solution ou un délai précis et s'y tenir."),
    ("Expliquer un refus d'aide",
        "« Le dossier a été étudié avec attention. Il ne remplit pas la "
        "condition suivante : [condition]. Vous pouvez formuler un recours "
        "gracieux dans les deux mois. » Ne jamais annoncer une décision "
        "qui n'est pas encore notifiée."),
    ("Orienter vers une permanence ou l'antenne mobile",
        "« Un conseiller peut vous recevoir près de chez vous : "
        "l'antenne de [ville] ou la permanence de [lieu] le [jour]. "
        "Pensez à apporter votre pièce d'identité et vos justificatifs. »"),
    ]


def load(ctx):
    from trytond.pool import Pool
    pool = Pool()
    Article = pool.get('gru.knowledge.article')
    Tag = pool.get('gru.knowledge.tag')
    Antenna = pool.get('gru.antenna')
    Routing = pool.get('gru.territory.routing')
    Scheme = pool.get('gru.scheme')

    existing = {a.title for a in Article.search([])}
    tags = {t.name: t for t in Tag.search([('active', 'in', [True, False])])}

    def tag_ids(names):
        missing = [n for n in names if n not in tags]
        for tag in Tag.create([{'name': n} for n in missing]):
            tags[tag.name] = tag
        return [tags[n].id for n in names]

    values = []

    def add(title, body, kind, audience, names, **extra):
        if title in existing:
            return
        existing.add(title)
        values.append(dict({
                    'title': title, 'body': body, 'kind': kind,
                    'audience': audience,
                    'tags': [('add', tag_ids(names))],
                    }, **extra))

    for kind, audience, title, names, body in GENERAL:
        add(title, body, kind, audience, names)
    for title, body in LANGUAGE:
        add("Éléments de langage : " + title, body, 'language', 'internal',
            ["éléments de langage"])

    for antenna in Antenna.search([]):
        add("Antenne : " + antenna.name, _antenna_body(antenna, Routing),
            'antenna', 'public', ["antenne"], scope='antenna',
            antenna=antenna.id)

    for scheme in Scheme.search([]):
        faqs = [f for f in scheme.faqs if f.kind == 'faq']
        if faqs:
            body = scheme.description + '\n\n' + '\n\n'.join(
                'Q. %s\nR. %s' % (f.question, f.answer) for f in faqs)
            documents = ', '.join('%s%s' % (d.type.name,
                    '' if d.mandatory else ' (facultatif)')
                for d in scheme.documents)
            if documents:
                body += '\n\nPièces à fournir : %s.' % documents
            # the scheme's mailboxes, when the email channel has them
            addresses = [m.address
                for m in getattr(scheme, 'mailboxes', ()) if m.active]
            if addresses:
                body += '\nContact : %s.' % ', '.join(addresses)
            add("FAQ : " + scheme.name, body, 'faq', 'public',
                ["FAQ", scheme.theme.name], scope='scheme',
                scheme=scheme.id)
        language = [f for f in scheme.faqs if f.kind == 'language']
        if language:
            add("Éléments de langage : " + scheme.name,
                '\n\n'.join(f.answer for f in language), 'language',
                'internal', ["éléments de langage", scheme.theme.name],
                scope='scheme', scheme=scheme.id)

    if values:
        articles = Article.create(values)
        Article.publish(articles)
        ctx.log('%d knowledge articles created and published'
            % len(articles))


def _antenna_body(antenna, Routing):
    kinds = {'antenna': "Antenne régionale", 'service': "Service central",
        'house': "Maison des habitants", 'mobile': "Antenne mobile",
        'permanence': "Lieu de permanence"}
    lines = ["%s de la Région Hauts-de-France." % kinds.get(
            antenna.kind, "Lieu d'accueil")]
    address = ' '.join(filter(None, [
                (antenna.street or '').replace('\n', ', '),
                antenna.postal_code, antenna.city]))
    if address:
        lines.append("Adresse : %s." % address)
    if antenna.phone:
        lines.append("Téléphone : %s." % antenna.phone)
    if antenna.email:
        lines.append("Courriel : %s." % antenna.email)
    if antenna.opening_date:
        lines.append("Ouverte depuis le %s." % antenna.opening_date.strftime(
                '%d/%m/%Y'))
    lines.append("Accueil du lundi au vendredi de 9 h à 12 h 30 et de "
        "13 h 30 à 17 h, sans rendez-vous ; accompagnement au dépôt des "
        "dossiers sur rendez-vous.")
    if antenna.manager_shared_with:
        lines.append("Responsable partagé avec : %s."
            % antenna.manager_shared_with.name)
    table = Routing.get_table()
    if table is not None:
        figures = table.antenna_figures(antenna.id)
        if figures['communes']:
            names = [table.communes[c][1] for c in sorted(
                    figures['communes'],
                    key=lambda c: -table.communes[c][2])]
            lines.append("Territoire servi : %d communes, %s habitants."
                % (len(names), '{:,}'.format(
                        figures['population']).replace(',', ' ')))
            codes = figures['postal_codes']
            lines.append("Codes postaux : %s%s." % (', '.join(codes[:60]),
                    ', …' if len(codes) > 60 else ''))
            lines.append("Communes les plus peuplées : %s%s." % (
                    ', '.join(names[:40]), ', …' if len(names) > 40 else ''))
    if antenna.comment:
        lines.append(antenna.comment)
    return '\n'.join(lines)
