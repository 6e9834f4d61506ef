"""7.5.2 and 7.5.3: the revision lifecycle of a controlled document, and the rules it keeps.

A procedure (reviewer: a process owner, approver: a quality manager) is written by Tess Top,
reviewed by Owen Owner and approved by Quinn Quality unless a test says otherwise.
"""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from norma.core.actions import (
    ActionRefused,
    ArchiveRecord,
    InvalidInput,
    NotPermitted,
    StaleEdit,
    UpdateRecord,
)
from norma.core.context import acting_as
from norma.core.models import ChangeLogEntry, RoleCode, Signature, SignatureMeaning
from norma.core.signatures import content_hash, signature_holds, signatures_for
from norma.documents.actions import (
    ApproveRevision,
    DiscardDraft,
    EditDraft,
    ObsoleteDocument,
    RequestChanges,
    ReviewRevision,
    StartRevision,
    SubmitRevision,
)
from norma.documents.models import (
    Document,
    DocumentType,
    Outcome,
    Revision,
    RevisionDecision,
    Step,
    add_months,
)
from norma.documents.periodic_jobs import make_due_revisions_effective
from norma.documents.workflow import current_step
from tests.conftest import PERSONAS
from tests.factories import PASSWORD, PersonFactory, make_document

BODY = "# Purpose\n\nKeep every controlled document under control."
ALLOWED_TO_CHANGE = {"quality_manager", "top_manager", "process_owner"}


# -- helpers ---------------------------------------------------------------------------------
def detail(document) -> str:
    return f"/documents/documents/{document.reference}/"


def do(document, code: str) -> str:
    return f"/documents/documents/{document.reference}/do/{code}/"


def draft_page(document) -> str:
    return f"/documents/documents/{document.reference}/draft/"


def today() -> datetime.date:
    return timezone.localdate()


def write(person, document, body=BODY, **fields):
    """Start the next revision and give it content."""
    StartRevision(person, document).execute()
    EditDraft(person, document, data={"body": body, **fields}).execute()


def submit(person, document):
    return SubmitRevision(person, document).execute()


def review(person, document, **kwargs):
    data = {"password": kwargs.pop("password", PASSWORD)}
    return ReviewRevision(person, document, data=data, reason="Fit for use", **kwargs).execute()


def approve(person, document, **kwargs):
    data = {"password": kwargs.pop("password", PASSWORD)}
    return ApproveRevision(person, document, data=data, reason="Approved", **kwargs).execute()


def request_changes(person, document, reason="Section 3 is unclear", **kwargs):
    data = {"password": kwargs.pop("password", PASSWORD)}
    return RequestChanges(person, document, data=data, reason=reason, **kwargs).execute()


def run_job(day: datetime.date) -> int:
    """The periodic job as the worker runs it: as a named process, on `day`."""
    with acting_as(name="norma worker: documents.effective"):
        return make_due_revisions_effective(today=day)


def revision(document, label="A") -> Revision:
    return document.revisions.get(label=label)


def log(document, action=None):
    entries = ChangeLogEntry.objects.filter(
        object_type="documents.document", object_id=str(document.pk)
    )
    return entries.filter(action=action) if action else entries


def state(document) -> dict:
    """Everything a refused action must leave as it was."""
    document.refresh_from_db()
    return {
        "document": (document.status, document.version, document.due_date),
        "revisions": list(
            document.revisions.values_list(
                "label", "status", "body", "change_summary", "version", "review_round"
            )
        ),
        "decisions": RevisionDecision.objects.filter(revision__document=document).count(),
        "signatures": Signature.objects.count(),
        "log": log(document).count(),
    }


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def person_with(*roles, name="Extra Person"):
    return PersonFactory(full_name=name, roles=list(roles))


# -- fixtures --------------------------------------------------------------------------------
@pytest.fixture
def document(quality_manager):
    return make_document(quality_manager, title="Control of documented information")


@pytest.fixture
def draft(document, top_manager):
    write(top_manager, document)
    return document


@pytest.fixture
def in_review(draft, top_manager):
    submit(top_manager, draft)
    return draft


@pytest.fixture
def effective(in_review, process_owner, quality_manager):
    review(process_owner, in_review)
    approve(quality_manager, in_review)
    in_review.refresh_from_db()
    return in_review


def take_effective(document, author, reviewer, approver, body, summary, **fields):
    """Run one more revision of `document` through to approval."""
    write(author, document, body=body, change_summary=summary, **fields)
    submit(author, document)
    review(reviewer, document)
    approve(approver, document)
    document.refresh_from_db()


