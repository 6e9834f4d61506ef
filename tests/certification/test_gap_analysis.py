"""The gap analysis: starting an assessment (one answer per clause of the standard, the
clauses judged not applicable in 4.3 answered so with their reason), the guided page that
takes the assessor clause by clause, an action for each gap, completing the assessment and
the progress over runs, the gap actions followed to done, the report as PDF, who may do what,
and the query counts of the assessment's pages.

Unless a test says otherwise, Quinn Quality (the quality manager) does the work, on ISO
9001:2015 as loaded from its library: 65 clauses have no sub-clauses and are answered one by one.
"""

import datetime
import html
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from norma.certification.gaps import (
    AddGapAction,
    CancelGapAction,
    CompleteAssessment,
    CompleteGapAction,
    StartAssessment,
)
from norma.certification.models import GapAction, GapAnswer, GapAssessment
from norma.certification.registers import (
    GapActionRegister,
    GapAnswerRegister,
    GapAssessmentRegister,
)
from norma.core.actions import (
    ActionRefused,
    CreateRecord,
    InvalidInput,
    NotPermitted,
    StaleEdit,
    UpdateRecord,
)
from norma.core.models import ChangeLogEntry
from norma.planning.models import NonApplicableRequirement
from norma.standards.models import Clause
from tests.conftest import PERSONAS
from tests.kit import form_data
from tests.reports import pdf_text

STANDARD = "iso9001-2015"
LEAF_CLAUSES = 65
A = GapAnswer.Answer


# -- small helpers ------------------------------------------------------------------------
def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def page_text(response) -> str:
    """What a reader sees: the page without its tags, entities decoded, spaces collapsed."""
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(text))


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def refused(make, kind=ActionRefused) -> ActionRefused:
    """Run `make()`, which must be refused, and return the refusal."""
    with pytest.raises(kind) as caught:
        make()
    return caught.value


def clause(ref) -> Clause:
    return Clause.objects.get(standard__slug=STANDARD, ref=ref)


def leaf_refs() -> list[str]:
    return list(
        Clause.objects.filter(standard__slug=STANDARD, children__isnull=True)
        .order_by("sort_key")
        .values_list("ref", flat=True)
    )


def judge_not_applicable(actor, ref, why="Parts are made to customers' drawings."):
    data = {"title": f"{ref} does not apply", "clause": clause(ref), "justification": why}
    return CreateRecord(actor, NonApplicableRequirement, data=data).execute()


def start(actor, **fields) -> GapAssessment:
    data = {"title": "Gap analysis before stage 1", "owner": actor, **fields}
    return StartAssessment(actor, data=data).execute()


def answer_of(assessment, ref) -> GapAnswer:
    return GapAnswer.objects.get(assessment=assessment, clause__ref=ref)


def answer(actor, assessment, ref, value, notes="", **fields) -> GapAnswer:
    data = {"answer": value, "notes": notes, **fields}
    return UpdateRecord(actor, answer_of(assessment, ref), data=data).execute()


def add_action(actor, gap, owner, due=None, **fields) -> GapAction:
    data = {
        "answer": fresh(gap),
        "title": f"Close the gap on {gap.clause.ref}",
        "owner": owner,
        "due_date": due or days(30),
        **fields,
    }
    return AddGapAction(actor, data=data).execute()


def gap_with_action(actor, assessment, ref, owner, value=A.GAP) -> GapAction:
    gap = answer(actor, assessment, ref, value, notes="Not done yet.")
    return add_action(actor, gap, owner)


def answer_the_rest(assessment, value=A.CONFORM):
    """Setup: every clause still unanswered answered at once (answering one by one, through
    the action and the page, is tested on its own)."""
    GapAnswer.objects.filter(assessment=assessment, answer=A.UNANSWERED).update(
        answer=value, status=value
    )


def complete(actor, assessment, **data) -> GapAssessment:
    return CompleteAssessment(actor, fresh(assessment), data=data).execute()


def completed(actor, **fields) -> GapAssessment:
    assessment = start(actor, **fields)
    answer_the_rest(assessment)
    return complete(actor, assessment)


def assess_url(assessment, ref=None) -> str:
    url = reverse("certification:gap_assess", args=[assessment.reference])
    return f"{url}?clause={ref}" if ref else url


