"""Demo data: the mailboxes of the email channel and mail received on them.

The generic mailbox of the information service and one mailbox per aid
scheme of the demo, at the non-routable domain gru-demo.hautsdefrance.test.
The demo has no IMAP server: the mailboxes are created INACTIVE (the
scheduler does not fetch them), their host is imap.gru-demo.test and their
password comes from the environment (GRU_DEMO_IMAP_PASSWORD), none is
stored. One triage rule per scheme queues its acknowledgement for the
email requests.

30 realistic French emails (12 with --small) are then fed to the real
gateway, Mailbox.ingest_many with UIDVALIDITY 1 and fixed UIDs, as if
fetched from the server: usagers of the demo and new contacts writing
about their schemes (postal code in the signature, PDF supporting
documents, an HTML mail, a forwarded mail, the same mail sent to two
mailboxes, a spam flagged by the antispam), then the answers: a usager
replying on a request of the inbox by its [GRU-...] reference, an
out-of-office reply to an acknowledgement, a usager answering an
acknowledgement, a relative quoting a reference from another address (not
followed). A re-run skips the UIDs already received: nothing twice.

Nothing is sent: the acknowledgements stay queued (mail state "to send")
for the scheduler, which the demo does not run; the gateway fetches only
the active mailboxes."""
import datetime as dt
import random
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from zoneinfo import ZoneInfo

SEED = 70
UIDVALIDITY = 1
DOMAIN = 'gru-demo.hautsdefrance.test'
IMAP_HOST = 'imap.gru-demo.test'
PASSWORD_REF = 'env:GRU_DEMO_IMAP_PASSWORD'
GENERIC = ('accueil', "Accueil – Relation usagers")
# the local part of the address of each demo scheme's mailbox (the
# others: the code of the scheme)
SCHEME_MAILBOXES = {
    'PPE': 'permis.emploi',
    'TRAJ': 'aide.transport',
    'CHEN': 'cheque.energie',
    'RENO': 'renovation',
    'BOURSE': 'bourses.etudiantes',
    'PASSJ': 'pass.jeunes',
    'FAMRENT': 'aide.familles',
    'NUMINC': 'equipement.numerique',
    }
# the UIDs of the replies follow those of the first mails
REPLY_UID = 100
DOMAINS = ['example.org', 'example.com', 'example.net']
PLACES = [('02100', "Saint-Quentin"), ('59300', "Valenciennes"),
    ('62000', "Arras"), ('60000', "Beauvais"), ('80100', "Abbeville"),
    ('59140', "Dunkerque"), ('62100', "Calais"), ('02000', "Laon"),
    ('80000', "Amiens"), ('59000', "Lille")]
ACKNOWLEDGEMENT = "Accusé de réception"
RULE = "Accusé de réception des courriels : %s"

