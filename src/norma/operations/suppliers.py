"""Controlling external providers (8.4): scoring each evaluation on the supplier's
scorecard, deciding approval on that evidence, and requesting corrective action from a
supplier, which always has its nonconformity."""

from django.utils import timezone

from norma.core.actions import ActionRefused, CreateRecord, InvalidInput, NotPermitted, Transition
from norma.core.duties import require_different_people
from norma.documents.models import add_months
from norma.improvement.actions import raise_nonconformity
from norma.improvement.models import Source
from norma.operations.models import Scar, Scorecard, Supplier, SupplierCertificate
from norma.operations.models import SupplierEvaluation as Evaluation

SUP = Supplier.Status


class RecordEvaluation(CreateRecord):
    """An evaluation, scored on the supplier's scorecard with the weights of the day; the
    newest sets the supplier's score and its next re-evaluation."""

    label = "Record an evaluation"

    def __init__(self, actor, model=Evaluation, **kwargs):
        super().__init__(actor, model, **kwargs)

    def apply(self):
        supplier = self.data.get("supplier")
        if supplier is not None:
            supplier = Supplier.objects.select_for_update().get(pk=supplier.pk)
            if not self.actor.scope.allows(supplier):
                raise NotPermitted(f"{supplier} is outside the sites or departments you work in.")
            self.score(supplier.scorecard)
            self.obj.owner_id = self.obj.owner_id or self.actor.pk
        evaluation = super().apply()
        latest = supplier.last_evaluated_on
        if latest is None or evaluation.evaluated_on >= latest:

            def move(supplier):  # its re-evaluation date follows (Supplier.save)
                supplier.last_score = evaluation.score
                supplier.last_evaluated_on = evaluation.evaluated_on

            self.change_related(supplier, move, "evaluated")
        return evaluation

    def score(self, card: Scorecard):
        marks = [self.data.get(name) for name in ("quality", "delivery", "responsiveness")]
        if None in marks or any(not 0 <= m <= 100 for m in marks):
            return  # the model's validation names the missing or wrong score
        score = card.score(*marks)
        self.obj.score = score
        self.obj.weights = (
            f"{card.quality_weight}/{card.delivery_weight}/{card.responsiveness_weight}"
        )
        if score >= card.approve_at:
            self.obj.outcome = Evaluation.Outcome.APPROVE
        elif score >= card.conditional_at:
            self.obj.outcome = Evaluation.Outcome.CONDITIONAL
        else:
            self.obj.outcome = Evaluation.Outcome.FAIL


def current_evaluation(supplier):
    """The newest evaluation, if it is still within the supplier's interval."""
    newest = supplier.evaluations.live().order_by("-evaluated_on", "-id").first()
    if newest is None:
        return None
    expires = add_months(newest.evaluated_on, supplier.evaluation_interval_months)
    return newest if expires >= timezone.localdate() else None


class SupplierDecision(Transition):
    """Approval rests on a current evaluation, which its evaluator does not approve on."""

    permission = "operations.approve_supplier"
    least = Evaluation.Outcome.APPROVE

    def check_step(self):
        evaluation = current_evaluation(self.obj)
        if evaluation is None:
            raise ActionRefused(
                f"{self.obj.reference} has no evaluation within its "
                f"{self.obj.evaluation_interval_months}-month interval: evaluate it first."
            )
        allowed = [Evaluation.Outcome.APPROVE]
        if self.least == Evaluation.Outcome.CONDITIONAL:
            allowed.append(Evaluation.Outcome.CONDITIONAL)
        if evaluation.outcome not in allowed:
            raise ActionRefused(
                f"The latest evaluation, {evaluation.reference}, scored {evaluation.score}: "
                f"{evaluation.get_outcome_display().lower()}."
            )
        decided = self.obj.decided_at
        if self.obj.status == SUP.DISQUALIFIED and decided and evaluation.created_at < decided:
            day = timezone.localtime(decided).date()
            raise ActionRefused(
                f"{self.obj.reference} was disqualified on {day}: it needs an evaluation "
                "recorded since then."
            )
        require_different_people(self.actor, evaluation.created_by, "approve_own")

    def prepare(self):
        self.obj.decided_at = timezone.now()


