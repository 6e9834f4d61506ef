"""The certification cycle's page: where it stands, its schedule as a timeline, the audit time
and cost, and the registrar's audits."""

import datetime
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.utils import timezone

from norma.certification import cockpit, rules
from norma.certification.flags import cycle_flags
from norma.certification.models import CertificationCycle, ExternalAudit
from norma.certification.registers import (
    CertificationCycleRegister,
    ExternalAuditRegister,
    ExternalFindingRegister,
)
from norma.reports import charts
from norma.standards import readiness

TONE = {"done": "ok", "due": "brand", "overdue": "bad", "window": "warn", "record": "warn"}


@dataclass(frozen=True)
class Milestone:
    label: str
    day: datetime.date | None
    state: str  # done, due, overdue, window

    @property
    def tone(self) -> str:
        return TONE[self.state]


def _step(label: str, held: datetime.date | None, due: datetime.date | None, today) -> Milestone:
    if held:
        return Milestone(label, held, "done")
    return Milestone(f"{label} due by", due, "overdue" if due and today > due else "due")


def milestones(cycle: CertificationCycle, audits: list, today: datetime.date) -> list[Milestone]:
    """The cycle's schedule: what was held, and the latest day of what is still to come."""
    held = {kind: [] for kind in ExternalAudit.Kind.values}
    for audit in audits:
        if audit.status == ExternalAudit.Status.HELD:
            held[audit.kind].append(audit.end_date)
    steps = []
    if cycle.previous_cycle_id is None:
        for kind, label, planned in (
            ("stage_1", "Stage 1", cycle.stage_1_date),
            ("stage_2", "Stage 2", cycle.stage_2_date),
        ):
            day = min(held[kind], default=None)
            if day or cycle.decision_date:
                state = "done"
            else:  # a planned date gone by: the audit took place, or it slipped
                state = "record" if planned and planned < today else "due"
            steps.append(Milestone(label, day or planned, state))
    else:
        day = min(held["recertification"], default=None)
        steps.append(Milestone("Recertification audit", day, "done" if day else "due"))
    if cycle.decision_date is None:
        return steps
    dates = rules.cycle_dates(cycle.decision_date)
    expiry = cycle.expiry_date or dates.expiry
    surveillances = sorted(held["surveillance"])
    second_due = datetime.date(
        (surveillances[0] if surveillances else dates.surveillance_1_due).year + 1, 12, 31
    )
    steps += [
        Milestone("Certification decision", cycle.decision_date, "done"),
        _step(
            "Surveillance 1",
            surveillances[0] if surveillances else None,
            dates.surveillance_1_due,
            today,
        ),
    ]
    if second_due.year < expiry.year:
        steps.append(
            _step(
                "Surveillance 2",
                surveillances[1] if len(surveillances) > 1 else None,
                second_due,
                today,
            )
        )
    renewed = getattr(cycle, "next_cycle", None)
    decided = renewed.decision_date if renewed else None
    steps += [
        _step("Recertification decision", decided, expiry, today),
        Milestone("Certificate expires", expiry, "window" if today > expiry else "due"),
        Milestone(
            "Restorable until",
            rules.add_months(expiry, rules.RESTORATION_MONTHS),
            "window",
        ),
    ]
    return steps


def cycle_context(cycle: CertificationCycle, person) -> dict:
    today = timezone.localdate()
    audits = list(
        ExternalAuditRegister.queryset_for(person)
        .live()
        .filter(cycle=cycle)
        .order_by("start_date")
        .prefetch_related("sites")
    )
    steps = milestones(cycle, audits, today)
    findings = list(
        ExternalFindingRegister.queryset_for(person)
        .live()
        .filter(external_audit__cycle=cycle)
        .order_by("external_audit__start_date", "pk")
    )
    time = cycle.audit_time
    warnings = [*time.warnings, *cycle.certification_body.accreditation_warnings(today)]
    if cycle.decision_date:
        warnings += rules.cycle_dates(cycle.decision_date).warnings
    budget = rules.cycle_budget(time, cycle.day_rate) if cycle.day_rate else None
    return {
        "standing": cycle.standing_on(today),
        "milestones": steps,
        "timeline": charts.timeline(
            [(m.label, m.day, m.tone) for m in steps],
            today=today,
            title=f"Schedule of {cycle.reference}",
            desc="; ".join(f"{m.label} {m.day:%Y-%m-%d}" for m in steps if m.day),
        ),
        "audit_time": time,
        "sample": _sample(cycle),
        "budget": f"{float(budget):,.0f}" if budget is not None else None,
        "day_rate": f"{float(cycle.day_rate):,.0f}" if cycle.day_rate else "",
        "external_audits": audits,
        "findings": findings,
        "flags": cycle_flags(cycle, audits, findings, today),
        "warnings": warnings,
    }


def _sample(cycle) -> dict | None:
    """IAF MD 1 sample sizes for the sites besides the central function, when eligible."""
    others = len(cycle.other_sites())
    return rules.site_sample(others) if others > 1 else None


@login_required
@permission_required("certification.view_certificationcycle", raise_exception=True)
def cockpit_page(request):
    """The road to the certificate: the roadmap, and readiness for stage 1 and stage 2."""
    report = readiness.evaluate(request.user)
    stages = cockpit.stage_readiness(request.user, report)
    steps = cockpit.roadmap(request.user, report, stages)
    done = sum(step.state == cockpit.DONE for step in steps)
    cycles = CertificationCycleRegister.queryset_for(request.user).filter(
        status__in=(CertificationCycle.Status.PLANNED, CertificationCycle.Status.CERTIFIED)
    )
    return render(
        request,
        "certification/cockpit.html",
        {
            "roadmap": steps,
            "done": done,
            "progress": charts.progress_bar(
                done, len(steps), title="Roadmap", label=f"{done} of {len(steps)} milestones"
            ),
            "stages": stages,
            "score": report.score,
            "cycles": cycles,
        },
    )
