# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Generate a corpus of realistic scanned letters with their ground truth.

Letters are rendered with Pillow at 200 to 300 dpi in several layouts and
fonts (handwriting-like fonts when fonts-comic-neue or fonts-humor-sans are
installed), with noise, specks, a slight rotation, some upside down, some
on two pages, some with a dossier reference; saved as PNG, JPEG, TIFF or
PDF. `python corpus.py FOLDER` writes them with ground_truth.json."""
import datetime as dt
import io
import json
import os
import random
import re
import string
import sys

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = ['/usr/share/fonts/truetype', '/usr/share/fonts/opentype']
PRINT_FONTS = [
    'DejaVuSans.ttf', 'DejaVuSerif.ttf', 'LiberationSerif-Regular.ttf',
    'LiberationSans-Regular.ttf',
    ]
HAND_FONTS = ['ComicNeue-Regular.otf', 'Humor-Sans.ttf']
ROUGH_HAND = {7, 15, 31}

# (INSEE code, name, postal code, department, EPCI SIREN or None)
COMMUNES = [
    ('80021', "Amiens", '80000', '80', '248000531'),
    ('80164', "Camon", '80450', '80', '248000531'),
    ('80261', "Dury", '80480', '80', '248000531'),
    ('02691', "Saint-Quentin", '02100', '02', '200071892'),
    ('02173', "Chauny", '02300', '02', '240200477'),
    ('02340', "Gauchy", '02430', '02', '200071892'),
    ('59350', "Lille", '59000', '59', None),
    ('59512', "Roubaix", '59100', '59', None),
    ('59599', "Tourcoing", '59200', '59', None),
    ('59183', "Dunkerque", '59140', '59', None),
    ('59606', "Valenciennes", '59300', '59', None),
    ('62041', "Arras", '62000', '62', None),
    ('62498', "Lens", '62300', '62', None),
    ('62193', "Calais", '62100', '62', None),
    ('62160', "Boulogne-sur-Mer", '62200', '62', None),
    ('60057', "Beauvais", '60000', '60', None),
    ('60159', "Compiègne", '60200', '60', None),
    ('60175', "Creil", '60100', '60', None),
    ('80001', "Abbeville", '80100', '80', None),
    ('02722', "Soissons", '02200', '02', None),
    ('59178', "Douai", '59500', '59', None),
    ('59392', "Maubeuge", '59600', '59', None),
    ('62119', "Béthune", '62400', '62', None),
    ('59122', "Cambrai", '59400', '59', None),
    # real communes with accents, shared codes and codes one digit away
    # from another commune's
    ('80157', "Bussy-lès-Poix", '80290', '80', None),
    ('80630', "Poix-de-Picardie", '80290', '80', None),
    ('80410', "Ham", '80400', '80', None),
    ('80725', "Salouël", '80480', '80', '248000531'),
    ('62510', "Liévin", '62800', '62', None),
    ('62427', "Hénin-Beaumont", '62110', '62', None),
    ('80620', "Péronne", '80200', '80', None),
    ('62318', "Étaples", '62630', '62', None),
    ('02168', "Château-Thierry", '02400', '02', None),
    ('60176', "Crépy-en-Valois", '60800', '60', None),
    ]
# how a scan misreads a code into the valid code of another commune (or
# into no code at all), with the name beside it read one letter off:
# postal code -> (code printed, commune name printed)
MISREADS = {
    '80480': ('80400', "DURV"),  # 80400 is Ham's
    '62300': ('62800', "LENS"),  # 62800 is Liévin's
    '62100': ('62110', "CALAlS"),  # 62110 is Hénin-Beaumont's
    '80290': ('80209', "BUSSY-LES-P0IX"),  # no such code
    '80000': ('80400', "AMlENS"),  # 80400 is Ham's
    '80200': ('80290', "PERONNE"),  # 80290 is Bussy-lès-Poix's
    '62400': ('62480', "BÉTHUNE"),  # not a code of the corpus
    }
# the stamps the mail room puts on a letter when it arrives
STAMPS = [
    ["REÇU LE {numeric}"],
    ["Arrivé le {numeric}"],
    ["COURRIER ARRIVÉ", "{short}"],
    ["REÇU LE", "{numeric}"],
    ]
SHORT_MONTHS = ["JANV.", "FÉVR.", "MARS", "AVR.", "MAI", "JUIN", "JUIL.",
    "AOÛT", "SEPT.", "OCT.", "NOV.", "DÉC."]

# (code, name, dossier pattern, keywords, sentence about it, reference
# generator)
SCHEMES = [
    ('PERMIS', "Aide au permis de conduire", r'PC-[0-9]{4}-[0-9]{5}',
        "permis de conduire, auto-école, code de la route",
        ["je sollicite l'aide régionale au permis de conduire pour financer "
            "mes heures d'auto-école",
            "mon auto-école m'a indiqué que le dossier du permis de "
            "conduire n'était pas complet"]),
    # the same dossier pattern as PERMIS: the words of the letter tell
    # them apart
    ('PERMISPL', "Aide au permis poids lourd", r'PC-[0-9]{4}-[0-9]{5}',
        "poids lourd, chauffeur routier, permis C",
        ["je sollicite l'aide régionale pour passer le permis poids lourd "
            "et devenir chauffeur routier",
            "mon centre de formation poids lourd attend la réponse de la "
            "Région pour mon permis C"]),
    ('TRANSPORT', "Pass transport", r'TR[0-9]{8}',
        "abonnement, transport, TER, carte de bus",
        ["mon abonnement de transport TER n'a pas été renouvelé alors que "
            "ma carte de bus est expirée",
            "je souhaite obtenir le remboursement de mon abonnement TER pour "
            "le transport domicile-travail"]),
    ('EQUIP', "Aide à l'équipement des lycéens", r'EQ-[A-Z]{2}-[0-9]{5}',
        "ordinateur, équipement, lycée, manuels",
        ["mon fils entre au lycée et nous n'avons pas reçu l'ordinateur "
            "portable prévu par l'aide à l'équipement",
            "je voudrais savoir comment obtenir l'équipement informatique "
            "promis aux élèves du lycée"]),
    ]

FIRST_NAMES = [
    "Marie", "Jean", "Sophie", "Karim", "Nathalie", "Pierre", "Fatima",
    "Julien", "Céline", "Mohamed", "Isabelle", "Thomas", "Sandrine",
    "Nicolas", "Aurélie", "Olivier", "Camille", "Patrick", "Émilie",
    "Mathieu", "Sylvie", "Rachid", "Laetitia", "François", "Chloé",
    "Bernard", "Amandine", "Hugo", "Valérie", "Yannick", "Lucie",
    "Stéphane", "Agnès", "Bruno", "Manon", "Didier", "Inès", "Laurent",
    "Hélène", "Sébastien",
    ]
LAST_NAMES = [
    "Dupont", "Lefebvre", "Martin", "Benali", "Dubois", "Lemaire",
    "Haddad", "Leroy", "Moreau", "Bensaïd", "Fournier", "Lambert",
    "Caron", "Delattre", "Vasseur", "Lecomte", "Boulanger", "Dumont",
    "Carpentier", "Wattez", "Descamps", "Ziani", "Poulain", "Devos",
    "Mercier", "Hennebelle", "Roussel", "Petit", "Lebrun", "Delcroix",
    "Flament", "Deprez", "Cordier", "Duhamel", "Leclercq", "Bernard",
    "Fontaine", "Masson", "Huet", "Lenoir",
    ]
STREETS = [
    "rue des Lilas", "avenue Jean Jaurès", "rue Victor Hugo",
    "boulevard de la Liberté", "rue du Général de Gaulle", "place de la Gare",
    "rue Pasteur", "allée des Tilleuls", "rue de la République",
    "chemin des Prés", "rue Émile Zola", "impasse des Rosiers",
    ]
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet",
    "août", "septembre", "octobre", "novembre", "décembre"]
RECIPIENT = [
    "Région Hauts-de-France",
    "Service des aides aux usagers",
    "151 avenue du Président Hoover",
    "59555 LILLE CEDEX",
    ]
FILLER = [
    "Je vous remercie par avance de l'attention que vous porterez à ma "
    "demande et reste à votre disposition pour tout renseignement "
    "complémentaire.",
    "Vous trouverez ci-joint la copie des pièces demandées lors de mon "
    "précédent courrier.",
    "Malgré plusieurs appels au standard, je n'ai obtenu aucune réponse et "
    "la situation devient difficile pour notre famille.",
    "Je me permets de vous relancer car le délai annoncé est dépassé "
    "depuis plusieurs semaines.",
    "Pourriez-vous me confirmer que mon dossier est bien complet et "
    "m'indiquer la date prévue du versement ?",
    "Je tiens à préciser que ma situation professionnelle a changé depuis "
    "le dépôt de ma demande.",
    ]


def find_font(name):
    for folder in FONT_DIRS:
        for root, _, files in os.walk(folder):
            if name in files:
                return os.path.join(root, name)
    return None


def fonts():
    printed = [p for p in map(find_font, PRINT_FONTS) if p]
    hand = [p for p in map(find_font, HAND_FONTS) if p]
    if not printed:
        raise RuntimeError("no TrueType font: install fonts-dejavu-core")
    return printed, hand


def usagers(seed=7):
    """Return the usagers of the corpus: key, name, email, phone, postal
    code and commune. Some share a name in another commune."""
    rng = random.Random(seed)
    result = []
    for index in range(36):
        first, last = FIRST_NAMES[index], LAST_NAMES[index]
        commune = COMMUNES[index % len(COMMUNES)]
        email = phone = None
        if index % 3 == 0:
            email = '%s.%s@example.fr' % (
                ascii_(first).lower(), ascii_(last).lower())
        if index % 4 == 1:
            phone = '06 %02d %02d %02d %02d' % tuple(
                rng.randrange(10, 99) for _ in range(4))
        result.append({
                'key': 'U%02d' % index,
                'first': first, 'last': last,
                'name': '%s %s' % (first, last),
                'email': email, 'phone': phone,
                'postal_code': commune[2], 'commune': commune[1],
                'street': '%d %s' % (rng.randrange(1, 120),
                    rng.choice(STREETS)),
                })
    # namesakes in other communes: the postal code tells them apart
    for index in range(4):
        other = result[index]
        commune = COMMUNES[(index + 12) % len(COMMUNES)]
        result.append({
                'key': 'H%02d' % index,
                'first': other['first'], 'last': other['last'],
                'name': other['name'], 'email': None, 'phone': None,
                'postal_code': commune[2], 'commune': commune[1],
                'street': '%d %s' % (rng.randrange(1, 120),
                    rng.choice(STREETS)),
                })
    return result


def ascii_(text):
    import unicodedata
    return ''.join(c for c in unicodedata.normalize('NFKD', text)
        if not unicodedata.combining(c))


def _reference(pattern, rng):
    """Return a dossier number of the pattern: those of SCHEMES, or any
    made of literal characters and [0-9]{n} or [A-Z]{n} runs"""
    if not pattern.startswith(('PC', 'TR[', 'EQ')):
        return _reference_of(pattern, rng)
    if pattern.startswith('PC'):
        return 'PC-%d-%05d' % (rng.choice([2025, 2026]),
            rng.randrange(100, 99999))
    if pattern.startswith('TR'):
        return 'TR%08d' % rng.randrange(10 ** 7, 10 ** 8)
    return 'EQ-%s-%05d' % (rng.choice(['AM', 'LI', 'AR', 'BE']),
        rng.randrange(100, 99999))


def _reference_of(pattern, rng):
    parts = []
    for literal, chars, size in re.findall(
            r'([^\[\\]+)|\[(0-9|A-Z)\]\{([0-9]+)\}', pattern):
        if literal:
            parts.append(literal)
        else:
            alphabet = string.digits if chars == '0-9' \
                else string.ascii_uppercase
            parts.append(''.join(rng.choice(alphabet)
                    for _ in range(int(size))))
    return ''.join(parts)


def letters(count=60, seed=11, schemes=None):
    """Return the ground truth of count letters (no image yet) about
    schemes (those of SCHEMES by default)"""
    schemes = schemes or SCHEMES
    rng = random.Random(seed)
    people = [u for u in usagers() if u['key'].startswith('U')]
    namesakes = {u['name']: u for u in usagers() if u['key'].startswith('H')}
    result = []
    for index in range(count):
        unknown = index % 11 == 10
        if unknown:
            commune = COMMUNES[(index * 7) % len(COMMUNES)]
            person = {
                'key': None,
                'first': FIRST_NAMES[(index * 3 + 5) % 40],
                'last': rng.choice(["Vandamme", "Ledoux", "Brasseur",
                        "Quennehen"]),
                'email': None, 'phone': None,
                'postal_code': commune[2], 'commune': commune[1],
                'street': '%d %s' % (rng.randrange(1, 90),
                    rng.choice(STREETS)),
                }
            person['name'] = '%s %s' % (person['first'], person['last'])
        elif index % 9 == 4 and namesakes:
            # a letter from a namesake: only the postal code decides
            person = list(namesakes.values())[index % len(namesakes)]
        else:
            person = people[index % len(people)]
        code, scheme_name, pattern, _, sentences = schemes[
            index % len(schemes)]
        reference = _reference(pattern, rng) if index % 5 != 2 else None
        date = dt.date(2026, 1, 5) + dt.timedelta(days=rng.randrange(300))
        # what a scanner and a hurried sender add (issue #14)
        stamp = None
        if index % 7 in {1, 3, 5}:
            stamp = {'lines': STAMPS[index % len(STAMPS)],
                'date': (date + dt.timedelta(
                        days=rng.randrange(2, 15))).isoformat()}
        misread = MISREADS.get(person['postal_code']) \
            if index % 4 == 2 else None
        result.append({
                'file': 'letter_%02d' % index,
                'index': index,
                'usager': person['key'],
                'name': person['name'],
                'first': person['first'], 'last': person['last'],
                'street': person['street'],
                'postal_code': person['postal_code'],
                'commune': person['commune'],
                'email': person['email'] if index % 2 == 0 else None,
                'phone': person['phone'],
                'scheme': code,
                'scheme_name': scheme_name,
                'scheme_sentence': sentences[index % 2],
                'reference': reference,
                'date': date.isoformat(),
                'layout': LAYOUTS[index % len(LAYOUTS)],
                'stamp': stamp,
                # the code as printed: glued to punctuation, after the
                # commune, misread into another commune's code
                'postal_style': POSTAL_STYLES[index % len(POSTAL_STYLES)],
                'misread': misread,
                # specks read as a point before or after the name
                'stray': ['', '. {}', '', '{} .', ''][index % 5],
                # a reference cut by the reading: "PC- 2026- 01234"
                'cut': bool(reference) and '-' in reference
                and index % 4 == 3,
                'font': None,
                'pages': 2 if index % 8 == 3 else 1,
                'dpi': [300, 250, 200][index % 3],
                'rotation': 180 if index % 13 == 6 else 0,
                'skew': round(rng.uniform(-2.0, 2.0), 2),
                'format': ['png', 'jpeg', 'tiff', 'pdf'][index % 4],
                })
    return result


LAYOUTS = ['classic', 'right', 'bottom', 'hand', 'stacked', 'flush']
POSTAL_STYLES = ['{code} {commune}', '{code}, {commune}', '{code} {commune}',
    '{commune} ({code})', '{code}. {commune}', '({code}) {commune}']


def _noise(image, rng, amount=0.0015):
    import numpy as np
    array = np.asarray(image, dtype=np.int16)
    generator = np.random.default_rng(rng.randrange(1 << 30))
    array = array + generator.normal(0, 10, array.shape).astype(np.int16)
    specks = generator.random(array.shape) < amount
    array[specks] = generator.integers(0, 90, int(specks.sum()))
    # a light grey scanner background
    array = array - 12
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8), 'L')


class _Page:

    def __init__(self, dpi, font, size_pt=11):
        self.dpi = dpi
        self.image = Image.new('L', (int(8.27 * dpi), int(11.69 * dpi)), 255)
        self.draw = ImageDraw.Draw(self.image)
        self.font = ImageFont.truetype(font, int(size_pt * dpi / 72))
        self.line = int(size_pt * dpi / 72 * 1.45)
        self.margin = int(0.9 * dpi)
        self.y = int(0.8 * dpi)

    def mm(self, value):
        return int(value / 25.4 * self.dpi)

    def text(self, lines, x=None, y=None):
        x = self.margin if x is None else x
        y = self.y if y is None else y
        for line in lines:
            self.draw.text((x, y), line, fill=0, font=self.font)
            y += self.line
        return y

    def right(self, lines, y=None):
        "Draw the lines right-aligned on the right margin"
        y = self.y if y is None else y
        for line in lines:
            width = self.draw.textlength(line, font=self.font)
            self.draw.text((self.image.width - self.margin - width, y),
                line, fill=0, font=self.font)
            y += self.line
        return y

    def paragraph(self, text, width=None):
        width = width or (self.image.width - 2 * self.margin)
        words, line, lines = text.split(), '', []
        for word in words:
            candidate = (line + ' ' + word).strip()
            if self.draw.textlength(candidate, font=self.font) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        if line:
            lines.append(line)
        self.y = self.text(lines) + self.line // 2


def _stamp(page, stamp, rng):
    """Put the received stamp of the mail room on the page: a box of grey
    capitals, a little tilted, in the free space at the top right"""
    date = dt.date.fromisoformat(stamp['date'])
    values = {'numeric': date.strftime('%d/%m/%Y'),
        'short': '%d %s %d' % (date.day, SHORT_MONTHS[date.month - 1],
            date.year)}
    lines = [l.format(**values) for l in stamp['lines']]
    font = ImageFont.truetype(page.font.path, int(page.font.size * 1.1))
    pad = page.mm(2)
    width = int(max(page.draw.textlength(l, font=font) for l in lines))
    height = int(len(lines) * font.size * 1.4)
    box = Image.new('L', (width + 2 * pad, height + 2 * pad), 255)
    draw = ImageDraw.Draw(box)
    draw.rectangle([0, 0, box.width - 1, box.height - 1], outline=70,
        width=max(2, page.dpi // 100))
    y = pad
    for line in lines:
        draw.text((pad, y), line, fill=70, font=font)
        y += int(font.size * 1.4)
    box = box.rotate(rng.uniform(-3, 3), expand=True, fillcolor=255,
        resample=Image.Resampling.BICUBIC)
    x = page.image.width - page.margin - box.width
    top = page.mm(4)
    # darker ink wins where the stamp overlaps the print
    region = page.image.crop((x, top, x + box.width, top + box.height))
    page.image.paste(ImageChops.darker(region, box), (x, top))


def _date_text(truth):
    date = dt.date.fromisoformat(truth['date'])
    return "%s, le %d %s %d" % (truth['commune'], date.day,
        MONTHS[date.month - 1], date.year)


def _sender(truth):
    name = "%s %s" % (truth['first'], truth['last'].upper())
    code, commune = truth['postal_code'], truth['commune'].upper()
    if truth.get('misread'):
        code, commune = truth['misread']
    lines = [(truth.get('stray') or '{}').format(name),
        truth['street'],
        (truth.get('postal_style') or '{code} {commune}').format(
            code=code, commune=commune)]
    if truth['phone']:
        lines.append("Tél. : %s" % truth['phone'])
    if truth['email']:
        lines.append(truth['email'])
    return lines


def render(truth, rng, printed, hand):
    "Return the page images of the letter"
    if truth['layout'] == 'hand' and hand:
        # Humor Sans (capitals, accents dropped) is much harder to read
        # than Comic Neue: a few letters only
        rough = [f for f in hand if 'Humor' in f]
        font = rough[0] if rough and truth['index'] in ROUGH_HAND \
            else hand[0]
    else:
        font = printed[truth['index'] % len(printed)]
    truth['font'] = os.path.basename(font)
    dpi = truth['dpi']
    page = _Page(dpi, font, size_pt=12 if truth['layout'] == 'hand' else 11)
    sender = _sender(truth)
    half = page.image.width // 2
    if truth['layout'] == 'stacked':
        # the sender block in the column of the Region's address, right
        # above it
        page.y = page.text(sender, x=half) + page.line // 3
        page.y = page.text(RECIPIENT, x=half) + page.line
        page.text([_date_text(truth)], x=half)
        page.y += 2 * page.line
    elif truth['layout'] == 'flush':
        # both blocks right-aligned on the margin, one under the other
        page.y = page.right(sender) + page.line // 2
        page.y = page.right(RECIPIENT) + page.line
        page.right([_date_text(truth)])
        page.y += 2 * page.line
    elif truth['layout'] in {'classic', 'hand'}:
        page.y = page.text(sender) + page.line
        page.y = page.text(RECIPIENT, x=half) + page.line
        page.text([_date_text(truth)], x=half)
        page.y += 2 * page.line
    elif truth['layout'] == 'right':
        page.text(RECIPIENT)
        page.y = page.text(sender, x=half) + 2 * page.line
        page.text([_date_text(truth)], x=half)
        page.y += 2 * page.line
    else:
        page.y = page.text(RECIPIENT, x=half) + page.line
        page.text([_date_text(truth)], x=half)
        page.y += 2 * page.line
    subject = "Objet : demande concernant %s" % {
        'PERMIS': "le permis de conduire",
        'TRANSPORT': "mon abonnement de transport",
        'EQUIP': "l'équipement informatique",
        'PERMISPL': "le permis poids lourd"}.get(truth['scheme'],
        "le dispositif « %s »" % truth.get('scheme_name'))
    page.text([subject])
    page.y += page.line
    if truth['reference']:
        reference = truth['reference']
        if truth.get('cut'):
            reference = reference.replace('-', '- ')
        page.text(["Dossier n° %s" % reference])
        page.y += page.line
    page.text(["Madame, Monsieur,"])
    page.y += int(page.line * 1.5)
    body = [truth['scheme_sentence'].capitalize() + '.']
    body += rng.sample(FILLER, 2)
    for text in body:
        page.paragraph(text)
    pages = [page]
    if truth['pages'] == 2:
        page = _Page(dpi, font, size_pt=page.font.size * 72 // dpi)
        for text in rng.sample(FILLER, 3):
            page.paragraph(text)
        pages.append(page)
    page.paragraph("Veuillez agréer, Madame, Monsieur, l'expression de mes "
        "salutations distinguées.")
    page.y += page.line
    page.text(["%s %s" % (truth['first'], truth['last'])],
        x=page.image.width // 2)
    page.y += 2 * page.line
    if truth['layout'] == 'bottom':
        page.text(sender)
    if truth.get('stamp'):
        _stamp(pages[0], truth['stamp'], rng)
    images = []
    for page in pages:
        image = page.image.filter(ImageFilter.GaussianBlur(0.6))
        image = image.rotate(truth['skew'], resample=Image.Resampling.BICUBIC,
            fillcolor=255)
        if truth['rotation']:
            image = image.rotate(truth['rotation'])
        images.append(_noise(image, rng))
    return images


def save(images, truth, folder):
    "Write the scan in its format; return the file name"
    fmt, dpi = truth['format'], truth['dpi']
    name = '%s.%s' % (truth['file'], {'jpeg': 'jpg', 'tiff': 'tif'}.get(
            fmt, fmt))
    path = os.path.join(folder, name)
    if fmt in {'png', 'jpeg'} and len(images) > 1:
        fmt = 'pdf'
        name = '%s.pdf' % truth['file']
        path = os.path.join(folder, name)
    if fmt == 'pdf':
        images[0].save(path, format='PDF', save_all=True,
            append_images=images[1:], resolution=float(dpi))
    elif fmt == 'tiff':
        images[0].save(path, format='TIFF', save_all=True,
            append_images=images[1:], dpi=(dpi, dpi),
            compression='tiff_deflate')
    elif fmt == 'jpeg':
        images[0].save(path, format='JPEG', quality=80, dpi=(dpi, dpi))
    else:
        images[0].save(path, format='PNG', dpi=(dpi, dpi), compress_level=1)
    return name


def batch_pdf(truths, images_by_file, separator, path, blank_first=False):
    """Write a batch scan: the letters separated by separator sheets.
    Return the expected page count of each letter in order."""
    pages, expected = [], []
    for truth in truths:
        if pages:
            pages.append(separator)
        pages.extend(images_by_file[truth['file']])
        expected.append(len(images_by_file[truth['file']]))
    # copies: Pillow keeps the options of a previous save on the image
    pages = [p.copy() for p in pages]
    pages[0].save(path, format='PDF', save_all=True,
        append_images=pages[1:], resolution=200.0)
    return expected


def generate(folder, count=60, seed=11, schemes=None):
    """Write count letters about schemes (those of SCHEMES by default) and
    ground_truth.json into folder.
    Return the ground truth (a list of dicts with the file name)."""
    printed, hand = fonts()
    rng = random.Random(seed)
    os.makedirs(folder, exist_ok=True)
    schemes = schemes or SCHEMES
    truths = letters(count, seed=seed, schemes=schemes)
    images = {}
    for truth in truths:
        pages = render(truth, rng, printed, hand)
        images[truth['file']] = pages
        truth['path'] = save(pages, truth, folder)
        truth['pages'] = len(pages)
    with open(os.path.join(folder, 'ground_truth.json'), 'w') as file:
        json.dump({'letters': truths, 'usagers': usagers(),
                'communes': COMMUNES,
                'schemes': [s[:4] for s in schemes]},
            file, ensure_ascii=False, indent=1)
    return truths, images


def small_png(image, width=1240):
    "Return the image downscaled as PNG bytes (200 dpi-like batch pages)"
    ratio = width / image.width
    image = image.resize((width, int(image.height * ratio)))
    output = io.BytesIO()
    image.save(output, format='PNG')
    return output.getvalue()


if __name__ == '__main__':
    generate(sys.argv[1] if len(sys.argv) > 1 else 'corpus')
