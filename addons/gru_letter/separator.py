# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Separator sheets of batch scans: print them, find them in a scan."""
import io

from PIL import Image, ImageDraw, ImageFont

from .tesseract import page_images

SEPARATOR_CODE = 'GRU-LETTER-SEPARATOR'
A4_300 = (2480, 3508)


def _font(size):
    for name in ['DejaVuSans-Bold.ttf', 'LiberationSans-Bold.ttf']:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def separator_image(title="SEPARATOR", subtitle=""):
    "Return the separator sheet as a 300 dpi A4 grayscale image"
    import segno
    page = Image.new('L', A4_300, 255)
    draw = ImageDraw.Draw(page)
    qr = segno.make(SEPARATOR_CODE, error='h')
    buffer = io.BytesIO()
    qr.save(buffer, kind='png', scale=30, border=2)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert('L')
    x = (A4_300[0] - code.width) // 2
    page.paste(code, (x, 700))
    for y, text, size in [
            (350, title, 120),
            (700 + code.height + 120, subtitle, 60),
            (700 + code.height + 260, SEPARATOR_CODE, 50)]:
        if not text:
            continue
        font = _font(size)
        width = draw.textlength(text, font=font)
        draw.text(((A4_300[0] - width) / 2, y), text, fill=0, font=font)
    # a frame makes the sheet easy to spot in a pile
    draw.rectangle([60, 60, A4_300[0] - 60, A4_300[1] - 60], outline=0,
        width=12)
    return page


def separator_pdf(count=1, title="SEPARATOR", subtitle=""):
    "Return a PDF of count separator sheets to print"
    image = separator_image(title=title, subtitle=subtitle)
    output = io.BytesIO()
    image.save(output, format='PDF', save_all=True,
        append_images=[image] * (count - 1), resolution=300.0)
    return output.getvalue()


def is_separator(image):
    "Return True when the page image carries the separator QR code"
    import zxingcpp
    small = image
    if image.width > 1240:
        ratio = 1240 / image.width
        small = image.resize((1240, int(image.height * ratio)),
            Image.Resampling.BILINEAR)
    for result in zxingcpp.read_barcodes(small):
        if result.text == SEPARATOR_CODE:
            return True
    return False


def is_blank(image, threshold=0.002):
    "Return True when less than threshold of the page is ink"
    small = image.convert('L').resize((620, 877), Image.Resampling.BILINEAR)
    # ignore the borders where scanners leave shadows
    small = small.crop((30, 30, 590, 847))
    histogram = small.point(lambda v: 255 if v < 128 else 0).histogram()
    ink = histogram[255]
    return ink / (small.width * small.height) < threshold


def find_separators(pdf, blank=False):
    """Return the indexes (from 0) of the separator pages of the PDF;
    blank pages count as separators when blank is True"""
    found = []
    for index, image in enumerate(page_images(pdf)):
        if is_separator(image) or (blank and is_blank(image)):
            found.append(index)
    return found


def split_ranges(size, separators):
    """Return the page expression (1-based, core split syntax) of the
    letters between the separators, e.g. '1-3,5-6'"""
    separators = set(separators)
    ranges, start = [], None
    for index in range(size):
        if index in separators:
            if start is not None:
                ranges.append((start, index - 1))
                start = None
        elif start is None:
            start = index
    if start is not None:
        ranges.append((start, size - 1))
    return ','.join(
        '%d-%d' % (s + 1, e + 1) if s != e else '%d' % (s + 1)
        for s, e in ranges)
