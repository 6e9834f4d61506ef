"""Events published after a change is committed, for outbound integrations (webhooks).

`record_event` is sent with `event`, a plain dict:
    {"type": "record.created" | "record.updated" | "record.state_changed" | "record.archived",
     "action": "approve", "object_type": "planning.process", "reference": "PRC-2026-0001",
     "title": ..., "status": ..., "previous_status": ..., "actor": "Amira Haddad",
     "change_id": 42, "timestamp": "2026-11-25T18:00:00+00:00"}
"""

from django.dispatch import Signal
from django.utils import timezone

record_event = Signal()

EVENT_TYPES = {
    "record.created": "A record was created",
    "record.updated": "A record's fields were edited",
    "record.state_changed": "A record's status changed (approved, closed, ...)",
    "record.archived": "A record was archived",
    "records.imported": "Records were imported from a file (one event per import)",
}


def event_type(action_code: str, before: dict | None, after: dict | None) -> str:
    if action_code == "create":
        return "record.created"
    if action_code == "archive":
        return "record.archived"
    if before and after and before.get("status") != after.get("status"):
        return "record.state_changed"
    return "record.updated"


def event_for(entry, obj) -> dict:
    before, after = entry.before or {}, entry.after or {}
    return {
        "type": event_type(entry.action, entry.before, entry.after),
        "action": entry.action,
        "object_type": entry.object_type,
        "reference": getattr(obj, "reference", entry.object_id),
        "title": getattr(obj, "title", entry.object_repr),
        "status": after.get("status"),
        "previous_status": before.get("status"),
        "actor": entry.actor_name,
        "change_id": entry.id,
        "timestamp": entry.timestamp.isoformat(),
    }


def publish(entry, obj):
    """Send the event for a committed change; receivers must not raise."""
    if hasattr(obj, "reference"):
        record_event.send(sender=type(obj), event=event_for(entry, obj))


def publish_import(model, *, count: int, first, last, actor: str, filename: str):
    """One event for a whole import, rather than one per row (100,000 rows, one delivery)."""
    record_event.send(
        sender=model,
        event={
            "type": "records.imported",
            "object_type": model._meta.label_lower,
            "count": count,
            "first_reference": getattr(first, "reference", None),
            "last_reference": getattr(last, "reference", None),
            "file": filename,
            "actor": actor,
            "timestamp": timezone.now().isoformat(),
        },
    )
