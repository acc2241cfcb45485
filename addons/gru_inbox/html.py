# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Make the HTML of a received message safe to display.

Pure Python (no database): the message model and the mail channel call
sanitize_html(html).

Nothing in the result makes the browser send a request by itself: no
script, style, event handler or frame (nh3), and no remote image. An image
is shown only from a data: URI of an image type (the mail channel turns
the cid: references into such URIs from the parts of the mail); any other
source, and every other remote resource (srcset, background, CSS url(),
link, video, audio, source, object...), is removed and the result starts
with a note saying so. Links stay links.
"""
import base64
import re
from html import escape
from html.parser import HTMLParser
from urllib.parse import unquote

import nh3

NOTE = "External images blocked"
NOTE_CLASS = 'gru-external-blocked'
_NOTE_START = '<p class="%s"><em>' % NOTE_CLASS
_NOTE_END = '</em></p>'
NOTE_HTML = _NOTE_START + escape(NOTE) + _NOTE_END
# the note at the start of a sanitised HTML, in any language
_NOTE = re.compile(r'\s*<p class="%s"><em>[^<]*</em></p>' % NOTE_CLASS)
MAX_IMAGE_SIZE = 2 * 1024 * 1024
# image types shown inline; SVG is a document (scripts, remote references)
IMAGE_TYPE = re.compile(r'image/[a-z0-9][a-z0-9.+-]*\Z')
IMAGE_TYPES_EXCLUDED = {'image/svg+xml'}
DATA_URL = re.compile(
    r'data:(image/[a-z0-9][a-z0-9.+-]*);base64,([a-z0-9+/=\s]*)\Z',
    re.IGNORECASE)
SCHEME = re.compile(r'([a-z][a-z0-9+.-]*):', re.IGNORECASE)
URL_SCHEMES = nh3.ALLOWED_URL_SCHEMES | {'data', 'cid'}
# the attributes nh3 keeps that hold a URL
URL_ATTRIBUTES = {'href', 'src', 'cite'}
# the attributes whose URL the browser loads by itself
LOADING_ATTRIBUTES = {'src', 'srcset', 'imagesrcset', 'background',
    'poster', 'lowsrc', 'dynsrc', 'data', 'codebase', 'archive',
    'manifest', 'xlink:href'}
LOADING_HREF_TAGS = {'link', 'image', 'use', 'feimage', 'base'}
CSS_LOADING = re.compile(r'(url|image|image-set|src)\s*\(|@import',
    re.IGNORECASE)


def _normalize_url(value):
    "Return value as a browser reads a URL: no tab, newline or spaces"
    return re.sub(r'[\t\n\r]', '', value or '').strip('\x00\x20\x0c')


def _scheme(url):
    match = SCHEME.match(url)
    return match.group(1).lower() if match else None


def _is_image_type(content_type):
    return bool(IMAGE_TYPE.match(content_type)) \
        and content_type not in IMAGE_TYPES_EXCLUDED


def data_url(content_type, data, max_size=MAX_IMAGE_SIZE):
    """Return the data: URI of the image data of content_type, or None
    when it is not an image type or is empty or larger than max_size"""
    content_type = (content_type or '').split(';')[0].strip().lower()
    if not data or not _is_image_type(content_type) \
            or len(data) > max_size:
        return None
    return 'data:%s;base64,%s' % (
        content_type, base64.b64encode(data).decode('ascii'))


def image_url(value, images=None, max_size=MAX_IMAGE_SIZE):
    """Return the URL to show for the image source value, or None to block
    it: a data: URI of an image type under max_size, or the data: URI of
    the image images (a mapping of Content-ID to (content type, data))
    gives for a cid: URI. Anything else would be loaded from elsewhere."""
    url = _normalize_url(value)
    scheme = _scheme(url)
    if scheme == 'cid':
        content_id = unquote(url[4:]).strip().strip('<>')
        if not images or not content_id:
            return None
        image = images.get(content_id)
        if image is None:
            # Content-IDs are compared case-insensitively by most clients
            lower = content_id.lower()
            image = next((v for k, v in images.items()
                    if k and k.lower() == lower), None)
        if image is None:
            return None
        content_type, data = image
        return data_url(content_type, data, max_size=max_size)
    elif scheme == 'data':
        match = DATA_URL.match(url)
        if not match:
            return None
        content_type = match.group(1).lower()
        payload = re.sub(r'\s', '', match.group(2))
        size = len(payload) * 3 // 4 - payload[-2:].count('=')
        if not _is_image_type(content_type) or size > max_size:
            return None
        return 'data:%s;base64,%s' % (content_type, payload)
    return None


class _LoadScanner(HTMLParser):
    """Find whether the HTML refers to resources the browser would load by
    itself (besides the src of img, which sanitize_html decides on)"""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = False
        self._style = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            url = _normalize_url(value)
            if not url or url.startswith('#'):
                continue
            if tag == 'img' and name == 'src':
                continue
            if (name in LOADING_ATTRIBUTES
                    or (name == 'href' and tag in LOADING_HREF_TAGS)
                    or (name == 'style' and CSS_LOADING.search(url))
                    or (tag == 'meta' and name == 'content'
                        and 'url=' in url.lower())):
                self.found = True
        if tag == 'style':
            self._style = True

    def handle_endtag(self, tag):
        if tag == 'style':
            self._style = False

    def handle_data(self, data):
        if self._style and CSS_LOADING.search(data):
            self.found = True


def has_remote_content(html):
    "Return whether html loads resources other than the images of img src"
    scanner = _LoadScanner()
    try:
        scanner.feed(html)
        scanner.close()
    except Exception:  # hostile HTML may break html.parser in any way
        # the note is only informative: nh3 removes what it cannot parse
        return False
    return scanner.found


def sanitize_html(html, images=None, max_image_size=MAX_IMAGE_SIZE):
    """Return html safe to display: no script, style, event handler,
    iframe, nor anything loaded from elsewhere (see the module).

    images maps the Content-ID of the parts of the mail to (content type,
    data): the cid: sources of img get the data: URI of their image when
    it is an image type of at most max_image_size bytes. When something
    was blocked, the result starts with NOTE_HTML (see translate_note).
    Sanitising the result again gives it back unchanged."""
    if not html:
        return html
    had_note = False
    match = _NOTE.match(html)
    if match:
        html = html[match.end():]
        had_note = True
    blocked = False
    cache = {}

    def attribute_filter(tag, name, value):
        nonlocal blocked
        if tag == 'img' and name == 'src':
            if not _normalize_url(value):
                return None
            if value not in cache:
                cache[value] = image_url(value, images,
                    max_size=max_image_size)
            url = cache[value]
            if url is None:
                blocked = True
            return url
        if name in URL_ATTRIBUTES \
                and _scheme(_normalize_url(value)) in {'data', 'cid'}:
            # data: and cid: are allowed for the images only
            return None
        return value

    result = nh3.clean(html, url_schemes=URL_SCHEMES,
        attribute_filter=attribute_filter, link_rel='noopener noreferrer')
    if not (blocked or had_note) and result != html:
        # nh3 removed something: was it loaded from elsewhere? (the scan
        # is the slow part, skipped when the note is shown anyway or when
        # nothing was removed, as when sanitising the result again)
        blocked = has_remote_content(html)
    if blocked or had_note:
        result = NOTE_HTML + result
    return result


def translate_note(html, text):
    "Return html with the note of sanitize_html replaced by text"
    if html and text and html.startswith(NOTE_HTML):
        html = _NOTE_START + escape(text) + _NOTE_END + html[len(NOTE_HTML):]
    return html