# per scheme code: (subject, body, attachment file name or None) of a
# usager of the demo, then of a new contact
SCHEME_MAILS = {
    'PPE': [
        ("Dossier permis pour l'emploi : attestation France Travail",
            "Suite à mon inscription à l'auto-école, je vous transmets "
            "mon attestation d'inscription à France Travail pour compléter "
            "mon dossier d'aide au permis. Pouvez-vous me confirmer que "
            "tout est en ordre ?",
            'attestation_france_travail.pdf'),
        ("Aide au permis : conditions",
            "Je suis demandeur d'emploi depuis huit mois et une entreprise "
            "de livraison est prête à m'embaucher si j'obtiens le permis B. "
            "Est-ce que je peux bénéficier de l'aide de la Région ? "
            "L'auto-école doit-elle être partenaire ?", None)],
    'TRAJ': [
        ("Aide au transport : changement de coordonnées bancaires",
            "J'ai changé de banque le mois dernier. Vous trouverez "
            "ci-joint mon nouveau RIB pour le versement de l'aide au "
            "transport.", 'rib.pdf'),
        ("Renseignement aide au transport",
            "Je fais 34 km chaque jour pour aller travailler et il n'y a "
            "pas de bus à mes horaires (je commence à 5 h). Ai-je droit à "
            "l'aide au transport aux particuliers ?", None)],
    'CHEN': [
        ("Chèque énergie : avis d'imposition",
            "Comme demandé par téléphone, voici mon avis d'imposition "
            "pour ma demande de chèque énergie régional.",
            'avis_imposition_2026.pdf'),
        ("Chèque énergie pour le fioul ?",
            "Je me chauffe au fioul et la dernière livraison m'a coûté "
            "très cher. Le chèque énergie régional peut-il être utilisé "
            "pour une facture de fioul ?", None)],
    'RENO': [
        ("Prime rénovation : devis isolation des combles",
            "Je vous adresse le devis de l'entreprise pour l'isolation de "
            "mes combles. Les travaux sont prévus au printemps : puis-je "
            "déposer ma demande de prime dès maintenant ?",
            'devis_isolation_combles.pdf'),
        ("Prime rénovation et MaPrimeRénov'",
            "Nous allons remplacer notre vieille chaudière par une pompe à "
            "chaleur. Peut-on cumuler la prime de la Région avec "
            "MaPrimeRénov' ?", None)],
    'BOURSE': [
        ("Bourse régionale : certificat de scolarité",
            "Je suis étudiante en soins infirmiers en deuxième année. "
            "Voici mon certificat de scolarité pour ma demande de bourse "
            "régionale.", 'certificat_scolarite.pdf'),
        ("Date limite bourse étudiante",
            "Je viens de m'inscrire en formation d'aide-soignant. Jusqu'à "
            "quand puis-je déposer ma demande de bourse régionale ?", None)],
    'PASSJ': [
        ("Pass Jeunes : inscription au club de foot",
            "Mon fils a 16 ans et veut s'inscrire au club de football de "
            "notre commune. Je vous joins la facture de la licence : "
            "peut-elle être prise en charge par le Pass Jeunes ?",
            'facture_licence.pdf'),
        ("Pass Jeunes pour une école de musique ?",
            "Ma fille de 15 ans prend des cours de guitare dans une école "
            "de musique associative. Le Pass Jeunes est-il accepté ?",
            None)],
    'FAMRENT': [
        ("Aide à la rentrée : attestation CAF",
            "Je vous transmets mon attestation de quotient familial CAF "
            "pour l'aide à la rentrée de mes deux enfants lycéens.",
            'attestation_caf.pdf'),
        ("Aide à la rentrée pour un apprenti",
            "Mon fils est apprenti en CAP boulangerie. A-t-il droit à "
            "l'aide à la rentrée des familles ?", None)],
    'NUMINC': [
        ("Ordinateur du lycée en panne",
            "L'ordinateur portable prêté à ma fille en seconde ne "
            "s'allume plus depuis lundi. Vous trouverez ci-joint le "
            "formulaire de déclaration de panne rempli.",
            'declaration_panne.pdf'),
        ("Équipement numérique : mon fils n'a pas reçu d'ordinateur",
            "Mon fils est entré en seconde en septembre mais il n'a "
            "toujours pas reçu son ordinateur portable, contrairement à "
            "ses camarades. À qui dois-je m'adresser ?", None)],
    }
GENERIC_MAILS = [
    # key, subject, body, attachment, postal code place index, small
    ('permis', "Aide pour le permis de conduire",
        "Je suis inscrit à France Travail et je voudrais passer mon "
        "permis pour accepter un poste d'aide à domicile. J'ai vu que la "
        "Région pouvait aider à payer l'auto-école : comment faire la "
        "demande ?", None, True),
    ('chauffage', "Facture de chauffage impayée",
        "Je n'arrive plus à payer ma facture de chauffage (fioul) et "
        "j'ai entendu parler du chèque énergie de la Région. Je vous "
        "joins la facture. Qu'est-ce que je dois faire ?",
        'facture_fioul.pdf', True),
    ('connexion', "Impossible de me connecter à mon compte",
        "Depuis hier je n'arrive plus à me connecter sur la plateforme "
        "des aides : on me dit que mon mot de passe est incorrect alors "
        "que je l'ai réinitialisé deux fois. Mon dossier doit être "
        "déposé avant la fin du mois.", None, False),
    ('reclamation', "Réclamation : aucune réponse depuis deux mois",
        "J'ai déposé une demande d'aide il y a deux mois et malgré trois "
        "appels au numéro vert je n'ai aucune réponse. Je souhaite "
        "qu'on me rappelle rapidement.", None, False),
    ('rdv', "Rendez-vous à l'antenne",
        "Je ne suis pas à l'aise avec internet. Est-il possible d'avoir "
        "un rendez-vous à l'antenne pour m'aider à faire ma demande "
        "d'aide ? Je suis disponible le matin.", None, False),
    ]


