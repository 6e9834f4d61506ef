"""9.2.2 c–e on the day: the checklist generated from the standard and the processes in
scope, answered card by card on a tablet, the document review, the opening and closing
meetings, interviews, and graded findings with their nonconformities and improvements.

Unless a test says otherwise Lena Lead (a qualified lead auditor) audits the purchasing
process owned by Owen Owner (a process owner) against clause 8.4, with Aida Auditee as
auditee; Quinn Quality (the quality manager) plans the audit and Eve Employee is a bystander.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from norma.audits import findings as steps
from norma.audits import workflow
from norma.audits.models import Audit, ChecklistItem, Finding, Interview
from norma.audits.registers import FindingRegister, InterviewRegister
from norma.core.actions import ActionRefused, InvalidInput, NotPermitted, UpdateRecord
from norma.core.models import ChangeLogEntry, RoleCode
from norma.core.registers import registry
from norma.documents.actions import (
    ApproveRevision,
    EditDraft,
    ReviewRevision,
    StartRevision,
    SubmitRevision,
)
from norma.improvement.models import Improvement, Nonconformity
from norma.planning.models import Kpi, Risk
from norma.standards.models import Clause
from tests.audits.helpers import (
    PASSWORD,
    add_question,
    answer,
    auditor,
    bulk_checklist,
    clause,
    close_fieldwork,
    fresh,
    make_audit,
    make_finding,
    make_process,
    reported_audit,
    run,
    sign,
    start,
)
from tests.factories import (
    PersonFactory,
    bulk_planning_records,
    make_document,
    make_planning_record,
)
from tests.improvement.helpers import make_nc
from tests.kit import HX, count_queries, form_data

KPI = {"unit": "%", "frequency": "monthly", "direction": "higher", "target": Decimal("95")}
make_kpi = make_planning_record(Kpi, {"title": "On-time delivery", **KPI})
bulk_kpis = bulk_planning_records(Kpi, "KPI", KPI)
make_risk = make_planning_record(
    Risk, {"title": "Single source", "likelihood": 2, "consequence": 3}
)
bulk_risks = bulk_planning_records(Risk, "RSK", {"likelihood": 2, "consequence": 3})


# -- small helpers ------------------------------------------------------------------------
def page_of(record, role="detail") -> str:
    register = registry.for_model(type(record))
    return reverse(register.url_name(role), args=[record.reference])


def api_base(model) -> str:
    register = registry.for_model(model)
    return f"/api/v1/{register.app_label()}/{register.slug()}/"


def api_of(record) -> str:
    return f"{api_base(type(record))}{record.reference}"


def api_do(api, record, code, etag=None, **body):
    etag = etag or fresh(record).etag
    return api.post(f"{api_of(record)}/actions/{code}", body, **{"If-Match": etag})


def do(client, record, code, **fields):
    """POST an action's form on the record's page, as the browser sends it."""
    record = fresh(record)
    return client.post(f"{page_of(record)}do/{code}/", {"version": record.version, **fields})


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def checklist_page(audit) -> str:
    return reverse("audits:checklist", args=[audit.reference])


def answer_url(item) -> str:
    return reverse("audits:answer", args=[item.reference])


def answer_form(item, result="conforming", evidence="Six purchase orders sampled.", **fields):
    """The card's POST body, as the tablet page sends it (fields carry the item's prefix)."""
    item = fresh(item)
    data = {
        "result": result,
        "notes": "",
        "evidence": evidence,
        "evidence_references": "",
        "version": item.version,
        **fields,
    }
    return {f"{item.reference}-{name}": value for name, value in data.items()}


def local_minute(hours_ago=1) -> str:
    moment = timezone.localtime(timezone.now() - timedelta(hours=hours_ago))
    return moment.strftime("%Y-%m-%dT%H:%M")


def state(record) -> tuple:
    """What a refused action must leave as it was: status, version and the change log."""
    record = fresh(record)
    entries = ChangeLogEntry.objects.filter(
        object_type=record._meta.label_lower, object_id=str(record.pk)
    ).count()
    return record.status, record.version, entries


def questions_of(*refs) -> list[tuple[str, str]]:
    """Every audit question of the clauses named and of every clause beneath them, in the
    standard's order, as the standards library holds them."""
    chosen = [clause(ref) for ref in refs]
    rows = Clause.objects.filter(standard__slug="iso9001-2015").order_by("sort_key")
    return [
        (c.ref, question)
        for c in rows
        if any(c.sort_key == k.sort_key or c.sort_key.startswith(k.sort_key + ".") for k in chosen)
        for question in c.audit_questions
    ]


def standard_questions(audit) -> list[tuple[str, str]]:
    items = audit.checklist.filter(source=ChecklistItem.Source.STANDARD)
    return list(items.order_by("position").values_list("clause__ref", "title"))


def effective_document(author, reviewer, approver, **fields):
    """A procedure taken through review and approval by the real document actions."""
    document = make_document(approver, **fields)
    StartRevision(author, document).execute()
    EditDraft(
        author, document, data={"body": "# Purpose\n\nBuy from approved suppliers."}
    ).execute()
    SubmitRevision(author, document).execute()
    ReviewRevision(reviewer, document, data={"password": PASSWORD}, reason="Fit").execute()
    ApproveRevision(approver, document, data={"password": PASSWORD}, reason="Approved").execute()
    return fresh(document)


def issue(actor, finding):
    return run(steps.IssueFinding, actor, fresh(finding))


# -- fixtures -------------------------------------------------------------------------------
@pytest.fixture
def lead(quality_manager):
    return auditor(quality_manager, "Lena Lead")


@pytest.fixture
def auditee(db):
    return PersonFactory(full_name="Aida Auditee", roles=[RoleCode.EMPLOYEE])


@pytest.fixture
def process(quality_manager, process_owner):
    return make_process(quality_manager, title="Purchasing", owner=process_owner)


@pytest.fixture
def audit(quality_manager, lead, process, auditee):
    return make_audit(
        quality_manager,
        owner=lead,
        processes=[process],
        clauses=[clause("8.4")],
        auditees=[auditee],
    )


@pytest.fixture
def started(audit, lead):
    """The checklist generated and the opening meeting held."""
    return start(audit, lead)


