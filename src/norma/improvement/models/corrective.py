"""10.2.1 a, c, e, f: corrections, containment and corrective actions, and each judgement of
whether the fix worked."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from norma.core.models import Record
from norma.improvement.models.nonconformities import Nonconformity, not_in_the_past


class CorrectiveAction(Record):
    """Something to do about a nonconformity: correct it, contain it, or remove its cause."""

    reference_prefix = "CAR"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        CONTAINMENT = "containment", "Containment"
        CORRECTIVE = "corrective", "Corrective action"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    nonconformity = models.ForeignKey(
        Nonconformity,
        on_delete=models.PROTECT,
        related_name="actions",
        limit_choices_to=models.Q(status__in=Nonconformity.OPEN),
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, db_index=True)
    description = models.TextField(blank=True)
    analysis_round = models.PositiveSmallIntegerField(default=1, editable=False)
    completed_on = models.DateField(null=True, blank=True, editable=False)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    evidence = models.TextField(blank=True, help_text="What shows it was done.")
    documents = models.ManyToManyField(
        "documents.Document", blank=True, related_name="corrective_actions"
    )
    risks = models.ManyToManyField(
        "planning.Risk",
        blank=True,
        related_name="corrective_actions",
        help_text="Risks and opportunities updated because of it (10.2.1 e).",
    )
    changes = models.ManyToManyField(
        "planning.PlannedChange",
        blank=True,
        related_name="corrective_actions",
        verbose_name="QMS changes",
        help_text="Changes to the QMS it makes (10.2.1 f).",
    )

    class Meta(Record.Meta):
        verbose_name = "corrective action"
        # Open and overdue: most of a large table is done, with due dates long past.
        indexes = [
            models.Index(fields=["status", "due_date"], name="improvement_ca_open"),
            # The 10.2 check reads which nonconformities have a corrective action done.
            models.Index(fields=["kind", "status", "nonconformity"], name="improvement_ca_done"),
        ]

    def clean(self):
        super().clean()
        not_in_the_past(self, "due_date")
        if self.pk is None and self.nonconformity_id:
            nc = self.nonconformity
            if not nc.is_open:
                raise ValidationError({"nonconformity": f"{nc.reference} is no longer open."})
            if nc.status == Nonconformity.Status.VERIFICATION:
                raise ValidationError(
                    {
                        "nonconformity": f"{nc.reference} is at its effectiveness check: new "
                        "actions are planned if the check finds the fix did not work."
                    }
                )
        moved = type(self).objects.filter(pk=self.pk).exclude(nonconformity=self.nonconformity_id)
        if self.pk is not None and moved.exists():
            raise ValidationError(
                {
                    "nonconformity": "An action stays with its nonconformity: cancel it and add "
                    "one to the other."
                }
            )

    def save(self, *args, **kwargs):
        if self.pk is None and self.nonconformity_id:
            # A fix judged not effective starts a new round; actions belong to the round.
            self.analysis_round = self.nonconformity.analysis_round
            if self.site_id is None:  # read and acted on where the nonconformity is
                self.site_id = self.nonconformity.site_id
                self.department_id = self.department_id or self.nonconformity.department_id
        super().save(*args, **kwargs)

    def archive_refusal(self) -> str | None:
        if self.status == self.Status.OPEN:
            return f"{self.reference} is still open: cancel it, with a reason, instead."
        return None

    def edit_refusal(self) -> str | None:
        if refusal := super().edit_refusal():  # archived: said first
            return refusal
        if self.status != self.Status.OPEN:
            return f"{self.reference} is {self.get_status_display().lower()}."
        return None


class Verification(models.Model):
    """One judgement of whether the corrective actions worked, with its evidence; a fix judged
    not effective sends the nonconformity back to analysis and stays on record."""

    class Result(models.TextChoices):
        EFFECTIVE = "effective", "Effective"
        NOT_EFFECTIVE = "not_effective", "Not effective"

    nonconformity = models.ForeignKey(
        Nonconformity, on_delete=models.PROTECT, related_name="verifications"
    )
    analysis_round = models.PositiveSmallIntegerField()
    criteria = models.TextField()
    result = models.CharField(max_length=14, choices=Result.choices, db_index=True)
    evidence = models.TextField()
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verified_on = models.DateField(db_index=True)

    class Meta:
        ordering = ["verified_on", "id"]
        indexes = [
            models.Index(
                fields=["verified_on", "result", "nonconformity"], name="improvement_verified"
            ),
            models.Index(fields=["result", "nonconformity"], name="improvement_effective"),
        ]

    def __str__(self):
        return f"{self.get_result_display()} on {self.verified_on}"