class ApproveSupplier(SupplierDecision):
    code = "approve"
    label = "Approve"
    sources = (SUP.PENDING, SUP.CONDITIONAL, SUP.DISQUALIFIED)
    target = SUP.APPROVED


class ApproveConditionally(SupplierDecision):
    code = "approve-conditionally"
    label = "Approve on conditions"
    reason_required = True  # the conditions
    sources = (SUP.PENDING, SUP.APPROVED, SUP.DISQUALIFIED)
    target = SUP.CONDITIONAL
    least = Evaluation.Outcome.CONDITIONAL


class DisqualifySupplier(Transition):
    code = "disqualify"
    label = "Disqualify"
    permission = "operations.approve_supplier"
    reason_required = True
    sources = (SUP.PENDING, SUP.APPROVED, SUP.CONDITIONAL)
    target = SUP.DISQUALIFIED

    def prepare(self):
        self.obj.decided_at = timezone.now()


class IssueScar(CreateRecord):
    """A corrective action request to a supplier; without a nonconformity named, the
    supplier nonconformity is raised with it."""

    label = "Request corrective action"

    def __init__(self, actor, model=Scar, **kwargs):
        super().__init__(actor, model, **kwargs)

    def apply(self):
        supplier, nc = self.data.get("supplier"), self.data.get("nonconformity")
        if supplier is not None and not self.actor.scope.allows(supplier):
            raise NotPermitted(f"{supplier} is outside the sites or departments you work in.")
        if nc is not None and not nc.is_open:
            message = f"{nc.reference} is no longer open."
            raise InvalidInput(message, {"nonconformity": [message]})
        scar = super().apply()
        if nc is None:
            scar.nonconformity = raise_nonconformity(
                self.actor,
                scar,
                title=f"{supplier.title}: {scar.title}",
                description=scar.problem,
                source=Source.SUPPLIER,
                site=scar.site,
                department=scar.department,
            )
            scar.save(update_fields=["nonconformity"])
        return scar


class RecordScarResponse(Transition):
    code = "record-response"
    label = "Record the supplier's response"
    permission = "operations.change_scar"
    sources = (Scar.Status.REQUESTED,)
    target = Scar.Status.RESPONDED
    fields = ("root_cause", "corrective_action", "responded_on")


class AcceptScarResponse(Transition):
    code = "accept"
    label = "Accept the response"
    permission = "operations.change_scar"
    sources = (Scar.Status.RESPONDED,)
    target = Scar.Status.ACCEPTED
    fields = ("review_notes",)


class RejectScarResponse(Transition):
    """The response falls short: back to the supplier, with a new date to answer by."""

    code = "reject"
    label = "Send the response back"
    permission = "operations.change_scar"
    reason_required = True
    sources = (Scar.Status.RESPONDED,)
    target = Scar.Status.REQUESTED
    fields = ("due_date",)

    def prepare(self):
        if self.obj.due_date < timezone.localdate():
            raise InvalidInput(
                "The new date has already passed.",
                {"due_date": ["The date has already passed; give today or a later one."]},
            )
        self.obj.review_notes = self.reason


class CancelScar(Transition):
    code = "cancel"
    label = "Cancel"
    permission = "operations.change_scar"
    reason_required = True
    sources = Scar.OPEN
    target = Scar.Status.CANCELLED

    def prepare(self):
        self.obj.due_date = None


class WithdrawCertificate(Transition):
    code = "withdraw"
    label = "Mark withdrawn or suspended"
    permission = "operations.change_suppliercertificate"
    reason_required = True
    sources = (SupplierCertificate.Status.VALID,)
    target = SupplierCertificate.Status.WITHDRAWN


class RetireScorecard(Transition):
    code = "retire"
    label = "Retire"
    permission = "operations.change_scorecard"
    reason_required = True
    sources = (Scorecard.Status.ACTIVE,)
    target = Scorecard.Status.RETIRED


SUPPLIER_ACTIONS = [ApproveSupplier, ApproveConditionally, DisqualifySupplier]
SCAR_ACTIONS = [RecordScarResponse, AcceptScarResponse, RejectScarResponse, CancelScar]
