"""The audit report and what follows it (ISO 9001 9.2.2, ISO 19011 6.5–6.6): the lead
auditor signs the report with their password, which locks the audit, distributes the report
and counts each auditor's experience; the report prints as PDF and DOCX; the audit closes
once its findings are followed up; a follow-up audit is scheduled from open findings; a
cancelled audit is locked too; and the 9.2.1 / 9.2.2 readiness checks read all of it.

Unless a test says otherwise, Lena Lead (a qualified lead auditor) leads the audit of
Owen Owner's purchasing process with Tom Team (a qualified internal auditor); Owen Owner and
Eve Employee are the auditees, and Quinn Quality (the quality manager) plans it.
"""

import io
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from docx import Document as WordDocument
from pypdf import PdfReader

from norma.audits import findings, readiness, workflow
from norma.audits.models import Audit, AuditProgramme, ChecklistItem, Finding, Interview
from norma.audits.programme import ApproveProgramme
from norma.core.actions import (
    ActionRefused,
    ArchiveRecord,
    CreateRecord,
    InvalidInput,
    NotPermitted,
    UpdateRecord,
)
from norma.core.models import ChangeLogEntry, RoleCode, Signature, SignatureMeaning
from norma.core.registers import registry
from norma.core.signatures import signature_holds
from norma.improvement import actions as nc_steps
from norma.improvement.models import Nonconformity
from norma.notifications.models import Notification
from norma.people.auditors import qualifications
from norma.people.models import AuditExperience, Course, TrainingRecord
from norma.standards.readiness import Status, registered_checks
from norma.standards.readiness import evaluate as readiness_report
from tests.audits.helpers import (
    PASSWORD,
    add_question,
    answer,
    auditor,
    clause,
    close_fieldwork,
    days,
    fresh,
    make_audit,
    make_finding,
    make_process,
    make_programme,
    run,
    sign,
    start,
)
from tests.factories import PersonFactory
from tests.improvement.helpers import walk
from tests.kit import form_data

CONCLUSIONS = "Purchasing meets the criteria except for supplier re-evaluation."


# -- small helpers ------------------------------------------------------------------------
def page_of(record, role="detail") -> str:
    register = registry.for_model(type(record))
    return reverse(register.url_name(role), args=[record.reference])


def api_base(model) -> str:
    register = registry.for_model(model)
    return f"/api/v1/{register.app_label()}/{register.slug()}/"


def api_of(record) -> str:
    return f"{api_base(type(record))}{record.reference}"


def api_do(api, record, code, **body):
    record = fresh(record)
    return api.post(f"{api_of(record)}/actions/{code}", body, **{"If-Match": record.etag})


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def report_url(audit, kind="pdf") -> str:
    return reverse(f"audits:report_{kind}", args=[audit.reference])


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def docx_text(content: bytes) -> str:
    document = WordDocument(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return " ".join(" ".join(parts).split())


def signatures_of(audit):
    return Signature.objects.filter(
        content_type=ContentType.objects.get_for_model(Audit), object_id=str(audit.pk)
    )


def experience_of(audit):
    return AuditExperience.objects.filter(title__startswith=f"{audit.reference} ")


def issue(actor, finding):
    return run(findings.IssueFinding, actor, fresh(finding))


def acknowledge(actor, finding):
    return run(findings.AcknowledgeFinding, actor, fresh(finding))


def to_reporting(audit, lead):
    start(audit, lead)
    return close_fieldwork(fresh(audit), lead)


def row_for(person, ref):
    return next(r for r in readiness_report(person).rows if r.clause.ref == ref)


def check_result(person, ref, check):
    row = row_for(person, ref)
    return row.results[registered_checks()[ref].index(check)]


# -- the people and the audit --------------------------------------------------------------
@pytest.fixture
def clock(monkeypatch):
    """Move Norma's clock (django.utils.timezone.now, and so localdate) some days ahead."""
    real_now = timezone.now

    def move(n: int):
        monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(days=n))
        return timezone.localdate()

    return move


@pytest.fixture
def lead(quality_manager):
    return auditor(quality_manager, "Lena Lead")


@pytest.fixture
def member(quality_manager):
    return auditor(quality_manager, "Tom Team", level="internal")


@pytest.fixture
def process(quality_manager, process_owner):
    return make_process(quality_manager, title="Purchasing", owner=process_owner)


@pytest.fixture
def planned(quality_manager, lead, member, process, process_owner, employee):
    return make_audit(
        quality_manager,
        owner=lead,
        team=[member],
        auditees=[process_owner, employee],
        processes=[process],
        clauses=[clause("8.4")],
        objectives="Check that purchasing controls its external providers.",
        criteria="ISO 9001:2015 8.4 and procedure PUR-01.",
    )


@pytest.fixture
def reporting(planned, lead):
    """Fieldwork done: the checklist answered in part and the closing meeting held."""
    return to_reporting(planned, lead)


@pytest.fixture
def reported(reporting, lead):
    return sign(reporting, lead, conclusions=CONCLUSIONS)


@pytest.fixture
def minor(reporting, lead):
    """A minor nonconformity, issued: its nonconformity is open."""
    return issue(lead, make_finding(lead, reporting, "minor"))


