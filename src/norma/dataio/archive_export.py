"""Writing a QMS export archive: every table as JSON, every file, the change log, a manifest."""

import json
from contextlib import contextmanager

from django.db import connection, transaction

from norma.core.changelog import GENESIS_HASH, canonical_json, compute_hash, entry_payload
from norma.core.models import ChangeLogEntry, Role
from norma.dataio.archive_format import (
    CHANGELOG,
    FILES_PREFIX,
    README,
    ROLES,
    STANDARDS,
    sections,
    settings_sections,
)
from norma.dataio.archive_keys import KeyIndex, dump_rows, target_provided
from norma.dataio.archive_manifest import ArchiveError, ZipWriter
from norma.standards.models import Standard

LOG_FIELDS = [f.name for f in ChangeLogEntry._meta.concrete_fields]


def json_bytes(rows) -> bytes:
    """Readable, stable JSON: sorted keys, one space of indent, UTF-8."""
    return (json.dumps(rows, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


@contextmanager
def consistent_read():
    """One read transaction, so every table is read as of the same moment.

    SQLite: a deferred transaction in WAL mode reads a snapshot without taking the write lock
    (Norma's connections otherwise begin IMMEDIATE), so writers are not held up by an export.
    PostgreSQL: REPEATABLE READ, READ ONLY.
    """
    if connection.in_atomic_block:  # already inside a transaction (a test, a caller's block)
        yield
        return
    connection.ensure_connection()
    saved = getattr(connection, "transaction_mode", None)
    if connection.vendor == "sqlite":
        connection.transaction_mode = "DEFERRED"
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
    finally:
        if connection.vendor == "sqlite":
            connection.transaction_mode = saved


def check_relations(models: list[type]):
    """Refuse before writing anything if a table points at a model the archive cannot name."""
    carried, provided = set(models), target_provided()
    for model in models:
        for field in [*model._meta.concrete_fields, *model._meta.many_to_many]:
            target = field.related_model if field.is_relation else None
            if target is None or target in carried or target in provided:
                continue
            raise ArchiveError(
                f"{model._meta.label}.{field.name} points at {target._meta.label}, which the "
                "archive does not carry; add it to norma/dataio/archive_format.py."
            )


def changelog_lines(head: dict):
    """The change log as JSON lines, verifying the hash chain on the way; fills `head`."""
    prev_hash, last_id = GENESIS_HASH, 0
    while True:
        batch = list(
            ChangeLogEntry.objects.filter(id__gt=last_id).order_by("id").values(*LOG_FIELDS)[:5000]
        )
        if not batch:
            return
        for row in batch:
            entry = ChangeLogEntry(**row)
            payload = entry_payload(entry)
            if (
                entry.id != last_id + 1
                or entry.prev_hash != prev_hash
                or compute_hash(prev_hash, payload) != entry.hash
            ):
                raise ArchiveError(_broken(entry.id))
            yield (
                canonical_json({**payload, "prev_hash": prev_hash, "hash": entry.hash}) + "\n"
            ).encode()
            prev_hash, last_id = entry.hash, entry.id
            head.update(entries=head["entries"] + 1, head_id=last_id, head_hash=prev_hash)


def _broken(entry_id: int) -> str:
    return (
        f"The change log is broken at entry #{entry_id}; `norma verify` names the problem. "
        "An archive must carry an intact log, so nothing was exported."
    )


def write_archive(zip_writer: ZipWriter) -> dict:
    """Write every section, file and the change log; return the manifest's content."""
    keys = KeyIndex()
    models = [model for _, model in sections()]
    check_relations(models)
    counts, files = {}, []
    zip_writer.write_bytes("README.md", README.encode())
    for name, model in sections():
        rows, model_files = dump_rows(model, keys)
        zip_writer.write_bytes(name, json_bytes(rows))
        counts[name] = len(rows)
        files += model_files
    for name, model in settings_sections():
        rows = [
            {k: v for k, v in row.items() if k != "id"}
            for row in model.objects.order_by(model.archive_key).values()
        ]
        zip_writer.write_bytes(name, json_bytes(rows))
        counts[name] = len(rows)
    roles = [
        {"code": role.code, "require_two_factor": role.require_two_factor}
        for role in Role.objects.order_by("code")
    ]
    zip_writer.write_bytes(ROLES, json_bytes(roles))
    counts[ROLES] = len(roles)
    standards = list(
        Standard.objects.order_by("slug").values("slug", "name", "title", "library_version")
    )
    zip_writer.write_bytes(STANDARDS, json_bytes(standards))
    unique = {name: (field, name, obj) for field, name, obj in files}
    for field, name, obj in (unique[name] for name in sorted(unique)):
        if not field.storage.exists(name):
            raise ArchiveError(
                f"The file {name} of {obj._meta.verbose_name} {obj} is missing from file "
                "storage, so the archive would be incomplete; nothing was exported."
            )
        with field.storage.open(name, "rb") as handle:
            zip_writer.write_stream(FILES_PREFIX + name, handle)
    changelog = {"entries": 0, "head_id": None, "head_hash": None}
    zip_writer.write_chunks(CHANGELOG, changelog_lines(changelog))
    return {"counts": counts, "changelog": changelog, "stored_files": len(unique)}
