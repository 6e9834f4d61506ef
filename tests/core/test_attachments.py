"""Attachments: type allow-list, content sniffing, size limit, SHA-256, safe downloads."""

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from norma.core.actions import AttachFile, InvalidInput, NotPermitted
from norma.core.attachments import check_upload, file_is_intact, store_attachment
from norma.core.models import Attachment, ChangeLogEntry, RoleCode
from tests.factories import PersonFactory, make_process

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def process(quality_manager, leeds):
    return make_process(quality_manager, title="Machining", site=leeds)


def attach(actor, obj, name, data):
    return AttachFile(actor, obj, data={"file": ContentFile(data, name=name)}).execute()


# -- what is refused ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("setup.exe", b"MZ\x90\x00"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("page.htm", b"<html></html>"),
        ("report.pdf.exe", PDF),
        ("no-extension", PDF),
        ("report.pdf.", PDF),
    ],
)
def test_it_refuses_disallowed_file_types(name, data):
    with pytest.raises(InvalidInput) as refused:
        check_upload(name, data)
    assert "file" in refused.value.errors


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("photo.png", b"<html><body><script>alert(1)</script></body></html>"),
        ("report.pdf", b"This is only text pretending to be a PDF."),
        ("sheet.xlsx", b"<?xml version='1.0'?><html/>"),
        ("photo.jpg", PNG),
        ("notes.txt", b"<html><script>alert(document.cookie)</script></html>"),
        ("data.csv", b"a,b\x00\x01\x02"),
    ],
)
def test_it_refuses_content_that_does_not_match_the_extension(name, data):
    with pytest.raises(InvalidInput, match="not"):
        check_upload(name, data)


def test_it_refuses_an_empty_file():
    with pytest.raises(InvalidInput, match="empty"):
        check_upload("notes.txt", b"")


def test_it_refuses_a_file_over_the_size_limit(settings):
    settings.NORMA_ATTACHMENT_MAX_BYTES = 100
    assert check_upload("report.pdf", PDF + b"x" * (100 - len(PDF))) == "pdf"
    with pytest.raises(InvalidInput, match="larger"):
        check_upload("report.pdf", PDF + b"x" * (101 - len(PDF)))


@pytest.mark.parametrize(
    ("name", "data", "extension"),
    [
        ("report.pdf", PDF, "pdf"),
        ("REPORT.PDF", PDF, "pdf"),
        ("photo.png", PNG, "png"),
        ("notes.txt", "Qualité: plain text".encode(), "txt"),
        ("list.csv", b"ref,title\nPRC-1,Sales\n", "csv"),
    ],
)
def test_it_accepts_allowed_files(name, data, extension):
    assert check_upload(name, data) == extension


# -- storing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.ini.txt", "win.ini.txt"),
        ("/abs/path/report.pdf", "report.pdf"),
    ],
)
def test_it_strips_directories_from_the_name(process, quality_manager, name, kept):
    data = PDF if kept.endswith(".pdf") else b"plain text"
    attachment = store_attachment(process, ContentFile(data, name=name), quality_manager)
    assert attachment.filename == kept
    assert ".." not in attachment.file.name
    assert attachment.file.name.startswith("attachments/")


def test_it_stores_the_sha256_and_logs_it(process, quality_manager):
    count = ChangeLogEntry.objects.count()
    attachment = attach(quality_manager, process, "report.pdf", PDF)
    digest = hashlib.sha256(PDF).hexdigest()
    assert (attachment.sha256, attachment.size) == (digest, len(PDF))
    assert attachment.record == process
    assert file_is_intact(attachment)
    assert ChangeLogEntry.objects.count() == count + 1
    entry = ChangeLogEntry.objects.order_by("-id").first()
    assert (entry.action, entry.after["sha256"]) == ("attach", digest)


def test_a_swapped_file_is_caught_by_its_sha256(process, quality_manager):
    attachment = attach(quality_manager, process, "report.pdf", PDF)
    with attachment.file.open("wb") as handle:
        handle.write(PDF.replace(b"1.7", b"1.4"))
    assert not file_is_intact(attachment)


def test_a_refused_upload_stores_and_logs_nothing(process, quality_manager):
    count = ChangeLogEntry.objects.count()
    with pytest.raises(InvalidInput):
        attach(quality_manager, process, "report.pdf.exe", PDF)
    assert not Attachment.objects.exists()
    assert ChangeLogEntry.objects.count() == count


def test_attaching_needs_the_right_to_change_the_record(process, employee):
    with pytest.raises(NotPermitted):
        attach(employee, process, "report.pdf", PDF)
    assert not Attachment.objects.exists()


def test_an_upload_through_the_web_is_checked(process, client_for, quality_manager):
    upload = SimpleUploadedFile("photo.png", b"<html><script>alert(1)</script></html>")
    url = f"/planning/processes/{process.reference}/attachments/"
    response = client_for(quality_manager).post(url, {"file": upload})
    assert response.status_code == 302
    assert not Attachment.objects.exists()


# -- downloading ------------------------------------------------------------------------------


def test_a_download_is_an_attachment_with_nosniff(process, client_for, quality_manager):
    attachment = attach(quality_manager, process, "report.pdf", PDF)
    response = client_for(quality_manager).get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert 'filename="report.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content) == PDF


def test_a_text_file_is_never_served_inline(process, client_for, quality_manager):
    attachment = attach(quality_manager, process, "notes.txt", b"plain text")
    response = client_for(quality_manager).get(f"/attachments/{attachment.pk}/")
    assert response["Content-Disposition"].startswith("attachment")
    assert not response["Content-Type"].startswith(("text/html", "text/plain", "image/svg"))


def test_a_person_outside_the_site_gets_404(process, client_for, quality_manager, porto):
    attachment = attach(quality_manager, process, "report.pdf", PDF)
    outsider = PersonFactory(roles=[RoleCode.PROCESS_OWNER], scope_sites=[porto])
    response = client_for(outsider).get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 404


def test_a_person_in_the_site_can_download(process, client_for, quality_manager, leeds):
    attachment = attach(quality_manager, process, "report.pdf", PDF)
    insider = PersonFactory(roles=[RoleCode.PROCESS_OWNER], scope_sites=[leeds])
    assert client_for(insider).get(f"/attachments/{attachment.pk}/").status_code == 200


def test_a_person_without_the_view_right_gets_404(process, client_for, quality_manager, nobody):
    attachment = attach(quality_manager, process, "report.pdf", PDF)
    assert client_for(nobody).get(f"/attachments/{attachment.pk}/").status_code == 404


def test_an_anonymous_visitor_must_sign_in(process, client, quality_manager):
    attachment = attach(quality_manager, process, "report.pdf", PDF)
    response = client.get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]
