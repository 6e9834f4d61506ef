"""7.1.5: monitoring and measuring equipment, each calibration or verification of it, and
what an out-of-tolerance result means for the measurements made since the last good one."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from norma.core.models import Record
from norma.core.models.records import not_after_today
from norma.documents.models import add_months


class Instrument(Record):
    """A gauge, meter or test rig whose results are relied on (7.1.5.1), with the interval
    and method that keep it fit for use. Its due date is the next calibration."""

    reference_prefix = "EQ"

    class Status(models.TextChoices):
        IN_SERVICE = "in_service", "In service"
        OUT_OF_SERVICE = "out_of_service", "Out of service"
        RETIRED = "retired", "Retired"

    class Method(models.TextChoices):
        EXTERNAL = "external", "Calibration by an external laboratory"
        INTERNAL = "internal", "In-house calibration"
        VERIFICATION = "verification", "Verification against a reference"

    class Traceability(models.TextChoices):
        NATIONAL = "national", "Traceable to national or international standards"
        RECORDED = "recorded", "Other basis, recorded (no such standard exists)"

    # Only an external laboratory issues a calibration certificate (7.1.5.2 a).
    CERTIFICATE_REQUIRED = (Method.EXTERNAL,)

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.IN_SERVICE, db_index=True
    )
    asset_tag = models.CharField(max_length=60, unique=True)
    equipment_type = models.CharField(
        "type", max_length=120, help_text="What it is, e.g. micrometer, torque wrench, balance."
    )
    location = models.CharField(max_length=200, blank=True)
    process = models.ForeignKey(
        "planning.Process",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="instruments",
    )
    measuring_range = models.CharField("range", max_length=120, blank=True)
    accuracy = models.CharField(max_length=120, blank=True)
    interval_months = models.PositiveSmallIntegerField(
        "interval (months)",
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="Months between calibrations or verifications.",
    )
    method = models.CharField(max_length=12, choices=Method.choices)
    traceability = models.CharField(max_length=10, choices=Traceability.choices)
    traceability_basis = models.TextField(
        blank=True,
        help_text="The standard it is traced to, or the basis used where none exists.",
    )
    last_calibrated_on = models.DateField(null=True, blank=True, editable=False)
    due_date = models.DateField(
        "calibration due", null=True, blank=True, db_index=True, editable=False
    )

    class Meta(Record.Meta):
        verbose_name = "measuring instrument"
        indexes = [models.Index(fields=["status", "due_date"], name="operations_eq_due")]

    def clean(self):
        super().clean()
        if self.traceability == self.Traceability.RECORDED and not self.traceability_basis.strip():
            raise ValidationError(
                {
                    "traceability_basis": "Record the basis used for calibration or "
                    "verification when no national standard exists (7.1.5.2 a)."
                }
            )

    def save(self, *args, **kwargs):
        if self.pk is None and self.owner_id is None:
            self.owner_id = self.created_by_id  # someone is reminded when it falls due
        # Calibration falls due an interval after the last good one, whatever the interval is
        # changed to; found unfit, nothing is due until it is calibrated again.
        if self.last_calibrated_on and self.due_date:
            self.due_date = add_months(self.last_calibrated_on, self.interval_months)
        super().save(*args, **kwargs)

    @property
    def certificate_required(self) -> bool:
        return self.method in self.CERTIFICATE_REQUIRED

    @property
    def calibration(self) -> str:
        """Calibrated, due soon, overdue or out of service, as the shop floor reads it."""
        if self.status != self.Status.IN_SERVICE:
            return self.get_status_display()
        if self.due_date is None:
            return "Not calibrated"
        today = timezone.localdate()
        if self.due_date < today:
            return "Overdue"
        if self.due_date <= today + timedelta(days=settings.NORMA_CALIBRATION_DUE_SOON_DAYS):
            return "Due soon"
        return "Calibrated"

    def archive_refusal(self) -> str | None:
        if self.status == self.Status.IN_SERVICE:
            return f"{self.reference} is in service: retire it, with a reason, first."
        return None


class Calibration(Record):
    """One calibration or verification: when, by whom, the result and its certificate. An
    out-of-tolerance result opens an impact assessment of the measurements made with the
    instrument since its last good calibration."""

    reference_prefix = "CAL"

    class Status(models.TextChoices):
        RECORDED = "recorded", "Recorded"
        IMPACT_OPEN = "impact_open", "Impact assessment open"
        IMPACT_ASSESSED = "impact_assessed", "Impact assessed"

    class Result(models.TextChoices):
        IN_TOLERANCE = "in_tolerance", "In tolerance"
        OUT_OF_TOLERANCE = "out_of_tolerance", "Out of tolerance"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.RECORDED, db_index=True
    )
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="calibrations"
    )
    performed_on = models.DateField(db_index=True)
    performed_by = models.CharField(
        max_length=200, help_text="The laboratory, or the person who did it in house."
    )
    result = models.CharField(max_length=16, choices=Result.choices, db_index=True)
    adjusted = models.BooleanField(
        "adjusted into tolerance",
        default=False,
        help_text="Out of tolerance as found, and adjusted so it is in tolerance as left.",
    )
    certificate_number = models.CharField(max_length=120, blank=True)
    notes = models.TextField(blank=True)
    next_due = models.DateField(null=True, blank=True, editable=False)
    # 7.1.5.2: the validity of earlier results, when the instrument was found unfit.
    suspect_since = models.DateField(
        "measurements suspect since",
        null=True,
        blank=True,
        editable=False,
        help_text="The last good calibration: results measured after it may be wrong.",
    )
    impact_assessment = models.TextField(
        blank=True,
        help_text="Which results were affected, what was checked, and what was done about it.",
    )
    products_affected = models.BooleanField("products or results affected", null=True, blank=True)
    nonconformity = models.ForeignKey(
        "improvement.Nonconformity",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    class Meta(Record.Meta):
        verbose_name = "calibration"
        indexes = [
            models.Index(fields=["instrument", "performed_on"], name="operations_cal_history"),
        ]

    @property
    def out_of_tolerance(self) -> bool:
        return self.result == self.Result.OUT_OF_TOLERANCE

    def clean(self):
        super().clean()
        not_after_today(self, "performed_on", "A calibration cannot be recorded before it is done.")
        if self.adjusted and not self.out_of_tolerance:
            raise ValidationError(
                {"adjusted": "Only an instrument found out of tolerance is adjusted into it."}
            )

    def save(self, *args, **kwargs):
        if self.pk is None:  # read and acted on where the instrument is
            self.site_id, self.department_id = (
                self.instrument.site_id,
                self.instrument.department_id,
            )
            self.owner_id = self.owner_id or self.instrument.owner_id
        super().save(*args, **kwargs)

    def edit_refusal(self) -> str | None:
        if refusal := super().edit_refusal():
            return refusal
        if self.pk is not None:
            return f"{self.reference} is a calibration record: record a new one to correct it."
        return None

    def archive_refusal(self) -> str | None:
        if self.status == self.Status.IMPACT_OPEN:
            return f"{self.reference}'s impact assessment is still open."
        return None

    def after_archive(self, action):
        """A calibration entered in error no longer dates its instrument: the newest one left
        does (the instrument's status is left to its owner)."""
        newest = self.instrument.calibrations.live().order_by("-performed_on", "-id").first()

        def redate(instrument):
            instrument.last_calibrated_on = newest.performed_on if newest else None
            instrument.due_date = newest.next_due if newest else None

        action.change_related(self.instrument, redate, "calibration archived")
