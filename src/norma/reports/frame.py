"""The frame every report shares: organisation, reference, revision, printed-on time (UTC).

Kept apart from pdf.py so pages that only draw charts never import WeasyPrint.
"""

import datetime

from django.http import HttpResponse
from django.utils import timezone

from norma.core.models import Organisation


def organisation_name() -> str:
    organisation = Organisation.objects.order_by("pk").first()
    return organisation.name if organisation else "Norma"


def print_context(*, reference: str, revision: str, title: str) -> dict:
    """What the page frame shows: who, which document, which revision, when printed (UTC)."""
    return {
        "organisation": organisation_name(),
        "doc_reference": reference,
        "doc_revision": revision,
        "doc_title": title,
        "printed_at": timezone.now().astimezone(datetime.UTC),
    }


def download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    """A file the browser saves rather than shows, never cached by shared caches."""
    response = HttpResponse(content, content_type=content_type)
    safe_name = "".join(c if c.isalnum() or c in "-_." else "_" for c in filename)
    response["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
