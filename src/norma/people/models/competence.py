"""7.2 evidence beyond courses, and 9.2.2 audit experience for auditor qualification."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from norma.core.models import Record
from norma.people.models.roles import Level, Requirement
from norma.people.models.training import place_with


class Assessment(Record):
    """A judgement that a person holds an education, experience or skill at a level, with its
    evidence attached (a diploma, a CV, an observed task)."""

    reference_prefix = "CA"

    class Status(models.TextChoices):
        VALID = "valid", "Valid"
        WITHDRAWN = "withdrawn", "Withdrawn"

    title = models.CharField(max_length=250, blank=True, editable=False)
    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.VALID, db_index=True
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments"
    )
    requirement = models.ForeignKey(
        Requirement, on_delete=models.PROTECT, related_name="assessments"
    )
    level = models.PositiveSmallIntegerField("level held", choices=Level.choices)
    assessed_on = models.DateField()
    valid_until = models.DateField(null=True, blank=True, help_text="Empty: does not lapse.")
    basis = models.TextField(blank=True, help_text="How it was judged: diploma, CV, observation.")

    class Meta(Record.Meta):
        verbose_name = "competence assessment"
        indexes = [
            models.Index(
                fields=["person", "requirement", "-assessed_on"], name="people_assess_latest"
            )
        ]

    def clean(self):
        super().clean()
        if self.assessed_on and self.assessed_on > timezone.localdate():
            raise ValidationError({"assessed_on": "An assessment cannot be dated ahead."})
        if self.assessed_on and self.valid_until and self.valid_until <= self.assessed_on:
            raise ValidationError(
                {"valid_until": f"It must stay valid after the assessment ({self.assessed_on})."}
            )
        if self.requirement_id and self.requirement.kind == Requirement.Kind.COURSE:
            raise ValidationError(
                {"requirement": "A course is shown by a training record, not an assessment."}
            )
        if self.person_id:
            place_with(self, self.person)
            if self.requirement_id:
                self.title = f"{self.requirement.title} — {self.person.full_name}"[:250]


class AuditExperience(Record):
    """One audit a person took part in, and in which role: what auditor qualification counts.
    Completed audits add theirs; audits done elsewhere are entered with their evidence."""

    reference_prefix = "AX"

    class Role(models.TextChoices):
        TEAM_MEMBER = "team_member", "Team member"
        LEAD_SUPERVISED = "lead_supervised", "Lead auditor under supervision"
        LEAD = "lead", "Lead auditor"

    class Status(models.TextChoices):
        COUNTED = "counted", "Counted"
        REJECTED = "rejected", "Not counted"

    title = models.CharField("audit", max_length=250)
    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.COUNTED, db_index=True
    )
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="audit_experience"
    )
    role = models.CharField("role in the audit", max_length=20, choices=Role.choices)
    audited_on = models.DateField()
    audited_process = models.ForeignKey(
        "planning.Process",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="process audited",
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who supervised a lead under supervision.",
    )

    class Meta(Record.Meta):
        verbose_name = "audit experience"
        verbose_name_plural = "audit experience"

    def clean(self):
        super().clean()
        if self.audited_on and self.audited_on > timezone.localdate():
            raise ValidationError({"audited_on": "Only an audit that has taken place counts."})
        if self.role == self.Role.LEAD_SUPERVISED and not self.supervisor_id:
            raise ValidationError({"supervisor": "Name who supervised the lead."})
        if self.supervisor_id and self.supervisor_id == self.auditor_id:
            raise ValidationError({"supervisor": "Nobody supervises themselves."})
        if self.auditor_id:
            place_with(self, self.auditor)
