"""A finding's life: issued (a major or minor nonconformity opens its nonconformity, with
the audit as its source), acknowledged or disputed by the auditee, withdrawn by the auditor,
and an opportunity for improvement taken into the improvement register."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from norma.audits.models import Audit, ChecklistItem, Finding, Grade, Interview
from norma.audits.models.fieldwork import lock_audit
from norma.core.actions import Action, ActionRefused, CreateRecord, NotPermitted, Transition
from norma.improvement.actions import raise_nonconformity
from norma.improvement.models import Improvement, Nonconformity

F = Finding.Status


class CreateAuditPart(CreateRecord):
    """A checklist item, interview or finding is added by the audit team while the audit
    is open, and is placed where the audit is (so it is read by whoever reads the audit)."""

    def check_rules(self):
        audit = self.data.get("audit")
        if not isinstance(audit, Audit):
            return
        if audit.is_locked:
            raise ActionRefused(
                f"{audit.reference} is {audit.get_status_display().lower()}: nothing more is "
                "added to it."
            )
        if refusal := audit.edit_refusal_for(self.actor):
            raise NotPermitted(refusal)
        lock_audit(audit.pk)  # nothing is added while the report is being signed

    def apply(self):
        audit = self.data.get("audit")
        if isinstance(audit, Audit):
            self.data["site"], self.data["department"] = audit.site, audit.department
        return super().apply()


class AddChecklistItem(CreateAuditPart):
    def __init__(self, actor, model=ChecklistItem, **kwargs):
        super().__init__(actor, model, **kwargs)


class AddInterview(CreateAuditPart):
    def __init__(self, actor, model=Interview, **kwargs):
        super().__init__(actor, model, **kwargs)


class AddFinding(CreateAuditPart):
    """A finding is addressed to the owner of the process it is about, who answers for it."""

    def __init__(self, actor, model=Finding, **kwargs):
        super().__init__(actor, model, **kwargs)

    def apply(self):
        process = self.data.get("process")
        if not self.data.get("owner") and process is not None:
            self.data["owner"] = process.owner
        return super().apply()


class FindingStep(Transition):
    permission = "audits.change_finding"

    auditors_only = True  # the audit team's step; the auditees' answers are not

    def check_step(self):
        if self.auditors_only:
            if self.obj.audit.is_locked:
                raise ActionRefused(f"{self.obj.audit.reference}'s report is signed.")
            if refusal := self.obj.audit.edit_refusal_for(self.actor):
                raise NotPermitted(refusal)
        self.check_finding()

    def check_finding(self):
        """What else must be true."""


class IssueFinding(FindingStep):
    """Issue the finding to the auditee; a major or minor nonconformity opens its
    nonconformity in the improvement workflow."""

    code = "issue"
    label = "Issue the finding"
    sources = (F.DRAFT,)
    target = F.ISSUED

    def check_finding(self):
        if self.obj.is_nonconformity and not self.actor.has_perm("improvement.add_nonconformity"):
            raise NotPermitted("You do not have the right to open a nonconformity.")

    def prepare(self):
        finding = self.obj
        finding.due_date = timezone.localdate() + timedelta(
            days=settings.NORMA_FINDING_ACKNOWLEDGE_DAYS
        )
        if not finding.is_nonconformity:
            return
        audit = finding.audit
        finding.nonconformity = raise_nonconformity(
            self.actor,
            finding,
            title=finding.title,
            description=(
                f"{finding.get_grade_display()} found by internal audit {audit.reference} "
                f"against {finding.clause.ref}.\n\nRequirement: {finding.requirement}\n\n"
                f"Evidence: {finding.evidence}"
            ),
            source="internal_audit",
            severity=Nonconformity.Severity.MAJOR
            if finding.grade == Grade.MAJOR
            else Nonconformity.Severity.MINOR,
            kind=Nonconformity.Kind.PROCESS if finding.process_id else Nonconformity.Kind.SYSTEM,
            process=finding.process,
            site=finding.site,
            department=finding.department,
        )


def answers_for(person, finding) -> bool:
    """The finding's owner or an auditee of its audit answers for it; never an auditor."""
    if finding.audit.is_on_team(person):
        return False
    if finding.owner_id == person.pk:
        return True
    return finding.audit.auditees.filter(pk=person.pk).exists()


class AuditeeAnswer(FindingStep):
    permission = None  # an auditee answers whatever their role
    auditors_only = False
    sources = (F.ISSUED,)
    optional_fields = ("auditee_response",)

    def check_finding(self):
        if not answers_for(self.actor, self.obj):
            raise NotPermitted(
                f"Only the auditees of {self.obj.audit.reference} or the owner of the "
                "finding answer it."
            )

    def prepare(self):
        self.obj.acknowledged_by = self.actor
        self.obj.acknowledged_at = timezone.now()
        self.obj.due_date = None


class AcknowledgeFinding(AuditeeAnswer):
    code = "acknowledge"
    label = "Acknowledge the finding"
    target = F.ACKNOWLEDGED


class DisputeFinding(AuditeeAnswer):
    """The auditee does not agree: the reason stands in the report as a diverging opinion."""

    code = "dispute"
    label = "Dispute the finding"
    target = F.DISPUTED
    fields = ("auditee_response",)
    optional_fields = ()


class WithdrawFinding(FindingStep):
    code = "withdraw"
    label = "Withdraw the finding"
    reason_required = True
    sources = (F.DRAFT, F.ISSUED)
    target = F.WITHDRAWN

    def check_finding(self):
        if self.obj.nonconformity_id:
            raise ActionRefused(
                f"{self.obj.nonconformity.reference} was opened from this finding: cancel "
                "it in the nonconformity workflow instead."
            )

    def prepare(self):
        self.obj.due_date = None


class OpenImprovement(Action):
    """An opportunity for improvement goes to the improvement register, once."""

    code = "open-improvement"
    label = "Open an improvement"
    permission = "improvement.add_improvement"

    def check_rules(self):
        if not self.actor.has_perm("audits.change_finding"):
            raise NotPermitted("You do not have the right to open an improvement from it.")
        if refusal := self.obj.audit.edit_refusal_for(self.actor):
            raise NotPermitted(refusal)
        if self.obj.grade != Grade.OFI:
            raise ActionRefused("Only an opportunity for improvement opens an improvement.")
        if self.obj.status not in (F.ISSUED, F.ACKNOWLEDGED):
            raise ActionRefused("Issue the finding first.")
        if self.obj.improvement_id:
            raise ActionRefused(f"{self.obj.reference} already has its improvement.")

    def apply(self):
        finding = self.obj
        self.obj.improvement = CreateRecord(
            self.actor,
            Improvement,
            data={
                "title": finding.title,
                "description": f"{finding.requirement}\n\n{finding.evidence}",
                "source": Improvement.Source.AUDIT,
                "process": finding.process,
                "origin": finding,
                "owner": finding.owner,
                "site": finding.site,
            },
        ).execute()
        return self.save(self.obj)


FINDING_ACTIONS = [
    IssueFinding,
    AcknowledgeFinding,
    DisputeFinding,
    OpenImprovement,
    WithdrawFinding,
]
