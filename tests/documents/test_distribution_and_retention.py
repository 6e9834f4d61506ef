"""Who must read a document, who has, periodic review, retention, legal hold and disposal,
the clause checks of 7.5 and the export archive (ISO 9001 7.3, 7.5.2, 7.5.3)."""

import datetime
import json
import re
import zipfile
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from norma.core.actions import ActionRefused, AttachFile, InvalidInput, NotFound, NotPermitted
from norma.core.models import (
    Attachment,
    ChangeLogEntry,
    RoleCode,
    Signature,
    SignatureMeaning,
)
from norma.core.registers import Reminder
from norma.dataio.archive import export_archive
from norma.documents import search
from norma.documents.actions import (
    AcknowledgeRevision,
    ApproveRevision,
    ConfirmReview,
    DisposeDocument,
    Distribute,
    EditDraft,
    ObsoleteDocument,
    PlaceLegalHold,
    ReleaseLegalHold,
    ReviewRevision,
    StartRevision,
    StopDistribution,
    SubmitRevision,
)
from norma.documents.models import (
    Acknowledgement,
    Disposal,
    Distribution,
    Document,
    DocumentText,
    DocumentType,
    Outcome,
    Revision,
    RevisionDecision,
    Step,
)
from norma.documents.registers import DocumentRegister
from norma.notifications.models import Notification
from norma.notifications.reminders import create_reminders
from norma.standards.readiness import Status, registered_checks, worst
from tests.conftest import PERSONAS
from tests.factories import (
    PASSWORD,
    DepartmentFactory,
    PersonFactory,
    bulk_documents,
    make_document,
)
from tests.kit import count_queries

SIGN = {"password": PASSWORD}


