"""Certification with a registrar: the certification bodies, the three-year certification
cycles with their certificates, and the external audits held in them (ISO/IEC 17021-1)."""

import datetime
from functools import cache
from importlib import resources

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from norma.certification import rules
from norma.core.models import Record

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


@cache
def accreditation_bodies() -> dict:
    """The reference list of accreditation bodies known to sign the IAF MLA (data file)."""
    text = resources.files("norma.certification").joinpath("data/accreditation_bodies.yaml")
    return yaml.safe_load(text.read_text(encoding="utf-8"))


def known_accreditation_body(name: str) -> dict | None:
    wanted = name.strip().casefold()
    for body in accreditation_bodies()["bodies"]:
        if wanted in (body["acronym"].casefold(), body["name"].casefold()):
            return body
    return None


class CertificationBody(Record):
    """A registrar: the certification body that audits and certifies the QMS."""

    reference_prefix = "CB"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        FORMER = "former", "No longer used"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    accreditation_body = models.CharField(
        max_length=120,
        help_text="Who accredits the registrar, by acronym or name (UKAS, DAkkS, ANAB…).",
    )
    accreditation_number = models.CharField(max_length=60, blank=True)
    accreditation_scope = models.TextField(
        blank=True, help_text="The sectors (IAF codes) the accreditation covers."
    )
    accreditation_expiry = models.DateField(null=True, blank=True)
    contacts = models.TextField(blank=True, help_text="Names, emails and phone numbers.")
    major_response_days = models.PositiveSmallIntegerField(
        "days to answer a major nonconformity",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="The registrar's deadline for the correction and corrective action.",
    )
    minor_response_days = models.PositiveSmallIntegerField(
        "days to answer a minor nonconformity",
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )

    class Meta(Record.Meta):
        verbose_name = "certification body"
        verbose_name_plural = "certification bodies"
        ordering = ["title"]

    def accreditation_warnings(self, today: datetime.date | None = None) -> list[str]:
        """What a registrar's accreditation should make the quality manager check."""
        today = today or timezone.localdate()
        warnings = []
        if self.accreditation_body and not known_accreditation_body(self.accreditation_body):
            warnings.append(
                f"“{self.accreditation_body}” is not on Norma's list of accreditation bodies "
                "that sign the IAF multilateral recognition arrangement: a certificate under it "
                "may not be recognised. " + accreditation_bodies()["verify_note"]
            )
        if self.accreditation_expiry and self.accreditation_expiry < today:
            warnings.append(
                f"The accreditation expired on {self.accreditation_expiry:%-d %B %Y}: ask the "
                "registrar for its renewed accreditation certificate."
            )
        return warnings


