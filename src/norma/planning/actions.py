"""State changes of processes, of the actions that treat risks, and of planned changes."""

from django.utils import timezone

from norma.core.actions import Action, ActionRefused
from norma.core.duties import require_different_people
from norma.core.models import SignatureMeaning
from norma.core.signatures import add_signature, confirm_identity
from norma.planning.models import PlannedChange, Process, RiskAction


class ApproveProcess(Action):
    """Top management approves a process definition with an electronic signature."""

    code = "approve"
    label = "Approve"
    permission = "planning.approve_process"
    needs_signature = True

    def check_rules(self):
        if self.obj.status != Process.Status.DRAFT:
            status = self.obj.get_status_display().lower()
            raise ActionRefused(f"Only a draft process can be approved; this one is {status}.")
        if self.obj.is_archived:
            raise ActionRefused(f"{self.obj.reference} is archived.")
        require_different_people(self.obj.owner, self.actor, "approve_own")
        require_different_people(self.obj.created_by, self.actor, "approve_own")

    def apply(self):
        confirm_identity(self.actor, self.data.get("password", ""), self.data.get("otp_token", ""))
        self.obj.status = Process.Status.APPROVED
        self.save(self.obj)
        add_signature(self.obj, self.actor, SignatureMeaning.APPROVED, self.reason)
        return self.obj


class ReviseProcess(Action):
    """Reopen an approved process as a draft so it can be changed and approved again."""

    code = "revise"
    label = "Start a revision"
    permission = "planning.change_process"

    def check_rules(self):
        if self.obj.status != Process.Status.APPROVED:
            raise ActionRefused("Only an approved process can be revised.")
        if self.obj.is_archived:
            raise ActionRefused(f"{self.obj.reference} is archived.")

    def apply(self):
        self.obj.status = Process.Status.DRAFT
        return self.save(self.obj)


class CompleteRiskAction(Action):
    """The owner (or the quality manager) records that a risk action has been carried out."""

    code = "complete"
    label = "Mark as done"
    permission = "planning.change_riskaction"

    def check_rules(self):
        if self.obj.status != RiskAction.Status.OPEN:
            raise ActionRefused(f"{self.obj.reference} is already done.")
        if self.obj.is_archived:
            raise ActionRefused(f"{self.obj.reference} is archived.")

    def apply(self):
        self.obj.status = RiskAction.Status.DONE
        self.obj.completed_on = timezone.localdate()
        return self.save(self.obj)


class EvaluateRiskAction(Action):
    """Whether a done action worked (6.1.2 b): judged, with the evidence in the reason, by
    someone other than its owner."""

    reason_required = True
    permission = "planning.change_riskaction"
    outcome: str

    def check_rules(self):
        if self.obj.status != RiskAction.Status.DONE:
            raise ActionRefused("Only a done action can be evaluated.")
        if self.obj.effectiveness:
            judged = self.obj.get_effectiveness_display().lower()
            raise ActionRefused(f"{self.obj.reference} has been evaluated already: {judged}.")
        require_different_people(self.obj.owner, self.actor, "verify_own")

    def apply(self):
        self.obj.effectiveness = self.outcome
        self.obj.evaluation = self.reason
        return self.save(self.obj)


class JudgeEffective(EvaluateRiskAction):
    code = "effective"
    label = "Judge effective"
    outcome = RiskAction.Effectiveness.EFFECTIVE


class JudgeNotEffective(EvaluateRiskAction):
    code = "not-effective"
    label = "Judge not effective"
    outcome = RiskAction.Effectiveness.NOT_EFFECTIVE


class ApproveChange(Action):
    """Top management approves a planned change, signed, once it is fully planned."""

    code = "approve"
    label = "Approve the change"
    permission = "planning.approve_plannedchange"
    needs_signature = True

    def check_rules(self):
        if self.obj.status != PlannedChange.Status.PLANNED:
            status = self.obj.get_status_display().lower()
            raise ActionRefused(f"Only a planned change can be approved; this one is {status}.")
        if not self.obj.is_planned_fully:
            raise ActionRefused(
                "Plan it first: purpose, potential consequences, resources and "
                "responsibilities (6.3)."
            )
        require_different_people(self.obj.created_by, self.actor, "approve_own")

    def apply(self):
        confirm_identity(self.actor, self.data.get("password", ""), self.data.get("otp_token", ""))
        self.obj.status = PlannedChange.Status.APPROVED
        self.save(self.obj)
        add_signature(self.obj, self.actor, SignatureMeaning.APPROVED, self.reason)
        return self.obj


class CompleteChange(Action):
    """The change is made; the reason says how it went (its outcome)."""

    code = "complete"
    label = "Mark as done"
    permission = "planning.change_plannedchange"
    reason_required = True

    def check_rules(self):
        if self.obj.status != PlannedChange.Status.APPROVED:
            raise ActionRefused("Only an approved change can be marked as done.")

    def apply(self):
        self.obj.status = PlannedChange.Status.DONE
        self.obj.outcome = self.reason
        return self.save(self.obj)


class CancelChange(Action):
    code = "cancel"
    label = "Cancel the change"
    permission = "planning.change_plannedchange"
    reason_required = True

    def check_rules(self):
        if self.obj.status not in (PlannedChange.Status.PLANNED, PlannedChange.Status.APPROVED):
            raise ActionRefused(
                f"{self.obj.reference} is already {self.obj.get_status_display().lower()}."
            )

    def apply(self):
        self.obj.status = PlannedChange.Status.CANCELLED
        self.obj.outcome = self.reason
        return self.save(self.obj)