@pytest.fixture
def item(started):
    return started.checklist.order_by("position").first()


@pytest.fixture
def draft(started, lead):
    return make_finding(lead, started, "minor")


@pytest.fixture
def issued(draft, lead):
    return issue(lead, draft)


@pytest.fixture
def bare_audit(quality_manager, lead):
    """An audit with nothing in scope: its checklist is only what a test puts on it."""
    return make_audit(quality_manager, owner=lead, processes=[])


@pytest.fixture
def locked(started, lead):
    """The audit reported, with one issued observation on it."""
    observation = make_finding(lead, started, "observation", title="Orders well filed")
    issue(lead, observation)
    close_fieldwork(fresh(started), lead)
    return sign(started, lead)


# ============================================================================================
# 1. Generating the checklist
# ============================================================================================
class TestGenerateChecklist:
    def test_it_asks_every_question_of_the_clauses_in_scope_and_all_beneath_them(self, audit, lead):
        run(workflow.GenerateChecklist, lead, audit)

        expected = questions_of("8.4")
        assert {ref for ref, _ in expected} == {"8.4", "8.4.1", "8.4.2", "8.4.3"}
        assert standard_questions(audit) == expected
        assert not audit.checklist.filter(clause__ref="8.5").exists()
        positions = list(audit.checklist.order_by("position").values_list("position", flat=True))
        assert positions == list(range(1, len(positions) + 1))

    def test_without_clauses_it_asks_the_questions_of_the_processes_own_clauses(
        self, quality_manager, lead, process_owner
    ):
        documents = make_process(
            quality_manager, title="Document control", owner=process_owner, clauses=[clause("7.5")]
        )
        audit = make_audit(quality_manager, owner=lead, processes=[documents])

        run(workflow.GenerateChecklist, lead, audit)

        expected = questions_of("7.5")
        assert {ref for ref, _ in expected} >= {"7.5", "7.5.1", "7.5.3.2"}
        assert standard_questions(audit) == expected

    def test_clauses_named_on_the_audit_take_the_place_of_the_processes_own(
        self, quality_manager, lead, process_owner
    ):
        documents = make_process(
            quality_manager, title="Document control", owner=process_owner, clauses=[clause("7.5")]
        )
        audit = make_audit(
            quality_manager, owner=lead, processes=[documents], clauses=[clause("8.4.2")]
        )

        run(workflow.GenerateChecklist, lead, audit)

        assert standard_questions(audit) == questions_of("8.4.2")

    def test_it_asks_about_the_processs_effective_documents_only(
        self, audit, lead, process, top_manager, process_owner, quality_manager
    ):
        procedure = effective_document(
            top_manager,
            process_owner,
            quality_manager,
            title="Purchasing procedure",
            process=process,
        )
        in_draft = make_document(quality_manager, title="Draft work instruction", process=process)
        elsewhere = effective_document(
            top_manager, process_owner, quality_manager, title="Calibration procedure"
        )

        run(workflow.GenerateChecklist, lead, audit)

        asked = audit.checklist.filter(source=ChecklistItem.Source.DOCUMENT)
        assert [i.subject for i in asked] == [procedure]
        assert procedure.reference in asked.get().title
        assert "Purchasing procedure" in asked.get().title
        titles = " ".join(audit.checklist.values_list("title", flat=True))
        assert in_draft.reference not in titles
        assert elsewhere.reference not in titles

    def test_it_asks_about_the_processs_active_kpis_only(self, audit, lead, process, process_owner):
        measured = make_kpi(process_owner, process=process)
        retired = bulk_kpis(1, process=process, status=Kpi.Status.RETIRED)[0]
        other = make_kpi(process_owner, title="Scrap rate")

        run(workflow.GenerateChecklist, lead, audit)

        asked = audit.checklist.filter(source=ChecklistItem.Source.KPI)
        assert [i.subject for i in asked] == [measured]
        assert "measured monthly" in asked.get().title
        titles = " ".join(audit.checklist.values_list("title", flat=True))
        assert retired.reference not in titles
        assert other.reference not in titles

    def test_it_asks_about_the_processs_open_risks_only(self, audit, lead, process, process_owner):
        open_risk = make_risk(process_owner, process=process)
        closed = bulk_risks(1, process=process, status=Risk.Status.CLOSED)[0]

        run(workflow.GenerateChecklist, lead, audit)

        asked = audit.checklist.filter(source=ChecklistItem.Source.RISK)
        assert [i.subject for i in asked] == [open_risk]
        assert closed.reference not in " ".join(audit.checklist.values_list("title", flat=True))

    def test_it_numbers_its_questions_after_those_already_on_the_checklist(self, audit, lead):
        add_question(lead, audit, "Are urgent orders approved?", position=7)

        run(workflow.GenerateChecklist, lead, audit)

        generated = audit.checklist.exclude(source=ChecklistItem.Source.AUDITOR)
        positions = sorted(generated.values_list("position", flat=True))
        assert positions == list(range(8, 8 + len(questions_of("8.4"))))

    def test_generating_twice_adds_nothing_and_is_refused_with_a_clear_message(self, audit, lead):
        run(workflow.GenerateChecklist, lead, audit)
        count, before = audit.checklist.count(), state(audit)

        with pytest.raises(ActionRefused, match="on the checklist already"):
            run(workflow.GenerateChecklist, lead, fresh(audit))

        assert audit.checklist.count() == count
        assert state(audit) == before

    def test_generating_again_adds_only_what_is_new_in_scope(
        self, audit, lead, process, process_owner
    ):
        run(workflow.GenerateChecklist, lead, audit)
        count = audit.checklist.count()
        kpi = make_kpi(process_owner, process=process)

        run(workflow.GenerateChecklist, lead, fresh(audit))

        added = audit.checklist.order_by("position")[count:]
        assert [i.subject for i in added] == [kpi]
        assert added[0].position == count + 1

    def test_it_is_refused_with_nothing_in_scope(self, bare_audit, lead):
        before = state(bare_audit)

        with pytest.raises(ActionRefused, match="clauses or processes in the audit's scope"):
            run(workflow.GenerateChecklist, lead, bare_audit)

        assert state(bare_audit) == before
        assert not bare_audit.checklist.exists()

    def test_it_is_refused_on_a_reported_audit(self, quality_manager, lead, process, auditee):
        reported = reported_audit(
            quality_manager, lead, processes=[process], clauses=[clause("8.4")], auditees=[auditee]
        )
        count, before = reported.checklist.count(), state(reported)

        with pytest.raises(ActionRefused, match="does not apply now"):
            run(workflow.GenerateChecklist, lead, reported)

        assert reported.checklist.count() == count
        assert state(reported) == before

    def test_the_lead_generates_it_from_the_audits_page(self, client_for, audit, lead):
        response = do(client_for(lead), audit, "generate-checklist")

        assert response.status_code == 302
        assert audit.checklist.count() == len(questions_of("8.4"))
        entry = ChangeLogEntry.objects.filter(
            object_type="audits.audit", object_id=str(audit.pk), action="generate-checklist"
        ).get()
        assert entry.after == {"checklist_items_added": len(questions_of("8.4"))}

    def test_an_auditor_not_on_the_team_cannot_generate_it(
        self, client_for, audit, internal_auditor
    ):
        response = do(client_for(internal_auditor), audit, "generate-checklist")

        assert "audit team" in messages_of(response)
        assert not audit.checklist.exists()


