"""Evidence packs and registrar access: a pack is asked for by period, clauses and samples,
built by the real worker into a ZIP whose manifest holds the SHA-256 of every file (so the
registrar can check it wherever it travels), and served only to those who read packs; the
registrar's auditor gets a time-boxed guest account, invited by email, that opens one pack or
one external audit and nothing else, with every page written to the change log.

Unless a test says otherwise, Quinn Quality (the quality manager) does the work, packs cover
the last year and the guest's access runs for a fortnight.
"""

import datetime
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from norma.certification.access import GrantRegistrarAccess, RevokeRegistrarAccess
from norma.certification.evidence import ArchiveError, clause_registers, verify_pack
from norma.certification.models import EvidencePack, EvidenceSample, RegistrarAccess
from norma.certification.packs import BuildEvidencePack, VerifyEvidencePack
from norma.core.actions import (
    ActionRefused,
    ArchiveRecord,
    AttachFile,
    CreateRecord,
    InvalidInput,
    NotPermitted,
    UpdateRecord,
)
from norma.core.changelog import history_for
from norma.core.models import Person
from norma.core.seeding import seed_demo
from norma.dataio.archive_manifest import seal
from norma.jobs.management.commands.worker import drain
from norma.jobs.models import Job
from norma.jobs.runner import execute
from norma.standards.models import Clause
from tests.certification.test_findings_and_cockpit import (
    add_body,
    held_audit,
    plan_cycle,
    record_finding,
)
from tests.conftest import PERSONAS
from tests.documents.test_workflow import approve, review, submit, write
from tests.factories import make_document, make_process

PACKS = "/certification/evidence-packs/"
SAMPLES = "/certification/evidence-samples/"
ACCESS = "/certification/registrar-access/"
GUEST_HOME = "/certification/guest/"
NEW_PASSWORD = "a-much-longer-secret-42"
GUEST_EMAIL = "gina@registrar.example"
D = datetime.date


# -- small helpers ------------------------------------------------------------------------
def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def refused(make, kind=ActionRefused) -> ActionRefused:
    """Run `make()`, which must be refused, and return the refusal."""
    with pytest.raises(kind) as caught:
        make()
    return caught.value


def clause(ref: str) -> Clause:
    return Clause.objects.get(standard__slug="iso9001-2015", ref=ref)


def new_pack(actor, **fields) -> EvidencePack:
    data = {
        "title": "Evidence for stage 2",
        "period_start": days(-365),
        "period_end": today(),
        "owner": actor,
        **fields,
    }
    return CreateRecord(actor, EvidencePack, data=data).execute()


def add_sample(actor, pack, **fields) -> EvidenceSample:
    data = {
        "pack": fresh(pack),
        "title": "Five draft processes",
        "register_label": "planning.process",
        "filters": "status=draft",
        "date_field": "created_at",
        "size": 5,
        "owner": actor,
        **fields,
    }
    return CreateRecord(actor, EvidenceSample, data=data).execute()


def start_build(actor, pack) -> EvidencePack:
    """Ask for the build without committing: the job stays queued, as if the worker were busy."""
    return BuildEvidencePack(actor, fresh(pack)).execute()


def build(actor, pack, capture) -> EvidencePack:
    """Start the build, commit, and let the real worker run it."""
    with capture(execute=True):
        BuildEvidencePack(actor, fresh(pack)).execute()
    drain("test-evidence")
    return fresh(pack)


def zip_of(pack) -> zipfile.ZipFile:
    return zipfile.ZipFile(Path(fresh(pack).file.path))


def csv_rows(data: bytes) -> list[str]:
    """The data lines of a CSV member (its header left out)."""
    return data.decode("utf-8-sig").splitlines()[1:]


def rewrite(source: Path, target: Path, change=None, extra=None) -> Path:
    """A copy of the ZIP with some members' bytes changed and some members added."""
    change, extra = change or {}, extra or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info.filename)
            new.writestr(info.filename, change.get(info.filename, lambda b: b)(data))
        for name, data in extra.items():
            new.writestr(name, data)
    return target


def attach(actor, record, name="evidence.pdf", data=b"%PDF-1.4 scanned evidence"):
    return AttachFile(actor, fresh(record), data={"file": ContentFile(data, name=name)}).execute()


def effective_document(quality_manager, top_manager, process_owner, title="Control of records"):
    """A procedure with revision A in force, through the real workflow."""
    document = make_document(quality_manager, title=title)
    write(top_manager, document, body="Records are kept for six years.")
    submit(top_manager, document)
    review(process_owner, document)
    approve(quality_manager, document)
    document.refresh_from_db()
    return document


