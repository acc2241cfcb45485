# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The sanitising of received HTML, on its own (no database)."
import base64
import unittest

from gru_inbox.html import (
    MAX_IMAGE_SIZE, NOTE, NOTE_HTML, sanitize_html, translate_note)

PNG = base64.b64decode(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAC'
    'hwGA60e6kgAAAABJRU5ErkJggg==')
PNG_URL = 'data:image/png;base64,' + base64.b64encode(PNG).decode()


class SanitizeHtmlTestCase(unittest.TestCase):
    "Test sanitize_html"

    def assertBlocked(self, html, result):
        self.assertTrue(result.startswith(NOTE_HTML), result)
        self.assertEqual(result.count(NOTE), 1, result)
        # sanitising again changes nothing
        self.assertEqual(sanitize_html(result), result)

    def test_tracking_pixel_removed(self):
        "A remote image is not loaded and the note says so"
        html = ('<p>Bonjour</p><img src="http://t.example.com/o.gif?id=42" '
            'width="1" height="1">')
        result = sanitize_html(html)
        self.assertNotIn('t.example.com', result)
        self.assertNotIn('src=', result)
        self.assertIn('<p>Bonjour</p>', result)
        self.assertBlocked(html, result)

    def test_other_image_sources_removed(self):
        "Scheme-relative, relative and obfuscated sources are blocked too"
        for src in ['//t.example.com/o.gif', 'o.gif', '/db/o.gif',
                'https://t.example.com/o.gif', ' ht\ttps://t.example.com/',
                'HTTP://T.EXAMPLE.COM/O.GIF', 'ftp://t.example.com/o.gif']:
            with self.subTest(src=src):
                result = sanitize_html('<img src="%s" alt="x">' % src)
                self.assertNotIn('src=', result)
                self.assertBlocked(src, result)

    def test_remote_attributes_and_tags_removed(self):
        "srcset, background, poster, link, video, audio, source are removed"
        html = ('<link rel="stylesheet" href="https://t.example.com/s.css">'
            '<table background="https://t.example.com/b.png"><tr><td>'
            'Texte</td></tr></table>'
            '<img srcset="https://t.example.com/a.png 2x" src="%s">'
            '<video src="https://t.example.com/v.mp4" '
            'poster="https://t.example.com/p.png">'
            '<source src="https://t.example.com/v.webm"></video>'
            '<audio src="https://t.example.com/a.mp3"></audio>'
            '<object data="https://t.example.com/o.swf"></object>'
            '<svg><image href="https://t.example.com/s.png"/></svg>'
            % PNG_URL)
        result = sanitize_html(html)
        self.assertNotIn('t.example.com', result)
        self.assertIn('Texte', result)
        self.assertIn('<img src="%s">' % PNG_URL, result)
        self.assertBlocked(html, result)

    def test_css_url_removed(self):
        "CSS url() of style attributes and elements is not loaded"
        for html in [
                '<div style="background-image: url(\'https://t.example.com'
                '/b.png\')">Texte</div>',
                '<p style="background:URL(//t.example.com/b.png)">Texte</p>',
                '<style>@import "https://t.example.com/s.css";</style>'
                '<p>Texte</p>',
                '<style>p {background: url(https://t.example.com/b.png)}'
                '</style><p>Texte</p>',
                ]:
            with self.subTest(html=html):
                result = sanitize_html(html)
                self.assertNotIn('t.example.com', result)
                self.assertNotIn('url(', result.lower())
                self.assertIn('Texte', result)
                self.assertBlocked(html, result)

    def test_no_note_without_remote_content(self):
        "HTML loading nothing keeps no note; links stay links"
        html = ('<p>Voir <a href="https://www.example.org/aide">le site</a>'
            ' <img src="%s" alt="logo"></p>' % PNG_URL)
        result = sanitize_html(html)
        self.assertNotIn(NOTE, result)
        self.assertEqual(result, '<p>Voir <a href="https://www.example.org/'
            'aide" rel="noopener noreferrer">le site</a> <img src="%s" '
            'alt="logo"></p>' % PNG_URL)
        self.assertEqual(sanitize_html(result), result)
        self.assertIsNone(sanitize_html(None))
        self.assertEqual(sanitize_html(''), '')

    def test_cid_replaced_from_attachment(self):
        "A cid: image is shown from the part of the mail with its Content-ID"
        images = {'logo.png@01DB2F': ('image/png', PNG)}
        for src in ['cid:logo.png@01DB2F', 'cid:logo.png%4001DB2F',
                'CID:<LOGO.PNG@01db2f>']:
            with self.subTest(src=src):
                result = sanitize_html(
                    '<p>Logo <img src="%s" alt="Logo"></p>' % src,
                    images=images)
                self.assertEqual(result,
                    '<p>Logo <img src="%s" alt="Logo"></p>' % PNG_URL)
                self.assertEqual(sanitize_html(result), result)

    def test_cid_blocked(self):
        """A cid: image is blocked when its part is missing, not an image,
        an SVG or over the size limit"""
        big = b'\x89PNG' + b'0' * MAX_IMAGE_SIZE
        for images in [None, {}, {'other@x': ('image/png', PNG)},
                {'img@x': ('application/pdf', b'%PDF-1.4')},
                {'img@x': ('text/html', b'<script>alert(1)</script>')},
                {'img@x': ('image/svg+xml', b'<svg onload="alert(1)"/>')},
                {'img@x': ('image/png', big)},
                {'img@x': ('image/png', b'')}]:
            with self.subTest(images=images and list(images.values())[0][0]):
                result = sanitize_html('<img src="cid:img@x" alt="x">',
                    images=images)
                self.assertEqual(result, NOTE_HTML + '<img alt="x">')
        result = sanitize_html('<img src="cid:img@x">',
            images={'img@x': ('image/png', big[:MAX_IMAGE_SIZE])})
        self.assertTrue(result.startswith('<img src="data:image/png;'))
        self.assertEqual(sanitize_html(result), result)

    def test_data_url_only_image(self):
        "A data: URI is kept for an image only"
        for html in [
                '<img src="data:text/html;base64,PHNjcmlwdD4=">',
                '<img src="data:image/svg+xml;base64,PHN2Zy8+">',
                '<img src="data:image/png,rawbytes">',
                ]:
            with self.subTest(html=html):
                result = sanitize_html(html)
                self.assertNotIn('data:', result)
                self.assertBlocked(html, result)
        self.assertEqual(
            sanitize_html('<a href="data:text/html,<script>x</script>">l</a>'),
            '<a rel="noopener noreferrer">l</a>')

    def test_javascript_removed(self):
        "Scripts, event handlers, javascript: URIs and frames stay removed"
        html = ('<div onclick="steal()">Cliquez <a href="javascript:alert(1)"'
            '>ici</a></div><script>alert(1)</script>'
            '<img src="x" onerror="alert(1)">'
            '<iframe src="https://t.example.com/"></iframe>'
            '<form action="https://t.example.com/"><input name="q"></form>')
        result = sanitize_html(html)
        for text in ['onclick', 'javascript', 'script', 'alert', 'onerror',
                'iframe', 'form', 'input', 't.example.com']:
            self.assertNotIn(text, result)
        self.assertIn('Cliquez', result)
        self.assertBlocked(html, result)

    def test_note_not_forged(self):
        "The note is the module's own: a mail cannot write in it"
        forged = ('<p class="gru-external-blocked"><em>Appelez le 0899'
            '</em></p><p>Texte</p>')
        self.assertEqual(sanitize_html(forged), NOTE_HTML + '<p>Texte</p>')
        result = sanitize_html('<p>Texte</p>' + forged)
        self.assertNotIn(NOTE, result)
        self.assertNotIn('gru-external-blocked', result)

    def test_translate_note(self):
        "The note is shown in the language of the reader and stays a note"
        stored = sanitize_html('<img src="https://t.example.com/o.gif">')
        shown = translate_note(stored, "Images externes bloquées")
        self.assertEqual(shown, '<p class="gru-external-blocked"><em>'
            'Images externes bloquées</em></p><img>')
        # written back as read, it is stored again in English
        self.assertEqual(sanitize_html(shown), stored)
        self.assertEqual(translate_note(stored, "<b>x</b>"),
            '<p class="gru-external-blocked"><em>&lt;b&gt;x&lt;/b&gt;'
            '</em></p><img>')
        self.assertEqual(translate_note('<p>Texte</p>', "Note"),
            '<p>Texte</p>')
        self.assertIsNone(translate_note(None, "Note"))
