"""Moving off shared drives: a ZIP of files becomes the drafts of the documents they belong to.

First import the master list itself (the register's CSV/XLSX import), then upload a ZIP whose
files are named after the document numbers ("QP-007.pdf", "QP-007 Purchasing.docx"). A job
puts each file into its document's draft revision through the same actions as the web page
(checks, text extraction, change log), one document at a time; files it cannot place are
listed with the reason. The drafts are then reviewed and approved like any other.
"""

import hashlib
import io
import re
import uuid
import zipfile
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat

from norma.core.actions import ActionRefused, InvalidInput
from norma.core.context import current_actor
from norma.documents.actions import EditDraft, StartRevision
from norma.documents.models import Document, Revision
from norma.jobs.runner import start_job

MAX_FILES = 5000
NUMBER = re.compile(r"^[A-Za-z]+-\d+")
SKIPPED = ("__MACOSX/", ".")  # folders and hidden files that zip tools add


def refuse(message: str):
    raise InvalidInput(message, {"file": [message]})


def start_file_import(person, upload):
    """Check the ZIP as a whole, keep it, and start the job that places its files."""
    data = upload.read(settings.NORMA_IMPORT_MAX_BYTES + 1)
    if len(data) > settings.NORMA_IMPORT_MAX_BYTES:
        refuse(f"The ZIP is larger than {filesizeformat(settings.NORMA_IMPORT_MAX_BYTES)}.")
    files = members(data)
    if not files:
        refuse("The ZIP holds no files.")
    name = f"imports/documents/{uuid.uuid4().hex}.zip"
    stored = default_storage.save(name, ContentFile(data))
    sha256 = hashlib.sha256(data).hexdigest()
    title = f"Files for documents from {PurePosixPath(upload.name).name} ({len(files)} files)"
    return start_job(
        person,
        "documents.import_files",
        title[:200],
        "norma.documents.file_import.place_files",
        {"path": stored, "sha256": sha256},
    )


def members(data: bytes) -> list[zipfile.ZipInfo]:
    """The files in the ZIP, refused whole if it is damaged or a zip bomb."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        refuse("This file is not a valid ZIP archive.")
    files = [i for i in infos if not i.is_dir() and not i.filename.startswith(SKIPPED)]
    files = [i for i in files if not PurePosixPath(i.filename).name.startswith(".")]
    if len(files) > MAX_FILES:
        refuse(f"The ZIP holds {len(files):,} files; at most {MAX_FILES:,} at a time.")
    if any(i.flag_bits & 0x1 for i in files):
        refuse("The ZIP is encrypted; make it without a password.")
    limit = settings.NORMA_ATTACHMENT_MAX_BYTES
    too_big = [i.filename for i in files if i.file_size > limit]
    if too_big:
        refuse(f"{too_big[0]} is larger than {filesizeformat(limit)} once unpacked.")
    if sum(i.file_size for i in files) > settings.NORMA_IMPORT_MAX_EXPANDED_BYTES:
        refuse("The ZIP unpacks to more than Norma reads at once; it may be a zip bomb.")
    return files


def document_number(filename: str) -> str | None:
    """'Procedures/QP-007 Purchasing.pdf' -> 'QP-007'."""
    found = NUMBER.match(PurePosixPath(filename).stem)
    return found.group(0).upper() if found else None


def place_files(job, path: str, sha256: str) -> dict:
    person = current_actor().person
    try:
        with default_storage.open(path, "rb") as handle:
            data = handle.read()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError("The stored ZIP no longer matches its checksum; upload it again.")
        archive = zipfile.ZipFile(io.BytesIO(data))
        files = members(data)
        visible = Document.objects.visible_to(person).live()
        placed, refused = 0, 0
        for done, info in enumerate(files, start=1):
            try:
                reference = place(archive, info, visible, person)
            except ActionRefused as problem:
                details = "; ".join(e for errors in problem.errors.values() for e in errors)
                job.log(f"{info.filename}: {details or problem.message}")
                refused += 1
            else:
                job.log(f"{info.filename}: now the draft of {reference}")
                placed += 1
            job.progress(done, len(files))
    finally:
        default_storage.delete(path)
    return {"placed": placed, "refused": refused}


def place(archive, info, visible, person) -> str:
    reference = document_number(info.filename)
    document = visible.filter(reference__iexact=reference).first() if reference else None
    if document is None:
        name = reference or PurePosixPath(info.filename).stem
        raise ActionRefused(f"No document numbered {name} that you may change.")
    upload = SimpleUploadedFile(PurePosixPath(info.filename).name, archive.read(info))
    with transaction.atomic():  # a refused file leaves no empty draft behind
        if not document.revisions.filter(status__in=Revision.OPEN).exists():
            StartRevision(person, document).execute()
        EditDraft(person, document, data={"file": upload}).execute()
    return document.reference