# == 1. signing the report ===================================================================
class TestSigningTheReport:
    @pytest.mark.parametrize("who", ["member", "quality_manager"])
    def test_only_the_lead_auditor_signs_the_report(self, request, reporting, who):
        with pytest.raises(NotPermitted) as refused:
            sign(reporting, request.getfixturevalue(who))
        assert refused.value.message == "Only the lead auditor signs the report."
        assert fresh(reporting).status == Audit.Status.REPORTING
        assert not signatures_of(reporting).exists()

    def test_a_team_member_signing_through_the_api_is_forbidden(self, api_for, member, reporting):
        response = api_do(
            api_for(member),
            reporting,
            "sign-report",
            conclusions=CONCLUSIONS,
            fulfilment="full",
            password=PASSWORD,
        )
        assert response.status_code == 403
        assert "lead auditor" in response.json()["detail"]
        assert fresh(reporting).status == Audit.Status.REPORTING

    @pytest.mark.parametrize("password", ["not-my-password", ""])
    def test_a_wrong_password_is_refused_naming_it_and_nothing_changes(
        self, reporting, lead, member, password
    ):
        version = fresh(reporting).version
        with pytest.raises(InvalidInput) as refused:
            sign(reporting, lead, password=password)
        assert list(refused.value.errors) == ["password"]
        audit = fresh(reporting)
        assert (audit.status, audit.version) == (Audit.Status.REPORTING, version)
        assert audit.reported_on is None and audit.distributed_to == []
        assert audit.conclusions == ""
        assert not signatures_of(audit).exists()
        assert not experience_of(audit).exists()
        assert not Notification.objects.filter(reference=audit.reference).exists()

    def test_a_wrong_password_through_the_api_is_422_naming_the_password(
        self, api_for, lead, reporting
    ):
        response = api_do(
            api_for(lead),
            reporting,
            "sign-report",
            conclusions=CONCLUSIONS,
            fulfilment="full",
            password="guess",
        )
        assert response.status_code == 422
        assert "password" in response.json()["errors"]
        assert fresh(reporting).status == Audit.Status.REPORTING

    def test_draft_findings_block_signing_and_the_message_names_them(self, reporting, lead):
        first = make_finding(lead, reporting, "minor")
        second = make_finding(lead, reporting, "ofi", title="Approved list could be online")
        with pytest.raises(ActionRefused) as refused:
            sign(reporting, lead)
        assert first.reference in refused.value.message
        assert second.reference in refused.value.message
        assert refused.value.message.startswith("Issue or withdraw the draft findings")
        assert fresh(reporting).status == Audit.Status.REPORTING

    def test_a_draft_withdrawn_no_longer_blocks_signing(self, reporting, lead):
        draft = make_finding(lead, reporting, "observation")
        run(findings.WithdrawFinding, lead, draft, reason="Not supported by the evidence")
        assert sign(reporting, lead).status == Audit.Status.REPORTED

    @pytest.mark.parametrize("missing", ["conclusions", "fulfilment"])
    def test_conclusions_and_the_degree_of_fulfilment_are_required(self, reporting, lead, missing):
        with pytest.raises(InvalidInput) as refused:
            sign(reporting, lead, **{missing: ""})
        assert list(refused.value.errors) == [missing]
        assert fresh(reporting).status == Audit.Status.REPORTING
        assert not signatures_of(reporting).exists()

    def test_full_fulfilment_is_refused_when_nonconformities_were_found(self, minor, lead):
        with pytest.raises(InvalidInput) as refused:
            sign(minor.audit, lead, fulfilment="full")
        assert list(refused.value.errors) == ["fulfilment"]
        assert fresh(minor.audit).status == Audit.Status.REPORTING
        assert sign(minor.audit, lead, fulfilment="largely").status == Audit.Status.REPORTED

    def test_a_question_graded_nonconforming_needs_its_finding_before_signing(
        self, reporting, lead
    ):
        item = reporting.checklist.filter(result="not_audited").first()
        answer(lead, item, "minor", evidence="One supplier was never evaluated.")
        with pytest.raises(ActionRefused) as refused:
            sign(reporting, lead)
        assert item.reference in refused.value.message
        issue(lead, make_finding(lead, reporting, "minor", checklist_item=fresh(item)))
        assert sign(reporting, lead, fulfilment="largely").status == Audit.Status.REPORTED

    def test_the_report_is_signed_only_after_the_closing_meeting(self, planned, lead):
        start(planned, lead)
        with pytest.raises(ActionRefused) as refused:
            sign(planned, lead)
        assert "in progress" in refused.value.message
        assert fresh(planned).status == Audit.Status.IN_PROGRESS

    def test_signing_reports_the_audit_today(self, reported):
        assert reported.status == Audit.Status.REPORTED
        assert fresh(reported).reported_on == timezone.localdate()
        assert fresh(reported).conclusions == CONCLUSIONS
        assert fresh(reported).due_date is None  # no longer a task of the lead's

    def test_the_signature_is_the_lead_authoring_the_content_signed(self, reported, lead):
        (signature,) = signatures_of(reported)
        assert signature.meaning == SignatureMeaning.AUTHORED
        assert (signature.signer, signature.signer_name) == (lead, "Lena Lead")
        assert signature.record_version == fresh(reported).version
        assert signature_holds(signature, fresh(reported))

    def test_the_signature_no_longer_holds_once_the_signed_text_is_altered(self, reported):
        (signature,) = signatures_of(reported)
        # A write outside Norma (a database edit): the hash gives it away.
        Audit.objects.filter(pk=reported.pk).update(conclusions="All fine.")
        assert not signature_holds(signature, fresh(reported))

    def test_the_report_is_distributed_to_top_management_and_the_auditees(
        self, reported, process_owner, employee
    ):
        assert sorted(fresh(reported).distributed_to) == sorted(
            [str(RoleCode.TOP_MANAGEMENT.label), process_owner.full_name, employee.full_name]
        )

    def test_top_management_and_each_auditee_are_notified(
        self, reported, process_owner, employee, lead, member
    ):
        notices = Notification.objects.filter(
            reference=reported.reference, title__startswith="Audit report signed"
        )
        assert sorted(
            notices.exclude(recipient_person=None).values_list("recipient_person", flat=True)
        ) == sorted([process_owner.pk, employee.pk])
        assert list(
            notices.filter(recipient_person=None).values_list("recipient_role", flat=True)
        ) == [RoleCode.TOP_MANAGEMENT]
        assert all(n.link == page_of(reported) for n in notices)

    def test_signing_on_the_audit_page_asks_for_the_password(self, client_for, lead, reporting):
        response = client_for(lead).post(
            f"{page_of(reporting)}do/sign-report/",
            {
                "version": fresh(reporting).version,
                "conclusions": CONCLUSIONS,
                "fulfilment": "largely",
                "password": PASSWORD,
            },
        )
        assert response.status_code == 302
        audit = fresh(reporting)
        assert (audit.status, audit.fulfilment) == (Audit.Status.REPORTED, "largely")
        assert signatures_of(audit).count() == 1

    def test_signing_through_the_api(self, api_for, lead, reporting):
        response = api_do(
            api_for(lead),
            reporting,
            "sign-report",
            conclusions=CONCLUSIONS,
            fulfilment="partly",
            weaknesses="Supplier files are kept on paper.",
            password=PASSWORD,
        )
        assert response.status_code == 200, response.json()
        body = response.json()
        assert (body["status"], body["fulfilment"]) == ("reported", "partly")
        assert body["reported_on"] == timezone.localdate().isoformat()
        assert response["ETag"] == fresh(reporting).etag
        assert signatures_of(reporting).count() == 1

    def test_signing_is_written_to_the_change_log(self, reported, lead):
        entry = ChangeLogEntry.objects.get(
            object_type="audits.audit", object_id=str(reported.pk), action="sign-report"
        )
        assert entry.actor_name == "Lena Lead"
        assert entry.after["status"] == "reported"
        assert "password" not in str(entry.after)

    def test_a_signed_report_is_not_signed_again(self, reported, lead):
        with pytest.raises(ActionRefused):
            sign(reported, lead)
        assert signatures_of(reported).count() == 1


