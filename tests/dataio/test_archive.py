"""`norma export` / `norma import`: the round trip loses nothing, and bad input is refused.

The source instance is the demo organisation plus an attachment, a comment, an API token, a
role that requires two-factor and a person with a limited scope. It is built and exported once
per module inside a transaction that is then rolled back, so each test starts from an empty,
freshly migrated instance (the test database) and imports into it.
"""

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, transaction
from django.test import override_settings

from norma import cli
from norma.core.actions import AddComment, AttachFile
from norma.core.attachments import file_is_intact
from norma.core.changelog import canonical_json, verify_chain
from norma.core.models import (
    ApiToken,
    Attachment,
    ChangeLogEntry,
    Comment,
    Department,
    Person,
    Role,
    Signature,
)
from norma.core.seeding import DEMO_PASSWORD, seed_demo
from norma.core.signatures import signature_holds
from norma.dataio.archive_manifest import seal, sha256_bytes
from norma.planning.models import Process

PDF = b"%PDF-1.4\n% a test report\n" + bytes(range(256))


class Rollback(Exception):
    """Raised to undo the source instance once it has been exported."""


def storages_at(location) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def build_source():
    """The demo organisation, plus data that exercises every part of the format."""
    seed_demo()
    quality = Person.objects.get(email="amira.haddad@example.com")
    process = Process.objects.order_by("id").first()
    upload = SimpleUploadedFile("audit report.pdf", PDF, content_type="application/pdf")
    AttachFile(quality, process, data={"file": upload}).execute()
    AddComment(quality, process, data={"text": "Checked on site — «ok» = fine"}).execute()
    ApiToken.issue(quality)
    Role.objects.filter(code="quality_manager").update(require_two_factor=True)
    tom = Person.objects.get(email="tom.fletcher@example.com")
    tom.scope_departments.set(Department.objects.filter(name="Quality"))


def export_source(folder):
    path = folder / "one.zip"
    storages = storages_at(folder / "source-files")
    with override_settings(STORAGES=storages), pytest.raises(Rollback), transaction.atomic():
        build_source()
        call_command("export_qms", str(path), stdout=io.StringIO())
        raise Rollback
    return path


