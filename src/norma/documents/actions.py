"""State changes of controlled documents (7.5.2, 7.5.3).

Every action works on the document as a whole: the document row is locked, its version checked
(the ETag of the document covers its revisions), and the change logged against it, so the
document's history tells the story of every revision.
"""

import datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from norma.core.actions import Action, ActionRefused, InvalidInput, NotFound, NotPermitted
from norma.core.changelog import snapshot
from norma.core.duties import refuse_duty
from norma.core.models import Department, Person, RoleCode, SignatureMeaning
from norma.core.signatures import add_signature, confirm_identity
from norma.documents import workflow
from norma.documents.content import check_document_file
from norma.documents.models import (
    Acknowledgement,
    Disposal,
    Distribution,
    Document,
    DocumentText,
    Outcome,
    Revision,
    RevisionDecision,
    Step,
)
from norma.documents.recipients import is_recipient

CLOSED = (Document.Status.OBSOLETE, Document.Status.DISPOSED)


class DocumentAction(Action):
    """Base for actions on a document and its revisions."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.revision = None
        self.revision_before = None
        self.distribution_change = None  # (entry before, entry after) for the log

    def open_revision(self) -> Revision | None:
        return self.obj.revisions.filter(status__in=Revision.OPEN).first()

    def effective_revision(self) -> Revision | None:
        return self.obj.revisions.filter(status=Revision.Status.EFFECTIVE).first()

    def require_open_document(self):
        if self.obj.status in CLOSED:
            raise ActionRefused(f"{self.obj.reference} is {self.obj.get_status_display().lower()}.")
        if self.obj.is_archived:
            raise ActionRefused(f"{self.obj.reference} is archived.")

    def touch(self, revision: Revision | None = None):
        """Note the revision this action changes (for the log) before changing it."""
        if revision is not None and self.revision_before is None:
            self.revision = revision
            self.revision_before = snapshot(revision)

    def sign(self, target, meaning: str):
        confirm_identity(self.actor, self.data.get("password", ""), self.data.get("otp_token", ""))
        return add_signature(target, self.actor, meaning, self.reason)

    def logged_values(self, before):
        after = snapshot(self.obj)
        if self.distribution_change is not None:
            before = {**(before or {}), "distribution": self.distribution_change[0]}
            after["distribution"] = self.distribution_change[1]
        if self.revision is not None:
            before = {**(before or {}), "revision": self.revision_before}
            after["revision"] = snapshot(self.revision) if self.revision.pk else None
        return before, after


class StartRevision(DocumentAction):
    """Open the next revision as a draft; the revision in force stays in force meanwhile."""

    code = "revise"
    label = "Start a new revision"
    permission = "documents.change_document"

    def check_rules(self):
        self.require_open_document()
        if current := self.open_revision():
            raise ActionRefused(
                f"Revision {current.label} is already {current.get_status_display().lower()}."
            )
        if self.obj.document_type.is_record and self.effective_revision():
            raise ActionRefused(f"{self.obj.reference} is a final record: it is never revised.")

    def apply(self):
        latest = self.obj.revisions.order_by("-number").first()
        number = latest.number + 1 if latest else 1
        revision = Revision.objects.create(
            document=self.obj,
            number=number,
            label=self.obj.document_type.revision_label(number),
            body=latest.body if latest else "",
            author=self.actor,
        )
        revision.contributors.add(self.actor)
        self.revision, self.revision_before = revision, None
        self.save(self.obj)
        return revision


class EditDraft(DocumentAction):
    """Change the draft's content; approved and effective revisions are never edited."""

    code = "edit_draft"
    label = "Edit the draft"
    permission = "documents.change_document"
    offered = False
    FIELDS = ("body", "change_summary", "effective_date")

    def check_rules(self):
        self.require_open_document()
        draft = self.open_revision()
        if draft is None:
            raise ActionRefused("There is no draft: start a new revision to change the document.")
        if draft.status != Revision.Status.DRAFT:
            raise ActionRefused(
                f"Revision {draft.label} is {draft.get_status_display().lower()} and cannot be "
                "edited; request changes, or start a new revision once it is effective."
            )

    def apply(self):
        draft = self.open_revision()
        self.touch(draft)
        unknown = set(self.data) - {*self.FIELDS, "file", "remove_file"}
        if unknown:
            raise InvalidInput(
                "Some fields cannot be written.", {n: ["Unknown field."] for n in sorted(unknown)}
            )
        for name in self.FIELDS:
            if name in self.data:
                setattr(draft, name, self.data[name] if self.data[name] is not None else "")
        if draft.effective_date == "":
            draft.effective_date = None
        check_effective_date(draft.effective_date)
        if self.data.get("remove_file") or self.data.get("file"):
            delete_when_committed(draft.file)  # the file it replaces
        if self.data.get("remove_file"):
            draft.file, draft.file_name, draft.file_size = "", "", None
            draft.file_sha256, draft.extracted_text = "", ""
        if upload := self.data.get("file"):
            checked = check_document_file(upload)
            draft.file.save("upload", ContentFile(checked.data), save=False)
            draft.file_name, draft.file_size = checked.name, len(checked.data)
            draft.file_sha256, draft.extracted_text = checked.sha256, checked.text
        self.save(draft)
        draft.contributors.add(self.actor)
        self.save(self.obj)
        return draft

    def unvalidated_fields(self, obj):
        return ["file"] if isinstance(obj, Revision) else super().unvalidated_fields(obj)