# ============================================================================================
# 2. The checklist page and its answers
# ============================================================================================
class TestChecklistPage:
    def test_it_shows_every_question_with_a_form_for_the_lead(
        self, client_for, started, item, lead
    ):
        items = list(started.checklist.all())
        answer(lead, item)

        html = client_for(lead).get(checklist_page(started)).content.decode()

        assert f"1 of {len(items)} audited" in html
        for each in items:
            assert f'hx-post="{answer_url(each)}"' in html

    def test_a_result_saved_with_htmx_returns_the_card_saying_saved(self, client_for, item, lead):
        response = client_for(lead).post(
            answer_url(item), answer_form(item, "minor", "PO 1123 had no approval."), headers=HX
        )

        assert response.status_code == 200
        html = response.content.decode()
        assert "Saved." in html
        assert f'id="{item.reference}"' in html
        assert "<html" not in html
        saved = fresh(item)
        assert (saved.result, saved.evidence, saved.status) == (
            "minor",
            "PO 1123 had no approval.",
            "done",
        )
        assert saved.version == item.version + 1

    def test_a_result_saved_without_htmx_returns_to_the_card_on_the_page(
        self, client_for, item, lead
    ):
        response = client_for(lead).post(answer_url(item), answer_form(item))

        assert response.status_code == 302
        assert response["Location"] == f"{checklist_page(item.audit)}#{item.reference}"
        assert f"{item.reference} saved" in messages_of(response)
        assert fresh(item).result == "conforming"

    def test_a_stale_answer_is_refused_in_the_card_and_nothing_is_overwritten(
        self, client_for, item, lead, quality_manager
    ):
        opened = answer_form(item, "conforming", "Looked fine to me.")
        answer(quality_manager, item, "major", "No supplier was ever evaluated.")

        response = client_for(lead).post(answer_url(item), opened, headers=HX)

        # The card comes back as a success so that htmx swaps it in; it says why.
        card = response.content.decode()
        assert "Your edit was not saved" in card
        assert "Quinn Quality" in card
        assert f"{item.reference} was not saved." in card
        assert "Saved." not in card
        kept = fresh(item)
        assert (kept.result, kept.evidence) == ("major", "No supplier was ever evaluated.")

    def test_a_stale_answer_without_htmx_is_refused_with_a_message(
        self, client_for, item, lead, quality_manager
    ):
        opened = answer_form(item, "conforming", "Looked fine to me.")
        answer(quality_manager, item, "major", "No supplier was ever evaluated.")

        response = client_for(lead).post(answer_url(item), opened)

        assert response["Location"].endswith(f"#{item.reference}")
        assert "was not saved" in messages_of(response)
        assert fresh(item).result == "major"

    def test_an_unknown_record_sampled_is_refused_naming_the_field(self, client_for, item, lead):
        before = state(item)

        response = client_for(lead).post(
            answer_url(item), answer_form(item, evidence_references="NC-2020-9999"), headers=HX
        )

        html = response.content.decode()
        assert "Records sampled" in html
        assert re.search(r'class="error" role="alert">[^<]*NC-2020-9999', html)
        assert "Saved." not in html
        assert state(item) == before

    def test_the_api_refuses_an_unknown_record_sampled_naming_the_field(self, api_for, item, lead):
        response = api_for(lead).patch(
            api_of(item),
            {"result": "conforming", "evidence_references": "NC-2020-9999"},
            **{"If-Match": item.etag},
        )

        assert response.status_code == 422
        assert "NC-2020-9999" in " ".join(response.json()["errors"]["evidence_references"])
        assert fresh(item).result == "not_audited"

    def test_a_real_record_sampled_is_accepted_and_linked_for_those_who_may_read_it(
        self, client_for, item, lead, quality_manager, leeds, porto
    ):
        nc = make_nc(quality_manager, site=leeds)

        response = client_for(lead).post(
            answer_url(item),
            answer_form(item, "minor", evidence_references=nc.reference.lower()),
            headers=HX,
        )

        assert response.status_code == 200
        assert fresh(item).evidence_references == nc.reference.lower()
        link = f'href="{page_of(nc)}"'
        assert link in client_for(quality_manager).get(page_of(item)).content.decode()
        outsider = PersonFactory(roles=[RoleCode.EMPLOYEE], scope_sites=[porto])
        seen = client_for(outsider).get(page_of(item))
        assert seen.status_code == 200
        assert link not in seen.content.decode()
        assert "not readable by you" in seen.content.decode()

    def test_it_is_read_only_for_people_without_the_right_to_change_it(
        self, client_for, started, item, employee
    ):
        html = client_for(employee).get(checklist_page(started)).content.decode()

        assert "read only" in html
        assert "hx-post" not in html
        assert item.title in html

    def test_after_a_conflict_the_card_carries_the_current_version_for_the_retry(
        self, client_for, item, lead, quality_manager
    ):
        opened = answer_form(item, "conforming", "Looked fine to me.")
        answer(quality_manager, item, "major", "No supplier was ever evaluated.")

        card = client_for(lead).post(answer_url(item), opened, headers=HX).content.decode()

        hidden = re.search(rf'name="{item.reference}-version" value="(\d+)"', card)
        assert int(hidden.group(1)) == fresh(item).version

    def test_without_htmx_an_unknown_record_sampled_is_named_as_the_page_names_it(
        self, client_for, item, lead
    ):
        response = client_for(lead).post(
            answer_url(item), answer_form(item, evidence_references="NC-2020-9999")
        )

        assert "NC-2020-9999" in messages_of(response)
        assert "Records sampled" in messages_of(response)
        assert fresh(item).result == "not_audited"

    def test_a_document_and_a_process_are_accepted_as_records_sampled(
        self, item, lead, quality_manager, process
    ):
        procedure = make_document(quality_manager, title="Purchasing procedure")
        refs = f"{procedure.reference}, {process.reference}"

        saved = answer(lead, item, evidence_references=refs)

        assert saved.evidence_references == refs

    def test_an_answer_from_someone_without_the_right_is_refused(self, client_for, item, employee):
        before = state(item)

        response = client_for(employee).post(answer_url(item), answer_form(item), headers=HX)

        assert "You do not have the right" in response.content.decode()
        assert "Saved." not in response.content.decode()
        assert state(item) == before

    def test_an_auditor_not_on_the_team_cannot_answer(self, client_for, item, internal_auditor):
        before = state(item)

        response = client_for(internal_auditor).post(
            answer_url(item), answer_form(item), headers=HX
        )

        assert "audit team" in response.content.decode()
        assert state(item) == before

    def test_it_is_read_only_for_an_auditor_not_on_the_team(
        self, client_for, started, item, internal_auditor
    ):
        html = client_for(internal_auditor).get(checklist_page(started)).content.decode()

        assert "read only" in html
        assert "hx-post" not in html

    def test_an_auditor_limited_to_one_site_cannot_cite_a_record_of_another(
        self, quality_manager, lead, process, leeds, porto
    ):
        member = auditor(quality_manager, "Mia Member", level="internal", scope_sites=[porto])
        audit = make_audit(quality_manager, owner=lead, processes=[process], team=[member])
        item = add_question(lead, audit)
        nc = make_nc(quality_manager, site=leeds)
        before = state(item)

        with pytest.raises(InvalidInput) as refused:
            answer(member, item, evidence_references=nc.reference)

        assert nc.reference in refused.value.errors["evidence_references"][0]
        assert state(item) == before

    def test_it_is_read_only_on_a_reported_audit(self, client_for, locked, lead):
        html = client_for(lead).get(checklist_page(locked)).content.decode()

        assert "read only" in html
        assert "hx-post" not in html

    def test_an_answer_on_a_reported_audit_is_refused(self, client_for, locked, lead):
        item = locked.checklist.filter(result="not_audited").first()
        before = state(item)

        response = client_for(lead).post(answer_url(item), answer_form(item), headers=HX)

        assert "its work is locked" in response.content.decode()
        assert "Saved." not in response.content.decode()
        assert state(item) == before

    def test_the_page_runs_the_same_queries_for_5_or_300_questions(
        self, client_for, bare_audit, lead
    ):
        bulk_checklist(bare_audit, 5, clause=clause("8.4.1"))
        client = client_for(lead)
        url = checklist_page(bare_audit)
        client.get(url)  # warm the per-process caches
        few, _ = count_queries(client, url)
        bulk_checklist(bare_audit, 295, clause=clause("8.4.2"))

        many, sql = count_queries(client, url)

        assert many == few, f"{few} queries with 5 questions, {many} with 300:\n" + "\n".join(sql)
        assert "0 of 300 audited" in client.get(url).content.decode()


