"""Standards as data: each standard's clause tree is loaded from a YAML library."""

from django.db import models


class PDCA(models.TextChoices):
    PLAN = "plan", "Plan"
    DO = "do", "Do"
    CHECK = "check", "Check"
    ACT = "act", "Act"


class Standard(models.Model):
    """A management-system standard, e.g. ISO 9001:2015."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    title = models.CharField(max_length=250)
    library_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Clause(models.Model):
    """One clause (or untitled numbered paragraph) of a standard, with our own summary."""

    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="clauses")
    key = models.CharField(
        max_length=60, unique=True, help_text="standard:ref, e.g. iso9001-2015:7.5"
    )
    ref = models.CharField(max_length=20)
    title = models.CharField(max_length=250, blank=True)
    label = models.CharField(max_length=250, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    summary = models.TextField(blank=True)
    audit_questions = models.JSONField(default=list, blank=True)
    pdca = models.CharField(max_length=5, choices=PDCA.choices)
    depth = models.PositiveSmallIntegerField()
    sort_key = models.CharField(max_length=60, db_index=True)

    class Meta:
        ordering = ["sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "ref"], name="standards_clause_unique_ref")
        ]

    def __str__(self):
        return f"{self.ref} {self.display_title}"

    @property
    def display_title(self) -> str:
        """The clause title, or our label for numbered paragraphs that have no heading."""
        return self.title or self.label


def sort_key_for(ref: str) -> str:
    """'7.1.5.2' → '007.001.005.002' so clauses sort as numbers, not text."""
    return ".".join(f"{int(part):03d}" for part in ref.split("."))
