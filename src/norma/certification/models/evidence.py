"""What the registrar is given: evidence packs built from the registers for a period and a
set of clauses, with samples drawn as an auditor asks for them, and time-boxed read-only
access for the registrar's auditors."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from norma.core.models import Record

MAX_PERIOD_DAYS = 3 * 366 + 1  # a certification cycle
GUEST_DAYS = 90


class EvidencePack(Record):
    """A ZIP of the evidence for a period and a set of clauses (every clause when none is
    chosen): an index per clause, the registers' data, the files, the change log and a
    manifest with the SHA-256 of every file."""

    reference_prefix = "EP"

    class Status(models.TextChoices):
        DRAFT = "draft", "Not built yet"
        BUILDING = "building", "Being built"
        BUILT = "built", "Built"
        FAILED = "failed", "Build failed"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    period_start = models.DateField("evidence from")
    period_end = models.DateField("evidence to")
    external_audit = models.ForeignKey(
        "certification.ExternalAudit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence_packs",
        help_text="The registrar's audit the pack is for, if any.",
    )
    build_job_id = models.PositiveIntegerField(null=True, blank=True, editable=False)
    built_at = models.DateTimeField(null=True, blank=True, editable=False)
    file = models.FileField(upload_to="evidence-packs/", max_length=300, blank=True, editable=False)
    file_size = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    file_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    manifest_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    build_error = models.TextField(blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = "evidence pack"
        ordering = ["-id"]

    def clean(self):
        super().clean()
        if self.pk and self.status in (self.Status.BUILT, self.Status.FAILED):
            self.status = self.Status.DRAFT  # edited: the ZIP no longer matches; build again
        if self.period_start and self.period_end:
            if self.period_end < self.period_start:
                raise ValidationError({"period_end": "The period cannot end before it starts."})
            if (self.period_end - self.period_start).days > MAX_PERIOD_DAYS:
                raise ValidationError({"period_end": "A pack covers three years at most."})

    def edit_refusal(self) -> str | None:
        if refusal := super().edit_refusal():
            return refusal
        if self.status == self.Status.BUILDING:
            return f"{self.reference} is being built: wait for it to finish."
        return None


class EvidenceSample(Record):
    """A sampling request, as an auditor puts it ("five closed corrective actions from Q2"):
    records of one register, filtered, within dates, drawn at random."""

    reference_prefix = "ES"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.REQUESTED, db_index=True
    )
    pack = models.ForeignKey(EvidencePack, on_delete=models.PROTECT, related_name="samples")
    register_label = models.CharField(
        "register",
        max_length=80,
        help_text="The register sampled, e.g. improvement.correctiveaction.",
    )
    filters = models.CharField(
        max_length=300,
        blank=True,
        help_text="The register's list filters as in its address, e.g. status=done.",
    )
    date_field = models.CharField(
        max_length=60, default="created_at", help_text="The date the period applies to."
    )
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    size = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    class Meta(Record.Meta):
        verbose_name = "evidence sample"
        ordering = ["pack", "id"]

    def clean(self):
        super().clean()
        from norma.certification.evidence import sample_refusals

        if errors := sample_refusals(self):
            raise ValidationError(errors)
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValidationError({"date_to": "The dates cannot end before they start."})

    def edit_refusal(self) -> str | None:
        if refusal := super().edit_refusal():
            return refusal
        if self.pack_id and self.pack.status == EvidencePack.Status.BUILDING:
            return f"{self.pack.reference} is being built: wait for it to finish."
        return None


class RegistrarAccess(Record):
    """A time-boxed, read-only guest account for a registrar's auditor, limited to one
    evidence pack or one external audit; every page the guest opens is logged."""

    reference_prefix = "RA"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active until its expiry date"
        REVOKED = "revoked", "Revoked"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    guest = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="registrar_accesses",
    )
    guest_name = models.CharField(max_length=150)
    guest_email = models.EmailField()
    evidence_pack = models.ForeignKey(
        EvidencePack, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    external_audit = models.ForeignKey(
        "certification.ExternalAudit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    expires_on = models.DateField(help_text="The guest cannot sign in after this day.")

    class Meta(Record.Meta):
        verbose_name = "registrar access"
        verbose_name_plural = "registrar access"
        ordering = ["-id"]

    def clean(self):
        super().clean()
        errors = {}
        if bool(self.evidence_pack_id) == bool(self.external_audit_id):
            errors["evidence_pack"] = "Give access to one evidence pack or one external audit."
        today = timezone.localdate()
        if self.expires_on:
            if self.expires_on < today and self.pk is None:
                errors["expires_on"] = "The expiry date has already passed."
            elif self.expires_on > today + datetime.timedelta(days=GUEST_DAYS):
                errors["expires_on"] = f"Guest access lasts {GUEST_DAYS} days at most."
        if self.pk and self.guest_id and self.guest_email.lower() != self.guest.email:
            errors["guest_email"] = "The guest's email is fixed once invited: grant a new access."
        if errors:
            raise ValidationError(errors)

    @property
    def expires_at(self) -> datetime.datetime:
        """The end of the expiry day, in the server's time zone."""
        end = datetime.datetime.combine(self.expires_on, datetime.time.max)
        return timezone.make_aware(end)

    @property
    def is_open(self) -> bool:
        return (
            self.status == self.Status.ACTIVE
            and not self.is_archived
            and timezone.now() <= self.expires_at
        )

    def edit_refusal(self) -> str | None:
        if refusal := super().edit_refusal():
            return refusal
        if self.status == self.Status.REVOKED:
            return f"{self.reference} is revoked: grant a new access instead."
        return None

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        if self.guest_id:
            # The guest's sign-in follows their accesses: moved, revoked or archived, it is
            # worked out again (each access's own change-log entry says what changed).
            type(self.guest).objects.filter(pk=self.guest_id).update(
                access_expires_at=guest_expiry(self.guest_id)
            )


def guest_expiry(guest_id) -> datetime.datetime:
    """A guest may sign in until the last of their open accesses ends; with none, not now."""
    grants = RegistrarAccess.objects.filter(
        guest_id=guest_id, status=RegistrarAccess.Status.ACTIVE, archived_at__isnull=True
    )
    ends = [grant.expires_at for grant in grants]
    return max(ends, default=timezone.now())
