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
    return letter_template()


def letter_template(organisation=None, footer=None, closing=None):
    """Return a reply letter .docx laid out as a French administrative
    letter: the sender block (organisation and the antenna's letterhead)
    on the left, the recipient's address block on the right, the place
    and date ("Amiens, le 6 décembre 2026"), the references, the object,
    the salutation, the body, the closing and the signature"""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt
    document = docx.Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin, section.bottom_margin = Cm(1.8), Cm(1.8)
    style = document.styles['Normal']
    style.font.name = 'Liberation Sans'
    style.font.size = Pt(10.5)
    style.paragraph_format.space_after = Pt(0)
    recipient = Cm(9.5)

    def add(text='', bold=False, indent=None, align=None, before=0,
            after=0, size=None):
        paragraph = document.add_paragraph()
        lines = text.split('\n')
        for i, line in enumerate(lines):
            run = paragraph.add_run(line)
            run.bold = bold
            if size:
                run.font.size = Pt(size)
            if i < len(lines) - 1:
                run.add_break()
        if indent is not None:
            paragraph.paragraph_format.left_indent = indent
        if align is not None:
            paragraph.alignment = align
        paragraph.paragraph_format.space_before = Pt(before)
        paragraph.paragraph_format.space_after = Pt(after)
        return paragraph
    # the sender block
    if organisation:
        add(organisation, bold=True, size=13)
    add("${antenna_letterhead}", after=18)
    # the recipient's block, where the window of the envelope is
    add("${usager_name}", bold=True, indent=recipient)
    add("${usager_address}", indent=recipient, after=24)
    add("${antenna_city}, le ${letter_date}", indent=recipient, after=18)
    add("N/Réf. : ${letter_number} — demande ${reference}")
    add("V/Réf. : ${dossier_reference}", after=12)
    add("Objet : ${subject}", bold=True, after=18)
    add("${salutation},", after=10)
    # left aligned: the lines of the body end with manual breaks, which a
    # justified paragraph stretches
    add("${body}", after=10)
    if closing:
        add(closing, after=10)
    add("${agent}", indent=recipient, before=24)
    add("${antenna}", indent=recipient)
    if footer:
        paragraph = section.footer.paragraphs[0]
        paragraph.text = footer
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for run in paragraph.runs:
            run.font.size = Pt(8)
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
    """Return the PDF of the .docx data converted by LibreOffice; raise
    FileNotFoundError when LibreOffice is missing, subprocess errors when
    it fails or takes longer than timeout"""
    binary = soffice()
    if not binary:
        raise FileNotFoundError("LibreOffice (soffice) is not installed")
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


def failure_reason(exception):
    "Return a short text saying why the conversion by LibreOffice failed"
    if isinstance(exception, subprocess.TimeoutExpired):
        return "LibreOffice took longer than %ss" % exception.timeout
    if isinstance(exception, subprocess.CalledProcessError):
        output = (exception.stderr or exception.stdout or b'').decode(
            'utf-8', 'replace').strip()
        return (output.splitlines() or ["exit code %s"
                % exception.returncode])[-1][:200]
    return str(exception)[:200]