# ============================================================================================
# 3. The audit's page
# ============================================================================================
class TestAuditPage:
    def test_it_runs_the_same_queries_for_10_or_300_questions_and_shows_the_progress(
        self, client_for, bare_audit, lead
    ):
        bulk_checklist(bare_audit, 10, clause=clause("8.4.1"), result="conforming")
        client = client_for(lead)
        url = page_of(bare_audit)
        client.get(url)  # warm the per-process caches
        few, _ = count_queries(client, url)
        bulk_checklist(bare_audit, 290, clause=clause("8.4.2"))

        many, sql = count_queries(client, url)

        assert many == few, f"{few} queries with 10 questions, {many} with 300:\n" + "\n".join(sql)
        html = client.get(url).content.decode()
        assert "10 of 300 audited" in html
        assert '<progress max="300" value="10"' in html
        assert "All 300 questions on the checklist page" in html


# ============================================================================================
# 4. Document review
# ============================================================================================
class TestDocumentReview:
    def test_a_document_without_an_effective_revision_is_refused_naming_the_field(
        self, audit, lead, quality_manager
    ):
        in_draft = make_document(quality_manager, title="Draft work instruction")
        before = state(audit)

        with pytest.raises(InvalidInput) as refused:
            run(
                workflow.ReviewDocuments,
                lead,
                audit,
                reviewed_documents=[in_draft.pk],
                document_review_notes="Read before the audit.",
            )

        assert in_draft.reference in refused.value.errors["reviewed_documents"][0]
        assert state(audit) == before
        assert not fresh(audit).reviewed_documents.exists()

    def test_the_revisions_reviewed_are_recorded(
        self, client_for, audit, lead, top_manager, process_owner, quality_manager
    ):
        procedure = effective_document(
            top_manager, process_owner, quality_manager, title="Purchasing procedure"
        )

        run(
            workflow.ReviewDocuments,
            lead,
            audit,
            reviewed_documents=[procedure.pk],
            document_review_notes="Approval limits are unclear.",
        )

        reviewed = fresh(audit)
        assert list(reviewed.reviewed_documents.all()) == [procedure]
        assert reviewed.status == Audit.Status.PLANNED
        assert reviewed.document_review_notes == "Approval limits are unclear."
        [row] = reviewed.reviewed_revisions
        assert (row["document"], row["revision"]) == (procedure.reference, "A")
        assert row["effective_date"] == str(timezone.localdate())
        html = client_for(lead).get(page_of(audit)).content.decode()
        assert f"{procedure.reference} Purchasing procedure, revision A" in html

    def test_the_api_records_the_review_too(
        self, api_for, audit, lead, top_manager, process_owner, quality_manager
    ):
        procedure = effective_document(top_manager, process_owner, quality_manager)

        response = api_do(
            api_for(lead),
            audit,
            "review-documents",
            reviewed_documents=[procedure.pk],
            document_review_notes="Read.",
        )

        assert response.status_code == 200, response.content
        assert response.json()["reviewed_documents"] == [procedure.pk]
        assert fresh(audit).reviewed_revisions[0]["document"] == procedure.reference