def detail_url(record) -> str:
    register = {
        GapAssessment: GapAssessmentRegister,
        GapAnswer: GapAnswerRegister,
        GapAction: GapActionRegister,
    }[type(record)]
    return reverse(register.url_name("detail"), args=[record.reference])


def post_answer(client, assessment, ref, value, version=None, **fields):
    """The guided page's form as the browser sends it, for one clause."""
    current = answer_of(assessment, ref)
    data = {
        "clause": ref,
        "version": current.version if version is None else version,
        "answer": value,
        "notes": "",
        "evidence": "",
        "action_title": "",
        "action_owner": "",
        "action_due_date": "",
        "action_description": "",
        **fields,
    }
    return client.post(assess_url(assessment), data)


# -- fixtures ------------------------------------------------------------------------------
@pytest.fixture
def assessment(quality_manager):
    return start(quality_manager)


@pytest.fixture
def qm_client(client_for, quality_manager):
    return client_for(quality_manager)


# -- starting an assessment ----------------------------------------------------------------
def test_starting_an_assessment_gives_each_clause_without_sub_clauses_an_open_answer(
    quality_manager, assessment
):
    answers = list(assessment.answers.select_related("clause").order_by("clause__sort_key"))

    assert assessment.status == GapAssessment.Status.IN_PROGRESS
    assert assessment.standard.slug == STANDARD
    assert assessment.started_on == today()
    assert len(answers) == LEAF_CLAUSES
    assert [a.clause.ref for a in answers] == leaf_refs()
    assert {a.answer for a in answers} == {A.UNANSWERED}
    assert {a.status for a in answers} == {A.UNANSWERED}
    assert "4.4" not in [a.clause.ref for a in answers]  # a heading is judged through its parts
    assert answer_of(assessment, "7.2").title == "7.2 Competence"


def test_each_answer_started_has_a_reference_and_a_logged_creation(quality_manager, assessment):
    answers = list(assessment.answers.all())

    assert len({a.reference for a in answers}) == LEAF_CLAUSES
    assert all(a.reference.startswith("GQ") for a in answers)
    assert {a.owner for a in answers} == {quality_manager}
    logged = ChangeLogEntry.objects.filter(
        object_type="certification.gapanswer", action="create"
    ).count()
    assert logged == LEAF_CLAUSES


def test_clauses_judged_not_applicable_start_answered_with_the_judgement(
    quality_manager, top_manager
):
    judged = judge_not_applicable(top_manager, "8.3")

    assessment = start(quality_manager)

    excluded = {
        a.clause.ref: a
        for a in assessment.answers.select_related("clause")
        if a.answer != "unanswered"
    }
    assert sorted(excluded) == ["8.3.1", "8.3.2", "8.3.3", "8.3.4", "8.3.5", "8.3.6"]
    for ref, row in excluded.items():
        assert (row.answer, row.status) == (A.NOT_APPLICABLE, A.NOT_APPLICABLE), ref
        assert row.notes == (
            f"Judged not applicable ({judged.reference}): Parts are made to customers' drawings."
        )
    assert answer_of(assessment, "8.4.1").answer == A.UNANSWERED


def test_a_judgement_archived_before_the_start_no_longer_excludes_the_clause(
    quality_manager, top_manager
):
    from norma.core.actions import ArchiveRecord

    judged = judge_not_applicable(top_manager, "8.5.5")
    ArchiveRecord(quality_manager, judged, reason="We now service what we sell.").execute()

    assessment = start(quality_manager)

    assert answer_of(assessment, "8.5.5").answer == A.UNANSWERED


def test_the_register_form_starts_an_assessment(qm_client, quality_manager):
    response = qm_client.post(
        reverse(GapAssessmentRegister.url_name("create")),
        form_data(GapAssessmentRegister, title="Gap analysis 2026", owner=quality_manager.pk),
    )

    assessment = GapAssessment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(assessment)
    assert assessment.reference.startswith("GA")
    assert assessment.answers.count() == LEAF_CLAUSES


def test_a_second_assessment_cannot_start_while_one_is_in_progress(quality_manager, assessment):
    error = refused(lambda: start(quality_manager, title="Another one"))

    assert error.message == f"{assessment.reference} is still in progress: complete it first."
    assert GapAssessment.objects.count() == 1
    assert GapAnswer.objects.count() == LEAF_CLAUSES


