"""Clause checks for operations: 7.1.5 (no equipment in use past its calibration, each
traceable), 8.4.1 (every approved supplier evaluated within its interval) and 9.1.2
(customer satisfaction measured in the last period)."""

from django.conf import settings
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from norma.documents.models import add_months
from norma.operations.models import Calibration, Instrument, Supplier, Survey
from norma.standards.readiness import CheckResult, Evidence, Status, clause_check
from norma.standards.readiness import counted as _n
from norma.standards.readiness import first_references as _refs

EQ = Instrument.Status


def _list(name: str, label: str, query: str = "") -> list[Evidence]:
    url = reverse(f"operations:{name}_list")
    return [Evidence(label, f"{url}?{query}" if query else url)]


@clause_check("7.1.5")
def equipment_calibrated(person):
    """7.1.5.2: no instrument in service past its calibration due date or never calibrated,
    and each has its traceability basis recorded."""
    today = timezone.localdate()
    in_service = Instrument.objects.live().filter(status=EQ.IN_SERVICE)
    overdue = in_service.filter(Q(due_date__lt=today) | Q(due_date__isnull=True))
    untraced = in_service.filter(
        traceability=Instrument.Traceability.RECORDED, traceability_basis=""
    )
    impact = Calibration.objects.live().filter(
        status=Calibration.Status.IMPACT_OPEN, due_date__lt=today
    )
    counts = in_service.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(due_date__lt=today) | Q(due_date__isnull=True)),
        untraced=Count(
            "pk",
            filter=Q(traceability=Instrument.Traceability.RECORDED, traceability_basis=""),
        ),
    )
    evidence = _list("instrument", "Measuring instruments", "status=in_service&sort=due_date")
    if not counts["total"]:
        return CheckResult(
            Status.MISSING,
            "No measuring instrument in service is recorded: if results are relied on, the "
            "equipment and its calibration must be.",
            evidence,
        )
    problems = []
    if n := counts["overdue"]:
        problems.append(
            f"{_n(n, 'instrument in service is past its', 'instruments in service are past their')}"
            f" calibration or never calibrated: {_refs(overdue.order_by('due_date'), person)}"
        )
    if n := counts["untraced"]:
        problems.append(
            f"{_n(n, 'instrument has', 'instruments have')} no recorded traceability basis: "
            f"{_refs(untraced, person)}"
        )
    if n := impact.count():
        problems.append(
            f"{_n(n, 'out-of-tolerance result has', 'out-of-tolerance results have')} an "
            f"overdue impact assessment: {_refs(impact.order_by('due_date'), person)}"
        )
    if problems:
        return CheckResult(Status.PARTLY_MET, "; ".join(problems) + ".", evidence)
    return CheckResult(
        Status.MET,
        f"{_n(counts['total'], 'instrument in service is', 'instruments in service are')} "
        "calibrated within their intervals, each traceable.",
        evidence,
    )


@clause_check("8.4.1")
def suppliers_evaluated(person):
    """8.4.1: every approved supplier evaluated within its re-evaluation interval."""
    today = timezone.localdate()
    approved = Supplier.objects.live().filter(status__in=Supplier.USABLE)
    lapsed = approved.filter(Q(due_date__lt=today) | Q(last_evaluated_on__isnull=True))
    failing = approved.filter(last_score__lt=F("scorecard__conditional_at"))
    counts = approved.aggregate(
        total=Count("pk"),
        lapsed=Count("pk", filter=Q(due_date__lt=today) | Q(last_evaluated_on__isnull=True)),
        failing=Count("pk", filter=Q(last_score__lt=F("scorecard__conditional_at"))),
    )
    evidence = _list("supplier", "Suppliers", "sort=due_date")
    if not counts["total"]:
        return CheckResult(
            Status.MISSING,
            "No approved supplier is recorded, so nothing shows how external providers are "
            "chosen and monitored.",
            evidence,
        )
    problems = []
    if n := counts["lapsed"]:
        oldest = lapsed.order_by(F("due_date").asc(nulls_first=True))
        problems.append(
            f"{_n(n, 'approved supplier is', 'approved suppliers are')} not evaluated within "
            f"their interval: {_refs(oldest, person)}"
        )
    if n := counts["failing"]:
        problems.append(
            f"{_n(n, 'approved supplier scored', 'approved suppliers scored')} below the "
            f"conditional mark at their latest evaluation: {_refs(failing, person)}"
        )
    if problems:
        return CheckResult(Status.PARTLY_MET, "; ".join(problems) + ".", evidence)
    return CheckResult(
        Status.MET,
        f"{_n(counts['total'], 'approved supplier is', 'approved suppliers are')} evaluated "
        "within their re-evaluation intervals.",
        evidence,
    )


@clause_check("9.1.2")
def satisfaction_measured(person):
    """9.1.2: a satisfaction survey closed within the last period (12 months by default)."""
    months = settings.NORMA_SATISFACTION_PERIOD_MONTHS
    since = add_months(timezone.localdate(), -months)
    closed = Survey.objects.live().filter(status=Survey.Status.CLOSED)
    recent = closed.filter(closed_on__gte=since).order_by("-closed_on", "-id")
    shown = recent.visible_to(person).first()  # named only to those who may read it
    recent = shown or recent.first()
    evidence = [
        *_list("survey", "Satisfaction surveys"),
        Evidence("Customer feedback", reverse("operations:feedback")),
    ]
    if recent is None:
        last = closed.order_by("-closed_on").first()
        when = f" (the last closed on {last.closed_on})" if last else ""
        return CheckResult(
            Status.MISSING,
            f"Customer satisfaction has not been measured in the last {months} months{when}.",
            evidence,
        )
    figures = [_n(recent.response_count, "response", "responses")]
    if recent.csat is not None:
        figures.append(f"CSAT {recent.csat} %")
    if recent.nps is not None:
        figures.append(f"NPS {recent.nps}")
    if shown is None:
        return CheckResult(
            Status.MET,
            f"Satisfaction was measured by a survey closed on {recent.closed_on}, at sites "
            "outside yours.",
            evidence,
        )
    return CheckResult(
        Status.MET,
        f"Satisfaction measured by {recent.reference}, closed on {recent.closed_on}: "
        f"{', '.join(figures)}.",
        evidence,
    )
