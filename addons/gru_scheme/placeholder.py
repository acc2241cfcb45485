# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The one placeholder syntax of the templates, ``${variable}``, in texts
and in .docx documents (no database).

The texts follow ``string.Template`` (``$$`` is a dollar sign); in a .docx
a placeholder is ``${variable}``. Word splits typed text into runs at will
("${usa" + "ger_name}"): the placeholders are found in the text of the whole
paragraph and replaced run by run, keeping the formatting of the run where
each one starts. ``{{variable}}`` is the syntax of the former reply letter
templates: it is only recognised to be converted or refused."""
import io
import re
import string
import zipfile

PLACEHOLDER = re.compile(r'\$\{([_a-zA-Z][_a-zA-Z0-9]*)\}')
LEGACY = re.compile(r'\{\{\s*([_a-zA-Z][_a-zA-Z0-9]*)\s*\}\}')


def _unique(names):
    result = []
    for name in names:
        if name not in result:
            result.append(name)
    return result


def names(text):
    "Return the names of the ${variables} of text, in order"
    return string.Template(text or '').get_identifiers()


def is_valid(text):
    "Tell whether every $ of text starts a placeholder or is $$"
    return string.Template(text or '').is_valid()


def legacy_names(text):
    "Return the names of the {{variables}} of text, in order"
    return _unique(LEGACY.findall(text or ''))


def from_legacy(text):
    "Return text with its {{variables}} written ${variables}"
    if not text:
        return text
    return LEGACY.sub(lambda m: '${%s}' % m.group(1), text)


def paragraphs(document):
    """Yield every paragraph of the python-docx document: body, tables,
    headers and footers"""
    def walk(container):
        for paragraph in container.paragraphs:
            yield paragraph
        for table in getattr(container, 'tables', []):
            for row in table.rows:
                for cell in row.cells:
                    yield from walk(cell)
    yield from walk(document)
    for section in document.sections:
        for part in [section.header, section.footer,
                section.first_page_header, section.first_page_footer,
                section.even_page_header, section.even_page_footer]:
            if part is not None and not part.is_linked_to_previous:
                yield from walk(part)


def open_docx(data):
    """Return the python-docx document of data; raise ValueError when data
    is not a readable .docx"""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    try:
        return docx.Document(io.BytesIO(data or b''))
    # not a zip, a zip without Word part, a damaged XML part (lxml's
    # XMLSyntaxError is a SyntaxError)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError,
            SyntaxError) as exception:
        raise ValueError(str(exception) or type(exception).__name__) \
            from exception


def docx_texts(data):
    "Return the texts of the paragraphs of the .docx data"
    return [p.text for p in paragraphs(open_docx(data))]


def docx_names(data):
    "Return the names of the ${variables} of the .docx data, in order"
    return _unique(n for text in docx_texts(data)
        for n in PLACEHOLDER.findall(text))


def docx_legacy_names(data):
    "Return the names of the {{variables}} of the .docx data, in order"
    return _unique(n for text in docx_texts(data)
        for n in LEGACY.findall(text))


def replace_in_paragraph(paragraph, pattern, replace):
    """Replace in the python-docx paragraph each match of pattern by
    replace(name) (a text), across runs; return whether it changed"""
    text = ''.join(r.text for r in paragraph.runs)
    matches = list(pattern.finditer(text))
    if not matches:
        return False
    # the run holding each character of the paragraph text
    owners = []
    for index, run in enumerate(paragraph.runs):
        owners.extend([index] * len(run.text))
    texts = [r.text for r in paragraph.runs]
    # replace from the end so the offsets stay valid
    for match in reversed(matches):
        value = replace(match.group(1))
        value = '' if value is None else str(value)
        start, end = match.span()
        first, last = owners[start], owners[end - 1]
        # offsets inside the first and the last run
        first_offset = start - owners.index(first)
        last_offset = end - owners.index(last)
        if first == last:
            run_text = texts[first]
            texts[first] = (run_text[:first_offset] + value
                + run_text[last_offset:])
        else:
            texts[first] = texts[first][:first_offset] + value
            for index in range(first + 1, last):
                texts[index] = ''
            texts[last] = texts[last][last_offset:]
    for run, value in zip(paragraph.runs, texts):
        if run.text != value:
            # python-docx writes a line break for each newline
            run.text = value
    return True


def substitute_docx(data, pattern, replace):
    """Return (the .docx bytes, whether it changed) with each match of
    pattern replaced by replace(name) in every paragraph"""
    document = open_docx(data)
    changed = False
    for paragraph in paragraphs(document):
        changed |= replace_in_paragraph(paragraph, pattern, replace)
    if not changed:
        return data, False
    output = io.BytesIO()
    document.save(output)
    return output.getvalue(), True


def docx_from_legacy(data):
    "Return the .docx data with its {{variables}} written ${variables}"
    data, _ = substitute_docx(data, LEGACY, lambda name: '${%s}' % name)
    return data
