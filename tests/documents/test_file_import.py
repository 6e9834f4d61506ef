"""Moving off shared drives: a ZIP of files becomes the drafts of the documents it names."""

import io
import zipfile

from django.core.files.storage import default_storage
from weasyprint import HTML

from norma.documents.models import Revision
from norma.jobs.management.commands.worker import drain
from norma.jobs.models import Job
from tests.factories import PersonFactory, make_document

PAGE = "/documents/import-files/"


def pdf(text: str) -> bytes:
    return HTML(string=f"<p>{text}</p>").write_pdf()


def zipped(files: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    buffer.seek(0)
    buffer.name = "shared-drive.zip"
    return buffer


def upload(client, capture, files: dict[str, bytes]):
    with capture(execute=True):
        response = client.post(PAGE, {"file": zipped(files)})
    drain("test-worker")
    return response


def test_files_named_after_documents_become_their_drafts(
    client_for, quality_manager, django_capture_on_commit_callbacks
):
    purchasing = make_document(quality_manager, title="Purchasing")
    inspection = make_document(quality_manager, title="Inspection")
    files = {
        f"Procedures/{purchasing.reference} Purchasing.pdf": pdf("Approved suppliers only."),
        f"{inspection.reference.lower()}.pdf": pdf("Inspect the first part."),
        "QP-999 Unknown.pdf": pdf("Nobody's"),
        "notes.txt": b"no number",
        "__MACOSX/._junk": b"\x00",
    }
    response = upload(client_for(quality_manager), django_capture_on_commit_callbacks, files)

    job = Job.objects.get(kind="documents.import_files")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.state == Job.State.SUCCEEDED
    assert job.summary == {"placed": 2, "refused": 2}
    assert "QP-999 Unknown.pdf: No document numbered QP-999" in job.log
    assert "notes.txt: No document numbered notes" in job.log
    draft = purchasing.revisions.get()
    assert draft.status == Revision.Status.DRAFT
    assert draft.file_name == f"{purchasing.reference} Purchasing.pdf"
    assert "Approved suppliers only." in draft.extracted_text
    assert "Inspect the first part." in inspection.revisions.get().extracted_text
    assert not default_storage.exists(Job.objects.get().params["path"])


def test_a_refused_file_leaves_no_empty_draft(
    client_for, quality_manager, django_capture_on_commit_callbacks
):
    document = make_document(quality_manager, title="Calibration")
    files = {f"{document.reference}.pdf": b"%PDF-1.4 damaged"}
    upload(client_for(quality_manager), django_capture_on_commit_callbacks, files)

    job = Job.objects.get(kind="documents.import_files")
    assert job.summary == {"placed": 0, "refused": 1}
    assert "damaged" in job.log
    assert not document.revisions.exists()


def test_a_file_for_a_document_outside_my_sites_is_not_placed(
    client_for, quality_manager, leeds, porto, django_capture_on_commit_callbacks
):
    there = make_document(quality_manager, title="Porto only", sites=[porto])
    leeds_manager = PersonFactory(scope_sites=[leeds])
    leeds_manager.groups.set(quality_manager.groups.all())
    files = {f"{there.reference}.pdf": pdf("Porto text")}
    upload(client_for(leeds_manager), django_capture_on_commit_callbacks, files)
    assert Job.objects.get().summary == {"placed": 0, "refused": 1}
    assert not there.revisions.exists()


def test_a_damaged_or_empty_zip_is_refused_before_any_job(client_for, quality_manager):
    client = client_for(quality_manager)
    damaged = io.BytesIO(b"PK\x03\x04 not really a zip")
    damaged.name = "drive.zip"
    response = client.post(PAGE, {"file": damaged})
    assert response.status_code == 422
    assert "not a valid ZIP" in response.content.decode()
    response = client.post(PAGE, {"file": zipped({"folder/": b""})})
    assert response.status_code == 422
    assert not Job.objects.exists()


def test_only_people_who_may_change_documents_may_import_files(
    client_for, employee, internal_auditor, process_owner
):
    assert client_for(employee).get(PAGE).status_code == 403
    assert client_for(internal_auditor).post(PAGE, {}).status_code == 403
    assert client_for(process_owner).get(PAGE).status_code == 200