def grant(actor, capture, **fields) -> RegistrarAccess:
    """Grant guest access (committed, so the invitation is sent)."""
    data = {
        "title": "Stage 2 lead auditor",
        "guest_name": "Gina Guest",
        "guest_email": GUEST_EMAIL,
        "expires_on": days(14),
        **fields,
    }
    with capture(execute=True):
        return GrantRegistrarAccess(actor, data=data).execute()


def invitation_link(message) -> str:
    return re.search(r"https?://\S+/account/set-password/\S+/", message.body).group(0)


def guest_client(access) -> Client:
    client = Client()
    client.force_login(fresh(access).guest)
    return client


def sign_in(email, password) -> Client:
    client = Client()
    client.post("/login/", {"username": email, "password": password})
    return client


def set_password(access):
    """The guest has followed the invitation (tested once below, through the link)."""
    guest = fresh(access).guest
    guest.set_password(NEW_PASSWORD)
    guest.save()


def signed_in(client) -> bool:
    return client.session.get("_auth_user_id") is not None


def guest_log(access, action=None) -> list:
    entries = history_for(access).order_by("id")
    return [e for e in entries if action is None or e.action == action]


# -- fixtures ------------------------------------------------------------------------------
@pytest.fixture
def pack(quality_manager):
    return new_pack(quality_manager)


@pytest.fixture
def built(quality_manager, django_capture_on_commit_callbacks):
    return build(quality_manager, new_pack(quality_manager), django_capture_on_commit_callbacks)


@pytest.fixture
def audit(quality_manager):
    cycle = plan_cycle(quality_manager, add_body(quality_manager))
    return held_audit(quality_manager, cycle, "stage_2", days(-3))


@pytest.fixture
def pack_guest(quality_manager, built, django_capture_on_commit_callbacks):
    return grant(quality_manager, django_capture_on_commit_callbacks, evidence_pack=built)


@pytest.fixture
def audit_guest(quality_manager, audit, django_capture_on_commit_callbacks):
    return grant(quality_manager, django_capture_on_commit_callbacks, external_audit=audit)


# -- 1. asking for a pack and its samples --------------------------------------------------
def test_a_new_pack_waits_to_be_built(pack):
    assert pack.reference.startswith("EP")
    assert pack.status == EvidencePack.Status.DRAFT
    assert not pack.file


def test_a_period_that_ends_before_it_starts_is_refused(quality_manager):
    error = refused(lambda: new_pack(quality_manager, period_end=days(-366)), InvalidInput)
    assert list(error.errors) == ["period_end"]
    assert not EvidencePack.objects.exists()


def test_the_refusal_of_a_backwards_period_says_it_ends_before_it_starts(quality_manager):
    error = refused(lambda: new_pack(quality_manager, period_end=days(-366)), InvalidInput)
    assert "before" in error.errors["period_end"][0]


@pytest.mark.parametrize(
    "end", [D(2024, 1, 8), D(2025, 1, 1)], ids=["3-years-and-a-week", "4-years"]
)
def test_a_period_longer_than_three_years_is_refused(quality_manager, end):
    period = {"period_start": D(2021, 1, 1), "period_end": end}
    error = refused(lambda: new_pack(quality_manager, **period), InvalidInput)
    assert error.errors == {"period_end": ["A pack covers three years at most."]}


def test_a_period_of_exactly_three_years_is_accepted(quality_manager):
    cycle = {"period_start": D(2021, 1, 1), "period_end": D(2024, 1, 1)}
    assert new_pack(quality_manager, **cycle).period_end == D(2024, 1, 1)


def test_a_sample_of_an_unknown_register_is_refused_naming_the_register(quality_manager, pack):
    error = refused(
        lambda: add_sample(quality_manager, pack, register_label="planning.nosuchthing"),
        InvalidInput,
    )
    assert list(error.errors) == ["register_label"]
    assert "planning.nosuchthing" in error.errors["register_label"][0]


def test_a_filter_the_register_does_not_have_is_refused_listing_its_filters(quality_manager, pack):
    error = refused(
        lambda: add_sample(quality_manager, pack, filters="colour=red&status=draft"),
        InvalidInput,
    )
    assert list(error.errors) == ["filters"]
    message = error.errors["filters"][0]
    assert "colour" in message
    assert "status, process_type, owner, site, department" in message


def test_a_filter_value_the_register_does_not_know_is_refused(quality_manager, pack):
    error = refused(
        lambda: add_sample(quality_manager, pack, filters="status=purple"), InvalidInput
    )
    assert list(error.errors) == ["filters"]


@pytest.mark.parametrize(
    ("date_field", "says"),
    [("title", "title is not a date"), ("signed_on_the_moon", "no field")],
)
def test_a_date_field_that_is_not_a_date_of_the_register_is_refused(
    quality_manager, pack, date_field, says
):
    error = refused(lambda: add_sample(quality_manager, pack, date_field=date_field), InvalidInput)
    assert list(error.errors) == ["date_field"]
    assert says in error.errors["date_field"][0]


