"""The nonconformity workflow (reported → containment → analysis → action plan →
implementation → effectiveness check → closed), the corrective actions, and improvements.

Each step is guarded: no analysis before containment, no plan without a root cause, no
closure without a verification by someone who owns none of the actions, signed."""

from django.db.models import Max, Q
from django.utils import timezone

from norma.core.actions import Action, ActionRefused, CreateRecord, InvalidInput, NotPermitted
from norma.core.changelog import record_change, snapshot
from norma.core.duties import refuse_duty
from norma.core.models import SignatureMeaning
from norma.core.signatures import add_signature, confirm_identity
from norma.improvement.models import (
    CorrectiveAction,
    Discipline,
    EightDStep,
    Improvement,
    Nonconformity,
    Verification,
)
from norma.improvement.models.analysis import ANALYSIS_DISCIPLINES, FIX_DISCIPLINES

NC = Nonconformity.Status
KIND = CorrectiveAction.Kind


class ReportNonconformity(CreateRecord):
    """Anyone may report a problem, with a photo; the quality team triages it."""

    code = "report"
    label = "Report a problem"

    def __init__(self, actor, **kwargs):
        super().__init__(actor, Nonconformity, **kwargs)

    def apply(self):
        from norma.core.attachments import store_attachment

        photo = self.data.pop("photo", None)
        self.data.setdefault("detected_by", self.actor)
        self.data.setdefault("detected_on", timezone.localdate())
        if self.data.get("site") is None and self.actor.site_id:
            self.data["site"] = self.actor.site
        nc = super().apply()
        self.photo = store_attachment(nc, photo, self.actor) if photo else None
        return nc

    def logged_values(self, before):
        before, after = super().logged_values(before)
        if self.photo:  # the file's fingerprint, as attaching one later would log it
            after["attachment"] = {"name": self.photo.filename, "sha256": self.photo.sha256}
        return before, after


def raise_nonconformity(actor, origin, **fields):
    """Open a nonconformity linked to the record it comes from (an audit finding, a
    complaint, a red KPI): the link point other apps use."""
    return ReportNonconformity(actor, data={"origin": origin, **fields}).execute()


class NonconformityStep(Action):
    """A step of the workflow: allowed from one status, to the next."""

    permission = "improvement.change_nonconformity"
    from_status: NC

    def check_rules(self):
        if self.obj.status != self.from_status:
            status = self.obj.get_status_display().lower()
            raise ActionRefused(
                f"{self.obj.reference} is at the {status} step; "
                f"this is done at the {self.from_status.label.lower()} step."
            )
        if self.obj.is_archived:
            raise ActionRefused(f"{self.obj.reference} is archived.")
        self.check_step()

    def check_step(self):
        """What must be true of the record before the step."""

    def move(self, status, **changes):
        for name, value in changes.items():
            setattr(self.obj, name, value)
        self.obj.status = status
        return self.save(self.obj)


def round_actions(nc):
    """The actions of the current analysis round (a failed fix needs new ones)."""
    return (
        nc.actions.live()
        .filter(analysis_round=nc.analysis_round)
        .exclude(status=CorrectiveAction.Status.CANCELLED)
    )


def fixers(nc) -> set[int]:
    """Who owns or carried out a corrective action of the round: none of them verifies it."""
    rows = round_actions(nc).filter(kind=KIND.CORRECTIVE)
    return {pk for pair in rows.values_list("owner_id", "completed_by_id") for pk in pair} - {None}


class Triage(NonconformityStep):
    """The quality team accepts a report, grades it and gives it an owner."""

    code = "triage"
    label = "Triage"
    permission = "improvement.triage_nonconformity"
    from_status = NC.REPORTED
    fields = ("owner", "kind", "severity")
    optional_fields = ("process", "due_date")

    def apply(self):
        self.set_fields()
        return self.move(NC.CONTAINMENT)


