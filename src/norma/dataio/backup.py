"""`norma backup` / `norma restore`: a verified snapshot of the database and every stored file.

A backup is a zip file: `database/norma.sqlite3` (SQLite, `VACUUM INTO`) or
`database/norma.dump` (PostgreSQL, `pg_dump -Fc`), every file under `files/`, a README and
`manifest.json` (SHA-256 and size per file, row counts per table, the change-log head, Norma
version, database vendor, and a checksum of the manifest itself).

Restore unpacks into a scratch folder inside the data directory and checks everything there
first: the manifest, every checksum, the database (SQLite: `PRAGMA integrity_check`, row counts,
change-log head and hash chain, migrations this Norma knows; PostgreSQL: `pg_restore --list`).
Only then does it replace the database and the files folder. Stop `norma serve` and
`norma worker` first. On SQLite the old database file and files folder are kept beside the new
ones as `*.before-restore-<time>`; on PostgreSQL `pg_restore --clean --single-transaction`
replaces the contents of the configured database.
"""

import datetime
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection, connections
from django.utils import timezone

import norma
from norma.core.changelog import verify_chain
from norma.dataio import backup_postgres, backup_sqlite
from norma.dataio.archive_manifest import (
    ArchiveError,
    ZipWriter,
    check_members,
    open_zip,
    read_manifest,
    read_member,
)

FORMAT = "norma-backup"
FORMAT_VERSION = 1
LABEL = "backup"
DB_FILES = {"sqlite": "database/norma.sqlite3", "postgresql": "database/norma.dump"}
README = """\
# Norma backup (format version 1)

Written by `norma backup PATH`; brought back by `norma restore PATH`, which checks everything
below before it replaces anything.

- `database/norma.sqlite3`: a consistent copy of the SQLite database (`VACUUM INTO`), or
  `database/norma.dump`: a `pg_dump --format=custom` of the PostgreSQL database.
- `files/...`: every stored file (attachments and other uploads), under its stored name.
- `manifest.json`: format version, Norma version, database vendor, time of the backup, the
  SHA-256 and size of every other file, the row count of every table and the change log's
  head (id and hash). `manifest_sha256` is the SHA-256 of the manifest's canonical JSON
  (sorted keys, no spaces) without that field.

The database holds password hashes, authenticator secrets and API token hashes: keep backups
as confidential as the server itself.
"""


@dataclass
class BackupResult:
    path: Path
    manifest: dict
    size: int


@dataclass
class RestoreResult:
    manifest: dict
    changelog_entries: int
    kept_aside: list[Path]


def _vendor() -> str:
    vendor = connection.vendor
    if vendor not in DB_FILES:
        raise ArchiveError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def files_dir() -> Path:
    storage = storages["default"]
    if not isinstance(storage, FileSystemStorage):
        raise ArchiveError("Backups cover files kept on this machine (FileSystemStorage) only.")
    return Path(storage.location)


def _stamp() -> str:
    return timezone.now().astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def create_backup(path) -> BackupResult:
    """Snapshot the database, then copy every file, into a new zip at `path`."""
    path, vendor, db = Path(path), _vendor(), settings.DATABASES["default"]
    if path.exists():
        raise ArchiveError(f"{path} already exists; choose a new file name.")
    if not path.parent.is_dir():
        raise ArchiveError(f"{path.parent} is not a folder.")
    scratch = Path(tempfile.mkdtemp(prefix=".norma-backup-", dir=path.parent))
    partial = path.with_name(f".{path.name}.partial")
    try:
        db_copy = scratch / Path(DB_FILES[vendor]).name
        if vendor == "sqlite":
            backup_sqlite.snapshot(Path(db["NAME"]), db_copy)
            if problem := backup_sqlite.integrity_problem(db_copy):
                raise ArchiveError(f"The database copy fails its integrity check: {problem}")
            described = {
                **backup_sqlite.describe(db_copy),
                "server_version": sqlite3.sqlite_version,
            }
        else:
            described = backup_postgres.dump(db, db_copy)
        # Files after the database: every file a row in the snapshot names was stored before
        # that row was committed, so it is here; files added since are harmless extras.
        partial.touch(mode=0o600)  # password hashes and secrets: readable by the owner only
        writer = ZipWriter(partial, compresslevel=1)
        writer.write_bytes("README.md", README.encode())
        with db_copy.open("rb") as handle:
            writer.write_stream(DB_FILES[vendor], handle)
        root = files_dir()
        for file in sorted(root.rglob("*")) if root.is_dir() else []:
            if file.is_file() and not file.is_symlink():
                with file.open("rb") as handle:
                    writer.write_stream("files/" + file.relative_to(root).as_posix(), handle)
        manifest = writer.finish(
            {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "norma_version": norma.__version__,
                "created_at": timezone.now().astimezone(datetime.UTC).isoformat(),
                "database": {
                    "vendor": vendor,
                    "file": DB_FILES[vendor],
                    "server_version": described["server_version"],
                },
                "row_counts": described["row_counts"],
                "changelog_head": described["changelog_head"],
            }
        )
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(scratch, ignore_errors=True)
    return BackupResult(path, manifest, path.stat().st_size)


