"""A management review from plan to signed minutes, and the decisions it takes: generate the
pack, hold the meeting, record decisions, sign the minutes (locked), cancel; complete or cancel
a decision."""

from django.utils import timezone

from norma.core.actions import Action, ActionRefused, CreateRecord, NotPermitted, Transition
from norma.core.models import SignatureMeaning
from norma.core.signatures import add_signature, confirm_identity
from norma.jobs.models import Job
from norma.jobs.runner import start_job
from norma.notifications.sending import notify
from norma.reviews.models import ManagementReview, ReviewDecision, Topic, lock_review

S = ManagementReview.Status
OPEN_STATES = (S.PLANNED, S.HELD)


def pack_running(review) -> bool:
    running = Job.objects.filter(
        pk=review.pack_job_id, state__in=(Job.State.QUEUED, Job.State.RUNNING)
    )
    return bool(review.pack_job_id and running.exists())


class GeneratePack(Action):
    """Build the input pack from the registers, as a background job with progress. Comments
    already written are kept; figures are read again."""

    code = "generate-pack"
    label = "Generate the input pack"
    permission = "reviews.change_managementreview"

    def check_rules(self):
        if self.obj.status not in OPEN_STATES:
            raise ActionRefused(
                f"{self.obj.reference} is {self.obj.get_status_display().lower()}: its pack "
                "is kept as it was reviewed."
            )
        if pack_running(self.obj):
            raise ActionRefused("The pack is being generated already: wait for it to finish.")

    def apply(self):
        self.obj.pack_job_id = start_job(
            self.actor,
            "review-pack",
            f"Input pack for {self.obj.reference}",
            "norma.reviews.pack.generate_pack",
            {"review_id": self.obj.pk},
        ).pk
        return self.save(self.obj)


class HoldMeeting(Transition):
    """Record that the meeting took place, and who attended; top management must be there."""

    code = "hold-meeting"
    label = "Record the meeting held"
    permission = "reviews.change_managementreview"
    sources = (S.PLANNED,)
    target = S.HELD
    fields = ("held_on", "attendees")
    optional_fields = ("minutes",)

    def check_step(self):
        if refusal := self.obj.pack_refusal():
            raise ActionRefused(refusal)

    def apply(self):
        super().apply()
        check_attendance(self.obj)
        return self.obj


def check_attendance(review):
    if refusal := review.attendance_refusal():
        raise ActionRefused(
            "Top management must attend the review: name at least one of its members among "
            "the attendees.",
            {"attendees": [refusal]},
        )


class SignMinutes(Transition):
    """The chair signs the minutes with the pack: the review is locked, and the decisions'
    owners and the attendees are told."""

    code = "sign-minutes"
    label = "Sign the minutes"
    permission = "reviews.change_managementreview"
    needs_signature = True
    sources = (S.HELD,)
    target = S.SIGNED
    fields = ("minutes", "conclusions")

    def check_step(self):
        if self.obj.chair_id != self.actor.pk:
            raise NotPermitted("Only the chair signs the minutes.")
        if pack_running(self.obj):
            raise ActionRefused("The pack is being regenerated: sign once it has finished.")
        if refusal := self.obj.pack_refusal():
            raise ActionRefused(refusal)
        check_attendance(self.obj)
        inputs = list(self.obj.inputs.all())
        if len(inputs) < len(Topic):
            raise ActionRefused("The input pack is incomplete: generate it again.")
        refusals = [r for r in (i.signing_refusal() for i in inputs) if r]
        if refusals:
            raise ActionRefused(
                "Every input needs management's comment before signing: " + " ".join(refusals)
            )

    def prepare(self):
        confirm_identity(self.actor, self.data.get("password", ""), self.data.get("otp_token", ""))
        self.obj.signed_on = timezone.localdate()

    def apply(self):
        super().apply()
        add_signature(self.obj, self.actor, SignatureMeaning.APPROVED, self.reason)
        self.notify_decisions()
        return self.obj

    def notify_decisions(self):
        for decision in self.obj.decisions.live().select_related("owner"):
            notify(
                decision,
                [decision.owner],
                f"Management review decision: {decision.reference} {decision.title}",
                f"Due {decision.due_date:%Y-%m-%d}. {decision.description}",
                "decided",
                due_date=decision.due_date,
            )
        notify(
            self.obj,
            list(self.obj.attendees.all()),
            f"Management review minutes signed: {self.obj.reference}",
            self.obj.conclusions,
            "signed",
        )


class CancelReview(Transition):
    code = "cancel"
    label = "Cancel the review"
    permission = "reviews.change_managementreview"
    reason_required = True
    sources = OPEN_STATES
    target = S.CANCELLED

    def check_step(self):
        if self.obj.decisions.live().exists():
            raise ActionRefused(
                "Decisions are recorded for this review: cancel or move them first."
            )

    def prepare(self):
        self.obj.cancel_reason = self.reason


REVIEW_ACTIONS = [GeneratePack, HoldMeeting, SignMinutes, CancelReview]


class RecordDecision(CreateRecord):
    """A decision is taken at the meeting: recorded while the minutes are being written
    (`ReviewDecision.clean` says when), never while the chair is signing."""

    def __init__(self, actor, model=ReviewDecision, **kwargs):
        super().__init__(actor, model, **kwargs)

    def check_rules(self):
        review = self.data.get("review")
        if isinstance(review, ManagementReview):
            lock_review(review.pk)


class DecisionStep(Transition):
    """The decision's owner, or whoever may change decisions, moves it on."""

    permission = None
    sources = (ReviewDecision.Status.OPEN,)

    def check_step(self):
        if self.obj.owner_id != self.actor.pk and not self.actor.has_perm(
            "reviews.change_reviewdecision"
        ):
            raise NotPermitted(
                f"Only {self.obj.reference}'s owner or the quality team can do this."
            )
        if self.obj.review.status != S.SIGNED:
            raise ActionRefused(
                f"{self.obj.review.reference}'s minutes are not signed yet: the decision is "
                "carried out once they are."
            )


class CompleteDecision(DecisionStep):
    code = "complete"
    label = "Mark as done"
    target = ReviewDecision.Status.DONE
    fields = ("outcome",)

    def prepare(self):
        self.obj.completed_on = timezone.localdate()


class CancelDecision(DecisionStep):
    code = "cancel"
    label = "Cancel the decision"
    reason_required = True
    target = ReviewDecision.Status.CANCELLED

    def prepare(self):
        self.obj.outcome = f"Cancelled: {self.reason}"
        self.obj.completed_on = timezone.localdate()


DECISION_ACTIONS = [CompleteDecision, CancelDecision]