class DecideDisposition(Action):
    """8.7.2: what is done with a nonconforming output, recorded with who decided it."""

    code = "dispose"
    label = "Decide the disposition"
    permission = "improvement.dispose_nonconformity"
    fields = ("disposition",)
    optional_fields = ("segregated", "concession_by", "customer_notified")

    def check_rules(self):
        if self.obj.kind != Nonconformity.Kind.OUTPUT:
            raise ActionRefused("Only a nonconforming output has a disposition.")
        if self.obj.status == NC.REPORTED or not self.obj.is_open:
            raise ActionRefused("The disposition is decided once the report is triaged.")

    def apply(self):
        self.set_fields()
        self.obj.disposition_by = self.actor
        self.obj.disposition_on = timezone.localdate()
        return self.save(self.obj)


class StartAnalysis(NonconformityStep):
    """Once it is contained, choose how its causes will be found."""

    code = "analyse"
    label = "Start the root-cause analysis"
    from_status = NC.CONTAINMENT
    fields = ("method",)

    def check_step(self):
        nc = self.obj
        if nc.kind == Nonconformity.Kind.OUTPUT and not nc.disposition:
            raise ActionRefused("Decide the disposition of the nonconforming output first (8.7).")
        contained = nc.actions.filter(kind__in=(KIND.CORRECTION, KIND.CONTAINMENT)).exclude(
            status=CorrectiveAction.Status.CANCELLED
        )
        if not contained.exists():
            raise ActionRefused("Record at least one correction or containment action first.")

    def apply(self):
        self.set_fields()
        if self.obj.method == Nonconformity.Method.EIGHT_D:
            EightDStep.objects.bulk_create(
                [EightDStep(nonconformity=self.obj, discipline=d) for d in Discipline.values],
                ignore_conflicts=True,
            )
        return self.move(NC.ANALYSIS)


class CompleteAnalysis(NonconformityStep):
    """The root cause is known and whether it could happen elsewhere has been checked."""

    code = "complete-analysis"
    label = "Complete the analysis"
    from_status = NC.ANALYSIS
    fields = ("elsewhere",)

    def check_step(self):
        nc = self.obj
        causes = nc.causes.filter(analysis_round=nc.analysis_round)
        method = Nonconformity.Method
        if nc.method == method.FIVE_WHYS and not causes.exists():
            raise ActionRefused("The 5-Whys chain is empty: answer at least the first why.")
        if not causes.filter(is_root=True).exists():
            raise ActionRefused("Mark at least one cause as a root cause.")
        if nc.method == method.ISHIKAWA and causes.filter(is_root=True, verified=False).exists():
            raise ActionRefused("A root cause on the fishbone must be verified with evidence.")
        if nc.method == method.EIGHT_D:
            require_disciplines(nc, ANALYSIS_DISCIPLINES)

    def apply(self):
        from norma.improvement.analysis import earlier_alike

        self.set_fields()
        return self.move(NC.ACTION_PLAN, repeat_of=earlier_alike(self.obj))


def require_disciplines(nc, disciplines):
    missing = nc.eight_d_steps.filter(discipline__in=disciplines, done_on__isnull=True)
    labels = [step.get_discipline_display().split(" ")[0] for step in missing]
    if labels:
        raise ActionRefused(f"Complete the 8D steps {', '.join(labels)} first.")


class StartImplementation(NonconformityStep):
    """The plan is settled: corrective actions with owners and dates remove the cause."""

    code = "implement"
    label = "Approve the action plan"
    from_status = NC.ACTION_PLAN

    def check_step(self):
        corrective = round_actions(self.obj).filter(kind=KIND.CORRECTIVE)
        if not corrective.exists():
            raise ActionRefused("Plan at least one corrective action that removes the root cause.")
        if corrective.filter(Q(owner__isnull=True) | Q(due_date__isnull=True)).exists():
            raise ActionRefused("Every corrective action needs an owner and a due date.")

    def apply(self):
        corrective = round_actions(self.obj).filter(kind=KIND.CORRECTIVE)
        due = corrective.aggregate(last=Max("due_date"))["last"]
        return self.move(NC.IMPLEMENTATION, due_date=due)