@pytest.mark.parametrize("size", [0, 101])
def test_a_sample_of_fewer_than_one_or_more_than_100_records_is_refused(
    quality_manager, pack, size
):
    error = refused(lambda: add_sample(quality_manager, pack, size=size), InvalidInput)
    assert list(error.errors) == ["size"]
    assert not EvidenceSample.objects.exists()


def test_sample_dates_that_end_before_they_start_are_refused(quality_manager, pack):
    dates = {"date_from": days(-10), "date_to": days(-20)}
    error = refused(lambda: add_sample(quality_manager, pack, **dates), InvalidInput)
    assert list(error.errors) == ["date_to"]


@pytest.mark.parametrize("size", [1, 100])
def test_samples_of_one_to_100_records_are_accepted(quality_manager, pack, size):
    assert add_sample(quality_manager, pack, size=size).size == size


def test_the_clauses_chosen_decide_which_registers_go_in():
    labels = {r.model._meta.label_lower for r in clause_registers(["9.2"])}
    assert {"audits.audit", "certification.externalaudit"} <= labels
    assert "operations.supplier" not in labels
    assert "planning.process" not in labels


# -- 2. building ---------------------------------------------------------------------------
def test_building_starts_a_background_job_and_shows_the_pack_being_built(
    client_for, quality_manager, pack
):
    pack = start_build(quality_manager, pack)

    job = Job.objects.get(pk=pack.build_job_id)
    assert (job.kind, job.state) == ("evidence-pack", Job.State.QUEUED)
    assert pack.status == EvidencePack.Status.BUILDING
    page = client_for(quality_manager).get(f"{PACKS}{pack.reference}/").content.decode()
    assert "Being built" in page
    assert "Building the pack" in page
    assert "<progress" in page


def test_the_progress_partial_polls_while_queued_then_asks_for_a_reload_once_done(
    client_for, quality_manager, pack
):
    client = client_for(quality_manager)
    url = reverse("certification:pack_status", args=[pack.reference])
    start_build(quality_manager, pack)

    waiting = client.get(url, headers={"HX-Request": "true"})
    assert waiting.status_code == 200
    assert "<progress" in waiting.content.decode()

    execute(Job.objects.get(pk=fresh(pack).build_job_id))  # the worker takes the job
    done = client.get(url, headers={"HX-Request": "true"})
    assert done.status_code == 204
    assert done["HX-Refresh"] == "true"


def test_the_built_pack_is_stored_with_its_size_and_sha256(built):
    assert built.status == EvidencePack.Status.BUILT
    assert built.built_at is not None
    stored = Path(built.file.path).read_bytes()
    assert built.file_size == len(stored)
    assert built.file_sha256 == hashlib.sha256(stored).hexdigest()
    assert zipfile.is_zipfile(io.BytesIO(stored))


def test_the_zip_holds_the_index_the_manifest_and_the_change_log(built):
    with zip_of(built) as zf:
        names = set(zf.namelist())
        pdf = zf.read("index.pdf")
        index = zf.read("index.html").decode()
    assert {"index.html", "index.pdf", "manifest.json", "changelog.csv"} <= names
    assert pdf.startswith(b"%PDF")
    assert built.reference in index


@pytest.fixture
def evidence(quality_manager, top_manager, process_owner):
    """Eight draft processes, each with its flowchart attached, and a procedure in force:
    what a pack on clause 9.2 with a sample of five processes draws on."""
    processes = [make_process(quality_manager, title=f"Process {n}") for n in range(8)]
    for n, process in enumerate(processes):
        attach(quality_manager, process, name=f"flowchart {n}.pdf")
    document = effective_document(quality_manager, top_manager, process_owner)
    return {"processes": processes, "document": document}


@pytest.fixture
def clause_pack(quality_manager, evidence, django_capture_on_commit_callbacks):
    pack = new_pack(quality_manager, clauses=[clause("9.2")])
    sample = add_sample(quality_manager, pack, size=5)
    pack = build(quality_manager, pack, django_capture_on_commit_callbacks)
    return {"pack": pack, "sample": sample, **evidence}


def test_a_pack_on_clause_9_2_holds_the_audit_registers_and_not_unrelated_ones(clause_pack):
    with zip_of(clause_pack["pack"]) as zf:
        names = set(zf.namelist())
        index = zf.read("index.html").decode()
    assert {"data/audits.audit.csv", "data/audits.audit.json"} <= names
    assert "data/certification.externalaudit.csv" in names
    assert "data/operations.supplier.csv" not in names
    assert "data/planning.process.csv" not in names
    assert "data/audits.audit.csv" in index


