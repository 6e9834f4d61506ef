"""A revision's content: safe Markdown, checked uploads and their text, the file download,
full-text search, side-by-side comparison and the printed controlled copies (7.5.2, 7.5.3)."""

import datetime
import functools
import io
import re
import zipfile
from html.parser import HTMLParser

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from pypdf import PdfReader

from norma.core.actions import InvalidInput, UpdateRecord
from norma.core.context import acting_as
from norma.core.models import RoleCode
from norma.documents import workflow
from norma.documents.actions import (
    ApproveRevision,
    EditDraft,
    ObsoleteDocument,
    ReviewRevision,
    StartRevision,
    SubmitRevision,
)
from norma.documents.content import ALLOWED_TAGS, compare, render_markdown
from norma.documents.models import Revision
from norma.documents.periodic_jobs import make_due_revisions_effective
from norma.documents.search import search
from tests.factories import PASSWORD, PersonFactory, bulk_documents, make_document
from tests.kit import count_queries
from tests.reports import pdf_text

HOSTILE_MARKDOWN = """# Handling of samples

<script>alert("script")</script>

<img src=x onerror=alert("img")>

[click me](javascript:alert("link"))

<div onclick="alert('div')"><b>raw block</b></div>

![picture](javascript:alert("picture"))
"""


# -- helpers -----------------------------------------------------------------------------------
def detail_url(document) -> str:
    return f"/documents/documents/{document.reference}/"


def revision_url(document, label: str, suffix: str = "/") -> str:
    return f"/documents/documents/{document.reference}/revisions/{label}{suffix}"


@pytest.fixture
def publish(top_manager, process_owner, quality_manager):
    """Put the next revision of a procedure in force: written by Tess Top, reviewed by Owen
    Owner, approved by Quinn Quality (separate people, as the workflow demands)."""

    def publish(document, **draft) -> Revision:
        StartRevision(top_manager, document).execute()
        EditDraft(top_manager, document, data=draft).execute()
        SubmitRevision(top_manager, document).execute()
        ReviewRevision(process_owner, document, data={"password": PASSWORD}, reason="Fit").execute()
        ApproveRevision(
            quality_manager, document, data={"password": PASSWORD}, reason="Ok"
        ).execute()
        document.refresh_from_db()
        return document.revisions.get(status=Revision.Status.EFFECTIVE)

    return publish


@pytest.fixture
def draft_document(top_manager):
    """A procedure with revision A open as a draft, written by Tess Top."""
    document = make_document(top_manager, title="Control of measuring equipment")
    StartRevision(top_manager, document).execute()
    document.refresh_from_db()
    return document


def draft_of(document) -> Revision:
    return document.revisions.get(status=Revision.Status.DRAFT)