def test_the_form_says_why_a_second_assessment_cannot_start(qm_client, quality_manager, assessment):
    response = qm_client.post(
        reverse(GapAssessmentRegister.url_name("create")),
        form_data(GapAssessmentRegister, title="Another one", owner=quality_manager.pk),
    )

    assert response.status_code == 409
    assert f"{assessment.reference} is still in progress" in messages_of(response)
    assert GapAssessment.objects.count() == 1


def test_nobody_adds_an_answer_by_hand_not_even_the_quality_manager(
    client_for, quality_manager, assessment
):
    response = client_for(quality_manager).get(reverse(GapAnswerRegister.url_name("create")))

    assert response.status_code == 403
    assert not quality_manager.has_perm("certification.add_gapanswer")
    assert GapAnswer.objects.count() == LEAF_CLAUSES


# -- the guided page ------------------------------------------------------------------------
def test_the_guided_page_opens_at_the_first_clause_with_its_audit_questions(qm_client, assessment):
    response = qm_client.get(assess_url(assessment))
    text = page_text(response)

    assert response.status_code == 200
    assert "Gap analysis: clause 4.1" in text
    assert "4.1 Understanding the organization and its context" in text
    assert "What an auditor would ask" in text
    for question in clause("4.1").audit_questions:
        assert question in text
    assert f"0 of {LEAF_CLAUSES} clauses answered" in text
    assert "Last time" not in text


def test_the_guided_page_opens_the_clause_asked_for(qm_client, assessment):
    text = page_text(qm_client.get(assess_url(assessment, "7.2")))

    assert "Gap analysis: clause 7.2" in text
    assert clause("7.2").audit_questions[0] in text


def test_the_guided_page_opens_at_the_first_clause_not_answered_yet(
    qm_client, quality_manager, assessment
):
    for ref in ("4.1", "4.2"):
        answer(quality_manager, assessment, ref, A.CONFORM)

    text = page_text(qm_client.get(assess_url(assessment)))

    assert "Gap analysis: clause 4.3" in text
    assert f"2 of {LEAF_CLAUSES} clauses answered" in text


def test_an_answer_is_saved_and_the_page_goes_on_to_the_next_clause(qm_client, assessment):
    response = post_answer(
        qm_client,
        assessment,
        "4.1",
        A.CONFORM,
        notes="Context reviewed in March.",
        evidence="DOC-2026-0001",
    )

    assert response.status_code == 302
    assert response["Location"] == assess_url(assessment, "4.2")
    saved = answer_of(assessment, "4.1")
    assert (saved.answer, saved.status) == (A.CONFORM, A.CONFORM)
    assert (saved.notes, saved.evidence) == ("Context reviewed in March.", "DOC-2026-0001")
    assert saved.version == 2


def test_the_page_skips_clauses_already_answered(qm_client, quality_manager, assessment):
    answer(quality_manager, assessment, "4.2", A.CONFORM)

    response = post_answer(qm_client, assessment, "4.1", A.PARTLY)

    assert response["Location"] == assess_url(assessment, "4.3")


def test_after_the_last_clause_the_page_goes_back_to_a_clause_left_open(qm_client, assessment):
    last = leaf_refs()[-1]

    response = post_answer(qm_client, assessment, last, A.CONFORM)

    assert response["Location"] == assess_url(assessment, "4.1")


def test_not_applicable_without_a_reason_is_refused_naming_the_notes(qm_client, assessment):
    response = post_answer(qm_client, assessment, "8.5.5", A.NOT_APPLICABLE)

    assert response.status_code == 422
    assert 'id="notes-error"' in response.content.decode()
    assert "Say why the clause does not apply (4.3)." in page_text(response)
    assert answer_of(assessment, "8.5.5").answer == A.UNANSWERED


def test_not_applicable_with_a_reason_is_saved(qm_client, assessment):
    response = post_answer(
        qm_client, assessment, "8.5.5", A.NOT_APPLICABLE, notes="Nothing is delivered."
    )

    assert response.status_code == 302
    assert answer_of(assessment, "8.5.5").status == A.NOT_APPLICABLE