class MarkImplemented(NonconformityStep):
    """The actions are done: say how and when their effectiveness will be checked, and by
    whom (not an owner of the actions)."""

    code = "implemented"
    label = "Actions implemented: plan the effectiveness check"
    from_status = NC.IMPLEMENTATION
    fields = ("verification_criteria", "verification_due", "verifier")
    permission_to_verify = "improvement.verify_nonconformity"

    def check_step(self):
        corrective = round_actions(self.obj).filter(kind=KIND.CORRECTIVE)
        if corrective.filter(status=CorrectiveAction.Status.OPEN).exists():
            raise ActionRefused("Some corrective actions are still open.")
        if not corrective.filter(status=CorrectiveAction.Status.DONE).exists():
            raise ActionRefused("No corrective action has been done.")

    def apply(self):
        self.set_fields()
        nc = self.obj
        if nc.verification_due < timezone.localdate():
            raise InvalidInput(
                "Some fields are not valid.",
                {"verification_due": ["The check cannot be planned in the past."]},
            )
        verifier = nc.verifier
        if not verifier.has_perm(self.permission_to_verify) or not verifier.scope.allows(nc):
            raise InvalidInput(
                "Some fields are not valid.",
                {"verifier": [f"{verifier} may not verify {nc.reference}."]},
            )
        if nc.verifier_id in fixers(nc):
            refuse_duty("verify_own")
        return self.move(NC.VERIFICATION, due_date=nc.verification_due)


class Verify(NonconformityStep):
    """Judge whether the fix worked, with the evidence, as someone who owns none of it."""

    permission = "improvement.verify_nonconformity"
    from_status = NC.VERIFICATION
    reason_required = True
    result: str

    def check_step(self):
        nc = self.obj
        if self.actor.pk in fixers(nc):
            refuse_duty("verify_own")
        named = nc.verifier_id in (None, self.actor.pk)
        if not named and not self.actor.has_perm("improvement.triage_nonconformity"):
            raise ActionRefused(f"{nc.verifier} is to verify {nc.reference}.")

    def record(self):
        nc = self.obj
        return Verification.objects.create(
            nonconformity=nc,
            analysis_round=nc.analysis_round,
            criteria=nc.verification_criteria,
            result=self.result,
            evidence=self.reason,
            verified_by=self.actor,
            verified_on=timezone.localdate(),
        )


class VerifyEffective(Verify):
    """Effective: the nonconformity is closed, and the closure signed."""

    code = "effective"
    label = "Verified effective: close"
    needs_signature = True
    result = Verification.Result.EFFECTIVE

    def check_step(self):
        super().check_step()
        nc = self.obj
        still_open = nc.actions.live().filter(status=CorrectiveAction.Status.OPEN)  # any round
        if still_open.exists():
            references = ", ".join(still_open.values_list("reference", flat=True)[:5])
            raise ActionRefused(f"Finish or cancel the open actions first: {references}.")
        if nc.kind == Nonconformity.Kind.OUTPUT and not nc.disposition:
            raise ActionRefused("Decide the disposition of the nonconforming output first (8.7).")
        if nc.method == Nonconformity.Method.EIGHT_D:
            require_disciplines(nc, FIX_DISCIPLINES)

    def apply(self):
        confirm_identity(self.actor, self.data.get("password", ""), self.data.get("otp_token", ""))
        today = timezone.localdate()
        self.record()
        for step in self.obj.eight_d_steps.filter(discipline=Discipline.D8):
            step.done_on, step.done_by, step.notes = today, self.actor, self.reason
            step.save()
        self.move(NC.CLOSED, closed_on=today, due_date=None)
        add_signature(self.obj, self.actor, SignatureMeaning.VERIFIED, self.reason)
        return self.obj


class VerifyNotEffective(Verify):
    """Not effective: back to analysis for a new round, with new causes and actions."""

    code = "not-effective"
    label = "Not effective: analyse again"
    result = Verification.Result.NOT_EFFECTIVE

    def apply(self):
        self.record()
        # The cause was not the one, or the fix not enough: D4 to D7 are done again.
        for step in self.obj.eight_d_steps.filter(
            discipline__in=range(4, 8), done_on__isnull=False
        ):
            step.done_on, step.done_by = None, None
            step.save()
        return self.move(
            NC.ANALYSIS,
            analysis_round=self.obj.analysis_round + 1,
            verifier=None,
            verification_due=None,
            due_date=None,
        )