# ============================================================================================
# 5. Opening and closing meetings
# ============================================================================================
class TestMeetings:
    def test_the_meetings_move_the_audit_from_planned_to_in_progress_to_reporting(
        self, audit, lead
    ):
        assert audit.status == Audit.Status.PLANNED
        opened = start(audit, lead)
        assert opened.status == Audit.Status.IN_PROGRESS
        closed = close_fieldwork(fresh(audit), lead)
        assert closed.status == Audit.Status.REPORTING

    def test_every_attendee_posted_on_the_opening_form_is_kept(
        self, client_for, audit, lead, auditee, process_owner
    ):
        response = do(
            client_for(lead),
            audit,
            "open",
            opening_meeting_at=local_minute(2),
            opening_attendees=[lead.pk, auditee.pk, process_owner.pk],
        )

        assert response.status_code == 302
        assert "done" in messages_of(response)
        opened = fresh(audit)
        assert opened.status == Audit.Status.IN_PROGRESS
        assert set(opened.opening_attendees.all()) == {lead, auditee, process_owner}

    def test_every_attendee_posted_on_the_closing_form_is_kept(
        self, client_for, started, item, lead, auditee, process_owner
    ):
        answer(lead, item)

        do(
            client_for(lead),
            started,
            "close-fieldwork",
            closing_meeting_at=local_minute(1),
            closing_attendees=[auditee.pk, process_owner.pk, lead.pk],
        )

        closed = fresh(started)
        assert closed.status == Audit.Status.REPORTING
        assert set(closed.closing_attendees.all()) == {lead, auditee, process_owner}

    def test_the_api_records_the_opening_meeting_with_its_attendees(
        self, api_for, audit, lead, auditee
    ):
        response = api_do(
            api_for(lead),
            audit,
            "open",
            opening_meeting_at=(timezone.now() - timedelta(hours=2)).isoformat(),
            opening_attendees=[lead.pk, auditee.pk],
        )

        assert response.status_code == 200, response.content
        assert response.json()["status"] == "in_progress"
        assert sorted(response.json()["opening_attendees"]) == sorted([lead.pk, auditee.pk])
        assert set(fresh(audit).opening_attendees.all()) == {lead, auditee}

    def test_closing_is_refused_while_nothing_has_been_audited(self, started, lead):
        before = state(started)

        with pytest.raises(ActionRefused, match="Nothing on the checklist has been audited"):
            run(
                workflow.HoldClosingMeeting,
                lead,
                started,
                closing_meeting_at=timezone.now(),
                closing_attendees=[lead.pk],
            )

        assert state(started) == before
        assert not fresh(started).closing_attendees.exists()

    def test_an_opening_meeting_cannot_be_recorded_as_held_next_week(self, audit, lead):
        before = state(audit)

        with pytest.raises(InvalidInput) as refused:
            run(
                workflow.HoldOpeningMeeting,
                lead,
                audit,
                opening_meeting_at=timezone.now() + timedelta(days=7),
                opening_attendees=[lead.pk],
            )

        assert "opening_meeting_at" in refused.value.errors
        assert state(audit) == before

    def test_the_closing_meeting_cannot_come_before_the_opening_meeting(self, started, item, lead):
        answer(lead, item)
        before = state(started)

        with pytest.raises(InvalidInput) as refused:
            run(
                workflow.HoldClosingMeeting,
                lead,
                fresh(started),
                closing_meeting_at=fresh(started).opening_meeting_at - timedelta(days=2),
                closing_attendees=[lead.pk],
            )

        assert "closing_meeting_at" in refused.value.errors
        assert state(started) == before

    def test_the_closing_meeting_needs_the_audit_opened_first(self, audit, lead):
        add_question(lead, audit)
        answer(lead, audit.checklist.get())

        with pytest.raises(ActionRefused, match="does not apply now"):
            run(
                workflow.HoldClosingMeeting,
                lead,
                fresh(audit),
                closing_meeting_at=timezone.now(),
                closing_attendees=[lead.pk],
            )

        assert fresh(audit).status == Audit.Status.PLANNED


# ============================================================================================
# 6. Interviews
# ============================================================================================
def interview(actor, audit, interviewee, **fields):
    data = {
        "audit": audit,
        "interviewee": interviewee,
        "interviewee_role": "Buyer",
        "held_at": timezone.now() - timedelta(hours=2),
        "notes": "Explained how new suppliers are chosen.",
        **fields,
    }
    return steps.AddInterview(actor, data=data).execute()


