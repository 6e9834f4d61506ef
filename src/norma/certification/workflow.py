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
        held = self.held_kinds()
        if self.obj.previous_cycle_id is None:
            missing = [k for k in ("stage_1", "stage_2") if k not in held]
        else:
            missing = [] if held & {"recertification", "stage_2"} else ["recertification"]
        if missing:
            label = " and ".join(ExternalAudit.Kind(k).label.lower() for k in missing)
            raise ActionRefused(f"Record the {label} audit as held before the decision.")
        self.check_majors(("stage_2", "recertification"))

    def held_kinds(self) -> set[str]:
        return {a.kind for a in self.obj.external_audits.live() if a.status == A.HELD}

    def check_majors(self, kinds):
        findings = (
            ExternalFinding.objects.live()
            .filter(external_audit__cycle=self.obj, external_audit__kind__in=kinds)
            .select_related("external_audit")
        )
        majors = [f for kind in kinds for f in unverified_majors(findings, kind)]
        if majors:
            raise ActionRefused(
                f"Major nonconformity {', '.join(f.reference for f in majors)} is not verified "
                "by the registrar yet: a certificate is decided only once it is."
            )
        deadline = stage_2_deadline(list(self.obj.external_audits.live()))
        late = [
            f
            for f in findings
            if f.external_audit.kind == "stage_2"
            and f.grade == "major"
            and deadline
            and f.verified_on
            and f.verified_on > deadline
        ]
        if late:
            raise ActionRefused(
                f"Major nonconformity {late[0].reference} was verified more than six months "
                "after stage 2: stage 2 must be repeated before the decision."
            )

    def prepare(self):
        cycle = self.obj
        held = [a for a in cycle.external_audits.live() if a.status == A.HELD]
        last_day = max((a.end_date for a in held), default=None)
        if last_day and cycle.decision_date < last_day:
            raise InvalidInput(
                "Some fields are not valid.",
                {"decision_date": [f"The decision follows the last audit day ({last_day})."]},
            )
        # More than six months after expiry: certified again from a stage 2 at least.
        late = cycle.previous_cycle_id and not cycle.renews_in_time()
        if late and "stage_2" not in {a.kind for a in held}:
            raise ActionRefused(
                "The certificate being renewed expired more than six months before this "
                "decision: a stage 2 audit is needed, not only a recertification audit."
            )
        if not cycle.expiry_date:
            cycle.expiry_date = cycle.default_expiry()

    def apply(self):
        cycle = super().apply()
        previous = cycle.previous_cycle if cycle.previous_cycle_id else None
        if previous and previous.status != C.CLOSED:
            self.change_related(previous, close_renewed, "close")
        return cycle


def close_renewed(cycle):
    cycle.status = C.CLOSED


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