def _pdf(title, lines):
    "Return the bytes of a one-page PDF showing title and lines"
    def escape(text):
        return text.replace('\\', '\\\\').replace('(', '\\(').replace(
            ')', '\\)')
    content = ['BT', '/F1 16 Tf', '72 770 Td', '(%s) Tj' % escape(title),
        '/F1 11 Tf', '0 -28 Td']
    for line in lines:
        content += ['(%s) Tj' % escape(line), '0 -16 Td']
    content.append('ET')
    stream = '\n'.join(content).encode('cp1252', 'replace')
    objects = [
        b'<< /Type /Catalog /Pages 2 0 R >>',
        b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] '
        b'/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
        b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica '
        b'/Encoding /WinAnsiEncoding >>',
        b'<< /Length %d >>\nstream\n%s\nendstream' % (len(stream), stream),
        ]
    data = b'%PDF-1.4\n'
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(data))
        data += b'%d 0 obj\n%s\nendobj\n' % (number, body)
    xref = len(data)
    data += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objects) + 1)
    for offset in offsets:
        data += b'%010d 00000 n \n' % offset
    data += b'trailer\n<< /Size %d /Root 1 0 R >>\n' % (len(objects) + 1)
    data += b'startxref\n%d\n%%EOF\n' % xref
    return data


def _message(sender, to, subject, body, date, key, attachment=None,
        cc=None, html=False, headers=None, forwarded=None):
    "Return an email (EmailMessage)"
    name, address = sender
    msg = EmailMessage()
    msg['From'] = formataddr((name, address)) if name else address
    msg['To'] = to
    if cc:
        msg['Cc'] = cc
    msg['Subject'] = subject
    msg['Date'] = format_datetime(date.astimezone(ZoneInfo('Europe/Paris')))
    msg['Message-ID'] = make_msgid(idstring='demo-%s' % key,
        domain=address.rpartition('@')[2])
    for header, value in (headers or {}).items():
        msg[header] = value
    msg.set_content(body)
    if html:
        paragraphs = ''.join('<p>%s</p>' % p.replace('\n', '<br>')
            for p in body.split('\n\n'))
        msg.add_alternative('<html><body style="font-family:Calibri">'
            '%s</body></html>' % paragraphs, subtype='html')
    if attachment:
        filename, title = attachment
        msg.add_attachment(_pdf(title, [
                    "Document de démonstration de la GRU",
                    "(aucune donnée réelle)", "", name or address,
                    date.strftime('%d/%m/%Y')]),
            maintype='application', subtype='pdf', filename=filename)
    if forwarded is not None:
        # forwarded as an attachment (message/rfc822)
        msg.add_attachment(forwarded,
            filename='%s.eml' % forwarded['Subject'])
    return msg


def _mail(*args, **kwargs):
    "Return the raw bytes of an email (see _message)"
    return _message(*args, **kwargs).as_bytes()


def _signature(name, place):
    postal_code, city = place
    return "\n\nCordialement,\n%s\n%s %s" % (name, postal_code, city)


def _usagers(rng, count):
    "Return count (name, email, (postal code, city)) of demo usagers"
    from trytond.pool import Pool
    Party = Pool().get('party.party')
    parties = [p for p in Party.search([
                ('is_person', '=', True),
                ('antenna', '!=', None),
                ('anonymized', '!=', True),
                ], order=[('id', 'ASC')], limit=400)
        if p.email and p.postal_code and p.addresses
        and p.addresses[0].city]
    chosen = rng.sample(parties, min(count, len(parties)))
    return [(p.name, p.email.strip().lower(),
            (p.postal_code, p.addresses[0].city)) for p in chosen]