def test_a_sample_holds_exactly_the_size_asked_for_when_enough_records_match(clause_pack):
    sample = clause_pack["sample"]
    with zip_of(clause_pack["pack"]) as zf:
        rows = csv_rows(zf.read(f"samples/{sample.reference}.csv"))
        as_json = json.loads(zf.read(f"samples/{sample.reference}.json"))
    assert len(rows) == 5
    assert len(as_json) == 5
    drawn = {row["reference"] for row in as_json}
    assert drawn <= {p.reference for p in clause_pack["processes"]}


def test_the_files_of_the_sampled_records_and_only_those_go_under_records(clause_pack):
    sample = clause_pack["sample"]
    with zip_of(clause_pack["pack"]) as zf:
        drawn = {r["reference"] for r in json.loads(zf.read(f"samples/{sample.reference}.json"))}
        files = {n: zf.read(n) for n in zf.namelist() if n.startswith("records/")}
    assert {name.split("/")[1] for name in files} == drawn
    for name, data in files.items():
        assert re.fullmatch(r"records/PRC-[\d-]+/\d+-flowchart-\d\.pdf", name), name
        assert data == b"%PDF-1.4 scanned evidence"


def test_a_sample_keeps_to_its_filters_and_dates_and_takes_all_when_fewer_match(
    quality_manager, django_capture_on_commit_callbacks
):
    for n in range(3):
        make_process(quality_manager, title=f"Process {n}")
    pack = new_pack(quality_manager)
    future = add_sample(quality_manager, pack, title="From tomorrow", date_from=days(1))
    approved = add_sample(quality_manager, pack, title="Approved", filters="status=approved")
    everything = add_sample(quality_manager, pack, title="Every process", size=100)
    pack = build(quality_manager, pack, django_capture_on_commit_callbacks)
    with zip_of(pack) as zf:
        assert len(csv_rows(zf.read(f"samples/{everything.reference}.csv"))) == 3
        assert csv_rows(zf.read(f"samples/{future.reference}.csv")) == []
        assert csv_rows(zf.read(f"samples/{approved.reference}.csv")) == []


def test_the_effective_documents_go_under_documents(clause_pack):
    document = clause_pack["document"]
    with zip_of(clause_pack["pack"]) as zf:
        text = zf.read(f"documents/{document.reference}-A.md").decode()
    assert "Records are kept for six years." in text


def test_the_manifest_names_the_pack_its_clauses_and_the_counts(clause_pack):
    pack = clause_pack["pack"]
    with zip_of(pack) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["format"] == "norma-evidence-pack"
    assert manifest["pack"] == pack.reference
    assert manifest["clauses"] == ["9.2"]
    assert manifest["manifest_sha256"] == pack.manifest_sha256
    assert "audits.audit" in manifest["registers"]
    assert "operations.supplier" not in manifest["registers"]


def test_the_build_is_logged_on_the_pack_with_the_zips_fingerprint(built):
    stored = history_for(built).first()
    assert stored.action == "build"
    assert stored.after["file_sha256"] == built.file_sha256
    assert stored.after["status"] == EvidencePack.Status.BUILT


def test_the_built_pack_page_offers_the_zip_and_shows_its_sha256(
    client_for, quality_manager, built
):
    page = client_for(quality_manager).get(f"{PACKS}{built.reference}/").content.decode()
    assert reverse("certification:pack_download", args=[built.reference]) in page
    assert built.file_sha256 in page
    assert "Building the pack" not in page


def test_readers_outside_the_quality_team_see_the_pack_but_not_its_zip(
    client_for, top_manager, built
):
    client = client_for(top_manager)
    page = client.get(f"{PACKS}{built.reference}/").content.decode()
    download = client.get(reverse("certification:pack_download", args=[built.reference]))
    assert built.file_sha256 in page
    assert reverse("certification:pack_download", args=[built.reference]) not in page
    assert download.status_code == 403


def test_a_build_that_fails_says_so_on_the_pack(
    client_for, quality_manager, pack, django_capture_on_commit_callbacks
):
    sample = add_sample(quality_manager, pack)
    # The sample names a register that no longer exists (as after an upgrade removed it).
    EvidenceSample.objects.filter(pk=sample.pk).update(register_label="planning.retired")

    pack = build(quality_manager, pack, django_capture_on_commit_callbacks)

    assert pack.status == EvidencePack.Status.FAILED
    assert pack.build_error
    assert Job.objects.get(pk=pack.build_job_id).state == Job.State.FAILED
    page = client_for(quality_manager).get(f"{PACKS}{pack.reference}/").content.decode()
    assert "could not be built" in page
    assert reverse("certification:pack_download", args=[pack.reference]) not in page