# == 2. locked once signed ===================================================================
class TestLockedOnceSigned:
    def test_the_edit_page_sends_back_to_the_audit_saying_it_is_locked(
        self, client_for, quality_manager, reported
    ):
        response = client_for(quality_manager).get(page_of(reported, "edit"), follow=True)
        assert response.redirect_chain[-1][0] == page_of(reported)
        assert f"{reported.reference}&#x27;s report is signed" in response.content.decode()

    def test_posting_an_edit_is_refused_with_409_and_changes_nothing(
        self, client_for, quality_manager, reported
    ):
        audit = fresh(reported)
        data = form_data(registry.for_model(Audit), audit, conclusions="Rewritten later.")
        response = client_for(quality_manager).post(page_of(audit, "edit"), data)
        assert response.status_code == 409
        assert "the audit is locked" in messages_of(response)
        assert (fresh(audit).conclusions, fresh(audit).version) == (CONCLUSIONS, audit.version)

    def test_an_api_edit_is_refused_with_409_and_a_message(
        self, api_for, quality_manager, reported
    ):
        response = api_for(quality_manager).patch(
            api_of(reported), {"objectives": "Changed"}, **{"If-Match": fresh(reported).etag}
        )
        assert response.status_code == 409
        assert response.json()["detail"] == (
            f"{reported.reference}'s report is signed: the audit is locked."
        )
        assert fresh(reported).objectives != "Changed"

    def test_no_new_finding_is_added_through_the_api(self, api_for, lead, reported, process):
        response = api_for(lead).post(
            api_base(Finding),
            {
                "audit": reported.pk,
                "grade": "minor",
                "title": "Late finding",
                "clause": clause("8.4.1").pk,
                "process": process.pk,
                "requirement": "Providers are re-evaluated.",
                "evidence": "Seen later.",
            },
        )
        assert response.status_code == 409
        assert "nothing more is added" in response.json()["detail"]
        assert not Finding.objects.filter(audit=reported).exists()

    def test_no_new_checklist_item_or_interview_is_added(self, reported, lead, process_owner):
        questions = ChecklistItem.objects.filter(audit=reported).count()
        with pytest.raises(ActionRefused):
            add_question(lead, reported, title="One more question")
        with pytest.raises(ActionRefused):
            findings.AddInterview(
                lead,
                data={
                    "audit": reported,
                    "interviewee": process_owner,
                    "held_at": timezone.now(),
                    "notes": "Said more.",
                },
            ).execute()
        assert ChecklistItem.objects.filter(audit=reported).count() == questions
        assert not Interview.objects.filter(audit=reported).exists()

    def test_the_checklist_answers_are_locked_with_the_report(self, reported, lead):
        item = reported.checklist.filter(result="not_audited").first()
        with pytest.raises(ActionRefused) as refused:
            answer(lead, item, "major")
        assert "its work is locked" in refused.value.message
        assert fresh(item).result == "not_audited"

    @pytest.mark.parametrize("htmx", [True, False])
    def test_the_tablet_page_does_not_save_an_answer_on_a_signed_audit(
        self, client_for, lead, reported, htmx
    ):
        item = reported.checklist.filter(result="not_audited").first()
        prefix = item.reference
        body = {
            f"{prefix}-result": "minor",
            f"{prefix}-notes": "Late note",
            f"{prefix}-evidence": "Late evidence",
            f"{prefix}-evidence_references": "",
            f"{prefix}-version": item.version,
        }
        headers = {"HX-Request": "true"} if htmx else {}
        response = client_for(lead).post(
            reverse("audits:answer", args=[item.reference]), body, headers=headers
        )
        if htmx:  # the card comes back saying why (htmx swaps in 200 responses only)
            page = response.content.decode()
            assert "its work is locked" in page
            assert f"{item.reference} was not saved." in page
        else:
            assert response.status_code == 302
            assert "was not saved" in messages_of(response)
        assert (fresh(item).result, fresh(item).notes) == ("not_audited", "")

    def test_the_tablet_page_offers_no_answer_form_once_signed(self, client_for, lead, reported):
        response = client_for(lead).get(reverse("audits:checklist", args=[reported.reference]))
        assert response.status_code == 200
        assert response.context["editable"] is False

    def test_a_reported_audit_is_not_archived(self, quality_manager, reported):
        with pytest.raises(ActionRefused) as refused:
            ArchiveRecord(quality_manager, fresh(reported), reason="Tidy up").execute()
        assert "record to retain" in refused.value.message
        assert fresh(reported).archived_at is None

    def test_a_reported_audit_is_not_archived_through_the_api(
        self, api_for, quality_manager, reported
    ):
        response = api_for(quality_manager).post(
            f"{api_of(reported)}/archive",
            {"reason": "Tidy up"},
            **{"If-Match": fresh(reported).etag},
        )
        assert response.status_code == 409
        assert "record to retain" in response.json()["detail"]

    def test_an_issued_finding_is_not_withdrawn_after_signing(self, reporting, lead):
        observation = issue(lead, make_finding(lead, reporting, "observation"))
        sign(reporting, lead)
        with pytest.raises(ActionRefused) as refused:
            run(findings.WithdrawFinding, lead, fresh(observation), reason="Changed my mind")
        assert "report is signed" in refused.value.message
        assert fresh(observation).status == Finding.Status.ISSUED

    def test_an_issued_finding_is_not_edited_after_signing(self, reporting, lead):
        observation = issue(lead, make_finding(lead, reporting, "observation"))
        sign(reporting, lead)
        with pytest.raises(ActionRefused):
            UpdateRecord(lead, fresh(observation), data={"evidence": "Other evidence"}).execute()
        assert fresh(observation).evidence == "Two of six suppliers sampled were overdue."