# -- the lifecycle ---------------------------------------------------------------------------
@pytest.mark.parametrize("effective_date", [None, "today"])
def test_draft_is_reviewed_approved_and_takes_effect_at_once(
    effective_date, document, top_manager, process_owner, quality_manager
):
    day = today() if effective_date == "today" else None
    write(top_manager, document, effective_date=day)
    assert revision(document).status == Revision.Status.DRAFT

    submit(top_manager, document)
    assert revision(document).status == Revision.Status.IN_REVIEW
    assert current_step(revision(document)) == Step.REVIEW

    review(process_owner, document)
    assert revision(document).status == Revision.Status.IN_REVIEW
    assert current_step(revision(document)) == Step.APPROVAL

    approve(quality_manager, document)
    rev = revision(document)
    document.refresh_from_db()
    assert rev.status == Revision.Status.EFFECTIVE
    assert rev.effective_date == today()
    assert rev.approved_at is not None
    assert document.status == Document.Status.EFFECTIVE
    assert document.due_date == add_months(today(), 24)  # a procedure: reviewed every 24 months


def test_document_is_not_effective_while_its_first_revision_is_in_review(in_review):
    in_review.refresh_from_db()
    assert in_review.status == Document.Status.DRAFT
    assert in_review.due_date is None


def test_review_period_of_the_document_overrides_the_types(
    quality_manager, top_manager, process_owner
):
    document = make_document(quality_manager, title="Calibration", review_months=6)
    take_effective(document, top_manager, process_owner, quality_manager, BODY, "")
    assert document.due_date == add_months(today(), 6)


def test_a_later_effective_date_leaves_the_revision_approved(
    draft, top_manager, process_owner, quality_manager
):
    later = today() + datetime.timedelta(days=10)
    EditDraft(top_manager, draft, data={"effective_date": later}).execute()
    submit(top_manager, draft)
    review(process_owner, draft)
    approve(quality_manager, draft)

    rev = revision(draft)
    draft.refresh_from_db()
    assert rev.status == Revision.Status.APPROVED
    assert rev.effective_date == later
    assert draft.status == Document.Status.DRAFT
    assert draft.due_date is None


def test_the_job_puts_an_approved_revision_in_force_on_its_date_and_supersedes_the_old_one(
    effective, top_manager, process_owner, quality_manager
):
    later = today() + datetime.timedelta(days=10)
    take_effective(
        effective,
        top_manager,
        process_owner,
        quality_manager,
        BODY + "\n\nMore.",
        "Scope widened",
        effective_date=later,
    )
    assert revision(effective, "B").status == Revision.Status.APPROVED

    assert run_job(later - datetime.timedelta(days=1)) == 0
    assert revision(effective, "A").status == Revision.Status.EFFECTIVE
    assert revision(effective, "B").status == Revision.Status.APPROVED

    assert run_job(later) == 1

    effective.refresh_from_db()
    old, new = revision(effective, "A"), revision(effective, "B")
    assert old.status == Revision.Status.SUPERSEDED
    assert old.superseded_at is not None
    assert new.status == Revision.Status.EFFECTIVE
    assert new.effective_date == later
    assert effective.revisions.filter(status=Revision.Status.EFFECTIVE).count() == 1
    assert effective.status == Document.Status.EFFECTIVE
    assert effective.due_date == add_months(later, 24)
    entry = log(effective, "effective").get()
    assert entry.before["revision"]["status"] == "approved"
    assert entry.after["revision"]["status"] == "effective"
    assert run_job(later) == 0, "a second run finds nothing to do"


def test_a_job_that_runs_late_still_counts_the_review_period_from_the_effective_date(
    draft, top_manager, process_owner, quality_manager
):
    later = today() + datetime.timedelta(days=10)
    EditDraft(top_manager, draft, data={"effective_date": later}).execute()
    submit(top_manager, draft)
    review(process_owner, draft)
    approve(quality_manager, draft)

    run_job(later + datetime.timedelta(days=3))

    draft.refresh_from_db()
    assert revision(draft).effective_date == later
    assert draft.due_date == add_months(later, 24)


def test_an_immediate_second_revision_supersedes_the_first(
    effective, top_manager, process_owner, quality_manager
):
    take_effective(effective, top_manager, process_owner, quality_manager, "New text", "Rewritten")
    statuses = dict(effective.revisions.values_list("label", "status"))
    assert statuses == {"A": Revision.Status.SUPERSEDED, "B": Revision.Status.EFFECTIVE}


