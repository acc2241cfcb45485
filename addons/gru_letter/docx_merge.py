# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Merge {{fields}} into .docx reply letters with python-docx.

Word splits typed text into runs at will ("{{usa" + "ger_name}}"): the
placeholders are found in the text of the whole paragraph and replaced
run by run, keeping the formatting of the run where each one starts."""
import io
import os
import re
import shutil
import subprocess
import tempfile

PLACEHOLDER = re.compile(r'\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}')


def _paragraphs(document):
    "Yield every paragraph of the body, tables, headers and footers"
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
                section.first_page_header, section.first_page_footer]:
            if part is not None and not part.is_linked_to_previous:
                yield from walk(part)


def placeholders(data):
    "Return the sorted names of the placeholders of the .docx data"
    import docx
    document = docx.Document(io.BytesIO(data))
    names = set()
    for paragraph in _paragraphs(document):
        names.update(PLACEHOLDER.findall(paragraph.text))
    return sorted(names)


def _merge_paragraph(paragraph, values, missing):
    text = ''.join(r.text for r in paragraph.runs)
    if '{{' not in text:
        return
    matches = list(PLACEHOLDER.finditer(text))
    if not matches:
        return
    # the run holding each character of the paragraph text
    owners = []
    for index, run in enumerate(paragraph.runs):
        owners.extend([index] * len(run.text))
    texts = [r.text for r in paragraph.runs]
    # replace from the end so the offsets stay valid
    for match in reversed(matches):
        name = match.group(1)
        if name in values:
            value = values[name]
        else:
            missing.add(name)
            value = ''
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


def merge(data, values):
    """Return (docx bytes, missing names) with the placeholders of the
    .docx data replaced by values (a dict); unknown names become empty
    and are returned in missing"""
    import docx
    document = docx.Document(io.BytesIO(data))
    missing = set()
    for paragraph in _paragraphs(document):
        _merge_paragraph(paragraph, values, missing)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue(), sorted(missing)


def text_of(data):
    "Return the plain text of the .docx data"
    import docx
    document = docx.Document(io.BytesIO(data))
    return '\n'.join(p.text for p in _paragraphs(document))


def default_template():
    "Return a plain reply letter .docx with the usual merge fields"
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    document = docx.Document()
    header = document.sections[0].header.paragraphs[0]
    header.text = "{{antenna_letterhead}}"
    for text in ["{{usager_name}}", "{{usager_address}}"]:
        paragraph = document.add_paragraph(text)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.add_paragraph("{{antenna_city}}, {{date}}").alignment = \
        WD_ALIGN_PARAGRAPH.RIGHT
    document.add_paragraph("N/Réf. : {{letter_number}} — {{reference}}")
    document.add_paragraph("Objet : {{subject}}")
    document.add_paragraph("{{salutation}},")
    document.add_paragraph("{{body}}")
    document.add_paragraph("{{agent}}\n{{antenna}}")
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def soffice():
    "Return the LibreOffice binary or None"
    from trytond.config import config
    path = config.get('gru_letter', 'soffice', default=None)
    if path:
        return path if os.path.exists(path) else None
    return shutil.which('soffice') or shutil.which('libreoffice')


def to_pdf(data, timeout=120):
    "Return the PDF of the .docx data converted by LibreOffice or None"
    binary = soffice()
    if not binary:
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, 'letter.docx')
        with open(path, 'wb') as file:
            file.write(data)
        subprocess.run([binary, '--headless', '--norestore',
                '-env:UserInstallation=file://%s/profile' % folder,
                '--convert-to', 'pdf', '--outdir', folder, path],
            check=True, capture_output=True, timeout=timeout)
        with open(os.path.join(folder, 'letter.pdf'), 'rb') as file:
            return file.read()