# == 3. audit experience ======================================================================
class TestAuditExperience:
    def test_each_auditor_gets_one_counted_audit_in_their_role(
        self, reported, lead, member, process
    ):
        rows = {x.auditor: x for x in experience_of(reported)}
        assert set(rows) == {lead, member}
        assert rows[lead].role == AuditExperience.Role.LEAD
        assert rows[member].role == AuditExperience.Role.TEAM_MEMBER
        for row in rows.values():
            assert row.status == AuditExperience.Status.COUNTED
            assert row.audited_process == process
            assert row.supervisor is None
            assert row.audited_on == fresh(reported).closing_meeting_at.date()
            assert row.title == f"{reported.reference} {reported.title}"

    def test_a_lead_under_supervision_counts_a_supervised_lead(
        self, quality_manager, lead, process, process_owner
    ):
        trainee = auditor(quality_manager, "Ines Intern", level="internal")
        audit = make_audit(
            quality_manager,
            owner=trainee,
            supervisor=lead,
            processes=[process],
            clauses=[clause("8.4")],
            auditees=[process_owner],
        )
        to_reporting(audit, trainee)
        sign(audit, trainee)
        (row,) = experience_of(audit)
        assert (row.auditor, row.role, row.supervisor) == (
            trainee,
            AuditExperience.Role.LEAD_SUPERVISED,
            lead,
        )

    def test_the_register_of_auditors_counts_the_audit(self, reporting, lead, member):
        def standing():
            people = type(lead).objects.filter(pk__in=[lead.pk, member.pk])
            return {q.person.pk: (q.audits, q.led) for q in qualifications(people=people)}

        before = standing()
        sign(reporting, lead)
        after = standing()
        assert after[lead.pk] == (before[lead.pk][0] + 1, before[lead.pk][1] + 1)
        assert after[member.pk] == (before[member.pk][0] + 1, before[member.pk][1])

    def test_supervised_leads_qualify_an_internal_auditor_as_lead(
        self, quality_manager, lead, process, process_owner
    ):
        """Led under supervision, with the lead auditor course and enough audits: the
        register of auditors now lists them as a lead auditor."""
        trainee = auditor(quality_manager, "Ines Intern", level="internal")
        course = Course.objects.get(qualifies="lead_auditor")
        CreateRecord(
            quality_manager,
            TrainingRecord,
            data={
                "person": trainee,
                "course": course,
                "completed_on": days(-10),
                "result": "passed",
            },
        ).execute()

        def levels():
            return {q.person.pk: q.level for q in qualifications()}

        assert levels()[trainee.pk] == "internal"
        for n in range(3):
            audit = make_audit(
                quality_manager,
                title=f"Audit {n}",
                owner=trainee,
                supervisor=lead,
                processes=[process],
                clauses=[clause("8.4")],
                auditees=[process_owner],
            )
            to_reporting(audit, trainee)
            sign(audit, trainee)
        assert levels()[trainee.pk] == "lead"


