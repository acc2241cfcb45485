# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Extract the fields of a letter from its OCR text, with a confidence
(0 to 100) per field.

Pure functions: the caller gives the territory (postal code -> commune
names) and the schemes (patterns and keywords) it knows."""
import datetime as dt
import difflib
import functools
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
# a postal code, possibly glued to punctuation: "80000," "(80480)"
# "80480." "F-80000"; the town is read after it or, when nothing follows,
# before it ("DURY (80480)")
_POSTAL_CODE = re.compile(
    r"(?:^|(?<=[\s,;:(]))\(?((?:F-?\s?)?[0-9OoIlSB]{2}\s?[0-9OoIlSB]{3})"
    r"(?![0-9A-Za-z])\)?[.,;:)]*")
_TOWN_AFTER = re.compile(r"\s*([A-Za-zÀ-ÿ][A-Za-zÀ-ÿ0-9'’\- ]{1,60})")
_TOWN_BEFORE = re.compile(
    r"([A-Za-zÀ-ÿ][A-Za-zÀ-ÿ0-9'’\- ]{1,60}?)[\s,;(]*$")
# the lines of a stamp put on the letter at its arrival
_STAMP = re.compile(
    r"\b(?:re[çcg]u[e]?|arriv[ée]+e?|enregistr[ée]+e?|courrier\s+arriv)"
    r"[\s.:|]*(?:le|au)?[\s.:|]*$", re.I)
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


def field(value, confidence, source=None, evidence=None):
    """Return an extracted field: its value, its confidence (0 to 100), the
    line it was read on and the evidence it rests on, a list of
    [code, params] pairs that the letter shows translated (the messages
    gru_letter.msg_evidence_<code>)"""
    return {'value': value,
        'confidence': int(max(0, min(100, round(confidence)))),
        'source': source,
        'evidence': list(evidence or [])}


def evidence(kind, **params):
    "Return one piece of evidence as a [kind, params] pair"
    return [kind, params]


def _line_confidences(text, lines):
    "Map each stripped text line to its OCR confidence"
    result = {}
    for line in lines or []:
        result.setdefault(line[0].strip(), line[1])
    return result


def layout_blocks(lines):
    """Return the blocks of the page segments [text, confidence, page, x,
    y, height, right edge (optional)]: segments one under the other,
    aligned on their left or on their right edge (a sender block set
    flush right)"""
    blocks = []
    for page in sorted({s[2] for s in lines}):
        segments = sorted((s for s in lines if s[2] == page),
            key=lambda s: (s[4], s[3]))
        if not segments:
            continue
        width = max(s[3] for s in segments) or 1
        open_blocks = []
        for segment in segments:
            y, height = segment[4], segment[5]
            for block in open_blocks:
                last = block[-1]
                step = y - last[4]
                if (_aligned(last, segment, width)
                        and 0 <= step <= 2.2 * max(height, last[5])
                        and not _wider_gap(block, step)):
                    block.append(segment)
                    break
            else:
                block = [segment]
                open_blocks.append(block)
                blocks.append(block)
    return split_addresses([[s[0] for s in b] for b in blocks])


def _aligned(upper, lower, width):
    "Tell if two segments are aligned on their left or right edge"
    if abs(upper[3] - lower[3]) <= 0.04 * width:
        return True
    return (len(upper) >= 7 and len(lower) >= 7
        and abs(upper[6] - lower[6]) <= 0.015 * width)


def _wider_gap(block, step):
    "Tell if step is clearly wider than the line spacing of the block"
    if len(block) < 2:
        return False
    steps = sorted(b[4] - a[4] for a, b in zip(block, block[1:]))
    return step > 1.8 * steps[len(steps) // 2]


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
    return split_addresses(blocks)


def split_addresses(blocks):
    """Cut a block where a second address starts after a postal code line:
    a sender block set right above the Region's address (aligned on the
    same column) is not one address"""
    result = []
    for block in blocks:
        current, addressed = [], False
        for line in block:
            if addressed and (_is_organisation([line])
                    or _has_civility(line)):
                result.append(current)
                current, addressed = [], False
            current.append(line)
            if _postal_matches(line):
                addressed = True
        result.append(current)
    return result


def _has_civility(line):
    words = normalize_name(line).split()
    return bool(words) and words[0] in CIVILITIES and len(words) >= 2


def _is_organisation(block):
    key = normalize_name(' '.join(block))
    return any(word in key for word in ORGANISATION)


def _similar(a, b):
    return difflib.SequenceMatcher(None, a, b).ratio()


def _postal_matches(line):
    """Return the (raw code, code, towns) of the postal codes of the line:
    towns are the texts beside the code that may name its commune, the
    one after it first"""
    result = []
    for match in _POSTAL_CODE.finditer(line):
        raw = match.group(1)
        code = re.sub(r'[\s\-F]', '', raw.translate(TO_DIGIT))
        if not code.isdigit() or len(code) != 5:
            continue
        towns = []
        after = _TOWN_AFTER.match(line, match.end())
        if after and after.group(1).strip(" -'’"):
            towns.append(after.group(1).strip())
        before = _TOWN_BEFORE.search(line[:match.start()])
        if before and not _STREET.search(before.group(1)):
            towns.append(before.group(1).strip())
        if towns or len(line.strip()) <= len(match.group(0)) + 1:
            result.append((match.group(0).strip(), raw, code, towns))
    return result


@functools.lru_cache(maxsize=50000)
def _commune_key(name):
    return normalize_name(name)


def _commune_similarity(town_key, name):
    key = _commune_key(name)
    return _similar(key, town_key[:len(key) + 2])


def _best_commune(town_key, names):
    commune, best = None, 0.0
    for name in names:
        ratio = _commune_similarity(town_key, name)
        if ratio > best:
            commune, best = name, ratio
    return commune, best


def _code_from_commune(town_key, code, territory, exclude=None):
    """Return (code, commune, similarity, digits changed) of the commune
    read beside code when its postal code differs from code by one digit
    (two when the name is read nearly right)"""
    best = None
    for other, names in territory.items():
        if other == exclude or len(other) != len(code):
            continue
        changes = sum(a != b for a, b in zip(other, code))
        if changes > 2:
            continue
        for name in names:
            ratio = _commune_similarity(town_key, name)
            if ratio < (0.75 if changes <= 1 else 0.9):
                continue
            key = (ratio - 0.05 * changes, -changes)
            if best is None or key > best[0]:
                best = (key, other, name, ratio, changes)
    return best[1:] if best else None


def resolve_postal_code(code, towns, territory):
    """Return (code, commune, similarity, how, town) for the code read
    beside the towns; how is 'confirmed' (the commune printed beside it
    belongs to the code), 'single' (the only commune of the code, the name
    not read), 'corrected' (the code read is not the one of the commune
    printed beside it), 'known' (a code shared by communes, none read) or
    'unknown'"""
    communes = territory.get(code)
    results = []
    for town in towns or ['']:
        # OCR reads an O of the name as a zero ("BUSSY-LES-P0IX")
        town_key = normalize_name(town.translate(TO_LETTER))
        if communes:
            commune, best = _best_commune(town_key, communes)
            if best >= 0.75:
                results.append((2 + best, (code, commune, best,
                            'confirmed', town)))
                continue
        fixed = _code_from_commune(town_key, code, territory,
            exclude=code) if town_key else None
        # a valid code of another commune is replaced only when the name
        # printed beside it is read well enough to say so
        if fixed and (not communes or fixed[2] >= 0.75):
            other, commune, ratio, _ = fixed
            results.append((1 + ratio, (other, commune, ratio,
                        'corrected', town)))
        elif communes and len(communes) == 1:
            results.append((0.5, (code, communes[0], 0.0, 'single', town)))
        elif communes:
            results.append((0.4, (code, None, 0.0, 'known', town)))
        else:
            results.append((0, (code, None, 0.0, 'unknown', town)))
    return max(results, key=lambda r: r[0])[1]


def postal_candidates(blocks, territory):
    """Return the postal code candidates, best first, as dicts with code,
    read (the code as printed), commune (name from territory or None),
    how (see resolve_postal_code), block and line indexes, score and
    organisation (the address is the Region's own)"""
    candidates = []
    for b, block in enumerate(blocks):
        start = 0
        for i, line in enumerate(block):
            matches = _postal_matches(line)
            # the address of a code: the lines after the previous code
            address = block[start:i + 1]
            for printed, raw, code, towns in matches:
                read = code
                code, commune, best, how, town = resolve_postal_code(
                    code, towns, territory)
                score = 10
                if raw.strip().isdigit():
                    score += 5
                if how == 'confirmed':
                    score += 40 + 35 * best
                elif how == 'corrected':
                    score += 30 + 20 * best
                elif how in {'single', 'known'}:
                    score += 40
                town_key = normalize_name(town)
                if 'cedex' in town_key or 'cedex' in normalize_name(line):
                    score -= 60
                organisation = _is_organisation(address)
                if organisation:
                    score -= 50
                if i == 0:
                    score -= 10
                candidates.append({
                        'code': code, 'read': read, 'printed': printed,
                        'raw': raw,
                        'commune': commune, 'how': how,
                        'block': b, 'line': i, 'score': score,
                        'town': town, 'text': line,
                        'organisation': organisation,
                        })
            if matches:
                start = i + 1
    candidates.sort(key=lambda c: -c['score'])
    return candidates


_PUNCTUATION = ".,;:!?-–—'’\"«»()[]*·•_"


def clean_name(line):
    """Return the person name of a line without its civility nor the
    stray punctuation OCR reads from specks (". François Carpentier",
    "Théo Leroy .")"""
    words = re.sub(r"[^\w'’\- .]", ' ', line).split()
    words = [w for w in words if any(c.isalnum() for c in w)]
    while words and normalize_name(words[0]).replace(' ', '') \
            in CIVILITIES:
        words = words[1:]
    if words:
        words[0] = words[0].lstrip(_PUNCTUATION)
        last = words[-1]
        # keep the point of an initial ("Jean P.")
        if not (len(last.rstrip('.')) == 1 and last.endswith('.')):
            words[-1] = last.rstrip(_PUNCTUATION)
    return ' '.join(w for w in words if w)


def _looks_like_name(line):
    if _STREET.search(line) or '@' in line or _PHONE.search(line):
        return False
    if re.search(r'[0-9]', line):
        return False
    if _is_organisation([line]):
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
    proof = 'sender_name_line'
    if not name and candidate['block'] > 0:
        # the name may sit alone in the block above
        previous = blocks[candidate['block'] - 1]
        if previous and _looks_like_name(previous[-1]):
            name_line = previous[-1]
            name = clean_name(name_line)
            address = [name_line] + address
            proof = 'sender_name_above'
    line_conf = confidences.get(name_line.strip(), 70)
    name_conf = line_conf * (0.95 if name else 0)
    address_conf = min([confidences.get(l.strip(), 70) for l in address]
        or [0])
    name_evidence = [evidence(proof, line=name_line.strip())] if name \
        else []
    stray = name_line.strip()
    if name and (stray[:1] in _PUNCTUATION or (stray[-1:] in _PUNCTUATION
                and not stray.endswith(name))):
        name_evidence.append(evidence('sender_name_cleaned',
                line=name_line.strip(), name=name))
    address_evidence = [evidence('sender_address_block',
            count=len(address), line=candidate['text'].strip())] \
        if address else []
    return (field(name or None, name_conf, name_line, name_evidence),
        field('\n'.join(address) or None,
            address_conf * (0.9 if len(address) >= 3 else 0.6),
            evidence=address_evidence))


def extract_contact(text, confidences, sender_lines=()):
    "Return the email and phone fields"
    email = phone = field(None, 0)
    for match in _EMAIL.finditer(text or ''):
        value = re.sub(r'\s', '', match.group(0)).lower()
        if value.endswith(('hautsdefrance.fr', 'hauts-de-france.fr')):
            continue
        line = _line_of(text, match.start())
        conf = confidences.get(line.strip(), 70)
        email = field(value, conf * 0.95, line,
            [evidence('line', line=line.strip())])
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
        phone = field(value, conf * 0.95, line,
            [evidence('line', line=line.strip())])
        break
    return email, phone


def _line_of(text, position):
    start = text.rfind('\n', 0, position) + 1
    end = text.find('\n', position)
    return text[start:end if end >= 0 else None]


# the abbreviations of the months on date stamps ("13 NOV. 2026")
MONTH_ABBREVIATIONS = {'janv': 1, 'fevr': 2, 'fev': 2, 'avr': 4,
    'juil': 7, 'sept': 9, 'oct': 10, 'nov': 11, 'dec': 12}


def _month_variants():
    variants = dict(MONTH_ABBREVIATIONS)
    for number, (plain, accented) in enumerate(
            zip(MONTHS, MONTHS_ACCENTED), 1):
        for variant in {plain, drop_accented(accented)}:
            variants[variant] = number
    return variants


MONTH_VARIANTS = _month_variants()
_TEXT_DATE = re.compile(
    r"(?<![0-9])([0-3]?[0-9])\s*(?:er)?\s+(%s)\.?\s+((?:19|20)[0-9]{2})"
    % '|'.join(sorted(MONTH_VARIANTS, key=len, reverse=True)), re.I)
# the date the sender wrote: "Amiens, le 3 novembre 2026", "Le 3/11/2026"
_DATE_LINE = re.compile(
    r"(?:^|,|\bfait\s+a\s+[\w' -]+?)\s*le\s*$", re.I)


def _dates_of_line(line):
    "Return the dates of a line as [(position, date)]"
    found = []
    plain = strip(line)
    for match in _TEXT_DATE.finditer(plain):
        month = MONTH_VARIANTS[match.group(2).lower()]
        try:
            date = dt.date(int(match.group(3)), month, int(match.group(1)))
        except ValueError:
            continue
        found.append((match.start(), date))
    for match in _NUMERIC_DATE.finditer(plain):
        try:
            date = dt.date(int(match.group(3)), int(match.group(2)),
                int(match.group(1)))
        except ValueError:
            continue
        found.append((match.start(), date))
    found.sort(key=lambda f: f[0])
    return found


def extract_dates(text, blocks=None):
    """Return the dates of the text [(date, line, kind)] in text order;
    kind is 'stamp' for the date of a received stamp ("REÇU LE
    13/11/2026", "Courrier arrivé" above the date), 'dated' for a line
    "<place>, le <date>" and None for the others"""
    if blocks is None:
        blocks = split_blocks(text)
    lines = [l for b in blocks for l in b]
    found = []
    for index, line in enumerate(lines):
        for position, date in _dates_of_line(line):
            before = strip(line)[:position]
            previous = strip(lines[index - 1]) if index else ''
            if _STAMP.search(before) or (not before.strip(' :.-')
                    and len(previous) <= 30 and _STAMP.search(previous)):
                kind = 'stamp'
            elif _DATE_LINE.search(before):
                kind = 'dated'
            else:
                kind = None
            found.append((date, line, kind))
    return found


def extract_letter_date(text, confidences, blocks=None):
    """Return the field of the date the sender wrote and the other dates
    (ISO); the date of a received stamp is never the letter's"""
    dates = extract_dates(text, blocks)
    stamps = [evidence('letter_date_stamp_ignored', line=l.strip())
        for _, l, k in dates if k == 'stamp']
    written = [(d, l, k) for d, l, k in dates if k != 'stamp']
    if not written:
        return (field(None, 0, evidence=stamps),
            [d.isoformat() for d, _, _ in dates])
    dated = [w for w in written if w[2] == 'dated']
    if dated:
        best, line, _ = dated[0]
        conf, proof = 90, 'letter_date_line'
    else:
        best, line, _ = written[0]
        conf, proof = 60, 'letter_date_first'
    ocr = confidences.get(line.strip(), 80)
    return (field(best.isoformat(), conf * ocr / 100, line,
            [evidence(proof, line=line.strip())] + stamps),
        [d.isoformat() for d, _, _ in dates])


def reference_variants(token):
    """Yield the token then its readings with letters taken for digits
    (and digits for letters) from a position on, with the count of
    characters changed"""
    yield token, 0
    digits = token.translate(TO_DIGIT)
    if digits != token:
        changed = [a != b for a, b in zip(token, digits)]
        remaining = sum(changed)
        for start, change in enumerate(changed):
            if change:
                yield token[:start] + digits[start:], remaining
                remaining -= 1
    letters = token.translate(TO_LETTER)
    if letters != token:
        yield letters, sum(a != b for a, b in zip(token, letters))


_PIECE = re.compile(r"[A-Za-z0-9|]+")
# what OCR leaves between the pieces of a cut reference: "PAS- 2026- 9726"
# (a hyphen may be read as a colon, a point or a dash)
_CUT = re.compile(r"\s{0,2}[-/:.–—]?\s{0,2}")
MAX_PIECES = 4


def _reference_tokens(plain):
    """Yield (token, near a 'dossier' word, pieces, text read) for the
    words of the
    text and the runs of up to MAX_PIECES pieces a reference cut by OCR
    (at a hyphen, a slash or a space) may be made of, rejoined with and
    without the space"""
    pieces = list(_PIECE.finditer(plain))
    for index, match in enumerate(pieces):
        before = normalize_name(plain[max(0, match.start() - 25):
                match.start()])
        near = 'dossier' in before or 'ref' in before \
            or 'numero' in before or ' n' in ' ' + before[-3:]
        run = [match]
        for following in pieces[index + 1:index + MAX_PIECES]:
            gap = plain[run[-1].end():following.start()]
            if '\n' in gap or not _CUT.fullmatch(gap):
                break
            run.append(following)
        for count in range(1, len(run) + 1):
            parts = run[:count]
            # the pieces of a reference hold a digit
            if count > 1 and not any(
                    c.isdigit() for p in parts for c in p.group(0)):
                continue
            separators = [plain[a.end():b.start()].strip()
                for a, b in zip(parts, parts[1:])]
            kept = dashed = glued = parts[0].group(0)
            for separator, part in zip(separators, parts[1:]):
                kept += separator + part.group(0)
                dashed += '-' + part.group(0)
                glued += part.group(0)
            read = plain[parts[0].start():parts[-1].end()]
            for token in dict.fromkeys([kept, dashed, glued]):
                yield token, near, count, read


def extract_references(text, schemes):
    """Return the dossier references found, best first: dicts with
    value, scheme (the id given in schemes), confidence and evidence.
    schemes: list of (id, compiled pattern, keywords)"""
    found = {}
    text = text or ''
    plain = strip(text)

    def add(key, confidence, proof):
        if confidence > found.get(key, (0, None))[0]:
            found[key] = (confidence, proof)
    for scheme_id, regex, _ in schemes:
        if regex is None:
            continue
        for match in regex.finditer(text):
            value = match.group('reference') \
                if 'reference' in regex.groupindex else match.group(0)
            add((scheme_id, value), 95,
                evidence('reference_read', reference=value))
    patterns = [(i, r) for i, r, _ in schemes if r is not None]
    for token, near, count, read in _reference_tokens(plain):
        token = token.strip('-/')
        if len(token) < 4 or not patterns:
            continue
        variants = list(reference_variants(token))
        for scheme_id, regex in patterns:
            for variant, changes in variants:
                if not regex.fullmatch(variant):
                    continue
                confidence = 90 if not changes else max(40, 80 - 8 * changes)
                if count > 1:
                    confidence -= 3 * (count - 1)
                    proof = evidence('reference_joined', reference=variant,
                        read=read, pieces=count)
                elif changes:
                    proof = evidence('reference_fixed', reference=variant,
                        read=token, changes=changes)
                else:
                    proof = evidence('reference_read', reference=variant)
                if near:
                    confidence += 8
                add((scheme_id, variant), confidence, proof)
                break
    result = [{'value': v, 'scheme': s, 'confidence': min(c, 99),
            'evidence': p}
        for (s, v), (c, p) in found.items()]
    result.sort(key=lambda r: -r['confidence'])
    return result


def keyword_variants(keyword):
    key = normalize_name(keyword)
    variants = {key}
    dropped = normalize_name(drop_accented(keyword))
    if dropped:
        variants.add(dropped)
    return variants


def keyword_hits(text, schemes):
    """Return {scheme id: (hits, keywords found)} of the letter keywords
    of the schemes in the text"""
    key = ' %s ' % normalize_name(text)
    result = {}
    for scheme_id, _, keywords in schemes:
        hits, words = 0, []
        for keyword in keywords or []:
            for variant in keyword_variants(keyword):
                if variant and ' %s' % variant in key:
                    hits += key.count(' %s' % variant)
                    words.append(keyword)
                    break
        if hits:
            result[scheme_id] = (hits, words)
    return result


def guess_scheme(text, schemes):
    """Return (scheme id, confidence, hits) from the keywords of the
    schemes; schemes: list of (id, pattern, keywords list)"""
    scores = keyword_hits(text, schemes)
    if not scores:
        return None, 0, 0
    ranked = sorted(scores.items(), key=lambda s: -s[1][0])
    best, (hits, _) = ranked[0]
    total = sum(h for h, _ in scores.values())
    confidence = 100 * hits / total * min(1.0, 0.5 + 0.15 * hits)
    return best, confidence, hits


def choose_scheme(text, references, schemes):
    """Return the reference and scheme fields: the reference read best;
    when its pattern is shared by several schemes, the keywords of the
    letter choose among them; without reference, the keywords alone"""
    hits = keyword_hits(text, schemes)
    if not references:
        scheme, confidence, _ = guess_scheme(text, schemes)
        proof = [evidence('scheme_keywords',
                keywords=', '.join(hits[scheme][1]))] if scheme else []
        return field(None, 0), field(scheme, confidence, 'keywords', proof)
    best = references[0]
    value = best['value']
    # the schemes whose pattern the best reference fits
    sharing = [r['scheme'] for r in references if r['value'] == value
        and r['confidence'] >= best['confidence'] - 10]
    reference = field(value, best['confidence'], evidence=[best['evidence']])
    confidence = best['confidence']
    if len(sharing) > 1:
        chosen = [s for s in sharing if s in hits]
        chosen.sort(key=lambda s: -hits[s][0])
        if chosen and (len(chosen) == 1
                or hits[chosen[0]][0] > hits[chosen[1]][0]):
            scheme = chosen[0]
            proof = evidence('scheme_shared_keywords',
                count=len(sharing), keywords=', '.join(hits[scheme][1]))
            confidence = min(confidence, 60 + 10 * hits[scheme][0])
        else:
            scheme = sharing[0]
            proof = evidence('scheme_shared_ambiguous', count=len(sharing))
            confidence = min(confidence, 100 / len(sharing) - 10)
        return reference, field(scheme, confidence, 'reference', [proof])
    scheme = best['scheme']
    proof = [evidence('scheme_reference', reference=value)]
    if scheme in hits:
        # the keywords agree: more certain
        confidence = min(99, confidence + 5)
        proof.append(evidence('scheme_keywords',
                keywords=', '.join(hits[scheme][1])))
    return reference, field(scheme, confidence, 'reference', proof)


def _postal_evidence(best, others):
    how = best['how']
    line = best['text'].strip()
    if how == 'corrected':
        proof = [evidence('postal_code_corrected', code=best['code'],
                read=best['read'], commune=best['commune'].upper(),
                line=line)]
    elif how == 'confirmed':
        proof = [evidence('postal_code_confirmed', code=best['code'],
                commune=best['commune'].upper(), line=line)]
    elif how in {'single', 'known'}:
        proof = [evidence('postal_code_known', code=best['code'],
                line=line)]
    else:
        proof = [evidence('postal_code_unknown', code=best['code'],
                line=line)]
    if best['printed'] != best['raw'].strip():
        proof.append(evidence('postal_code_punctuation',
                printed=best['printed']))
    for other in others:
        if other['organisation']:
            proof.append(evidence('postal_code_organisation',
                    line=other['text'].strip()))
    return proof


def _commune_evidence(best):
    if not best['commune']:
        return []
    if best['how'] == 'single':
        return [evidence('commune_single', commune=best['commune'],
                code=best['code'])]
    return [evidence('commune_read', commune=best['commune'],
            town=best['town'])]


def extract(text, lines, territory, schemes):
    """Return the fields of the letter: a dict of name -> {'value',
    'confidence', 'source', 'evidence'} for sender_name, sender_address,
    postal_code, commune, letter_date, reference, scheme, email, phone;
    and 'dates' (every date found).

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
        if best['how'] == 'corrected':
            conf *= 0.85
        if len(candidates) > 1 and candidates[1]['score'] > 0 \
                and candidates[1]['code'] != best['code']:
            conf *= 0.85
        result['postal_code'] = field(best['code'], conf, best['text'],
            _postal_evidence(best, candidates[1:]))
        result['commune'] = field(best['commune'],
            conf if best['commune'] else 0, best['text'],
            _commune_evidence(best))
        result['sender_name'], result['sender_address'] = extract_sender(
            blocks, best, confidences)
    else:
        for name in ['postal_code', 'commune', 'sender_name',
                'sender_address']:
            result[name] = field(None, 0)
    result['email'], result['phone'] = extract_contact(text, confidences)
    result['letter_date'], result['dates'] = extract_letter_date(
        text, confidences, blocks)
    result['reference'], result['scheme'] = choose_scheme(
        text, extract_references(text, schemes), schemes)
    return result


_NUMBERED_STREET = re.compile(
    r"^\s*(?P<number>[0-9]{1,4}(?:\s?(?:bis|ter|quater|[A-Da-d])\b)?)"
    r"\s*,?\s+(?P<street>\S.*?)\s*$", re.I)
_STREET_NUMBERED = re.compile(
    r"^\s*(?P<street>\S.*?)\s*,?\s+(?P<number>[0-9]{1,4}"
    r"(?:\s?(?:bis|ter|quater)\b)?)\s*$", re.I)


def address_parts(address, name=None, postal_code=None):
    """Return the structured street of the sender block address (the text
    read: name, street lines, postal code and commune) as a dict of
    party.address fields: 'building_number' and 'street_name' of the
    numbered street line ("106 rue de la République" or "rue de la
    République, 106"), 'building_name' of the other lines (residence,
    building, lieu-dit)"""
    lines = [l.strip(' ,;') for l in (address or '').splitlines()]
    lines = [l for l in lines if l]
    name_key = strip(name or '').lower()
    rest = []
    for index, line in enumerate(lines):
        if index == 0 and name_key and strip(line).lower().endswith(
                name_key):
            continue
        if _postal_matches(line) or (postal_code and postal_code in line):
            continue
        rest.append(line)
    parts = {'building_number': None, 'street_name': None,
        'building_name': None}
    main = None
    for line in rest:
        match = (_NUMBERED_STREET.match(line)
            or (_STREET.search(line) and _STREET_NUMBERED.match(line)))
        if match and (_STREET.search(match.group('street'))
                or main is None):
            main = line
            parts['building_number'] = re.sub(
                r'\s+', ' ', match.group('number'))
            parts['street_name'] = match.group('street')
            if _STREET.search(match.group('street')):
                break
    if main is None:
        for line in rest:
            if _STREET.search(line):
                main = line
                parts['street_name'] = line
                break
    others = [l for l in rest if l != main]
    if others:
        parts['building_name'] = ', '.join(others)
    return parts
