"""Writing and verifying the hash-chained change log.

hash_n = SHA-256(hash_{n-1} || canonical_json(entry_n)). Canonical JSON (sorted keys, no
spaces) keeps old hashes valid when code changes. Appends are serialised: SQLite takes its
write lock at BEGIN (transaction_mode IMMEDIATE); PostgreSQL takes an advisory lock.
"""

import datetime
import decimal
import hashlib
import json
import uuid
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.utils import timezone

from norma.core.context import current_actor
from norma.core.models import ChangeLogEntry

GENESIS_HASH = "0" * 64
CHAIN_LOCK_KEY = 90012015  # PostgreSQL advisory lock id for the chain head


def _json_default(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"cannot log a value of type {type(value).__name__}")


def canonical_json(data) -> str:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )


def jsonable(data):
    """Round-trip through canonical JSON so what is hashed is exactly what is stored."""
    return None if data is None else json.loads(canonical_json(data))


def entry_payload(entry) -> dict:
    return {
        "id": entry.id,
        "timestamp": entry.timestamp.astimezone(datetime.UTC).isoformat(),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
        "request_id": entry.request_id,
    }


def compute_hash(prev_hash: str, payload: dict) -> str:
    return hashlib.sha256((prev_hash + canonical_json(payload)).encode()).hexdigest()


def snapshot(obj, new_rows: bool = False) -> dict:
    """The loggable state of a model instance: plain values, related objects by name.

    `new_rows`: the instance was just bulk-created, so its many-to-many links are known to be
    empty and are not read (one query per link per row at seeding scale).
    """
    data = {}
    for field in obj._meta.concrete_fields:
        if field.name in {"password", "id", "created_at", "updated_at"}:
            continue
        if field.is_relation:
            related = getattr(obj, field.name)
            data[field.name] = None if related is None else str(related)
        elif isinstance(field, models.FileField):
            data[field.name] = field.value_from_object(obj).name or ""  # where it is stored
        else:
            data[field.name] = field.value_from_object(obj)
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            items = () if new_rows else getattr(obj, field.name).all()
            data[field.name] = sorted(str(item) for item in items)
    return jsonable(data)


def _lock_chain_head():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def record_change(
    obj=None,
    action: str = "update",
    *,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    object_type: str | None = None,
    object_id: str | None = None,
    object_repr: str | None = None,
) -> ChangeLogEntry:
    """Append one entry for `obj`, attributed to the current actor, in the caller's transaction."""
    change = Change(obj, action, before, after, reason, object_type, object_id, object_repr)
    return record_changes([change])[0]


@dataclass
class Change:
    """One change waiting to be logged; the fields mean what record_change's arguments mean."""

    obj: object = None
    action: str = "update"
    before: dict | None = None
    after: dict | None = None
    reason: str = ""
    object_type: str | None = None
    object_id: str | None = None
    object_repr: str | None = None


def record_changes(changes: list[Change], insert=None) -> list[ChangeLogEntry]:
    """Append one chained entry per change in one go (imports), in the caller's transaction.

    The entries are exactly those `record_change` would write one call at a time. `insert`
    may replace bulk_create for many entries: it receives the finished entries, ids and
    hashes set, and must insert them as they are, in the same transaction.
    """
    actor = current_actor()
    entries = []
    with transaction.atomic():
        _lock_chain_head()
        head = ChangeLogEntry.objects.order_by("-id").values_list("id", "hash").first()
        last_id, prev_hash = head if head else (0, GENESIS_HASH)
        now = timezone.now()  # one moment for the whole batch: the same transaction
        for change in changes:
            last_id += 1
            entry = _new_entry(actor, change, last_id, prev_hash, now)
            entries.append(entry)
            prev_hash = entry.hash
        if len(entries) == 1:
            entries[0].save(force_insert=True)
        elif insert is not None:
            insert(entries)
        else:
            ChangeLogEntry.objects.bulk_create(entries, batch_size=1000)
    return entries


def _new_entry(actor, change: Change, entry_id: int, prev_hash: str, now) -> ChangeLogEntry:
    obj = change.obj
    object_id = change.object_id if change.object_id is not None else getattr(obj, "pk", "")
    entry = ChangeLogEntry(
        id=entry_id,
        timestamp=now,
        actor_id=actor.person_id,
        actor_name=actor.name[:200],
        action=change.action,
        object_type=change.object_type or (obj._meta.label_lower if obj is not None else ""),
        object_id=str(object_id),
        object_repr=(change.object_repr or (str(obj) if obj is not None else ""))[:300],
        before=jsonable(change.before),
        after=jsonable(change.after),
        reason=change.reason,
        request_id=actor.request_id,
        prev_hash=prev_hash,
    )
    entry.hash = compute_hash(prev_hash, entry_payload(entry))
    return entry


@dataclass
class ChainReport:
    checked: int
    broken_id: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_id is None


def verify_chain(batch_size: int = 5000) -> ChainReport:
    """Walk the whole chain and name the first entry that was altered, inserted or removed."""
    prev_hash, expected_id, checked = GENESIS_HASH, 1, 0
    fields = [f.name for f in ChangeLogEntry._meta.concrete_fields]
    last_id = 0
    while True:
        rows = list(
            ChangeLogEntry.objects.filter(id__gt=last_id)
            .order_by("id")
            .values(*fields)[:batch_size]
        )
        if not rows:
            return ChainReport(checked=checked)
        for row in rows:
            entry = ChangeLogEntry(**row)
            if entry.id != expected_id:
                return ChainReport(
                    checked,
                    entry.id,
                    f"entry #{expected_id} is missing (the chain jumps to #{entry.id})",
                )
            if entry.prev_hash != prev_hash:
                return ChainReport(
                    checked,
                    entry.id,
                    f"entry #{entry.id} does not follow the entry before it "
                    "(an entry was removed or inserted here)",
                )
            if compute_hash(prev_hash, entry_payload(entry)) != entry.hash:
                return ChainReport(
                    checked, entry.id, f"entry #{entry.id} was altered after it was written"
                )
            prev_hash, expected_id, last_id = entry.hash, entry.id + 1, entry.id
            checked += 1


def history_for(obj) -> models.QuerySet:
    return ChangeLogEntry.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).order_by("-id")