# == 4. the report as PDF and DOCX ============================================================
@pytest.fixture
def full_report(reporting, lead, process_owner):
    """A signed report with a minor nonconformity, a strength and a withdrawn observation."""
    issue(lead, make_finding(lead, reporting, "minor"))
    issue(
        lead,
        make_finding(
            lead,
            reporting,
            "strength",
            title="Buyers know the approved list by heart",
            clause=clause("7.2"),
            requirement="Competence of the people doing the work.",
            evidence="Three buyers interviewed named the approved suppliers.",
        ),
    )
    withdrawn = make_finding(lead, reporting, "observation", title="Dusty shelf in stores")
    run(findings.WithdrawFinding, lead, withdrawn, reason="Not in scope")
    return sign(
        reporting,
        lead,
        conclusions=CONCLUSIONS,
        fulfilment="largely",
        strengths="Buyers are well trained.",
        diverging_opinions="Owen holds that the overdue re-evaluations were planned.",
    )


def expected_contents(audit):
    return [
        "Check that purchasing controls its external providers.",  # objectives
        "ISO 9001:2015 8.4 and procedure PUR-01.",  # criteria
        "Lena Lead",
        "Tom Team",  # the team
        "Owen Owner",  # an auditee
        "Suppliers used past their re-evaluation",  # a finding ...
        "Two of six suppliers sampled were overdue.",  # ... with its evidence
        "Three buyers interviewed named the approved suppliers.",
        CONCLUSIONS,
        "Largely fulfilled; minor nonconformities",  # the degree of fulfilment
        "Owen holds that the overdue re-evaluations were planned.",
        "An audit looks at a sample of the information available",
    ]


class TestTheReportDocument:
    def test_the_pdf_holds_what_iso_19011_asks_of_a_report(
        self, client_for, quality_manager, full_report
    ):
        response = client_for(quality_manager).get(report_url(full_report))
        assert response.status_code == 200
        assert response.content.startswith(b"%PDF-")
        text = pdf_text(response.content)
        for expected in expected_contents(full_report):
            assert expected in text, expected
        assert "Authored by Lena Lead on" in text
        assert "Not signed" not in text
        assert "Distributed to: Top management, " in text
        assert "Dusty shelf" not in text  # withdrawn findings are not reported

    def test_the_docx_holds_the_same_contents(self, client_for, quality_manager, full_report):
        response = client_for(quality_manager).get(report_url(full_report, "docx"))
        assert response.status_code == 200
        text = docx_text(response.content)
        for expected in expected_contents(full_report):
            assert expected in text, expected
        assert "Authored by Lena Lead on" in text
        assert "Dusty shelf" not in text

    def test_a_draft_pdf_says_it_is_not_signed(self, client_for, lead, reporting):
        text = pdf_text(client_for(lead).get(report_url(reporting)).content)
        assert "Not signed: this report is a draft." in text
        assert "Authored by" not in text

    def test_a_draft_docx_says_it_is_not_signed(self, client_for, lead, reporting):
        text = docx_text(client_for(lead).get(report_url(reporting, "docx")).content)
        assert "Not signed: this report is a draft." in text
        assert "Authored by" not in text

    def test_the_pdf_flags_a_report_changed_since_signing(
        self, client_for, quality_manager, full_report
    ):
        Audit.objects.filter(pk=full_report.pk).update(conclusions="All is fine.")
        text = pdf_text(client_for(quality_manager).get(report_url(full_report)).content)
        assert "content changed since signing" in text

    @pytest.mark.parametrize(
        "kind, content_type",
        [
            ("pdf", "application/pdf"),
            (
                "docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
        ],
    )
    def test_the_report_is_downloaded_never_shown_inline(
        self, client_for, quality_manager, reported, kind, content_type
    ):
        response = client_for(quality_manager).get(report_url(reported, kind))
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"] == (
            f'attachment; filename="{reported.reference}-audit-report.{kind}"'
        )
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]

    @pytest.mark.parametrize("kind", ["pdf", "docx"])
    @pytest.mark.parametrize("name, status", [("external_auditor", 200), ("nobody", 403)])
    def test_who_may_download_the_report(self, request, client_for, name, status, reported, kind):
        person = request.getfixturevalue(name)
        assert client_for(person).get(report_url(reported, kind)).status_code == status

    def test_signing_in_is_needed_to_download_it(self, client, reported):
        response = client.get(report_url(reported))
        assert response.status_code == 302
        assert "/login/" in response["Location"]


# == 5. closing the audit =====================================================================
def close(audit, actor):
    return run(workflow.CloseAudit, actor, fresh(audit))


def nonconformity_of(finding) -> Nonconformity:
    return Nonconformity.objects.get(pk=fresh(finding).nonconformity_id)


def cancel_nc(actor, nc):
    nc_steps.CancelNonconformity(
        actor, nc, data={"password": PASSWORD}, reason="Duplicate of an open supplier NC"
    ).execute()


