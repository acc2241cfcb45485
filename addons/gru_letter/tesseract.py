# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Local OCR of scanned letters with Tesseract through pytesseract.

Pure functions (no Tryton) so that the OCR service, the tests and the
benchmark run the very same code. A page goes through:
orientation (Tesseract OSD), deskew (projection profile), then one
Tesseract pass that writes the text, the word confidences (TSV) and a
searchable PDF page."""
import io
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

from PIL import Image, ImageOps
from pypdf import PdfReader, PdfWriter

IMAGE_TYPES = {
    'image/tiff', 'image/jpeg', 'image/png',
    }
PDF_TYPE = 'application/pdf'
# a page is at most this elongated and this large: a tiny hostile file
# declaring 1 x 70000 pixels would need gigabytes once scaled for the OCR
MAX_ASPECT = 20
MAX_PIXELS = Image.MAX_IMAGE_PIXELS


class OCRError(Exception):
    "The scan cannot be read or recognised"


def available():
    "Return True when the tesseract binary is installed"
    return bool(shutil.which('tesseract'))


def languages():
    "Return the languages installed for tesseract"
    import pytesseract
    try:
        return set(pytesseract.get_languages(config=''))
    except (OSError, pytesseract.TesseractError):
        # tesseract missing or failing
        return set()


def sniff_type(data):
    "Return the MIME type of the scan from its first bytes or None"
    if data[:5] == b'%PDF-':
        return PDF_TYPE
    if data[:4] in {b'II*\x00', b'MM\x00*'}:
        return 'image/tiff'
    if data[:3] == b'\xff\xd8\xff':
        return 'image/jpeg'
    if data[:8] == b'\x89PNG\r\n\x1a\n':
        return 'image/png'
    return None


class _Size:
    "The size of a page before it is rendered"

    def __init__(self, width, height):
        self.size = (width, height)


def check_size(image):
    "Raise OCRError when image (or _Size) cannot be a scanned page"
    width, height = image.size
    if (not width or not height
            or max(width, height) > MAX_ASPECT * min(width, height)
            or width * height > MAX_PIXELS):
        raise OCRError("not a page: %d x %d pixels" % (width, height))


def to_pdf(data, dpi=300):
    """Return (pdf bytes, page count) of a PDF, TIFF, JPEG or PNG scan.
    Raise OCRError when the data is not a readable scan."""
    mime_type = sniff_type(data)
    if mime_type is None:
        raise OCRError("unknown file format")
    if mime_type == PDF_TYPE:
        try:
            reader = PdfReader(io.BytesIO(data))
            count = len(reader.pages)
        except Exception as exception:  # a hostile PDF may break pypdf
            raise OCRError("unreadable PDF: %s" % exception) from exception
        if not count:
            raise OCRError("PDF without page")
        return data, count
    try:
        image = Image.open(io.BytesIO(data))
        frames = []
        for index in range(getattr(image, 'n_frames', 1)):
            image.seek(index)
            check_size(image)
            frame = image.convert('L') if image.mode not in {'1', 'L'} \
                else image.copy()
            frames.append(frame)
        resolution = image.info.get('dpi', (dpi, dpi))[0] or dpi
    except OCRError:
        raise
    except Exception as exception:  # a hostile image may break Pillow
        raise OCRError("unreadable image: %s" % exception) from exception
    output = io.BytesIO()
    try:
        frames[0].save(output, format='PDF', save_all=True,
            append_images=frames[1:], resolution=float(resolution))
    except Exception as exception:  # the pixels are decoded here
        raise OCRError("unreadable image: %s" % exception) from exception
    return output.getvalue(), len(frames)


def page_count(pdf):
    "Return the number of pages of the PDF"
    return len(PdfReader(io.BytesIO(pdf)).pages)


def page_images(pdf, dpi=300):
    """Yield one grayscale PIL image per page of the PDF.
    A page holding a single scanned image gives that image as it is,
    other pages are rendered with pdftoppm."""
    reader = PdfReader(io.BytesIO(pdf))
    for index, page in enumerate(reader.pages):
        image = None
        try:
            images = list(page.images)
            if len(images) == 1:
                image = images[0].image
        except Exception:  # a hostile embedded image: the page is rendered
            image = None
        if image is None:
            # the size of the page decides the memory pdftoppm takes
            box = page.mediabox
            check_size(_Size(int(abs(float(box.width)) * dpi / 72),
                    int(abs(float(box.height)) * dpi / 72)))
            image = render_page(pdf, index + 1, dpi)
        check_size(image)
        if image.mode not in {'1', 'L'}:
            image = image.convert('L')
        yield image


def render_page(pdf, number, dpi=300):
    "Render the page number (from 1) with pdftoppm"
    if not shutil.which('pdftoppm'):
        raise OCRError("pdftoppm (poppler-utils) is missing")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, 'in.pdf')
        with open(path, 'wb') as file:
            file.write(pdf)
        subprocess.run(['pdftoppm', '-r', str(dpi), '-gray', '-png',
                '-f', str(number), '-l', str(number), path,
                os.path.join(folder, 'page')], check=True,
            capture_output=True, timeout=120)
        name, = [n for n in os.listdir(folder) if n.startswith('page')]
        with Image.open(os.path.join(folder, name)) as image:
            return image.copy()


def detect_orientation(image):
    "Return the clockwise rotation (0, 90, 180, 270) found by OSD"
    import pytesseract
    small = image
    if image.width > 1400:
        ratio = 1400 / image.width
        small = image.resize(
            (1400, int(image.height * ratio)), Image.Resampling.BILINEAR)
    try:
        osd = pytesseract.image_to_osd(
            small, config='--psm 0 -c min_characters_to_try=50',
            output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractError:
        # too little text to decide: keep the page as it is
        return 0
    if osd.get('orientation_conf', 0) < 1.5:
        return 0
    return int(osd.get('rotate', 0)) % 360


def estimate_skew(image, limit=5.0, step=0.25):
    """Return the angle in degrees (counter-clockwise) that makes the text
    lines horizontal, by maximising the variance of the row profile"""
    import numpy as np
    width = 900
    ratio = width / image.width
    small = image.convert('L').resize(
        (width, max(1, int(image.height * ratio))),
        Image.Resampling.BILINEAR)
    ink = ImageOps.invert(small).point(lambda v: 255 if v > 110 else 0)

    def score(angle):
        rotated = ink.rotate(angle, resample=Image.Resampling.NEAREST,
            fillcolor=0)
        rows = np.asarray(rotated, dtype=np.float32).sum(axis=1)
        return float(np.var(np.diff(rows)))

    best, best_score = 0.0, score(0.0)
    # coarse then fine search
    angle = -limit
    while angle <= limit:
        value = score(angle)
        if value > best_score:
            best, best_score = angle, value
        angle += 1.0
    center = best
    angle = center - 1.0
    while angle <= center + 1.0:
        value = score(angle)
        if value > best_score:
            best, best_score = angle, value
        angle += step
    return round(best, 2)


def otsu_threshold(image):
    "Return the grey level that best separates ink from paper (Otsu)"
    histogram = image.histogram()[:256]
    total = sum(histogram)
    sum_all = sum(i * h for i, h in enumerate(histogram))
    sum_back = weight_back = 0
    best, threshold = -1.0, 128
    for level in range(256):
        weight_back += histogram[level]
        if not weight_back:
            continue
        weight_fore = total - weight_back
        if not weight_fore:
            break
        sum_back += level * histogram[level]
        mean_back = sum_back / weight_back
        mean_fore = (sum_all - sum_back) / weight_fore
        between = weight_back * weight_fore * (mean_back - mean_fore) ** 2
        if between > best:
            best, threshold = between, level
    return threshold


def binarize(image):
    "Return the black and white image (1 bit) of a grayscale page"
    if image.mode == '1':
        return image
    image = image.convert('L')
    threshold = otsu_threshold(image)
    return image.point(lambda v: 255 if v > threshold else 0).convert('1')


def deskew_image(image, deskew=True):
    "Return (black and white image, skew angle) with horizontal lines"
    skew = 0.0
    if deskew:
        skew = estimate_skew(image)
        if abs(skew) >= 0.2:
            image = image.convert('L').rotate(skew,
                resample=Image.Resampling.BILINEAR, expand=True,
                fillcolor=255)
    return binarize(image), skew


def parse_tsv(tsv):
    """Return the text segments of the TSV in reading order as
    [text, confidence, x, y, height, right edge]: a line is cut where a
    wide gap separates two columns (sender and recipient side by side)"""
    rows = []
    for row in tsv.splitlines()[1:]:
        cols = row.split('\t')
        if len(cols) < 12 or cols[0] != '5' or not cols[11].strip():
            continue
        rows.append((tuple(cols[1:5]), int(cols[6]), int(cols[7]),
                int(cols[8]), int(cols[9]), max(float(cols[10]), 0.0),
                cols[11].strip()))
    lines = {}
    for key, *word in rows:
        lines.setdefault(key, []).append(word)
    segments = []
    for words in lines.values():
        words.sort()
        heights = sorted(w[3] for w in words)
        gap = 3 * heights[len(heights) // 2]
        current = [words[0]]
        for word in words[1:]:
            previous = current[-1]
            if word[0] - (previous[0] + previous[2]) > gap:
                segments.append(current)
                current = []
            current.append(word)
        segments.append(current)
    result = []
    for words in segments:
        text = ' '.join(w[5] for w in words)
        confidence = round(sum(w[4] for w in words) / len(words), 1)
        result.append([text, confidence, words[0][0],
                min(w[1] for w in words), max(w[3] for w in words),
                max(w[0] + w[2] for w in words)])
    result.sort(key=lambda s: (s[3], s[2]))
    return result


def _recognise(image, lang, timeout):
    import pytesseract

    # the pages are recognised in parallel: one thread per tesseract
    os.environ.setdefault('OMP_THREAD_LIMIT', '1')
    try:
        pdf, text, tsv = pytesseract.run_and_get_multiple_output(
            image, extensions=['pdf', 'txt', 'tsv'], lang=lang,
            timeout=timeout)
    except (pytesseract.TesseractError, RuntimeError) as exception:
        raise OCRError(str(exception)) from exception
    if isinstance(text, bytes):
        text = text.decode('utf-8', 'replace')
    if isinstance(tsv, bytes):
        tsv = tsv.decode('utf-8', 'replace')
    lines = parse_tsv(tsv)
    words = sum(len(s[0].split()) for s in lines) or 1
    confidence = round(
        sum(s[1] * len(s[0].split()) for s in lines) / words, 1) \
        if lines else 0.0
    return {
        'text': text,
        'lines': lines,
        'confidence': confidence,
        'words': words if lines else 0,
        'pdf': pdf,
        }


def ocr_image(image, lang='fra', orientation=True, deskew=True,
        timeout=180, min_confidence=70):
    """Recognise one page image. Return a dict with text, lines
    [(text, confidence)], confidence, rotation, skew and pdf (one page).

    The page is deskewed and binarised, then recognised; when the result
    is poor (upside-down or sideways scan), Tesseract's orientation
    detection (OSD) turns the page and it is recognised again."""
    page, skew = deskew_image(image, deskew=deskew)
    result = _recognise(page, lang, timeout)
    rotation = 0
    if orientation and (result['confidence'] < min_confidence
            or result['words'] < 15):
        rotation = detect_orientation(image)
        if rotation:
            turned = image.rotate(-rotation, expand=True, fillcolor=255)
            page, skew = deskew_image(turned, deskew=deskew)
            other = _recognise(page, lang, timeout)
            if other['confidence'] >= result['confidence']:
                result = other
            else:
                rotation = 0
    result['rotation'] = rotation
    result['skew'] = skew
    return result


def ocr_document(data, lang='fra', orientation=True, deskew=True,
        workers=None):
    """OCR every page of a scan (PDF or image) in parallel.

    Return a dict: text (pages separated by form feeds), pages (count),
    lines [[text, confidence, page, x, y, height, right]], confidence,
    rotations, skews and pdf (the searchable PDF)."""
    if not available():
        raise OCRError("tesseract is not installed")
    pdf, _ = to_pdf(data)
    try:
        images = list(page_images(pdf))
    except OCRError:
        raise
    except Exception as exception:  # a hostile PDF may break pypdf/poppler
        raise OCRError("unreadable PDF: %s" % exception) from exception
    workers = workers or min(len(images), os.cpu_count() or 1)

    def run(image):
        return ocr_image(image, lang=lang, orientation=orientation,
            deskew=deskew)
    if workers > 1 and len(images) > 1:
        # tesseract runs as a sub-process: threads are enough
        with ThreadPoolExecutor(max_workers=workers) as executor:
            results = list(executor.map(run, images))
    else:
        results = [run(i) for i in images]
    writer = PdfWriter()
    for result in results:
        for page in PdfReader(io.BytesIO(result['pdf'])).pages:
            writer.add_page(page)
    output = io.BytesIO()
    writer.write(output)
    lines = [[t, c, n, x, y, h, right] for n, r in enumerate(results, 1)
        for t, c, x, y, h, right in r['lines']]
    words = sum(len(s[0].split()) for s in lines) or 1
    return {
        'text': '\f'.join(r['text'] for r in results),
        'pages': len(results),
        'lines': lines,
        'confidence': round(
            sum(s[1] * len(s[0].split()) for s in lines) / words, 1)
        if lines else 0.0,
        'rotations': [r['rotation'] for r in results],
        'skews': [r['skew'] for r in results],
        'pdf': output.getvalue(),
        }


def thumbnail(pdf, width=900):
    "Return a PNG of the first page of the PDF, width pixels wide"
    image = next(page_images(pdf))
    ratio = width / image.width
    image = image.resize((width, int(image.height * ratio)),
        Image.Resampling.LANCZOS)
    output = io.BytesIO()
    image.save(output, format='PNG', optimize=True)
    return output.getvalue()
