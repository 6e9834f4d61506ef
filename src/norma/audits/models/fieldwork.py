"""What the audit team does on the day: the checklist it works through, the interviews it
holds and the findings it grades."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models

from norma.core.models import Record


class Result(models.TextChoices):
    NOT_AUDITED = "not_audited", "Not audited"
    CONFORMING = "conforming", "Conforming"
    MINOR = "minor", "Minor nonconformity"
    MAJOR = "major", "Major nonconformity"
    OFI = "ofi", "Opportunity for improvement"
    OBSERVATION = "observation", "Observation"


class Grade(models.TextChoices):
    MAJOR = "major", "Major nonconformity"
    MINOR = "minor", "Minor nonconformity"
    OFI = "ofi", "Opportunity for improvement"
    OBSERVATION = "observation", "Observation"
    STRENGTH = "strength", "Strength"


NONCONFORMING = (Grade.MAJOR, Grade.MINOR)


class LockedWithAudit(Record):
    """A part of an audit (subclasses add `audit`): editable while the audit is open,
    locked with its report."""

    class Meta(Record.Meta):
        abstract = True

    def edit_refusal(self):
        if self.audit_id and self.audit.is_locked:
            status = self.audit.get_status_display().lower()
            return f"{self.audit.reference} is {status}: its work is locked."
        return super().edit_refusal()

    def edit_refusal_for(self, person):
        if self.audit_id:
            lock_audit(self.audit_id)  # a part is not changed while its report is being signed
            return self.audit.edit_refusal_for(person)
        return None

    def attach_refusal(self):
        return self.edit_refusal()

    def archive_refusal(self):
        return self.edit_refusal()

    def clean(self):
        super().clean()
        if self.pk and type(self).objects.filter(pk=self.pk).exclude(audit=self.audit_id).exists():
            raise ValidationError({"audit": "A part of an audit stays with its audit."})


def acting_person():
    """Who is writing, when a person is (references are checked against what they read)."""
    from norma.core.context import NoActorError, current_actor

    try:
        return current_actor().person
    except NoActorError:
        return None


def lock_audit(audit_id):
    """Within a write, hold the audit's row until the part is saved."""
    from django.db import transaction

    from norma.audits.models import Audit

    if transaction.get_connection().in_atomic_block:
        Audit.objects.select_for_update().filter(pk=audit_id).exists()


def not_in_the_future(record, *names):
    from django.utils import timezone

    for name in names:
        moment = getattr(record, name)
        if moment and moment > timezone.now():
            raise ValidationError({name: "This records what happened: it cannot be in the future."})


class ChecklistItem(LockedWithAudit):
    """A question to answer with evidence: from the standard, or about a document, KPI or
    risk of the process audited, or added by the auditor."""

    reference_prefix = "CHK"

    class Source(models.TextChoices):
        STANDARD = "standard", "The standard"
        DOCUMENT = "document", "A document of the process"
        KPI = "kpi", "A KPI of the process"
        RISK = "risk", "A risk of the process"
        AUDITOR = "auditor", "Added by the auditor"

    class Status(models.TextChoices):
        OPEN = "open", "To audit"
        DONE = "done", "Audited"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    title = models.CharField("question", max_length=250)
    audit = models.ForeignKey("audits.Audit", on_delete=models.PROTECT, related_name="checklist")
    position = models.PositiveIntegerField(default=0)
    clause = models.ForeignKey(
        "standards.Clause", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.AUDITOR)
    subject_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_id = models.CharField(max_length=40, blank=True, editable=False)
    subject = GenericForeignKey("subject_type", "subject_id")
    result = models.CharField(
        max_length=12, choices=Result.choices, default=Result.NOT_AUDITED, db_index=True
    )
    notes = models.TextField(blank=True)
    evidence = models.TextField(
        "sampled evidence", blank=True, help_text="What was seen: records, places, people."
    )
    evidence_references = models.CharField(
        "records sampled",
        max_length=500,
        blank=True,
        help_text="Reference codes of records in Norma, separated by commas.",
    )

    class Meta(Record.Meta):
        verbose_name = "checklist item"
        verbose_name_plural = "checklist items"
        ordering = ["audit", "position", "id"]
        indexes = [models.Index(fields=["audit", "position"], name="audits_checklist_order")]

    def clean(self):
        super().clean()
        from norma.audits.evidence import unknown_references

        if unknown := unknown_references(self.evidence_references, acting_person()):
            raise ValidationError(
                {
                    "evidence_references": "No record you can read has the reference "
                    f"{', '.join(unknown)}."
                }
            )

    def save(self, *args, **kwargs):
        audited = self.result != Result.NOT_AUDITED
        self.status = self.Status.DONE if audited else self.Status.OPEN
        super().save(*args, **kwargs)


