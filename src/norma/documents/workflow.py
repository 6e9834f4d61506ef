"""Who must sign a revision, and what happens when one becomes effective.

A revision in review needs every *slot* filled: each named reviewer (or, with none named, one
holder of the type's reviewer role), then each named approver (or one holder of the approver
role). A person fills at most one slot per round and never one on a revision they wrote.
"""

import html
from dataclasses import dataclass

from django.dispatch import Signal
from django.utils import timezone
from django.utils.html import strip_tags

from norma.core.models import RoleCode
from norma.core.signatures import content_hash
from norma.documents.content import render_markdown
from norma.documents.models import (
    Document,
    DocumentText,
    Outcome,
    Revision,
    RevisionDecision,
    Step,
    add_months,
)

# Sent inside the transaction that puts a revision in force, with `document` and `revision`
# (the people app re-assigns the courses built on the document).
revision_took_effect = Signal()


@dataclass(frozen=True)
class Slot:
    step: str
    key: str  # "person:<id>" or "role:<code>"
    label: str

    def fits(self, person) -> bool:
        kind, value = self.key.split(":", 1)
        if kind == "person":
            return str(person.pk) == value
        return person.has_role(value)


def slots(document: Document, step: str) -> list[Slot]:
    named = document.reviewers.all() if step == Step.REVIEW else document.approvers.all()
    people = [Slot(step, f"person:{p.pk}", p.full_name) for p in named]
    if people:
        return people
    doc_type = document.document_type
    role = doc_type.reviewer_role if step == Step.REVIEW else doc_type.approver_role
    if not role:
        return []
    return [Slot(step, f"role:{role}", f"any {RoleCode(role).label.lower()}")]


def round_decisions(revision: Revision) -> list[RevisionDecision]:
    return [
        d
        for d in revision.decisions.all()
        if d.review_round == revision.review_round and d.step != Step.PERIODIC
    ]


def fixed_slots(document: Document) -> list[list[str]]:
    """The signers a submitted revision needs, kept on it so later edits of the document's
    reviewers, approvers or type do not change who signs this round."""
    steps = (Step.REVIEW, Step.APPROVAL)
    return [[s.step, s.key, s.label] for step in steps for s in slots(document, step)]


def pending_slots(revision: Revision, step: str) -> list[Slot]:
    filled = {d.slot for d in round_decisions(revision) if d.outcome == Outcome.APPROVE}
    needed = [Slot(*signer) for signer in revision.signers if signer[0] == step]
    return [s for s in needed if s.key not in filled]


def current_step(revision: Revision) -> str | None:
    """Review first, then approval; None once every slot is filled."""
    if revision.status != Revision.Status.IN_REVIEW:
        return None
    if pending_slots(revision, Step.REVIEW):
        return Step.REVIEW
    if pending_slots(revision, Step.APPROVAL):
        return Step.APPROVAL
    return None


def slot_for(person, revision: Revision, step: str) -> Slot | None:
    """The slot this person may fill now, or None."""
    return next((s for s in pending_slots(revision, step) if s.fits(person)), None)


def signed_this_round(person, revision: Revision) -> bool:
    return any(d.person_id == person.pk for d in round_decisions(revision))


def is_contributor(person, revision: Revision) -> bool:
    return revision.author_id == person.pk or revision.contributors.filter(pk=person.pk).exists()


def approved_independently(revision: Revision) -> bool:
    """7.5.2: nobody who wrote any part of the revision approved it (kept on the revision so
    the readiness check counts it from an index)."""
    writers = {revision.author_id, *revision.contributors.values_list("pk", flat=True)}
    approvers = {
        d.person_id
        for d in round_decisions(revision)
        if d.step == Step.APPROVAL and d.outcome == Outcome.APPROVE
    }
    return bool(approvers) and not approvers & writers


def next_review(document: Document, from_day):
    months = document.period_months
    return add_months(from_day, months) if months else None


def may_read_revision(person, revision: Revision) -> bool:
    """A revision that was in force is for every reader of the document; work in progress (a
    draft, one in review or approved, or withdrawn) only for those who write or approve
    documents, or who are asked to sign it."""
    if revision.status not in (*Revision.OPEN, Revision.Status.WITHDRAWN):
        return True
    if person.has_perm("documents.change_document") or person.has_perm(
        "documents.approve_document"
    ):
        return True
    return any(Slot(*signer).fits(person) for signer in revision.signers)


def decisions_with_status(revision: Revision) -> list[tuple[RevisionDecision, bool]]:
    """Each signed decision and whether its signature still matches the revision's content."""
    current = content_hash(revision)
    return [(d, d.signature.content_hash == current) for d in revision.decisions.all()]


def make_effective(document: Document, revision: Revision, today=None) -> Revision | None:
    """Put an approved revision in force: the one before it is superseded, the review clock
    starts, a record starts its retention, and search finds the new text.

    Returns the revision it superseded. The caller saves `document` and logs the change.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    previous = document.revisions.filter(status=Revision.Status.EFFECTIVE).first()
    if previous is not None:
        previous.status = Revision.Status.SUPERSEDED
        previous.superseded_at = now
        previous.save(update_fields=["status", "superseded_at"])
    revision.status = Revision.Status.EFFECTIVE
    revision.effective_date = min(revision.effective_date or today, today)
    revision.save(update_fields=["status", "effective_date"])
    document.status = Document.Status.EFFECTIVE
    is_record = document.document_type.is_record
    document.due_date = None if is_record else next_review(document, revision.effective_date)
    if document.document_type.is_record:
        document.retained_from = revision.effective_date
    index_document(document, revision)
    revision_took_effect.send(sender=Document, document=document, revision=revision)
    return previous


def index_document(document: Document, revision: Revision | None = None):
    """Keep the search text in step: the title, and the text of the revision in force."""
    if revision is None:
        revision = (
            document.revisions.filter(
                status__in=[Revision.Status.EFFECTIVE, Revision.Status.OBSOLETE]
            )
            .order_by("-number")
            .first()
        )
    body = ""
    if revision is not None:
        text = html.unescape(strip_tags(render_markdown(revision.body)))  # words, not markup
        body = "\n".join(part for part in (text, revision.extracted_text) if part)
        body = body.replace("\ue000", "").replace("\ue001", "")  # the search's highlight marks
    DocumentText.objects.update_or_create(
        document=document,
        defaults={
            "title": f"{document.reference} {document.title}"[:300],
            "body": body,
            "obsolete": document.status in (Document.Status.OBSOLETE, Document.Status.DISPOSED),
        },
    )
