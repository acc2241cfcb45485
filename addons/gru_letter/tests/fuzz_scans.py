# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Corrupt scans for fuzzing the letter intake.

build(rnd) returns (file name, bytes) of one hostile scan drawn from rnd
(random.Random or the random of hypothesis): a small valid PDF, TIFF, PNG
or JPEG truncated, with flipped bytes, garbage inside a valid header, the
wrong magic, zero bytes, an encrypted PDF, a PDF whose page count or page
size lies, an image declaring huge dimensions (decompression bomb).
Used by test_fuzz.py and scripts/fuzz --target letters.
"""
import io
import struct
import zlib

from PIL import Image, ImageDraw
from pypdf import PdfWriter

EXTENSIONS = {'pdf': ['.pdf', '.PDF'], 'tiff': ['.tif', '.tiff'],
    'png': ['.png'], 'jpeg': ['.jpg', '.jpeg']}
_seeds = None


def _page(width=200, height=100, text="Madame, Monsieur"):
    image = Image.new('L', (width, height), 255)
    ImageDraw.Draw(image).text((10, 40), text, fill=0)
    return image


def _png_chunk(kind, data):
    return (struct.pack('>I', len(data)) + kind + data
        + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))


def png_bomb(width, height):
    "Return a PNG declaring width x height pixels with a tiny IDAT"
    header = struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0)
    # the first rows only: zeros compress to almost nothing, the decoder
    # finds the data short (a real bomb would hold them all)
    data = zlib.compress(b'\x00' * min((width + 1) * min(height, 16),
            1 << 20), 9)
    return (b'\x89PNG\r\n\x1a\n' + _png_chunk(b'IHDR', header)
        + _png_chunk(b'IDAT', data) + _png_chunk(b'IEND', b''))


def tiff_lying(width, height, frames=1):
    "Return a little-endian TIFF whose strips point beyond its end"
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8),
        (259, 3, 1, 1), (262, 3, 1, 1), (273, 4, 1, 10 ** 6),
        (277, 3, 1, 1), (278, 4, 1, height), (279, 4, 1, width * height)]
    data = b'II*\x00' + struct.pack('<I', 8)
    for index in range(frames):
        offset = len(data)
        following = offset + 2 + 12 * len(entries) + 4
        data += struct.pack('<H', len(entries))
        for tag, kind, count, value in entries:
            if kind == 3:
                data += struct.pack('<HHIHH', tag, kind, count, value, 0)
            else:
                data += struct.pack('<HHII', tag, kind, count, value)
        data += struct.pack('<I', following if index + 1 < frames else 0)
    return data


def seeds():
    "Return {kind: [valid scans]} of small pages"
    global _seeds
    if _seeds is None:
        page, other = _page(), _page(text="Objet : demande d'aide")
        pdf = io.BytesIO()
        page.save(pdf, format='PDF', save_all=True, append_images=[other],
            resolution=72.0)
        writer = PdfWriter()
        writer.add_blank_page(width=100, height=100)
        blank = io.BytesIO()
        writer.write(blank)
        encrypted = PdfWriter()
        encrypted.add_blank_page(width=100, height=100)
        encrypted.encrypt(user_password='secret', owner_password='owner')
        locked = io.BytesIO()
        encrypted.write(locked)
        # fresh images: saving a PDF leaves an encoder setting on them
        tiff = io.BytesIO()
        _page().save(tiff, format='TIFF', save_all=True,
            append_images=[_page(text="Objet")], compression='tiff_lzw')
        png = io.BytesIO()
        _page().save(png, format='PNG')
        jpeg = io.BytesIO()
        _page().save(jpeg, format='JPEG', quality=50)
        _seeds = {
            'pdf': [pdf.getvalue(), blank.getvalue(), locked.getvalue()],
            'tiff': [tiff.getvalue()],
            'png': [png.getvalue()],
            'jpeg': [jpeg.getvalue()],
            }
    return _seeds


def _bytes(rnd, size):
    return bytes(rnd.getrandbits(8) for _ in range(size))


def mutate(rnd, data):
    "Return data damaged by a few byte-level mutations"
    data = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        kind = rnd.randint(0, 5)
        position = rnd.randint(0, len(data))
        if kind == 0 and data:
            index = min(position, len(data) - 1)
            data[index] ^= 1 << rnd.randint(0, 7)
        elif kind == 1:
            # truncated (a scanner stopped, a copy cut)
            del data[max(1, position):]
        elif kind == 2:
            size = rnd.randint(1, 64)
            data[position:position + size] = b'\x00' * size
        elif kind == 3:
            data[position:position] = _bytes(rnd, rnd.randint(1, 64))
        elif kind == 4:
            del data[position:position + rnd.randint(1, 100)]
        else:
            old, new = rnd.choice([(b'/Count 2', b'/Count 999999'),
                    (b'/Count 1', b'/Count -1'), (b'xref', b'xrf'),
                    (b'/MediaBox [ 0 0 100 100 ]',
                        b'/MediaBox [ 0 0 14400 14400 ]'),
                    (b'/FlateDecode', b'/DCTDecode'), (b'endobj', b''),
                    (b'/Length', b'/Length 99999999 /X'), (b'IDAT', b'IDAX'),
                    (b'\x00\x01', b'\xff\xff')])
            data = bytearray(bytes(data).replace(old, new))
    return bytes(data)


def build(rnd):
    "Return (file name, data) of one hostile scan drawn from rnd"
    kind = rnd.choice(sorted(EXTENSIONS))
    data = rnd.choice(seeds()[kind])
    way = rnd.randint(0, 11)
    if way == 0:
        data = b''
    elif way == 1:
        # garbage behind a valid magic
        data = data[:rnd.choice([3, 4, 5, 8, 16])] + _bytes(
            rnd, rnd.randint(0, 512))
    elif way == 2:
        # the content of another format under this name
        other = rnd.choice([k for k in sorted(EXTENSIONS) if k != kind])
        data = rnd.choice(seeds()[other])
    elif way == 3:
        data = _bytes(rnd, rnd.randint(1, 512))
    elif way == 4:
        kind = 'png'
        data = png_bomb(rnd.choice([1, 30000, 70000, 2 ** 31 - 1]),
            rnd.choice([1, 30000, 70000, 2 ** 31 - 1]))
    elif way == 5:
        kind = 'tiff'
        data = tiff_lying(rnd.choice([1, 100, 50000]),
            rnd.choice([1, 100, 50000]), frames=rnd.choice([1, 2, 300]))
    elif way >= 6:
        data = mutate(rnd, data)
    return 'scan-%06d%s' % (rnd.randint(0, 999999),
        rnd.choice(EXTENSIONS[kind])), data
