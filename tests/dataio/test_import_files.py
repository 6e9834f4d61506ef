"""Bad files are refused at upload with a message that says why; nothing is stored or checked."""

import io
import zipfile

import pytest

from norma.dataio.import_files import FileRefused, check_zip, open_table
from norma.dataio.models import ImportBatch
from norma.jobs.models import Job
from tests.dataio.test_import_kit import csv_bytes, upload, xlsx_bytes

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
def qm_client(client_for, quality_manager):
    return client_for(quality_manager)


def refusal(response) -> str:
    assert response.status_code == 422
    assert not ImportBatch.objects.exists() and not Job.objects.exists()
    return response.content.decode()


def zip_bomb() -> bytes:
    """A ZIP dressed as a workbook whose sheet expands from ~50 kB to 50 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))
    return buffer.getvalue()


def test_a_zip_bomb_posing_as_xlsx_is_refused_without_being_opened(
    qm_client, django_capture_on_commit_callbacks
):
    data = zip_bomb()
    assert len(data) < 200_000
    page = refusal(upload(qm_client, django_capture_on_commit_callbacks, data, "processes.xlsx"))
    assert "it looks like a zip bomb and was not opened" in page


def test_a_workbook_that_expands_beyond_the_limit_is_refused(settings):
    settings.NORMA_IMPORT_MAX_EXPANDED_BYTES = 1000
    with pytest.raises(FileRefused, match="expands to .* more than the 1000"):
        check_zip(xlsx_bytes([["Title"], ["A"]]))


def with_entities(part: str, where: str = "start") -> bytes:
    """A real workbook whose `part` declares XML entities (billion-laughs style)."""
    dtd = b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    buffer = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["Title"], ["A"]])))
    with source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == part:
                body = data.split(b"?>", 1)[-1]
                padding = b"<!--" + b" " * 5000 + b"-->" if where == "late" else b""
                data = b'<?xml version="1.0"?>' + padding + dtd + body
            target.writestr(item, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("part", "where"),
    [("xl/workbook.xml", "start"), ("xl/worksheets/sheet1.xml", "start"),
     ("xl/worksheets/sheet1.xml", "late")],
    ids=["workbook", "sheet", "sheet-after-a-long-comment"],
)  # fmt: skip
def test_xml_entity_declarations_in_a_workbook_are_refused(part, where):
    with pytest.raises(FileRefused, match="XML entity declarations"):
        open_table(with_entities(part, where), "xlsx")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (PNG, "This file is not a CSV text file: it is a PNG image."),
        (b"Title\n" + bytes(range(0, 256)), "This file is not a CSV text file: it holds binary"),
        (b"Title\x01\x02\x03\nA\n", "This file is not a CSV text file: it holds control"),
        (xlsx_bytes([["Title"], ["A"]]), "it is a ZIP archive (perhaps an XLSX workbook renamed"),
    ],
    ids=["png", "nul-bytes", "control-characters", "xlsx-renamed"],
)
def test_a_binary_file_named_csv_is_refused_with_a_clear_message(
    qm_client, django_capture_on_commit_callbacks, data, message
):
    page = refusal(upload(qm_client, django_capture_on_commit_callbacks, data, "processes.csv"))
    assert message in page


def test_a_csv_named_xlsx_is_refused(qm_client, django_capture_on_commit_callbacks):
    data = csv_bytes([["Title"], ["A"]])
    page = refusal(upload(qm_client, django_capture_on_commit_callbacks, data, "processes.xlsx"))
    assert "This file is not an XLSX workbook." in page


def test_other_types_and_oversized_files_are_refused(
    qm_client, settings, django_capture_on_commit_callbacks
):
    data = csv_bytes([["Title"], ["A"]])
    page = refusal(upload(qm_client, django_capture_on_commit_callbacks, data, "processes.txt"))
    assert "Choose a .csv or .xlsx file" in page
    settings.NORMA_IMPORT_MAX_BYTES = 5
    page = refusal(upload(qm_client, django_capture_on_commit_callbacks, data, "processes.csv"))
    assert "larger than the limit of 5\xa0bytes" in page


def test_an_oversized_upload_is_not_read_past_the_limit(
    qm_client, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.files.uploadhandler import MemoryFileUploadHandler

    settings.NORMA_IMPORT_MAX_BYTES = 100_000
    passed_on = []
    original = MemoryFileUploadHandler.receive_data_chunk

    def spy(self, raw_data, start):
        passed_on.append(len(raw_data))
        return original(self, raw_data, start)

    monkeypatch.setattr(MemoryFileUploadHandler, "receive_data_chunk", spy)
    data = b"Title\n" + b"A long title\n" * 400_000  # 5 MB
    page = refusal(upload(qm_client, django_capture_on_commit_callbacks, data))
    assert "larger than the limit of 97.7\xa0KB" in page
    assert 0 < sum(passed_on) <= 100_000  # the rest of the upload was never kept


def test_too_many_rows_are_refused_up_front(
    qm_client, settings, django_capture_on_commit_callbacks
):
    settings.NORMA_IMPORT_MAX_ROWS = 3
    data = csv_bytes([["Title"]] + [[f"P{i}"] for i in range(4)])
    page = refusal(upload(qm_client, django_capture_on_commit_callbacks, data))
    assert "The file has 4 rows; at most 3 can be imported at once." in page


def test_a_file_with_a_header_and_no_rows_is_refused(qm_client, django_capture_on_commit_callbacks):
    page = refusal(upload(qm_client, django_capture_on_commit_callbacks, b"Title\n\n"))
    assert "The file has a header row but no rows to import." in page


def test_windows_csv_in_cp1252_and_utf8_with_bom_both_read():
    assert open_table("Title\nQualité\n".encode("cp1252"), "csv").header == ["Title"]
    table = open_table("\ufeffTitle;Owner\nQualité;x\n".encode(), "csv")
    assert table.header == ["Title", "Owner"]
    assert list(table.rows()) == [(2, ["Qualité", "x"])]
