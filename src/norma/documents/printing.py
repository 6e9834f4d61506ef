"""Controlled copies and the printed master list (WeasyPrint, through the reports app)."""

from django.utils import timezone

from norma.documents.content import render_markdown
from norma.documents.models import Revision
from norma.documents.workflow import decisions_with_status
from norma.reports.frame import print_context
from norma.reports.pdf import pdf_response

WATERMARKS = {
    Revision.Status.SUPERSEDED: "SUPERSEDED",
    Revision.Status.OBSOLETE: "OBSOLETE",
    Revision.Status.DRAFT: "DRAFT",
    Revision.Status.IN_REVIEW: "DRAFT",
    Revision.Status.APPROVED: "NOT YET EFFECTIVE",
    Revision.Status.WITHDRAWN: "WITHDRAWN",
}


def controlled_copy(request, document, revision):
    """Number, revision, status and effective date on every page; "uncontrolled when printed
    — valid on <today>"; anything not in force carries a watermark."""
    context = {
        **print_context(
            reference=document.reference,
            revision=f"Revision {revision.label} · {revision.get_status_display()}",
            title=document.title,
        ),
        "document": document,
        "revision": revision,
        "html": render_markdown(revision.body),
        "decisions": decisions_with_status(revision),
        "watermark": WATERMARKS.get(revision.status, ""),
        "valid_on": timezone.localdate(),
    }
    filename = f"{document.reference}-{revision.label}.pdf"
    return pdf_response("documents/print_revision.html", context, filename, request)


def master_list(request, documents):
    context = {
        **print_context(
            reference="Master list",
            revision=f"{timezone.localdate():%Y-%m-%d}",
            title="Document master list",
        ),
        "documents": documents,
        "valid_on": timezone.localdate(),
    }
    filename = f"master-list-{timezone.localdate():%Y-%m-%d}.pdf"
    return pdf_response("documents/print_master_list.html", context, filename, request)