def test_a_new_revision_starts_from_the_text_in_force_which_stays_in_force(
    effective, process_owner
):
    StartRevision(process_owner, effective).execute()
    new = revision(effective, "B")
    assert (new.status, new.body, new.author) == (Revision.Status.DRAFT, BODY, process_owner)
    assert revision(effective, "A").status == Revision.Status.EFFECTIVE
    effective.refresh_from_db()
    assert effective.status == Document.Status.EFFECTIVE


def test_a_form_without_a_reviewer_goes_straight_to_approval(quality_manager, top_manager):
    form = make_document(quality_manager, title="Training record", document_type="form")
    write(top_manager, form)
    submit(top_manager, form)
    assert current_step(revision(form, "1")) == Step.APPROVAL
    approve(quality_manager, form)
    assert revision(form, "1").status == Revision.Status.EFFECTIVE


# -- request changes ---------------------------------------------------------------------------
def test_request_changes_sends_the_revision_back_to_draft_keeping_the_comment(
    in_review, process_owner
):
    request_changes(process_owner, in_review, reason="Say who keeps the master list")

    rev = revision(in_review)
    assert rev.status == Revision.Status.DRAFT
    decision = rev.decisions.get()
    assert (decision.step, decision.outcome) == (Step.REVIEW, Outcome.REQUEST_CHANGES)
    assert decision.comment == "Say who keeps the master list"
    assert decision.person == process_owner
    assert decision.signature.meaning == SignatureMeaning.REVIEWED
    assert log(in_review, "request_changes").get().reason == "Say who keeps the master list"


def test_request_changes_needs_a_reason(in_review, process_owner):
    before = state(in_review)
    with pytest.raises(InvalidInput) as refused:
        request_changes(process_owner, in_review, reason="  ")
    assert "reason" in refused.value.errors
    assert state(in_review) == before


def test_request_changes_with_a_wrong_password_records_nothing(in_review, process_owner):
    before = state(in_review)
    with pytest.raises(InvalidInput) as refused:
        request_changes(process_owner, in_review, password="wrong-password")
    assert "password" in refused.value.errors
    assert state(in_review) == before
    assert revision(in_review).status == Revision.Status.IN_REVIEW


def test_a_second_submission_is_a_new_round_where_earlier_reviews_no_longer_count(
    in_review, top_manager, process_owner, quality_manager
):
    review(process_owner, in_review)
    request_changes(quality_manager, in_review, reason="Add the retention table")
    EditDraft(top_manager, in_review, data={"body": BODY + "\n\n| Record | Years |"}).execute()
    submit(top_manager, in_review)

    rev = revision(in_review)
    assert rev.review_round == 2
    assert current_step(rev) == Step.REVIEW, "the round-1 review does not count in round 2"
    with pytest.raises(ActionRefused):
        approve(quality_manager, in_review)

    review(process_owner, in_review)  # the same reviewer may sign again in the new round
    approve(quality_manager, in_review)
    rev = revision(in_review)
    assert rev.status == Revision.Status.EFFECTIVE
    rounds = list(rev.decisions.values_list("review_round", "step", "outcome"))
    assert rounds == [
        (1, Step.REVIEW, Outcome.APPROVE),
        (1, Step.APPROVAL, Outcome.REQUEST_CHANGES),
        (2, Step.REVIEW, Outcome.APPROVE),
        (2, Step.APPROVAL, Outcome.APPROVE),
    ]


# -- who may sign ----------------------------------------------------------------------------
def test_author_cannot_review_own_revision(document, process_owner):
    write(process_owner, document)
    submit(process_owner, document)
    before = state(document)

    with pytest.raises(NotPermitted, match="your own work"):
        review(process_owner, document)

    assert state(document) == before
    assert not signatures_for(revision(document)).exists()


def test_author_cannot_approve_own_revision(document, quality_manager, process_owner):
    write(quality_manager, document)
    submit(quality_manager, document)
    review(process_owner, document)
    before = state(document)

    with pytest.raises(NotPermitted, match="your own work"):
        approve(quality_manager, document)

    assert state(document) == before
    assert revision(document).status == Revision.Status.IN_REVIEW


def test_contributor_who_edited_the_draft_cannot_approve_it(
    draft, top_manager, process_owner, quality_manager
):
    EditDraft(quality_manager, draft, data={"change_summary": "Typo"}).execute()
    submit(top_manager, draft)
    review(process_owner, draft)
    before = state(draft)

    with pytest.raises(NotPermitted):
        approve(quality_manager, draft)

    assert state(draft) == before


