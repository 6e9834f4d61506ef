"""The record base every register builds on: reference code, owner, status, history."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models, transaction
from django.utils import timezone


class Sequence(models.Model):
    """The last number handed out for one prefix and year (e.g. NC-2026)."""

    key = models.CharField(max_length=40, primary_key=True)
    value = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.key}: {self.value}"


def next_reference(prefix: str, width: int = 4) -> str:
    """Hand out the next reference code, e.g. NC-2026-0042, without gaps or duplicates."""
    return reserve_references(prefix, 1, width)[0]


def reserve_references(prefix: str, count: int, width: int = 4) -> list[str]:
    """Hand out `count` consecutive reference codes in one step (imports create many at once)."""
    if count < 1:
        return []
    key = f"{prefix}-{timezone.now().year}"
    first = reserve_numbers(key, count)
    return [f"{key}-{number:0{width}d}" for number in range(first, first + count)]


def reserve_numbers(key: str, count: int) -> int:
    """Move the counter `key` on by `count` under a row lock; return the first number taken."""
    with transaction.atomic():
        sequence, _ = Sequence.objects.select_for_update().get_or_create(key=key)
        first = sequence.value + 1
        sequence.value += count
        sequence.save(update_fields=["value"])
    return first


def not_after_today(record, field: str, message: str):
    """A date that records something already done (received, sent, performed) is not in the
    future."""
    from django.core.exceptions import ValidationError

    day = getattr(record, field)
    if day and day > timezone.localdate():
        raise ValidationError({field: message})


class RecordQuerySet(models.QuerySet):
    def visible_to(self, person):
        """What this person may read: scope limits apply before anything is fetched."""
        return person.scope.filter(self)

    def live(self):
        return self.filter(archived_at__isnull=True)


class Record(models.Model):
    """A controlled QMS record. Concrete models add their own fields and a Status choice."""

    reference_prefix = "REC"

    reference = models.CharField(max_length=32, unique=True, editable=False)
    title = models.CharField(max_length=250)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    site = models.ForeignKey(
        "core.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "core.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=32, db_index=True)
    due_date = models.DateField(null=True, blank=True, db_index=True)
    clauses = models.ManyToManyField(
        "standards.Clause", blank=True, related_name="%(app_label)s_%(class)s_records"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    archive_reason = models.TextField(blank=True, editable=False)

    attachments = GenericRelation("core.Attachment")
    comments = GenericRelation("core.Comment")

    objects = RecordQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-id"]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def is_overdue(self) -> bool:
        return bool(self.due_date and self.due_date < timezone.localdate())

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    def edit_refusal(self) -> str | None:
        """Why this record cannot be edited now, or None when it can."""
        if self.is_archived:
            return f"{self.reference} is archived and can no longer be edited."
        return None

    def edit_refusal_for(self, person) -> str | None:
        """Why this person, whatever their rights, may not change this record (an auditor
        not on the audit), or None."""
        return None

    def archive_refusal(self) -> str | None:
        """Why this record may not be archived now (work still open on it), or None."""
        return None

    def after_archive(self, action):
        """Keep what rests on this record true once it is archived (an instrument's due date
        rests on its newest calibration); `action` changes other records for it."""

    def attach_refusal(self) -> str | None:
        """Why no file may be attached now, or None when one may."""
        if self.is_archived:
            return f"{self.reference} is archived: no more files can be attached."
        return None

    def assign_reference(self):
        if not self.reference:
            self.reference = next_reference(self.reference_prefix)