def delete_when_committed(stored) -> int:
    """Remove a stored file once the change is committed, never before: a rolled-back
    disposal must not have destroyed anything. Returns 1 if there was a file."""
    if not stored:
        return 0
    storage, name = stored.storage, stored.name
    transaction.on_commit(lambda: storage.delete(name))
    return 1


def check_effective_date(day):
    if day is None:
        return
    if not isinstance(day, datetime.date):
        raise InvalidInput("Some fields are not valid.", {"effective_date": ["Enter a date."]})
    if day < timezone.localdate():
        raise InvalidInput(
            "A revision cannot take effect in the past.",
            {"effective_date": ["Choose today or a later date."]},
        )


class SubmitRevision(DocumentAction):
    """Send the draft to its reviewers and approvers."""

    code = "submit"
    label = "Submit for review"
    permission = "documents.change_document"

    def check_rules(self):
        self.require_open_document()
        draft = self.open_revision()
        if draft is None or draft.status != Revision.Status.DRAFT:
            raise ActionRefused("Only a draft can be submitted for review.")
        errors = {}
        if not draft.has_content:
            errors["body"] = ["Write the content or upload a file first."]
        if draft.number > 1 and not draft.change_summary.strip():
            errors["change_summary"] = ["Say what changed in this revision."]
        if errors:
            raise InvalidInput(f"Revision {draft.label} is not ready for review.", errors)

    def apply(self):
        draft = self.open_revision()
        self.touch(draft)
        draft.status = Revision.Status.IN_REVIEW
        draft.review_round += 1
        draft.submitted_at = timezone.now()
        draft.signers = workflow.fixed_slots(self.obj)
        draft.save(update_fields=["status", "review_round", "submitted_at", "signers"])
        draft.contributors.add(self.actor)
        self.save(self.obj)
        return draft


