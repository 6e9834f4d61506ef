"""The steps of a certification cycle and of an external audit: the registrar's decision
issues the certificate, a cycle closes when renewed or given up; an audit is held or
cancelled."""

from django.utils import timezone

from norma.certification import rules
from norma.certification.flags import stage_2_deadline, unverified_majors
from norma.certification.models import (
    CertificationBody,
    CertificationCycle,
    ExternalAudit,
    ExternalFinding,
)
from norma.core.actions import Action, ActionRefused, InvalidInput, Transition

C = CertificationCycle.Status
A = ExternalAudit.Status


B = CertificationBody.Status


class StopUsingBody(Transition):
    code = "stop-using"
    label = "No longer use this registrar"
    permission = "certification.change_certificationbody"
    reason_required = True
    sources = (B.ACTIVE,)
    target = B.FORMER


class UseBodyAgain(Transition):
    code = "use-again"
    label = "Use this registrar again"
    permission = "certification.change_certificationbody"
    sources = (B.FORMER,)
    target = B.ACTIVE


BODY_ACTIONS = [StopUsingBody, UseBodyAgain]


class RecordCertificationDecision(Transition):
    """The registrar decided to certify: the certificate's number and dates start the cycle."""

    code = "record-decision"
    label = "Record the certification decision"
    permission = "certification.change_certificationcycle"
    sources = (C.PLANNED,)
    target = C.CERTIFIED
    fields = ("decision_date", "certificate_number")
    optional_fields = ("issue_date", "expiry_date")

    def check_step(self):
        audits = list(self.obj.external_audits.all())
        held = {a.kind for a in audits if a.status == A.HELD}
        needed = "recertification" if self.obj.previous_cycle_id else "stage_2"
        if needed not in held:
            label = ExternalAudit.Kind(needed).label.lower()
            raise ActionRefused(f"Record the {label} audit as held before the decision.")
        findings = ExternalFinding.objects.filter(external_audit__cycle=self.obj)
        majors = unverified_majors(findings.select_related("external_audit"), needed)
        if majors:
            raise ActionRefused(
                f"Major nonconformity {', '.join(f.reference for f in majors)} is not verified "
                "by the registrar yet: a certificate is decided only once it is."
            )
        deadline = stage_2_deadline(audits)
        if needed == "stage_2" and deadline:
            late = [
                f
                for f in findings.filter(grade="major", external_audit__kind="stage_2")
                if f.verified_on and f.verified_on > deadline
            ]
            if late:
                raise ActionRefused(
                    f"Major nonconformity {late[0].reference} was verified more than six months "
                    "after stage 2: stage 2 must be repeated before the decision."
                )

    def prepare(self):
        last_day = max(
            (a.end_date for a in self.obj.external_audits.all() if a.status == A.HELD),
            default=None,
        )
        if last_day and self.obj.decision_date < last_day:
            raise InvalidInput(
                "Some fields are not valid.",
                {"decision_date": [f"The decision follows the last audit day ({last_day})."]},
            )


class CloseCycle(Transition):
    code = "close"
    label = "Close the cycle"
    permission = "certification.change_certificationcycle"
    reason_required = True
    sources = (C.PLANNED, C.CERTIFIED)
    target = C.CLOSED


CYCLE_ACTIONS = [RecordCertificationDecision, CloseCycle]


class HoldAudit(Transition):
    """The registrar's audit took place; its report is attached to the record."""

    code = "hold"
    label = "Record the audit as held"
    permission = "certification.change_externalaudit"
    sources = (A.PLANNED,)
    target = A.HELD
    optional_fields = ("summary",)

    def check_step(self):
        if self.obj.end_date > timezone.localdate():
            raise ActionRefused(
                f"The audit runs until {self.obj.end_date:%-d %B %Y}: record it as held after."
            )


class CancelAudit(Transition):
    code = "cancel"
    label = "Cancel the audit"
    permission = "certification.change_externalaudit"
    reason_required = True
    sources = (A.PLANNED,)
    target = A.CANCELLED


SAMPLE_FOR = {
    "stage_1": "initial",
    "stage_2": "initial",
    "surveillance": "surveillance",
    "recertification": "recertification",
}


class DrawSites(Action):
    """Draw the sites the audit visits (IAF MD 1): the auditors' choices on risk first, the
    rest at random, at least a quarter of the sample at random; the central function always."""

    code = "draw-sites"
    label = "Draw the sites to visit"
    permission = "certification.change_externalaudit"

    def check_rules(self):
        if self.obj.status != A.PLANNED:
            raise ActionRefused("Sites are drawn for a planned audit.")
        if self.obj.kind not in SAMPLE_FOR:
            raise ActionRefused("A special audit visits the sites its reason calls for.")
        if len(self.obj.cycle.other_sites()) <= 1:
            raise ActionRefused(
                "Sampling needs more than one site besides the central function: "
                "every site is visited."
            )

    def apply(self):
        cycle = self.obj.cycle
        others = cycle.other_sites()
        size = rules.site_sample(len(others))[SAMPLE_FOR[self.obj.kind]]
        chosen = [site for site in self.obj.sites.all() if site in others]
        picked = rules.pick_sites(others, size, chosen=chosen)
        visited = [*picked, *([cycle.central_site] if cycle.central_site else [])]
        self.obj.sites.set(visited)
        return self.save(self.obj)

    def logged_values(self, before):
        before, after = super().logged_values(before)
        after["sites"] = sorted(site.code for site in self.obj.sites.all())
        return before, after


AUDIT_ACTIONS = [HoldAudit, CancelAudit, DrawSites]