def test_a_pack_whose_samples_draw_the_same_record_still_verifies(
    quality_manager, django_capture_on_commit_callbacks
):
    attach(quality_manager, make_process(quality_manager, title="Shared"), name="map.pdf")
    pack = new_pack(quality_manager)
    add_sample(quality_manager, pack, title="Every draft process")
    add_sample(quality_manager, pack, title="Every process", filters="")
    pack = build(quality_manager, pack, django_capture_on_commit_callbacks)

    VerifyEvidencePack(quality_manager, pack).execute()


# -- 3. the manifest verifies --------------------------------------------------------------
def test_verify_lists_every_member_with_its_sha256(built):
    manifest = verify_pack(Path(built.file.path))
    with zip_of(built) as zf:
        for name in zf.namelist():
            if name == "manifest.json":
                continue
            assert manifest["files"][name]["sha256"] == hashlib.sha256(zf.read(name)).hexdigest()
        assert set(manifest["files"]) == set(zf.namelist()) - {"manifest.json"}


def test_a_member_changed_after_building_fails_verification_naming_it(built, tmp_path):
    copy = rewrite(
        Path(built.file.path), tmp_path / "t.zip", change={"changelog.csv": lambda b: b + b"x"}
    )
    with pytest.raises(ArchiveError, match="changelog.csv"):
        verify_pack(copy)


def test_a_member_added_after_building_fails_verification_naming_it(built, tmp_path):
    copy = rewrite(Path(built.file.path), tmp_path / "t.zip", extra={"data/extra.csv": b"a,b"})
    with pytest.raises(ArchiveError, match="data/extra.csv.*does not list"):
        verify_pack(copy)


def test_an_edited_manifest_fails_verification(built, tmp_path):
    def edit(data: bytes) -> bytes:
        manifest = json.loads(data)
        manifest["title"] = "Something else"
        return json.dumps(manifest).encode()

    copy = rewrite(Path(built.file.path), tmp_path / "t.zip", change={"manifest.json": edit})
    with pytest.raises(ArchiveError, match="manifest.json was edited"):
        verify_pack(copy)


def test_verifying_a_built_pack_succeeds_and_is_logged(quality_manager, built):
    VerifyEvidencePack(quality_manager, built).execute()

    entry = history_for(built).first()
    assert entry.action == "verify"
    assert entry.after["sha256"] == built.file_sha256
    assert entry.after["verified_files"] == len(verify_pack(Path(built.file.path))["files"])


def test_verifying_a_stored_zip_that_was_replaced_by_a_resealed_one_is_refused(
    quality_manager, built, tmp_path
):
    def reseal(data: bytes) -> bytes:
        manifest = json.loads(data)
        manifest["title"] = "Something else"
        return json.dumps(seal(manifest)).encode()

    path = Path(built.file.path)
    rewrite(path, tmp_path / "t.zip", change={"manifest.json": reseal})
    path.write_bytes((tmp_path / "t.zip").read_bytes())

    error = refused(lambda: VerifyEvidencePack(quality_manager, built).execute())
    assert "not the one that was built" in error.message


def test_verifying_a_pack_that_is_not_built_is_refused(quality_manager, pack):
    error = refused(lambda: VerifyEvidencePack(quality_manager, pack).execute())
    assert "is not built" in error.message


def test_the_command_says_every_file_matches(built):
    out = io.StringIO()
    call_command("verify_evidence_pack", built.file.path, stdout=out)
    files = len(verify_pack(Path(built.file.path))["files"])
    assert f"all {files} files match" in out.getvalue()


def test_the_command_fails_on_a_tampered_copy(built, tmp_path):
    copy = rewrite(
        Path(built.file.path), tmp_path / "t.zip", change={"index.html": lambda b: b"<p>no</p>"}
    )
    with pytest.raises(CommandError, match="index.html"):
        call_command("verify_evidence_pack", str(copy), stdout=io.StringIO())


# -- 4. a second build, downloading --------------------------------------------------------
def test_a_second_build_while_one_runs_is_refused(quality_manager, pack):
    start_build(quality_manager, pack)
    error = refused(lambda: start_build(quality_manager, pack))
    assert "being built already" in error.message
    assert Job.objects.filter(kind="evidence-pack").count() == 1


def test_a_built_pack_can_be_built_again(
    quality_manager, built, django_capture_on_commit_callbacks
):
    again = build(quality_manager, built, django_capture_on_commit_callbacks)
    assert again.status == EvidencePack.Status.BUILT
    assert again.built_at > built.built_at


def test_the_download_serves_the_zip_to_the_quality_team(client_for, quality_manager, built):
    response = client_for(quality_manager).get(
        reverse("certification:pack_download", args=[built.reference])
    )
    assert response.status_code == 200
    assert f'filename="{built.reference}.zip"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == Path(built.file.path).read_bytes()


