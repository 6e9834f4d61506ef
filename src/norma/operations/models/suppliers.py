"""8.4: external providers, how they are chosen and scored, their own certificates, what
they are told (8.4.3), and the corrective actions requested of them."""

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from norma.core.models import Record
from norma.core.models.records import not_after_today
from norma.documents.models import add_months

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


def placed_with(record, parent):
    """A record about a supplier (or an instrument) is read and acted on where its parent
    is: the same site and department, so scope limits reach it too."""
    if parent is not None:
        record.site_id, record.department_id = parent.site_id, parent.department_id


def unmoved(record, *fields):
    """Links that make the record what it is (the supplier a request went to) do not change
    once it exists."""
    if record.pk is None:
        return
    stored = type(record).objects.filter(pk=record.pk).values(*[f"{f}_id" for f in fields])
    for name, value in (stored.first() or {}).items():
        if value != getattr(record, name):
            raise ValidationError(
                {name.removesuffix("_id"): "This cannot change once the record exists."}
            )


class Scorecard(Record):
    """How suppliers are scored (8.4.1): the weight of quality, delivery and responsiveness,
    and the marks for approval and conditional approval."""

    reference_prefix = "SC"

    class Status(models.TextChoices):
        ACTIVE = "active", "In use"
        RETIRED = "retired", "Retired"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    quality_weight = models.PositiveSmallIntegerField("quality weight (%)", validators=PERCENT)
    delivery_weight = models.PositiveSmallIntegerField("delivery weight (%)", validators=PERCENT)
    responsiveness_weight = models.PositiveSmallIntegerField(
        "responsiveness weight (%)", validators=PERCENT
    )
    approve_at = models.PositiveSmallIntegerField(
        "approved from", default=80, validators=PERCENT, help_text="Scores from this are approved."
    )
    conditional_at = models.PositiveSmallIntegerField(
        "conditional from",
        default=60,
        validators=PERCENT,
        help_text="Scores from this, below the approval mark, are approved on conditions.",
    )
    criteria = models.TextField(
        "evaluation criteria", blank=True, help_text="What each of the three scores measures."
    )

    class Meta(Record.Meta):
        verbose_name = "supplier scorecard"

    WEIGHTS = ("quality_weight", "delivery_weight", "responsiveness_weight")

    def clean(self):
        super().clean()
        weights = [getattr(self, name) for name in self.WEIGHTS]
        if None not in weights and sum(weights) != 100:
            message = f"The three weights add up to {sum(weights)} %; they must add up to 100 %."
            raise ValidationError({name: message for name in self.WEIGHTS})
        marks = (self.approve_at, self.conditional_at)
        if None not in marks and self.conditional_at > self.approve_at:
            raise ValidationError(
                {"conditional_at": "The conditional mark must not be above the approval mark."}
            )

    def score(self, quality, delivery, responsiveness) -> Decimal:
        total = (
            quality * self.quality_weight
            + delivery * self.delivery_weight
            + responsiveness * self.responsiveness_weight
        )
        return (Decimal(total) / 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


class Supplier(Record):
    """An external provider of products, services or an outsourced process (8.4.1), and
    whether it may be used. Its due date is the next re-evaluation."""

    reference_prefix = "SUP"

    class Status(models.TextChoices):
        PENDING = "pending", "Under evaluation"
        APPROVED = "approved", "Approved"
        CONDITIONAL = "conditional", "Conditionally approved"
        DISQUALIFIED = "disqualified", "Disqualified"

    class Category(models.TextChoices):
        MATERIALS = "materials", "Materials and components"
        OUTSOURCED = "outsourced", "Outsourced process"
        SERVICES = "services", "Services"
        CALIBRATION = "calibration", "Calibration and testing"
        LOGISTICS = "logistics", "Logistics"
        OTHER = "other", "Other"

    class Criticality(models.TextChoices):
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"

    # May be ordered from.
    USABLE = (Status.APPROVED, Status.CONDITIONAL)

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    supplies = models.TextField("what they supply")
    category = models.CharField(max_length=12, choices=Category.choices, db_index=True)
    criticality = models.CharField(max_length=6, choices=Criticality.choices, db_index=True)
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="suppliers")
    evaluation_interval_months = models.PositiveSmallIntegerField(
        "re-evaluated every (months)", default=12, validators=[MinValueValidator(1)]
    )
    selection_criteria = models.TextField(
        blank=True, help_text="Why this provider was chosen, and what it must keep meeting."
    )
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    # 8.4.3: what the provider has been told.
    requirements_communicated = models.TextField(
        "information given (8.4.3)",
        blank=True,
        help_text="Products and processes to provide, approvals, competence, controls and "
        "verification the organisation will do, as told to the provider.",
    )
    documents = models.ManyToManyField(
        "documents.Document",
        blank=True,
        related_name="suppliers",
        verbose_name="documents given",
        help_text="Specifications, purchasing terms and drawings given to the provider.",
    )
    information_sent_on = models.DateField("information sent on", null=True, blank=True)
    last_score = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True, editable=False
    )
    last_evaluated_on = models.DateField(null=True, blank=True, editable=False)
    due_date = models.DateField(
        "re-evaluation due", null=True, blank=True, db_index=True, editable=False
    )
    decided_at = models.DateTimeField("approval decided", null=True, blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = "supplier"
        permissions = [("approve_supplier", "Can approve, condition and disqualify suppliers")]
        indexes = [models.Index(fields=["status", "due_date"], name="operations_sup_due")]

    def clean(self):
        super().clean()
        not_after_today(
            self, "information_sent_on", "The information cannot have been sent tomorrow."
        )
        if self.scorecard_id and self.scorecard.status == Scorecard.Status.RETIRED:
            stored = type(self).objects.filter(pk=self.pk).values_list("scorecard", flat=True)
            if self.scorecard_id not in stored:  # kept by those on it; not chosen anew
                raise ValidationError({"scorecard": "That scorecard is retired."})

    def save(self, *args, **kwargs):
        # Re-evaluation falls due an interval after the last evaluation, whatever the interval
        # is changed to; nobody types it in.
        if self.last_evaluated_on:
            self.due_date = add_months(self.last_evaluated_on, self.evaluation_interval_months)
        super().save(*args, **kwargs)

    def archive_refusal(self) -> str | None:
        if self.status in self.USABLE:
            return f"{self.reference} is still approved: disqualify it, with a reason, first."
        return None


class SupplierEvaluation(Record):
    """One periodic evaluation on the supplier's scorecard, kept with the weights it used."""

    reference_prefix = "SEV"

    class Status(models.TextChoices):
        RECORDED = "recorded", "Recorded"

    class Outcome(models.TextChoices):
        APPROVE = "approve", "Meets the approval mark"
        CONDITIONAL = "conditional", "Meets the conditional mark"
        FAIL = "fail", "Below the conditional mark"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.RECORDED, db_index=True
    )
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="evaluations")
    evaluated_on = models.DateField(db_index=True)
    period = models.CharField(
        "period covered", max_length=60, blank=True, help_text="e.g. 2026 H1, or Q3 2026."
    )
    quality = models.PositiveSmallIntegerField(
        "quality score", validators=PERCENT, help_text="0 to 100."
    )
    delivery = models.PositiveSmallIntegerField(
        "delivery score", validators=PERCENT, help_text="0 to 100."
    )
    responsiveness = models.PositiveSmallIntegerField(
        "responsiveness score", validators=PERCENT, help_text="0 to 100."
    )
    remarks = models.TextField(blank=True)
    weights = models.CharField(
        "weights used", max_length=20, blank=True, editable=False, help_text="Q/D/R in %."
    )
    score = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True, editable=False
    )
    outcome = models.CharField(
        max_length=12, choices=Outcome.choices, blank=True, editable=False, db_index=True
    )

    class Meta(Record.Meta):
        verbose_name = "supplier evaluation"
        indexes = [
            models.Index(fields=["supplier", "evaluated_on"], name="operations_sev_history"),
        ]

    def clean(self):
        super().clean()
        not_after_today(self, "evaluated_on", "An evaluation cannot be dated tomorrow.")

    def save(self, *args, **kwargs):
        if self.pk is None:
            placed_with(self, self.supplier)
        super().save(*args, **kwargs)

    def edit_refusal(self) -> str | None:
        if refusal := super().edit_refusal():
            return refusal
        if self.pk is not None:
            return f"{self.reference} is a record of an evaluation: record a new one instead."
        return None

    def after_archive(self, action):
        """An evaluation entered in error no longer scores its supplier: the newest one left
        does."""
        newest = self.supplier.evaluations.live().order_by("-evaluated_on", "-id").first()

        def rescore(supplier):
            supplier.last_score = newest.score if newest else None
            supplier.last_evaluated_on = newest.evaluated_on if newest else None
            supplier.due_date = None  # follows the last evaluation again (Supplier.save)

        action.change_related(self.supplier, rescore, "evaluation archived")


