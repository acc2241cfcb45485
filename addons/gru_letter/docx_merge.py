# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Merge the ${variables} of the letter templates into .docx letters with
python-docx; the syntax, the paragraphs read and the replacement across
Word's runs are those of gru_scheme.placeholder, which also checks the
templates."""
import io
import os
import shutil
import subprocess
import tempfile

from gru_scheme import placeholder


def placeholders(data):
    "Return the sorted names of the placeholders of the .docx data"
    return sorted(placeholder.docx_names(data))


def merge(data, values):
    """Return (docx bytes, missing names) with the placeholders of the
    .docx data replaced by values (a dict); unknown names become empty
    and are returned in missing"""
    document = placeholder.open_docx(data)
    missing = set()

    def replace(name):
        if name in values:
            return values[name]
        missing.add(name)
        return ''
    for paragraph in placeholder.paragraphs(document):
        placeholder.replace_in_paragraph(
            paragraph, placeholder.PLACEHOLDER, replace)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue(), sorted(missing)


def text_of(data):
    "Return the plain text of the .docx data"
    return '\n'.join(placeholder.docx_texts(data))


def default_template():
    "Return a plain reply letter .docx with the usual ${variables}"
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    document = docx.Document()
    header = document.sections[0].header.paragraphs[0]
    header.text = "${antenna_letterhead}"
    for text in ["${usager_name}", "${usager_address}"]:
        paragraph = document.add_paragraph(text)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.add_paragraph("${antenna_city}, ${date}").alignment = \
        WD_ALIGN_PARAGRAPH.RIGHT
    document.add_paragraph("N/Réf. : ${letter_number} — ${reference}")
    document.add_paragraph("Objet : ${subject}")
    document.add_paragraph("${salutation},")
    document.add_paragraph("${body}")
    document.add_paragraph("${agent}\n${antenna}")
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