class Tags(HTMLParser):
    """Every start tag with its attributes, in order."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_harmless(html: str):
    """Only plain formatting tags; no event handler; no link or image to a script."""
    for tag, attrs in Tags(html).tags:
        assert tag in ALLOWED_TAGS, (tag, html)
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        for name in ("href", "src"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), (tag, attrs)


def markdown_section(page: str) -> str:
    """The rendered content on a document or revision page."""
    found = re.search(r'<div class="markdown">(.*?)</div>', page, re.S)
    assert found, "the page shows no Markdown content"
    return found.group(1)


# -- files as people upload them ---------------------------------------------------------------
@functools.cache
def pdf_bytes(text: str = "Torque wrench calibration interval") -> bytes:
    from weasyprint import HTML

    return HTML(string=f"<p>{text}</p>").write_pdf()


@functools.cache
def docx_bytes(text: str = "Micrometer verification before use") -> bytes:
    from docx import Document as WordDocument

    word = WordDocument()
    word.add_paragraph(text)
    table = word.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Gauge", "Vernier caliper"
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


@functools.cache
def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Instrument", "Interval"])
    sheet.append(["Thermocouple", "12 months"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewritten(package: bytes, name: str, change) -> bytes:
    """The same ZIP package with one member changed; `change` returns its new bytes, or None
    to leave it out."""
    source = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == name:
                data = change(data)
            if data is not None:
                target.writestr(member.filename, data)
    return out.getvalue()


def with_doctype(xml: bytes, padding: int = 0) -> bytes:
    """The XML with an entity declaration after its declaration (and an optional comment)."""
    declaration, rest = xml.split(b"?>", 1)
    comment = b"<!--" + b"x" * padding + b"-->" if padding else b""
    return declaration + b"?>" + comment + b'<!DOCTYPE w:document [<!ENTITY e "E">]>' + rest


def zip_bomb_docx() -> bytes:
    """A real DOCX plus one member of 60 MB of zeros, squeezed about a thousand times."""
    source = zipfile.ZipFile(io.BytesIO(docx_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for member in source.infolist():
            target.writestr(member.filename, source.read(member.filename))
        with target.open("word/media/zeros.bin", "w", force_zip64=True) as handle:
            zeros = bytes(4 * 1024 * 1024)
            for _ in range(15):
                handle.write(zeros)
    return out.getvalue()


def minimal_pdf(*objects: bytes) -> bytes:
    """A well-formed PDF of the given objects (1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def pdf_opening_with(action: bytes) -> bytes:
    return minimal_pdf(
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        action,
    )


# -- Markdown ----------------------------------------------------------------------------------
def test_markdown_renders_headings_lists_and_tables():
    html = render_markdown(
        "# Purpose\n\n## Steps\n\n- clean\n- measure\n\n1. record\n\n"
        "| Gauge | Interval |\n|---|---|\n| Caliper | 12 months |\n\n**must** and *should*"
    )
    assert "<h1>Purpose</h1>" in html
    assert "<h2>Steps</h2>" in html
    assert "<ul>\n<li>clean</li>\n<li>measure</li>\n</ul>" in html
    assert "<ol>\n<li>record</li>\n</ol>" in html
    assert "<th>Gauge</th>" in html and "<td>12 months</td>" in html
    assert "<strong>must</strong>" in html and "<em>should</em>" in html


HOSTILE_SNIPPETS = [
    '<script>alert("x")</script>',
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    "![x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="javascript:alert(1)">raw link</a>',
    "<iframe src=https://example.com></iframe>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    "<svg onload=alert(1)>",
]


def test_markdown_never_lets_markup_or_script_links_through():
    for markdown in HOSTILE_SNIPPETS:
        html = render_markdown(markdown)
        assert_harmless(html)
        assert "<script" not in html and "<iframe" not in html and "<svg" not in html, html


def test_raw_html_in_markdown_is_shown_as_text():
    html = render_markdown('<b onclick="x()">bold?</b> and <script>alert(1)</script>')
    assert '&lt;b onclick="x()"&gt;bold?&lt;/b&gt;' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert Tags(html).tags == [("p", {})]


def test_safe_links_keep_their_address_and_open_without_referrer():
    html = render_markdown("[the standard](https://www.iso.org/standard/62085.html)")
    assert 'href="https://www.iso.org/standard/62085.html"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_hostile_markdown_never_reaches_the_detail_or_revision_page(
    publish, quality_manager, employee, client_for
):
    document = make_document(quality_manager, title="Sample handling")
    publish(document, body=HOSTILE_MARKDOWN)
    client = client_for(employee)

    for url in (detail_url(document), revision_url(document, "A")):
        response = client.get(url)
        assert response.status_code == 200, url
        section = markdown_section(response.content.decode())
        assert "<h1>Handling of samples</h1>" in section
        assert "&lt;script&gt;" in section  # shown to the reader as text
        assert_harmless(section)
        assert "<script" not in section and "<img" not in section


# -- uploads -----------------------------------------------------------------------------------
ACCEPTED = [
    ("procedure.pdf", pdf_bytes, "Torque wrench calibration interval"),
    ("procedure.docx", docx_bytes, "Micrometer verification before use"),
    ("intervals.xlsx", xlsx_bytes, "Thermocouple 12 months"),
]