def test_a_stale_answer_is_refused_and_overwrites_nothing(
    client_for, qm_client, top_manager, assessment
):
    opened_at = answer_of(assessment, "7.2").version
    answer(top_manager, assessment, "7.2", A.GAP, notes="No training matrix.")

    response = post_answer(
        qm_client, assessment, "7.2", A.CONFORM, version=opened_at, notes="All fine."
    )

    assert response.status_code == 422
    assert "was changed by Tess Top since you opened it" in page_text(response)
    kept = answer_of(assessment, "7.2")
    assert (kept.answer, kept.notes) == (A.GAP, "No training matrix.")


def test_a_stale_answer_through_the_action_is_refused(quality_manager, top_manager, assessment):
    row = answer_of(assessment, "7.2")
    answer(top_manager, assessment, "7.2", A.GAP)

    refused(
        lambda: UpdateRecord(
            quality_manager, row, data={"answer": A.CONFORM}, expected_version=row.version
        ).execute(),
        StaleEdit,
    )


def test_a_gap_with_an_action_creates_the_action(qm_client, process_owner, assessment):
    response = post_answer(
        qm_client,
        assessment,
        "7.2",
        A.GAP,
        notes="No training matrix.",
        action_title="Build the training matrix",
        action_owner=process_owner.pk,
        action_due_date=days(60).isoformat(),
        action_description="One row per job role.",
    )

    assert response.status_code == 302
    gap = answer_of(assessment, "7.2")
    [action] = gap.actions.all()
    assert action.reference.startswith("GX")
    assert (action.title, action.owner, action.due_date) == (
        "Build the training matrix",
        process_owner,
        days(60),
    )
    assert action.status == GapAction.Status.OPEN
    assert action.description == "One row per job role."


def test_the_guided_page_lists_the_clauses_actions(qm_client, quality_manager, assessment):
    action = gap_with_action(quality_manager, assessment, "7.2", quality_manager)

    text = page_text(qm_client.get(assess_url(assessment, "7.2")))

    assert "(1 already)" in text
    assert f"{action.reference} Close the gap on 7.2" in text


def test_an_action_due_in_the_past_is_refused_and_says_so(qm_client, process_owner, assessment):
    response = post_answer(
        qm_client,
        assessment,
        "7.2",
        A.GAP,
        notes="No training matrix.",
        action_title="Build the training matrix",
        action_owner=process_owner.pk,
        action_due_date=days(-1).isoformat(),
    )

    assert response.status_code == 422
    assert "Due date: The date has already passed; give today or a later one." in page_text(
        response
    )
    assert not GapAction.objects.exists()


def test_an_action_without_an_owner_is_refused_and_says_so(qm_client, assessment):
    response = post_answer(
        qm_client,
        assessment,
        "7.2",
        A.GAP,
        action_title="Build the training matrix",
        action_due_date=days(30).isoformat(),
    )

    assert response.status_code == 422
    assert "Owner: Give the action an owner." in page_text(response)
    assert "Build the training matrix" in response.content.decode()  # kept for a retry
    assert not GapAction.objects.exists()


def test_an_action_for_a_conform_clause_is_refused(quality_manager, assessment):
    conform = answer(quality_manager, assessment, "7.2", A.CONFORM)

    error = refused(lambda: add_action(quality_manager, conform, quality_manager), InvalidInput)

    assert "answer" in error.errors
    assert not GapAction.objects.exists()


def test_last_times_answer_is_shown_once_an_assessment_was_completed(client_for, quality_manager):
    first = start(quality_manager, title="First run")
    answer(quality_manager, first, "7.2", A.PARTLY, notes="Matrix half done.")
    add_action(quality_manager, answer_of(first, "7.2"), quality_manager)
    answer_the_rest(first)
    complete(quality_manager, first)
    second = start(quality_manager, title="Second run")

    text = page_text(client_for(quality_manager).get(assess_url(second, "7.2")))

    assert f"Last time ({first.reference}): Partly conform : Matrix half done." in text


# -- completing ------------------------------------------------------------------------------
def test_completing_is_refused_while_a_clause_is_not_answered(quality_manager, assessment):
    answer_the_rest(assessment)
    GapAnswer.objects.filter(pk=answer_of(assessment, "10.3").pk).update(
        answer=A.UNANSWERED, status=A.UNANSWERED
    )

    error = refused(lambda: complete(quality_manager, assessment))

    assert error.message == "1 clause is not answered yet."
    assert fresh(assessment).status == GapAssessment.Status.IN_PROGRESS