class CertificationCycle(Record):
    """One three-year certificate: from the initial (or recertification) audit through the
    decision, two surveillance audits and the recertification before expiry."""

    reference_prefix = "CC"

    class Status(models.TextChoices):
        PLANNED = "planned", "Working towards the decision"
        CERTIFIED = "certified", "Certificate issued"
        CLOSED = "closed", "Closed (renewed, withdrawn or given up)"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.PLANNED, db_index=True
    )
    certification_body = models.ForeignKey(
        CertificationBody, on_delete=models.PROTECT, related_name="cycles"
    )
    previous_cycle = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_cycle",
        help_text="The cycle this one renews; its expiry then runs on from the old one.",
    )
    standard = models.CharField(max_length=60, default="ISO 9001:2015")
    scope = models.TextField(help_text="The scope statement as the certificate will print it.")
    sites = models.ManyToManyField(
        "core.Site",
        blank=True,
        related_name="+",
        help_text="Every site in the scope, the central function's included.",
    )
    central_site = models.ForeignKey(
        "core.Site",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where the central function sits; sampling draws from the other sites.",
    )
    personnel = models.PositiveIntegerField(
        "effective number of personnel",
        validators=[MinValueValidator(1)],
        help_text="Everyone working in the scope, every shift, with contractors (IAF MD 5).",
    )
    reduction_pct = models.DecimalField(
        "documented reductions (%)", max_digits=5, decimal_places=2, default=0, validators=PERCENT
    )
    increase_pct = models.DecimalField(
        "documented increases (%)", max_digits=5, decimal_places=2, default=0, validators=PERCENT
    )
    day_rate = models.DecimalField(
        "registrar's day rate", max_digits=10, decimal_places=2, null=True, blank=True
    )
    stage_1_date = models.DateField("stage 1", null=True, blank=True)
    stage_2_date = models.DateField("stage 2 (last day)", null=True, blank=True)
    decision_date = models.DateField("certification decision", null=True, blank=True)
    certificate_number = models.CharField(max_length=60, blank=True)
    issue_date = models.DateField("certificate issued", null=True, blank=True)
    expiry_date = models.DateField(
        "certificate expires",
        null=True,
        blank=True,
        db_index=True,
        help_text="Left blank, it is set from the decision: the day before, three years on.",
    )

    class Meta(Record.Meta):
        verbose_name = "certification cycle"
        ordering = ["-decision_date", "-id"]

    def clean(self):
        super().clean()
        errors = {}
        if self.stage_1_date and self.stage_2_date and self.stage_2_date < self.stage_1_date:
            errors["stage_2_date"] = "Stage 2 comes after stage 1."
        if self.decision_date:
            if self.stage_2_date and self.decision_date < self.stage_2_date:
                errors["decision_date"] = "The decision follows the last day of stage 2."
            if self.decision_date > timezone.localdate():
                errors["decision_date"] = "A certification decision is recorded once taken."
            if not self.expiry_date:
                self.expiry_date = self.default_expiry()
        if self.expiry_date and self.decision_date and self.expiry_date <= self.decision_date:
            errors["expiry_date"] = "The certificate expires after the decision."
        if self.issue_date and self.decision_date and self.issue_date < self.decision_date:
            errors["issue_date"] = "A certificate is issued on or after the decision."
        if self.previous_cycle_id and self.previous_cycle_id == self.pk:
            errors["previous_cycle"] = "A cycle cannot renew itself."
        if errors:
            raise ValidationError(errors)

    def renews_in_time(self) -> bool:
        """Renewed before the old certificate expired, or restored within six months of it:
        the new cycle keeps the old one's dates (ISO/IEC 17021-1 9.6.3)."""
        previous = self.previous_cycle if self.previous_cycle_id else None
        if previous is None or previous.expiry_date is None:
            return False
        until = rules.add_months(previous.expiry_date, rules.RESTORATION_MONTHS)
        return self.decision_date is None or self.decision_date <= until

    def default_expiry(self) -> datetime.date:
        if self.renews_in_time():
            return rules.next_cycle_expiry(self.previous_cycle.expiry_date)
        return rules.cycle_dates(self.decision_date).expiry

    def edit_refusal(self) -> str | None:
        if refusal := super().edit_refusal():
            return refusal
        if self.status == self.Status.CLOSED:
            return f"{self.reference} is closed: it is a record now."
        return None

    def save(self, *args, **kwargs):
        # The due date is the latest day of the next audit or decision the cycle waits for,
        # kept with the record so reminders and task lists look ahead to it.
        self.due_date = self.next_audit_due()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "due_date"}
        super().save(*args, **kwargs)

    # -- the schedule ------------------------------------------------------------------
    def surveillance_days(self) -> list[datetime.date]:
        """Last days of the surveillance audits held (prefetched on lists)."""
        if self.pk is None:
            return []
        return [
            audit.end_date
            for audit in self.external_audits.all()
            if audit.kind == ExternalAudit.Kind.SURVEILLANCE
            and audit.status == ExternalAudit.Status.HELD
            and not audit.is_archived
        ]

    def next_audit_due(self) -> datetime.date | None:
        if self.status != self.Status.CERTIFIED or not self.decision_date:
            return None
        expiry = self.expiry_date or self.default_expiry()
        return rules.next_audit_due(self.decision_date, expiry, self.surveillance_days())

    @property
    def dates(self) -> rules.CycleDates | None:
        return rules.cycle_dates(self.decision_date) if self.decision_date else None

    def standing_on(self, today: datetime.date) -> rules.Standing:
        if self.status == self.Status.CLOSED:
            return rules.Standing("closed", "Closed")
        if self.status != self.Status.CERTIFIED:
            return rules.Standing("planned", "Working towards certification")
        return rules.standing(self.decision_date, self.expiry_date, self.surveillance_days(), today)

    @property
    def standing(self) -> rules.Standing:
        return self.standing_on(timezone.localdate())

    def other_sites(self) -> list:
        """The sites besides the central function, those IAF MD 1 samples from."""
        return [site for site in self.sites.all() if site.pk != self.central_site_id]

    @property
    def audit_time(self) -> rules.AuditTime:
        return rules.audit_time(self.personnel, self.reduction_pct, self.increase_pct)