def test_one_person_cannot_fill_the_review_and_the_approval_slot(in_review, quality_manager):
    both = person_with(RoleCode.PROCESS_OWNER, RoleCode.QUALITY_MANAGER, name="Bo Both")
    review(both, in_review)
    before = state(in_review)

    with pytest.raises(NotPermitted, match="already signed"):
        approve(both, in_review)

    assert state(in_review) == before
    approve(quality_manager, in_review)
    assert revision(in_review).status == Revision.Status.EFFECTIVE


def test_a_person_without_the_approve_right_cannot_approve(
    quality_manager, top_manager, process_owner, internal_auditor
):
    # A type set up (in the admin) with a role that lacks the approve right as approver.
    kind = DocumentType.objects.create(
        code="audit-note",
        name="Audit note",
        number_prefix="AN",
        reviewer_role=RoleCode.PROCESS_OWNER,
        approver_role=RoleCode.INTERNAL_AUDITOR,
    )
    document = make_document(quality_manager, title="Audits", document_type=kind)
    write(top_manager, document)
    submit(top_manager, document)
    review(process_owner, document)
    before = state(document)

    with pytest.raises(NotPermitted, match="right to approve"):
        approve(internal_auditor, document)

    assert state(document) == before


def test_approval_with_a_wrong_password_records_nothing(in_review, process_owner, quality_manager):
    review(process_owner, in_review)
    before = state(in_review)

    with pytest.raises(InvalidInput) as refused:
        approve(quality_manager, in_review, password="not-my-password")

    assert "password" in refused.value.errors
    assert state(in_review) == before
    assert revision(in_review).status == Revision.Status.IN_REVIEW


def test_approval_is_refused_while_the_review_step_is_open(in_review, quality_manager):
    before = state(in_review)
    with pytest.raises(ActionRefused, match="approval step"):
        approve(quality_manager, in_review)
    assert state(in_review) == before


def test_named_reviewers_replace_the_types_reviewer_role(
    quality_manager, top_manager, process_owner, internal_auditor
):
    document = make_document(quality_manager, title="Audits", reviewers=[internal_auditor])
    write(top_manager, document)
    submit(top_manager, document)

    with pytest.raises(NotPermitted, match="not one of the people"):
        review(process_owner, document)

    review(internal_auditor, document)
    assert current_step(revision(document)) == Step.APPROVAL


def test_every_named_approver_must_sign_and_the_types_role_no_longer_may(
    quality_manager, top_manager, process_owner
):
    first = person_with(RoleCode.QUALITY_MANAGER, name="Fay First")
    second = person_with(RoleCode.QUALITY_MANAGER, name="Sid Second")
    document = make_document(quality_manager, title="Policy", approvers=[first, second])
    write(top_manager, document)
    submit(top_manager, document)
    review(process_owner, document)

    with pytest.raises(NotPermitted):
        approve(quality_manager, document)
    approve(first, document)
    assert revision(document).status == Revision.Status.IN_REVIEW
    approve(second, document)
    assert revision(document).status == Revision.Status.EFFECTIVE


def test_a_named_approver_must_hold_the_types_approver_role(quality_manager, process_owner):
    with pytest.raises(InvalidInput) as refused:
        make_document(quality_manager, title="Purchasing", approvers=[process_owner])
    assert "approvers" in refused.value.errors
    assert not Document.objects.filter(title="Purchasing").exists()


def test_signers_are_fixed_when_the_revision_is_submitted(
    in_review, quality_manager, process_owner
):
    # Naming another reviewer mid-review does not change who signs this round.
    other = person_with(RoleCode.PROCESS_OWNER, name="Olly Other")
    UpdateRecord(
        quality_manager, in_review, data={"reviewers": [other]}, expected_version=None
    ).execute()
    assert current_step(revision(in_review)) == Step.REVIEW
    review(process_owner, in_review)
    assert current_step(revision(in_review)) == Step.APPROVAL


# -- what can be edited ----------------------------------------------------------------------
def test_an_approved_revision_is_never_edited(draft, top_manager, process_owner, quality_manager):
    EditDraft(
        top_manager, draft, data={"effective_date": today() + datetime.timedelta(days=5)}
    ).execute()
    submit(top_manager, draft)
    review(process_owner, draft)
    approve(quality_manager, draft)
    before = state(draft)

    with pytest.raises(ActionRefused, match="cannot be edited"):
        EditDraft(top_manager, draft, data={"body": "Changed after approval"}).execute()

    assert state(draft) == before


def test_a_revision_in_review_is_not_edited(in_review, top_manager):
    before = state(in_review)
    with pytest.raises(ActionRefused, match="in review"):
        EditDraft(top_manager, in_review, data={"body": "Sneaky change"}).execute()
    assert state(in_review) == before


