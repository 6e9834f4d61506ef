"""Import: a dry run names every rejected row; the commit writes all rows or none.

The 2,000-row file with 3 bad rows is the suite-sized version of the issue's done-when
(100,000 rows, in test_import_scale.py behind NORMA_SLOW_TESTS=1).
"""

import csv
import io

import pytest

from norma.core.changelog import snapshot, verify_chain
from norma.core.models import ChangeLogEntry
from norma.dataio.models import ImportBatch
from norma.planning.models import Process
from norma.standards.models import Clause
from tests.dataio.test_import_kit import (
    commit,
    csv_bytes,
    latest_batch,
    process_rows,
    run_jobs,
    upload,
    xlsx_bytes,
)
from tests.factories import DepartmentFactory, PersonFactory

BAD = {
    17: {"Owner": "nobody@example.com"},
    999: {"Title": "", "Next review": "31/02/2027"},
    1501: {"Process type": "magic", "Clauses": "4.4.1; 99.9"},
}


@pytest.fixture
def owner(db, leeds):
    return PersonFactory(email="olga@example.com", full_name="Olga Owner", site=leeds)


@pytest.fixture
def signed_in_qm(client_for, quality_manager):
    return client_for(quality_manager)


def test_a_dry_run_reports_exactly_the_bad_rows_and_writes_nothing(
    signed_in_qm, owner, django_capture_on_commit_callbacks
):
    log_before = ChangeLogEntry.objects.count()
    rows = process_rows(2000, owner.email, bad=BAD)
    response = upload(signed_in_qm, django_capture_on_commit_callbacks, csv_bytes(rows))
    batch = latest_batch()
    assert response.status_code == 302
    assert response["Location"] == f"/data/imports/{batch.pk}/"
    assert batch.state == ImportBatch.State.CHECKED
    assert (batch.total_rows, batch.rejected_count) == (2000, 3)
    by_row = {r["row"]: r["errors"] for r in batch.rejected_sample}
    assert set(by_row) == {17, 999, 1501}
    assert by_row[17] == {
        "Owner": [
            "No person 'nobody@example.com' among those you may choose "
            "(give the email or full name)."
        ]
    }
    assert by_row[999]["Title"] == ["This field is required."]
    assert by_row[999]["Next review"][0].startswith("Enter a valid date.")
    assert "'magic' is not one of" in by_row[1501]["Process type"][0]
    assert by_row[1501]["Clauses"] == ["Unknown clauses: 99.9."]
    assert not Process.objects.exists()
    assert ChangeLogEntry.objects.count() == log_before
    assert not batch.can_commit

    page = signed_in_qm.get(f"/data/imports/{batch.pk}/").content.decode()
    assert "Rejected rows" in page and "nobody@example.com" in page
    assert "Import 2000 rows" not in page

    refused = commit(signed_in_qm, django_capture_on_commit_callbacks, batch)
    assert refused.status_code == 302 and refused["Location"] == f"/data/imports/{batch.pk}/"
    assert not Process.objects.exists()