class ExternalAudit(Record):
    """An audit by the registrar within a certification cycle."""

    reference_prefix = "EA"

    class Kind(models.TextChoices):
        STAGE_1 = "stage_1", "Stage 1"
        STAGE_2 = "stage_2", "Stage 2"
        SURVEILLANCE = "surveillance", "Surveillance"
        RECERTIFICATION = "recertification", "Recertification"
        SPECIAL = "special", "Special or short-notice"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        HELD = "held", "Held"
        CANCELLED = "cancelled", "Cancelled"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.PLANNED, db_index=True
    )
    cycle = models.ForeignKey(
        CertificationCycle, on_delete=models.PROTECT, related_name="external_audits"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    start_date = models.DateField()
    end_date = models.DateField("last day")
    auditors = models.TextField(
        "registrar's auditors", blank=True, help_text="The audit team named by the registrar."
    )
    audit_days = models.DecimalField(
        max_digits=5, decimal_places=1, null=True, blank=True, help_text="As the plan states."
    )
    sites = models.ManyToManyField(
        "core.Site",
        blank=True,
        related_name="+",
        verbose_name="sites visited",
        help_text="Those the auditors chose on risk; drawing the sample adds the rest.",
    )
    summary = models.TextField(
        blank=True, help_text="The registrar's conclusion; attach the report file."
    )

    class Meta(Record.Meta):
        verbose_name = "external audit"
        ordering = ["-start_date", "-id"]

    def edit_refusal(self) -> str | None:
        if refusal := super().edit_refusal():
            return refusal
        if self.status != self.Status.PLANNED:
            return (
                f"{self.reference} is {self.get_status_display().lower()}: its record is kept "
                "as it was; attach files or record findings instead."
            )
        return None

    def clean(self):
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The last day is on or after the first."})
        if (
            self.status == self.Status.HELD
            and self.end_date
            and self.end_date > timezone.localdate()
        ):
            raise ValidationError({"status": "An audit is held once its last day has passed."})

    def save(self, *args, **kwargs):
        before = ExternalAudit.objects.filter(pk=self.pk).values_list("cycle_id", flat=True)
        cycles = {self.cycle_id, *before} if self.pk else {self.cycle_id}
        super().save(*args, **kwargs)
        for cycle in CertificationCycle.objects.filter(pk__in=cycles):
            cycle.save(update_fields=["due_date"])  # the next audit due moves with those held


class ExternalFinding(Record):
    """What the registrar found at one of its audits. A major or minor nonconformity opens a
    nonconformity in the improvement workflow, due when the registrar wants the answer."""

    reference_prefix = "XF"

    class Grade(models.TextChoices):
        MAJOR = "major", "Major nonconformity"
        MINOR = "minor", "Minor nonconformity"
        OPPORTUNITY = "opportunity", "Opportunity for improvement"
        OBSERVATION = "observation", "Observation"

    class Status(models.TextChoices):
        OPEN = "open", "Awaiting the registrar's verification"
        VERIFIED = "verified", "Verified by the registrar"
        NOTED = "noted", "Noted (no answer required)"

    NONCONFORMITIES = (Grade.MAJOR, Grade.MINOR)

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    external_audit = models.ForeignKey(
        ExternalAudit, on_delete=models.PROTECT, related_name="findings"
    )
    grade = models.CharField(max_length=20, choices=Grade.choices, db_index=True)
    clause_ref = models.CharField(
        "clause", max_length=20, blank=True, help_text="The clause the registrar cited, e.g. 7.2."
    )
    statement = models.TextField(help_text="The finding as the registrar wrote it.")
    response_due = models.DateField(
        "answer due to the registrar",
        null=True,
        blank=True,
        help_text="Left blank, it is set from the registrar's days to answer.",
    )
    nonconformity = models.OneToOneField(
        "improvement.Nonconformity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="external_finding",
    )
    verified_on = models.DateField("verified by the registrar on", null=True, blank=True)

    class Meta(Record.Meta):
        verbose_name = "external finding"
        ordering = ["external_audit", "id"]

    @property
    def is_nonconformity(self) -> bool:
        return self.grade in self.NONCONFORMITIES

    def edit_refusal(self) -> str | None:
        if refusal := super().edit_refusal():
            return refusal
        if self.status == self.Status.VERIFIED:
            return f"{self.reference} is verified by the registrar: it is a record now."
        return None

    def clean(self):
        super().clean()
        if self.pk is None:  # an opportunity or observation needs no answer
            self.status = self.Status.OPEN if self.is_nonconformity else self.Status.NOTED
        else:  # what the registrar graded, and where, is not rewritten afterwards
            grade, audit = (
                ExternalFinding.objects.filter(pk=self.pk)
                .values_list("grade", "external_audit_id")
                .get()
            )
            fixed = {"grade": grade, "external_audit_id": audit}
            changed = [name for name, value in fixed.items() if getattr(self, name) != value]
            if changed:
                raise ValidationError(
                    {
                        name.removesuffix("_id"): "Fixed once recorded: archive the finding "
                        "and record it again if it was entered wrongly."
                        for name in changed
                    }
                )
        audit = self.external_audit if self.external_audit_id else None
        if audit is None:
            return
        if audit.status != ExternalAudit.Status.HELD:
            raise ValidationError(
                {"external_audit": f"{audit.reference} is not recorded as held yet."}
            )
        if self.is_nonconformity and not self.response_due:
            body = audit.cycle.certification_body
            days = (
                body.major_response_days
                if self.grade == self.Grade.MAJOR
                else (body.minor_response_days)
            )
            self.response_due = audit.end_date + datetime.timedelta(days=days)
        if self.verified_on:
            if not self.is_nonconformity:
                raise ValidationError({"verified_on": "Only a nonconformity is verified."})
            if self.verified_on < audit.end_date or self.verified_on > timezone.localdate():
                raise ValidationError(
                    {"verified_on": "Verified after the audit, and not later than today."}
                )

    def follow_response_due(self):
        """Answer the registrar by its date: the due date reminders and task lists follow."""
        self.due_date = self.response_due if self.status == self.Status.OPEN else None

    def save(self, *args, **kwargs):
        self.follow_response_due()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "due_date"}
        super().save(*args, **kwargs)

    @classmethod
    def rows_imported(cls, findings):
        """An import writes rows without the action: open their nonconformities all the same."""
        from norma.certification.findings import open_nonconformity

        for finding in findings:
            finding.follow_response_due()
            ExternalFinding.objects.filter(pk=finding.pk).update(due_date=finding.due_date)
            if finding.is_nonconformity:
                open_nonconformity(finding.created_by, finding)
