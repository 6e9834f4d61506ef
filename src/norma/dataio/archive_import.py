"""Loading a QMS export archive: verify it all, check the instance is empty, then load it."""

import datetime
import importlib
import json

from django.core.files.base import ContentFile
from django.core.management.color import no_style
from django.db import DatabaseError, connection

from norma.core.changelog import GENESIS_HASH, compute_hash
from norma.core.models import ApiToken, ChangeLogEntry, Role
from norma.dataio.archive_format import (
    CHANGELOG,
    FILES_PREFIX,
    ROLES,
    STANDARDS,
    sections,
    settings_sections,
)
from norma.dataio.archive_keys import KeyIndex, key_lookups, load_row, m2m_links
from norma.dataio.archive_manifest import ArchiveError, read_member
from norma.standards.models import Standard

APPEND_ONLY = importlib.import_module("norma.core.migrations.0002_changelog_append_only")
MIGRATE_ACTIONS = {"standard.load"}  # what `norma migrate` itself writes to the change log
BATCH = 200


def read_json(zf, name: str, manifest: dict):
    try:
        return json.loads(read_member(zf, name, manifest))
    except KeyError:
        raise ArchiveError(f"The archive lacks {name}.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArchiveError(f"{name} is not valid JSON ({error}).") from None


def read_changelog(zf, manifest: dict) -> list[ChangeLogEntry]:
    """The archive's change log as unsaved entries, its hash chain verified."""
    entries, prev_hash = [], GENESIS_HASH
    for number, line in enumerate(read_member(zf, CHANGELOG, manifest).splitlines(), start=1):
        try:
            row = json.loads(line)
            entry = ChangeLogEntry(**{**row, "timestamp": datetime_utc(row["timestamp"])})
        except (ValueError, TypeError, KeyError) as error:
            raise ArchiveError(
                f"{CHANGELOG} line {number} is not a change log entry ({error})."
            ) from None
        payload = {k: v for k, v in row.items() if k not in ("prev_hash", "hash")}
        if entry.id != number or entry.prev_hash != prev_hash:
            raise ArchiveError(f"{CHANGELOG}: the hash chain is broken at entry #{entry.id}.")
        if compute_hash(prev_hash, payload) != entry.hash:
            raise ArchiveError(f"{CHANGELOG}: entry #{entry.id} was altered after it was written.")
        prev_hash = entry.hash
        entries.append(entry)
    head = manifest.get("changelog") or {}
    last = entries[-1] if entries else None
    if (head.get("entries"), head.get("head_hash")) != (
        len(entries),
        last.hash if last else None,
    ):
        raise ArchiveError(f"{CHANGELOG} does not end at the change-log head the manifest names.")
    return entries


def datetime_utc(text: str) -> datetime.datetime:
    value = datetime.datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"time {text!r} has no time zone")
    return value


def refuse_unless_empty():
    """Import only into a freshly migrated instance: no data beyond what migrate writes."""
    held = []
    try:
        for _, model in sections():
            if count := model._base_manager.count():
                held.append(f"{count} {_plural(model, count)}")
        if count := ApiToken.objects.count():
            held.append(f"{count} API tokens")
        logged = ChangeLogEntry.objects.exclude(action__in=MIGRATE_ACTIONS).count()
    except DatabaseError as error:
        raise ArchiveError(
            f"The database is not ready ({error}); run `norma migrate` first."
        ) from None
    if logged:
        held.append(f"{logged} change log entries")
    if held:
        raise ArchiveError(
            f"This instance is not empty: it holds {', '.join(held)}. `norma import` loads only "
            "into a new instance; point NORMA_DATA_DIR (or DATABASE_URL) at an empty one and run "
            "`norma migrate` first. Nothing was changed."
        )


def _plural(model, count: int) -> str:
    meta = model._meta
    return str(meta.verbose_name if count == 1 else meta.verbose_name_plural)


def check_standards(standards: list[dict]):
    have = set(Standard.objects.values_list("slug", flat=True))
    if missing := sorted({s.get("slug") for s in standards} - have):
        raise ArchiveError(
            f"The archive's records use standards this Norma does not have: {', '.join(missing)}. "
            "Import with a Norma version that ships them."
        )


def index_archive(data: dict[str, list[dict]]) -> KeyIndex:
    """Natural key -> id for every row the archive carries (ids are kept on import)."""
    keys = KeyIndex()
    for name, model in sections():
        lookups = key_lookups(model)
        keys.fill(model)
        for row in data[name]:
            if lookups is not None:
                values = [row.get(lookup.split("__")[0]) for lookup in lookups]
                key = values[0] if len(values) == 1 else values
                keys.add(model, key, row["id"] if "id" in row else row.get("key"))
    return keys


