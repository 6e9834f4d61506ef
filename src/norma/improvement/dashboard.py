"""The improvement dashboard: where nonconformities come from, what causes them, how old the
open actions are, what is overdue, what repeats and how often fixes work. Each figure is one
query over the person's scope, whatever the number of records."""

from datetime import timedelta
from functools import cached_property

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from norma.improvement.models import (
    Category,
    Cause,
    CorrectiveAction,
    Nonconformity,
    Source,
    Verification,
)
from norma.reports import charts

PERIODS = (3, 6, 12, 24)
AGES = ((30, "Up to 30 days"), (60, "31 to 60 days"), (90, "61 to 90 days"))
LISTED = 10
STATUS_TONES = {
    "reported": "neutral",
    "containment": "bad",
    "analysis": "warn",
    "action_plan": "warn",
    "implementation": "brand",
    "verification": "ok",
}


def months_asked(value) -> int:
    try:
        months = int(value)
    except (TypeError, ValueError):
        return 12
    return months if months in PERIODS else 12


def month_starts(today, months):
    first = today.replace(day=1)
    starts = []
    for _ in range(months):
        starts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return starts[::-1]


class Board:
    def __init__(self, person, months=12):
        self.today = timezone.localdate()
        self.months = month_starts(self.today, months)
        self.since = self.months[0]
        self.visible = Nonconformity.objects.visible_to(person).live()
        self.period = self.visible.filter(detected_on__gte=self.since)
        self.actions = CorrectiveAction.objects.visible_to(person).live()

    # -- trends -------------------------------------------------------------------------
    @cached_property
    def per_month(self):
        counts = dict(
            self.period.annotate(month=TruncMonth("detected_on"))
            .values_list("month")
            .annotate(n=Count("id"))
        )
        return [(start.strftime("%b %y"), counts.get(start, 0)) for start in self.months]

    @cached_property
    def total(self) -> int:
        return sum(n for _, n in self.per_month)

    def month_chart(self):
        return charts.column_chart(self.per_month, title="Nonconformities reported per month")

    def source_chart(self):
        counts = dict(self.period.values_list("source").annotate(n=Count("id")))
        rows = [(label, counts.get(value, 0)) for value, label in Source.choices]
        return charts.bar_chart(rows, title="Nonconformities by source")

    def process_chart(self):
        rows = (
            self.period.values_list("process__title")
            .annotate(n=Count("id"))
            .order_by("-n", "process__title")[:LISTED]
        )
        return charts.bar_chart(
            [(title or "No process", n) for title, n in rows], title="Nonconformities by process"
        )

    def clause_chart(self):
        links = Nonconformity.clauses.through.objects.filter(nonconformity__in=self.period)
        rows = (
            links.values_list("clause__ref")
            .annotate(n=Count("id"))
            .order_by("-n", "clause__ref")[:LISTED]
        )
        return charts.bar_chart(list(rows), title="Nonconformities by clause")

    def cause_chart(self):
        root = Cause.objects.filter(is_root=True, nonconformity__in=self.period)
        counts = dict(root.exclude(category="").values_list("category").annotate(n=Count("id")))
        rows = [(label, counts.get(value, 0)) for value, label in Category.choices]
        return charts.bar_chart(rows, title="Root causes by category (6M)")

    # -- what is open -------------------------------------------------------------------
    def status_chart(self):
        open_ones = self.visible.filter(status__in=Nonconformity.OPEN)
        counts = dict(open_ones.values_list("status").annotate(n=Count("id")))
        rows = [
            (label, counts.get(value, 0), STATUS_TONES[value])
            for value, label in Nonconformity.Status.choices
            if value in STATUS_TONES
        ]
        return charts.status_chart(rows, title="Open nonconformities by step")

    def ageing_chart(self):
        now = timezone.now()
        buckets = {
            f"age{days}": Count("id", filter=Q(created_at__gt=now - timedelta(days=days)))
            for days, _ in AGES
        }
        counts = self.actions.filter(status=CorrectiveAction.Status.OPEN).aggregate(
            total=Count("id"), **buckets
        )
        rows, below = [], 0
        for (days, label), tone in zip(AGES, ("ok", "warn", "bad"), strict=True):
            rows.append((label, counts[f"age{days}"] - below, tone))
            below = counts[f"age{days}"]
        rows.append(("Older than 90 days", counts["total"] - below, "bad"))
        return charts.bar_chart(rows, title="Open actions by age")

    @cached_property
    def overdue_ncs(self):
        late = self.visible.filter(status__in=Nonconformity.OPEN, due_date__lt=self.today)
        return late.select_related("owner").order_by("due_date", "id")[:LISTED]

    @cached_property
    def overdue_actions(self):
        late = self.actions.filter(status=CorrectiveAction.Status.OPEN, due_date__lt=self.today)
        return late.select_related("owner", "nonconformity").order_by("due_date", "id")[:LISTED]

    @cached_property
    def overdue_counts(self):
        open_ncs = self.visible.filter(status__in=Nonconformity.OPEN, due_date__lt=self.today)
        actions = self.actions.filter(status=CorrectiveAction.Status.OPEN, due_date__lt=self.today)
        return {"nonconformities": open_ncs.count(), "actions": actions.count()}

    # -- does it work -------------------------------------------------------------------
    @cached_property
    def repeats(self):
        repeated = self.period.filter(repeat_of__isnull=False)
        return {
            "count": repeated.count(),
            "latest": repeated.select_related("repeat_of", "process").order_by("-detected_on")[:5],
        }

    @cached_property
    def effectiveness(self):
        judged = Verification.objects.filter(
            nonconformity__in=self.visible, verified_on__gte=self.since
        ).aggregate(
            total=Count("id"),
            effective=Count("id", filter=Q(result=Verification.Result.EFFECTIVE)),
        )
        total = judged["total"]
        judged["rate"] = round(100 * judged["effective"] / total) if total else None
        return judged

    def effectiveness_chart(self):
        judged = self.effectiveness
        return charts.progress_bar(
            judged["effective"],
            judged["total"] or 1,
            title="Corrective actions verified effective",
            label="Effective",
            tone="ok" if (judged["rate"] or 0) >= 80 else "warn",
        )