def test_an_effective_revision_is_not_edited_a_new_revision_must_be_started(effective, top_manager):
    before = state(effective)
    with pytest.raises(ActionRefused, match="start a new revision"):
        EditDraft(top_manager, effective, data={"body": "Changed in force"}).execute()
    assert state(effective) == before
    assert revision(effective).body == BODY


def test_draft_page_of_an_approved_revision_redirects_with_a_message(
    client_for, draft, top_manager, process_owner, quality_manager
):
    EditDraft(
        top_manager, draft, data={"effective_date": today() + datetime.timedelta(days=5)}
    ).execute()
    submit(top_manager, draft)
    review(process_owner, draft)
    approve(quality_manager, draft)

    response = client_for(top_manager).get(draft_page(draft))

    assert response.status_code == 302
    assert response["Location"] == detail(draft)
    assert "cannot be edited" in messages_of(response)


def test_draft_page_of_an_effective_document_asks_for_a_new_revision(
    client_for, effective, top_manager
):
    client = client_for(top_manager)
    response = client.post(
        draft_page(effective), {"version": effective.version, "body": "Changed in force"}
    )
    assert response.status_code == 302
    assert "start a new revision" in messages_of(response)
    assert revision(effective).body == BODY


def test_draft_page_saves_the_draft(client_for, draft, process_owner):
    draft.refresh_from_db()
    client = client_for(process_owner)
    assert client.get(draft_page(draft)).status_code == 200

    response = client.post(
        draft_page(draft),
        {"version": draft.version, "body": "# New text", "change_summary": "First issue"},
    )

    assert response.status_code == 302
    rev = revision(draft)
    assert (rev.body, rev.change_summary) == ("# New text", "First issue")
    assert rev.contributors.filter(pk=process_owner.pk).exists()


def test_starting_a_revision_is_refused_while_one_is_open(draft, quality_manager):
    before = state(draft)
    with pytest.raises(ActionRefused, match="already draft"):
        StartRevision(quality_manager, draft).execute()
    assert state(draft) == before


def test_a_final_record_is_never_revised(quality_manager, top_manager):
    record = make_document(quality_manager, title="Calibration record", document_type="record")
    write(top_manager, record)
    submit(top_manager, record)
    approve(quality_manager, record)
    record.refresh_from_db()
    assert record.status == Document.Status.EFFECTIVE
    assert record.due_date is None, "a record has no periodic review"
    assert record.retained_from == today()
    before = state(record)

    with pytest.raises(ActionRefused, match="never revised"):
        StartRevision(quality_manager, record).execute()

    assert state(record) == before


# -- stale edits -----------------------------------------------------------------------------
def test_an_edit_from_an_old_version_is_refused_and_changes_nothing(draft, top_manager):
    draft.refresh_from_db()
    opened = draft.version
    EditDraft(top_manager, draft, data={"body": "Saved first"}, expected_version=opened).execute()
    before = state(draft)

    with pytest.raises(StaleEdit, match="Tess Top"):
        EditDraft(
            top_manager, draft, data={"body": "Saved second"}, expected_version=opened
        ).execute()

    assert state(draft) == before
    assert revision(draft).body == "Saved first"


def test_draft_page_with_an_old_version_shows_the_conflict(client_for, draft, top_manager):
    draft.refresh_from_db()
    opened = draft.version
    EditDraft(top_manager, draft, data={"body": "Saved first"}).execute()

    response = client_for(top_manager).post(
        draft_page(draft), {"version": opened, "body": "Saved second"}
    )

    assert response.status_code == 409
    assert revision(draft).body == "Saved first"


def test_two_reviewers_deciding_from_the_same_version_the_second_is_stale(
    quality_manager, top_manager
):
    first = person_with(RoleCode.PROCESS_OWNER, name="Rita Reviewer")
    second = person_with(RoleCode.PROCESS_OWNER, name="Ravi Reviewer")
    document = make_document(quality_manager, title="Purchasing", reviewers=[first, second])
    write(top_manager, document)
    submit(top_manager, document)
    document.refresh_from_db()
    seen = document.version

    review(first, document, expected_version=seen)
    before = state(document)
    with pytest.raises(StaleEdit):
        review(second, document, expected_version=seen)

    assert state(document) == before
    assert revision(document).decisions.get().person == first