def store_files(zf, manifest: dict, written: list):
    """Copy every archived file into storage under its own name; `written` lists them."""
    from django.core.files.storage import default_storage

    for name in sorted(manifest["files"]):
        if not name.startswith(FILES_PREFIX):
            continue
        stored = name[len(FILES_PREFIX) :]
        if default_storage.exists(stored):
            raise ArchiveError(
                f"File storage already holds {stored}; import only into an empty instance."
            )
        saved = default_storage.save(stored, ContentFile(read_member(zf, name, manifest)))
        written.append(saved)
        if saved != stored:
            raise ArchiveError(f"File storage renamed {stored} to {saved}; nothing was imported.")


def replace_migrate_log(entries: list[ChangeLogEntry]) -> list[dict]:
    """Swap the entries `norma migrate` wrote for the archive's log; return those replaced.

    The append-only triggers are dropped and re-created inside the import's transaction, so no
    other writer ever sees the log without them.
    """
    replaced = list(ChangeLogEntry.objects.order_by("id").values("id", "action", "hash"))
    vendor = connection.vendor
    reverse = {"sqlite": APPEND_ONLY.SQLITE_REVERSE, "postgresql": APPEND_ONLY.POSTGRESQL_REVERSE}
    forward = {"sqlite": APPEND_ONLY.SQLITE, "postgresql": APPEND_ONLY.POSTGRESQL}
    with connection.cursor() as cursor:
        for statement in reverse.get(vendor, []):
            cursor.execute(statement)
        ChangeLogEntry.objects.all().delete()
        ChangeLogEntry.objects.bulk_create(entries, batch_size=500)
        for statement in forward.get(vendor, []):
            cursor.execute(statement)
    return replaced


def insert_rows(data: dict[str, list[dict]], keys: KeyIndex) -> dict[str, int]:
    """Insert every section's rows with their ids and exact values, then their m2m links."""
    counts, links = {}, []
    for name, model in sections():
        objs = []
        for number, row in enumerate(data[name], start=1):
            where = f"{name} row {number}"
            obj = load_row(model, row, keys, where)
            objs.append(obj)
            links.append((model, obj.pk, m2m_links(model, row, obj.pk, keys, where)))
        fields = list(model._meta.local_concrete_fields)
        for start in range(0, len(objs), BATCH):
            # raw=True: values are written as they are (no auto_now, no signals), like loaddata.
            model._base_manager._insert(objs[start : start + BATCH], fields=fields, raw=True)
        counts[name] = len(objs)
    for model, pk, by_field in links:
        for field_name, targets in by_field.items():
            field = model._meta.get_field(field_name)
            through = field.remote_field.through
            source = through._meta.get_field(field.m2m_field_name()).attname
            target = through._meta.get_field(field.m2m_reverse_field_name()).attname
            through._base_manager.bulk_create([through(**{source: pk, target: t}) for t in targets])
    return counts


def merge_settings(data: dict[str, list]):
    """Set-up rows (document types) replace or join the ones `norma migrate` created."""
    for name, model in settings_sections():
        fields = {f.name for f in model._meta.concrete_fields} - {"id"}
        for number, row in enumerate(data.get(name, []), start=1):
            if unknown := sorted(set(row) - fields):
                raise ArchiveError(f"{name} row {number}: unknown fields {', '.join(unknown)}.")
            key = model.archive_key
            values = {k: v for k, v in row.items() if k != key}
            model.objects.update_or_create(**{key: row[key]}, defaults=values)


def update_roles(roles: list[dict]):
    for row in roles:
        Role.objects.filter(code=row["code"]).update(require_two_factor=row["require_two_factor"])


def reset_sequences():
    """PostgreSQL: move each id sequence past the ids the archive brought."""
    models = [model for _, model in sections()]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def read_sections(zf, manifest: dict) -> dict[str, list]:
    data = {}
    for name, _model in sections():
        if name not in manifest["files"]:
            data[name] = []  # a register added after the archive was written: no rows
            continue
        data[name] = read_json(zf, name, manifest)
        if (manifest.get("counts") or {}).get(name) != len(data[name]):
            raise ArchiveError(f"{name} holds {len(data[name])} rows; the manifest says otherwise.")
    for name, _model in settings_sections():
        data[name] = read_json(zf, name, manifest) if name in manifest["files"] else []
    known = {name for name, _ in [*sections(), *settings_sections()]}
    known |= {ROLES, STANDARDS, CHANGELOG, "README.md"}
    unknown = [n for n in manifest["files"] if n not in known and not n.startswith(FILES_PREFIX)]
    if unknown:
        raise ArchiveError(
            f"The archive holds {', '.join(sorted(unknown))}, which this Norma does not know "
            "(a register it lacks?); import with the version that wrote the archive."
        )
    data[ROLES] = read_json(zf, ROLES, manifest)
    data[STANDARDS] = read_json(zf, STANDARDS, manifest)
    return data
