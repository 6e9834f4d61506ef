"""10.3: ideas and opportunities for improvement, evaluated, decided and followed through."""

from django.core.exceptions import ValidationError
from django.db import models

from norma.core.models import Record
from norma.improvement.models.origins import OriginMixin


class Improvement(Record, OriginMixin):
    """An idea or opportunity, from anyone, and what came of it."""

    reference_prefix = "IMP"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        DONE = "done", "Implemented"
        REJECTED = "rejected", "Not taken up"

    class Source(models.TextChoices):
        EMPLOYEE = "employee", "Employee suggestion"
        AUDIT = "audit", "Audit (opportunity for improvement)"
        MANAGEMENT_REVIEW = "management_review", "Management review"
        CUSTOMER = "customer", "Customer feedback"
        NONCONFORMITY = "nonconformity", "Nonconformity"
        OTHER = "other", "Other"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.PROPOSED, db_index=True
    )
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.EMPLOYEE)
    description = models.TextField()
    process = models.ForeignKey(
        "planning.Process",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="improvements",
    )
    expected_benefit = models.TextField(blank=True)
    evaluation = models.TextField(blank=True, editable=False)
    realised_benefit = models.TextField(blank=True, help_text="What it brought, once implemented.")
    decided_on = models.DateField(null=True, blank=True, editable=False)
    implemented_on = models.DateField(null=True, blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = "improvement"
        permissions = [("decide_improvement", "Can decide whether an improvement is taken up")]

    def clean(self):
        super().clean()
        if self.status == self.Status.DONE and not self.realised_benefit.strip():
            raise ValidationError({"realised_benefit": "Say what the improvement brought."})

    def edit_refusal(self) -> str | None:
        if refusal := super().edit_refusal():  # archived: said first
            return refusal
        if self.status in (self.Status.DONE, self.Status.REJECTED):
            return f"{self.reference} is {self.get_status_display().lower()}."
        return None