# -- input checks ----------------------------------------------------------------------------
def test_an_effective_date_in_the_past_is_refused(draft, top_manager):
    before = state(draft)
    with pytest.raises(InvalidInput) as refused:
        EditDraft(
            top_manager, draft, data={"effective_date": today() - datetime.timedelta(days=1)}
        ).execute()
    assert list(refused.value.errors) == ["effective_date"]
    assert state(draft) == before


def test_draft_page_refuses_a_past_effective_date(client_for, draft, top_manager):
    draft.refresh_from_db()
    yesterday = today() - datetime.timedelta(days=1)
    response = client_for(top_manager).post(
        draft_page(draft),
        {"version": draft.version, "body": BODY, "effective_date": yesterday.isoformat()},
    )
    assert response.status_code == 422
    assert "effective_date" in response.context["form"].errors
    assert revision(draft).effective_date is None


def test_submitting_without_content_is_refused(document, top_manager):
    StartRevision(top_manager, document).execute()
    before = state(document)
    with pytest.raises(InvalidInput) as refused:
        submit(top_manager, document)
    assert "body" in refused.value.errors
    assert state(document) == before


def test_a_second_revision_needs_a_change_summary(effective, top_manager):
    StartRevision(top_manager, effective).execute()
    before = state(effective)
    with pytest.raises(InvalidInput) as refused:
        submit(top_manager, effective)
    assert list(refused.value.errors) == ["change_summary"]
    assert state(effective) == before

    EditDraft(top_manager, effective, data={"change_summary": "Clarified scope"}).execute()
    submit(top_manager, effective)
    assert revision(effective, "B").status == Revision.Status.IN_REVIEW


# -- discarding and withdrawing -------------------------------------------------------------
def test_a_draft_never_submitted_can_be_discarded(effective, top_manager):
    write(top_manager, effective, body="An idea", change_summary="Try")
    DiscardDraft(top_manager, effective).execute()
    assert list(effective.revisions.values_list("label", flat=True)) == ["A"]
    entry = log(effective, "discard").get()
    assert entry.before["revision"]["label"] == "B"
    assert revision(effective).status == Revision.Status.EFFECTIVE


def test_a_draft_sent_back_after_review_cannot_be_discarded(in_review, top_manager, process_owner):
    request_changes(process_owner, in_review)
    before = state(in_review)
    with pytest.raises(ActionRefused, match="never submitted"):
        DiscardDraft(top_manager, in_review).execute()
    assert state(in_review) == before


def test_making_obsolete_needs_a_reason(effective, quality_manager):
    before = state(effective)
    with pytest.raises(InvalidInput) as refused:
        ObsoleteDocument(quality_manager, effective).execute()
    assert "reason" in refused.value.errors
    assert state(effective) == before


def test_an_obsolete_document_keeps_every_revision_readable_and_marked(
    client_for, effective, top_manager, process_owner, quality_manager, employee
):
    take_effective(effective, top_manager, process_owner, quality_manager, "Text B", "Scope")
    write(top_manager, effective, body="Text C", change_summary="Never finished")

    ObsoleteDocument(quality_manager, effective, reason="Merged into QP-001").execute()

    effective.refresh_from_db()
    assert effective.status == Document.Status.OBSOLETE
    assert effective.due_date is None
    statuses = dict(effective.revisions.values_list("label", "status"))
    assert statuses["B"] == Revision.Status.OBSOLETE
    assert statuses["C"] == Revision.Status.WITHDRAWN  # still a draft: it was never in force
    assert not effective.revisions.filter(status__in=[*Revision.OPEN, "effective"]).exists()
    client = client_for(employee)
    for label, text in (("A", "Keep every controlled document"), ("B", "Text B")):
        page = client.get(f"{detail(effective)}revisions/{label}/")
        assert page.status_code == 200
        assert text in page.content.decode()
    # The withdrawn draft was never in force: only those who write documents read it.
    assert client.get(f"{detail(effective)}revisions/C/").status_code == 404
    withdrawn = client_for(quality_manager).get(f"{detail(effective)}revisions/C/")
    assert "Text C" in withdrawn.content.decode()
    assert log(effective, "obsolete").get().reason == "Merged into QP-001"


def test_an_obsolete_document_refuses_a_new_revision_and_edits(
    client_for, effective, quality_manager
):
    ObsoleteDocument(quality_manager, effective, reason="Withdrawn").execute()
    before = state(effective)

    with pytest.raises(ActionRefused, match="obsolete"):
        StartRevision(quality_manager, effective).execute()
    with pytest.raises(ActionRefused, match="obsolete"):
        EditDraft(quality_manager, effective, data={"body": "Revived"}).execute()
    response = client_for(quality_manager).get(draft_page(effective))

    assert response.status_code == 302
    assert "obsolete" in messages_of(response)
    assert state(effective) == before