def test_the_download_is_not_found_before_the_pack_is_built(client_for, quality_manager, pack):
    url = reverse("certification:pack_download", args=[pack.reference])
    assert client_for(quality_manager).get(url).status_code == 404


# -- 5. granting registrar access ----------------------------------------------------------
def test_granting_access_creates_a_time_boxed_guest_with_no_password(
    quality_manager, built, django_capture_on_commit_callbacks
):
    access = grant(quality_manager, django_capture_on_commit_callbacks, evidence_pack=built)

    guest = access.guest
    assert guest.email == GUEST_EMAIL
    assert guest.full_name == "Gina Guest"
    assert not guest.has_usable_password()
    end_of_day = datetime.datetime.combine(days(14), datetime.time.max)
    assert guest.access_expires_at == timezone.make_aware(end_of_day)
    assert not guest.groups.exists()


def test_granting_access_emails_one_invitation_with_a_password_link(pack_guest):
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [GUEST_EMAIL]
    assert pack_guest.evidence_pack.reference in message.subject
    assert "/account/set-password/" in message.body
    assert f"{days(14):%-d %B %Y}" in message.body


def test_the_register_form_grants_access_and_sends_the_invitation(
    client_for, quality_manager, audit, django_capture_on_commit_callbacks
):
    form = {
        "title": "Stage 2 lead auditor",
        "guest_name": "Gina Guest",
        "guest_email": GUEST_EMAIL,
        "external_audit": audit.pk,
        "expires_on": days(30).isoformat(),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(quality_manager).post(f"{ACCESS}new/", form)

    assert response.status_code == 302
    access = RegistrarAccess.objects.get()
    assert (access.external_audit, access.guest.email) == (audit, GUEST_EMAIL)
    assert access.guest.access_expires_at.date() == days(30)
    assert [m.to for m in mail.outbox] == [[GUEST_EMAIL]]
    assert audit.reference in mail.outbox[0].subject


def test_the_invited_guest_sets_a_password_and_signs_in(pack_guest):
    client = Client()
    form = client.get(invitation_link(mail.outbox[0]), follow=True)
    assert form.status_code == 200
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302

    client = sign_in(GUEST_EMAIL, NEW_PASSWORD)
    assert signed_in(client)
    assert client.get("/", follow=True).redirect_chain[-1] == (GUEST_HOME, 302)


@pytest.mark.parametrize(
    "links",
    [pytest.param("both", id="both"), pytest.param("neither", id="neither")],
)
def test_access_to_both_or_neither_a_pack_and_an_audit_is_refused(
    quality_manager, pack, audit, django_capture_on_commit_callbacks, links
):
    targets = {"evidence_pack": pack, "external_audit": audit} if links == "both" else {}
    error = refused(
        lambda: grant(quality_manager, django_capture_on_commit_callbacks, **targets), InvalidInput
    )
    assert "evidence_pack" in error.errors
    assert not Person.objects.filter(email=GUEST_EMAIL).exists()
    assert mail.outbox == []


@pytest.mark.parametrize(("expires", "ok"), [(-1, False), (0, True), (90, True), (91, False)])
def test_access_expires_between_today_and_90_days_ahead(
    quality_manager, pack, django_capture_on_commit_callbacks, expires, ok
):
    def give():
        return grant(
            quality_manager,
            django_capture_on_commit_callbacks,
            evidence_pack=pack,
            expires_on=days(expires),
        )

    if ok:
        assert give().expires_on == days(expires)
    else:
        assert "expires_on" in refused(give, InvalidInput).errors
        assert mail.outbox == []


def test_an_email_that_already_has_an_account_is_refused(
    quality_manager, employee, pack, django_capture_on_commit_callbacks
):
    error = refused(
        lambda: grant(
            quality_manager,
            django_capture_on_commit_callbacks,
            evidence_pack=pack,
            guest_email=employee.email.upper(),
        )
    )
    assert "guest_email" in error.errors
    assert not RegistrarAccess.objects.exists()
    assert mail.outbox == []


# -- 6. the guest's pages ------------------------------------------------------------------
def test_the_guest_lands_on_their_own_page(pack_guest):
    client = guest_client(pack_guest)
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, GUEST_HOME)


def test_the_pack_guest_sees_the_pack_and_downloads_it(pack_guest, built):
    client = guest_client(pack_guest)
    page = client.get(GUEST_HOME)
    url = reverse("certification:guest_pack", args=[built.reference])
    assert page.status_code == 200
    assert built.reference in page.content.decode()
    assert url in page.content.decode()

    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == Path(built.file.path).read_bytes()