@pytest.fixture(scope="module")
def archive(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        return export_source(tmp_path_factory.mktemp("archive"))


def members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rewrite(source, target, change=None, drop=(), reseal=False):
    """Copy an archive, changing members; with `reseal`, checksums are recomputed to match."""
    content = members(source)
    manifest = json.loads(content.pop("manifest.json"))
    for name in drop:
        content.pop(name)
    for name, data in (change or {}).items():
        content[name] = data
        if reseal:
            manifest["files"][name] = {"sha256": sha256_bytes(data), "size": len(data)}
    if reseal:
        manifest = seal(manifest)
    content.setdefault("manifest.json", json.dumps(manifest).encode())
    with zipfile.ZipFile(target, "w") as zf:
        for name, data in content.items():
            zf.writestr(name, data)
    return target


def run_import(path) -> str:
    out = io.StringIO()
    call_command("import_qms", str(path), stdout=out)
    return out.getvalue()


def assert_still_empty():
    assert not Person.objects.exists()
    assert not Process.objects.exists()
    assert set(ChangeLogEntry.objects.values_list("action", flat=True)) == {"standard.load"}
    assert verify_chain().intact
    location = Path(default_storage.location)
    stored = [p for p in location.rglob("*") if p.is_file()] if location.exists() else []
    assert not stored, stored


def test_the_source_is_demo_sized(archive):
    counts = json.loads(members(archive)["manifest.json"])["counts"]
    assert counts["data/core.person.json"] >= 20
    assert counts["registers/planning.process.json"] == 8
    # The file attached here, and the demo's five calibration certificates.
    assert counts["data/core.attachment.json"] == 6 and counts["data/core.comment.json"] == 1
    assert counts["data/core.signature.json"] >= 1


def test_export_import_export_gives_identical_data(archive, tmp_path, db, capsys):
    cli.main(["import", str(archive)])  # the `norma import` and `norma export` commands
    assert "the change log verifies" in capsys.readouterr().out
    second = tmp_path / "two.zip"
    cli.main(["export", str(second)])
    first, again = members(archive), members(second)
    assert set(first) == set(again)
    for name in sorted(set(first) - {"manifest.json", "changelog.jsonl"}):
        assert first[name] == again[name], f"{name} differs after the round trip"
    # The change log is carried verbatim; import appends exactly one entry saying so.
    log, log_again = first["changelog.jsonl"].splitlines(), again["changelog.jsonl"].splitlines()
    assert log_again[:-1] == log
    assert json.loads(log_again[-1])["action"] == "qms.import"
    one, two = json.loads(first["manifest.json"]), json.loads(again["manifest.json"])
    for manifest in (one, two):
        for key in ("exported_at", "changelog", "manifest_sha256"):
            manifest.pop(key)
        manifest["files"].pop("changelog.jsonl")
    assert one == two


def test_imported_records_work_as_before(archive, db):
    run_import(archive)
    report = verify_chain()
    assert report.intact and report.checked == ChangeLogEntry.objects.count()
    with pytest.raises(DatabaseError), transaction.atomic():  # still append-only
        ChangeLogEntry.objects.filter(id=1).update(reason="rewritten")
    amira = Person.objects.get(email="amira.haddad@example.com")
    assert amira.check_password(DEMO_PASSWORD)
    assert amira.has_role("quality_manager")
    assert Role.objects.get(code="quality_manager").require_two_factor
    assert not ApiToken.objects.exists()  # token hashes are never exported
    tom = Person.objects.get(email="tom.fletcher@example.com")
    assert {d.site.code for d in tom.scope_departments.all()} == {"leeds", "porto"}
    assert all(file_is_intact(a) for a in Attachment.objects.all())
    attachment = Attachment.objects.get(filename="audit report.pdf")
    assert attachment.record.reference == Process.objects.order_by("id").first().reference
    assert Comment.objects.get().text == "Checked on site — «ok» = fine"
    for signature in Signature.objects.all():
        assert signature_holds(signature, signature.record), signature
    process = Process.objects.order_by("id").first()
    assert ChangeLogEntry.objects.filter(object_type="planning.process", object_id=str(process.pk))
    assert Process.objects.filter(clauses__key="iso9001-2015:8.2").exists()


def test_import_into_a_non_empty_instance_is_refused(archive, db, leeds):
    with pytest.raises(CommandError, match="not empty: it holds 1 site"):
        run_import(archive)
    assert not Person.objects.exists()
    assert not default_storage.exists("attachments")


def test_norma_import_exits_1_naming_the_reason(archive, db, leeds):
    with pytest.raises(SystemExit) as exited:
        cli.main(["import", str(archive)])
    assert str(exited.value.code).startswith("norma: import refused: This instance is not empty")


def _process_rows_emptied(archive):
    return {"change": {"registers/planning.process.json": b"[]\n"}}


def _stored_file_changed(archive):
    name = next(n for n in members(archive) if n.startswith("files/"))
    return {"change": {name: PDF.replace(b"test", b"best")}}


def _person_file_missing(archive):
    return {"drop": ["data/core.person.json"]}


def _manifest_edited(archive):
    manifest = json.loads(members(archive)["manifest.json"])
    manifest["counts"]["registers/planning.process.json"] = 7
    return {"change": {"manifest.json": json.dumps(manifest).encode()}}


def _log_entry_altered_and_resealed(archive):
    lines = members(archive)["changelog.jsonl"].splitlines()
    entry = json.loads(lines[3])
    entry["actor_name"] = "Mallory"
    lines[3] = canonical_json(entry).encode()
    return {"change": {"changelog.jsonl": b"\n".join(lines) + b"\n"}, "reseal": True}


TAMPERING = {
    "file changed": (_process_rows_emptied, "planning.process.json does not match its SHA-256"),
    "stored file changed": (_stored_file_changed, "does not match its SHA-256 checksum"),
    "file missing": (_person_file_missing, "data/core.person.json listed in the manifest"),
    "manifest edited": (_manifest_edited, "manifest.json was edited or damaged"),
    "log altered, checksums recomputed": (_log_entry_altered_and_resealed, "#4 was altered"),
}


@pytest.mark.parametrize("case", TAMPERING)
def test_a_tampered_archive_is_refused_before_anything_changes(archive, tmp_path, db, case):
    tamper, message = TAMPERING[case]
    bad = rewrite(archive, tmp_path / "bad.zip", **tamper(archive))
    with pytest.raises(CommandError, match=message):
        run_import(bad)
    assert_still_empty()


def test_a_failing_import_rolls_back_rows_and_files(archive, tmp_path, db):
    rows = json.loads(members(archive)["registers/planning.process.json"])
    rows[-1]["clauses"].append("iso9001-2015:99.9")
    data = (json.dumps(rows) + "\n").encode()
    bad = rewrite(
        archive, tmp_path / "bad.zip", change={"registers/planning.process.json": data}, reseal=True
    )
    with pytest.raises(CommandError, match="'iso9001-2015:99.9' is neither in the archive"):
        run_import(bad)
    assert_still_empty()


def test_export_refuses_a_broken_change_log(tmp_path, quality_manager):
    from tests.core.test_changelog import append_only_triggers_dropped
    from tests.factories import make_process

    make_process(quality_manager, title="Sales")
    with append_only_triggers_dropped():
        ChangeLogEntry.objects.filter(id=2).update(reason="rewritten")
    with pytest.raises(CommandError, match="broken at entry #2"):
        call_command("export_qms", str(tmp_path / "x.zip"))
    assert not (tmp_path / "x.zip").exists()
    assert not list(tmp_path.glob(".x.zip*"))


def test_export_will_not_overwrite_a_file(tmp_path, db):
    (tmp_path / "x.zip").write_bytes(b"keep me")
    with pytest.raises(CommandError, match="already exists"):
        call_command("export_qms", str(tmp_path / "x.zip"))
    assert (tmp_path / "x.zip").read_bytes() == b"keep me"
