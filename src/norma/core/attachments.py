"""Storing attachments safely: size limit, type allow-list, SHA-256, never served inline."""

import hashlib
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from norma.core.actions import InvalidInput
from norma.core.models import Attachment

# Leading bytes of the formats on the allow-list; a file must look like what its name says.
SIGNATURES = {
    "pdf": [b"%PDF-"],
    "png": [b"\x89PNG\r\n\x1a\n"],
    "jpg": [b"\xff\xd8\xff"],
    "jpeg": [b"\xff\xd8\xff"],
    "gif": [b"GIF87a", b"GIF89a"],
    "docx": [b"PK\x03\x04"],
    "xlsx": [b"PK\x03\x04"],
    "pptx": [b"PK\x03\x04"],
    "odt": [b"PK\x03\x04"],
    "ods": [b"PK\x03\x04"],
}
TEXT_TYPES = {"txt", "csv"}


def check_upload(name: str, data: bytes, field: str = "file") -> str:
    """Return the file's extension, or raise InvalidInput saying what is wrong with it (under
    `field`, the form field the file came in)."""
    safe_name = PurePosixPath(name.replace("\\", "/")).name
    extension = safe_name.rsplit(".", 1)[-1].lower() if "." in safe_name else ""
    allowed = settings.NORMA_ATTACHMENT_EXTENSIONS
    limit = settings.NORMA_ATTACHMENT_MAX_BYTES

    def refuse(message):
        raise InvalidInput(message, {field: [message]})

    if extension not in allowed:
        refuse(f"Files of type '.{extension}' are not accepted. Allowed: {', '.join(allowed)}.")
    if len(data) > limit:
        refuse(f"The file is larger than the limit of {filesizeformat(limit)}.")
    if not data:
        refuse("The file is empty.")
    if extension in SIGNATURES and not data.startswith(tuple(SIGNATURES[extension])):
        refuse(f"The file's content is not a .{extension} file.")
    if extension in TEXT_TYPES:
        head = data[:4096].lower()
        if b"\x00" in head or b"<script" in head or b"<html" in head:
            refuse("The file does not look like plain text.")
    return extension


def store_attachment(obj, upload, person) -> Attachment:
    data = upload.read()
    check_upload(upload.name, data)
    now = timezone.now()
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        filename=PurePosixPath(upload.name.replace("\\", "/")).name[:255],
        content_type_name=getattr(upload, "content_type", "") or "application/octet-stream",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=person,
        uploaded_at=now,
    )
    attachment.file.save("upload", ContentFile(data), save=False)
    attachment.save()
    return attachment


def file_is_intact(attachment: Attachment) -> bool:
    return file_matches(attachment.file, attachment.sha256)


def file_matches(stored, sha256: str) -> bool:
    """The stored file still has the SHA-256 recorded when it was uploaded (not swapped)."""
    with stored.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest() == sha256


def download(stored, filename: str) -> FileResponse:
    """Always a download, never shown inline, and sandboxed should a browser try."""
    response = FileResponse(
        stored.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
