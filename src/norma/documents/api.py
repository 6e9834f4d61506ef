"""API endpoints of document control beyond the register's own (list, read, create, actions).

Mounted at /api/v1/documents/. Writes go through the same Actions as the web pages and need
the document's ETag in If-Match: a document's version covers its revisions and readers.
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from norma.api.registers import StrictSchema, expected_version
from norma.core.attachments import download, file_matches
from norma.documents import actions, recipients, search
from norma.documents.models import Document, Revision
from norma.documents.registers import DocumentRegister
from norma.documents.workflow import decisions_with_status, may_read_revision

router = Router(tags=["Document control"])
VIEW = "documents.view_document"


class DecisionOut(Schema):
    step: str
    outcome: str
    person_name: str
    comment: str
    decided_at: datetime.datetime
    review_round: int
    signature_holds: bool


class RevisionOut(Schema):
    number: int
    label: str
    status: str
    effective_date: datetime.date | None
    change_summary: str
    author: str | None
    file_name: str
    file_size: int | None
    file_sha256: str
    created_at: datetime.datetime
    approved_at: datetime.datetime | None
    superseded_at: datetime.datetime | None


class RevisionDetailOut(RevisionOut):
    body: str
    decisions: list[DecisionOut]


class DraftIn(StrictSchema):
    body: str | None = None
    change_summary: str | None = None
    effective_date: datetime.date | None = None
    remove_file: bool = False


class DistributionIn(StrictSchema):
    role: str | None = None
    department: int | None = None
    person: int | str | None = None  # an id or an email address


class DistributionOut(Schema):
    id: int
    target: str
    role: str
    department: int | None
    person: int | None


class CoverageOut(Schema):
    revision: str | None
    expected: int
    acknowledged: int
    percent: int
    by_department: dict[str, list[int]]


class HitOut(Schema):
    reference: str
    title: str
    status: str
    obsolete: bool
    title_html: str
    snippet_html: str


def _document(request, reference) -> Document:
    return get_object_or_404(DocumentRegister.readable_by(request.user), reference=reference)


def _revision_out(revision: Revision) -> dict:
    return {
        **{name: getattr(revision, name) for name in RevisionOut.model_fields if name != "author"},
        "author": str(revision.author) if revision.author else None,
    }


def _etag(response, reference, request):
    response["ETag"] = _document(request, reference).etag


@router.get("/documents/{reference}/revisions", response=list[RevisionOut])
def list_revisions(request, reference: str):
    document = _document(request, reference)
    revisions = document.revisions.select_related("author")
    return [_revision_out(r) for r in revisions if may_read_revision(request.user, r)]


@router.get("/documents/{reference}/revisions/{label}", response=RevisionDetailOut)
def read_revision(request, reference: str, label: str):
    document = _document(request, reference)
    revision = get_object_or_404(
        document.revisions.select_related("author").prefetch_related("decisions__signature"),
        label=label,
    )
    if not may_read_revision(request.user, revision):
        raise HttpError(404, "Not found.")
    decisions = [
        {
            "step": d.step,
            "outcome": d.outcome,
            "person_name": d.person_name,
            "comment": d.comment,
            "decided_at": d.decided_at,
            "review_round": d.review_round,
            "signature_holds": holds,
        }
        for d, holds in decisions_with_status(revision)
    ]
    return {**_revision_out(revision), "body": revision.body, "decisions": decisions}


@router.get("/documents/{reference}/revisions/{label}/file")
def download_revision_file(request, reference: str, label: str):
    revision = get_object_or_404(_document(request, reference).revisions, label=label)
    if not may_read_revision(request.user, revision) or not revision.file:
        raise HttpError(404, "This revision has no file.")
    if not file_matches(revision.file, revision.file_sha256):
        raise HttpError(409, "The stored file no longer matches its SHA-256; not served.")
    return download(revision.file, revision.file_name)


@router.patch("/documents/{reference}/draft", response=RevisionDetailOut)
def edit_draft(request, response: HttpResponse, reference: str, payload: DraftIn):
    version = expected_version(request)
    document = _document(request, reference)
    data = payload.model_dump(exclude_unset=True)
    actions.EditDraft(request.user, document, data=data, expected_version=version).execute()
    return _draft(request, response, reference)


@router.post("/documents/{reference}/draft/file", response=RevisionDetailOut)
def upload_draft_file(request, response: HttpResponse, reference: str, file: File[UploadedFile]):
    version = expected_version(request)
    document = _document(request, reference)
    action = actions.EditDraft(
        request.user, document, data={"file": file}, expected_version=version
    )
    action.execute()
    return _draft(request, response, reference)


def _draft(request, response, reference):
    """The draft as it now is, with the document's new ETag for the next write."""
    _etag(response, reference, request)
    document = _document(request, reference)
    return read_revision(request, reference, document.revisions.get(status__in=Revision.OPEN).label)


def _distribution(document) -> list[dict]:
    return [
        {
            "id": entry.pk,
            "target": str(entry),
            "role": entry.role,
            "department": entry.department_id,
            "person": entry.person_id,
        }
        for entry in document.distribution.select_related("department__site", "person")
    ]


@router.get("/documents/{reference}/distribution", response=list[DistributionOut])
def list_distribution(request, reference: str):
    return _distribution(_document(request, reference))


@router.post("/documents/{reference}/distribution", response={201: list[DistributionOut]})
def add_distribution(request, response: HttpResponse, reference: str, payload: DistributionIn):
    version = expected_version(request)
    document = _document(request, reference)
    data = payload.model_dump(exclude_none=True)
    actions.Distribute(request.user, document, data=data, expected_version=version).execute()
    _etag(response, reference, request)
    return Status(201, _distribution(document))


@router.delete("/documents/{reference}/distribution/{entry_id}", response=list[DistributionOut])
def remove_distribution(request, response: HttpResponse, reference: str, entry_id: int):
    version = expected_version(request)
    document = _document(request, reference)
    actions.StopDistribution(
        request.user, document, data={"distribution": entry_id}, expected_version=version
    ).execute()
    _etag(response, reference, request)
    return _distribution(document)


@router.get("/documents/{reference}/coverage", response=CoverageOut)
def reading_coverage(request, reference: str):
    document = _document(request, reference)
    revision = document.revisions.filter(status=Revision.Status.EFFECTIVE).first()
    total, rows, _ = recipients.coverage(document, revision)
    if total is None:
        return {
            "revision": None,
            "expected": 0,
            "acknowledged": 0,
            "percent": 0,
            "by_department": {},
        }
    return {
        "revision": revision.label,
        "expected": total.expected,
        "acknowledged": total.done,
        "percent": total.percent,
        "by_department": {row.label: [row.done, row.expected] for row in rows},
    }


@router.get("/search", response=list[HitOut])
def search_documents(request, q: str, obsolete: bool = False):
    if not request.user.has_perm(VIEW):
        raise PermissionDenied("You do not have the right to read documents.")
    if len(q) > 500:
        raise HttpError(422, "The search text is longer than 500 characters.")
    return [
        {
            "reference": hit.document.reference,
            "title": hit.document.title,
            "status": hit.document.status,
            "obsolete": hit.obsolete,
            "title_html": str(hit.title),
            "snippet_html": str(hit.snippet),
        }
        for hit in search.search(request.user, q, include_obsolete=obsolete)
    ]
