"""The PDF of a register record: its fields, clauses, files, comments and signatures, and
exactly the rights and scope of its detail page."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.template.loader import render_to_string

from norma.core.actions import AddComment, AttachFile
from norma.core.models import RoleCode
from norma.core.signatures import signatures_for
from norma.planning.actions import ApproveProcess
from norma.planning.models import Process
from norma.planning.registers import ProcessRegister
from norma.reports import pdf
from norma.reports.views import record_context
from norma.standards.models import Clause
from tests.conftest import PERSONAS
from tests.factories import PASSWORD, PersonFactory, make_process
from tests.reports import fake_render, pdf_text


def pdf_url(process) -> str:
    return f"/reports/record/planning/process/{process.reference}.pdf"


@pytest.fixture
def approved(quality_manager, process_owner, top_manager, leeds):
    clause = Clause.objects.get(standard__slug="iso9001-2015", ref="4.4.1")
    process = make_process(
        quality_manager,
        title="Sales & orders",
        owner=process_owner,
        site=leeds,
        purpose="Win orders",
        clauses=[clause],
    )
    ApproveProcess(top_manager, process, data={"password": PASSWORD}, reason="Fit").execute()
    upload = ContentFile(b"%PDF-1.4\n% flow chart\n", name="flow-chart.pdf")
    AttachFile(quality_manager, process, data={"file": upload}).execute()
    AddComment(quality_manager, process, data={"text": "Checked against the map."}).execute()
    process.refresh_from_db()
    return process


@pytest.fixture
def stub_weasyprint(monkeypatch):
    """Rights tests need the response code, not a real PDF: keep WeasyPrint out of them."""
    monkeypatch.setattr(pdf, "render_pdf", fake_render)


def test_the_record_pdf_shows_the_record_its_frame_and_its_signature(
    approved, employee, client_for
):
    response = client_for(employee).get(pdf_url(approved))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{approved.reference}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    signature = signatures_for(approved).get()
    for expected in [
        approved.reference,
        "Sales & orders",
        f"{approved.reference} · Version {approved.version}",  # the page header
        "Page 1 of 1",
        "Printed on",
        "uncontrolled when printed",
        "Win orders",
        "4.4.1",
        "flow-chart.pdf",
        "Checked against the map.",
        # the signature: meaning, printed name, date and time, and whether it holds
        "Approved Tess Top",
        f"{signature.signed_at:%Y-%m-%d %H:%M} UTC",
        "Holds",
    ]:
        assert expected in text, expected


def test_the_record_pdf_flags_a_signature_whose_content_changed(approved, employee):
    Process.objects.filter(pk=approved.pk).update(purpose="Changed behind the app")
    approved.refresh_from_db()
    html = render_to_string("reports/record.html", record_context(ProcessRegister, approved))
    assert "Content changed since signing" in html
    assert ">Holds<" not in html


def test_the_record_pdf_lists_every_field_of_the_register_declaration(approved):
    html = render_to_string("reports/record.html", record_context(ProcessRegister, approved))
    for name in ProcessRegister.fields_for_detail():
        label = str(Process._meta.get_field(name).verbose_name)
        assert f">{label[0].upper()}{label[1:]}<" in html, name
    assert "Sales &amp; orders" in html, "values are escaped like on every page"


def test_times_are_printed_in_utc_whatever_the_server_time_zone(approved, settings):
    settings.TIME_ZONE = "America/New_York"
    signed_at = signatures_for(approved).get().signed_at.astimezone(datetime.UTC)
    context = record_context(ProcessRegister, approved)
    html = render_to_string("reports/record.html", context)
    assert f"<td>{signed_at:%Y-%m-%d %H:%M} UTC</td>" in html
    assert f"Printed on {context['printed_at']:%Y-%m-%d %H:%M} UTC" in html
    assert context["printed_at"].utcoffset() == datetime.timedelta(0)


READERS = set(PERSONAS) - {"nobody"}


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_who_may_download_a_record_pdf(stub_weasyprint, approved, persona, client_for, request):
    expected = 200 if request.node.callspec.params["persona"] in READERS else 403
    assert client_for(persona).get(pdf_url(approved)).status_code == expected


def test_a_record_outside_the_persons_site_scope_is_not_found(
    stub_weasyprint, quality_manager, client_for, leeds, porto
):
    in_scope = make_process(quality_manager, title="Porto line", site=porto)
    elsewhere = make_process(quality_manager, title="Leeds line", site=leeds)
    person = PersonFactory(roles=[RoleCode.EMPLOYEE], scope_sites=[porto])
    client = client_for(person)
    assert client.get(pdf_url(in_scope)).status_code == 200
    assert client.get(pdf_url(elsewhere)).status_code == 404
    assert client.get(f"/planning/processes/{elsewhere.reference}/").status_code == 404


def test_unknown_registers_and_references_are_not_found(stub_weasyprint, client_for, employee):
    client = client_for(employee)
    assert client.get("/reports/record/planning/process/PRC-1999-9999.pdf").status_code == 404
    assert client.get("/reports/record/core/person/PRC-1999-9999.pdf").status_code == 404
    assert client.get("/reports/record/nothing/here/X.pdf").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(stub_weasyprint, approved, client):
    response = client.get(pdf_url(approved))
    assert response.status_code == 302
    assert "/login" in response["Location"] or "login" in response["Location"]


def test_the_record_page_links_to_its_pdf(approved, client_for, employee):
    page = client_for(employee).get(f"/planning/processes/{approved.reference}/").content.decode()
    assert f'href="{pdf_url(approved)}"' in page