def test_the_guest_of_a_pack_not_built_yet_is_told_to_come_back(
    quality_manager, pack, django_capture_on_commit_callbacks
):
    access = grant(quality_manager, django_capture_on_commit_callbacks, evidence_pack=pack)
    client = guest_client(access)
    page = client.get(GUEST_HOME).content.decode()
    assert "not built yet" in page
    url = reverse("certification:guest_pack", args=[pack.reference])
    assert url not in page
    assert client.get(url).status_code == 404


@pytest.fixture
def audit_with_files(quality_manager, audit):
    finding = record_finding(quality_manager, audit, "minor")
    report = attach(quality_manager, audit, name="stage-2-report.pdf", data=b"%PDF-1.4 report")
    return {"audit": audit, "finding": finding, "report": report}


def test_the_audit_guest_sees_the_audit_with_its_findings_and_files(
    quality_manager, audit_with_files, django_capture_on_commit_callbacks
):
    audit, finding, report = audit_with_files.values()
    access = grant(quality_manager, django_capture_on_commit_callbacks, external_audit=audit)
    client = guest_client(access)

    page = client.get(GUEST_HOME).content.decode()
    assert audit.reference in page
    assert finding.reference in page
    assert "stage-2-report.pdf" in page
    download = client.get(reverse("certification:guest_file", args=[report.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 report"


def other_pages(quality_manager, built):
    other = new_pack(quality_manager, title="Another pack")
    process = make_process(quality_manager, title="Someone else's process")
    elsewhere = attach(quality_manager, process)
    return [
        "/planning/processes/",
        f"/planning/processes/{process.reference}/",
        "/api/v1/certification/audit-time?personnel=10",
        PACKS,
        f"{PACKS}{built.reference}/",
        reverse("certification:pack_download", args=[built.reference]),
        reverse("certification:pack_download", args=[other.reference]),
        reverse("certification:guest_pack", args=[other.reference]),
        f"/attachments/{elsewhere.pk}/",
        reverse("certification:guest_file", args=[elsewhere.pk]),
        ACCESS,
        "/account/security/",
        "/admin/",
    ]


def test_every_other_page_is_refused_to_the_guest(quality_manager, built, pack_guest):
    client = guest_client(pack_guest)
    for url in other_pages(quality_manager, built):
        assert client.get(url).status_code in (403, 404), url


def test_the_audit_guest_cannot_open_a_file_of_another_record(quality_manager, audit_guest, built):
    client = guest_client(audit_guest)
    other = attach(quality_manager, built)
    assert client.get(reverse("certification:guest_file", args=[other.pk])).status_code == 404
    assert (
        client.get(reverse("certification:guest_pack", args=[built.reference])).status_code == 404
    )


def test_every_page_the_guest_opens_is_logged_on_the_access(pack_guest, built):
    client = guest_client(pack_guest)
    client.get(GUEST_HOME)
    client.get(reverse("certification:guest_pack", args=[built.reference]))
    client.get(PACKS)

    viewed = [(e.after["path"], e.after["status"]) for e in guest_log(pack_guest, "guest.view")]
    assert viewed == [
        (GUEST_HOME, 200),
        (reverse("certification:guest_pack", args=[built.reference]), 200),
    ]
    assert [e.after["path"] for e in guest_log(pack_guest, "guest.refused")] == [PACKS]
    assert all(e.actor_name == "Gina Guest" for e in guest_log(pack_guest, "guest.view"))


def test_the_guest_cannot_sign_in_after_the_expiry(pack_guest):
    set_password(pack_guest)
    assert signed_in(sign_in(GUEST_EMAIL, NEW_PASSWORD))
    Person.objects.filter(pk=pack_guest.guest_id).update(
        access_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert not signed_in(sign_in(GUEST_EMAIL, NEW_PASSWORD))


def test_an_expired_guest_loses_the_session_already_open(pack_guest):
    set_password(pack_guest)
    client = sign_in(GUEST_EMAIL, NEW_PASSWORD)
    assert client.get(GUEST_HOME).status_code == 200

    RegistrarAccess.objects.filter(pk=pack_guest.pk).update(expires_on=days(-1))
    Person.objects.filter(pk=pack_guest.guest_id).update(
        access_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.get(GUEST_HOME)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_guest_whose_expiry_date_has_passed_is_refused_even_if_still_signed_in(pack_guest):
    client = guest_client(pack_guest)
    RegistrarAccess.objects.filter(pk=pack_guest.pk).update(expires_on=days(-1))

    assert client.get(GUEST_HOME).status_code == 403
    assert [e.after["path"] for e in guest_log(pack_guest, "guest.refused")] == [GUEST_HOME]


def test_revoking_needs_a_reason(quality_manager, pack_guest):
    error = refused(lambda: RevokeRegistrarAccess(quality_manager, pack_guest).execute())
    assert "reason" in error.errors
    assert fresh(pack_guest).status == RegistrarAccess.Status.ACTIVE


def test_a_revoked_guest_can_neither_sign_in_nor_use_an_open_session(quality_manager, pack_guest):
    set_password(pack_guest)
    client = sign_in(GUEST_EMAIL, NEW_PASSWORD)
    assert client.get(GUEST_HOME).status_code == 200

    RevokeRegistrarAccess(quality_manager, pack_guest, reason="Audit finished").execute()

    assert fresh(pack_guest).status == RegistrarAccess.Status.REVOKED
    assert client.get(GUEST_HOME)["Location"].startswith("/login/")
    assert not signed_in(sign_in(GUEST_EMAIL, NEW_PASSWORD))


def test_the_revocation_is_logged_with_its_reason(quality_manager, pack_guest):
    RevokeRegistrarAccess(quality_manager, pack_guest, reason="Audit finished").execute()
    entry = history_for(pack_guest).first()
    assert (entry.action, entry.reason) == ("revoke", "Audit finished")


def test_an_edit_cannot_move_the_expiry_more_than_90_days_ahead(quality_manager, pack_guest):
    edit = UpdateRecord(quality_manager, fresh(pack_guest), data={"expires_on": days(200)})
    assert "expires_on" in refused(edit.execute, InvalidInput).errors


def test_an_edit_of_the_expiry_moves_the_guests_sign_in_limit_with_it(quality_manager, pack_guest):
    UpdateRecord(quality_manager, fresh(pack_guest), data={"expires_on": days(30)}).execute()
    expected = timezone.make_aware(datetime.datetime.combine(days(30), datetime.time.max))
    assert fresh(pack_guest).guest.access_expires_at == expected


def test_an_archived_access_lets_its_guest_in_no_more(quality_manager, pack_guest):
    client = guest_client(pack_guest)
    ArchiveRecord(quality_manager, fresh(pack_guest), reason="Audit finished").execute()
    assert client.get(GUEST_HOME).status_code != 200


# -- 7. roles ------------------------------------------------------------------------------
READERS = {"quality_manager", "top_manager", "process_owner", "internal_auditor"}


@pytest.mark.parametrize("name", PERSONAS)
@pytest.mark.parametrize("register", [PACKS, SAMPLES, ACCESS])
def test_who_may_open_the_evidence_registers(client_for, request, name, register):
    expected = 200 if name in READERS else 403
    assert client_for(request.getfixturevalue(name)).get(register).status_code == expected


@pytest.mark.parametrize("persona", ["employee", "external_auditor", "nobody"], indirect=True)
def test_those_who_may_not_read_packs_cannot_download_or_poll_them(client_for, persona, built):
    client = client_for(persona)
    assert (
        client.get(reverse("certification:pack_download", args=[built.reference])).status_code
        == 403
    )
    assert (
        client.get(reverse("certification:pack_status", args=[built.reference])).status_code == 403
    )


def test_top_management_reads_and_verifies_packs_but_cannot_make_or_build_them(
    top_manager, pack, built
):
    VerifyEvidencePack(top_manager, built).execute()
    assert isinstance(refused(lambda: new_pack(top_manager)), NotPermitted)
    assert isinstance(refused(lambda: start_build(top_manager, pack)), NotPermitted)
    assert isinstance(refused(lambda: add_sample(top_manager, pack)), NotPermitted)


def test_top_management_cannot_grant_or_revoke_access(
    top_manager, quality_manager, pack, pack_guest, django_capture_on_commit_callbacks
):
    error = refused(
        lambda: grant(
            top_manager,
            django_capture_on_commit_callbacks,
            evidence_pack=pack,
            guest_email="other@registrar.example",
        )
    )
    assert isinstance(error, NotPermitted)
    revoke = RevokeRegistrarAccess(top_manager, pack_guest, reason="No")
    assert isinstance(refused(revoke.execute), NotPermitted)


def test_the_quality_manager_builds_through_the_page(client_for, quality_manager, pack):
    response = client_for(quality_manager).post(
        f"{PACKS}{pack.reference}/do/build/", {"version": pack.version}
    )
    assert response.status_code == 302
    assert fresh(pack).status == EvidencePack.Status.BUILDING


# -- 8. the demo -----------------------------------------------------------------------------
def test_the_demo_has_one_draft_pack_with_one_sample(db):
    seed_demo()
    pack = EvidencePack.objects.get()
    assert pack.status == EvidencePack.Status.DRAFT
    assert pack.samples.count() == 1
    assert pack.samples.get().register_label == "improvement.correctiveaction"
