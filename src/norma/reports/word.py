"""DOCX reports (python-docx) for the documents people edit after downloading them.

Plain headings, paragraphs and tables in Word's built-in styles, so the file opens cleanly in
Word and LibreOffice. The page header and footer carry the same frame as the PDFs.
"""

import datetime
import io
import re

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from norma.reports.readiness import report_frame, status_counts
from norma.standards.readiness import ReadinessReport

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Characters XML 1.0 cannot hold (python-docx would refuse them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(value) -> str:
    return _NOT_XML.sub("", "" if value is None else str(value))


def _field(paragraph, instruction: str):
    """A Word field such as PAGE or NUMPAGES, updated by Word when the page is laid out."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def page_frame(document, frame: dict):
    """Header: organisation, reference, revision. Footer: printed on, page x of y."""
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4
    section.left_margin = section.right_margin = Cm(2)
    header = section.header.paragraphs[0]
    header.text = clean(
        f"{frame['organisation']}\t\t{frame['doc_reference']} · {frame['doc_revision']}"
    )
    footer = section.footer.paragraphs[0]
    printed = frame["printed_at"].strftime("%Y-%m-%d %H:%M")
    footer.add_run(f"Printed on {printed} UTC — uncontrolled when printed\t\tPage ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")
    for paragraph in (header, footer):
        for run in paragraph.runs:
            run.font.size = Pt(8)


def add_table(document, headings: list[str], rows: list[list[str]], widths_cm=None):
    table = document.add_table(rows=1, cols=len(headings))
    table.style = "Table Grid"
    table.autofit = widths_cm is None
    head = table.rows[0]
    head_props = head._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")  # repeat the heading row on every page
    repeat.set(qn("w:val"), "true")
    head_props.append(repeat)
    for cell, text in zip(head.cells, headings, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = clean(text)
    for column, width in zip(table.columns, widths_cm or [], strict=False):
        for cell in column.cells:
            cell.width = Cm(width)
    return table


def add_signatures(document, signatures, unsigned: str):
    """Each signature with whether it still holds, or `unsigned` when there is none."""
    for signature, holds in signatures:
        state = "" if holds else " — content changed since signing"
        line = (
            f"{signature.get_meaning_display()} by {signature.signer_name} on "
            f"{signature.signed_at.astimezone(datetime.UTC):%Y-%m-%d %H:%M} UTC{state}"
        )
        document.add_paragraph(clean(line))
    if not signatures:
        document.add_paragraph(unsigned)


def as_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def readiness_docx(report: ReadinessReport, standard) -> bytes:
    """The readiness report as an editable Word document."""
    frame = report_frame(standard)
    document = Document()
    document.core_properties.title = frame["doc_title"]
    document.core_properties.author = clean(frame["organisation"])
    page_frame(document, frame)
    document.add_heading(frame["doc_title"], level=0)
    intro = document.add_paragraph(clean(f"{frame['organisation']} · {frame['doc_reference']}"))
    intro.alignment = WD_ALIGN_PARAGRAPH.LEFT

    document.add_heading("Overall", level=1)
    if report.score is None:
        document.add_paragraph("No clause checks have run yet.")
    else:
        document.add_paragraph(f"{report.score}% of the clauses we can check are met.")
    counts = [[label, str(number)] for label, number, _ in status_counts(report)]
    add_table(document, ["Status", "Clauses"], counts)

    document.add_heading("Gaps to close", level=1)
    for row in report.gaps():
        sentences = " ".join(r.sentence for r in row.results)
        text = f"{row.clause.ref} {row.clause.display_title} ({row.status.label}): {sentences}"
        document.add_paragraph(clean(text), style="List Bullet")
    if not report.gaps():
        document.add_paragraph("No gaps found by the checks that exist.")

    document.add_heading("Clause by clause", level=1)
    rows = [
        [
            row.clause.ref,
            row.clause.display_title,
            str(row.status.label),
            " ".join(r.sentence for r in row.results),
        ]
        for row in report.rows
    ]
    add_table(document, ["Clause", "Title", "Status", "Finding"], rows, [1.8, 6.4, 2.6, 6.2])
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