def test_completing_a_fresh_assessment_counts_every_clause_left(quality_manager, assessment):
    error = refused(lambda: complete(quality_manager, assessment))

    assert error.message == f"{LEAF_CLAUSES} clauses are not answered yet."


@pytest.mark.parametrize("value", [A.GAP, A.PARTLY])
def test_completing_is_refused_while_a_gap_has_no_action_naming_the_clause(
    quality_manager, assessment, value
):
    answer(quality_manager, assessment, "7.2", value, notes="No matrix.")
    answer_the_rest(assessment)

    error = refused(lambda: complete(quality_manager, assessment))

    assert error.message == "Give each gap an action first: 7.2."
    assert fresh(assessment).status == GapAssessment.Status.IN_PROGRESS


def test_every_clause_answered_and_every_gap_with_an_action_completes(quality_manager, assessment):
    gap_with_action(quality_manager, assessment, "7.2", quality_manager)
    answer_the_rest(assessment)

    complete(quality_manager, assessment, summary="Ready for stage 1 once 7.2 is closed.")

    done = fresh(assessment)
    assert done.status == GapAssessment.Status.COMPLETED
    assert done.completed_on == today()
    assert done.summary == "Ready for stage 1 once 7.2 is closed."


def test_a_completed_assessment_keeps_its_answers(quality_manager, assessment):
    gap_with_action(quality_manager, assessment, "7.2", quality_manager)
    answer_the_rest(assessment)
    complete(quality_manager, assessment)

    error = refused(lambda: answer(quality_manager, assessment, "4.1", A.GAP))
    assert error.message == f"{assessment.reference} is completed: its answers are kept as given."
    error = refused(
        lambda: UpdateRecord(quality_manager, fresh(assessment), data={"title": "New"}).execute()
    )
    assert "is completed: start a new assessment" in error.message
    error = refused(
        lambda: add_action(quality_manager, answer_of(assessment, "7.2"), quality_manager)
    )
    assert error.message == f"{assessment.reference} is completed."
    assert answer_of(assessment, "4.1").answer == A.CONFORM


def test_the_guided_page_refuses_answers_to_a_completed_assessment(qm_client, quality_manager):
    done = completed(quality_manager)

    response = post_answer(qm_client, done, "4.1", A.GAP, notes="Changed my mind.")

    assert response.status_code == 422
    assert f"{done.reference} is completed: its answers are kept as given." in page_text(response)
    assert answer_of(done, "4.1").answer == A.CONFORM


def test_once_completed_a_new_assessment_may_start(quality_manager):
    first = completed(quality_manager)

    second = start(quality_manager, title="The second run")

    assert second.status == GapAssessment.Status.IN_PROGRESS
    assert second.answers.count() == LEAF_CLAUSES
    assert first.pk != second.pk


def test_the_detail_page_shows_the_score_and_the_gaps_with_their_actions(
    qm_client, quality_manager, process_owner, assessment
):
    action = gap_with_action(quality_manager, assessment, "7.2", process_owner)
    answer(quality_manager, assessment, "8.4.1", A.PARTLY, notes="Half the suppliers.")
    answer(quality_manager, assessment, "4.1", A.CONFORM)

    response = qm_client.get(detail_url(assessment))
    text = page_text(response)

    assert response.status_code == 200
    assert f"3 of {LEAF_CLAUSES} clauses answered" in text
    assert "50 % conform over the clauses that apply" in text  # (1 + 0.5 + 0) / 3
    assert f"{action.reference} Close the gap on 7.2 · Owen Owner" in text
    assert "2 clauses, 1 action open" in text
    assert "No action yet" in text  # 8.4.1 has none
    assert "Go on assessing" in text


def test_the_progress_over_two_runs_is_drawn_once_both_are_completed(client_for, quality_manager):
    first = start(quality_manager, title="First run")
    gap_with_action(quality_manager, first, "7.2", quality_manager)
    answer_the_rest(first)
    complete(quality_manager, first)
    second = start(quality_manager, title="Second run")
    answer_the_rest(second)
    client = client_for(quality_manager)

    running = client.get(detail_url(second)).content.decode()
    assert running.count("<svg") == 1
    assert "Complete a second assessment to see the progress over time." in page_text(
        client.get(detail_url(second))
    )

    complete(quality_manager, second)
    content = client.get(detail_url(second)).content.decode()

    assert content.count("<svg") == 2
    assert "Gap analysis score over time" in content
    assert "Go on assessing" not in content


