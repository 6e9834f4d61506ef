"""8.2.1 and 9.1.2: customers, what they tell the organisation (complaints and compliments),
and how satisfied they are (surveys, with CSAT and NPS worked out from the scores)."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from norma.core.models import Record
from norma.core.models.records import not_after_today


class Customer(Record):
    reference_prefix = "CUS"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        FORMER = "former", "Former customer"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    segment = models.CharField(max_length=120, blank=True, help_text="Market or customer group.")

    class Meta(Record.Meta):
        verbose_name = "customer"


class Complaint(Record):
    """A customer's complaint (8.2.1 c): investigated, answered by its due date, and where it
    shows a nonconformity, taken into the nonconformity workflow."""

    reference_prefix = "CMP"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESPONDED = "responded", "Response sent"
        CLOSED = "closed", "Closed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Severity(models.TextChoices):
        CRITICAL = "critical", "Critical"
        MAJOR = "major", "Major"
        MINOR = "minor", "Minor"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="complaints")
    received_on = models.DateField(default=timezone.localdate, db_index=True)
    product = models.CharField("product or service", max_length=200, blank=True, db_index=True)
    order_reference = models.CharField("order or delivery", max_length=120, blank=True)
    severity = models.CharField(
        max_length=8, choices=Severity.choices, default=Severity.MINOR, db_index=True
    )
    description = models.TextField()
    investigation = models.TextField(blank=True, help_text="What was checked and found.")
    justified = models.BooleanField(
        null=True, blank=True, help_text="Whether the complaint was found to be justified."
    )
    response = models.TextField("response to the customer", blank=True)
    response_sent_on = models.DateField(
        null=True, blank=True, help_text="Left empty, the response was sent today."
    )
    due_date = models.DateField("response due", null=True, blank=True, db_index=True)
    nonconformity = models.ForeignKey(
        "improvement.Nonconformity",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    class Meta(Record.Meta):
        verbose_name = "customer complaint"
        indexes = [
            models.Index(fields=["received_on", "archived_at"], name="operations_cmp_period"),
        ]

    def clean(self):
        super().clean()
        not_after_today(self, "received_on", "A complaint cannot be received tomorrow.")
        not_after_today(self, "response_sent_on", "A response cannot be sent tomorrow.")
        sent, received = self.response_sent_on, self.received_on
        if sent and received and sent < received:
            raise ValidationError(
                {"response_sent_on": "The response was sent before the complaint came."}
            )
        if self.due_date and self.received_on and self.due_date < self.received_on:
            raise ValidationError({"due_date": "The response is due after the complaint came."})

    def edit_refusal(self) -> str | None:
        if refusal := super().edit_refusal():
            return refusal
        if self.status != self.Status.OPEN:  # dates and facts stay as they were answered
            return f"{self.reference} is {self.get_status_display().lower()}."
        return None

    def archive_refusal(self) -> str | None:
        if self.status == self.Status.OPEN:
            return f"{self.reference} is still open: answer or withdraw it first."
        return None


class Compliment(Record):
    reference_prefix = "CPL"

    class Status(models.TextChoices):
        RECORDED = "recorded", "Recorded"
        SHARED = "shared", "Shared with the team"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.RECORDED, db_index=True
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="compliments")
    received_on = models.DateField(default=timezone.localdate, db_index=True)
    product = models.CharField("product or service", max_length=200, blank=True)
    description = models.TextField("what they said")

    class Meta(Record.Meta):
        verbose_name = "compliment"

    def clean(self):
        super().clean()
        not_after_today(self, "received_on", "A compliment cannot be received tomorrow.")


class Survey(Record):
    """A customer satisfaction survey (9.1.2): its responses give CSAT (share scoring 4 or 5
    out of 5) and NPS (promoters 9–10 less detractors 0–6, out of 100)."""

    reference_prefix = "SRV"

    class Status(models.TextChoices):
        OPEN = "open", "Collecting responses"
        CLOSED = "closed", "Closed"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    period_start = models.DateField()
    period_end = models.DateField()
    method = models.CharField(
        max_length=200, blank=True, help_text="How it was run: e-mail, phone, at delivery…"
    )
    response_count = models.PositiveIntegerField(default=0, editable=False)
    csat = models.DecimalField(
        "CSAT (%)", max_digits=4, decimal_places=1, null=True, blank=True, editable=False
    )
    nps = models.DecimalField(
        "NPS", max_digits=4, decimal_places=1, null=True, blank=True, editable=False
    )
    closed_on = models.DateField(
        null=True, blank=True, db_index=True, help_text="Left empty, it closes today."
    )
    conclusions = models.TextField(blank=True, help_text="What the results say, and what next.")

    class Meta(Record.Meta):
        verbose_name = "satisfaction survey"

    def clean(self):
        super().clean()
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": "The period ends after it starts."})
        not_after_today(self, "closed_on", "A survey cannot be closed tomorrow.")
        if self.closed_on and self.period_start and self.closed_on < self.period_start:
            raise ValidationError({"closed_on": "It closes after its period starts."})

    def edit_refusal(self) -> str | None:
        if refusal := super().edit_refusal():
            return refusal
        if self.status == self.Status.CLOSED:
            return f"{self.reference} is closed: its results are a record now."
        return None


class SurveyResponse(models.Model):
    """One customer's answers: satisfaction 1–5 and likelihood to recommend 0–10."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    satisfaction = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    recommend = models.PositiveSmallIntegerField(
        "likely to recommend",
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.satisfaction}/5, {self.recommend}/10"

    def clean(self):
        if self.satisfaction is None and self.recommend is None:
            raise ValidationError("A response needs a satisfaction or a recommendation score.")
