"""Import pages: who may import, whose imports are visible, and live progress on the job page."""

import pytest

from norma.dataio.models import ImportBatch
from norma.jobs import runner
from norma.jobs.models import Job
from norma.planning.models import Process
from tests.dataio.test_import_kit import (
    UPLOAD_URL,
    commit,
    csv_bytes,
    latest_batch,
    process_rows,
    run_jobs,
    upload,
)


def test_a_process_owner_may_import_processes(
    client_for, process_owner, leeds, django_capture_on_commit_callbacks
):
    client = client_for(process_owner)
    page = client.get(UPLOAD_URL)
    assert page.status_code == 200
    assert "Import processes" in page.content.decode()
    upload(client, django_capture_on_commit_callbacks, csv_bytes(process_rows(3, "")))
    commit(client, django_capture_on_commit_callbacks, latest_batch())
    assert Process.objects.count() == 3
    assert set(Process.objects.values_list("created_by", flat=True)) == {process_owner.pk}


@pytest.mark.parametrize("persona", ["employee", "internal_auditor", "external_auditor"])
def test_people_without_the_add_right_get_403(
    client_for, request, persona, django_capture_on_commit_callbacks
):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(UPLOAD_URL).status_code == 403
    assert client.get(f"{UPLOAD_URL}template.csv").status_code == 403
    response = upload(client, django_capture_on_commit_callbacks, csv_bytes([["Title"], ["A"]]))
    assert response.status_code == 403
    assert not ImportBatch.objects.exists()


def test_the_upload_still_needs_a_csrf_token(quality_manager):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(quality_manager)
    response = client.post(UPLOAD_URL, {"file": _file(csv_bytes([["Title"], ["A"]]))})
    assert response.status_code == 403
    assert not ImportBatch.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in_and_unknown_registers_are_404(
    client, client_for, quality_manager
):
    assert client.get(UPLOAD_URL).status_code == 302
    assert client_for(quality_manager).get("/data/import/planning/nothing/").status_code == 404
    assert client_for(quality_manager).get("/data/import/core/site/").status_code == 404


def test_an_import_is_visible_only_to_the_person_who_uploaded_it(
    client_for, quality_manager, process_owner, django_capture_on_commit_callbacks
):
    owner_client = client_for(process_owner)
    upload(owner_client, django_capture_on_commit_callbacks, csv_bytes([["Title"], ["A"]]))
    batch = latest_batch()
    other = client_for(quality_manager)
    for path in ("", "rejected.csv"):
        assert other.get(f"/data/imports/{batch.pk}/{path}").status_code == 404
    assert other.post(f"/data/imports/{batch.pk}/commit/").status_code == 404
    assert owner_client.get(f"/data/imports/{batch.pk}/").status_code == 200


def test_the_report_polls_while_checking_and_shows_counts_when_done(
    client_for, quality_manager, django_capture_on_commit_callbacks
):
    client = client_for(quality_manager)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(
            UPLOAD_URL,
            {"file": _file(csv_bytes([["Title"], ["A"], ["B"]]))},
        )
    batch = latest_batch()
    checking = client.get(f"/data/imports/{batch.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in checking and "Reading the file" in checking
    runner.execute(batch.check_job)
    fragment = client.get(f"/data/imports/{batch.pk}/", headers={"HX-Request": "true"})
    text = fragment.content.decode()
    assert text.lstrip().startswith('<section id="import-report"')
    assert 'hx-trigger="every 1s"' not in text
    assert "Import 2 rows" in text and "<dt>Valid rows</dt><dd>2</dd>" in text


def test_the_commit_job_reports_progress_on_its_job_page(
    client_for, quality_manager, leeds, monkeypatch, django_capture_on_commit_callbacks
):
    client = client_for(quality_manager)
    upload(client, django_capture_on_commit_callbacks, csv_bytes(process_rows(300, "")))
    batch = latest_batch()
    assert batch.can_commit
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(f"/data/imports/{batch.pk}/commit/")
    batch.refresh_from_db()
    job = batch.commit_job
    assert response["Location"] == f"/jobs/{job.pk}/"
    queued = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Import 300 processes from processes.csv" in queued
    assert 'hx-trigger="every 1s"' in queued

    seen = []
    original = runner.JobContext.progress

    def spy(self, done, total=None, *, force=False):
        original(self, done, total, force=True)
        seen.append(Job.objects.values_list("done", "total").get(pk=self.job.pk))

    monkeypatch.setattr(runner.JobContext, "progress", spy)
    runner.execute(job)
    assert seen[0] == (0, 300) and seen[-1] == (300, 300)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    finished = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "300 of 300 (100%)" in finished and "Finished" in finished
    assert "<dt>Imported</dt><dd>300</dd>" in finished
    assert Process.objects.count() == 300


def test_a_batch_cannot_be_committed_twice(
    client_for, quality_manager, django_capture_on_commit_callbacks
):
    client = client_for(quality_manager)
    upload(client, django_capture_on_commit_callbacks, csv_bytes([["Title"], ["A"]]))
    batch = latest_batch()
    commit(client, django_capture_on_commit_callbacks, batch)
    again = commit(client, django_capture_on_commit_callbacks, batch)
    assert again["Location"] == f"/data/imports/{batch.pk}/"
    assert Job.objects.filter(kind="import.commit").count() == 1
    assert Process.objects.count() == 1
    # Even a second run of the job itself (a duplicate task) imports nothing more.
    batch.refresh_from_db()
    second = runner.start_job(
        quality_manager, "import.commit", "again", "norma.dataio.importing.commit_import",
        {"batch_id": batch.pk},
    )  # fmt: skip
    runner.execute(second)
    second.refresh_from_db()
    assert second.state == Job.State.FAILED and "was imported already" in second.log
    assert Process.objects.count() == 1


def test_the_upload_page_explains_the_columns_and_offers_a_template(client_for, quality_manager):
    client = client_for(quality_manager)
    page = client.get(UPLOAD_URL).content.decode()
    assert "the email or full name of a person" in page
    assert "clauses by key, ref or title, separated by ; or ," in page
    template = client.get(f"{UPLOAD_URL}template.csv")
    assert template["Content-Disposition"] == 'attachment; filename="processes-template.csv"'
    assert template.content.decode("utf-8-sig").startswith('"Title","Process type","Owner"')


def _file(data: bytes, name: str = "processes.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_the_worker_runs_both_jobs_as_the_uploader(
    client_for, process_owner, django_capture_on_commit_callbacks
):
    client = client_for(process_owner)
    upload(client, django_capture_on_commit_callbacks, csv_bytes([["Title"], ["A"]]))
    commit(client, django_capture_on_commit_callbacks, latest_batch())
    run_jobs()
    jobs = Job.objects.filter(kind__startswith="import.").order_by("id")
    assert [(j.kind, j.state, j.created_by) for j in jobs] == [
        ("import.check", "succeeded", process_owner),
        ("import.commit", "succeeded", process_owner),
    ]