class TestInterviews:
    def test_an_interview_links_checklist_items_of_its_audit(self, started, lead, auditee):
        items = list(started.checklist.order_by("position")[:2])

        held = interview(lead, started, auditee, checklist_items=items)

        assert set(held.checklist_items.all()) == set(items)
        assert held.status == "held"

    def test_items_of_another_audit_are_refused_naming_the_field(
        self, started, bare_audit, lead, auditee
    ):
        elsewhere = add_question(lead, bare_audit)
        mine = started.checklist.first()

        with pytest.raises(InvalidInput) as refused:
            interview(lead, started, auditee, checklist_items=[mine, elsewhere])

        assert elsewhere.reference in refused.value.errors["checklist_items"][0]
        assert not Interview.objects.exists()

    def test_the_web_form_refuses_items_of_another_audit_naming_the_field(
        self, client_for, started, bare_audit, lead, auditee
    ):
        elsewhere = add_question(lead, bare_audit)
        data = form_data(
            InterviewRegister,
            audit=started.pk,
            interviewee=auditee.pk,
            held_at=local_minute(2),
            notes="Explained how new suppliers are chosen.",
            checklist_items=[elsewhere.pk],
        )

        response = client_for(lead).post(reverse("audits:interview_create"), data)

        assert response.status_code == 422
        assert "checklist_items" in response.context["form"].errors
        assert "Not on this audit" in response.content.decode()
        assert not Interview.objects.exists()

    def test_the_title_defaults_to_the_person_interviewed(self, started, lead, auditee):
        held = interview(lead, started, auditee)

        assert held.title == "Interview with Aida Auditee"

    def test_the_web_form_gives_the_default_title_too(self, client_for, started, lead, auditee):
        data = form_data(
            InterviewRegister,
            audit=started.pk,
            interviewee=auditee.pk,
            held_at=local_minute(2),
            notes="Explained how new suppliers are chosen.",
            title="",
        )

        response = client_for(lead).post(reverse("audits:interview_create"), data)

        assert response.status_code == 302
        assert Interview.objects.get().title == "Interview with Aida Auditee"

    def test_an_interview_cannot_be_recorded_as_held_tomorrow(self, started, lead, auditee):
        with pytest.raises(InvalidInput) as refused:
            interview(lead, started, auditee, held_at=timezone.now() + timedelta(days=1))

        assert "held_at" in refused.value.errors
        assert not Interview.objects.exists()


# ============================================================================================
# 7. Findings
# ============================================================================================
def finding_form(audit, process, **changes):
    data = {
        "audit": audit.pk,
        "grade": "minor",
        "title": "Suppliers used past their re-evaluation",
        "clause": clause("8.4.1").pk,
        "process": process.pk,
        "requirement": "Providers are re-evaluated.",
        "evidence": "Two of six suppliers sampled were overdue.",
        **changes,
    }
    return form_data(FindingRegister, **data)


class TestFindingInput:
    def test_the_web_form_names_the_clause_requirement_and_evidence_when_missing(
        self, client_for, started, lead, process
    ):
        data = finding_form(started, process, clause="", requirement="", evidence="")

        response = client_for(lead).post(reverse("audits:finding_create"), data)

        assert response.status_code == 422
        assert {"clause", "requirement", "evidence"} <= set(response.context["form"].errors)
        assert not Finding.objects.exists()

    def test_the_api_names_the_clause_requirement_and_evidence_when_missing(
        self, api_for, started, lead, process
    ):
        body = {"audit": started.pk, "grade": "minor", "title": "Overdue", "process": process.pk}

        response = api_for(lead).post(api_base(Finding), body)

        assert response.status_code == 422
        assert {"clause", "requirement", "evidence"} <= set(response.json()["errors"])
        assert not Finding.objects.exists()

    @pytest.mark.parametrize("field", ["requirement", "evidence"])
    def test_blank_requirement_or_evidence_is_refused(self, started, lead, field):
        with pytest.raises(InvalidInput) as refused:
            make_finding(lead, started, **{field: "   "})

        assert field in refused.value.errors
        assert not Finding.objects.exists()

    def test_the_api_refuses_a_checklist_item_of_another_audit_naming_it(
        self, api_for, started, bare_audit, lead, process
    ):
        elsewhere = add_question(lead, bare_audit)
        body = {
            "audit": started.pk,
            "grade": "minor",
            "title": "Overdue",
            "clause": clause("8.4.1").pk,
            "process": process.pk,
            "requirement": "Re-evaluated.",
            "evidence": "Two overdue.",
            "checklist_item": elsewhere.pk,
        }

        response = api_for(lead).post(api_base(Finding), body)

        assert response.status_code == 422
        assert "checklist_item" in response.json()["errors"]
        assert not Finding.objects.exists()


class TestIssuingFindings:
    @pytest.mark.parametrize("grade", ["minor", "major"])
    def test_issuing_a_nonconformity_opens_one_from_the_internal_audit(
        self, started, lead, process, grade, settings
    ):
        finding = make_finding(lead, started, grade)

        issued = issue(lead, finding)

        nc = issued.nonconformity
        assert issued.status == Finding.Status.ISSUED
        assert nc is not None
        assert nc.source == "internal_audit"
        assert nc.severity == grade
        assert nc.origin == issued
        assert nc.process == process
        assert started.reference in nc.description
        assert Nonconformity.objects.count() == 1
        wait = timedelta(days=settings.NORMA_FINDING_ACKNOWLEDGE_DAYS)
        assert issued.due_date == timezone.localdate() + wait

    def test_the_nonconformity_is_shown_on_the_findings_page(self, client_for, issued, lead):
        html = client_for(lead).get(page_of(issued)).content.decode()

        assert f'href="{page_of(issued.nonconformity)}"' in html

    @pytest.mark.parametrize("grade", ["observation", "strength", "ofi"])
    def test_other_grades_open_no_nonconformity(self, started, lead, grade):
        issued = issue(lead, make_finding(lead, started, grade))

        assert issued.status == Finding.Status.ISSUED
        assert issued.nonconformity is None
        assert not Nonconformity.objects.exists()

    @pytest.mark.parametrize("step", [steps.IssueFinding, steps.WithdrawFinding])
    def test_an_auditor_not_on_the_team_cannot_issue_or_withdraw_it(
        self, draft, internal_auditor, step
    ):
        before = state(draft)

        with pytest.raises(NotPermitted, match="audit team"):
            run(step, internal_auditor, draft, reason="Not needed.")

        assert state(draft) == before
        assert not Nonconformity.objects.exists()

    def test_the_web_issue_button_opens_the_nonconformity(self, client_for, draft, lead):
        response = do(client_for(lead), draft, "issue")

        assert response.status_code == 302
        assert fresh(draft).nonconformity.source == "internal_audit"


class TestIssuedFindings:
    """What the auditee acknowledges is what was issued."""

    @pytest.mark.parametrize(
        "change",
        [{"grade": "observation"}, {"evidence": "All suppliers were re-evaluated."}],
    )
    def test_what_an_issued_nonconformity_states_is_not_edited(self, issued, lead, change):
        before = state(issued)

        with pytest.raises(ActionRefused):
            UpdateRecord(lead, issued, data=change).execute()

        assert state(issued) == before


