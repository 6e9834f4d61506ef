"""A registrar's finding becomes work: a major or minor nonconformity opens a nonconformity
due when the registrar wants the answer; the registrar's verification closes the finding."""

from django.utils import timezone

from norma.certification.models import ExternalFinding
from norma.core.actions import CreateRecord, NotPermitted, Transition
from norma.improvement.actions import raise_nonconformity
from norma.improvement.models import Nonconformity


def open_nonconformity(actor, finding: ExternalFinding) -> Nonconformity:
    audit = finding.external_audit
    cited = f" against {finding.clause_ref}" if finding.clause_ref else ""
    nc = raise_nonconformity(
        actor,
        finding,
        title=finding.title,
        description=(
            f"{finding.get_grade_display()} found by the registrar at {audit.reference} "
            f"({audit.get_kind_display().lower()}){cited}, to be answered by "
            f"{finding.response_due:%-d %B %Y}.\n\n{finding.statement}"
        ),
        source="external_audit",
        severity=Nonconformity.Severity.MAJOR
        if finding.grade == ExternalFinding.Grade.MAJOR
        else Nonconformity.Severity.MINOR,
        kind=Nonconformity.Kind.SYSTEM,
        due_date=max(finding.response_due, timezone.localdate()),
        owner=finding.owner,
        site=finding.site,
    )
    ExternalFinding.objects.filter(pk=finding.pk).update(nonconformity=nc)
    finding.nonconformity = nc
    return nc


class RecordFinding(CreateRecord):
    """A finding is recorded from the registrar's report; a nonconformity opens with it."""

    def __init__(self, actor, model=ExternalFinding, **kwargs):
        super().__init__(actor, model, **kwargs)

    def check_rules(self):
        grade = self.data.get("grade")
        if grade in ExternalFinding.NONCONFORMITIES and not self.actor.has_perm(
            "improvement.add_nonconformity"
        ):
            raise NotPermitted("You do not have the right to open a nonconformity.")

    def apply(self):
        finding = super().apply()
        if finding.is_nonconformity:
            open_nonconformity(self.actor, finding)
        return finding


class RecordVerification(Transition):
    """The registrar verified the correction and corrective action."""

    code = "record-verification"
    label = "Record the registrar's verification"
    permission = "certification.change_externalfinding"
    sources = (ExternalFinding.Status.OPEN,)
    target = ExternalFinding.Status.VERIFIED
    fields = ("verified_on",)


FINDING_ACTIONS = [RecordVerification]