class DecideRevision(DocumentAction):
    """A signed decision on the revision in review, filling one review or approval slot."""

    needs_signature = True
    step: str
    meaning: str
    outcome = Outcome.APPROVE

    def check_rules(self):
        self.require_open_document()
        revision = self.open_revision()
        if revision is None or revision.status != Revision.Status.IN_REVIEW:
            raise ActionRefused("No revision is waiting for review or approval.")
        step = workflow.current_step(revision)
        if self.step and step != self.step:
            raise ActionRefused(f"Revision {revision.label} is not at the {self.step} step.")
        if workflow.is_contributor(self.actor, revision):
            refuse_duty("approve_own")  # whoever wrote any part of it
        if workflow.signed_this_round(self.actor, revision):
            raise NotPermitted(
                f"You have already signed revision {revision.label}: another person must sign."
            )
        if step is None:
            raise ActionRefused(f"Revision {revision.label} has every signature it needs.")
        if workflow.slot_for(self.actor, revision, step) is None:
            raise NotPermitted(f"You are not one of the people asked to sign the {step} step.")

    def apply(self):
        revision = self.open_revision()
        self.touch(revision)
        step = workflow.current_step(revision)
        slot = workflow.slot_for(self.actor, revision, step)
        signature = self.sign(revision, self.meaning)
        RevisionDecision.objects.create(
            revision=revision,
            review_round=revision.review_round,
            step=step,
            outcome=self.outcome,
            slot=slot.key,
            person=self.actor,
            person_name=self.actor.full_name,
            comment=self.reason,
            decided_at=signature.signed_at,
            signature=signature,
        )
        self.decided(revision)
        self.save(self.obj)
        return revision

    def decided(self, revision):
        """What the decision does to the revision once recorded."""


class ReviewRevision(DecideRevision):
    """A reviewer finds the revision suitable and adequate (7.5.2 c), signing as reviewed."""

    code = "review"
    label = "Review: approve"
    permission = "documents.view_document"
    step = Step.REVIEW
    meaning = SignatureMeaning.REVIEWED


class ApproveRevision(DecideRevision):
    """An approver signs; with the last approval the revision is approved, and takes effect on
    its effective date (today when none was given)."""

    code = "approve"
    label = "Approve"
    permission = "documents.approve_document"
    step = Step.APPROVAL
    meaning = SignatureMeaning.APPROVED

    def decided(self, revision):
        if workflow.pending_slots(revision, Step.APPROVAL):
            return
        today = timezone.localdate()
        revision.status = Revision.Status.APPROVED
        revision.approved_at = timezone.now()
        revision.approved_independently = workflow.approved_independently(revision)
        revision.effective_date = max(revision.effective_date or today, today)
        revision.save(
            update_fields=["status", "approved_at", "approved_independently", "effective_date"]
        )
        if revision.effective_date <= today:
            workflow.make_effective(self.obj, revision, today)


class RequestChanges(DecideRevision):
    """A reviewer or approver sends the revision back to draft; their comments are kept."""

    code = "request_changes"
    label = "Request changes"
    permission = "documents.view_document"
    reason_required = True
    step = None
    meaning = SignatureMeaning.REVIEWED
    outcome = Outcome.REQUEST_CHANGES

    def decided(self, revision):
        revision.status = Revision.Status.DRAFT
        revision.save(update_fields=["status"])


class ConfirmReview(DocumentAction):
    """Periodic review, outcome "no change needed": signed, and the next review is set."""

    code = "confirm_review"
    label = "Periodic review: no change needed"
    permission = "documents.change_document"
    needs_signature = True

    def check_rules(self):
        self.require_open_document()
        if self.obj.document_type.is_record:
            raise ActionRefused("Records are retained as they are; they have no periodic review.")
        if self.effective_revision() is None:
            raise ActionRefused("Only a document in force has a periodic review.")
        if not self.obj.period_months:
            raise ActionRefused("This document has no review period.")

    def apply(self):
        revision = self.effective_revision()
        signature = self.sign(revision, SignatureMeaning.REVIEWED)
        RevisionDecision.objects.create(
            revision=revision,
            review_round=revision.review_round,
            step=Step.PERIODIC,
            outcome=Outcome.NO_CHANGE,
            slot=f"person:{self.actor.pk}",
            person=self.actor,
            person_name=self.actor.full_name,
            comment=self.reason,
            decided_at=signature.signed_at,
            signature=signature,
        )
        self.obj.due_date = workflow.next_review(self.obj, timezone.localdate())
        return self.save(self.obj)