class TestClosingTheAudit:
    def test_a_finding_not_yet_acknowledged_keeps_the_audit_open(self, reporting, lead):
        observation = issue(lead, make_finding(lead, reporting, "observation"))
        sign(reporting, lead, fulfilment="largely")
        with pytest.raises(ActionRefused) as refused:
            close(reporting, lead)
        assert refused.value.message == f"Follow-up is not done for {observation.reference}."
        assert fresh(reporting).status == Audit.Status.REPORTED

    def test_an_open_nonconformity_keeps_the_audit_open_once_acknowledged(
        self, minor, reporting, lead, process_owner
    ):
        sign(reporting, lead, fulfilment="largely")
        acknowledge(process_owner, minor)
        assert nonconformity_of(minor).is_open
        with pytest.raises(ActionRefused) as refused:
            close(reporting, lead)
        assert minor.reference in refused.value.message
        assert fresh(reporting).status == Audit.Status.REPORTED

    def test_the_audit_closes_once_the_nonconformity_is_verified_effective(
        self, minor, reporting, lead, process_owner, quality_manager, internal_auditor
    ):
        sign(reporting, lead, fulfilment="largely")
        acknowledge(process_owner, minor)
        nc = walk(
            nonconformity_of(minor),
            "closed",
            triager=quality_manager,
            owner=process_owner,
            verifier=internal_auditor,
        )
        assert nc.status == Nonconformity.Status.CLOSED
        assert close(reporting, lead).status == Audit.Status.CLOSED

    def test_a_closed_nonconformity_still_needs_the_acknowledgement(
        self, minor, reporting, lead, process_owner, quality_manager, internal_auditor
    ):
        sign(reporting, lead, fulfilment="largely")
        walk(
            nonconformity_of(minor),
            "closed",
            triager=quality_manager,
            owner=process_owner,
            verifier=internal_auditor,
        )
        with pytest.raises(ActionRefused) as refused:
            close(reporting, lead)
        assert minor.reference in refused.value.message

    def test_the_audit_closes_once_the_nonconformity_is_cancelled(
        self, minor, reporting, lead, process_owner, quality_manager
    ):
        sign(reporting, lead, fulfilment="largely")
        acknowledge(process_owner, minor)
        cancel_nc(quality_manager, nonconformity_of(minor))
        assert close(reporting, lead).status == Audit.Status.CLOSED

    def test_a_disputed_observation_is_answered_and_does_not_block_closing(
        self, reporting, lead, process_owner
    ):
        observation = issue(lead, make_finding(lead, reporting, "observation"))
        sign(reporting, lead, fulfilment="largely")
        run(
            findings.DisputeFinding,
            process_owner,
            fresh(observation),
            auditee_response="The shelf was cleaned that morning.",
        )
        assert close(reporting, lead).status == Audit.Status.CLOSED

    def test_an_audit_is_not_closed_before_its_report_is_signed(self, reporting, lead):
        with pytest.raises(ActionRefused) as refused:
            close(reporting, lead)
        assert "does not apply now" in refused.value.message
        assert fresh(reporting).status == Audit.Status.REPORTING

    def test_whoever_runs_the_programme_may_close_it_but_not_another_auditor(
        self, reported, quality_manager, internal_auditor
    ):
        with pytest.raises(NotPermitted):
            close(reported, internal_auditor)
        assert fresh(reported).status == Audit.Status.REPORTED
        assert close(reported, quality_manager).status == Audit.Status.CLOSED

    def test_closing_through_the_api_names_the_open_finding(self, api_for, minor, reporting, lead):
        sign(reporting, lead, fulfilment="largely")
        response = api_do(api_for(lead), reporting, "close")
        assert response.status_code == 409
        assert minor.reference in response.json()["detail"]

    def test_a_closed_audit_stays_locked(self, api_for, reported, lead, quality_manager):
        close(reported, lead)
        response = api_for(quality_manager).patch(
            api_of(reported), {"title": "Renamed"}, **{"If-Match": fresh(reported).etag}
        )
        assert response.status_code == 409
        with pytest.raises(ActionRefused):
            ArchiveRecord(quality_manager, fresh(reported), reason="Old").execute()
        with pytest.raises(ActionRefused):
            make_finding(lead, reported, "minor")


# == 6. follow-up ==============================================================================
@pytest.fixture
def with_open_findings(minor, reporting, lead, process_owner):
    """Signed: the minor NC acknowledged but not fixed, an OFI not yet acknowledged, and an
    observation acknowledged (nothing left to follow up on it)."""
    ofi = issue(
        lead,
        make_finding(
            lead, reporting, "ofi", title="Records could be scanned", clause=clause("7.5.3")
        ),
    )
    observation = issue(
        lead,
        make_finding(lead, reporting, "observation", title="Forms vary", clause=clause("7.1.6")),
    )
    sign(reporting, lead, fulfilment="largely")
    acknowledge(process_owner, minor)
    acknowledge(process_owner, observation)
    return fresh(reporting), [minor, ofi], observation


def schedule_follow_up(actor, audit) -> Audit:
    run(workflow.ScheduleFollowUp, actor, fresh(audit))
    return Audit.objects.get(follow_up_of=audit)


