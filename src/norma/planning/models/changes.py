"""6.3: changes to the QMS, planned before they are made."""

from django.db import models

from norma.core.models import Record


class PlannedChange(Record):
    """A change to the QMS (a new process, a reorganisation, a new site), with what it is
    for, what it may affect, and who does what with which resources (6.3)."""

    reference_prefix = "CHG"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        APPROVED = "approved", "Approved"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.PLANNED, db_index=True
    )
    purpose = models.TextField("purpose")
    consequences = models.TextField("potential consequences", blank=True)
    integrity = models.TextField(
        "how the QMS stays whole", blank=True, help_text="What keeps working during the change."
    )
    resources = models.TextField("resources", blank=True)
    responsibilities = models.TextField("responsibilities and authorities", blank=True)
    outcome = models.TextField(blank=True, editable=False)
    due_date = models.DateField("planned for", null=True, blank=True, db_index=True)

    class Meta(Record.Meta):
        verbose_name = "planned change"
        permissions = [("approve_plannedchange", "Can approve a planned change to the QMS")]

    def signed_content(self) -> dict:
        """What top management approved: the plan, not the outcome written when it is done."""
        from norma.core.changelog import snapshot
        from norma.core.signatures import WORKFLOW_FIELDS

        return {
            k: v for k, v in snapshot(self).items() if k not in WORKFLOW_FIELDS and k != "outcome"
        }

    @property
    def is_planned_fully(self) -> bool:
        return all((self.purpose, self.consequences, self.resources, self.responsibilities))

    def edit_refusal(self):
        if self.status in (self.Status.DONE, self.Status.CANCELLED):
            return f"{self.reference} is {self.get_status_display().lower()}: it is history now."
        return super().edit_refusal()