def _contacts(fake, rng, count):
    "Return count (name, email, (postal code, city)) of new contacts"
    from gru_contact.tools import name_words
    contacts = []
    for i in range(count):
        first, last = fake.first_name(), fake.last_name()
        email = '%s.%s@%s' % ('-'.join(name_words(first)),
            '-'.join(name_words(last)), DOMAINS[i % len(DOMAINS)])
        contacts.append(('%s %s' % (first, last), email,
                PLACES[i % len(PLACES)]))
    return contacts


def _mailboxes(ctx, schemes):
    """Create the missing mailboxes (inactive) and return
    (generic, {scheme code: mailbox})"""
    from trytond.pool import Pool
    pool = Pool()
    Mailbox = pool.get('gru.mail.mailbox')
    Antenna = pool.get('gru.antenna')
    Configuration = pool.get('gru.inbox.configuration')
    service = Antenna.search([('code', '=', 'SIA')], limit=1)
    service = service[0].id if service else None
    mobile = Configuration(1).mobile_team
    existing = {m.address: m for m in Mailbox.search(
            [('active', 'in', [True, False])])}
    specs = [('%s@%s' % (GENERIC[0], DOMAIN), GENERIC[1], None, None)]
    for code, scheme in sorted(schemes.items()):
        local = SCHEME_MAILBOXES.get(code, code.lower())
        specs.append(('%s@%s' % (local, DOMAIN), scheme.name, scheme.id,
                mobile.id if mobile else None))
    to_create = []
    for address, name, scheme, team in specs:
        if address in existing:
            continue
        to_create.append({
                'name': name,
                'address': address,
                'active': False,
                'host': IMAP_HOST,
                'port': 993,
                'security': 'ssl',
                'login': address,
                'password_ref': PASSWORD_REF,
                'scheme': scheme,
                # the generic mailbox: the antenna of the usager or of the
                # postal code; the scheme mailboxes: the central service
                'team': team,
                'antenna': service,
                })
    if to_create:
        for mailbox in Mailbox.create(to_create):
            existing[mailbox.address] = mailbox
        ctx.log("%d mailboxes created at %s, INACTIVE: the demo has no IMAP "
            "server (host %s, password from $%s)" % (len(to_create), DOMAIN,
                IMAP_HOST, PASSWORD_REF.partition(':')[2]))
    generic = existing['%s@%s' % (GENERIC[0], DOMAIN)]
    by_scheme = {}
    for code, scheme in schemes.items():
        for mailbox in existing.values():
            if mailbox.scheme and mailbox.scheme.id == scheme.id:
                by_scheme[code] = mailbox
    return generic, by_scheme


def _acknowledgement_rules(ctx, schemes):
    "Create a triage rule per scheme queueing its acknowledgement"
    from trytond.pool import Pool
    pool = Pool()
    Rule = pool.get('gru.inbox.rule')
    Template = pool.get('gru.scheme.template')
    names = {r.name for r in Rule.search([('active', 'in', [True, False])])}
    to_create = []
    for i, (code, scheme) in enumerate(sorted(schemes.items())):
        name = RULE % scheme.name
        if name in names:
            continue
        templates = Template.search([
                ('scheme', '=', scheme.id),
                ('kind', '=', 'email'),
                ('name', '=', ACKNOWLEDGEMENT),
                ], limit=1)
        if not templates:
            continue
        # after the rules that set the scheme from the keywords
        to_create.append({
                'name': name, 'sequence': 200 + i,
                'channel': 'email', 'scheme': scheme.id,
                'acknowledgement': templates[0].id,
                })
    if to_create:
        Rule.create(to_create)
        ctx.log("%d acknowledgement rules created" % len(to_create))


