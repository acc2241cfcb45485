"""Demo data: scanned postal letters waiting for the letter agents.

8 letters (3 with --small), printed and handwritten French letters rendered
as the OCR test corpus renders them (gru_letter/tests/corpus.py: tilted,
noisy scans, some of two pages, about the regional aid schemes), are
registered at the mail room of the Amiens antenna as the drop folder does
(scripts/letter-dropfolder), then read by Tesseract with their fields
extracted, as the scheduler does. The letters are about the demo's schemes
(their dossier numbers follow the schemes' patterns, their words the
schemes' letter keywords). They wait in "To validate" for an agent to
check the sender, the scheme and the antenna and open the request.

Each demo scheme gets a reply letter template, "Réponse à votre courrier",
with a .docx laid out as a French letter (sender block, recipient's
address, "Amiens, le 6 décembre 2026", references, object, body,
signature); the letter templates of the schemes without a document get
the same layout, and a template for every scheme is the default of the
letter configuration.
Skipped when the demo already has letters; Tesseract is installed by
scripts/setup."""
import datetime as dt
import os
import shutil
import tempfile
from collections import Counter

COUNT = 8
COUNT_SMALL = 3
SEED = 80
# the demo schemes the letters write about (those of --small first): the
# words pointing to them in a letter and two sentences of a letter
LETTER_SCHEMES = [
    ('PPE', "permis de conduire, auto-école, permis B",
        ["je suis demandeur d'emploi et je sollicite l'aide régionale au "
            "permis de conduire pour financer mes heures d'auto-école",
            "mon auto-école m'a indiqué que mon dossier d'aide au permis "
            "de conduire n'était pas complet"]),
    ('TRAJ', "trajet domicile-travail, véhicule personnel, frais de "
        "déplacement",
        ["je fais chaque jour le trajet domicile-travail avec mon "
            "véhicule personnel faute de bus et je demande l'aide aux "
            "frais de déplacement",
            "je n'ai pas reçu le versement de l'aide pour mes frais de "
            "déplacement domicile-travail"]),
    ('CHEN', "chèque énergie, facture de chauffage, fioul",
        ["je souhaite bénéficier du chèque énergie régional pour payer ma "
            "facture de chauffage",
            "je n'ai pas reçu le chèque énergie alors que ma facture de "
            "fioul est arrivée"]),
    ]
ORGANISATION = "Région Hauts-de-France"
FOOTER = ("Région Hauts-de-France — 151 avenue du Président Hoover — "
    "59555 Lille Cedex — www.hautsdefrance.fr")
CLOSING = ("Je vous prie d'agréer, ${salutation}, l'expression de mes "
    "salutations distinguées.")
REPLY = {
    'name': "Réponse à votre courrier",
    'subject': "Votre courrier reçu le ${received_date}",
    'body': "Vous nous avez écrit au sujet du dispositif « ${scheme} ». "
    "Votre demande est enregistrée sous le numéro ${reference} et suivie "
    "par l'${antenna}.\n\nNous revenons vers vous dès que son instruction "
    "le permet. Vous pouvez joindre votre antenne au ${antenna_phone} ou "
    "par courriel à ${antenna_email}.",
    }


def load(ctx):
    from trytond.pool import Pool

    from gru_letter import tesseract
    from gru_letter.tests import corpus
    pool = Pool()
    Letter = pool.get('gru.letter')
    Configuration = pool.get('gru.letter.configuration')
    Antenna = pool.get('gru.antenna')

    load_templates(ctx)
    if Letter.search([], limit=1):
        ctx.log("letters: already there")
        return
    if not tesseract.available():
        raise RuntimeError(
            "Tesseract is missing: run scripts/setup to install it")
    config = Configuration(1)
    if not config.default_site:
        site, = Antenna.search([('name', '=', "Antenne d'Amiens")])
        config.default_site = site
        config.save()
    count = COUNT_SMALL if ctx.small else COUNT
    folder = tempfile.mkdtemp(prefix='gru-demo-letters-')
    try:
        truths, _ = corpus.generate(folder, count=count, seed=SEED,
            schemes=letter_schemes())
        today = dt.date.today()
        letters = []
        for index, truth in enumerate(truths):
            with open(os.path.join(folder, truth['path']), 'rb') as file:
                letters.extend(Letter.register(file.read(), truth['path'],
                        received_date=today - dt.timedelta(days=index % 4),
                        source='scripts/demo_data/80_letter.py'))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    Letter.process_ocr(letters)
    letters = Letter.browse(letters)
    states = Counter(l.state for l in letters)
    ctx.log("letters: %d scanned and read by OCR (%s), %d pages" % (
            len(letters), ', '.join('%s %d' % i for i in sorted(
                    states.items())), sum(l.pages or 0 for l in letters)))


def letter_schemes():
    """Return the demo schemes the letters are about as the corpus takes
    them, (code, name, pattern, keywords, sentences), their letter
    keywords set"""
    from trytond.pool import Pool
    pool = Pool()
    Scheme = pool.get('gru.scheme')
    specs = {code: (keywords, sentences)
        for code, keywords, sentences in LETTER_SCHEMES}
    schemes = {s.code: s for s in Scheme.search([
                ('code', 'in', list(specs)),
                ('reference_pattern', '!=', None),
                ])}
    result = []
    for code, keywords, sentences in LETTER_SCHEMES:
        scheme = schemes.get(code)
        if not scheme:
            continue
        if not scheme.letter_keywords:
            scheme.letter_keywords = keywords
            scheme.save()
        result.append((code, scheme.name, scheme.reference_pattern,
                scheme.letter_keywords, sentences))
    if not result:
        raise RuntimeError("the demo schemes (40_scheme.py) are missing")
    return result


def load_templates(ctx):
    """Give each scheme a reply letter template with its .docx, a document
    to the letter templates without one, and the configuration a default
    template for every scheme"""
    from trytond.pool import Pool

    from gru_letter import docx_merge
    pool = Pool()
    Template = pool.get('gru.scheme.template')
    Scheme = pool.get('gru.scheme')
    Configuration = pool.get('gru.letter.configuration')
    document = docx_merge.letter_template(
        organisation=ORGANISATION, footer=FOOTER)
    # the closing in the document: the texts of REPLY end with the body
    reply_document = docx_merge.letter_template(
        organisation=ORGANISATION, footer=FOOTER, closing=CLOSING)
    to_create = []
    existing = {t.scheme.id if t.scheme else None
        for t in Template.search([
                ('kind', '=', 'letter'), ('name', '=', REPLY['name'])])}
    for scheme in [None] + Scheme.search([]):
        key = scheme.id if scheme else None
        if key in existing:
            continue
        to_create.append(dict(REPLY,
                kind='letter', scheme=key, document=reply_document,
                document_name='reponse-courrier.docx'))
    if to_create:
        Template.create(to_create)
    bare = [t for t in Template.search([('kind', '=', 'letter')])
        if not t.document]
    if bare:
        Template.write(bare, {
                'document': document,
                'document_name': 'courrier.docx',
                })
    config = Configuration(1)
    if not config.reply_template:
        config.reply_template, = Template.search([
                ('kind', '=', 'letter'), ('name', '=', REPLY['name']),
                ('scheme', '=', None)], limit=1)
        config.save()
    if to_create or bare:
        ctx.log("letter templates: %d reply templates with their .docx, "
            "%d documents added" % (len(to_create), len(bare)))
