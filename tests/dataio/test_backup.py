"""`norma backup` / `norma restore` on SQLite, run as real commands in their own data folders.

Each command runs in a subprocess with NORMA_DATA_DIR pointing at a temporary folder (and no
DATABASE_URL), so the real SQLite file is backed up and replaced, not the test database.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from norma.dataio.archive_manifest import seal
from norma.dataio.backup_sqlite import chain_problem

ROOT = Path(__file__).resolve().parents[2]
# One process for migrate, demo data and backup: each `norma` process costs a Django start-up.
SOURCE = """
import sys, django
django.setup()
from django.core.management import call_command
from tests.dataio.test_archive import build_source
call_command("migrate", "--no-input", verbosity=0)
build_source()
call_command("backup", sys.argv[1])
"""
# Several `norma restore` (and `norma backup`) runs in one process, each through the real
# command line; each prints its exit code and message (sys.exit("norma: ...") exits 1).
COMMANDS = """
import json, os, sys
from norma import cli
results = {}
for path in sys.argv[1:]:
    try:
        command = "restore" if os.path.basename(path).startswith("restore") else "backup"
        cli.main([command, path])
        results[path] = [0, "done"]
    except SystemExit as exited:
        code = exited.code
        results[path] = [1 if isinstance(code, str) else code, str(code)]