class CancelNonconformity(Action):
    """Not a nonconformity after all, or a duplicate: cancelled with a signed reason."""

    code = "cancel"
    label = "Cancel"
    permission = "improvement.triage_nonconformity"
    reason_required = True
    needs_signature = True

    def check_rules(self):
        if not self.obj.is_open:
            raise ActionRefused(f"{self.obj.reference} is already {self.obj.get_status_display()}.")

    def apply(self):
        confirm_identity(self.actor, self.data.get("password", ""), self.data.get("otp_token", ""))
        for action in self.obj.actions.filter(status=CorrectiveAction.Status.OPEN):
            before = snapshot(action)
            action.status = CorrectiveAction.Status.CANCELLED
            self.save(action)
            record_change(
                action, self.code, before=before, after=snapshot(action), reason=self.reason
            )
        self.obj.status = NC.CANCELLED
        self.obj.due_date = None
        self.save(self.obj)
        add_signature(self.obj, self.actor, SignatureMeaning.APPROVED, self.reason)
        return self.obj


NONCONFORMITY_ACTIONS = [
    Triage,
    DecideDisposition,
    StartAnalysis,
    CompleteAnalysis,
    StartImplementation,
    MarkImplemented,
    VerifyEffective,
    VerifyNotEffective,
    CancelNonconformity,
]


# -- corrective actions --------------------------------------------------------------------
def require_owner_or(right, action):
    """Whoever owns an action may report it done, whatever their role; others need `right`."""
    if action.obj.owner_id != action.actor.pk and not action.actor.has_perm(right):
        raise NotPermitted(
            f"Only {action.obj.owner or 'its owner'} or the quality team may do this."
        )


class CompleteCorrectiveAction(Action):
    """Done, with the evidence that shows it: by its owner, or someone who manages actions."""

    code = "done"
    label = "Mark as done"
    fields = ("evidence",)

    def check_rules(self):
        require_owner_or("improvement.change_correctiveaction", self)
        if refusal := self.obj.edit_refusal():
            raise ActionRefused(refusal)

    def apply(self):
        self.set_fields()
        self.obj.status = CorrectiveAction.Status.DONE
        self.obj.completed_on = timezone.localdate()
        self.obj.completed_by = self.actor
        return self.save(self.obj)


class CancelCorrectiveAction(Action):
    code = "cancel"
    label = "Cancel"
    permission = "improvement.change_correctiveaction"
    reason_required = True

    def check_rules(self):
        if refusal := self.obj.edit_refusal():
            raise ActionRefused(refusal)

    def apply(self):
        self.obj.status = CorrectiveAction.Status.CANCELLED
        return self.save(self.obj)


# -- improvements ---------------------------------------------------------------------------
class DecideImprovement(Action):
    permission = "improvement.decide_improvement"
    reason_required = True  # the evaluation

    def check_rules(self):
        if self.obj.status != Improvement.Status.PROPOSED:
            raise ActionRefused(f"{self.obj.reference} has been decided already.")

    def decide(self, status):
        self.obj.status = status
        self.obj.evaluation = self.reason
        self.obj.decided_on = timezone.localdate()
        return self.save(self.obj)


class AcceptImprovement(DecideImprovement):
    """Taken up: someone owns it, by a date."""

    code = "accept"
    label = "Take it up"
    fields = ("owner", "due_date")

    def apply(self):
        self.set_fields()
        return self.decide(Improvement.Status.ACCEPTED)


class RejectImprovement(DecideImprovement):
    code = "reject"
    label = "Decline"

    def apply(self):
        return self.decide(Improvement.Status.REJECTED)


class CompleteImprovement(Action):
    """Implemented, with the benefit it brought: by its owner or whoever manages them."""

    code = "done"
    label = "Implemented"
    fields = ("realised_benefit",)

    def check_rules(self):
        require_owner_or("improvement.change_improvement", self)
        if self.obj.status != Improvement.Status.ACCEPTED:
            raise ActionRefused("Only an improvement that was taken up can be implemented.")

    def apply(self):
        self.set_fields()
        self.obj.status = Improvement.Status.DONE
        self.obj.implemented_on = timezone.localdate()
        self.obj.due_date = None
        return self.save(self.obj)