def test_an_archived_document_refuses_a_new_revision_and_edits(draft, quality_manager):
    ArchiveRecord(quality_manager, draft, reason="Duplicate of QP-001").execute()
    before = state(draft)

    with pytest.raises(ActionRefused, match="archived"):
        EditDraft(quality_manager, draft, data={"body": "Still editing"}).execute()
    with pytest.raises(ActionRefused, match="archived"):
        submit(quality_manager, draft)

    assert state(draft) == before


def test_an_archived_document_refuses_discarding_its_draft(draft, quality_manager):
    ArchiveRecord(quality_manager, draft, reason="Duplicate of QP-001").execute()
    before = state(draft)

    with pytest.raises(ActionRefused, match="archived"):
        DiscardDraft(quality_manager, draft).execute()

    assert state(draft) == before


# -- change log and signatures ---------------------------------------------------------------
def test_each_step_writes_one_entry_on_the_document_with_the_revision_before_and_after(
    document, top_manager, process_owner, quality_manager
):
    write(top_manager, document)
    submit(top_manager, document)
    review(process_owner, document)
    approve(quality_manager, document)

    expected = {
        "revise": (None, "draft"),
        "edit_draft": ("draft", "draft"),
        "submit": ("draft", "in_review"),
        "review": ("in_review", "in_review"),
        "approve": ("in_review", "effective"),
    }
    for action, (before, after) in expected.items():
        entry = log(document, action).get()
        assert entry.object_type == "documents.document"
        assert (entry.before["revision"] or {}).get("status") == before, action
        assert entry.after["revision"]["status"] == after, action
    edit = log(document, "edit_draft").get()
    assert (edit.before["revision"]["body"], edit.after["revision"]["body"]) == ("", BODY)
    approval = log(document, "approve").get()
    assert approval.actor_name == "Quinn Quality"
    assert (approval.before["status"], approval.after["status"]) == ("draft", "effective")
    assert log(document).count() == 1 + len(expected)  # plus "create"


def test_signatures_on_the_revision_carry_meaning_and_a_hash_of_its_content(
    effective, process_owner, quality_manager
):
    rev = revision(effective)
    signed = list(signatures_for(rev))
    assert [(s.signer, s.meaning) for s in signed] == [
        (process_owner, SignatureMeaning.REVIEWED),
        (quality_manager, SignatureMeaning.APPROVED),
    ]
    assert all(s.content_hash == content_hash(rev) for s in signed)
    assert all(signature_holds(s, rev) for s in signed)
    assert {d.signature for d in rev.decisions.all()} == set(signed)


def test_editing_the_content_after_signing_flags_the_signature(
    client_for, in_review, top_manager, process_owner, quality_manager
):
    review(process_owner, in_review)
    request_changes(quality_manager, in_review)
    signed = signatures_for(revision(in_review)).first()
    assert signature_holds(signed, revision(in_review))

    EditDraft(top_manager, in_review, data={"body": BODY + "\n\nChanged."}).execute()

    assert not signature_holds(signed, revision(in_review))
    page = client_for(quality_manager).get(detail(in_review)).content.decode()
    assert "(content changed since)" in page


# -- through the web pages -------------------------------------------------------------------
def test_the_whole_lifecycle_through_the_web_pages(
    client_for, document, top_manager, process_owner, quality_manager
):
    author = client_for(top_manager)
    document.refresh_from_db()
    assert author.post(do(document, "revise"), {"version": document.version}).status_code == 302
    document.refresh_from_db()
    author.post(draft_page(document), {"version": document.version, "body": BODY})
    document.refresh_from_db()
    author.post(do(document, "submit"), {"version": document.version})
    document.refresh_from_db()
    client_for(process_owner).post(
        do(document, "review"),
        {"version": document.version, "password": PASSWORD, "reason": "Clear"},
    )
    document.refresh_from_db()
    response = client_for(quality_manager).post(
        do(document, "approve"),
        {"version": document.version, "password": PASSWORD, "reason": "Go"},
    )

    assert response.status_code == 302
    assert response["Location"] == detail(document)
    rev = revision(document)
    assert (rev.status, rev.body) == (Revision.Status.EFFECTIVE, BODY)
    assert [d.person for d in rev.decisions.all()] == [process_owner, quality_manager]


def test_approving_on_the_web_with_a_wrong_password_signs_nothing(
    client_for, in_review, process_owner, quality_manager
):
    review(process_owner, in_review)
    before = state(in_review)
    response = client_for(quality_manager).post(
        do(in_review, "approve"), {"password": "not-my-password", "reason": "Go"}
    )
    assert response.status_code == 302
    assert "The password is not correct." in messages_of(response)
    assert state(in_review) == before


