"""The settings a system of record depends on are really in effect."""

import importlib
import os
import secrets
import subprocess
import sys

import dj_database_url
import pytest
from django.db.utils import ConnectionHandler

production = importlib.import_module("norma.settings")


def test_passwords_are_hashed_with_argon2_in_production():
    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_sqlite_takes_the_write_lock_at_begin_and_commits_durably(tmp_path, django_db_blocker):
    options = production.SQLITE_OPTIONS
    database = dj_database_url.parse(f"sqlite:///{tmp_path / 'probe.sqlite3'}")
    wrapper = ConnectionHandler({"default": {**database, "OPTIONS": options}})["default"]
    try:
        with django_db_blocker.unblock(), wrapper.cursor() as cursor:
            pragmas = {
                name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        wrapper.close()
    assert options["transaction_mode"] == "IMMEDIATE"
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL
        "foreign_keys": 1,
        "busy_timeout": 20000,
    }


@pytest.mark.slow
def test_production_settings_pass_the_deploy_checks(tmp_path):
    env = {
        **os.environ,
        "NORMA_DATA_DIR": str(tmp_path),
        "NORMA_DEBUG": "false",
        "NORMA_HTTPS": "true",
        "NORMA_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SETTINGS_MODULE": "norma.settings",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "norma.cli",
            "manage",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_healthz_answers_when_the_database_does(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_static_files_are_gzipped_without_slow_brotli():
    from norma.core.storage import NormaStaticFilesStorage

    compressor = NormaStaticFilesStorage().create_compressor(quiet=True)
    assert compressor.use_gzip
    assert not compressor.use_brotli
    assert (
        production.STORAGES["staticfiles"]["BACKEND"]
        == "norma.core.storage.NormaStaticFilesStorage"
    )
