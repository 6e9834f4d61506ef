"""4.4: the QMS processes, their owners, inputs, outputs, criteria and interactions."""

from django.db import models

from norma.core.models import Record


class ProcessType(models.TextChoices):
    CORE = "core", "Core (realises products or services)"
    MANAGEMENT = "management", "Management"
    SUPPORT = "support", "Support"


class Process(Record):
    """A process of the QMS (4.4.1): what goes in, what comes out, how it is judged."""

    reference_prefix = "PRC"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    process_type = models.CharField(
        max_length=20, choices=ProcessType.choices, default=ProcessType.CORE
    )
    purpose = models.TextField(blank=True)
    inputs = models.TextField(blank=True)
    outputs = models.TextField(blank=True)
    criteria = models.TextField(blank=True, help_text="Criteria and methods that show it works.")
    suppliers = models.TextField(blank=True, help_text="Who provides its inputs (SIPOC).")
    customers = models.TextField(blank=True, help_text="Who receives its outputs (SIPOC).")
    resources = models.TextField(blank=True, help_text="People, equipment, software it needs.")
    hands_over_to = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="receives_from",
        help_text="The processes its outputs go to: the arrows of the process map.",
    )
    due_date = models.DateField("next review", null=True, blank=True, db_index=True)

    class Meta(Record.Meta):
        verbose_name = "process"
        verbose_name_plural = "processes"
        permissions = [("approve_process", "Can approve a process")]

    def edit_refusal(self):
        if self.status == self.Status.APPROVED:
            return f"{self.reference} is approved and signed: start a revision to change it."
        return super().edit_refusal()