class Interview(LockedWithAudit):
    """Who was interviewed, in which role, when, and what they said."""

    reference_prefix = "INT"

    class Status(models.TextChoices):
        HELD = "held", "Held"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.HELD, db_index=True
    )
    title = models.CharField("subject", max_length=250, blank=True)
    audit = models.ForeignKey("audits.Audit", on_delete=models.PROTECT, related_name="interviews")
    interviewee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    interviewee_role = models.CharField("role", max_length=120, blank=True)
    held_at = models.DateTimeField("when")
    notes = models.TextField()
    checklist_items = models.ManyToManyField(
        ChecklistItem, blank=True, related_name="interviews", verbose_name="checklist items"
    )

    class Meta(Record.Meta):
        verbose_name = "interview"
        verbose_name_plural = "interviews"

    def clean(self):
        if not self.title and self.interviewee_id:
            self.title = f"Interview with {self.interviewee.full_name}"
        super().clean()
        not_in_the_future(self, "held_at")

    def clean_many(self, name, value):
        if name == "checklist_items":
            others = [item.reference for item in value if item.audit_id != self.audit_id]
            if others:
                raise ValidationError(
                    {"checklist_items": f"Not on this audit's checklist: {', '.join(others)}."}
                )


class Finding(LockedWithAudit):
    """What the audit found, graded, against a clause, with its evidence. Issued major and
    minor nonconformities open a nonconformity; the auditees acknowledge each finding."""

    reference_prefix = "FND"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ISSUED = "issued", "Issued, awaiting acknowledgement"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        DISPUTED = "disputed", "Disputed by the auditee"
        WITHDRAWN = "withdrawn", "Withdrawn"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    title = models.CharField("statement", max_length=250)
    audit = models.ForeignKey("audits.Audit", on_delete=models.PROTECT, related_name="findings")
    grade = models.CharField(max_length=12, choices=Grade.choices, db_index=True)
    clause = models.ForeignKey("standards.Clause", on_delete=models.PROTECT, related_name="+")
    process = models.ForeignKey(
        "planning.Process", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requirement = models.TextField(help_text="What the criterion asks for, in your words.")
    evidence = models.TextField(help_text="What was seen that shows it (records, interviews).")
    checklist_item = models.ForeignKey(
        ChecklistItem, null=True, blank=True, on_delete=models.PROTECT, related_name="findings"
    )
    nonconformity = models.ForeignKey(
        "improvement.Nonconformity",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    improvement = models.ForeignKey(
        "improvement.Improvement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    auditee_response = models.TextField(blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = "finding"
        verbose_name_plural = "findings"

    def clean(self):
        super().clean()
        if self.checklist_item_id and self.checklist_item.audit_id != self.audit_id:
            raise ValidationError({"checklist_item": "That item is on another audit's checklist."})
        for name in ("requirement", "evidence"):
            if not getattr(self, name, "").strip():
                raise ValidationError({name: "A finding states its requirement and evidence."})
        if self.process_id and self.audit_id:
            scope = self.audit.processes.all()
            if scope.exists() and not scope.filter(pk=self.process_id).exists():
                raise ValidationError({"process": "Choose one of the processes the audit covers."})

    def edit_refusal(self):
        if refusal := super().edit_refusal():
            return refusal
        if self.status != self.Status.DRAFT:
            return f"{self.reference} is issued: withdraw it and record a new one to change it."
        return None

    @property
    def is_nonconformity(self) -> bool:
        return self.grade in NONCONFORMING