class TestFollowUp:
    def test_a_follow_up_audit_is_planned_with_the_open_findings_in_scope(
        self, with_open_findings, lead, member, process, process_owner, employee
    ):
        audit, open_findings, _ = with_open_findings
        follow_up = schedule_follow_up(lead, audit)
        assert follow_up.status == Audit.Status.PLANNED
        assert follow_up.follow_up_of == audit
        assert follow_up.title == f"Follow-up of {audit.reference} {audit.title}"
        assert list(follow_up.processes.all()) == [process]
        assert {c.ref for c in follow_up.clauses.all()} == {"8.4.1", "7.5.3"}
        assert follow_up.owner == lead
        assert set(follow_up.team.all()) == {member}
        assert set(follow_up.auditees.all()) == {process_owner, employee}

    def test_it_asks_one_question_per_open_finding(self, with_open_findings, lead):
        audit, open_findings, observation = with_open_findings
        questions = list(schedule_follow_up(lead, audit).checklist.all())
        asked = {
            f.reference: f for f in open_findings if any(f.reference in q.title for q in questions)
        }
        assert len(questions) == 2 and set(asked) == {f.reference for f in open_findings}
        for question in questions:
            finding = next(f for ref, f in asked.items() if ref in question.title)
            assert question.clause == finding.clause
            assert question.source == ChecklistItem.Source.AUDITOR
        assert not any(observation.reference in q.title for q in questions)

    def test_it_is_scheduled_through_the_api(self, api_for, with_open_findings, lead):
        audit, _, _ = with_open_findings
        response = api_do(api_for(lead), audit, "schedule-follow-up")
        assert response.status_code == 200
        assert Audit.objects.filter(follow_up_of=audit).count() == 1
        entry = ChangeLogEntry.objects.get(
            object_type="audits.audit", object_id=str(audit.pk), action="schedule-follow-up"
        )
        assert entry.after["follow_up"] == Audit.objects.get(follow_up_of=audit).reference

    def test_it_is_refused_when_no_finding_is_open(self, reported, lead):
        with pytest.raises(ActionRefused) as refused:
            run(workflow.ScheduleFollowUp, lead, fresh(reported))
        assert refused.value.message == f"{reported.reference} has no finding left to follow up."
        assert not Audit.objects.filter(follow_up_of=reported).exists()

    def test_it_is_refused_before_the_report_is_signed(self, minor, reporting, lead):
        with pytest.raises(ActionRefused) as refused:
            run(workflow.ScheduleFollowUp, lead, fresh(reporting))
        assert refused.value.message == "A follow-up is scheduled once the report is signed."
        assert not Audit.objects.filter(follow_up_of=reporting).exists()

    def test_only_who_may_plan_audits_schedules_one(self, api_for, with_open_findings, employee):
        audit, _, _ = with_open_findings
        response = api_do(api_for(employee), audit, "schedule-follow-up")
        assert response.status_code == 403
        assert not Audit.objects.filter(follow_up_of=audit).exists()


# == 7. cancelling =============================================================================
class TestCancelling:
    def test_cancelling_needs_a_reason(self, planned, lead):
        with pytest.raises(InvalidInput) as refused:
            run(workflow.CancelAudit, lead, fresh(planned), reason="  ")
        assert list(refused.value.errors) == ["reason"]
        assert fresh(planned).status == Audit.Status.PLANNED

    def test_cancelling_on_the_page_without_a_reason_says_so(self, client_for, lead, planned):
        response = client_for(lead).post(
            f"{page_of(planned)}do/cancel/", {"version": fresh(planned).version, "reason": ""}
        )
        assert "A reason is required." in messages_of(response)
        assert fresh(planned).status == Audit.Status.PLANNED

    def test_a_cancelled_audit_keeps_its_reason_and_is_locked(self, planned, lead, process_owner):
        run(workflow.CancelAudit, lead, fresh(planned), reason="Process merged into sales")
        audit = fresh(planned)
        assert audit.status == Audit.Status.CANCELLED
        assert audit.due_date is None
        entry = ChangeLogEntry.objects.get(
            object_type="audits.audit", object_id=str(audit.pk), action="cancel"
        )
        assert entry.reason == "Process merged into sales"
        with pytest.raises(ActionRefused) as refused:
            UpdateRecord(lead, audit, data={"objectives": "New"}).execute()
        assert refused.value.message == f"{audit.reference} was cancelled."
        with pytest.raises(ActionRefused):
            make_finding(lead, audit, "minor")
        with pytest.raises(ActionRefused):
            add_question(lead, audit)
        with pytest.raises(ActionRefused):
            run(workflow.HoldOpeningMeeting, lead, audit, opening_meeting_at=timezone.now())

    def test_an_in_progress_audit_may_be_cancelled_and_its_checklist_locks(self, planned, lead):
        start(planned, lead)
        item = fresh(planned).checklist.first()
        run(workflow.CancelAudit, lead, fresh(planned), reason="Auditee on leave")
        with pytest.raises(ActionRefused):
            answer(lead, item, "conforming")
        assert fresh(item).result == "not_audited"

    def test_a_reported_audit_is_not_cancelled(self, api_for, reported, lead):
        response = api_do(api_for(lead), reported, "cancel", reason="Too late")
        assert response.status_code == 409
        assert fresh(reported).status == Audit.Status.REPORTED


# == 8. readiness: 9.2.1 and 9.2.2 ================================================================
def programme_check(person):
    return check_result(person, "9.2.1", readiness.programme_covers_the_scope)


def reports_check(person):
    return check_result(person, "9.2.2", readiness.audits_reported_and_followed_up)


def approved_programme(quality_manager, top_manager, lead, process, **fields):
    """A programme for today, approved, with one audit of `process` planned in it."""
    programme = make_programme(quality_manager, **fields)
    audit = make_audit(
        quality_manager,
        programme=programme,
        owner=lead,
        processes=[process],
        clauses=[clause("8.4")],
    )
    ApproveProgramme(top_manager, programme, data={"password": PASSWORD}).execute()
    return fresh(programme), audit


