"""10.2.1 b: the causes found by 5 Whys or an Ishikawa diagram, and the steps of an 8D."""

from django.conf import settings
from django.db import models


class Category(models.TextChoices):
    """The 6M bones of an Ishikawa diagram; also how root causes are counted on the dashboard."""

    MAN = "man", "People"
    MACHINE = "machine", "Machine"
    METHOD = "method", "Method"
    MATERIAL = "material", "Material"
    MEASUREMENT = "measurement", "Measurement"
    ENVIRONMENT = "environment", "Environment"


class Cause(models.Model):
    """One answer in a 5-Whys chain (in order) or one cause on a fishbone bone (by category);
    a hypothesis until verified, and a root cause when marked so."""

    nonconformity = models.ForeignKey(
        "improvement.Nonconformity", on_delete=models.CASCADE, related_name="causes"
    )
    analysis_round = models.PositiveSmallIntegerField(default=1)
    position = models.PositiveSmallIntegerField(default=1, help_text="Its place in a 5-Whys chain.")
    category = models.CharField(max_length=12, choices=Category.choices, blank=True, db_index=True)
    statement = models.CharField(max_length=500)
    evidence = models.TextField(blank=True)
    verified = models.BooleanField(default=False)
    is_root = models.BooleanField("root cause", default=False, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["analysis_round", "position", "id"]
        indexes = [
            models.Index(fields=["nonconformity", "is_root", "category"], name="improvement_roots")
        ]

    def __str__(self):
        return self.statement

    def logged(self) -> dict:
        return {
            "position": self.position,
            "category": self.category,
            "statement": self.statement,
            "evidence": self.evidence,
            "verified": self.verified,
            "root cause": self.is_root,
        }


class Discipline(models.IntegerChoices):
    D0 = 0, "D0 Prepare and plan, emergency response"
    D1 = 1, "D1 Form the team"
    D2 = 2, "D2 Describe the problem"
    D3 = 3, "D3 Contain the problem"
    D4 = 4, "D4 Find and verify the root cause and the escape point"
    D5 = 5, "D5 Choose and verify permanent corrective actions"
    D6 = 6, "D6 Implement and validate the corrective actions"
    D7 = 7, "D7 Prevent recurrence"
    D8 = 8, "D8 Recognise the team and close"


# What must be done before the analysis is complete, and before the fix can be verified.
ANALYSIS_DISCIPLINES = range(0, 5)
FIX_DISCIPLINES = range(5, 8)


class EightDStep(models.Model):
    """One discipline of an 8D, as notes and the day it was completed."""

    nonconformity = models.ForeignKey(
        "improvement.Nonconformity", on_delete=models.CASCADE, related_name="eight_d_steps"
    )
    discipline = models.PositiveSmallIntegerField(choices=Discipline.choices)
    notes = models.TextField(blank=True)
    done_on = models.DateField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["discipline"]
        constraints = [
            models.UniqueConstraint(
                fields=["nonconformity", "discipline"], name="improvement_8d_step_once"
            )
        ]

    def __str__(self):
        return self.get_discipline_display()