class AcknowledgeRevision(DocumentAction):
    """A reader confirms they have read and understood the revision in force (7.3)."""

    code = "acknowledge"
    label = "I have read and understood it"
    permission = "documents.view_document"

    def check_rules(self):
        revision = self.effective_revision()
        if revision is None or self.obj.status != Document.Status.EFFECTIVE:
            raise ActionRefused("Only a document in force can be acknowledged.")
        if not is_recipient(self.actor, self.obj):
            raise ActionRefused(f"{self.obj.reference} is not distributed to you.")
        if revision.acknowledgements.filter(person=self.actor).exists():
            raise ActionRefused(f"You have already acknowledged revision {revision.label}.")

    def apply(self):
        revision = self.effective_revision()
        self.acknowledgement = Acknowledgement.objects.create(
            revision=revision,
            person=self.actor,
            person_name=self.actor.full_name,
            acknowledged_at=timezone.now(),
        )
        return self.acknowledgement

    def logged_values(self, before):
        return None, {"acknowledged": self.acknowledgement.revision.label}


class Distribute(DocumentAction):
    """Add a role, a department or a person to the document's readers."""

    code = "distribute"
    label = "Distribute"
    permission = "documents.change_document"
    offered = False

    def check_rules(self):
        self.require_open_document()

    def apply(self):
        target = distribution_target(self.data)
        if self.obj.distribution.filter(**target).exists():
            raise ActionRefused("The document is already distributed to them.")
        added = Distribution.objects.create(document=self.obj, **target)
        self.distribution_change = (None, str(added))
        return self.save(self.obj)


def distribution_target(data) -> dict:
    """Exactly one of role, department or person, each checked to exist."""
    given = {k: data.get(k) for k in ("role", "department", "person") if data.get(k)}
    if len(given) != 1:
        raise InvalidInput(
            "Choose one role, one department or one person.",
            {"__all__": ["Choose exactly one of role, department or person."]},
        )
    name, value = next(iter(given.items()))
    if name == "role":
        if value not in RoleCode.values:
            raise InvalidInput("Unknown role.", {"role": ["Choose one of the roles."]})
        return {"role": value}
    model = Department if name == "department" else Person
    value = str(value).strip()
    if name == "person" and "@" in value:
        found = Person.objects.filter(email__iexact=value, is_active=True).first()
    else:
        found = model.objects.filter(pk=value, is_active=True).first() if value.isdigit() else None
    if found is None:
        raise InvalidInput(f"Unknown {name}.", {name: [f"Choose an active {name}."]})
    return {name: found}


class StopDistribution(DocumentAction):
    """Remove one entry from the readers; acknowledgements already given are kept."""

    code = "undistribute"
    label = "Stop distributing"
    permission = "documents.change_document"
    offered = False

    def check_rules(self):
        self.require_open_document()

    def apply(self):
        pk = str(self.data.get("distribution", ""))
        entry = self.obj.distribution.filter(pk=pk).first() if pk.isdigit() else None
        if entry is None:
            raise NotFound("This document is not distributed to that entry.")
        self.distribution_change = (str(entry), None)
        entry.delete()
        return self.save(self.obj)


class ObsoleteDocument(DocumentAction):
    """Withdraw the whole document; every revision stays readable, marked obsolete."""

    code = "obsolete"
    label = "Make obsolete"
    permission = "documents.obsolete_document"
    reason_required = True

    def check_rules(self):
        self.require_open_document()

    def apply(self):
        for revision in self.obj.revisions.filter(
            status__in=[Revision.Status.EFFECTIVE, *Revision.OPEN]
        ):
            # The revision in force becomes obsolete; one still in the works never was in force.
            in_force = revision.status == Revision.Status.EFFECTIVE
            revision.status = Revision.Status.OBSOLETE if in_force else Revision.Status.WITHDRAWN
            revision.save(update_fields=["status"])
        self.obj.status = Document.Status.OBSOLETE
        self.obj.due_date = None
        self.obj.retained_from = timezone.localdate()
        self.save(self.obj)
        workflow.index_document(self.obj)
        return self.obj


