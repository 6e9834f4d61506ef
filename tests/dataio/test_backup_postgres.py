"""`norma backup` / `norma restore` on PostgreSQL (pg_dump -Fc / pg_restore).

Runs only when DATABASE_URL points at PostgreSQL (CI's second pass). Each test database is
created here, next to the suite's own, and dropped afterwards.
"""

import os
import shutil
import uuid
import zipfile

import dj_database_url
import psycopg
import pytest
from psycopg import sql

from norma.dataio.backup_postgres import describe_live, params
from tests.dataio.test_backup import SOURCE, _flip_byte, _rewrite, norma, ok, tree

URL = os.environ.get("DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not URL.startswith(("postgres://", "postgresql://")),
    reason="PostgreSQL backups are tested when DATABASE_URL points at PostgreSQL",
)


def settings_for(name: str) -> dict:
    return {**dj_database_url.parse(URL), "NAME": name}


def url_for(name: str) -> str:
    return URL.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="module")
def databases():
    """Creates empty databases on the suite's server; drops them all at the end."""
    made = []

    def create() -> str:
        name = f"norma_backup_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(**params(dj_database_url.parse(URL)), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        made.append(name)
        return name

    yield create
    with psycopg.connect(**params(dj_database_url.parse(URL)), autocommit=True) as conn:
        for name in made:
            statement = "DROP DATABASE IF EXISTS {} WITH (FORCE)"
            conn.execute(sql.SQL(statement).format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def source(databases, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pg-backup")
    name, backup = databases(), folder / "norma-backup.zip"
    output = ok(norma(folder / "source", str(backup), script=SOURCE, database_url=url_for(name)))
    assert "Backed up the postgresql database" in output
    with zipfile.ZipFile(backup) as zf:
        assert "database/norma.dump" in zf.namelist()
    return name, folder / "source", backup


def test_restore_into_an_empty_database(source, databases, tmp_path):
    name, data, backup = source
    target_db, target = databases(), tmp_path / "restored"
    output = ok(norma(target, "restore", str(backup), database_url=url_for(target_db)))
    restored, original = describe_live(settings_for(target_db)), describe_live(settings_for(name))
    assert restored == original
    assert restored["row_counts"]["planning_process"] == 8
    entries = original["row_counts"]["core_changelogentry"]
    assert f"change log intact ({entries} entries)" in output
    assert tree(target / "files") == tree(data / "files")
    verified = ok(norma(target, "verify", database_url=url_for(target_db)))
    assert f"Change log intact: {entries} entries verified" in verified


def test_a_corrupt_dump_is_refused_and_nothing_touched(source, databases, tmp_path):
    name, data, backup = source
    bad = _rewrite(backup, tmp_path / "bad.zip", change={"database/norma.dump": _flip_byte})
    target_db, target = databases(), tmp_path / "live"
    shutil.copytree(data, target)
    before_files = tree(target)
    refused = norma(target, "restore", str(bad), database_url=url_for(target_db))
    assert refused.returncode == 1
    assert "database/norma.dump does not match its SHA-256 checksum" in refused.stderr
    assert describe_live(settings_for(target_db))["row_counts"] == {}
    assert tree(target) == before_files
