"""The customer feedback dashboard (9.1.2): complaints per month, per product and by
severity, how many were answered on time, compliments, and CSAT and NPS survey by survey.
Each figure is one query over the reader's scope, whatever the number of records."""

from datetime import datetime, time
from functools import cached_property

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from norma.improvement.dashboard import month_starts, months_asked  # noqa: F401  (shared)
from norma.operations.models import Complaint, Compliment, Survey
from norma.reports import charts

TOP_PRODUCTS = 10
SEVERITY_TONES = {"critical": "bad", "major": "warn", "minor": "neutral"}


class FeedbackBoard:
    def __init__(self, person, months=12):
        self.today = timezone.localdate()
        self.months = month_starts(self.today, months)
        self.since = self.months[0]
        self.complaints = (
            Complaint.objects.visible_to(person).live().filter(received_on__gte=self.since)
        )
        self.compliments = (
            Compliment.objects.visible_to(person).live().filter(received_on__gte=self.since)
        )
        self.surveys = Survey.objects.visible_to(person).live()

    def _per_month(self, rows) -> list[tuple[str, int]]:
        counts = {
            row["month"].date() if hasattr(row["month"], "date") else row["month"]: row["n"]
            for row in rows.annotate(month=TruncMonth("received_on"))
            .values("month")
            .annotate(n=Count("pk"))
            .order_by()
        }
        return [(start.strftime("%b %y"), counts.get(start, 0)) for start in self.months]

    @cached_property
    def totals(self) -> dict:
        return self.complaints.aggregate(
            total=Count("pk"),
            answered=Count("pk", filter=Q(response_sent_on__isnull=False)),
            on_time=Count("pk", filter=Q(response_sent_on__lte=F("due_date"))),
            justified=Count("pk", filter=Q(justified=True)),
            open=Count("pk", filter=Q(status=Complaint.Status.OPEN)),
            overdue=Count("pk", filter=Q(status=Complaint.Status.OPEN, due_date__lt=self.today)),
        )

    @property
    def on_time_rate(self) -> int | None:
        answered = self.totals["answered"]
        return round(100 * self.totals["on_time"] / answered) if answered else None

    @cached_property
    def month_chart(self):
        return charts.column_chart(
            self._per_month(self.complaints), title="Complaints received per month"
        )

    @cached_property
    def compliment_count(self) -> int:
        return self.compliments.count()

    @cached_property
    def compliment_chart(self):
        return charts.column_chart(
            self._per_month(self.compliments), title="Compliments received per month"
        )

    @cached_property
    def product_chart(self):
        rows = (
            self.complaints.exclude(product="")
            .values("product")
            .annotate(n=Count("pk"))
            .order_by("-n", "product")[:TOP_PRODUCTS]
        )
        items = [(row["product"], row["n"]) for row in rows]
        return charts.bar_chart(items, title="Complaints per product") if items else ""

    @cached_property
    def severity_chart(self):
        counts = dict(self.complaints.values_list("severity").annotate(n=Count("pk")).order_by())
        items = [
            (label, counts.get(value, 0), SEVERITY_TONES[value])
            for value, label in Complaint.Severity.choices
        ]
        return charts.bar_chart(items, title="Complaints by severity")

    @cached_property
    def closed_surveys(self) -> list[Survey]:
        rows = self.surveys.filter(status=Survey.Status.CLOSED).order_by("-period_end", "-id")
        return list(rows[:8])[::-1]

    def _survey_line(self, field, title, unit="", lines=()):
        points = [
            (datetime.combine(s.period_end, time()), float(getattr(s, field)))
            for s in self.closed_surveys
            if getattr(s, field) is not None
        ]
        return charts.line_chart(points, title=title, unit=unit, lines=lines) if points else ""

    @cached_property
    def csat_chart(self):
        return self._survey_line("csat", "CSAT per survey", unit="%")

    @cached_property
    def nps_chart(self):
        # NPS runs from -100 to 100: the zero line shows which side of it each survey fell.
        return self._survey_line("nps", "NPS per survey", lines=[("0", 0, "neutral")])
