"""The gap analysis: a self-assessment of every clause of the standard against the QMS as it
is, with an action for each gap. Run again later, its runs show the progress made."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from norma.core.models import Record


class GapAssessment(Record):
    """One run of the gap analysis over every clause in scope."""

    reference_prefix = "GA"

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.IN_PROGRESS, db_index=True
    )
    standard = models.ForeignKey("standards.Standard", on_delete=models.PROTECT, related_name="+")
    started_on = models.DateField(default=timezone.localdate, editable=False)
    completed_on = models.DateField(null=True, blank=True, editable=False)
    summary = models.TextField(blank=True, help_text="What the assessment concluded overall.")

    class Meta(Record.Meta):
        verbose_name = "gap assessment"
        ordering = ["-started_on", "-id"]

    def edit_refusal(self) -> str | None:
        if refusal := super().edit_refusal():
            return refusal
        if self.status == self.Status.COMPLETED:
            return f"{self.reference} is completed: start a new assessment to assess again."
        return None

    @staticmethod
    def score(answers) -> int | None:
        """Conform counts 1 and partly a half, over the clauses that apply and are answered."""
        counted = [a for a in answers if a.status in GapAnswer.SCORE]
        if not counted:
            return None
        return round(100 * sum(GapAnswer.SCORE[a.status] for a in counted) / len(counted))


class GapAnswer(Record):
    """The answer for one clause: conform, partly, gap or not applicable, with notes and the
    evidence looked at."""

    reference_prefix = "GQ"

    class Answer(models.TextChoices):
        UNANSWERED = "unanswered", "Not assessed yet"
        CONFORM = "conform", "Conform"
        PARTLY = "partly", "Partly conform"
        GAP = "gap", "Gap"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    SCORE = {Answer.CONFORM: 1.0, Answer.PARTLY: 0.5, Answer.GAP: 0.0}
    NEEDS_ACTION = (Answer.PARTLY, Answer.GAP)

    # The answer is what people set; the record's status follows it (filters, badges).
    answer = models.CharField(max_length=32, choices=Answer.choices, default=Answer.UNANSWERED)
    status = models.CharField(
        max_length=32, choices=Answer.choices, default=Answer.UNANSWERED, db_index=True
    )
    assessment = models.ForeignKey(GapAssessment, on_delete=models.PROTECT, related_name="answers")
    clause = models.ForeignKey("standards.Clause", on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(blank=True, help_text="What was found, in a sentence or two.")
    evidence = models.TextField(
        blank=True,
        help_text="What was looked at: record references (DOC-2026-0001) or links, one a line.",
    )

    class Meta(Record.Meta):
        verbose_name = "gap answer"
        ordering = ["assessment", "clause__sort_key"]
        default_permissions = ("change", "view")  # written by starting an assessment
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "clause"], name="certification_one_answer_per_clause"
            )
        ]

    def clean(self):
        super().clean()
        if self.answer == self.Answer.NOT_APPLICABLE and not self.notes.strip():
            raise ValidationError({"notes": "Say why the clause does not apply (4.3)."})

    def save(self, *args, **kwargs):
        self.status = self.answer
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "status"}
        super().save(*args, **kwargs)

    def edit_refusal(self) -> str | None:
        if refusal := super().edit_refusal():
            return refusal
        if self.assessment.status == GapAssessment.Status.COMPLETED:
            return f"{self.assessment.reference} is completed: its answers are kept as given."
        return None


class GapAction(Record):
    """What will be done to close a gap, by whom and by when; followed like any action."""

    reference_prefix = "GX"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    answer = models.ForeignKey(GapAnswer, on_delete=models.PROTECT, related_name="actions")
    description = models.TextField(blank=True)
    outcome = models.TextField(blank=True, help_text="What was done, and what it changed.")
    completed_on = models.DateField(null=True, blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = "gap action"
        ordering = ["due_date", "id"]

    def clean(self):
        super().clean()
        errors = {}
        if not self.owner_id:
            errors["owner"] = "Give the action an owner."
        if not self.due_date:
            errors["due_date"] = "Give the action a due date."
        elif self.pk is None and self.due_date < timezone.localdate():
            errors["due_date"] = "The date has already passed; give today or a later one."
        if self.answer_id and self.pk is None and self.answer.answer not in GapAnswer.NEEDS_ACTION:
            errors["answer"] = "An action closes a gap: answer the clause “gap” or “partly” first."
        if errors:
            raise ValidationError(errors)

    def edit_refusal(self) -> str | None:
        if refusal := super().edit_refusal():
            return refusal
        if self.status != self.Status.OPEN:
            return f"{self.reference} is {self.get_status_display().lower()}: it is a record now."
        return None