def test_the_author_is_refused_on_the_web_approve_route(client_for, document, quality_manager):
    write(quality_manager, document)
    submit(quality_manager, document)
    review(person_with(RoleCode.PROCESS_OWNER, name="Pat Reviewer"), document)
    before = state(document)
    response = client_for(quality_manager).post(
        do(document, "approve"), {"password": PASSWORD, "reason": "Mine"}
    )
    assert "You cannot approve your own work" in messages_of(response)
    assert state(document) == before


# -- who may do what: every persona through the web action route ---------------------------
def outcome(response, changed: bool) -> str:
    if response.status_code == 403:
        return "forbidden"
    assert response.status_code == 302, response.status_code
    return "done" if changed else "refused"


def expected_for(persona_name: str, allowed: set[str]) -> str:
    if persona_name == "nobody":
        return "forbidden"
    return "done" if persona_name in allowed else "refused"


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_who_may_start_a_revision(request, client_for, persona, document):
    document.refresh_from_db()
    response = client_for(persona).post(do(document, "revise"), {"version": document.version})
    changed = document.revisions.exists()
    assert outcome(response, changed) == expected_for(
        request.node.callspec.params["persona"], ALLOWED_TO_CHANGE
    )


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_who_may_edit_the_draft(request, client_for, persona, draft):
    draft.refresh_from_db()
    response = client_for(persona).post(
        draft_page(draft), {"version": draft.version, "body": "Edited on the web"}
    )
    changed = revision(draft).body == "Edited on the web"
    expected = (
        "done" if request.node.callspec.params["persona"] in ALLOWED_TO_CHANGE else "forbidden"
    )
    assert outcome(response, changed) == expected


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_who_may_submit_for_review(request, client_for, persona, draft):
    draft.refresh_from_db()
    response = client_for(persona).post(do(draft, "submit"), {"version": draft.version})
    changed = revision(draft).status == Revision.Status.IN_REVIEW
    assert outcome(response, changed) == expected_for(
        request.node.callspec.params["persona"], ALLOWED_TO_CHANGE
    )


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_who_may_approve(request, client_for, persona, quality_manager):
    # Neither the writer nor the reviewer is one of the personas, so only rights and slots count.
    writer = person_with(RoleCode.TOP_MANAGEMENT, name="Wren Writer")
    document = make_document(quality_manager, title="Purchasing")
    write(writer, document)
    submit(writer, document)
    review(person_with(RoleCode.PROCESS_OWNER, name="Pat Reviewer"), document)
    document.refresh_from_db()

    response = client_for(persona).post(
        do(document, "approve"),
        {"version": document.version, "password": PASSWORD, "reason": "Approved"},
    )

    changed = revision(document).status == Revision.Status.EFFECTIVE
    assert outcome(response, changed) == expected_for(
        request.node.callspec.params["persona"], {"quality_manager"}
    )


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_who_may_make_a_document_obsolete(request, client_for, persona, effective):
    response = client_for(persona).post(
        do(effective, "obsolete"), {"version": effective.version, "reason": "Withdrawn"}
    )
    effective.refresh_from_db()
    changed = effective.status == Document.Status.OBSOLETE
    allowed = {"quality_manager", "top_manager"}
    assert outcome(response, changed) == expected_for(
        request.node.callspec.params["persona"], allowed
    )


# -- what the detail page offers -------------------------------------------------------------
def test_an_employee_who_is_not_a_signer_sees_no_approve_button(
    client_for, in_review, process_owner, quality_manager, employee
):
    review(process_owner, in_review)
    approve_form = f'action="{do(in_review, "approve")}"'
    assert approve_form in client_for(quality_manager).get(detail(in_review)).content.decode()

    page = client_for(employee).get(detail(in_review)).content.decode()

    assert approve_form not in page
    assert 'name="password"' not in page


def test_a_reviewer_is_offered_request_changes_on_the_detail_page(
    client_for, in_review, process_owner
):
    page = client_for(process_owner).get(detail(in_review)).content.decode()
    assert f'action="{do(in_review, "review")}"' in page
    assert f'action="{do(in_review, "request_changes")}"' in page


def test_the_quality_manager_is_offered_make_obsolete_on_the_detail_page(
    client_for, effective, quality_manager
):
    page = client_for(quality_manager).get(detail(effective)).content.decode()
    assert f'action="{do(effective, "obsolete")}"' in page