class SupplierCertificate(Record):
    """A provider's own certificate (its ISO 9001 certificate, an accreditation) and expiry."""

    reference_prefix = "SCT"

    class Status(models.TextChoices):
        VALID = "valid", "Valid"
        WITHDRAWN = "withdrawn", "Withdrawn or suspended"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.VALID, db_index=True
    )
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="certificates")
    standard = models.CharField(max_length=120, help_text="e.g. ISO 9001:2015, ISO/IEC 17025.")
    certificate_number = models.CharField(max_length=120)
    issued_by = models.CharField(
        max_length=200, blank=True, help_text="The certification or accreditation body."
    )
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(db_index=True)

    class Meta(Record.Meta):
        verbose_name = "supplier certificate"

    @property
    def is_expired(self) -> bool:
        return self.expires_on < timezone.localdate()

    def clean(self):
        super().clean()
        not_after_today(self, "issued_on", "A certificate cannot be issued tomorrow.")
        if self.issued_on and self.expires_on and self.expires_on <= self.issued_on:
            raise ValidationError({"expires_on": "It must expire after it was issued."})
        unmoved(self, "supplier")

    def save(self, *args, **kwargs):
        if self.pk is None:
            placed_with(self, self.supplier)
        super().save(*args, **kwargs)


class Scar(Record):
    """A supplier corrective action request: the problem sent to the provider, its answer
    (cause and action) and whether it was accepted. Each has its nonconformity."""

    reference_prefix = "SCAR"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        RESPONDED = "responded", "Response received"
        ACCEPTED = "accepted", "Response accepted"
        CANCELLED = "cancelled", "Cancelled"

    OPEN = (Status.REQUESTED, Status.RESPONDED)

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.REQUESTED, db_index=True
    )
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="scars")
    nonconformity = models.ForeignKey(
        "improvement.Nonconformity",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="scars",
        help_text="Left empty, a supplier nonconformity is raised with the request.",
    )
    problem = models.TextField("problem found")
    requested_on = models.DateField(default=timezone.localdate)
    root_cause = models.TextField("supplier's root cause", blank=True)
    corrective_action = models.TextField("supplier's corrective action", blank=True)
    responded_on = models.DateField(null=True, blank=True)
    due_date = models.DateField("response due", null=True, blank=True, db_index=True)
    review_notes = models.TextField(
        blank=True, help_text="Why the response was accepted, or what it still lacks."
    )

    class Meta(Record.Meta):
        verbose_name = "supplier corrective action request"
        verbose_name_plural = "supplier corrective action requests"

    def clean(self):
        super().clean()
        not_after_today(self, "requested_on", "A request cannot be sent tomorrow.")
        not_after_today(self, "responded_on", "A response cannot arrive tomorrow.")
        if self.due_date and self.requested_on and self.due_date < self.requested_on:
            raise ValidationError({"due_date": "The response is due after the request is sent."})
        unmoved(self, "supplier", "nonconformity")

    def save(self, *args, **kwargs):
        if self.pk is None:
            placed_with(self, self.supplier)
        super().save(*args, **kwargs)

    def edit_refusal(self) -> str | None:
        if refusal := super().edit_refusal():
            return refusal
        if self.status not in self.OPEN:
            return f"{self.reference} is {self.get_status_display().lower()}."
        return None

    def archive_refusal(self) -> str | None:
        if self.status in self.OPEN:
            return f"{self.reference} is still open: cancel it, with a reason, instead."
        return None
