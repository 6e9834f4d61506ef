"""PostgreSQL backups: `pg_dump -Fc` inside an exported snapshot, `pg_restore` to bring it back.

Row counts and the change-log head are read in the same snapshot that pg_dump dumps
(`pg_export_snapshot()` + `pg_dump --snapshot`), so the manifest describes exactly the dump.
The tools come from the PostgreSQL installation: the newest `/usr/lib/postgresql/*/bin`, else
the PATH. pg_dump must be at least as new as the server.
"""

import glob
import os
import re
import shutil
import subprocess
from pathlib import Path

import psycopg
from psycopg import sql

from norma.dataio.archive_manifest import ArchiveError

LIBPQ_OPTIONS = {"sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "options"}


def tool(name: str) -> str:
    """The path of pg_dump or pg_restore, preferring the newest installed PostgreSQL."""

    def version(path: str) -> tuple[int, ...]:
        match = re.search(r"/postgresql/([\d.]+)/bin/", path)
        return tuple(int(p) for p in match.group(1).split(".")) if match else (0,)

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version, reverse=True)
    found = next((c for c in candidates if os.access(c, os.X_OK)), None) or shutil.which(name)
    if not found:
        raise ArchiveError(
            f"{name} was not found (looked in /usr/lib/postgresql/*/bin and on the PATH); "
            "install the PostgreSQL client tools."
        )
    return found


def params(db: dict) -> dict:
    """libpq connection parameters from Django's DATABASES entry."""
    result = {
        "dbname": db.get("NAME"),
        "user": db.get("USER"),
        "password": db.get("PASSWORD"),
        "host": db.get("HOST"),
        "port": str(db.get("PORT") or ""),
    }
    result.update({k: v for k, v in (db.get("OPTIONS") or {}).items() if k in LIBPQ_OPTIONS})
    return {k: v for k, v in result.items() if v not in (None, "")}


def tool_env(conn_params: dict) -> dict:
    """Environment for pg_dump / pg_restore: the password never appears on a command line."""
    names = {"dbname": "PGDATABASE", "user": "PGUSER", "password": "PGPASSWORD"}
    names |= {"host": "PGHOST", "port": "PGPORT", "sslmode": "PGSSLMODE"}
    names |= {"sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY"}
    names |= {"connect_timeout": "PGCONNECT_TIMEOUT", "options": "PGOPTIONS"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update({names[k]: str(v) for k, v in conn_params.items() if k in names})
    return env


def _run(command: list[str], conn_params: dict, what: str) -> str:
    done = subprocess.run(  # noqa: S603 (fixed tool paths, no shell)
        command, env=tool_env(conn_params), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise ArchiveError(f"{what} failed: {' '.join(detail) or f'exit {done.returncode}'}")
    return done.stdout


def describe(cursor) -> dict:
    """Row counts of every table in the schema and the change-log head, in this transaction."""
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    )
    tables = [row[0] for row in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(table)))
        counts[table] = cursor.fetchone()[0]
    head = None
    if "core_changelogentry" in tables:
        cursor.execute("SELECT id, hash FROM core_changelogentry ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
        head = {"id": row[0], "hash": row[1]} if row else None
    return {"row_counts": counts, "changelog_head": head}


def dump(db: dict, dest: Path) -> dict:
    """pg_dump -Fc of the configured database; returns its row counts and change-log head."""
    conn_params = params(db)
    with psycopg.connect(**conn_params) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction(), conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot_id, server_version = cursor.fetchone()
            described = describe(cursor)
            _run(
                [tool("pg_dump"), "--format=custom", f"--snapshot={snapshot_id}", "-f", str(dest)],
                conn_params,
                "pg_dump",
            )
    return {**described, "server_version": server_version}


def check_dump(db: dict, path: Path):
    """`pg_restore --list` reads the whole table of contents; a damaged dump fails here."""
    _run([tool("pg_restore"), "--list", str(path)], params(db), "Reading the dump (pg_restore)")


def restore(db: dict, path: Path):
    """Replace the configured database's contents with the dump, in one transaction."""
    conn_params = params(db)
    command = [tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction"]
    command += ["--exit-on-error", "-d", conn_params.get("dbname", ""), str(path)]
    _run(command, conn_params, "pg_restore")


def describe_live(db: dict) -> dict:
    with psycopg.connect(**params(db)) as conn, conn.cursor() as cursor:
        return describe(cursor)