def _people(rng, fake, codes):
    """Return {mail key: (name, email, (postal code, city))}: the same
    person for a mail whatever the size of the demo and its schemes"""
    usagers = _usagers(rng, 20)
    contacts = _contacts(fake, rng, 20)
    keys = [(key, i % 2 == 0) for i, (key, *_) in enumerate(GENERIC_MAILS)]
    keys += [('html', True), ('forward', False), ('twice', False)]
    for code in sorted(set(SCHEME_MAILS) | set(codes)):
        keys += [('%s-0' % code, True), ('%s-1' % code, False)]
    people = {}
    for key, known in keys:
        source = usagers if known and usagers else contacts
        if source:
            people[key] = source.pop(0)
    return people


def _first_mails(ctx, rng, fake, now, generic, by_scheme):
    "Return {mailbox: [(uid, raw)]} of the mails opening requests"
    people = _people(rng, fake, by_scheme)
    mails = {}

    def add(mailbox, uid, raw):
        mails.setdefault(mailbox, []).append((uid, raw))

    def date(hours):
        return now - dt.timedelta(hours=hours, minutes=rng.randrange(60))

    # the generic mailbox: new contacts and usagers, any subject
    uid = 0
    for i, (key, subject, body, attachment, small) in enumerate(
            GENERIC_MAILS):
        uid += 1
        if (ctx.small and not small) or key not in people:
            continue
        name, email, place = people[key]
        add(generic, uid, _mail((name, email), generic.address, subject,
                "Bonjour,\n\n" + body + _signature(name, place),
                date(70 - 3 * i), key,
                attachment=(attachment, subject) if attachment else None))
    # an HTML mail written in a webmail
    uid += 1
    if 'html' in people:
        name, email, place = people['html']
        add(generic, uid, _mail((name, email), generic.address,
                "Question sur les aides de la Région",
                "Bonjour,\n\nJe suis étudiante boursière et je voudrais "
                "savoir quelles aides la Région propose pour les "
                "étudiants en formation sanitaire et sociale.\n\nMerci "
                "par avance de votre réponse." + _signature(name, place),
                date(50), 'html', html=True))
    # a town hall forwards the mail of a resident
    uid += 1
    if not ctx.small and 'forward' in people:
        name, email, place = people['forward']
        inner = _message((name, email), 'mairie@example.net',
            "Demande d'aide transport",
            "Bonjour,\n\nJe travaille à Amiens et je n'ai pas de bus pour "
            "y aller. La mairie peut-elle m'aider pour l'essence ?"
            + _signature(name, place), date(80), 'inner')
        add(generic, uid, _mail(("Secrétariat de mairie",
                    'secretariat.mairie@example.net'), generic.address,
                "Tr: Demande d'aide transport",
                "Bonjour,\n\nJe vous transfère la demande d'une "
                "administrée qui relève de la Région. Merci de lui "
                "répondre directement.\n\nLe secrétariat de mairie",
                date(48), 'forward', forwarded=inner))
    # a usager writes to the generic and the scheme mailbox at once: the
    # second copy is recognised as already received
    uid += 1
    scheme_mailbox = by_scheme.get('PPE') or next(
        iter(by_scheme.values()), None)
    if scheme_mailbox and 'twice' in people:
        name, email, place = people['twice']
        raw = _mail((name, email), generic.address,
            "Où en est mon dossier ?",
            "Bonjour,\n\nJ'ai déposé ma demande de %s il y a trois "
            "semaines et je n'ai pas de nouvelles. Pouvez-vous me dire où "
            "en est mon dossier ?" % scheme_mailbox.scheme.name
            + _signature(name, place), date(30), 'twice',
            cc=scheme_mailbox.address)
        add(generic, uid, raw)
        add(scheme_mailbox, uid, raw)
    # a spam flagged by the antispam of the mail server
    uid += 1
    add(generic, uid, _mail(
            ("Offre Énergie", 'offres@promo-energie.example.com'),
            generic.address, "Votre prime énergie de 1 500 € vous attend !",
            "Félicitations ! Vous êtes éligible à une prime exceptionnelle. "
            "Cliquez ici pour la recevoir sous 48 h.", date(20), 'spam',
            headers={'X-Spam-Flag': 'YES',
                'X-Spam-Status': 'Yes, score=14.2'}))

    # the scheme mailboxes: a usager with a document, a new contact
    for code, mailbox in sorted(by_scheme.items()):
        specs = SCHEME_MAILS.get(code) or [
            ("Question sur le dispositif %s" % mailbox.scheme.name,
                "Pouvez-vous m'indiquer les conditions et la marche à "
                "suivre pour en bénéficier ?", None)]
        for j, (subject, body, attachment) in enumerate(specs):
            key = '%s-%d' % (code, j)
            if (ctx.small and j) or key not in people:
                continue
            name, email, place = people[key]
            add(mailbox, 10 + j, _mail((name, email), mailbox.address,
                    subject, "Bonjour,\n\n" + body
                    + _signature(name, place), date(60 - 7 * j),
                    key.lower(),
                    attachment=(attachment, subject) if attachment
                    else None))
    return mails