def test_the_rejected_rows_download_as_csv_with_row_numbers_and_reasons(
    signed_in_qm, owner, django_capture_on_commit_callbacks
):
    rows = process_rows(20, owner.email, bad={5: {"Owner": "=cmd|' /C calc'!A0"}})
    upload(signed_in_qm, django_capture_on_commit_callbacks, csv_bytes(rows))
    response = signed_in_qm.get(f"/data/imports/{latest_batch().pk}/rejected.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["Row", "Problems", *rows[0]]
    assert len(lines) == 2 and lines[1][0] == "5"
    assert lines[1][1].startswith("Owner: No person")
    assert lines[1][2:] == [*rows[4][:2], "'=cmd|' /C calc'!A0", *rows[4][3:]]


def test_after_the_fix_the_commit_creates_every_row_logged_once_each(
    signed_in_qm, quality_manager, owner, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("norma.dataio.import_write.CHUNK", 600)  # several chunks, one chain
    upload(
        signed_in_qm,
        django_capture_on_commit_callbacks,
        csv_bytes(process_rows(2000, owner.email, bad=BAD)),
    )
    assert latest_batch().rejected_count == 3
    log_before = ChangeLogEntry.objects.count()
    upload(
        signed_in_qm,
        django_capture_on_commit_callbacks,
        csv_bytes(process_rows(2000, owner.email)),
    )
    batch = latest_batch()
    assert (batch.rejected_count, batch.can_commit) == (0, True)
    assert "Import 2000 rows" in signed_in_qm.get(f"/data/imports/{batch.pk}/").content.decode()

    response = commit(signed_in_qm, django_capture_on_commit_callbacks, batch)
    batch.refresh_from_db()
    assert response["Location"] == f"/jobs/{batch.commit_job.pk}/"
    assert batch.state == ImportBatch.State.IMPORTED
    assert batch.commit_job.summary["imported"] == 2000

    processes = list(Process.objects.order_by("id"))
    assert len(processes) == 2000
    references = [p.reference for p in processes]
    assert len(set(references)) == 2000
    assert all(r.startswith("PRC-") for r in references)
    entries = ChangeLogEntry.objects.filter(id__gt=log_before)
    assert entries.count() == 2000
    assert set(entries.values_list("action", "actor_id", "actor_name").distinct()) == {
        ("create", quality_manager.pk, quality_manager.full_name)
    }
    logged = {e.object_id for e in entries}
    assert logged == {str(p.pk) for p in processes}
    assert verify_chain().intact

    first = processes[0]
    assert (first.title, first.owner, first.site.code) == ("Process 2", owner, "leeds")
    assert first.created_by == quality_manager and first.status == Process.Status.DRAFT
    assert sorted(first.clauses.values_list("ref", flat=True)) == ["4.4.1", "8.5"]
    entry = entries.get(object_id=str(first.pk))
    assert entry.after == snapshot(first)
    assert entry.reason == f"Imported from processes.csv (import #{batch.pk})"


def test_the_next_record_created_by_hand_continues_the_reference_sequence(
    signed_in_qm, quality_manager, owner, django_capture_on_commit_callbacks
):
    from tests.factories import make_process

    upload(signed_in_qm, django_capture_on_commit_callbacks, csv_bytes(process_rows(3, "")))
    commit(signed_in_qm, django_capture_on_commit_callbacks, latest_batch())
    imported = sorted(Process.objects.values_list("reference", flat=True))
    by_hand = make_process(quality_manager, title="By hand")
    assert by_hand.reference > imported[-1]
    assert verify_chain().intact


def test_a_commit_refuses_when_a_row_became_invalid_after_the_dry_run(
    signed_in_qm, owner, django_capture_on_commit_callbacks
):
    upload(
        signed_in_qm, django_capture_on_commit_callbacks, csv_bytes(process_rows(5, owner.email))
    )
    batch = latest_batch()
    assert batch.can_commit
    owner.is_active = False  # the owner left between the dry run and the commit
    owner.save()
    commit(signed_in_qm, django_capture_on_commit_callbacks, batch)
    batch.refresh_from_db()
    assert not Process.objects.exists()
    assert batch.commit_job.state == "failed"
    assert "5 of 5 rows are not valid any more" in batch.commit_job.log
    assert (batch.state, batch.rejected_count) == (ImportBatch.State.CHECKED, 5)
    page = signed_in_qm.get(f"/data/imports/{batch.pk}/").content.decode()
    assert "The last import was refused and nothing was imported" in page
    assert "No person &#x27;olga@example.com&#x27;" in page


def test_row_numbers_are_those_the_spreadsheet_shows(
    signed_in_qm, django_capture_on_commit_callbacks
):
    rows = [["Title", "Purpose"], ["A", "two\nlines"], [None, None], ["", "no title"]]
    upload(signed_in_qm, django_capture_on_commit_callbacks, xlsx_bytes(rows), "p.xlsx")
    assert [r["row"] for r in latest_batch().rejected_sample] == [4]
    upload(signed_in_qm, django_capture_on_commit_callbacks, csv_bytes(rows))
    batch = latest_batch()
    assert [r["row"] for r in batch.rejected_sample] == [4]  # a blank row still counts
    assert batch.total_rows == 2


def test_a_fault_during_the_check_shows_on_the_report_instead_of_polling_forever(
    signed_in_qm, monkeypatch, django_capture_on_commit_callbacks
):
    from norma.dataio.import_rows import RowChecker

    def broken(self, number, cells):
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(RowChecker, "check", broken)
    upload(signed_in_qm, django_capture_on_commit_callbacks, csv_bytes([["Title"], ["A"]]))
    batch = latest_batch()
    assert batch.state == ImportBatch.State.FAILED and batch.check_job.state == "failed"
    page = signed_in_qm.get(f"/data/imports/{batch.pk}/").content.decode()
    assert "The check stopped because of an error in Norma" in page
    assert 'hx-trigger="every 1s"' not in page


def test_header_mapping_natural_keys_and_labels(
    signed_in_qm, owner, leeds, porto, django_capture_on_commit_callbacks
):
    quality = DepartmentFactory(name="Quality", site=leeds)
    DepartmentFactory(name="Quality", site=porto)
    rows = [
        ["TITLE", "process_type", "owner", "Site", "department", "next review", "CLAUSES"],
        ["By names", "Core (realises products or services)", "Olga Owner", "Leeds", "Quality",
         "2027-03-31", "iso9001-2015:4.4.1, 8.5"],
    ]  # fmt: skip
    upload(signed_in_qm, django_capture_on_commit_callbacks, csv_bytes(rows, delimiter=";"))
    batch = latest_batch()
    assert batch.rejected_sample == []
    assert dict(batch.columns)["next review"] == "due_date"
    commit(signed_in_qm, django_capture_on_commit_callbacks, batch)
    process = Process.objects.get()
    assert (process.process_type, process.owner, process.site) == ("core", owner, leeds)
    assert process.department == quality  # the Quality department at the row's site
    assert process.due_date.isoformat() == "2027-03-31"
    assert set(process.clauses.all()) == set(Clause.objects.filter(ref__in=["4.4.1", "8.5"]))


def test_an_xlsx_import_reads_dates_numbers_and_formula_looking_text(
    signed_in_qm, owner, django_capture_on_commit_callbacks
):
    import datetime

    rows = [
        ["Title", "Owner", "Next review", "Purpose"],
        ["=1+2", owner.email, datetime.datetime(2027, 5, 1), 42],
        ["'=SUM(A1:A9)", "", datetime.date(2027, 6, 1), "@risk +review"],
    ]
    response = upload(
        signed_in_qm, django_capture_on_commit_callbacks, xlsx_bytes(rows), "processes.xlsx"
    )
    assert response.status_code == 302
    batch = latest_batch()
    assert (batch.file_format, batch.rejected_count, batch.total_rows) == ("xlsx", 0, 2)
    commit(signed_in_qm, django_capture_on_commit_callbacks, batch)
    first, second = Process.objects.order_by("id")
    assert (first.title, first.purpose, first.due_date.isoformat()) == ("=1+2", "42", "2027-05-01")
    assert first.process_type == "core"  # the model's default, as the web form offers it
    assert (second.title, second.purpose) == ("=SUM(A1:A9)", "@risk +review")


def test_a_formula_in_a_csv_cell_is_stored_as_text_and_neutralised_on_export(
    signed_in_qm, owner, django_capture_on_commit_callbacks
):
    rows = [["Title", "Purpose"], ['=HYPERLINK("http://evil.example","x")', "-2+3"]]
    upload(signed_in_qm, django_capture_on_commit_callbacks, csv_bytes(rows))
    commit(signed_in_qm, django_capture_on_commit_callbacks, latest_batch())
    process = Process.objects.get()
    assert process.title == '=HYPERLINK("http://evil.example","x")'
    assert process.purpose == "-2+3"
    export = signed_in_qm.get("/planning/processes/export/?format=csv")
    assert "'=HYPERLINK" in b"".join(export.streaming_content).decode()


def test_an_import_publishes_one_event_for_the_whole_file(
    signed_in_qm, owner, django_capture_on_commit_callbacks
):
    from norma.core.events import record_event

    received = []

    def listen(sender, event, **kwargs):
        received.append(event)

    record_event.connect(listen)
    try:
        upload(
            signed_in_qm,
            django_capture_on_commit_callbacks,
            csv_bytes(process_rows(30, owner.email)),
        )
        with django_capture_on_commit_callbacks(execute=True):
            signed_in_qm.post(f"/data/imports/{latest_batch().pk}/commit/")
        with django_capture_on_commit_callbacks(execute=True):  # the job's own commit
            run_jobs()
    finally:
        record_event.disconnect(listen)
    imported = [e for e in received if e["type"] == "records.imported"]
    assert len(imported) == 1
    assert imported[0]["count"] == 30
    assert imported[0]["object_type"] == "planning.process"
    assert imported[0]["first_reference"] != imported[0]["last_reference"]
    assert not [e for e in received if e["type"] == "record.created"]