class TestImprovements:
    @pytest.fixture
    def ofi(self, started, lead):
        return issue(lead, make_finding(lead, started, "ofi", title="Share supplier scores"))

    def test_an_opportunity_opens_one_improvement_from_the_audit(
        self, ofi, lead, process, process_owner
    ):
        done = run(steps.OpenImprovement, lead, ofi)

        improvement = done.improvement
        assert improvement.source == Improvement.Source.AUDIT
        assert improvement.origin == done
        assert improvement.process == process
        assert improvement.owner == process_owner
        assert Improvement.objects.count() == 1

    def test_a_second_improvement_is_refused(self, ofi, lead):
        run(steps.OpenImprovement, lead, ofi)
        before = state(ofi)

        with pytest.raises(ActionRefused, match="already has its improvement"):
            run(steps.OpenImprovement, lead, fresh(ofi))

        assert Improvement.objects.count() == 1
        assert state(ofi) == before

    def test_a_nonconformity_finding_opens_no_improvement(self, issued, lead):
        with pytest.raises(ActionRefused, match="Only an opportunity"):
            run(steps.OpenImprovement, lead, issued)

        assert not Improvement.objects.exists()

    def test_a_draft_opportunity_opens_no_improvement(self, started, lead):
        draft = make_finding(lead, started, "ofi")

        with pytest.raises(ActionRefused, match="Issue the finding first"):
            run(steps.OpenImprovement, lead, draft)

        assert not Improvement.objects.exists()

    def test_an_auditor_not_on_the_team_cannot_open_the_improvement(self, ofi, internal_auditor):
        with pytest.raises(NotPermitted, match="audit team"):
            run(steps.OpenImprovement, internal_auditor, ofi)

        assert not Improvement.objects.exists()

    def test_the_api_opens_the_improvement(self, api_for, ofi, lead):
        response = api_do(api_for(lead), ofi, "open-improvement")

        assert response.status_code == 200, response.content
        assert response.json()["improvement"] == Improvement.objects.get().pk


class TestAuditeeAnswers:
    @pytest.mark.parametrize("who", ["process_owner", "auditee"])
    def test_the_owner_or_an_auditee_acknowledges(self, request, issued, who):
        person = request.getfixturevalue(who)

        done = run(steps.AcknowledgeFinding, person, issued)

        assert done.status == Finding.Status.ACKNOWLEDGED
        assert done.acknowledged_by == person
        assert done.acknowledged_at is not None
        assert done.due_date is None

    @pytest.mark.parametrize("who", ["employee", "lead", "quality_manager"])
    @pytest.mark.parametrize("step", [steps.AcknowledgeFinding, steps.DisputeFinding])
    def test_nobody_else_answers_for_the_finding(self, request, issued, who, step):
        before = state(issued)

        with pytest.raises(NotPermitted, match="Only the auditees"):
            run(step, request.getfixturevalue(who), issued, auditee_response="Not ours.")

        assert state(issued) == before

    def test_another_person_is_refused_with_403_by_the_api(self, api_for, issued, employee):
        before = state(issued)

        response = api_do(api_for(employee), issued, "acknowledge")

        assert response.status_code == 403
        assert state(issued) == before

    def test_the_auditee_acknowledges_on_the_findings_page(self, client_for, issued, auditee):
        response = do(client_for(auditee), issued, "acknowledge", auditee_response="Agreed.")

        assert response.status_code == 302
        done = fresh(issued)
        assert (done.status, done.auditee_response) == ("acknowledged", "Agreed.")

    def test_a_dispute_needs_the_auditees_response(self, issued, auditee):
        before = state(issued)

        with pytest.raises(InvalidInput) as refused:
            run(steps.DisputeFinding, auditee, issued, auditee_response="")

        assert "auditee_response" in refused.value.errors
        assert state(issued) == before

    def test_a_dispute_keeps_the_response(self, issued, process_owner):
        done = run(
            steps.DisputeFinding,
            process_owner,
            issued,
            auditee_response="The two suppliers were re-evaluated by phone.",
        )

        assert done.status == Finding.Status.DISPUTED
        assert done.auditee_response == "The two suppliers were re-evaluated by phone."


class TestWithdrawing:
    def test_a_withdrawal_needs_a_reason(self, draft, lead):
        before = state(draft)

        with pytest.raises(InvalidInput) as refused:
            run(steps.WithdrawFinding, lead, draft)

        assert "reason" in refused.value.errors
        assert state(draft) == before

    def test_a_draft_is_withdrawn_with_a_reason(self, draft, lead):
        done = run(steps.WithdrawFinding, lead, draft, reason="Evidence misread.")

        assert done.status == Finding.Status.WITHDRAWN

    def test_it_is_refused_once_a_nonconformity_was_opened(self, issued, lead):
        before = state(issued)

        with pytest.raises(ActionRefused, match=issued.nonconformity.reference):
            run(steps.WithdrawFinding, lead, issued, reason="Evidence misread.")

        assert state(issued) == before


class TestReportedAudit:
    def test_a_finding_is_not_added(self, locked, lead):
        with pytest.raises(ActionRefused, match="nothing more is added"):
            make_finding(lead, locked, "minor")

        assert locked.findings.count() == 1

    def test_a_checklist_item_is_not_added(self, locked, lead):
        count = locked.checklist.count()

        with pytest.raises(ActionRefused, match="nothing more is added"):
            add_question(lead, locked)

        assert locked.checklist.count() == count

    def test_an_interview_is_not_added(self, locked, lead, auditee):
        with pytest.raises(ActionRefused, match="nothing more is added"):
            interview(lead, locked, auditee)

        assert not Interview.objects.exists()

    def test_the_web_form_refuses_a_new_finding(self, client_for, locked, lead, process):
        response = client_for(lead).post(
            reverse("audits:finding_create"), finding_form(locked, process)
        )

        assert response.status_code == 409
        assert "nothing more is added" in messages_of(response)
        assert locked.findings.count() == 1

    def test_a_finding_is_not_edited(self, locked, lead):
        finding = locked.findings.get()
        before = state(finding)

        with pytest.raises(ActionRefused, match="locked"):
            UpdateRecord(lead, finding, data={"title": "Orders filed"}).execute()

        assert state(finding) == before

    def test_the_api_refuses_an_edit_of_its_finding(self, api_for, locked, lead):
        finding = locked.findings.get()

        response = api_for(lead).patch(
            api_of(finding), {"title": "Orders filed"}, **{"If-Match": finding.etag}
        )

        assert response.status_code == 409
        assert fresh(finding).title == "Orders well filed"

    def test_its_findings_are_still_acknowledged(self, locked, auditee):
        finding = locked.findings.get()

        done = run(steps.AcknowledgeFinding, auditee, finding)

        assert done.status == Finding.Status.ACKNOWLEDGED