def _replies(ctx, rng, fake, now, generic):
    """Return {mailbox: [(uid, raw)]} of the mails answering requests:
    their references exist only once the first mails are ingested"""
    from trytond.pool import Pool

    from gru_contact.tools import name_words
    pool = Pool()
    Request = pool.get('gru.inbox.request')
    Message = pool.get('gru.inbox.message')
    mails = {}

    def add(mailbox, uid, raw):
        mails.setdefault(mailbox, []).append((uid, raw))

    def date(hours):
        return now - dt.timedelta(hours=hours, minutes=rng.randrange(60))

    # the answers to the acknowledgements follow them: they were made by
    # the gateway at the ingestion of the first mails, a moment ago
    later = (dt.datetime.now(dt.timezone.utc)
        + dt.timedelta(seconds=1)).replace(microsecond=0)

    # a usager sends the document asked for on a request of the inbox
    uid = REPLY_UID
    preference = ['waiting', 'in_progress', 'qualified', 'new', 'answered']
    waiting = sorted((r for r in Request.search([
                    ('channel', '=', 'email'),
                    ('party', '!=', None),
                    ('mailbox', '=', None),
                    ('state', 'in', preference),
                    ], order=[('received_at', 'DESC')], limit=100)
            if r.party.email and '@' in r.party.email),
        key=lambda r: preference.index(r.state))
    uid += 1
    if waiting:
        request = waiting[0]
        name, email = request.party.name, request.party.email.strip().lower()
        # after the last message of the request
        last = max([m.date for m in request.messages if m.date]
            + [request.received_at])
        sent = min(later, max(date(6),
                last.replace(tzinfo=dt.timezone.utc)
                + dt.timedelta(minutes=45)))
        add(generic, uid, _mail((name, email), generic.address,
                "RE: [%s] %s" % (request.reference, request.subject),
                "Bonjour,\n\nVous trouverez ci-joint la pièce justificative "
                "que vous m'avez demandée.\n\nBien cordialement,\n" + name,
                sent, 'reply-doc',
                attachment=('piece_justificative.pdf',
                    "Pièce justificative")))
    # an out-of-office reply to an acknowledgement
    acknowledgements = Message.search([
            ('is_acknowledgement', '=', True),
            ('mailbox', '!=', None),
            ], order=[('id', 'ASC')])
    uid += 1
    if acknowledgements:
        ack = acknowledgements[0]
        add(ack.mailbox, uid, _mail((None, ack.to_address),
                ack.mailbox.address, "Réponse automatique : %s" % ack.subject,
                "Bonjour,\n\nJe suis absent(e) du bureau jusqu'au %s "
                "inclus, avec un accès limité à ma messagerie.\n\n"
                "Cordialement" % (now + dt.timedelta(days=10)).strftime(
                    '%d/%m/%Y'), later, 'ooo',
                headers={'Auto-Submitted': 'auto-replied',
                    'In-Reply-To': ack.mail_message_id,
                    'References': ack.mail_message_id}))
    # a usager answers an acknowledgement with the missing document
    uid += 1
    if not ctx.small and len(acknowledgements) > 1:
        ack = acknowledgements[-1]
        add(ack.mailbox, uid, _mail((ack.request.contact_name, ack.to_address),
                ack.mailbox.address, "RE: %s" % ack.subject,
                "Bonjour,\n\nMerci pour votre message. Je vous envoie la "
                "pièce d'identité qui manquait à mon dossier.\n\n"
                "Cordialement,\n%s" % (ack.request.contact_name or ''),
                later, 'reply-ack',
                attachment=('piece_identite.pdf', "Pièce d'identité"),
                headers={'In-Reply-To': ack.mail_message_id,
                    'References': ack.mail_message_id}))
    # a relative writes about the request of a usager from another address:
    # the reference is not followed (only the usager may add to a request)
    uid += 1
    if not ctx.small and len(waiting) > 1:
        request = waiting[1]
        relative = fake.name()
        address = '%s@example.net' % '.'.join(name_words(relative))
        add(generic, uid, _mail((relative, address), generic.address,
                "Dossier %s" % request.reference,
                "Bonjour,\n\nJ'écris pour mon parent, %s, qui n'est pas "
                "à l'aise avec internet : où en est son dossier %s ? Nous "
                "attendons une réponse depuis plusieurs semaines.\n\n"
                "Merci,\n%s" % (request.party.name, request.reference,
                    relative), date(2), 'relative'))
    return mails


