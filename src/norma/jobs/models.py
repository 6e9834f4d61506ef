"""Long work that people can watch: imports, exports, evidence packs, large reports."""

from django.conf import settings
from django.db import models


class Job(models.Model):
    """One run of background work, with progress, log lines and an optional result file."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    function = models.CharField(max_length=200, help_text="Dotted path of the job function.")
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    log = models.TextField(blank=True)
    summary = models.JSONField(default=dict, blank=True)
    result_file = models.FileField(upload_to="jobs/%Y/%m", max_length=300, blank=True)
    result_name = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="jobs_job_person")]

    def __str__(self):
        return f"{self.title} ({self.get_state_display()})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.SUCCEEDED, self.State.FAILED)

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.done / self.total))


class PeriodicSchedule(models.Model):
    """When each periodic job was last enqueued; the row lock stops two workers doubling up."""

    name = models.CharField(max_length=100, primary_key=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.name
