"""9.1.1 and 6.2: KPIs with their measurements, and quality objectives measured by them."""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from norma.core.models import Record


class Direction(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    YEARLY = "yearly", "Yearly"


PERIOD_DAYS = {"weekly": 7, "monthly": 31, "quarterly": 92, "yearly": 366}


class Standing(models.TextChoices):
    """How a KPI or an objective stands against its target, from its latest measurement."""

    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"
    NOT_MEASURED = "not_measured", "Not measured yet"


def better_or_equal(value, than, direction: str) -> bool:
    return value >= than if direction == Direction.HIGHER else value <= than


class Kpi(Record):
    """A performance indicator (9.1.1): what is measured, how often, and what counts as good.
    Its next-review date is when the next measurement is due."""

    reference_prefix = "KPI"

    class Status(models.TextChoices):
        ACTIVE = "active", "Measured"
        RETIRED = "retired", "No longer measured"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    process = models.ForeignKey(
        "planning.Process", null=True, blank=True, on_delete=models.PROTECT, related_name="kpis"
    )
    definition = models.TextField(blank=True, help_text="What is counted, and how.")
    unit = models.CharField(max_length=20, help_text="e.g. %, days, ppm, €.")
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    direction = models.CharField(max_length=6, choices=Direction.choices)
    target = models.DecimalField(max_digits=14, decimal_places=4)
    threshold = models.DecimalField(
        "alert threshold",
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Worse than this is off track; between it and the target, at risk.",
    )
    due_date = models.DateField("next measurement due", null=True, blank=True, db_index=True)

    class Meta(Record.Meta):
        verbose_name = "KPI"
        verbose_name_plural = "KPIs"

    def clean(self):
        super().clean()
        given = None not in (self.threshold, self.target) and self.direction
        if (
            given
            and self.threshold != self.target
            and better_or_equal(self.threshold, self.target, self.direction)
        ):
            word = "below" if self.direction == Direction.HIGHER else "above"
            raise ValidationError(
                {
                    "threshold": f"With '{self.get_direction_display().lower()}', the alert "
                    f"threshold must be {word} the target ({self.target})."
                }
            )

    @property
    def performance(self) -> str:
        """Where it stands now; lists annotate `latest_value` (planning.measuring)."""
        return Standing(self.standing(getattr(self, "latest_value", None))).label

    def next_due(self, measured_on: date) -> date:
        return measured_on + timedelta(days=PERIOD_DAYS[self.frequency])

    def standing(self, value) -> str:
        """On track when the value meets the target; at risk when it is no worse than the
        threshold; off track beyond it (or below target when there is no threshold)."""
        if value is None:
            return Standing.NOT_MEASURED
        if better_or_equal(value, self.target, self.direction):
            return Standing.ON_TRACK
        if self.threshold is not None and better_or_equal(value, self.threshold, self.direction):
            return Standing.AT_RISK
        return Standing.OFF_TRACK


class Measurement(models.Model):
    """One result of a KPI (9.1.1, a record to retain). Entered, imported or pushed through
    the API; never edited — a wrong value is corrected by a new measurement with a note."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Entered by hand"
        IMPORT = "import", "Imported"
        API = "api", "Pushed through the API"

    kpi = models.ForeignKey(Kpi, on_delete=models.PROTECT, related_name="measurements")
    measured_at = models.DateTimeField(db_index=True)
    value = models.DecimalField(max_digits=14, decimal_places=4)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    note = models.CharField(max_length=500, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kpi", "measured_at", "pk"]
        indexes = [models.Index(fields=["kpi", "-measured_at"], name="planning_measurement_latest")]

    def __str__(self):
        return f"{self.kpi.reference} {self.value} {self.kpi.unit} at {self.measured_at:%Y-%m-%d}"


class Objective(Record):
    """A quality objective (6.2): a measurable target, its plan, and how it stands now."""

    reference_prefix = "OBJ"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Being pursued"
        ACHIEVED = "achieved", "Achieved"
        ABANDONED = "abandoned", "Abandoned"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    kpi = models.ForeignKey(
        Kpi,
        on_delete=models.PROTECT,
        related_name="objectives",
        verbose_name="measured by (KPI)",
        null=True,
        blank=True,
    )
    unit = models.CharField(max_length=20)
    baseline = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    target = models.DecimalField(max_digits=14, decimal_places=4)
    direction = models.CharField(max_length=6, choices=Direction.choices)
    plan = models.TextField("what will be done", blank=True)
    resources = models.TextField("resources needed", blank=True)
    evaluation = models.TextField("how the results are evaluated", blank=True)
    due_date = models.DateField("deadline", null=True, blank=True, db_index=True)

    class Meta(Record.Meta):
        verbose_name = "quality objective"

    def clean(self):
        super().clean()
        if self.kpi_id and self.unit and self.kpi.unit != self.unit:
            raise ValidationError(
                {
                    "unit": f"The KPI {self.kpi.reference} is measured in {self.kpi.unit}; "
                    f"give the target in {self.kpi.unit} too."
                }
            )

    @property
    def performance(self) -> str:
        """Where it stands today; lists annotate `latest_value` (planning.measuring)."""
        from django.utils import timezone

        value = getattr(self, "latest_value", None)
        return Standing(self.standing(value, timezone.localdate())).label

    def standing(self, value, today: date) -> str:
        """Against the straight line from the baseline (when the objective was set) to the
        target (at the deadline): on track at or ahead of it, at risk behind it but better
        than the baseline, off track at or worse than the baseline."""
        if value is None:
            return Standing.NOT_MEASURED
        if better_or_equal(value, self.target, self.direction):
            return Standing.ON_TRACK
        if self.baseline is None or self.due_date is None:
            return Standing.AT_RISK
        start = self.created_at.date() if self.created_at else today
        span = max((self.due_date - start).days, 1)
        elapsed = min(max((today - start).days, 0), span)
        expected = self.baseline + (self.target - self.baseline) * Decimal(elapsed) / span
        if better_or_equal(value, expected, self.direction):
            return Standing.ON_TRACK
        if better_or_equal(value, self.baseline, self.direction) and value != self.baseline:
            return Standing.AT_RISK
        return Standing.OFF_TRACK
