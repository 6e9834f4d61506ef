"""8.7 and 10.2: a nonconformity, from the report through containment, root cause and
corrective action to the verification that the fix worked."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from norma.core.models import Record
from norma.improvement.models.origins import OriginMixin


class Source(models.TextChoices):
    INTERNAL_AUDIT = "internal_audit", "Internal audit"
    EXTERNAL_AUDIT = "external_audit", "External (registrar) audit"
    CUSTOMER_COMPLAINT = "customer_complaint", "Customer complaint"
    SUPPLIER = "supplier", "Supplier"
    PROCESS = "process", "Process or operations"
    OUTPUT = "output", "Nonconforming output"
    MANAGEMENT_REVIEW = "management_review", "Management review"
    OTHER = "other", "Other"


def not_in_the_past(record, field: str):
    """A date set when the record is created may not already have passed."""
    day = getattr(record, field)
    if record.pk is None and day and day < timezone.localdate():
        raise ValidationError({field: "The date has already passed; give today or a later one."})


class Nonconformity(Record, OriginMixin):
    """A failure to meet a requirement: of an output, a process or the system itself."""

    reference_prefix = "NC"

    class Status(models.TextChoices):
        REPORTED = "reported", "Reported"
        CONTAINMENT = "containment", "Containment"
        ANALYSIS = "analysis", "Root-cause analysis"
        ACTION_PLAN = "action_plan", "Action plan"
        IMPLEMENTATION = "implementation", "Implementation"
        VERIFICATION = "verification", "Effectiveness check"
        CLOSED = "closed", "Closed"
        CANCELLED = "cancelled", "Cancelled"

    class Kind(models.TextChoices):
        OUTPUT = "output", "Product or service output"
        PROCESS = "process", "Process"
        SYSTEM = "system", "System"

    class Severity(models.TextChoices):
        MAJOR = "major", "Major"
        MINOR = "minor", "Minor"

    class Method(models.TextChoices):
        FIVE_WHYS = "five_whys", "5 Whys"
        ISHIKAWA = "ishikawa", "Ishikawa (6M fishbone)"
        EIGHT_D = "eight_d", "8D"

    class Disposition(models.TextChoices):
        REWORK = "rework", "Rework"
        REPAIR = "repair", "Repair"
        CONCESSION = "concession", "Use as is under concession"
        SCRAP = "scrap", "Scrap"
        RETURN = "return", "Return to the supplier"

    OPEN = (
        Status.REPORTED,
        Status.CONTAINMENT,
        Status.ANALYSIS,
        Status.ACTION_PLAN,
        Status.IMPLEMENTATION,
        Status.VERIFICATION,
    )

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.REPORTED, db_index=True
    )
    source = models.CharField(max_length=20, choices=Source.choices, db_index=True)
    kind = models.CharField(
        "type",
        max_length=10,
        choices=Kind.choices,
        blank=True,
        db_index=True,
        help_text="Left empty by a reporter who does not know; set at triage.",
    )
    severity = models.CharField(
        max_length=5, choices=Severity.choices, default=Severity.MINOR, db_index=True
    )
    description = models.TextField()
    detected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    detected_on = models.DateField(default=timezone.localdate, db_index=True)
    process = models.ForeignKey(
        "planning.Process",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="nonconformities",
    )
    product = models.CharField("product or service", max_length=200, blank=True)
    quantity_affected = models.PositiveIntegerField(null=True, blank=True)
    due_date = models.DateField("next step due", null=True, blank=True, db_index=True)

    # 8.7: what was done with a nonconforming output, and who decided it.
    segregated = models.BooleanField(
        "segregated and identified", default=False, help_text="Kept apart so it is not used."
    )
    disposition = models.CharField(max_length=10, choices=Disposition.choices, blank=True)
    concession_by = models.CharField(
        "concession granted by",
        max_length=200,
        blank=True,
        help_text="Who accepted the output as it is (often the customer).",
    )
    customer_notified = models.BooleanField(default=False)
    disposition_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    disposition_on = models.DateField(null=True, blank=True, editable=False)

    # 10.2: the analysis, whether it could happen elsewhere, and the effectiveness check.
    method = models.CharField(
        "root-cause method", max_length=10, choices=Method.choices, blank=True
    )
    elsewhere = models.TextField(
        "could it happen elsewhere?",
        blank=True,
        help_text="Similar processes, products or sites checked, and what was found (10.2.1 b).",
    )
    analysis_round = models.PositiveSmallIntegerField(
        default=1, editable=False, help_text="Analyses so far: a fix judged not effective adds one."
    )
    repeat_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    verification_criteria = models.TextField(
        "effectiveness criteria", blank=True, help_text="What will show that the fix worked."
    )
    verification_due = models.DateField("verify on", null=True, blank=True, db_index=True)
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Not an owner of the corrective actions.",
    )
    closed_on = models.DateField(null=True, blank=True, editable=False, db_index=True)

    class Meta(Record.Meta):
        verbose_name = "nonconformity"
        verbose_name_plural = "nonconformities"
        permissions = [
            ("triage_nonconformity", "Can triage and cancel nonconformities"),
            ("dispose_nonconformity", "Can decide the disposition of a nonconforming output"),
            ("verify_nonconformity", "Can verify the effectiveness of corrective action"),
        ]
        indexes = [
            models.Index(fields=["status", "detected_on"], name="improvement_nc_open"),
            # The dashboard's period: read from the index alone, without the rows.
            models.Index(fields=["detected_on", "archived_at"], name="improvement_nc_period"),
        ]

    def save(self, *args, **kwargs):
        if self.detected_by_id is None:
            self.detected_by_id = self.created_by_id
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    def clean(self):
        super().clean()
        not_in_the_past(self, "due_date")
        if self.detected_on and self.detected_on > timezone.localdate():
            raise ValidationError({"detected_on": "A nonconformity cannot be detected tomorrow."})
        if self.disposition == self.Disposition.CONCESSION and not self.concession_by:
            raise ValidationError(
                {"concession_by": "Say who granted the concession to use it as it is."}
            )
        if self.disposition and self.kind != self.Kind.OUTPUT:
            raise ValidationError(
                {"disposition": "Only a nonconforming output has a disposition (8.7)."}
            )

    def archive_refusal(self) -> str | None:
        if self.is_open:
            return f"{self.reference} is still open: cancel it, with a signed reason, instead."
        return None

    def edit_refusal(self) -> str | None:
        if refusal := super().edit_refusal():  # archived: said first
            return refusal
        if self.status in (self.Status.CLOSED, self.Status.CANCELLED):
            return f"{self.reference} is {self.get_status_display().lower()}: it is a record now."
        return None