class TestReadiness:
    def test_9_2_1_is_missing_without_a_programme(self, quality_manager):
        result = programme_check(quality_manager)
        assert result.status == Status.MISSING
        assert result.sentence == "No approved audit programme covers today."

    def test_9_2_1_is_missing_with_a_draft_programme_or_one_for_another_period(
        self, quality_manager, top_manager, lead, process
    ):
        make_programme(quality_manager, title="Draft for this year")
        approved_programme(
            quality_manager,
            top_manager,
            lead,
            process,
            title="Last year",
            period_start=days(-500),
            period_end=days(-135),
        )
        assert programme_check(quality_manager).status == Status.MISSING

    def test_9_2_1_is_partly_met_while_no_audit_is_reported(
        self, quality_manager, top_manager, lead, process
    ):
        programme, _ = approved_programme(quality_manager, top_manager, lead, process)
        result = programme_check(quality_manager)
        assert result.status == Status.PARTLY_MET
        assert result.sentence == (
            f"{programme.reference} is approved, but no audit has been reported in the cycle."
        )
        assert result.evidence[0].url == page_of(programme)

    def test_9_2_1_names_the_processes_and_clauses_not_yet_audited(
        self, quality_manager, top_manager, lead, process, process_owner
    ):
        make_process(quality_manager, title="Sales", owner=process_owner)
        _, audit = approved_programme(quality_manager, top_manager, lead, process)
        to_reporting(audit, lead)
        sign(audit, lead)
        result = programme_check(quality_manager)
        assert result.status == Status.PARTLY_MET
        assert result.sentence.startswith("Audits reported in the cycle have not yet covered ")
        assert "1 process (Sales)" in result.sentence
        assert "clauses (4, 4.1, 4.2" in result.sentence
        assert "Purchasing" not in result.sentence

    def test_9_2_1_is_met_once_every_process_and_clause_is_audited(
        self, quality_manager, top_manager, lead, process, process_owner
    ):
        programme = make_programme(quality_manager)
        audit = make_audit(
            quality_manager,
            programme=programme,
            title="System audit of purchasing",
            owner=lead,
            processes=[process],
            clauses=[clause(str(n)) for n in range(4, 11)],
            auditees=[process_owner],
        )
        ApproveProgramme(top_manager, programme, data={"password": PASSWORD}).execute()
        to_reporting(audit, lead)
        assert programme_check(quality_manager).status == Status.PARTLY_MET  # not yet signed
        sign(audit, lead)
        result = programme_check(quality_manager)
        assert result.status == Status.MET, result.sentence
        assert "cover all 1 processes" in result.sentence

    def test_9_2_2_is_missing_without_a_reported_audit(self, quality_manager, reporting):
        result = reports_check(quality_manager)
        assert result.status == Status.MISSING
        assert result.sentence == "No internal audit has been reported yet."

    def test_9_2_2_is_met_once_a_report_is_signed(self, quality_manager, reported):
        result = reports_check(quality_manager)
        assert result.status == Status.MET, result.sentence
        assert result.sentence.startswith("1 audit reported in the cycle")

    def test_9_2_2_is_partly_met_when_a_finding_s_nonconformity_is_overdue(
        self, quality_manager, minor, lead, process_owner, clock
    ):
        sign(minor.audit, lead, fulfilment="largely")
        acknowledge(process_owner, minor)
        nc_steps.Triage(
            quality_manager,
            nonconformity_of(minor),
            data={
                "owner": process_owner.pk,
                "kind": "process",
                "severity": "minor",
                "due_date": days(1).isoformat(),
            },
        ).execute()
        assert reports_check(quality_manager).status == Status.MET  # due tomorrow
        clock(3)
        result = reports_check(quality_manager)
        assert result.status == Status.PARTLY_MET
        assert "Findings not followed up on time: " in result.sentence
        assert minor.reference.lower() in result.sentence.lower()

    def test_9_2_2_is_partly_met_when_a_report_changed_after_signing(
        self, quality_manager, reported
    ):
        Audit.objects.filter(pk=reported.pk).update(conclusions="Rewritten after signing.")
        result = reports_check(quality_manager)
        assert result.status == Status.PARTLY_MET
        assert "Reports not signed or changed since signing: " in result.sentence
        assert reported.reference.lower() in result.sentence.lower()

    def test_9_2_2_names_the_audits_by_their_references_as_written(self, quality_manager, reported):
        Audit.objects.filter(pk=reported.pk).update(conclusions="Rewritten after signing.")
        assert reported.reference in reports_check(quality_manager).sentence


# == 9. the demo ===================================================================================
def test_the_demo_holds_a_programme_with_audits_at_every_stage(db, client_for, capsys):
    call_command("demo_data")
    capsys.readouterr()
    programme = AuditProgramme.objects.get(status=AuditProgramme.Status.APPROVED)
    audits = {a.status: a for a in programme.audits.all()}
    assert {"closed", "reported", "in_progress", "planned"} <= set(audits)
    in_progress = audits["in_progress"]
    assert in_progress.checklist.exists()
    reported_audit = audits["reported"]
    assert signatures_of(reported_audit).count() == 1
    reader = PersonFactory(full_name="Rita Reader", roles=[RoleCode.EXTERNAL_AUDITOR])
    response = client_for(reader).get(report_url(reported_audit))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert reported_audit.reference in text
    assert reported_audit.owner.full_name in text
    assert "Authored by" in text
