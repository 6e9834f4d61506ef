"""The readiness report on paper (PDF), as an editable DOCX, and its chart on screen."""

import io
import re

import pytest
from django.template.loader import render_to_string
from django.utils import timezone
from docx import Document
from pypdf import PdfReader

from norma.core.models import Organisation
from norma.planning.models import QmsRole
from norma.reports import pdf
from norma.reports.readiness import pdf_context, readiness_chart, score_bar, standard_for
from norma.reports.word import DOCX_TYPE
from norma.standards.models import Clause
from norma.standards.readiness import evaluate
from tests.factories import make_planning_record, make_process
from tests.reports import fake_render, pdf_text

FINDING = (
    "0 of 1 processes have an owner and are approved. "
    "0 of 1 processes have a KPI; 0 were measured in their last period."
)


@pytest.fixture
def draft(quality_manager, top_manager):
    """One draft process: 4.4.1 is partly met; 5.3 is met (top management and a QM exist,
    and a QMS role held by the QM is accountable for the process)."""
    Organisation.objects.create(name="Acme Widgets Ltd")
    process = make_process(quality_manager, title="Sales")
    make_planning_record(QmsRole, {"duties": "Leads.", "authorities": "Decides."})(
        quality_manager, title="Sales lead", holders=[quality_manager], accountable_for=[process]
    )
    return process


def test_the_readiness_pdf_has_the_score_the_chart_the_gaps_and_the_frame(
    draft, employee, client_for
):
    response = client_for(employee).get("/reports/readiness.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    today = timezone.now().date().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="readiness-{today}.pdf"'
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    text = pdf_text(response.content)
    score = evaluate(employee).score
    for expected in [
        "Acme Widgets Ltd",
        "Readiness report ISO 9001:2015",
        "Readiness for certification",
        f"{score}% of the clauses we can check are met",
        f"Page 1 of {len(reader.pages)}",
        "Printed on",
        "uncontrolled when printed",
        "4.4.1",
        FINDING,
        "10.3 Continual improvement",  # the clause table runs to the last clause
    ]:
        assert expected in text, expected
    assert len(reader.pages) > 1
    # The SVG chart is drawn as vectors with its labels and values as text:
    # "Not applicable" appears nowhere else in this report.
    counts = evaluate(employee).counts()
    assert counts["met"] == 1 and counts["partly_met"] == 1  # 5.3 met, 4.4.1 partly met
    chart_labels = (
        f"Met {counts['met']} Partly met {counts['partly_met']} Missing {counts['missing']} "
        "Not applicable 0"
    )
    assert chart_labels in text
    page = reader.pages[0]
    drawing = page.get_contents().get_data()
    for xobject in (page["/Resources"].get("/XObject") or {}).values():
        drawing += xobject.get_object().get_data()
    green = rb"0\.109804 0\.486275 0\.290196 rg\n"  # TONES["ok"], the "met" bar
    filled_shape = rb"(?:(?! rg\n)[^\n]*\n)*?[^\n]* c\nh\nf\n"  # path ops, no new colour
    assert re.search(green + filled_shape, drawing), "the 'met' bar is drawn as a vector shape"


def test_the_screen_and_the_pdf_show_the_same_chart_markup(draft, employee, client_for):
    response = client_for(employee).get("/standards/readiness/")
    page = response.content.decode()
    report = response.context["report"]
    chart, bar = str(readiness_chart(report)), str(score_bar(report))
    assert chart in page and bar in page
    assert 'role="img"' in chart and "Not applicable" in chart
    printed = render_to_string("reports/readiness.html", pdf_context(report, standard_for()))
    assert chart in printed and bar in printed
    assert 'class="bar"' not in page, "the hand-made bar is gone"
    assert 'href="/reports/readiness.pdf"' in page
    assert 'href="/reports/readiness.docx"' in page
    assert 'href="/static/reports/charts.css"' in page


def test_the_readiness_docx_opens_with_an_editable_clause_table(draft, employee, client_for):
    response = client_for(employee).get("/reports/readiness.docx")
    assert response.status_code == 200
    assert response["Content-Type"] == DOCX_TYPE
    assert response["Content-Disposition"].startswith('attachment; filename="readiness-')
    assert response["Content-Disposition"].endswith('.docx"')
    document = Document(io.BytesIO(response.content))
    headings = [
        p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))
    ]
    assert headings == [
        "Readiness for certification",
        "Overall",
        "Gaps to close",
        "Clause by clause",
    ]
    tables = {tuple(c.text for c in t.rows[0].cells): t for t in document.tables}
    clauses = tables[("Clause", "Title", "Status", "Finding")]
    rows = {row.cells[0].text: [c.text for c in row.cells] for row in clauses.rows[1:]}
    assert len(rows) == Clause.objects.filter(standard__slug="iso9001-2015").count()
    assert rows["4.4.1"][2:] == ["Partly met", FINDING]
    assert rows["5.3"][2] == "Met"
    assert rows["8.5.5"][2] == "No check yet"
    counts = {row.cells[0].text: row.cells[1].text for row in tables[("Status", "Clauses")].rows}
    expected = evaluate(employee).counts()
    assert counts["Met"] == "1" and counts["Partly met"] == "1"
    assert counts["Missing"] == str(expected["missing"])
    header = document.sections[0].header.paragraphs[0].text
    assert "Acme Widgets Ltd" in header and "Readiness report ISO 9001:2015" in header
    footer = document.sections[0].footer.paragraphs[0]._p.xml
    assert "Printed on" in footer and 'w:instr="PAGE"' in footer and 'w:instr="NUMPAGES"' in footer


@pytest.mark.parametrize("url", ["/reports/readiness.pdf", "/reports/readiness.docx"])
def test_people_without_a_role_may_not_download_the_readiness_report(
    monkeypatch, url, nobody, client_for, client
):
    monkeypatch.setattr(pdf, "render_pdf", fake_render)
    assert client_for(nobody).get(url).status_code == 403
    assert client.get(url).status_code == 302
