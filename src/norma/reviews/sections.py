"""The inputs of a management review (9.3.2), each read from the registers for the period
under review: a short summary, its figures, a chart and the records worth naming.

Every builder is a handful of aggregate queries over the whole organisation (management
reviews the system, not one person's scope), so a year of a large organisation takes seconds.
A builder says plainly when the data it needs is missing: that is a finding in itself.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Avg, Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from norma.core.templatetags.norma import number
from norma.reports import charts

LISTED = 10  # records named under an input; the registers hold the rest


@dataclass
class Period:
    start: datetime.date
    end: datetime.date

    @property
    def since(self) -> datetime.datetime:
        """The first moment of the period, for date-time fields."""
        return timezone.make_aware(datetime.datetime.combine(self.start, datetime.time.min))

    @property
    def until(self) -> datetime.datetime:
        """The first moment after the period."""
        after = self.end + datetime.timedelta(days=1)
        return timezone.make_aware(datetime.datetime.combine(after, datetime.time.min))

    def days(self, name: str) -> Q:
        return Q(**{f"{name}__range": (self.start, self.end)})

    def moments(self, name: str) -> Q:
        return Q(**{f"{name}__gte": self.since, f"{name}__lt": self.until})

    def months(self) -> list[datetime.date]:
        first, months = self.start.replace(day=1), []
        while first <= self.end:
            months.append(first)
            first = (first + datetime.timedelta(days=32)).replace(day=1)
        return months

    def counted_per_month(self, rows, field: str) -> list[tuple[str, int]]:
        """Rows per month of a date-time field, counted by the database in local time."""
        counted = (
            rows.annotate(month=TruncMonth(field))
            .values("month")
            .annotate(n=Count("id"))
            .values_list("month", "n")
        )
        counts = Counter()
        for month, n in counted:
            counts[month.date() if isinstance(month, datetime.datetime) else month] += n
        return [(month.strftime("%b %y"), counts.get(month, 0)) for month in self.months()]

    def per_month(self, days) -> list[tuple[str, int]]:
        counts = Counter(day.replace(day=1) for day in days)
        return [(month.strftime("%b %y"), counts.get(month, 0)) for month in self.months()]


@dataclass
class Section:
    summary: str
    figures: list = field(default_factory=list)  # (label, value)
    chart: str = ""
    details: list = field(default_factory=list)  # (text, reference or "")
    missing: bool = False


def plural(count: int, word: str, many: str = "") -> str:
    return f"{count:,} {word if count == 1 else many or word + 's'}"


def named(rows, text=lambda row: row.title) -> list[tuple[str, str]]:
    return [(f"{row.reference}: {text(row)}", row.reference) for row in rows[:LISTED]]


def previous_actions(review, period: Period) -> Section:
    from norma.reviews.models import ReviewDecision

    S = ReviewDecision.Status
    earlier = (
        ReviewDecision.objects.live()
        .filter(review__planned_date__lt=review.planned_date)
        .exclude(review=review)
        .exclude(review__status="cancelled")
    )
    if not earlier.exists():
        return Section(
            "No earlier management review recorded decisions: there is nothing to follow up "
            "yet. This is expected of a first review."
        )
    followed = earlier.filter(Q(status=S.OPEN) | Q(completed_on__gte=period.start))
    today = timezone.localdate()
    rows = list(followed.select_related("review", "owner").order_by("due_date", "pk"))
    done = [r for r in rows if r.status == S.DONE]
    late = [r for r in done if r.done_late]
    still_open = [r for r in rows if r.status == S.OPEN]
    overdue = [r for r in still_open if r.due_date < today]
    cancelled = [r for r in rows if r.status == S.CANCELLED]
    summary = (
        f"Of {plural(len(rows), 'action')} from earlier reviews followed in this period, "
        f"{len(done):,} {'was' if len(done) == 1 else 'were'} done ({len(late):,} late), "
        f"{len(still_open):,} {'is' if len(still_open) == 1 else 'are'} still open "
        f"({len(overdue):,} overdue) and {len(cancelled):,} cancelled."
    )
    chart = charts.status_chart(
        [
            ("Done on time", len(done) - len(late), "ok"),
            ("Done late", len(late), "warn"),
            ("Open", len(still_open) - len(overdue), "brand"),
            ("Overdue", len(overdue), "bad"),
            ("Cancelled", len(cancelled), "neutral"),
        ],
        title="Actions from previous reviews",
    )
    details = [
        (
            f"{r.reference} ({r.review.reference}): {r.title}; {r.owner.full_name}, due "
            f"{r.due_date:%Y-%m-%d}; {r.get_status_display().lower()}"
            + (f" on {r.completed_on:%Y-%m-%d}" if r.completed_on else "")
            + (f": {r.outcome}" if r.outcome else ""),
            r.reference,
        )
        for r in rows[: LISTED * 3]
    ]
    figures = [
        ("Followed", len(rows)),
        ("Done", len(done)),
        ("Done late", len(late)),
        ("Open", len(still_open)),
        ("Overdue", len(overdue)),
    ]
    return Section(summary, figures, chart, details)


def context_changes(review, period: Period) -> Section:
    from norma.planning.models import ContextIssue, InterestedParty, PartyRequirement, PlannedChange

    issues = ContextIssue.objects.live()
    if not issues.exists():
        return Section(
            "No external or internal issues are recorded (4.1): the context cannot be reviewed.",
            missing=True,
        )
    new_issues = issues.filter(period.moments("created_at"))
    retired = issues.filter(period.moments("updated_at"), status="past")
    parties = InterestedParty.objects.live()
    requirements = PartyRequirement.objects.live()
    changes = PlannedChange.objects.live()
    figures = [
        ("New issues", new_issues.count()),
        ("Issues retired (changed in the period)", retired.count()),
        ("New interested parties", parties.filter(period.moments("created_at")).count()),
        ("New requirements", requirements.filter(period.moments("created_at")).count()),
        (
            "Unaddressed requirements",
            requirements.filter(status="current", addressed="no").count(),
        ),
        (
            "Planned changes done",
            changes.filter(period.moments("updated_at"), status="done").count(),
        ),
        ("Planned changes open", changes.filter(status__in=("planned", "approved")).count()),
    ]
    summary = (
        f"{plural(figures[0][1], 'new issue')} and "
        f"{plural(figures[2][1], 'new interested party', 'new interested parties')} "
        f"were recorded and {figures[1][1]:,} retired. {figures[4][1]:,} of the parties' "
        f"requirements {'is' if figures[4][1] == 1 else 'are'} not addressed yet, and "
        f"{plural(figures[6][1], 'planned change')} {'is' if figures[6][1] == 1 else 'are'} open."
    )
    chart = charts.bar_chart(figures, title="Changes in the context")
    details = named(new_issues.order_by("-created_at"))
    return Section(summary, figures, chart, details)


def customer_feedback(review, period: Period) -> Section:
    from norma.operations.models import Complaint, Compliment, Survey

    complaints = Complaint.objects.live().filter(period.days("received_on"))
    compliments = Compliment.objects.live().filter(period.days("received_on")).count()
    surveys = Survey.objects.live().filter(
        period_start__lte=period.end, period_end__gte=period.start, response_count__gt=0
    )
    by_status = Counter(complaints.values_list("status", flat=True))
    total = sum(by_status.values())
    justified = complaints.filter(justified=True).count()
    scores = surveys.aggregate(csat=Avg("csat"), nps=Avg("nps"), n=Count("id"))
    if not (total or compliments or scores["n"]):
        return Section(
            "No customer satisfaction survey, complaint or compliment is recorded for the "
            "period (9.1.2): customer satisfaction is not measured.",
            missing=True,
        )
    figures = [
        ("Complaints", total),
        ("Justified", justified),
        ("Still open", by_status.get("open", 0)),
        ("Compliments", compliments),
        ("Surveys", scores["n"]),
    ]
    summary = (
        f"{plural(total, 'complaint')} ({justified:,} justified) and "
        f"{plural(compliments, 'compliment')}."
    )
    if scores["n"]:  # surveys without a score (no answers to that question) are left out
        figures += [("Satisfaction (CSAT %)", _score(scores["csat"]))]
        figures += [("Net promoter score", _score(scores["nps"]))]
        summary += (
            f" {plural(scores['n'], 'survey')} (averaged): satisfaction "
            f"{_with_unit(figures[-2][1], ' %')}, NPS {figures[-1][1]}."
        )
    else:
        summary += " No satisfaction survey covers the period."
    chart = charts.column_chart(
        period.per_month(complaints.values_list("received_on", flat=True)),
        title="Complaints received per month",
    )
    details = named(complaints.filter(justified=True).order_by("-received_on"))
    return Section(summary, figures, chart, details)


def _score(value) -> float | str:
    return "not asked" if value is None else round(float(value), 1)


def _with_unit(value, unit: str) -> str:
    return f"{value}{unit}" if isinstance(value, float) else str(value)


def standings(rows, standing) -> Counter:
    return Counter(standing(row) for row in rows)


STANDING_TONES = (
    ("on_track", "On track", "ok"),
    ("at_risk", "At risk", "warn"),
    ("off_track", "Off track", "bad"),
    ("not_measured", "Not measured", "neutral"),
)


def standing_chart(counts: Counter, title: str, extra=()) -> str:
    rows = [(label, counts.get(code, 0), tone) for code, label, tone in STANDING_TONES]
    return charts.status_chart([*rows, *extra], title=title)


def objectives_met(review, period: Period) -> Section:
    from norma.planning.models import Objective

    objectives = Objective.objects.live().exclude(status="draft")
    rows = list(
        objectives.annotate(latest_value=latest_in_period(period, "kpi")).order_by(
            F("due_date").asc(nulls_last=True),
            "pk",  # the soonest due first, on every database
        )
    )
    if not rows:
        return Section("No quality objectives are set (6.2).", missing=True)
    counts = standings(
        [r for r in rows if r.status == "active"], lambda r: r.standing(r.latest_value, period.end)
    )
    achieved = sum(r.status == "achieved" for r in rows)
    abandoned = sum(r.status == "abandoned" for r in rows)
    active = sum(counts.values())
    figures = [
        ("Objectives", len(rows)),
        ("Achieved (to date)", achieved),
        ("On track", counts.get("on_track", 0)),
        ("At risk", counts.get("at_risk", 0)),
        ("Off track", counts.get("off_track", 0)),
        ("Abandoned", abandoned),
    ]
    summary = (
        f"{achieved:,} of {plural(len(rows), 'objective')} achieved; of the {active:,} being "
        f"pursued, {counts.get('on_track', 0):,} on track, "
        f"{counts.get('at_risk', 0):,} at risk and "
        f"{counts.get('off_track', 0):,} off track."
    )
    chart = standing_chart(
        counts,
        "Quality objectives",
        [("Achieved", achieved, "brand"), ("Abandoned", abandoned, "neutral")],
    )
    behind = [
        r
        for r in rows
        if r.status == "active" and r.standing(r.latest_value, period.end) != "on_track"
    ]
    details = named(
        behind,
        lambda r: (
            f"{r.title} (target {number(r.target)} {r.unit}, "
            f"latest {_value(r.latest_value, r.unit)})"
        ),
    )
    return Section(summary, figures, chart, details)


def _value(value, unit) -> str:
    return "not measured" if value is None else f"{number(value)} {unit}"


def latest_in_period(period: Period, kpi_field: str = "pk"):
    """The last value of the KPI at `kpi_field` measured by the end of the period, as a
    subquery (no query per row)."""
    from django.db.models import OuterRef, Subquery

    from norma.planning.models import Measurement

    return Subquery(
        Measurement.objects.filter(kpi=OuterRef(kpi_field), measured_at__lt=period.until)
        .order_by("-measured_at", "-pk")
        .values("value")[:1]
    )


def process_performance(review, period: Period) -> Section:
    from norma.improvement.models import Nonconformity
    from norma.planning.models import Kpi

    kpis = list(
        Kpi.objects.live()
        .filter(status="active")
        .annotate(latest_value=latest_in_period(period))
        .select_related("process")
        .order_by("process__title", "pk")
    )
    if not kpis:
        return Section("No KPIs measure the processes (9.1.1, 4.4.1 c).", missing=True)
    counts = standings(kpis, lambda k: k.standing(k.latest_value))
    outputs = (
        Nonconformity.objects.live()
        .filter(period.days("detected_on"), kind="output")
        .exclude(status="cancelled")
    )
    nonconforming = outputs.count()
    figures = [
        ("KPIs", len(kpis)),
        ("On track", counts.get("on_track", 0)),
        ("At risk", counts.get("at_risk", 0)),
        ("Off track", counts.get("off_track", 0)),
        ("Not measured", counts.get("not_measured", 0)),
        ("Nonconforming outputs", nonconforming),
    ]
    summary = (
        f"Of {plural(len(kpis), 'KPI')} at the end of the period, {counts.get('on_track', 0):,} "
        f"were on track, {counts.get('at_risk', 0):,} at risk, {counts.get('off_track', 0):,} off "
        f"track and {counts.get('not_measured', 0):,} not measured. "
        f"{plural(nonconforming, 'nonconforming output')} recorded."
    )
    off = Counter(_process(k) for k in kpis if k.standing(k.latest_value) == "off_track")
    chart = standing_chart(counts, "KPIs at the end of the period")
    if off:
        chart += charts.bar_chart(off.most_common(LISTED), title="KPIs off track by process")
    behind = [k for k in kpis if k.standing(k.latest_value) in ("off_track", "at_risk")]
    details = named(
        behind,
        lambda k: (
            f"{k.title} ({_process(k)}): target {number(k.target)} {k.unit}, "
            f"latest {_value(k.latest_value, k.unit)}"
        ),
    )
    return Section(
        summary, figures, chart, details, missing=counts.get("not_measured") == len(kpis)
    )


def _process(kpi) -> str:
    return kpi.process.title if kpi.process_id else "no process"


def nonconformities(review, period: Period) -> Section:
    from norma.improvement.models import CorrectiveAction, Nonconformity, Verification

    ncs = Nonconformity.objects.live()
    reported = ncs.filter(period.days("detected_on")).exclude(status="cancelled")
    severities = Counter(reported.values_list("severity", flat=True))
    total = sum(severities.values())
    closed = ncs.filter(period.days("closed_on")).count()
    still_open = ncs.exclude(status__in=("closed", "cancelled"))
    overdue = still_open.filter(due_date__lt=timezone.localdate()).count()
    completed = CorrectiveAction.objects.live().filter(period.days("completed_on")).count()
    results = Counter(
        Verification.objects.filter(period.days("verified_on")).values_list("result", flat=True)
    )
    figures = [
        ("Reported", total),
        ("Major", severities.get("major", 0)),
        ("Minor", severities.get("minor", 0)),
        ("Closed", closed),
        ("Open now", still_open.count()),
        ("Overdue", overdue),
        ("Actions completed", completed),
        ("Verified effective", results.get("effective", 0)),
        ("Verified not effective", results.get("not_effective", 0)),
    ]
    verified = sum(results.values())
    rate = f"{round(100 * results.get('effective', 0) / verified)} %" if verified else "none"
    summary = (
        f"{plural(total, 'nonconformity', 'nonconformities')} reported "
        f"({severities.get('major', 0):,} major), {closed:,} closed; "
        f"{still_open.count():,} open now, "
        f"{overdue:,} overdue. {plural(completed, 'action')} completed; of "
        f"{plural(verified, 'effectiveness check')}, effective: {rate}."
    )
    chart = charts.column_chart(
        period.per_month(reported.values_list("detected_on", flat=True)),
        title="Nonconformities reported per month",
    )
    sources = Counter(reported.values_list("source", flat=True))
    labels = dict(Nonconformity._meta.get_field("source").choices)
    chart += charts.bar_chart(
        [(labels.get(k, k), n) for k, n in sources.most_common()], title="By source"
    )
    details = named(reported.filter(severity="major").order_by("-detected_on"))
    return Section(summary, figures, chart, details)