# ============================================================================================
# 8. The API
# ============================================================================================
class TestApi:
    def test_findings_are_listed_by_audit(self, api_for, draft, bare_audit, lead, employee):
        make_finding(lead, bare_audit, "observation", process=None)

        # An audit's parts are found by its reference (5,000 audits are too many to list).
        response = api_for(employee).get(f"{api_base(Finding)}?q={draft.audit.reference}")

        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 1
        assert body["results"][0]["reference"] == draft.reference

    def test_a_finding_is_read_with_its_etag(self, api_for, issued, employee):
        response = api_for(employee).get(api_of(issued))

        assert response.status_code == 200
        assert response["ETag"] == fresh(issued).etag
        body = response.json()
        assert (body["grade"], body["status"]) == ("minor", "issued")
        assert body["clause"] == clause("8.4.1").pk
        assert body["nonconformity"] == issued.nonconformity_id

    def test_the_lead_creates_a_finding_addressed_to_the_process_owner(
        self, api_for, started, lead, process, process_owner
    ):
        body = {
            "audit": started.pk,
            "grade": "major",
            "title": "No supplier evaluation at all",
            "clause": clause("8.4.1").pk,
            "process": process.pk,
            "requirement": "Providers are evaluated.",
            "evidence": "None of six suppliers sampled had been evaluated.",
        }

        response = api_for(lead).post(api_base(Finding), body)

        assert response.status_code == 201, response.content
        finding = Finding.objects.get(reference=response.json()["reference"])
        assert (finding.status, finding.owner) == ("draft", process_owner)
        assert finding.audit == started

    @pytest.mark.parametrize("who", ["employee", "internal_auditor"])
    def test_only_the_audit_team_creates_findings(self, request, api_for, started, process, who):
        body = {
            "audit": started.pk,
            "grade": "minor",
            "title": "Overdue",
            "clause": clause("8.4.1").pk,
            "process": process.pk,
            "requirement": "Re-evaluated.",
            "evidence": "Two overdue.",
        }

        response = api_for(request.getfixturevalue(who)).post(api_base(Finding), body)

        assert response.status_code == 403
        assert not Finding.objects.exists()

    def test_checklist_items_are_listed_and_read(self, api_for, started, item, employee):
        api = api_for(employee)

        listed = api.get(f"{api_base(ChecklistItem)}?q={started.reference}&page_size=200").json()
        read = api.get(api_of(item))

        assert listed["count"] == started.checklist.count()
        assert item.reference in [row["reference"] for row in listed["results"]]
        assert read.status_code == 200
        assert (read.json()["result"], read.json()["source"]) == ("not_audited", "standard")

    def test_an_auditor_adds_a_checklist_item(self, api_for, started, lead):
        body = {"audit": started.pk, "title": "Are urgent orders approved?", "position": 99}

        response = api_for(lead).post(api_base(ChecklistItem), body)

        assert response.status_code == 201, response.content
        added = ChecklistItem.objects.get(reference=response.json()["reference"])
        assert (added.audit, added.source, added.result) == (started, "auditor", "not_audited")

    @pytest.mark.parametrize("who", ["employee", "internal_auditor"])
    def test_only_the_audit_team_adds_checklist_items(self, request, api_for, started, who):
        count = started.checklist.count()
        body = {"audit": started.pk, "title": "Are urgent orders approved?", "position": 99}

        response = api_for(request.getfixturevalue(who)).post(api_base(ChecklistItem), body)

        assert response.status_code == 403
        assert started.checklist.count() == count

    def test_an_answer_through_the_api_needs_the_current_etag(self, api_for, item, lead):
        api = api_for(lead)
        old = item.etag
        api.patch(api_of(item), {"result": "conforming"}, **{"If-Match": old})

        response = api.patch(api_of(item), {"result": "major"}, **{"If-Match": old})

        assert response.status_code == 412
        assert fresh(item).result == "conforming"

    def test_a_finding_is_issued_through_the_api_with_if_match(self, api_for, draft, lead):
        response = api_do(api_for(lead), draft, "issue")

        assert response.status_code == 200, response.content
        assert response.json()["status"] == "issued"
        assert response["ETag"] == fresh(draft).etag
        assert response.json()["nonconformity"] == fresh(draft).nonconformity_id

    def test_a_stale_if_match_is_refused_with_412_and_nothing_changes(self, api_for, draft, lead):
        api = api_for(lead)
        old = draft.etag
        api.patch(api_of(draft), {"title": "Two suppliers overdue"}, **{"If-Match": old})
        before = state(draft)

        response = api_do(api, draft, "issue", etag=old)

        assert response.status_code == 412
        assert state(draft) == before
        assert not Nonconformity.objects.exists()

    def test_an_action_without_if_match_is_refused_with_428(self, api_for, draft, lead):
        response = api_for(lead).post(f"{api_of(draft)}/actions/issue", {})

        assert response.status_code == 428
        assert fresh(draft).status == "draft"

    def test_an_employee_cannot_issue_a_finding(self, api_for, draft, employee):
        before = state(draft)

        response = api_do(api_for(employee), draft, "issue")

        assert response.status_code == 403
        assert state(draft) == before
        assert not Nonconformity.objects.exists()

    def test_the_api_refuses_a_dispute_without_a_response(self, api_for, issued, auditee):
        response = api_do(api_for(auditee), issued, "dispute")

        assert response.status_code == 422
        assert "auditee_response" in response.json()["errors"]
        assert fresh(issued).status == "issued"
