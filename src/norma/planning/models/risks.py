"""6.1: risks and opportunities, scored likelihood × consequence on a 5×5 matrix, and the
actions that treat them."""

from django.core.exceptions import ValidationError
from django.db import models

from norma.core.models import Record


class Likelihood(models.IntegerChoices):
    RARE = 1, "1 Rare"
    UNLIKELY = 2, "2 Unlikely"
    POSSIBLE = 3, "3 Possible"
    LIKELY = 4, "4 Likely"
    ALMOST_CERTAIN = 5, "5 Almost certain"


class Consequence(models.IntegerChoices):
    """How bad a risk would be, or how good an opportunity (its benefit), on the same scale."""

    NEGLIGIBLE = 1, "1 Negligible"
    MINOR = 2, "2 Minor"
    MODERATE = 3, "3 Moderate"
    MAJOR = 4, "4 Major"
    SEVERE = 5, "5 Severe"


class Risk(Record):
    """A risk or an opportunity (6.1.1), where it comes from, its score before and after
    treatment, and when it is next reviewed."""

    reference_prefix = "RSK"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Kind(models.TextChoices):
        RISK = "risk", "Risk"
        OPPORTUNITY = "opportunity", "Opportunity"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.RISK, db_index=True)
    description = models.TextField(blank=True)
    process = models.ForeignKey(
        "planning.Process", null=True, blank=True, on_delete=models.PROTECT, related_name="risks"
    )
    context_issue = models.ForeignKey(
        "planning.ContextIssue",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="risks",
    )
    interested_party = models.ForeignKey(
        "planning.InterestedParty",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="risks",
    )
    likelihood = models.PositiveSmallIntegerField(choices=Likelihood.choices, db_index=True)
    consequence = models.PositiveSmallIntegerField(
        "consequence (benefit for an opportunity)", choices=Consequence.choices, db_index=True
    )
    score = models.PositiveSmallIntegerField(editable=False, db_index=True)
    treatment = models.TextField("treatment plan", blank=True)
    residual_likelihood = models.PositiveSmallIntegerField(
        choices=Likelihood.choices, null=True, blank=True, help_text="After the treatment."
    )
    residual_consequence = models.PositiveSmallIntegerField(
        choices=Consequence.choices, null=True, blank=True, help_text="After the treatment."
    )
    residual_score = models.PositiveSmallIntegerField(null=True, editable=False, db_index=True)
    due_date = models.DateField("next review", null=True, blank=True, db_index=True)

    class Meta(Record.Meta):
        verbose_name = "risk or opportunity"
        verbose_name_plural = "risks and opportunities"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(likelihood__range=(1, 5), consequence__range=(1, 5)),
                name="planning_risk_scores_on_the_scale",
            ),
            models.CheckConstraint(
                condition=models.Q(residual_likelihood__isnull=True)
                | models.Q(residual_likelihood__range=(1, 5)),
                name="planning_risk_residual_likelihood_on_the_scale",
            ),
            models.CheckConstraint(
                condition=models.Q(residual_consequence__isnull=True)
                | models.Q(residual_consequence__range=(1, 5)),
                name="planning_risk_residual_consequence_on_the_scale",
            ),
        ]

    def clean(self):
        super().clean()
        residual = (self.residual_likelihood, self.residual_consequence)
        if any(residual) and not all(residual):
            missing = "residual_consequence" if self.residual_likelihood else "residual_likelihood"
            raise ValidationError({missing: "Give both residual scores, or neither."})
        if all(residual) and self.likelihood and self.consequence:
            after, before = residual[0] * residual[1], self.likelihood * self.consequence
            if self.kind == self.Kind.RISK and after > before:
                raise ValidationError(
                    {
                        "residual_likelihood": f"After treatment ({after}) a risk cannot score "
                        f"more than before it ({before})."
                    }
                )

    def save(self, *args, **kwargs):
        # Derived here, beside the inputs, so every path that saves a risk scores it alike.
        self.score = self.likelihood * self.consequence
        if self.residual_likelihood and self.residual_consequence:
            self.residual_score = self.residual_likelihood * self.residual_consequence
        else:
            self.residual_score = None
        super().save(*args, **kwargs)


class RiskAction(Record):
    """An action that treats a risk or takes up an opportunity (6.1.2), and whether it worked."""

    reference_prefix = "RA"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    class Effectiveness(models.TextChoices):
        EFFECTIVE = "effective", "Effective"
        NOT_EFFECTIVE = "not_effective", "Not effective"

    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    risk = models.ForeignKey(Risk, on_delete=models.PROTECT, related_name="actions")
    description = models.TextField(blank=True)
    due_date = models.DateField(null=True, blank=True, db_index=True)
    completed_on = models.DateField(null=True, blank=True, editable=False)
    effectiveness = models.CharField(
        max_length=14, choices=Effectiveness.choices, blank=True, editable=False, db_index=True
    )
    evaluation = models.TextField(blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = "risk action"
