"""Helpers shared by the import tests: files to upload, and running the import jobs for real."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from norma.dataio.models import ImportBatch
from norma.jobs.management.commands.worker import drain

UPLOAD_URL = "/data/import/planning/process/"
HEADER = ["Title", "Process type", "Owner", "Site", "Department", "Next review", "Clauses"]


def csv_bytes(rows: list[list], delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula, not a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def process_rows(count: int, owner_email: str, bad: dict[int, dict] | None = None) -> list[list]:
    """A header and `count` valid process rows; `bad` maps a row number (header = 1) to edits."""
    rows = [list(HEADER)]
    for number in range(2, count + 2):
        row = {
            "Title": f"Process {number}",
            "Process type": ["core", "Management", "support"][number % 3],
            "Owner": owner_email,
            "Site": "leeds",
            "Department": "",
            "Next review": "2027-01-31",
            "Clauses": "4.4.1; 8.5",
        }
        row.update((bad or {}).get(number, {}))
        rows.append([row[h] for h in HEADER])
    return rows


def upload(client, capture, data: bytes, name: str = "processes.csv", url: str = UPLOAD_URL):
    """Upload a file and run its dry-run job in the real worker; returns the response."""
    with capture(execute=True):
        response = client.post(url, {"file": SimpleUploadedFile(name, data)})
    run_jobs()
    return response


def commit(client, capture, batch: ImportBatch):
    """Press "Import N rows" and run the commit job; returns the response."""
    with capture(execute=True):
        response = client.post(f"/data/imports/{batch.pk}/commit/")
    run_jobs()
    return response


def run_jobs():
    """Run the queued jobs in the real worker (tests/conftest.py keeps its connection open)."""
    drain("test-import")


def latest_batch() -> ImportBatch:
    return ImportBatch.objects.order_by("-id").first()
