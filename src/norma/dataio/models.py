"""Imports of register rows from CSV or XLSX: the uploaded file, its check and its commit."""

from django.conf import settings
from django.db import models


class ImportBatch(models.Model):
    """One uploaded file for one register: checked in a dry run, then committed all at once.

    Only the person who uploaded it sees it. The file is kept so the commit reads exactly the
    rows that were checked (its SHA-256 is compared before the commit).
    """

    class State(models.TextChoices):
        CHECKING = "checking", "Checking"
        CHECKED = "checked", "Checked"
        IMPORTING = "importing", "Importing"
        IMPORTED = "imported", "Imported"
        FAILED = "failed", "Could not be read"

    app_label = models.CharField(max_length=100)
    model_name = models.CharField(max_length=100)
    file = models.FileField(upload_to="imports/%Y/%m", max_length=300)
    filename = models.CharField(max_length=255)
    file_format = models.CharField(max_length=4)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=State.choices, default=State.CHECKING)
    columns = models.JSONField(default=list, blank=True, help_text="[header, field name] pairs.")
    problems = models.JSONField(default=list, blank=True, help_text="Problems with the file.")
    total_rows = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    rejected_sample = models.JSONField(default=list, blank=True)
    rejected_file = models.FileField(upload_to="imports/%Y/%m", max_length=300, blank=True)
    imported_count = models.PositiveIntegerField(default=0)
    check_job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    commit_job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "import"
        verbose_name_plural = "imports"

    def __str__(self):
        return f"Import of {self.filename} into {self.app_label}.{self.model_name}"

    @property
    def valid_count(self) -> int:
        return self.total_rows - self.rejected_count

    @property
    def can_commit(self) -> bool:
        return (
            self.state == self.State.CHECKED
            and not self.problems
            and self.rejected_count == 0
            and self.total_rows > 0
        )
