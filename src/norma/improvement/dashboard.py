"""The improvement dashboard: where nonconformities come from, what causes them, how old the
open actions are, what is overdue, what repeats and how often fixes work. Each figure is one
query over the person's scope, whatever the number of records."""

from collections import Counter
from datetime import timedelta
from functools import cached_property

from django.db.models import Count, Q
from django.utils import timezone

from norma.improvement.models import (
    Category,
    Cause,
    CorrectiveAction,
    Nonconformity,
    Source,
    Verification,
)
from norma.planning.models import Process
from norma.reports import charts
from norma.standards.models import Clause

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
    """The figures of the dashboard for one person's scope over the last `months` months."""

    def __init__(self, person, months=12):
        self.today = timezone.localdate()
        self.months = month_starts(self.today, months)
        self.since = self.months[0]
        self.visible = Nonconformity.objects.visible_to(person).live()
        self.period = self.visible.filter(detected_on__gte=self.since)
        self.actions = CorrectiveAction.objects.visible_to(person).live()
        # Rows that hang off a nonconformity (causes, clause links, verifications) are joined
        # to it on these conditions: cheaper than an IN list of thousands of ids.
        self.reached = person.scope.condition(Nonconformity, "nonconformity") & Q(
            nonconformity__archived_at__isnull=True
        )

    # -- trends -------------------------------------------------------------------------
    @cached_property
    def reported(self):
        """Per month, source, process and whether each repeats an earlier one: one read of the
        period's nonconformities (a year at the large scale is about 17,000 rows)."""
        rows = self.period.values_list("detected_on", "source", "process_id", "repeat_of_id")
        months, sources, processes = Counter(), Counter(), Counter()
        repeats = 0
        for detected_on, source, process_id, repeat_of_id in rows.iterator(chunk_size=5000):
            months[detected_on.replace(day=1)] += 1
            sources[source] += 1
            processes[process_id] += 1
            repeats += repeat_of_id is not None
        return {"months": months, "sources": sources, "processes": processes, "repeats": repeats}

    @cached_property
    def per_month(self):
        counts = self.reported["months"]
        return [(start.strftime("%b %y"), counts.get(start, 0)) for start in self.months]

    @cached_property
    def total(self) -> int:
        return sum(n for _, n in self.per_month)

    def month_chart(self):
        return charts.column_chart(self.per_month, title="Nonconformities reported per month")

    def source_chart(self):
        counts = self.reported["sources"]
        rows = [(label, counts.get(value, 0)) for value, label in Source.choices]
        return charts.bar_chart(rows, title="Nonconformities by source")

    def process_chart(self):
        top = self.reported["processes"].most_common(LISTED)
        titles = dict(
            Process.objects.filter(pk__in=[pk for pk, _ in top]).values_list("pk", "title")
        )
        rows = [(titles.get(pk, "No process"), n) for pk, n in top]
        return charts.bar_chart(rows, title="Nonconformities by process")

    def clause_chart(self):
        links = Nonconformity.clauses.through.objects.filter(
            self.reached, nonconformity__detected_on__gte=self.since
        )
        top = list(
            links.values_list("clause_id")
            .annotate(n=Count("id"))
            .order_by("-n", "clause_id")[:LISTED]
        )
        refs = dict(Clause.objects.filter(pk__in=[pk for pk, _ in top]).values_list("pk", "ref"))
        return charts.bar_chart([(refs[pk], n) for pk, n in top], title="Nonconformities by clause")

    def cause_chart(self):
        root = Cause.objects.filter(
            self.reached, is_root=True, nonconformity__detected_on__gte=self.since
        )
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
        count = self.reported["repeats"]
        repeated = self.period.filter(repeat_of__isnull=False)
        latest = repeated.select_related("repeat_of", "process").order_by("-detected_on", "-id")
        latest = list(latest[:5]) if count else []
        # The repeat search is organisation-wide; an earlier one at another site is not named.
        seen = set(
            self.visible.filter(pk__in=[nc.repeat_of_id for nc in latest]).values_list(
                "pk", flat=True
            )
        )
        return {"count": count, "latest": [(nc, nc.repeat_of_id in seen) for nc in latest]}

    @cached_property
    def effectiveness(self):
        judged = Verification.objects.filter(self.reached, verified_on__gte=self.since).aggregate(
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