def unpack(path, scratch: Path) -> dict:
    """Check the manifest and every file's checksum while unpacking into `scratch`."""
    with open_zip(path, LABEL) as zf:
        manifest = read_manifest(zf, FORMAT, LABEL, FORMAT_VERSION)
        check_members(zf, manifest)
        database = manifest.get("database") or {}
        vendor = _vendor()
        if database.get("vendor") != vendor:
            raise ArchiveError(
                f"This is a backup of a {database.get('vendor')} database, but Norma is "
                f"configured for {vendor}. Restore it with the same kind of database, or move "
                "data between kinds with `norma export` and `norma import`."
            )
        if database.get("file") != DB_FILES[vendor] or DB_FILES[vendor] not in manifest["files"]:
            raise ArchiveError(f"The backup does not hold {DB_FILES[vendor]}.")
        for name in sorted(manifest["files"]):
            target = scratch / name
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("wb") as sink:
                    read_member(zf, name, manifest, sink)
            except OSError as error:
                raise ArchiveError(
                    f"The backup's file list is not usable at {name}: {error}"
                ) from None
    return manifest


def check_sqlite_copy(db_copy: Path, manifest: dict):
    """Everything the manifest says about the database must hold for the unpacked copy."""
    if problem := backup_sqlite.integrity_problem(db_copy):
        raise ArchiveError(f"The backup's database fails PRAGMA integrity_check: {problem}")
    described = backup_sqlite.describe(db_copy)
    if described["row_counts"] != manifest.get("row_counts"):
        raise ArchiveError(_count_mismatch(manifest.get("row_counts"), described["row_counts"]))
    if described["changelog_head"] != manifest.get("changelog_head"):
        raise ArchiveError("The backup's change-log head differs from the one in the manifest.")
    if problem := backup_sqlite.chain_problem(db_copy):
        raise ArchiveError(f"The backup's change log is broken: {problem}.")
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    unknown = sorted(
        f"{app}.{name}"
        for app, name in backup_sqlite.applied_migrations(db_copy) - set(loader.disk_migrations)
        if app in loader.migrated_apps
    )
    if unknown:
        raise ArchiveError(
            f"The backup was made by a newer Norma (migrations {', '.join(unknown[:3])} are "
            "unknown here); restore it with that version."
        )


def _count_mismatch(expected, found) -> str:
    expected, found = expected or {}, found or {}
    differing = sorted(t for t in set(expected) | set(found) if expected.get(t) != found.get(t))
    shown = ", ".join(f"{t} {expected.get(t)} vs {found.get(t)}" for t in differing[:3])
    return f"The row counts in the manifest do not match the database ({shown})."


def _swap_files(new_dir: Path, stamp: str) -> Path | None:
    """Put the backup's files folder in place; the old one is kept beside it."""
    live, aside = files_dir(), None
    if live.exists():
        aside = live.with_name(f"{live.name}.before-restore-{stamp}")
        shutil.move(live, aside)
    new_dir.mkdir(parents=True, exist_ok=True)
    shutil.move(new_dir, live)
    return aside


def restore_backup(path) -> RestoreResult:
    """Verify the backup in a scratch folder, then replace the database and the files."""
    vendor, db = _vendor(), settings.DATABASES["default"]
    if not Path(path).is_file():
        raise ArchiveError(f"{path}: no such file.")
    scratch = Path(tempfile.mkdtemp(prefix=".norma-restore-", dir=settings.DATA_DIR))
    try:
        manifest = unpack(path, scratch)
        db_copy = scratch / DB_FILES[vendor]
        if vendor == "sqlite":
            check_sqlite_copy(db_copy, manifest)
        else:
            backup_postgres.check_dump(db, db_copy)
        connections.close_all()
        stamp, kept = _stamp(), []
        if vendor == "sqlite":
            live = Path(db["NAME"])
            backup_sqlite.check_live_idle(live)
            kept.append(backup_sqlite.swap_in(db_copy, live, stamp))
        else:
            backup_postgres.restore(db, db_copy)
            described = backup_postgres.describe_live(db)
            if described["row_counts"] != manifest.get("row_counts"):
                raise ArchiveError(
                    "The database was restored, but "
                    + _count_mismatch(manifest.get("row_counts"), described["row_counts"])
                )
            if described["changelog_head"] != manifest.get("changelog_head"):
                raise ArchiveError(
                    "The database was restored, but its change-log head differs from the "
                    "manifest's."
                )
        kept.append(_swap_files(scratch / "files", stamp))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report = verify_chain()
    if not report.intact:
        raise ArchiveError(
            f"The database was restored, but its change log is broken: {report.problem}"
        )
    return RestoreResult(manifest, report.checked, [p for p in kept if p is not None])
