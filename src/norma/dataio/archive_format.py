"""The layout of a QMS export archive (format version 1) and the README that travels with it."""

from django.apps import apps

from norma.core.models import (
    Attachment,
    Comment,
    Department,
    Organisation,
    Person,
    Sequence,
    Signature,
    Site,
)
from norma.core.registers import registry

FORMAT = "norma-qms-archive"
FORMAT_VERSION = 1
CHANGELOG = "changelog.jsonl"
ROLES = "data/core.role.json"
STANDARDS = "data/standards.json"
FILES_PREFIX = "files/"


def sections() -> list[tuple[str, type]]:
    """(member name, model) for every table the archive carries, in the order import loads them.

    The registers come from `norma.core.registers.registry`, so a new register is exported and
    imported without any change here.
    """
    head = [Organisation, Site, Department, Person]
    tail = [Attachment, Comment, Signature, Sequence]
    result = [(f"data/{m._meta.label_lower}.json", m) for m in head]
    seen = set()
    for register in registry:
        if register.model not in seen:
            seen.add(register.model)
            result.append((f"registers/{register.model._meta.label_lower}.json", register.model))
    result += [(f"data/{m._meta.label_lower}.json", m) for m in app_models("archive_models")]
    result += [(f"data/{m._meta.label_lower}.json", m) for m in tail]
    return result


def app_models(attribute: str) -> list[type]:
    """Models Norma's apps list on their AppConfig: `archive_models` are a register's own
    tables (a document's revisions), `archive_settings` the set-up rows that `norma migrate`
    creates and people may change (document types)."""
    return [
        apps.get_model(label)
        for config in apps.get_app_configs()
        if config.name.startswith("norma.")
        for label in getattr(config, attribute, [])
    ]


def settings_sections() -> list[tuple[str, type]]:
    """Set-up tables: merged into the target by natural key, not inserted."""
    return [(f"settings/{m._meta.label_lower}.json", m) for m in app_models("archive_settings")]


README = """\
# Norma QMS archive (format version 1)

This zip file holds the whole quality management system of one Norma instance, written by
`norma export PATH`. `norma import PATH` loads it into a new, empty instance (run
`norma migrate` first). Nothing in it depends on the database it came from: SQLite and
PostgreSQL instances exchange archives freely.

## Files

| file | what it holds |
|---|---|
| `manifest.json` | format, versions, export time, row counts, change-log head, SHA-256 per file |
| `README.md` | this description |
| `data/core.organisation.json` | the organisation |
| `data/core.site.json`, `data/core.department.json` | sites and departments |
| `data/core.person.json` | people, their role groups, permissions, scope and manager |
| `data/core.role.json` | the built-in roles and whether each requires two-factor sign-in |
| `registers/<app>.<model>.json` | one file per register (e.g. `registers/planning.process.json`) |
| `data/<app>.<model>.json` | a register's own tables (e.g. `data/documents.revision.json`) |
| `settings/<app>.<model>.json` | set-up tables such as document types, merged by natural key |
| `data/core.attachment.json` | attachment metadata: original name, type, size, SHA-256, uploader |
| `data/core.comment.json`, `data/core.signature.json` | comments and electronic signatures |
| `data/core.sequence.json` | the reference-number counters (`PRC-2026` -> last number) |
| `data/standards.json` | the standards libraries the records refer to (informative) |
| `changelog.jsonl` | the change log, one entry per line, exactly as stored |
| `files/<stored name>` | every stored file (attachments, document files), by its stored name |

`manifest.json` names every other file with its SHA-256 and size. `manifest_sha256` is the
SHA-256 of the manifest's own canonical JSON (sorted keys, no spaces) without that field.

## Rows and relations

Each JSON file is a list of rows ordered by `id`; each row has every column of its table.
`id` is the row's number in the source instance. Import keeps it, so the change log's object
ids (and `actor_id`) still point at the same records and people.

Relations are written as natural keys, never as bare database ids:

- people by email; sites by code; departments by `[name, site code]`;
- clauses by key (`iso9001-2015:8.5`); standards by slug;
- records of any register by reference (`PRC-2026-0001`); document types by code;
- rows of a register's own tables (revisions, signed decisions) by their `id`;
- role groups by name; permissions by `[app, codename]`; content types by `[app, model]`;
- attachments, comments and signatures name their record with `content_type` and `object`
  (the record's natural key).

Many-to-many values (a record's clauses, a person's groups and scope) are sorted lists of
natural keys. Times are ISO 8601 in UTC, dates ISO 8601, files by their stored name.

## What is carried, and what is not

- Password hashes are kept, so people can sign in with their password after a move. Treat the
  archive as confidential.
- API token hashes and authenticator (TOTP) secrets are never exported: people create new
  API tokens and enrol their authenticator app again after an import.
- Not carried: sessions, sign-in throttling records, background jobs and their result files,
  the admin site's own log. The standards libraries themselves come with Norma (`norma
  migrate` loads them); `data/standards.json` only lists which ones the records use.

## The change log

`changelog.jsonl` holds every entry verbatim (id, timestamp, actor, action, object, before,
after, reason, request id, previous hash, hash). Because import keeps the ids the entries name,
the hash chain verifies after import exactly as before (`norma verify`). The few entries that
`norma migrate` wrote in the new instance (loading the standards) are replaced by the archive's
history; import then appends one entry, `qms.import`, naming this archive and listing the id
and hash of each entry it replaced.

## Checks on import

Import refuses, with a message naming the problem and before changing anything:

- an archive whose manifest, or any file, does not match its checksum, or that lacks a listed
  file or holds an unlisted one;
- a change log whose hash chain is broken;
- an instance that already holds data (only what `norma migrate` writes is allowed);
- a relation to a row that is neither in the archive nor in the instance.

Import is all-or-nothing: one database transaction, and the files it stored are removed
again if anything fails.
"""