# -- helpers -----------------------------------------------------------------------------
def pdf_with_text(text: str) -> bytes:
    """A one-page PDF whose text pypdf can read."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def pdf_upload(text="Torque wrench calibration record", name="calibration.pdf"):
    return SimpleUploadedFile(name, pdf_with_text(text), content_type="application/pdf")


def bring_into_force(document, author, approver, reviewer=None, body="Text.", **draft):
    """Write, submit, (review,) approve: the revision is in force today."""
    StartRevision(author, document).execute()
    data = {"body": body, "change_summary": "Revised.", **draft}
    EditDraft(author, document, data=data).execute()
    SubmitRevision(author, document).execute()
    if reviewer is not None:
        ReviewRevision(reviewer, document, data=SIGN, reason="Suitable").execute()
    ApproveRevision(approver, document, data=SIGN, reason="Approved").execute()
    document.refresh_from_db()
    return document.revisions.get(status=Revision.Status.EFFECTIVE)


def years_later(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def errors_of(refused) -> dict:
    return refused.value.errors


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def action_url(document, code: str) -> str:
    return reverse("documents:document_detail", args=[document.reference]) + f"do/{code}/"


def detail_url(document) -> str:
    return reverse("documents:document_detail", args=[document.reference])


def readiness(person) -> dict:
    """Clause ref -> (status, sentence) of the documents' own checks (other apps check some
    of these clauses too, e.g. 6.2 for the objectives themselves)."""
    checks = registered_checks()
    report = {}
    for ref in ("4.3", "5.2", "6.2", "7.5.1", "7.5.2", "7.5.3"):
        own = [c(person) for c in checks[ref] if c.__module__ == "norma.documents.readiness"]
        report[ref] = (worst(r.status for r in own), " ".join(r.sentence for r in own))
    return report


@pytest.fixture
def form(process_owner, quality_manager):
    """A form in force: written by the process owner, approved by the quality manager."""
    document = make_document(
        process_owner, title="Goods-in inspection form", document_type="form", owner=process_owner
    )
    bring_into_force(document, process_owner, quality_manager, body="Check the delivery note.")
    return document


@pytest.fixture
def assembly(leeds):
    return DepartmentFactory(name="Assembly", site=leeds)


def obsolete(document, person):
    ObsoleteDocument(person, document, reason="Replaced by a new form").execute()
    document.refresh_from_db()
    return document


def past_retention(document):
    """Test setup only: the retention clock started long ago."""
    Document.objects.filter(pk=document.pk).update(
        retained_from=timezone.localdate() - timedelta(days=366 * 11)
    )
    document.refresh_from_db()
    return document


# -- distribution ----------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["role", "department", "person id", "person email"])
def test_a_document_is_distributed_to_a_role_a_department_or_a_person(
    kind, form, quality_manager, employee, assembly
):
    data, expected = {
        "role": ({"role": RoleCode.EMPLOYEE}, {"role": RoleCode.EMPLOYEE}),
        "department": ({"department": str(assembly.pk)}, {"department": assembly}),
        "person id": ({"person": employee.pk}, {"person": employee}),
        "person email": ({"person": f"  {employee.email.upper()} "}, {"person": employee}),
    }[kind]
    Distribute(quality_manager, form, data=data).execute()
    entry = Distribution.objects.get(document=form)
    assert entry.role == expected.get("role", "")
    assert entry.department == expected.get("department")
    assert entry.person == expected.get("person")
    logged = ChangeLogEntry.objects.get(
        object_type="documents.document", object_id=str(form.pk), action="distribute"
    )
    assert logged.after["distribution"] == str(entry)


@pytest.mark.parametrize(
    "data",
    [{}, {"role": "", "department": "", "person": ""}, {"role": "employee", "person": "1"}],
    ids=["nothing", "all empty", "two targets"],
)
def test_distribution_needs_exactly_one_target(data, form, quality_manager):
    with pytest.raises(InvalidInput) as refused:
        Distribute(quality_manager, form, data=data).execute()
    assert "Choose exactly one of role, department or person." in errors_of(refused)["__all__"]
    assert not Distribution.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("role", "chief_wizard"),
        ("department", "999999"),
        ("department", "assembly"),
        ("person", "999999"),
        ("person", "ghost@example.com"),
        ("person", "inactive"),
        ("department", "inactive"),
    ],
)
def test_an_unknown_target_is_refused_naming_the_field(field, value, form, quality_manager, leeds):
    if value == "inactive" and field == "person":
        value = PersonFactory(is_active=False, roles=[RoleCode.EMPLOYEE]).email
    elif value == "inactive":
        value = str(DepartmentFactory(site=leeds, is_active=False).pk)
    with pytest.raises(InvalidInput) as refused:
        Distribute(quality_manager, form, data={field: value}).execute()
    assert list(errors_of(refused)) == [field]
    assert not Distribution.objects.exists()


def test_a_document_is_not_distributed_twice_to_the_same_reader(form, quality_manager, employee):
    Distribute(quality_manager, form, data={"person": employee.pk}).execute()
    with pytest.raises(ActionRefused, match="already distributed") as refused:
        Distribute(quality_manager, form, data={"person": employee.email}).execute()
    assert not isinstance(refused.value, InvalidInput)
    assert Distribution.objects.filter(document=form).count() == 1


@pytest.mark.parametrize(
    "persona, allowed",
    [("quality_manager", True), ("process_owner", True), ("employee", False)],
    indirect=["persona"],
)
def test_who_may_distribute_a_document(persona, allowed, form):
    action = Distribute(persona, form, data={"role": RoleCode.EMPLOYEE})
    assert action.is_allowed() is allowed
    if allowed:
        action.execute()
    else:
        with pytest.raises(NotPermitted):
            action.execute()
    assert Distribution.objects.filter(document=form).exists() is allowed


def test_an_obsolete_document_is_no_longer_distributed(form, quality_manager):
    obsolete(form, quality_manager)
    with pytest.raises(ActionRefused, match="obsolete"):
        Distribute(quality_manager, form, data={"role": RoleCode.EMPLOYEE}).execute()


def test_stopping_a_distribution_keeps_the_acknowledgements_given(form, quality_manager, employee):
    Distribute(quality_manager, form, data={"person": employee.pk}).execute()
    AcknowledgeRevision(employee, form).execute()
    entry = Distribution.objects.get(document=form)
    StopDistribution(quality_manager, form, data={"distribution": entry.pk}).execute()
    assert not Distribution.objects.filter(document=form).exists()
    assert Acknowledgement.objects.filter(person=employee, revision__document=form).count() == 1
    logged = ChangeLogEntry.objects.get(object_id=str(form.pk), action="undistribute")
    assert logged.before["distribution"] == f"Person: {employee}"


def test_stopping_an_entry_of_another_document_is_not_found(form, quality_manager, process_owner):
    other = make_document(process_owner, title="Another form", document_type="form")
    Distribute(quality_manager, other, data={"role": RoleCode.EMPLOYEE}).execute()
    entry = Distribution.objects.get(document=other)
    with pytest.raises(NotFound):
        StopDistribution(quality_manager, form, data={"distribution": entry.pk}).execute()
    assert Distribution.objects.filter(pk=entry.pk).exists()


def test_the_detail_page_form_distributes_to_a_department(
    form, quality_manager, assembly, client_for
):
    client = client_for(quality_manager)
    page = client.get(detail_url(form)).content.decode()
    assert 'action="' + action_url(form, "distribute") + '"' in page
    response = client.post(
        action_url(form, "distribute"),
        {"version": form.version, "role": "", "department": assembly.pk, "person": ""},
    )
    assert response.status_code == 302
    assert Distribution.objects.get(document=form).department == assembly
    assert "Department: Assembly" in client.get(detail_url(form)).content.decode()


def test_the_detail_page_form_distributes_to_a_person_by_email(
    form, process_owner, employee, client_for
):
    response = client_for(process_owner).post(
        action_url(form, "distribute"),
        {"version": form.version, "role": "", "department": "", "person": employee.email},
    )
    assert response.status_code == 302
    assert Distribution.objects.get(document=form).person == employee


def test_the_detail_page_form_with_nothing_chosen_says_what_is_missing(
    form, quality_manager, client_for
):
    response = client_for(quality_manager).post(
        action_url(form, "distribute"),
        {"version": form.version, "role": "", "department": "", "person": ""},
    )
    assert "Choose exactly one of role, department or person." in messages_of(response)
    assert not Distribution.objects.exists()


def test_a_stale_distribution_form_changes_nothing(form, quality_manager, employee, client_for):
    opened_at = form.version
    Distribute(quality_manager, form, data={"person": employee.pk}).execute()
    response = client_for(quality_manager).post(
        action_url(form, "distribute"),
        {"version": opened_at, "role": RoleCode.EMPLOYEE, "department": "", "person": ""},
    )
    assert "was changed by Quinn Quality" in messages_of(response)
    assert list(Distribution.objects.values_list("role", flat=True)) == [""]


def test_an_employee_gets_no_distribution_form_and_cannot_post_one(form, employee, client_for):
    client = client_for(employee)
    page = client.get(detail_url(form)).content.decode()
    assert action_url(form, "distribute") not in page
    response = client.post(
        action_url(form, "distribute"), {"version": form.version, "role": RoleCode.EMPLOYEE}
    )
    assert "You do not have the right to distribute." in messages_of(response)
    assert not Distribution.objects.exists()


# -- acknowledgement -------------------------------------------------------------------
def test_a_reader_reached_through_their_role_acknowledges_the_revision_in_force(
    form, quality_manager, employee
):
    Distribute(quality_manager, form, data={"role": RoleCode.EMPLOYEE}).execute()
    AcknowledgeRevision(employee, form).execute()
    acknowledgement = Acknowledgement.objects.get(person=employee)
    assert acknowledgement.revision == form.revisions.get(status=Revision.Status.EFFECTIVE)
    assert acknowledgement.person_name == "Eve Employee"


def test_someone_it_is_not_distributed_to_cannot_acknowledge(form, quality_manager, employee):
    Distribute(quality_manager, form, data={"role": RoleCode.INTERNAL_AUDITOR}).execute()
    with pytest.raises(ActionRefused, match="not distributed to you"):
        AcknowledgeRevision(employee, form).execute()
    assert not Acknowledgement.objects.exists()


def test_a_document_not_yet_in_force_cannot_be_acknowledged(
    process_owner, quality_manager, employee
):
    draft = make_document(process_owner, title="Draft form", document_type="form")
    StartRevision(process_owner, draft).execute()
    EditDraft(process_owner, draft, data={"body": "Not yet."}).execute()
    Distribute(quality_manager, draft, data={"person": employee.pk}).execute()
    with pytest.raises(ActionRefused, match="Only a document in force"):
        AcknowledgeRevision(employee, draft).execute()


def test_a_reader_acknowledges_from_the_detail_page(form, quality_manager, employee, client_for):
    Distribute(quality_manager, form, data={"person": employee.pk}).execute()
    form.refresh_from_db()
    client = client_for(employee)
    assert "Revision 1 is distributed to you" in client.get(detail_url(form)).content.decode()
    response = client.post(action_url(form, "acknowledge"), {"version": form.version})
    assert response.status_code == 302
    assert Acknowledgement.objects.filter(person=employee, revision__label="1").exists()
    assert "Revision 1 is distributed to you" not in client.get(detail_url(form)).content.decode()


def test_everyone_counted_as_a_reader_may_acknowledge(
    process_owner, quality_manager, employee, leeds, porto, client_for
):
    leeds_form = make_document(
        process_owner, title="Leeds goods-in form", document_type="form", sites=[leeds]
    )
    bring_into_force(leeds_form, process_owner, quality_manager)
    PersonFactory(full_name="Porto Pete", roles=[RoleCode.EMPLOYEE], scope_sites=[porto])
    Distribute(quality_manager, leeds_form, data={"role": RoleCode.EMPLOYEE}).execute()
    waiting = client_for(quality_manager).get(detail_url(leeds_form)).context["waiting"]
    assert employee in [person for person, _ in waiting]
    refused = [
        p.full_name for p, _ in waiting if not AcknowledgeRevision(p, leeds_form).is_allowed()
    ]
    assert refused == []


def test_an_obsolete_document_cannot_be_acknowledged(form, quality_manager, employee):
    Distribute(quality_manager, form, data={"person": employee.pk}).execute()
    obsolete(form, quality_manager)
    with pytest.raises(ActionRefused, match="Only a document in force"):
        AcknowledgeRevision(employee, form).execute()


def test_a_revision_is_acknowledged_only_once(form, quality_manager, employee):
    Distribute(quality_manager, form, data={"person": employee.pk}).execute()
    AcknowledgeRevision(employee, form).execute()
    with pytest.raises(ActionRefused, match="already acknowledged revision 1"):
        AcknowledgeRevision(employee, form).execute()
    assert Acknowledgement.objects.count() == 1


def test_a_new_revision_in_force_asks_its_readers_again(
    form, quality_manager, process_owner, employee, client_for
):
    Distribute(quality_manager, form, data={"person": employee.pk}).execute()
    AcknowledgeRevision(employee, form).execute()
    assert client_for(quality_manager).get(detail_url(form)).context["coverage"].done == 1

    second = bring_into_force(form, process_owner, quality_manager, body="Also check the seal.")
    assert second.label == "2"
    context = client_for(quality_manager).get(detail_url(form)).context
    assert (context["coverage"].done, context["coverage"].expected) == (0, 1)
    assert Acknowledgement.objects.filter(person=employee, revision__label="1").exists()
    AcknowledgeRevision(employee, form).execute()
    assert list(
        Acknowledgement.objects.filter(person=employee).values_list("revision__label", flat=True)
    ) == ["1", "2"]


def test_the_detail_page_shows_coverage_per_document_and_per_department(
    form, quality_manager, assembly, leeds, client_for
):
    packing = DepartmentFactory(name="Packing", site=leeds)
    fay = PersonFactory(full_name="Fay Fitter", department=assembly, roles=[RoleCode.EMPLOYEE])
    PersonFactory(full_name="Gus Grinder", department=assembly, roles=[RoleCode.EMPLOYEE])
    pat = PersonFactory(full_name="Pat Packer", department=packing, roles=[RoleCode.EMPLOYEE])
    PersonFactory(full_name="Not Distributed", department=packing)
    Distribute(quality_manager, form, data={"department": assembly.pk}).execute()
    Distribute(quality_manager, form, data={"person": pat.pk}).execute()
    AcknowledgeRevision(fay, form).execute()
    AcknowledgeRevision(pat, form).execute()

    response = client_for(quality_manager).get(detail_url(form))
    coverage = response.context["coverage"]
    assert (coverage.done, coverage.expected, coverage.percent) == (2, 3, 67)
    rows = {row.label: (row.done, row.expected) for row in response.context["coverage_rows"]}
    assert rows == {"Assembly · Leeds": (1, 2), "Packing · Leeds": (1, 1)}
    page = response.content.decode()
    assert "<strong>2 of 3</strong> readers have acknowledged revision 1" in page
    assert "<td>Assembly · Leeds</td><td>1 / 2</td>" in page


@pytest.mark.parametrize(
    "persona, sees_names",
    [("quality_manager", True), ("process_owner", True), ("employee", False)],
    indirect=["persona"],
)
def test_who_has_not_read_it_is_shown_to_editors_only(
    persona, sees_names, form, quality_manager, client_for
):
    PersonFactory(full_name="Slow Reader", roles=[RoleCode.EMPLOYEE])
    Distribute(quality_manager, form, data={"role": RoleCode.EMPLOYEE}).execute()
    page = client_for(persona).get(detail_url(form)).content.decode()
    assert "readers have acknowledged revision 1" in page
    assert ("Slow Reader" in page) is sees_names
    assert ("Not read yet (" in page) is sees_names


# -- my tasks --------------------------------------------------------------------------
def tasks_on_home_page(client, reference) -> dict:
    context = client.get("/").context
    return {
        section: [t for t in context[section] if t.reference == reference]
        for section in ("overdue", "upcoming")
    }


def test_a_revision_to_read_is_in_my_tasks_due_after_the_reading_window(
    form, quality_manager, employee, internal_auditor, client_for, settings
):
    assert settings.NORMA_ACKNOWLEDGE_DAYS == 14
    Distribute(quality_manager, form, data={"role": RoleCode.EMPLOYEE}).execute()
    tasks = tasks_on_home_page(client_for(employee), form.reference)
    assert tasks["overdue"] == []
    [task] = tasks["upcoming"]
    assert task.due_date == timezone.localdate() + timedelta(days=14)
    assert task.kind == "Read and acknowledge"
    assert task.title == "Goods-in inspection form (revision 1)"
    assert task.url == detail_url(form)
    nothing = {"overdue": [], "upcoming": []}
    assert tasks_on_home_page(client_for(internal_auditor), form.reference) == nothing


def test_the_reading_window_follows_the_setting(
    form, quality_manager, employee, client_for, settings
):
    settings.NORMA_ACKNOWLEDGE_DAYS = 30
    Distribute(quality_manager, form, data={"person": employee.pk}).execute()
    [task] = tasks_on_home_page(client_for(employee), form.reference)["upcoming"]
    assert task.due_date == timezone.localdate() + timedelta(days=30)


@pytest.mark.parametrize("days_later, section", [(14, "upcoming"), (15, "overdue")])
def test_an_unread_revision_is_overdue_once_the_window_has_passed(
    days_later, section, form, quality_manager, employee, client_for, clock
):
    Distribute(quality_manager, form, data={"person": employee.pk}).execute()
    effective = form.revisions.get(status=Revision.Status.EFFECTIVE).effective_date
    clock(days_later)
    tasks = tasks_on_home_page(client_for(employee), form.reference)
    [task] = tasks[section]
    assert task.due_date == effective + timedelta(days=14)
    assert [t for s in tasks.values() for t in s] == [task]


def test_acknowledging_removes_the_task(form, quality_manager, employee, client_for, clock):
    Distribute(quality_manager, form, data={"person": employee.pk}).execute()
    clock(20)
    client = client_for(employee)
    assert tasks_on_home_page(client, form.reference)["overdue"]
    AcknowledgeRevision(employee, form).execute()
    assert tasks_on_home_page(client, form.reference) == {"overdue": [], "upcoming": []}


def test_home_page_queries_do_not_grow_with_the_documents_to_read(employee, client_for):
    def distribute(count):
        documents = bulk_documents(count)
        Distribution.objects.bulk_create(
            Distribution(document=d, role=RoleCode.EMPLOYEE) for d in documents
        )

    client = client_for(employee)
    distribute(2)
    few, _ = count_queries(client, "/")
    distribute(40)
    many, sql = count_queries(client, "/")
    assert len(client.get("/").context["upcoming"]) == 42
    assert many == few, "\n".join(sql)


# -- periodic review -------------------------------------------------------------------
def test_confirming_a_periodic_review_is_signed_and_sets_the_next_review_from_today(
    form, process_owner, clock
):
    form.refresh_from_db()
    assert form.due_date == years_later(timezone.localdate(), 3)  # forms: every 36 months
    review_day = clock(100)
    ConfirmReview(process_owner, form, data=SIGN, reason="Still fits the process").execute()
    form.refresh_from_db()
    assert form.due_date == years_later(review_day, 3)
    decision = RevisionDecision.objects.get(step=Step.PERIODIC)
    assert decision.revision == form.revisions.get(status=Revision.Status.EFFECTIVE)
    assert (decision.outcome, decision.person) == (Outcome.NO_CHANGE, process_owner)
    assert decision.comment == "Still fits the process"
    assert decision.signature.signer == process_owner
    assert decision.signature.meaning == SignatureMeaning.REVIEWED


def test_a_periodic_review_with_a_wrong_password_changes_nothing(form, process_owner, clock):
    form.refresh_from_db()
    due, signatures = form.due_date, Signature.objects.count()
    clock(100)
    with pytest.raises(InvalidInput) as refused:
        ConfirmReview(process_owner, form, data={"password": "wrong"}).execute()
    assert list(errors_of(refused)) == ["password"]
    form.refresh_from_db()
    assert form.due_date == due
    assert not RevisionDecision.objects.filter(step=Step.PERIODIC).exists()
    assert Signature.objects.count() == signatures


def test_a_record_has_no_periodic_review(process_owner, quality_manager):
    record = make_document(process_owner, title="Calibration 2025", document_type="record")
    bring_into_force(record, process_owner, quality_manager)
    with pytest.raises(ActionRefused, match="Records are retained"):
        ConfirmReview(quality_manager, record, data=SIGN).execute()


def test_a_document_not_in_force_has_no_periodic_review(process_owner, quality_manager):
    draft = make_document(process_owner, title="Draft form", document_type="form")
    StartRevision(process_owner, draft).execute()
    with pytest.raises(ActionRefused, match="Only a document in force"):
        ConfirmReview(quality_manager, draft, data=SIGN).execute()


def test_an_obsolete_document_has_no_periodic_review(form, quality_manager):
    obsolete(form, quality_manager)
    with pytest.raises(ActionRefused, match="obsolete"):
        ConfirmReview(quality_manager, form, data=SIGN).execute()
    assert not RevisionDecision.objects.filter(step=Step.PERIODIC).exists()


def test_a_document_without_review_period_has_no_periodic_review(process_owner, quality_manager):
    kept = make_document(process_owner, title="Site map", document_type="form", review_months=0)
    bring_into_force(kept, process_owner, quality_manager)
    assert kept.due_date is None
    with pytest.raises(ActionRefused, match="no review period"):
        ConfirmReview(quality_manager, kept, data=SIGN).execute()


def test_an_employee_cannot_confirm_a_periodic_review(form, employee):
    with pytest.raises(NotPermitted):
        ConfirmReview(employee, form, data=SIGN).execute()


def test_the_register_declares_a_periodic_review_reminder_to_the_owner():
    [reminder] = [r for r in DocumentRegister.reminders if r.date_field == "due_date"]
    assert isinstance(reminder, Reminder)
    assert 30 in reminder.lead_days
    assert reminder.to_owner
    assert "review" in reminder.label
    assert set(reminder.skip_statuses) >= {Document.Status.OBSOLETE, Document.Status.DISPOSED}


@pytest.mark.parametrize("days_before, reminded", [(31, False), (30, True), (3, True)])
def test_the_owner_is_reminded_when_the_review_is_due_within_30_days(
    days_before, reminded, form, process_owner
):
    form.refresh_from_db()
    create_reminders(today=form.due_date - timedelta(days=days_before))
    mine = Notification.objects.filter(reference=form.reference, recipient_person=process_owner)
    assert mine.exists() is reminded
    if reminded:
        assert "periodic review due" in mine.get().message.lower()
        assert mine.get().due_date == form.due_date


def test_an_obsolete_document_is_not_reminded_of_its_review(form, quality_manager):
    form.refresh_from_db()
    due = form.due_date
    obsolete(form, quality_manager)
    create_reminders(today=due - timedelta(days=3))
    assert not Notification.objects.filter(reference=form.reference).exists()


# -- legal hold ------------------------------------------------------------------------
def test_a_legal_hold_is_placed_and_released_with_a_reason(form, quality_manager):
    PlaceLegalHold(quality_manager, form, reason="Customer claim 2025-17").execute()
    form.refresh_from_db()
    assert (form.legal_hold, form.legal_hold_reason) == (True, "Customer claim 2025-17")
    ReleaseLegalHold(quality_manager, form, reason="Claim settled").execute()
    form.refresh_from_db()
    assert (form.legal_hold, form.legal_hold_reason) == (False, "")
    actions = ChangeLogEntry.objects.filter(object_id=str(form.pk)).values_list("action", "reason")
    assert ("hold", "Customer claim 2025-17") in actions
    assert ("release_hold", "Claim settled") in actions


def test_a_legal_hold_needs_a_reason(form, quality_manager):
    with pytest.raises(InvalidInput) as refused:
        PlaceLegalHold(quality_manager, form, reason="  ").execute()
    assert list(errors_of(refused)) == ["reason"]
    PlaceLegalHold(quality_manager, form, reason="Claim").execute()
    with pytest.raises(InvalidInput) as refused:
        ReleaseLegalHold(quality_manager, form).execute()
    assert list(errors_of(refused)) == ["reason"]
    form.refresh_from_db()
    assert form.legal_hold


@pytest.mark.parametrize("persona", ["top_manager", "process_owner", "employee"], indirect=True)
def test_only_holders_of_the_hold_right_place_or_release_a_legal_hold(
    persona, form, quality_manager
):
    with pytest.raises(NotPermitted):
        PlaceLegalHold(persona, form, reason="Claim").execute()
    PlaceLegalHold(quality_manager, form, reason="Claim").execute()
    with pytest.raises(NotPermitted):
        ReleaseLegalHold(persona, form, reason="Settled").execute()
    form.refresh_from_db()
    assert form.legal_hold


# -- disposal --------------------------------------------------------------------------
def test_an_obsolete_document_past_its_retention_is_disposed_of(form, quality_manager):
    obsolete(form, quality_manager)
    past_retention(form)
    DisposeDocument(quality_manager, form, data=SIGN, reason="Retention ended").execute()
    form.refresh_from_db()
    assert form.status == Document.Status.DISPOSED
    disposal = Disposal.objects.get(document=form)
    assert (disposal.reference, disposal.title) == (form.reference, "Goods-in inspection form")
    assert (disposal.method, disposal.retention_years) == ("destroy", 5)
    assert disposal.retained_from == form.retained_from
    assert (disposal.disposed_by, disposal.disposed_by_name) == (quality_manager, "Quinn Quality")
    assert (disposal.revisions, disposal.files_removed, disposal.reason) == (
        1,
        0,
        "Retention ended",
    )
    assert disposal.signature.signer == quality_manager
    assert disposal.signature.object_id == str(form.pk)


def test_a_final_record_past_its_retention_is_disposed_of(process_owner, quality_manager):
    record = make_document(process_owner, title="Calibration 2014", document_type="record")
    revision = bring_into_force(record, process_owner, quality_manager)
    assert record.retained_from == revision.effective_date  # a record is kept from being final
    with pytest.raises(ActionRefused, match="must be kept until"):
        DisposeDocument(quality_manager, record, data=SIGN).execute()
    past_retention(record)
    DisposeDocument(quality_manager, record, data=SIGN).execute()
    record.refresh_from_db()
    assert record.status == Document.Status.DISPOSED
    assert Disposal.objects.filter(document=record).exists()


def test_disposal_is_refused_before_the_retention_ends(form, quality_manager):
    obsolete(form, quality_manager)
    until = years_later(timezone.localdate(), 5)
    with pytest.raises(ActionRefused, match=f"must be kept until {until.isoformat()}"):
        DisposeDocument(quality_manager, form, data=SIGN).execute()
    assert not Disposal.objects.exists()


def test_a_document_in_force_is_not_disposed_of(form, quality_manager):
    past_retention(form)
    with pytest.raises(ActionRefused, match="Only an obsolete document or a final record"):
        DisposeDocument(quality_manager, form, data=SIGN).execute()
    form.refresh_from_db()
    assert form.status == Document.Status.EFFECTIVE


def test_a_document_without_retention_period_is_kept_for_good(process_owner, quality_manager):
    kind = DocumentType.objects.create(
        code="charter", name="Charter", number_prefix="CH", retention_years=None
    )
    charter = make_document(process_owner, title="Company charter", document_type=kind)
    obsolete(charter, quality_manager)
    past_retention(charter)
    assert charter.retain_until is None
    with pytest.raises(ActionRefused, match="no retention period"):
        DisposeDocument(quality_manager, charter, data=SIGN).execute()


def test_a_legal_hold_blocks_disposal_until_it_is_released(form, quality_manager):
    obsolete(form, quality_manager)
    past_retention(form)
    PlaceLegalHold(quality_manager, form, reason="Customer claim 2025-17").execute()
    with pytest.raises(ActionRefused, match="legal hold: Customer claim 2025-17"):
        DisposeDocument(quality_manager, form, data=SIGN).execute()
    assert not Disposal.objects.exists()
    ReleaseLegalHold(quality_manager, form, reason="Settled").execute()
    DisposeDocument(quality_manager, form, data=SIGN).execute()
    assert Disposal.objects.filter(document=form).exists()


def test_disposal_needs_the_password(form, quality_manager):
    obsolete(form, quality_manager)
    past_retention(form)
    signatures = Signature.objects.count()
    with pytest.raises(InvalidInput) as refused:
        DisposeDocument(quality_manager, form, data={"password": "not-mine"}).execute()
    assert list(errors_of(refused)) == ["password"]
    form.refresh_from_db()
    assert form.status == Document.Status.OBSOLETE
    assert form.revisions.get().body == "Check the delivery note."
    assert not Disposal.objects.exists()
    assert Signature.objects.count() == signatures


@pytest.mark.parametrize("persona", ["top_manager", "process_owner"], indirect=True)
def test_only_holders_of_the_disposal_right_dispose(persona, form, quality_manager):
    obsolete(form, quality_manager)
    past_retention(form)
    with pytest.raises(NotPermitted):
        DisposeDocument(persona, form, data=SIGN).execute()


def test_disposal_removes_the_content_and_the_stored_files(
    process_owner, quality_manager, django_capture_on_commit_callbacks
):
    record = make_document(process_owner, title="Torque calibration", document_type="record")
    revision = bring_into_force(
        record, process_owner, quality_manager, body="Wrench 7 in tolerance.", file=pdf_upload()
    )
    stored = revision.file.name
    assert default_storage.exists(stored)
    assert "Torque wrench calibration" in revision.extracted_text
    past_retention(record)
    with django_capture_on_commit_callbacks(execute=True):
        DisposeDocument(quality_manager, record, data=SIGN).execute()
    revision.refresh_from_db()
    assert (revision.body, revision.extracted_text, revision.file.name) == ("", "", "")
    assert not default_storage.exists(stored)
    assert Disposal.objects.get(document=record).files_removed == 1


def test_a_disposal_that_is_rolled_back_destroys_no_file(process_owner, quality_manager):
    record = make_document(process_owner, title="Torque calibration", document_type="record")
    revision = bring_into_force(record, process_owner, quality_manager, file=pdf_upload())
    past_retention(record)
    with pytest.raises(RuntimeError), transaction.atomic():
        DisposeDocument(quality_manager, record, data=SIGN).execute()
        raise RuntimeError("the disk filled up before the commit")
    assert default_storage.exists(revision.file.name)
    assert not Disposal.objects.exists()


def test_disposal_removes_the_files_attached_to_the_document(
    process_owner, quality_manager, django_capture_on_commit_callbacks
):
    record = make_document(process_owner, title="Torque calibration", document_type="record")
    bring_into_force(record, process_owner, quality_manager)
    AttachFile(quality_manager, record, data={"file": pdf_upload(name="scan.pdf")}).execute()
    stored = Attachment.objects.get().file.name
    assert default_storage.exists(stored)
    past_retention(record)
    with django_capture_on_commit_callbacks(execute=True):
        DisposeDocument(quality_manager, record, data=SIGN).execute()
    assert not default_storage.exists(stored)


def test_nothing_can_be_attached_to_a_disposed_document(process_owner, quality_manager):
    record = make_document(process_owner, title="Torque calibration", document_type="record")
    bring_into_force(record, process_owner, quality_manager)
    past_retention(record)
    DisposeDocument(quality_manager, record, data=SIGN).execute()
    with pytest.raises(ActionRefused):
        AttachFile(quality_manager, record, data={"file": pdf_upload()}).execute()
    assert not Attachment.objects.exists()


def test_a_disposed_document_is_no_longer_found_by_search(
    process_owner, quality_manager, client_for
):
    record = make_document(process_owner, title="Torque calibration", document_type="record")
    bring_into_force(record, process_owner, quality_manager, file=pdf_upload())
    assert [h.document for h in search.search(quality_manager, "wrench")] == [record]
    past_retention(record)
    DisposeDocument(quality_manager, record, data=SIGN).execute()
    assert search.search(quality_manager, "wrench") == []
    assert search.search(quality_manager, "wrench", include_obsolete=True) == []
    assert not DocumentText.objects.filter(document=record).exists()
    page = client_for(quality_manager).get("/documents/search/?q=torque&obsolete=1")
    assert record.reference not in page.content.decode()


def test_the_disposal_log_lists_each_disposal(form, quality_manager, client_for):
    obsolete(form, quality_manager)
    past_retention(form)
    DisposeDocument(quality_manager, form, data=SIGN, reason="Retention ended").execute()
    response = client_for(quality_manager).get("/documents/disposals/")
    page = response.content.decode()
    [disposal] = response.context["disposals"]
    assert disposal.signature.meaning == SignatureMeaning.APPROVED
    assert disposal.signature.signer_name == "Quinn Quality"
    row = re.search(rf"<tr><td>{form.reference}</td>.*?</tr>", page, re.S).group(0)
    assert "Goods-in inspection form" in row
    assert "Retention ended" in row
    assert "Quinn Quality" in row
    assert "1 / 0" in row


@pytest.mark.parametrize(
    "persona, status",
    [(p, 403 if p in ("external_auditor", "nobody") else 200) for p in PERSONAS],
    indirect=["persona"],
)
def test_who_may_read_the_disposal_log(persona, status, client_for):
    assert client_for(persona).get("/documents/disposals/").status_code == status


# -- readiness -------------------------------------------------------------------------
def test_with_no_documents_the_document_clauses_are_missing(quality_manager):
    assert {ref: status for ref, (status, _) in readiness(quality_manager).items()} == {
        "4.3": Status.MISSING,
        "5.2": Status.MISSING,
        "6.2": Status.MISSING,
        "7.5.1": Status.MISSING,
        "7.5.2": Status.MISSING,
        "7.5.3": Status.MISSING,
    }


@pytest.mark.parametrize("ref, item", [("4.3", "M1"), ("6.2", "M4")])
def test_a_linked_document_is_partly_met_until_it_is_in_force(
    ref, item, process_owner, quality_manager
):
    document = make_document(
        process_owner, title="The QMS document", document_type="form", checklist_item=item
    )
    status, sentence = readiness(quality_manager)[ref]
    assert status == Status.PARTLY_MET
    assert f"{document.reference} is not yet effective" in sentence
    bring_into_force(document, process_owner, quality_manager)
    status, sentence = readiness(quality_manager)[ref]
    assert status == Status.MET
    assert f"{document.reference} is in force" in sentence


def test_7_5_1_is_met_once_scope_policy_and_objectives_are_in_force(process_owner, quality_manager):
    documents = {
        item: make_document(process_owner, title=item, document_type="form", checklist_item=item)
        for item in ("M1", "M3", "M4")
    }
    assert readiness(quality_manager)["7.5.1"][0] == Status.MISSING
    bring_into_force(documents["M1"], process_owner, quality_manager)
    status, sentence = readiness(quality_manager)["7.5.1"]
    assert status == Status.PARTLY_MET
    assert "5.2 Quality policy" in sentence and "6.2 Quality objectives" in sentence
    assert "4.3" not in sentence
    bring_into_force(documents["M3"], process_owner, quality_manager)
    bring_into_force(documents["M4"], process_owner, quality_manager)
    assert readiness(quality_manager)["7.5.1"][0] == Status.MET


@pytest.fixture
def policy(process_owner, quality_manager, top_manager):
    """The quality policy in force: reviewed by the quality manager, approved by top management."""
    document = make_document(
        process_owner, title="Quality policy", document_type="policy", checklist_item="M3"
    )
    bring_into_force(document, process_owner, top_manager, reviewer=quality_manager)
    return document


def test_5_2_is_partly_met_while_the_policy_reaches_nobody(policy, quality_manager):
    status, sentence = readiness(quality_manager)["5.2"]
    assert status == Status.PARTLY_MET
    assert "distributed to nobody" in sentence


def test_5_2_reports_how_many_have_acknowledged_the_policy(policy, quality_manager, employee):
    second = PersonFactory(full_name="Second Employee", roles=[RoleCode.EMPLOYEE])
    Distribute(quality_manager, policy, data={"role": RoleCode.EMPLOYEE}).execute()
    status, sentence = readiness(quality_manager)["5.2"]
    assert status == Status.PARTLY_MET
    assert f"{policy.reference} revision A is in force" in sentence
    assert "0 of 2 readers acknowledged it (0%)" in sentence
    AcknowledgeRevision(employee, policy).execute()
    assert "1 of 2 readers acknowledged it (50%)" in readiness(quality_manager)["5.2"][1]
    AcknowledgeRevision(second, policy).execute()
    status, sentence = readiness(quality_manager)["5.2"]
    assert status == Status.MET
    assert "2 of 2 readers acknowledged it (100%)" in sentence


def test_7_5_2_is_partly_met_once_an_author_approved_their_own_revision(
    form, quality_manager, settings
):
    status, sentence = readiness(quality_manager)["7.5.2"]
    assert status == Status.MET
    assert "All 1 revisions in force were approved by someone other" in sentence
    settings.NORMA_SEPARATION_OF_DUTIES = False
    own = make_document(quality_manager, title="Self-approved form", document_type="form")
    bring_into_force(own, quality_manager, quality_manager)
    status, sentence = readiness(quality_manager)["7.5.2"]
    assert status == Status.PARTLY_MET
    assert "1 of 2 revisions in force lack an approval" in sentence


def test_7_5_3_is_partly_met_with_a_document_past_its_review_date(form, quality_manager, clock):
    form.refresh_from_db()
    clock((form.due_date - timezone.localdate()).days + 1)
    status, sentence = readiness(quality_manager)["7.5.3"]
    assert status == Status.PARTLY_MET
    assert "1 documents are past their review date" in sentence
    assert "acknowledgements are overdue" not in sentence


def test_7_5_3_is_partly_met_while_acknowledgements_are_overdue(
    form, quality_manager, employee, clock
):
    Distribute(quality_manager, form, data={"role": RoleCode.EMPLOYEE}).execute()
    clock(14)
    assert readiness(quality_manager)["7.5.3"][0] == Status.MET
    clock(15)
    status, sentence = readiness(quality_manager)["7.5.3"]
    assert status == Status.PARTLY_MET
    assert "1 acknowledgements are overdue on 1 documents" in sentence
    AcknowledgeRevision(employee, form).execute()
    assert readiness(quality_manager)["7.5.3"][0] == Status.MET


def test_the_checklist_page_lists_all_27_items_with_their_documents(
    policy, process_owner, client_for, employee
):
    record = make_document(
        process_owner, title="Audit report 2025", document_type="record", checklist_item="R19"
    )
    response = client_for(employee).get("/documents/checklist/")
    assert response.status_code == 200
    page = response.content.decode()
    rows = re.findall(r"<tr><td>(.*?)</td>(.*?)</tr>", page, re.S)
    assert len(rows) == 27
    by_item = {label: cells for label, cells in rows}
    assert policy.reference in by_item["5.2 Quality policy"]
    assert "Maintain" in by_item["5.2 Quality policy"]
    assert record.reference in by_item["9.2.2 Audit programme and audit results"]
    assert "Retain" in by_item["9.2.2 Audit programme and audit results"]
    assert "None linked" in by_item["4.3 Scope of the QMS"]


# -- export archive --------------------------------------------------------------------
def test_the_export_archive_carries_documents_and_their_files(
    process_owner, quality_manager, employee, tmp_path
):
    document = make_document(process_owner, title="Drawing standard", document_type="form")
    first = bring_into_force(
        document, process_owner, quality_manager, body="", file=pdf_upload(name="drawing.pdf")
    )
    Distribute(quality_manager, document, data={"person": employee.pk}).execute()
    AcknowledgeRevision(employee, document).execute()
    bring_into_force(document, process_owner, quality_manager, body="Now written in Norma.")

    result = export_archive(tmp_path / "qms.zip")
    with zipfile.ZipFile(result.path) as zf:
        names = set(zf.namelist())
        read = {name: json.loads(zf.read(name)) for name in names if name.endswith(".json")}
        stored = zf.read("files/" + first.file.name)

    for name in (
        "registers/documents.document.json",
        "data/documents.revision.json",
        "data/documents.revisiondecision.json",
        "data/documents.distribution.json",
        "data/documents.acknowledgement.json",
        "settings/documents.documenttype.json",
    ):
        assert name in names
    assert [d["reference"] for d in read["registers/documents.document.json"]] == [
        document.reference
    ]
    revisions = read["data/documents.revision.json"]
    assert sorted((r["label"], r["status"]) for r in revisions) == [
        ("1", "superseded"),
        ("2", "effective"),
    ]
    assert {r["file"] for r in revisions} == {first.file.name, ""}
    assert len(read["data/documents.revisiondecision.json"]) == 2
    assert len(read["data/documents.distribution.json"]) == 1
    assert len(read["data/documents.acknowledgement.json"]) == 1
    types = {t["code"] for t in read["settings/documents.documenttype.json"]}
    assert {"policy", "procedure", "form", "record"} <= types
    assert stored == pdf_with_text("Torque wrench calibration record")
    assert result.manifest["counts"]["data/documents.revision.json"] == 2
