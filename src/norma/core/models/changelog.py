"""The append-only, hash-chained change log (the audit trail)."""

from django.db import models


class ChangeLogEntry(models.Model):
    """One create, update, delete or action, chained to the entry before it by SHA-256.

    The actor is kept by id and name, not by foreign key, so the entry outlives the person.
    Database triggers refuse UPDATE and DELETE on this table (migration 0002).
    """

    id = models.BigIntegerField(primary_key=True)
    timestamp = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=200)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="core_changelog_object"),
            models.Index(fields=["timestamp"], name="core_changelog_time"),
        ]
        verbose_name = "change log entry"
        verbose_name_plural = "change log"

    def __str__(self):
        return f"#{self.id} {self.action} {self.object_repr}"

    def changed_fields(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field whose value differs."""
        before, after = self.before or {}, self.after or {}
        names = sorted(set(before) | set(after))
        return [(n, before.get(n), after.get(n)) for n in names if before.get(n) != after.get(n)]