print(json.dumps(results))
"""


def norma(
    data_dir: Path, *args, script: str | None = None, database_url: str = ""
) -> subprocess.CompletedProcess:
    """Run `norma ARGS` (or a Python script) on the instance in `data_dir`: SQLite, unless
    `database_url` names another database."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NORMA_DATA_DIR")}
    if database_url:
        env["DATABASE_URL"] = database_url
    # The test settings: the real SQLite file in data_dir, but a fast password hasher.
    data_dir.mkdir(parents=True, exist_ok=True)
    env.update(NORMA_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="tests.settings")
    command = [sys.executable, "-c", script] if script else [sys.executable, "-m", "norma.cli"]
    return subprocess.run(
        [*command, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def table_counts(db_file: Path) -> dict[str, int]:
    con = sqlite3.connect(db_file)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` with its SHA-256: the state a refused restore must not change."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A demo instance on SQLite with an attachment and a comment, and a backup of it."""
    folder = tmp_path_factory.mktemp("backup")
    backup = folder / "norma-backup.zip"
    output = ok(norma(folder / "source", str(backup), script=SOURCE))
    assert "Backed up the sqlite database" in output
    return folder / "source", backup


def test_the_manifest_describes_the_snapshot(source):
    data, backup = source
    with zipfile.ZipFile(backup) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        names = set(zf.namelist())
    assert seal(manifest)["manifest_sha256"] == manifest["manifest_sha256"]
    assert manifest["database"]["vendor"] == "sqlite"
    assert manifest["row_counts"] == table_counts(data / "norma.sqlite3")
    assert manifest["row_counts"]["core_attachment"] == 6  # and the demo's 5 certificates
    con = sqlite3.connect(data / "norma.sqlite3")
    head = con.execute("SELECT id, hash FROM core_changelogentry ORDER BY id DESC").fetchone()
    con.close()
    assert manifest["changelog_head"] == {"id": head[0], "hash": head[1]}
    stored = {f"files/{name}" for name in tree(data / "files")}
    # The attachments (the demo's calibration certificates among them), the demo's uploaded PDF.
    assert len(stored) == 7 and stored <= names
    assert names == set(manifest["files"]) | {"manifest.json"}


def test_restore_into_a_new_data_directory(source, tmp_path):
    data, backup = source
    target = tmp_path / "restored"
    output = ok(norma(target, "restore", str(backup)))
    assert "change log intact" in output
    assert table_counts(target / "norma.sqlite3") == table_counts(data / "norma.sqlite3")
    assert tree(target / "files") == tree(data / "files")
    entries = table_counts(data / "norma.sqlite3")["core_changelogentry"]
    assert f"change log intact ({entries} entries)" in output
    assert chain_problem(target / "norma.sqlite3") is None  # the verifier, run independently
    assert not list(target.glob(".norma-restore-*"))


def test_restore_replaces_an_instance_and_keeps_the_old_state_aside(source, tmp_path):
    data, backup = source
    target = tmp_path / "live"
    shutil.copytree(data, target)
    con = sqlite3.connect(target / "norma.sqlite3")
    con.execute("INSERT INTO core_site (code, name, address, is_active) VALUES ('x', 'X', '', 1)")
    con.commit()
    con.close()
    (target / "files" / "stray.txt").write_text("added after the backup")
    ok(norma(target, "restore", str(backup)))
    assert table_counts(target / "norma.sqlite3") == table_counts(data / "norma.sqlite3")
    assert tree(target / "files") == tree(data / "files")
    [old_db] = target.glob("norma.sqlite3.before-restore-*")
    sites_before = table_counts(data / "norma.sqlite3")["core_site"]
    assert table_counts(old_db)["core_site"] == sites_before + 1
    [old_files] = target.glob("files.before-restore-*")
    assert (old_files / "stray.txt").exists()


def _rewrite(backup: Path, target: Path, change: dict, drop: str = "") -> Path:
    with zipfile.ZipFile(backup) as zf:
        content = {name: zf.read(name) for name in zf.namelist() if name != drop}
    for name, edit in change.items():
        content[name] = edit(content[name])
    with zipfile.ZipFile(target, "w") as zf:
        for name, data in content.items():
            zf.writestr(name, data)
    return target


def _flip_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


def _edit_manifest(reseal: bool):
    def edit(raw: bytes) -> bytes:
        manifest = json.loads(raw)
        manifest["row_counts"]["planning_process"] -= 1
        return json.dumps(seal(manifest) if reseal else manifest).encode()

    return edit


def _first_stored_file(backup: Path) -> str:
    with zipfile.ZipFile(backup) as zf:
        return next(n for n in zf.namelist() if n.startswith("files/"))


TAMPERING = {
    "database byte flipped": (
        lambda b: {"change": {"database/norma.sqlite3": _flip_byte}},
        "database/norma.sqlite3 does not match its SHA-256 checksum",
    ),
    "stored file changed": (
        lambda b: {"change": {_first_stored_file(b): _flip_byte}},
        "does not match its SHA-256 checksum",
    ),
    "stored file missing": (
        lambda b: {"change": {}, "drop": _first_stored_file(b)},
        "listed in the manifest is missing from the archive",
    ),
    "manifest edited": (
        lambda b: {"change": {"manifest.json": _edit_manifest(reseal=False)}},
        "manifest.json was edited or damaged",
    ),
    "manifest edited and resealed": (
        lambda b: {"change": {"manifest.json": _edit_manifest(reseal=True)}},
        "row counts in the manifest do not match the database",
    ),
}


def test_every_kind_of_tampering_is_refused_and_the_target_left_untouched(source, tmp_path):
    data, backup = source
    bad = {}
    for number, (case, (tamper, message)) in enumerate(TAMPERING.items()):
        path = tmp_path / f"restore-{number}.zip"
        bad[str(_rewrite(backup, path, **tamper(backup)))] = (case, message)
    existing = tmp_path / "backup-exists.zip"
    existing.write_bytes(b"keep me")
    target = tmp_path / "live"
    shutil.copytree(data, target)
    before = tree(target)
    results = json.loads(ok(norma(target, *bad, str(existing), script=COMMANDS)).splitlines()[-1])
    for path, (case, message) in bad.items():
        code, text = results[path]
        assert code == 1 and text.startswith("norma: restore refused: "), f"{case}: {text}"
        assert message in text, f"{case}: {text}"
    assert results[str(existing)][0] == 1 and "already exists" in results[str(existing)][1]
    assert existing.read_bytes() == b"keep me"
    assert tree(target) == before