def _ingest(mails):
    "Ingest the mails whose UID is not yet received; return the counts"
    from trytond.pool import Pool
    pool = Pool()
    Received = pool.get('gru.mail.received')
    counts = {}
    for mailbox, messages in mails.items():
        known = {r.uid for r in Received.search([
                    ('mailbox', '=', mailbox.id),
                    ('uidvalidity', '=', UIDVALIDITY),
                    ])}
        new = sorted((u, raw) for u, raw in messages if u not in known)
        if not new:
            continue
        # the mailbox is inactive (not fetched): its mail is fed here
        states = mailbox.ingest_many(UIDVALIDITY, new)
        mailbox.last_uidvalidity = UIDVALIDITY
        mailbox.last_uid = max([mailbox.last_uid or 0] + list(states))
        mailbox.save()
        for received in Received.search([
                    ('mailbox', '=', mailbox.id),
                    ('uidvalidity', '=', UIDVALIDITY),
                    ('uid', 'in', list(states)),
                    ]):
            key = received.outcome or received.state
            counts[key] = counts.get(key, 0) + 1
    return counts


def _mailbox_checklist(ctx):
    "The checklist task of the scheme mailbox is proven by the mailboxes"
    from trytond.pool import Pool
    Template = Pool().get('gru.scheme.checklist.template')
    templates = Template.search([
            ('name', '=', "Créer la boîte mail du dispositif"),
            ('kind', '=', 'manual'),
            ])
    if templates:
        Template.write(templates, {'kind': 'mailbox'})
        ctx.log('checklist: the mailbox task ticked from the mailboxes')


def load(ctx):
    from faker import Faker

    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Scheme = pool.get('gru.scheme')
    Message = pool.get('gru.inbox.message')

    schemes = {s.code: s for s in Scheme.search([]) if s.code}
    generic, by_scheme = _mailboxes(ctx, schemes)
    _mailbox_checklist(ctx)
    _acknowledgement_rules(ctx, schemes)

    rng = random.Random(SEED)
    fake = Faker('fr_FR')
    fake.seed_instance(SEED)
    now = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    # as the gateway and the scheduler do: as root, so that the incoming
    # mail and the acknowledgements have no author
    with Transaction().set_user(0):
        counts = _ingest(_first_mails(
                ctx, rng, fake, now, generic, by_scheme))
        replies = _ingest(_replies(ctx, rng, fake, now, generic))
    for key, value in replies.items():
        counts[key] = counts.get(key, 0) + value
    if counts:
        ctx.log("received mail: %d ingested by the gateway (%s)" % (
                sum(counts.values()), ', '.join(
                    '%s %d' % i for i in sorted(counts.items()))))
    else:
        ctx.log("received mail: already there")
    queued = Message.search_count([
            ('is_acknowledgement', '=', True),
            ('mail_state', '=', 'to_send'),
            ])
    if queued:
        ctx.log("%d acknowledgements queued, not sent (no mail server in "
            "the demo)" % queued)