@pytest.mark.parametrize(("name", "make", "text"), ACCEPTED)
def test_an_uploaded_office_or_pdf_file_is_kept_with_its_text(
    draft_document, top_manager, name, make, text
):
    data = make()
    EditDraft(top_manager, draft_document, data={"file": SimpleUploadedFile(name, data)}).execute()

    draft = draft_of(draft_document)
    assert text in draft.extracted_text
    assert draft.file_name == name and draft.file_size == len(data)
    assert len(draft.file_sha256) == 64
    with draft.file.open("rb") as handle:
        assert handle.read() == data


def test_the_docx_table_text_is_extracted_too(draft_document, top_manager):
    upload = SimpleUploadedFile("procedure.docx", docx_bytes())
    EditDraft(top_manager, draft_document, data={"file": upload}).execute()
    assert "Gauge | Vernier caliper" in draft_of(draft_document).extracted_text


@pytest.mark.parametrize(("name", "make", "text"), ACCEPTED)
def test_the_draft_editor_accepts_an_uploaded_file(
    draft_document, top_manager, client_for, name, make, text
):
    response = client_for(top_manager).post(
        f"/documents/documents/{draft_document.reference}/draft/",
        {
            "version": draft_document.version,
            "body": "",
            "change_summary": "First issue",
            "effective_date": "",
            "file": SimpleUploadedFile(name, make()),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    draft = draft_of(draft_document)
    assert draft.file_name == name
    assert text in draft.extracted_text
    assert draft.change_summary == "First issue"


REFUSED = {
    "executable": ("setup.exe", lambda: b"MZ\x90\x00" + b"\x00" * 64),
    "html": ("procedure.html", lambda: b"<html><script>alert(1)</script></html>"),
    "svg": ("flow.svg", lambda: b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    "double extension": ("report.pdf.exe", pdf_bytes),
    "png named pdf": ("procedure.pdf", lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
    "corrupt pdf": ("procedure.pdf", lambda: b"%PDF-1.4 garbage"),
    "pdf with javascript": (
        "procedure.pdf",
        lambda: pdf_opening_with(b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"),
    ),
    "xlsx renamed to docx": ("procedure.docx", xlsx_bytes),
    "docx missing its main part": (
        "procedure.docx",
        lambda: rewritten(docx_bytes(), "word/document.xml", lambda xml: None),
    ),
    "xml entities in docx": (
        "procedure.docx",
        lambda: rewritten(docx_bytes(), "word/document.xml", with_doctype),
    ),
    "zip bomb posing as docx": ("procedure.docx", zip_bomb_docx),
}


def assert_upload_refused(actor, document, name, data):
    """EditDraft refuses the file, naming the field, and changes nothing."""
    before = draft_of(document)
    upload = SimpleUploadedFile(name, data)
    with pytest.raises(InvalidInput) as refused:
        EditDraft(actor, document, data={"file": upload, "body": "Changed"}).execute()
    assert list(refused.value.errors) == ["file"]
    assert refused.value.errors["file"][0]
    after = draft_of(document)
    assert (after.version, after.body, after.file.name, after.file_sha256) == (
        before.version,
        before.body,
        before.file.name,
        before.file_sha256,
    )
    return refused.value


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_dangerous_or_damaged_file_is_refused_and_nothing_changes(
    draft_document, top_manager, case
):
    EditDraft(top_manager, draft_document, data={"body": "Kept as it is"}).execute()
    name, make = REFUSED[case]
    assert_upload_refused(top_manager, draft_document, name, make())


def test_a_file_over_the_size_limit_is_refused(draft_document, top_manager, settings):
    settings.NORMA_ATTACHMENT_MAX_BYTES = 1000
    data = pdf_bytes()
    assert len(data) > 1000
    refused = assert_upload_refused(top_manager, draft_document, "procedure.pdf", data)
    assert "larger than the limit" in refused.errors["file"][0]


def test_a_refused_upload_leaves_the_earlier_file_in_place(draft_document, top_manager):
    upload = SimpleUploadedFile("procedure.docx", docx_bytes())
    EditDraft(top_manager, draft_document, data={"file": upload}).execute()
    draft_document.refresh_from_db()
    assert_upload_refused(top_manager, draft_document, "procedure.pdf", b"%PDF-1.4 garbage")
    assert "Micrometer" in draft_of(draft_document).extracted_text


def test_a_pdf_with_disguised_javascript_is_refused(draft_document, top_manager):
    data = pdf_opening_with(b"<< /S /J#61vaScript /JS<6170702e616c657274283129> >>")
    action = PdfReader(io.BytesIO(data)).trailer["/Root"]["/OpenAction"]
    assert (action["/S"], action["/JS"]) == ("/JavaScript", "app.alert(1)")  # it runs on open
    assert_upload_refused(top_manager, draft_document, "procedure.pdf", data)


def test_xml_entities_after_a_long_comment_are_refused_too(draft_document, top_manager):
    data = rewritten(docx_bytes(), "word/document.xml", lambda xml: with_doctype(xml, 5000))
    assert_upload_refused(top_manager, draft_document, "procedure.docx", data)


@pytest.mark.parametrize(
    ("name", "data"),
    [("setup.exe", b"MZ\x90\x00" + b"\x00" * 64), ("procedure.pdf", b"%PDF-1.4 garbage")],
)
def test_the_draft_editor_shows_why_a_file_was_refused(
    draft_document, top_manager, client_for, name, data
):
    before = draft_of(draft_document)
    response = client_for(top_manager).post(
        f"/documents/documents/{draft_document.reference}/draft/",
        {
            "version": draft_document.version,
            "body": "Changed",
            "change_summary": "",
            "effective_date": "",
            "file": SimpleUploadedFile(name, data),
        },
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert list(errors) == ["file"]
    assert errors["file"][0] in response.content.decode().replace("&#x27;", "'")
    after = draft_of(draft_document)
    assert (after.version, after.body, after.file.name) == (before.version, before.body, "")


# -- the file download -------------------------------------------------------------------------
@pytest.fixture
def uploaded(draft_document, top_manager):
    upload = SimpleUploadedFile("calibration procedure.pdf", pdf_bytes())
    EditDraft(top_manager, draft_document, data={"file": upload}).execute()
    return draft_document


def test_the_file_downloads_as_an_attachment_never_sniffed(uploaded, quality_manager, client_for):
    response = client_for(quality_manager).get(revision_url(uploaded, "A", "/file/"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="calibration procedure.pdf"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == pdf_bytes()


def test_a_file_changed_on_disk_after_upload_is_not_served(uploaded, quality_manager, client_for):
    path = default_storage.path(draft_of(uploaded).file.name)
    with open(path, "wb") as handle:
        handle.write(b"%PDF-1.4 someone else's content")

    response = client_for(quality_manager).get(revision_url(uploaded, "A", "/file/"))
    assert response.status_code == 409
    assert b"SHA-256" in response.content
    assert b"someone else" not in response.content


def test_someone_without_the_view_right_cannot_download_the_file(uploaded, nobody, client_for):
    response = client_for(nobody).get(revision_url(uploaded, "A", "/file/"))
    assert response.status_code == 403


def test_a_file_outside_the_person_s_sites_is_not_found(top_manager, leeds, porto, client_for):
    document = make_document(top_manager, title="Porto furnace", sites=[porto])
    StartRevision(top_manager, document).execute()
    upload = SimpleUploadedFile("furnace.pdf", pdf_bytes())
    EditDraft(top_manager, document, data={"file": upload}).execute()
    leeds_reader = PersonFactory(roles=[RoleCode.EMPLOYEE], scope_sites=[leeds])

    response = client_for(leeds_reader).get(revision_url(document, "A", "/file/"))
    assert response.status_code == 404


# -- search ------------------------------------------------------------------------------------
def found(person, text, **options) -> list[str]:
    return [hit.document.reference for hit in search(person, text, **options)]


def test_search_finds_words_of_the_title_the_body_and_the_file(publish, quality_manager, employee):
    titled = make_document(quality_manager, title="Hardness tester")
    publish(titled, body="Nothing special.")
    written = make_document(quality_manager, title="Workshop rules")
    publish(written, body="Wear **goggles** near the lathe.")
    uploaded = make_document(quality_manager, title="Torque wrenches")
    publish(uploaded, file=SimpleUploadedFile("torque.docx", docx_bytes()))

    assert found(employee, "hardness") == [titled.reference]
    assert found(employee, "goggles lathe") == [written.reference]
    assert found(employee, "micrometer verification") == [uploaded.reference]
    assert found(employee, titled.reference) == [titled.reference]


def test_the_last_word_matches_as_the_start_of_a_word(publish, quality_manager, employee):
    document = make_document(quality_manager, title="Calibration of gauges")
    publish(document, body="Every instrument is verified.")

    assert found(employee, "calib") == [document.reference]
    assert found(employee, "instrument verif") == [document.reference]
    assert found(employee, "calibration gaug") == [document.reference]
    assert found(employee, "calib nothingofthat") == []
    assert found(employee, "calib instrument") == []  # only the last word is a prefix


def test_a_title_match_ranks_before_a_body_only_match(publish, quality_manager, employee):
    in_body = make_document(quality_manager, title="Workshop rules")
    publish(in_body, body="The torque of every bolt is checked.")
    in_title = make_document(quality_manager, title="Torque settings")
    publish(in_title, body="Settings for assembly.")

    assert found(employee, "torque") == [in_title.reference, in_body.reference]


def test_snippets_highlight_the_words_and_escape_the_content(
    publish, quality_manager, employee, client_for
):
    document = make_document(quality_manager, title="Lab <i>rules</i>")
    publish(document, body="<b>x</b> calibration of the scales")

    [hit] = search(employee, "calibration")
    assert "<mark>calibration</mark>" in hit.snippet
    assert "<b>" not in hit.snippet
    if connection.vendor == "sqlite":  # PostgreSQL's headline leaves markup out altogether
        assert "&lt;b&gt;x&lt;/b&gt;" in hit.snippet
    assert "&lt;i&gt;" in hit.title

    page = client_for(employee).get("/documents/search/?q=calibration").content.decode()
    assert "<mark>calibration</mark>" in page
    assert "<b>x</b>" not in page and "<i>rules</i>" not in page
    assert "&lt;i&gt;rules&lt;/i&gt;" in page
    if connection.vendor == "sqlite":
        assert "&lt;b&gt;x&lt;/b&gt;" in page


def test_obsolete_documents_are_found_only_when_asked_for(
    publish, quality_manager, employee, client_for
):
    document = make_document(quality_manager, title="Old furnace procedure")
    publish(document, body="Furnace start-up.")
    ObsoleteDocument(quality_manager, document, reason="Furnace scrapped").execute()

    assert found(employee, "furnace") == []
    assert found(employee, "furnace", include_obsolete=True) == [document.reference]
    client = client_for(employee)
    assert document.reference not in client.get("/documents/search/?q=furnace").content.decode()
    page = client.get("/documents/search/?q=furnace&obsolete=1").content.decode()
    assert document.reference in page


def test_a_draft_s_text_is_not_searchable_until_it_takes_effect(
    publish, top_manager, quality_manager, employee
):
    never_effective = make_document(quality_manager, title="Pressure vessels")
    StartRevision(top_manager, never_effective).execute()
    EditDraft(top_manager, never_effective, data={"body": "Hydrostatic test"}).execute()
    assert found(employee, "hydrostatic") == []
    assert found(quality_manager, "pressure") == []

    document = make_document(quality_manager, title="Welding")
    publish(document, body="Weld inspection.")
    StartRevision(top_manager, document).execute()
    EditDraft(top_manager, document, data={"body": "Radiographic inspection."}).execute()
    assert found(employee, "radiographic") == []
    assert found(employee, "weld inspection") == [document.reference]


def test_an_approved_revision_becomes_searchable_on_its_effective_date(
    top_manager, process_owner, quality_manager, employee
):
    document = make_document(quality_manager, title="Welding")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    StartRevision(top_manager, document).execute()
    data = {"body": "Ultrasonic testing.", "effective_date": tomorrow}
    EditDraft(top_manager, document, data=data).execute()
    SubmitRevision(top_manager, document).execute()
    ReviewRevision(process_owner, document, data={"password": PASSWORD}, reason="Fit").execute()
    ApproveRevision(quality_manager, document, data={"password": PASSWORD}, reason="Ok").execute()
    assert found(employee, "ultrasonic") == []

    with acting_as(name="norma worker"):
        assert make_due_revisions_effective(today=tomorrow) == 1
    assert found(employee, "ultrasonic") == [document.reference]


def test_a_superseded_revision_s_words_are_no_longer_found(publish, quality_manager, employee):
    document = make_document(quality_manager, title="Welding")
    publish(document, body="Use flux type alpha.")
    assert found(employee, "flux alpha") == [document.reference]

    publish(document, body="Use shielding gas.", change_summary="Gas instead of flux")
    assert found(employee, "flux alpha") == []
    assert found(employee, "shielding") == [document.reference]


def test_search_keeps_to_the_person_s_sites(publish, quality_manager, leeds, porto, client_for):
    at_leeds = make_document(quality_manager, title="Leeds furnace", sites=[leeds])
    publish(at_leeds, body="Furnace log.")
    at_porto = make_document(quality_manager, title="Porto furnace", sites=[porto])
    publish(at_porto, body="Furnace log.")
    leeds_reader = PersonFactory(roles=[RoleCode.EMPLOYEE], scope_sites=[leeds])

    assert found(leeds_reader, "furnace") == [at_leeds.reference]
    assert sorted(found(quality_manager, "furnace")) == sorted(
        [at_leeds.reference, at_porto.reference]
    )
    page = client_for(leeds_reader).get("/documents/search/?q=furnace").content.decode()
    assert at_leeds.reference in page and at_porto.reference not in page


def test_someone_without_the_view_right_cannot_search(nobody, client_for):
    assert client_for(nobody).get("/documents/search/?q=anything").status_code == 403


QUERIES = [
    '"unbalanced',
    'calibration"',
    "calibration AND",
    "AND",
    "OR NOT",
    "NEAR(calibration gauge, 2)",
    "NEAR",
    "calib*",
    "*",
    "(calibration",
    "title:calibration",
    "^calibration",
    "calibration -gauge +x",
    "{title body}: x",
    "'; DROP TABLE documents_documenttext; --",
    "Kalibrierung für Prüfmittel",
    "校准 程序",
    "½ ² ①",
    "_",
    "a_b",
    "😀 calibration",
    "x" * 500,
    " ".join(["word"] * 40),
]


def test_query_syntax_and_punctuation_never_break_search(
    publish, quality_manager, employee, client_for
):
    document = make_document(quality_manager, title="Gauge calibration")
    publish(document, body="Calibration of gauges.")
    client = client_for(employee)

    for query in QUERIES:
        search(employee, query)
        search(employee, query, include_obsolete=True)
        response = client.get("/documents/search/", {"q": query, "obsolete": "1"})
        assert response.status_code == 200, query


def test_query_words_are_found_whatever_punctuation_surrounds_them(
    publish, quality_manager, employee
):
    document = make_document(quality_manager, title="Gauge calibration")
    publish(document, body="Prüfmittel are checked.")

    assert found(employee, '"calibration", (gauge)!') == [document.reference]
    assert found(employee, "prüfmittel") == [document.reference]


def test_the_search_page_runs_the_same_queries_for_10_and_200_documents(
    quality_manager, client_for
):
    def index(documents):
        for document in documents:
            workflow.index_document(document)

    index(bulk_documents(10))
    client = client_for(quality_manager)
    url = "/documents/search/?q=bulk"
    few, _ = count_queries(client, url)
    index(bulk_documents(190))
    many, queries = count_queries(client, url)
    assert few == many, queries
    assert len(search(quality_manager, "bulk")) == 50  # the best 50, not all 200


def test_a_renamed_document_is_found_by_its_new_title(publish, quality_manager, employee):
    document = make_document(quality_manager, title="Calibration of gauges")
    publish(document, body="Procedure text.")
    UpdateRecord(quality_manager, document, data={"title": "Verification of instruments"}).execute()

    assert found(employee, "verification") == [document.reference]
    assert found(employee, "calibration") == []


def test_an_obsolete_document_is_found_by_its_last_approved_text_not_its_draft(
    publish, top_manager, quality_manager, employee
):
    document = make_document(quality_manager, title="Welding")
    publish(document, body="Approved flux procedure.")
    StartRevision(top_manager, document).execute()
    EditDraft(top_manager, document, data={"body": "Unapproved laser idea."}).execute()
    ObsoleteDocument(quality_manager, document, reason="Welding outsourced").execute()

    assert found(employee, "laser", include_obsolete=True) == []
    assert found(employee, "flux", include_obsolete=True) == [document.reference]


# -- comparison --------------------------------------------------------------------------------
def kinds(rows) -> list[tuple[str, str, str]]:
    return [(row.kind, row.left, row.right) for row in rows]


def test_compare_keeps_lines_that_stayed_the_same():
    assert kinds(compare("one\ntwo", "one\ntwo")) == [
        ("same", "one", "one"),
        ("same", "two", "two"),
    ]


def test_compare_shows_removed_and_added_lines():
    rows = compare("intro\nold step\nend", "intro\nend\nnew step")
    assert kinds(rows) == [
        ("same", "intro", "intro"),
        ("removed", "old step", ""),
        ("same", "end", "end"),
        ("added", "", "new step"),
    ]


def test_compare_pairs_changed_lines_and_shows_the_rest_as_added_or_removed():
    rows = compare("a\nwas 1\nz", "a\nis 1\nis 2\nz")
    assert kinds(rows) == [
        ("same", "a", "a"),
        ("changed", "was 1", "is 1"),
        ("added", "", "is 2"),
        ("same", "z", "z"),
    ]
    rows = compare("a\nwas 1\nwas 2\nz", "a\nis 1\nz")
    assert kinds(rows)[1:3] == [("changed", "was 1", "is 1"), ("removed", "was 2", "")]


def test_compare_from_nothing_adds_every_line():
    assert kinds(compare("", "one\ntwo")) == [("added", "", "one"), ("added", "", "two")]
    assert kinds(compare("one", "")) == [("removed", "one", "")]
    assert compare("", "") == []


def test_the_compare_page_shows_removed_and_added_lines_side_by_side(
    publish, top_manager, quality_manager, employee, client_for
):
    document = make_document(quality_manager, title="Welding")
    publish(document, body="Clean the joint.\nUse flux.\nInspect.")
    StartRevision(top_manager, document).execute()
    body = "Clean the joint.\nInspect.\n<script>alert(1)</script> Record the result."
    EditDraft(top_manager, document, data={"body": body, "change_summary": "No flux"}).execute()

    response = client_for(quality_manager).get(  # a draft: for those who write and approve
        f"/documents/documents/{document.reference}/compare/?from=A&to=B"
    )
    assert response.status_code == 200
    page = response.content.decode()
    removed = re.search(r'<tr class="removed"><td class="old">(.*?)</td>', page).group(1)
    added = re.search(r'<tr class="added">.*?<td class="new">(.*?)</td>', page).group(1)
    assert "Use flux." in removed
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Record the result." in added
    assert "<script>alert(1)" not in page
    assert [(r.kind, r.left, r.right) for r in response.context["rows"]][1] == (
        "removed",
        "Use flux.",
        "",
    )


# -- printed copies ----------------------------------------------------------------------------
def pdf_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/pdf"
    return pdf_text(response.content)


def test_the_controlled_copy_carries_number_revision_status_dates_and_signatures(
    publish, quality_manager, employee, client_for
):
    document = make_document(quality_manager, title="Calibration of gauges")
    revision = publish(document, body="# Scope\n\nAll gauges in the workshop.")

    text = pdf_of(client_for(employee), revision_url(document, "A", ".pdf"))
    today = f"{timezone.localdate():%Y-%m-%d}"
    assert document.reference in text
    assert "Revision A · Effective" in text
    assert f"Effective date {revision.effective_date:%Y-%m-%d}" in text
    assert "uncontrolled when printed" in text
    assert f"valid on {today}" in text
    assert "All gauges in the workshop." in text
    assert "Owen Owner" in text and "Quinn Quality" in text  # printed names of the signers
    for watermark in ("SUPERSEDED", "OBSOLETE", "DRAFT", "NOT YET EFFECTIVE"):
        assert watermark not in text


def test_a_superseded_revision_prints_with_a_watermark(
    publish, quality_manager, employee, client_for
):
    document = make_document(quality_manager, title="Calibration of gauges")
    publish(document, body="Old method.")
    publish(document, body="New method.", change_summary="New method")

    text = pdf_of(client_for(employee), revision_url(document, "A", ".pdf"))
    assert "SUPERSEDED" in text
    assert "Revision A · Superseded" in text
    assert "Do not use it for work." in text


def test_an_obsolete_revision_prints_with_a_watermark(
    publish, quality_manager, employee, client_for
):
    document = make_document(quality_manager, title="Calibration of gauges")
    publish(document, body="Withdrawn method.")
    ObsoleteDocument(quality_manager, document, reason="No longer used").execute()

    text = pdf_of(client_for(employee), revision_url(document, "A", ".pdf"))
    assert "OBSOLETE" in text
    assert "SUPERSEDED" not in text


def test_a_controlled_copy_outside_the_person_s_sites_is_not_found(
    top_manager, leeds, porto, client_for
):
    document = make_document(top_manager, title="Porto furnace", sites=[porto])
    StartRevision(top_manager, document).execute()
    leeds_reader = PersonFactory(roles=[RoleCode.EMPLOYEE], scope_sites=[leeds])

    assert client_for(leeds_reader).get(revision_url(document, "A", ".pdf")).status_code == 404


def test_the_master_list_prints_the_filtered_documents(
    publish, quality_manager, employee, client_for
):
    effective = make_document(quality_manager, title="Gauge calibration")
    publish(effective, body="Text.")
    draft = make_document(quality_manager, title="Furnace ignition")
    client = client_for(employee)

    everything = pdf_of(client, "/documents/master-list.pdf")
    assert effective.reference in everything and "Gauge calibration" in everything
    assert draft.reference in everything and "Furnace ignition" in everything
    assert "uncontrolled when printed" in everything

    filtered = pdf_of(client, "/documents/master-list.pdf?status=effective")
    assert effective.reference in filtered
    assert draft.reference not in filtered and "Furnace ignition" not in filtered


def test_the_master_list_keeps_to_the_person_s_sites(quality_manager, leeds, porto, client_for):
    make_document(quality_manager, title="Leeds furnace", sites=[leeds])
    make_document(quality_manager, title="Porto furnace", sites=[porto])
    leeds_reader = PersonFactory(roles=[RoleCode.EMPLOYEE], scope_sites=[leeds])

    text = pdf_of(client_for(leeds_reader), "/documents/master-list.pdf")
    assert "Leeds furnace" in text
    assert "Porto furnace" not in text