def test_an_archived_run_is_left_out_of_the_progress_over_time(client_for, quality_manager):
    from norma.core.actions import ArchiveRecord

    mistaken = completed(quality_manager, title="Run by mistake")
    ArchiveRecord(quality_manager, fresh(mistaken), reason="Started by mistake.").execute()
    kept = completed(quality_manager, title="The real run")

    content = client_for(quality_manager).get(detail_url(kept)).content.decode()

    assert content.count("<svg") == 1
    assert "Complete a second assessment to see the progress over time." in content


# -- gap actions -----------------------------------------------------------------------------
@pytest.fixture
def employees_action(quality_manager, employee, assessment):
    return gap_with_action(quality_manager, assessment, "7.2", employee)


def test_the_owner_completes_the_action_with_its_outcome(employee, employees_action):
    CompleteGapAction(
        employee, fresh(employees_action), data={"outcome": "Matrix in force: DOC-0042."}
    ).execute()

    done = fresh(employees_action)
    assert done.status == GapAction.Status.DONE
    assert done.outcome == "Matrix in force: DOC-0042."
    assert done.completed_on == today()


def test_completing_an_action_needs_its_outcome(employee, employees_action):
    error = refused(
        lambda: CompleteGapAction(employee, fresh(employees_action), data={}).execute(),
        InvalidInput,
    )

    assert "outcome" in error.errors
    assert fresh(employees_action).status == GapAction.Status.OPEN


def test_the_owner_cancels_the_action_with_a_reason(employee, employees_action):
    CancelGapAction(
        employee, fresh(employees_action), reason="Covered by the new onboarding."
    ).execute()

    cancelled = fresh(employees_action)
    assert cancelled.status == GapAction.Status.CANCELLED
    assert cancelled.outcome == "Cancelled: Covered by the new onboarding."


def test_cancelling_an_action_needs_a_reason(employee, employees_action):
    error = refused(
        lambda: CancelGapAction(employee, fresh(employees_action)).execute(), InvalidInput
    )

    assert "reason" in error.errors


@pytest.mark.parametrize("persona", ["top_manager", "process_owner"], indirect=True)
def test_someone_else_without_the_right_cannot_close_the_action(persona, employees_action):
    error = refused(
        lambda: CompleteGapAction(
            persona, fresh(employees_action), data={"outcome": "Done."}
        ).execute(),
        NotPermitted,
    )

    assert error.message == "Only the action's owner or the quality team closes it."
    assert fresh(employees_action).status == GapAction.Status.OPEN


def test_the_quality_team_closes_anyones_action(quality_manager, employees_action):
    CompleteGapAction(quality_manager, fresh(employees_action), data={"outcome": "Done."}).execute()

    assert fresh(employees_action).status == GapAction.Status.DONE


def test_a_closed_action_is_a_record(employee, employees_action):
    CompleteGapAction(employee, fresh(employees_action), data={"outcome": "Done."}).execute()

    refused(lambda: CancelGapAction(employee, fresh(employees_action), reason="Oops").execute())
    assert "is done: it is a record now" in fresh(employees_action).edit_refusal()


def test_the_owner_completes_the_action_from_its_page(client_for, employee, employees_action):
    client = client_for(employee)
    page = detail_url(employees_action)

    assert f"{page}do/complete/" in client.get(page).content.decode()
    response = client.post(
        f"{page}do/complete/",
        {"version": employees_action.version, "outcome": "Matrix in force."},
    )

    assert response.status_code == 302
    assert fresh(employees_action).status == GapAction.Status.DONE


def test_employees_see_only_the_gap_actions_they_own(
    client_for, quality_manager, employee, assessment, employees_action
):
    others = gap_with_action(quality_manager, assessment, "8.4.1", quality_manager)
    client = client_for(employee)

    content = client.get(reverse(GapActionRegister.url_name("list"))).content.decode()

    assert employees_action.reference in content
    assert others.reference not in content
    assert client.get(detail_url(employees_action)).status_code == 200
    assert client.get(detail_url(others)).status_code == 404


def test_readers_of_the_gap_analysis_see_every_gap_action(
    client_for, process_owner, quality_manager, assessment, employees_action
):
    others = gap_with_action(quality_manager, assessment, "8.4.1", quality_manager)

    content = client_for(process_owner).get(reverse(GapActionRegister.url_name("list")))

    assert employees_action.reference in content.content.decode()
    assert others.reference in content.content.decode()


