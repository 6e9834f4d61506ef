"""SQLite backups: a `VACUUM INTO` snapshot, checks on a copy, and the file swap on restore.

Everything here uses its own `sqlite3` connection, never Django's: `VACUUM INTO` reads one
consistent snapshot (WAL mode lets writers carry on meanwhile), and the checks run on the copy
before the live database is touched.
"""

import datetime
import json
import os
import shutil
import sqlite3
from pathlib import Path

from norma.core.changelog import GENESIS_HASH, compute_hash, entry_payload
from norma.core.models import ChangeLogEntry
from norma.dataio.archive_manifest import ArchiveError

LOG_COLUMNS = [f.column for f in ChangeLogEntry._meta.concrete_fields]


def snapshot(db_path: Path, dest: Path):
    """A consistent copy of the live database, taken from a separate connection."""
    if not db_path.exists():
        raise ArchiveError(f"There is no database at {db_path}; run `norma migrate` first.")
    con = sqlite3.connect(db_path, timeout=20)
    try:
        con.execute("VACUUM INTO ?", (str(dest),))
    finally:
        con.close()


def _open_copy(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def integrity_problem(path: Path) -> str | None:
    """None when `PRAGMA integrity_check` passes, else what it reports."""
    try:
        con = _open_copy(path)
        try:
            result = [row[0] for row in con.execute("PRAGMA integrity_check")]
        finally:
            con.close()
    except sqlite3.DatabaseError as error:
        return str(error)
    return None if result == ["ok"] else "; ".join(result[:3])


def describe(path: Path) -> dict:
    """Row counts of every table and the change-log head, read from a database file."""
    con = _open_copy(path)
    try:
        tables = [
            row[0]
            for row in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        counts = {
            table: con.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608 (names from sqlite_master)
            for table in tables
        }
        head = None
        if ChangeLogEntry._meta.db_table in tables:
            row = con.execute(
                "SELECT id, hash FROM core_changelogentry ORDER BY id DESC LIMIT 1"
            ).fetchone()
            head = {"id": row[0], "hash": row[1]} if row else None
    finally:
        con.close()
    return {"row_counts": counts, "changelog_head": head}


def chain_problem(path: Path) -> str | None:
    """Walk the copy's change log like `verify_chain()`; None when intact."""
    con = _open_copy(path)
    columns = ", ".join(LOG_COLUMNS)
    prev_hash, expected = GENESIS_HASH, 1
    try:
        rows = con.execute(f"SELECT {columns} FROM core_changelogentry ORDER BY id")  # noqa: S608
        for values in rows:
            row = dict(zip(LOG_COLUMNS, values, strict=True))
            for name in ("before", "after"):
                row[name] = None if row[name] is None else json.loads(row[name])
            stamp = datetime.datetime.fromisoformat(row["timestamp"])
            row["timestamp"] = stamp.replace(tzinfo=stamp.tzinfo or datetime.UTC)
            entry = ChangeLogEntry(**row)
            if entry.id != expected or entry.prev_hash != prev_hash:
                return f"entry #{entry.id} does not follow the entry before it"
            if compute_hash(prev_hash, entry_payload(entry)) != entry.hash:
                return f"entry #{entry.id} was altered after it was written"
            prev_hash, expected = entry.hash, entry.id + 1
    except sqlite3.DatabaseError as error:
        return str(error)
    finally:
        con.close()
    return None


def applied_migrations(path: Path) -> set[tuple[str, str]]:
    con = _open_copy(path)
    try:
        return set(con.execute("SELECT app, name FROM django_migrations"))
    except sqlite3.DatabaseError:
        return set()
    finally:
        con.close()


def check_live_idle(db_path: Path):
    """Fold the WAL into the live file; refuse when another process is reading or writing."""
    if not db_path.exists():
        return
    con = sqlite3.connect(db_path, timeout=5)
    try:
        busy, _, _ = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError as error:
        busy = str(error)
    finally:
        con.close()
    if busy:
        raise ArchiveError(
            f"The database {db_path} is in use; stop `norma serve` and `norma worker`, then run "
            "the restore again. Nothing was changed."
        )


def swap_in(new_file: Path, db_path: Path, stamp: str) -> Path | None:
    """Replace the live database file atomically; the old one is kept beside it.

    Run with no server or worker using the database (check_live_idle is called first). The old
    file stays as `norma.sqlite3.before-restore-<time>`; its WAL and shared-memory files,
    emptied by the checkpoint, are removed so they can never be replayed onto the new file.
    """
    aside = None
    if db_path.exists():
        aside = db_path.with_name(f"{db_path.name}.before-restore-{stamp}")
        os.link(db_path, aside)
    staged = db_path.with_name(f".{db_path.name}.restoring")
    shutil.move(new_file, staged)  # a rename, or a copy when the scratch is on another disk
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    os.replace(staged, db_path)
    return aside
