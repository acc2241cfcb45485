# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Extract the fields of a letter from its OCR text, with a confidence
(0 to 100) per field.

Pure functions: the caller gives the territory (postal code -> commune
names) and the schemes (patterns and keywords) it knows."""
import datetime as dt
import difflib
import re
import unicodedata

from gru_territory.tools import normalize_name

MONTHS = ["janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet",
    "aout", "septembre", "octobre", "novembre", "decembre"]
MONTHS_ACCENTED = ["janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre"]
CIVILITIES = {'m', 'mr', 'mme', 'mlle', 'monsieur', 'madame',
    'mademoiselle', 'me', 'dr'}
# OCR confusions of letters read where digits are expected
TO_DIGIT = str.maketrans({
        'O': '0', 'o': '0', 'D': '0', 'Q': '0', 'I': '1', 'l': '1',
        'i': '1', '|': '1', '!': '1', 'Z': '2', 'z': '2', 'S': '5',
        's': '5', 'B': '8', 'G': '6', 'b': '6', 'T': '7', 'g': '9',
        'q': '9', 'A': '4', 'U': '0', 'V': '7',
        })
TO_LETTER = str.maketrans({
        '0': 'O', '1': 'I', '2': 'Z', '5': 'S', '8': 'B', '6': 'G',
        '4': 'A',
        })
_POSTAL = re.compile(
    r"(?:^|[\s,])((?:F-?\s?)?[0-9OoIlSB]{2}\s?[0-9OoIlSB]{3})[.,]?\s+"
    r"([A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’\- ]{1,60})")
_EMAIL = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+\-]*\s?@\s?[A-Za-z0-9\-]+"
    r"(?:\s?\.\s?[A-Za-z0-9\-]+)*\s?\.\s?[A-Za-z]{2,6}")
_PHONE = re.compile(
    r"(?<![0-9])(?:\+33\s?\(?0?\)?\s?|0)[1-9](?:[\s.\-]?[0-9]{2}){4}"
    r"(?![0-9])")
_NUMERIC_DATE = re.compile(
    r"(?<![0-9])([0-3]?[0-9])[/.\-]([01]?[0-9])[/.\-]((?:19|20)[0-9]{2})"
    r"(?![0-9])")
_STREET = re.compile(
    r"\b(?:rue|avenue|av\.?|boulevard|bd|place|allée|allee|chemin|impasse|"
    r"route|quai|cours|résidence|residence|lotissement|cité|cite|bp|"
    r"hameau|square|sentier|voie|lieu[- ]dit)\b", re.I)
ORGANISATION = ['region hauts de france', 'conseil regional', 'cedex',
    'hauts de france', 'service des aides']


def strip(text):
    text = unicodedata.normalize('NFKD', text or '')
    return ''.join(c for c in text if not unicodedata.combining(c))


def drop_accented(text):
    "The word as OCR reads it when it loses the accented letters"
    return ''.join(c for c in unicodedata.normalize('NFC', text)
        if strip(c) == c)


def field(value, confidence, source=None):
    return {'value': value,
        'confidence': int(max(0, min(100, round(confidence)))),
        'source': source}


def _line_confidences(text, lines):
    "Map each stripped text line to its OCR confidence"
    result = {}
    for line in lines or []:
        result.setdefault(line[0].strip(), line[1])
    return result


def layout_blocks(lines):
    """Return the blocks of the page segments [text, confidence, page, x,
    y, height]: left-aligned segments one under the other"""
    blocks = []
    for page in sorted({s[2] for s in lines}):
        segments = sorted((s for s in lines if s[2] == page),
            key=lambda s: (s[4], s[3]))
        if not segments:
            continue
        width = max(s[3] for s in segments) or 1
        open_blocks = []
        for segment in segments:
            x, y, height = segment[3], segment[4], segment[5]
            for block in open_blocks:
                last = block[-1]
                if (abs(last[3] - x) <= 0.04 * width
                        and 0 <= y - last[4] <= 2.2 * max(height, last[5])):
                    block.append(segment)
                    break
            else:
                block = [segment]
                open_blocks.append(block)
                blocks.append(block)
    return [[s[0] for s in b] for b in blocks]


def split_blocks(text):
    "Return the blocks of non blank lines of the text as lists of lines"
    blocks, current = [], []
    for line in (text or '').replace('\f', '\n\n').splitlines():
        if line.strip():
            current.append(line.strip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _is_organisation(block):
    key = normalize_name(' '.join(block))
    return any(word in key for word in ORGANISATION)


def _similar(a, b):
    return difflib.SequenceMatcher(None, a, b).ratio()


def postal_candidates(blocks, territory):
    """Return the postal code candidates, best first, as dicts with code,
    commune (name from territory or None), block and line indexes, score"""
    candidates = []
    for b, block in enumerate(blocks):
        organisation = _is_organisation(block)
        for i, line in enumerate(block):
            for match in _POSTAL.finditer(line):
                raw, town = match.group(1), match.group(2)
                code = re.sub(r'[\s\-F]', '', raw.translate(TO_DIGIT))
                town_key = normalize_name(town)
                if not code.isdigit() or len(code) != 5:
                    continue
                score = 10
                if raw.strip().isdigit():
                    score += 5
                communes = territory.get(code)
                commune, best = None, 0.0
                if communes:
                    score += 40
                    for name in communes:
                        ratio = _similar(normalize_name(name), town_key[
                                :len(normalize_name(name)) + 2])
                        if ratio > best:
                            commune, best = name, ratio
                    if best >= 0.75:
                        score += 35 * best
                    else:
                        commune = communes[0] if len(communes) == 1 \
                            else None
                else:
                    # the commune may tell the code that OCR got wrong
                    fixed = _code_from_commune(town_key, code, territory)
                    if fixed:
                        code, commune, best = fixed
                        score += 30 + 20 * best
                if 'cedex' in town_key:
                    score -= 60
                if organisation:
                    score -= 50
                if i == 0:
                    score -= 10
                candidates.append({
                        'code': code, 'commune': commune,
                        'block': b, 'line': i, 'score': score,
                        'town': town.strip(),
                        'text': line,
                        })
    candidates.sort(key=lambda c: -c['score'])
    return candidates


def _code_from_commune(town_key, code, territory):
    "Return (code, commune, similarity) of the commune read beside code"
    best = None
    for other, names in territory.items():
        # one digit misread at most
        if sum(a != b for a, b in zip(other, code)) > 1:
            continue
        for name in names:
            ratio = _similar(normalize_name(name), town_key[
                    :len(normalize_name(name)) + 2])
            if ratio >= 0.8 and (best is None or ratio > best[2]):
                best = (other, name, ratio)
    return best


def clean_name(line):
    "Return the person name of a line without its civility"
    words = re.sub(r"[^\w'’\- .]", ' ', line).split()
    while words and normalize_name(words[0]).replace(' ', '') \
            in CIVILITIES:
        words = words[1:]
    return ' '.join(words)


def _looks_like_name(line):
    if _STREET.search(line) or '@' in line or _PHONE.search(line):
        return False
    if re.search(r'[0-9]', line):
        return False
    words = clean_name(line).split()
    return 2 <= len(words) <= 5


def extract_sender(blocks, candidate, confidences):
    """Return name, address (text) fields around the postal code line"""
    block = blocks[candidate['block']]
    index = candidate['line']
    above = block[:index + 1]
    # the address starts at the name: the last line above the street
    start = 0
    for i in range(index - 1, -1, -1):
        if _STREET.search(above[i]):
            continue
        if _looks_like_name(above[i]):
            start = i
            break
    else:
        start = max(0, index - 2)
    address = above[start:]
    name_line = address[0] if address else ''
    name = clean_name(name_line) if _looks_like_name(name_line) else ''
    if not name and candidate['block'] > 0:
        # the name may sit alone in the block above
        previous = blocks[candidate['block'] - 1]
        if previous and _looks_like_name(previous[-1]):
            name_line = previous[-1]
            name = clean_name(name_line)
            address = [name_line] + address
    line_conf = confidences.get(name_line.strip(), 70)
    name_conf = line_conf * (0.95 if name else 0)
    address_conf = min([confidences.get(l.strip(), 70) for l in address]
        or [0])
    return (field(name or None, name_conf, name_line),
        field('\n'.join(address) or None,
            address_conf * (0.9 if len(address) >= 3 else 0.6)))


def extract_contact(text, confidences, sender_lines=()):
    "Return the email and phone fields"
    email = phone = field(None, 0)
    for match in _EMAIL.finditer(text or ''):
        value = re.sub(r'\s', '', match.group(0)).lower()
        if value.endswith(('hautsdefrance.fr', 'hauts-de-france.fr')):
            continue
        line = _line_of(text, match.start())
        conf = confidences.get(line.strip(), 70)
        email = field(value, conf * 0.95, line)
        break
    for match in _PHONE.finditer(text or ''):
        digits = re.sub(r'[^0-9+]', '', match.group(0))
        if digits.startswith('+33'):
            digits = '0' + digits[3:].lstrip('0')
        if len(digits) != 10:
            continue
        value = ' '.join(digits[i:i + 2] for i in range(0, 10, 2))
        line = _line_of(text, match.start())
        conf = confidences.get(line.strip(), 70)
        phone = field(value, conf * 0.95, line)
        break
    return email, phone


def _line_of(text, position):
    start = text.rfind('\n', 0, position) + 1
    end = text.find('\n', position)
    return text[start:end if end >= 0 else None]


def _month_variants():
    variants = {}
    for number, (plain, accented) in enumerate(
            zip(MONTHS, MONTHS_ACCENTED), 1):
        for variant in {plain, drop_accented(accented)}:
            variants[variant] = number
    return variants


MONTH_VARIANTS = _month_variants()
_TEXT_DATE = re.compile(
    r"(?<![0-9])([0-3]?[0-9])\s*(?:er)?\s+(%s)\s+((?:19|20)[0-9]{2})"
    % '|'.join(sorted(MONTH_VARIANTS, key=len, reverse=True)), re.I)


def extract_dates(text):
    "Return the dates of the text [(date, line)] in text order"
    found = []
    plain = strip(text or '')
    for match in _TEXT_DATE.finditer(plain):
        month = MONTH_VARIANTS[match.group(2).lower()]
        try:
            date = dt.date(int(match.group(3)), month, int(match.group(1)))
        except ValueError:
            continue
        found.append((match.start(), date, _line_of(plain, match.start())))
    for match in _NUMERIC_DATE.finditer(plain):
        try:
            date = dt.date(int(match.group(3)), int(match.group(2)),
                int(match.group(1)))
        except ValueError:
            continue
        found.append((match.start(), date, _line_of(plain, match.start())))
    found.sort(key=lambda f: f[0])
    return [(d, l) for _, d, l in found]


def extract_letter_date(text, confidences):
    dates = extract_dates(text)
    if not dates:
        return field(None, 0), []
    best, line = dates[0]
    conf = 60
    for date, line_ in dates:
        if re.search(r',?\s+le\s', line_, re.I):
            best, line, conf = date, line_, 90
            break
    ocr = confidences.get(line.strip(), 80)
    return (field(best.isoformat(), conf * ocr / 100, line),
        [d.isoformat() for d, _ in dates])


def reference_variants(token):
    """Yield the token then its readings with letters taken for digits
    (and digits for letters) from a position on"""
    yield token, 0
    for start in range(len(token)):
        head, tail = token[:start], token[start:]
        digits = tail.translate(TO_DIGIT)
        if digits != tail:
            yield head + digits, sum(
                a != b for a, b in zip(tail, digits))
    letters = token.translate(TO_LETTER)
    if letters != token:
        yield letters, sum(a != b for a, b in zip(token, letters))


_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-/|]{3,30}")


def extract_references(text, schemes):
    """Return the dossier references found, best first: dicts with
    value, scheme (the id given in schemes) and confidence.
    schemes: list of (id, compiled pattern, keywords)"""
    found = {}
    text = text or ''
    plain = strip(text)
    for scheme_id, regex, _ in schemes:
        if regex is None:
            continue
        for match in regex.finditer(text):
            value = match.group('reference') \
                if 'reference' in regex.groupindex else match.group(0)
            found.setdefault((scheme_id, value), 95)
    tokens = []
    for match in _TOKEN.finditer(plain):
        before = normalize_name(plain[max(0, match.start() - 25):
                match.start()])
        near = 'dossier' in before or 'ref' in before \
            or 'numero' in before or ' n' in ' ' + before[-3:]
        tokens.append((match.group(0), near))
        # OCR may cut a reference in two at a hyphen or a space
        end = match.end()
        rest = _TOKEN.match(plain, end + 1) if end < len(plain) else None
        if rest and plain[end] in ' -':
            tokens.append((match.group(0) + plain[end] + rest.group(0),
                    near))
            tokens.append((match.group(0) + rest.group(0), near))
    for token, near in tokens:
        for scheme_id, regex, _ in schemes:
            if regex is None:
                continue
            for variant, changes in reference_variants(token.strip('-/')):
                if not regex.fullmatch(variant):
                    continue
                value = variant
                confidence = 90 if not changes else max(40, 80 - 8 * changes)
                if near:
                    confidence += 8
                key = (scheme_id, value)
                if confidence > found.get(key, 0):
                    found[key] = confidence
                break
    result = [{'value': v, 'scheme': s, 'confidence': min(c, 99)}
        for (s, v), c in found.items()]
    result.sort(key=lambda r: -r['confidence'])
    return result


def keyword_variants(keyword):
    key = normalize_name(keyword)
    variants = {key}
    dropped = normalize_name(drop_accented(keyword))
    if dropped:
        variants.add(dropped)
    return variants


def guess_scheme(text, schemes):
    """Return (scheme id, confidence, hits) from the keywords of the
    schemes; schemes: list of (id, pattern, keywords list)"""
    key = ' %s ' % normalize_name(text)
    scores = {}
    for scheme_id, _, keywords in schemes:
        hits = 0
        for keyword in keywords or []:
            for variant in keyword_variants(keyword):
                if variant and ' %s' % variant in key:
                    hits += key.count(' %s' % variant)
                    break
        if hits:
            scores[scheme_id] = hits
    if not scores:
        return None, 0, 0
    ranked = sorted(scores.items(), key=lambda s: -s[1])
    best, hits = ranked[0]
    total = sum(scores.values())
    confidence = 100 * hits / total * min(1.0, 0.5 + 0.15 * hits)
    return best, confidence, hits


def extract(text, lines, territory, schemes):
    """Return the fields of the letter: a dict of name -> {'value',
    'confidence', 'source'} for sender_name, sender_address, postal_code,
    commune, letter_date, reference, scheme, email, phone; and 'dates'
    (every date found).

    territory: dict postal code -> list of commune names.
    schemes: list of (id, compiled regex or None, keywords list)."""
    confidences = _line_confidences(text, lines)
    if lines and len(lines[0]) >= 6:
        blocks = layout_blocks(lines)
        text = '\n\n'.join('\n'.join(b) for b in blocks)
    else:
        blocks = split_blocks(text)
    result = {}
    candidates = postal_candidates(blocks, territory)
    best = candidates[0] if candidates and candidates[0]['score'] > 0 \
        else None
    if best:
        ocr = confidences.get(best['text'].strip(), 75)
        known = best['code'] in territory
        conf = (0.55 + (0.25 if known else 0)
            + (0.2 if best['commune'] else 0)) * (50 + ocr / 2)
        if len(candidates) > 1 and candidates[1]['score'] > 0 \
                and candidates[1]['code'] != best['code']:
            conf *= 0.85
        result['postal_code'] = field(best['code'], conf, best['text'])
        result['commune'] = field(best['commune'],
            conf if best['commune'] else 0, best['text'])
        result['sender_name'], result['sender_address'] = extract_sender(
            blocks, best, confidences)
    else:
        for name in ['postal_code', 'commune', 'sender_name',
                'sender_address']:
            result[name] = field(None, 0)
    result['email'], result['phone'] = extract_contact(text, confidences)
    result['letter_date'], result['dates'] = extract_letter_date(
        text, confidences)
    references = extract_references(text, schemes)
    if references:
        ref = references[0]
        result['reference'] = field(ref['value'], ref['confidence'])
        result['scheme'] = field(ref['scheme'], ref['confidence'],
            'reference')
    else:
        result['reference'] = field(None, 0)
        scheme, confidence, _ = guess_scheme(text, schemes)
        result['scheme'] = field(scheme, confidence, 'keywords')
    if result['scheme']['value'] is not None \
            and result['scheme']['source'] == 'reference':
        scheme, confidence, _ = guess_scheme(text, schemes)
        if scheme == result['scheme']['value']:
            result['scheme']['confidence'] = min(
                99, result['scheme']['confidence'] + 5)
    return result