# -- the report ------------------------------------------------------------------------------
def test_the_report_is_a_pdf_with_the_assessment_and_its_gaps(
    qm_client, quality_manager, process_owner, assessment
):
    gap_with_action(quality_manager, assessment, "7.2", process_owner)

    response = qm_client.get(reverse("certification:gap_report", args=[assessment.reference]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"{assessment.reference}-gap-analysis.pdf" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert assessment.reference in text
    assert "7.2 Competence" in text
    assert "Owen Owner" in text


@pytest.mark.parametrize("persona", ["employee", "external_auditor", "nobody"], indirect=True)
def test_the_report_is_not_for_those_who_may_not_read_the_gap_analysis(
    client_for, persona, assessment
):
    response = client_for(persona).get(
        reverse("certification:gap_report", args=[assessment.reference])
    )

    assert response.status_code == 403


# -- who may do what -------------------------------------------------------------------------
STARTERS = {"quality_manager", "top_manager"}
READERS = {"quality_manager", "top_manager", "process_owner", "internal_auditor"}


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_who_may_start_an_assessment(request, client_for, persona, quality_manager):
    name = request.node.callspec.params["persona"]
    client = client_for(persona)
    new = reverse(GapAssessmentRegister.url_name("create"))

    page = client.get(new)
    response = client.post(
        new, form_data(GapAssessmentRegister, title="Gap analysis", owner=quality_manager.pk)
    )

    expected = (200, 302) if name in STARTERS else (403, 403)
    assert (page.status_code, response.status_code) == expected
    assert GapAssessment.objects.exists() == (name in STARTERS)


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_who_may_open_the_guided_page(request, client_for, persona, assessment):
    name = request.node.callspec.params["persona"]
    client = client_for(persona)

    seen = client.get(assess_url(assessment)).status_code
    posted = post_answer(client, assessment, "4.1", A.CONFORM).status_code

    assert (seen, posted) == ((200, 302) if name in STARTERS else (403, 403))
    assert answer_of(assessment, "4.1").answer == (A.CONFORM if name in STARTERS else A.UNANSWERED)


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_who_may_read_the_assessments(request, client_for, persona, assessment):
    name = request.node.callspec.params["persona"]
    client = client_for(persona)

    seen = {
        client.get(reverse(GapAssessmentRegister.url_name("list"))).status_code,
        client.get(detail_url(assessment)).status_code,
        client.get(reverse(GapAnswerRegister.url_name("list"))).status_code,
    }

    assert seen == ({200} if name in READERS else {403})


def test_readers_are_not_offered_to_assess(client_for, process_owner, assessment):
    content = client_for(process_owner).get(detail_url(assessment)).content.decode()

    assert assess_url(assessment) not in content
    assert "Report (PDF)" in content


def test_someone_signed_out_is_sent_to_sign_in_from_the_gap_pages(client, assessment):
    for url in (
        assess_url(assessment),
        reverse("certification:gap_report", args=[assessment.reference]),
        detail_url(assessment),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url


# -- query counts ------------------------------------------------------------------------------
def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return len(captured)


def add_gaps_with_actions(actor, assessment, refs, owners):
    for n, ref in enumerate(refs):
        gap_with_action(actor, assessment, ref, owners[n % len(owners)])


def test_the_assessment_pages_run_as_many_queries_with_20_gaps_as_with_5(
    client_for, quality_manager, top_manager, process_owner, employee
):
    completed(quality_manager, title="Last year's run")  # so history and "last time" are read
    assessment = start(quality_manager)
    refs = [ref for ref in leaf_refs() if ref.startswith(("7.", "8."))][:20]
    owners = [quality_manager, top_manager, process_owner, employee]
    client = client_for(quality_manager)
    pages = [detail_url(assessment), assess_url(assessment, refs[0])]
    add_gaps_with_actions(quality_manager, assessment, refs[:5], owners)
    for url in pages:
        client.get(url)  # warms the process-wide caches
    few = [queries(client, url) for url in pages]

    add_gaps_with_actions(quality_manager, assessment, refs[5:], owners)

    assert GapAction.objects.count() == 20
    assert [queries(client, url) for url in pages] == few