class PlaceLegalHold(DocumentAction):
    """A legal hold keeps a document from disposal, whatever its retention says."""

    code = "hold"
    label = "Place a legal hold"
    permission = "documents.hold_document"
    reason_required = True

    def check_rules(self):
        if self.obj.status == Document.Status.DISPOSED:
            raise ActionRefused(f"{self.obj.reference} has been disposed of.")
        if self.obj.legal_hold:
            raise ActionRefused(f"{self.obj.reference} is already under a legal hold.")

    def apply(self):
        self.obj.legal_hold, self.obj.legal_hold_reason = True, self.reason
        return self.save(self.obj)


class ReleaseLegalHold(DocumentAction):
    code = "release_hold"
    label = "Release the legal hold"
    permission = "documents.hold_document"
    reason_required = True

    def check_rules(self):
        if not self.obj.legal_hold:
            raise ActionRefused(f"{self.obj.reference} is not under a legal hold.")

    def apply(self):
        self.obj.legal_hold, self.obj.legal_hold_reason = False, ""
        return self.save(self.obj)


class DisposeDocument(DocumentAction):
    """Dispose of a document whose retention has ended: its content and files are removed, and
    a signed line in the disposal log says what, how, when and by whom (7.5.3.2 d)."""

    code = "dispose"
    label = "Dispose of it"
    permission = "documents.dispose_document"
    needs_signature = True

    def check_rules(self):
        doc = self.obj
        final_record = doc.document_type.is_record and doc.status == Document.Status.EFFECTIVE
        if doc.status != Document.Status.OBSOLETE and not final_record:
            raise ActionRefused("Only an obsolete document or a final record can be disposed of.")
        if doc.legal_hold:
            raise ActionRefused(f"{doc.reference} is under a legal hold: {doc.legal_hold_reason}")
        until = doc.retain_until
        if until is None:
            raise ActionRefused(f"{doc.reference} has no retention period: it is kept for good.")
        if until > timezone.localdate():
            raise ActionRefused(f"{doc.reference} must be kept until {until.isoformat()}.")

    def apply(self):
        doc = self.obj
        signature = self.sign(doc, SignatureMeaning.APPROVED)
        revisions = list(doc.revisions.all())
        files_removed = 0
        for revision in revisions:
            files_removed += delete_when_committed(revision.file)
            revision.body, revision.extracted_text, revision.file = "", "", ""
            revision.save(update_fields=["body", "extracted_text", "file"])
        for attachment in doc.attachments.all():  # names and SHA-256 stay in the change log
            files_removed += delete_when_committed(attachment.file)
            attachment.delete()
        Disposal.objects.create(
            document=doc,
            reference=doc.reference,
            title=doc.title,
            method=doc.disposal,
            retained_from=doc.retained_from,
            retention_years=doc.retention,
            disposed_at=signature.signed_at,
            disposed_by=self.actor,
            disposed_by_name=self.actor.full_name,
            reason=self.reason,
            revisions=len(revisions),
            files_removed=files_removed,
            signature=signature,
        )
        DocumentText.objects.filter(document=doc).delete()
        doc.status, doc.due_date = Document.Status.DISPOSED, None
        return self.save(doc)


class DiscardDraft(DocumentAction):
    """A draft never submitted may be thrown away; anything submitted is kept for good."""

    code = "discard"
    label = "Discard the draft"
    permission = "documents.change_document"

    def check_rules(self):
        self.require_open_document()
        draft = self.open_revision()
        if draft is None or draft.status != Revision.Status.DRAFT or draft.review_round:
            raise ActionRefused("Only a draft that was never submitted can be discarded.")

    def apply(self):
        draft = self.open_revision()
        self.touch(draft)
        delete_when_committed(draft.file)
        draft.contributors.clear()
        draft.delete()
        return self.save(self.obj)


DOCUMENT_ACTIONS = [
    StartRevision,
    EditDraft,
    SubmitRevision,
    ReviewRevision,
    ApproveRevision,
    RequestChanges,
    ConfirmReview,
    AcknowledgeRevision,
    Distribute,
    StopDistribution,
    ObsoleteDocument,
    PlaceLegalHold,
    ReleaseLegalHold,
    DisposeDocument,
    DiscardDraft,
]
