"""Report downloads: a register record as PDF, the readiness report as PDF and DOCX.

Spreadsheets are not built here: every register's list already exports its filtered rows as
XLSX (and CSV) through core/exports.py (`<register>/export/?format=xlsx`), with spreadsheet
formulas neutralised. This module adds the documents people print, sign off or edit.

Rights are those of the page each report mirrors: a record's PDF needs the register's view
permission (403 without it) and reads through `Register.queryset_for(person)`, so a record
outside the person's scope is "not found" (404), exactly as on its detail page.
"""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from norma.core.registers import registry
from norma.core.signatures import signatures_with_status
from norma.reports import readiness, word
from norma.reports.frame import download, print_context
from norma.standards.readiness import evaluate


def register_for(app_label: str, model_name: str):
    """The register declared for app_label.model_name, or 404."""
    for register in registry:
        if (register.app_label(), register.model_name()) == (app_label, model_name):
            return register
    raise Http404("No such register.")


def record_context(register, obj) -> dict:
    """What the record PDF shows: the same fields, clauses, files, comments and signatures as
    the detail page."""
    return {
        **print_context(
            reference=obj.reference, revision=f"Version {obj.version}", title=obj.title
        ),
        "register": register,
        "obj": obj,
        "fields": [obj._meta.get_field(name) for name in register.fields_for_detail()],
        "clauses": obj.clauses.select_related("standard").order_by("sort_key"),
        "attachments": obj.attachments.select_related("uploaded_by"),
        "comments": obj.comments.all(),
        "signatures": signatures_with_status(obj),
    }


@login_required
def record_pdf(request, app_label, model_name, reference):
    """/reports/record/<app_label>/<model_name>/<reference>.pdf"""
    from norma.reports import pdf  # WeasyPrint is heavy: load it when a PDF is asked for

    register = register_for(app_label, model_name)
    if not request.user.has_perm(register.permission("view")):
        raise PermissionDenied
    obj = get_object_or_404(register.queryset_for(request.user), reference=reference)
    context = record_context(register, obj)
    return pdf.pdf_response("reports/record.html", context, f"{obj.reference}.pdf", request)


def _filename(extension: str) -> str:
    return f"readiness-{timezone.now():%Y-%m-%d}.{extension}"


@login_required
@permission_required("standards.view_clause", raise_exception=True)
def readiness_pdf(request):
    """/reports/readiness.pdf: score, chart of counts per status, gaps, clause table."""
    from norma.reports import pdf

    standard = readiness.standard_for()
    context = readiness.pdf_context(evaluate(request.user), standard)
    return pdf.pdf_response("reports/readiness.html", context, _filename("pdf"), request)


@login_required
@permission_required("standards.view_clause", raise_exception=True)
def readiness_docx(request):
    """/reports/readiness.docx: the same report as an editable Word document."""
    content = word.readiness_docx(evaluate(request.user), readiness.standard_for())
    return download(content, _filename("docx"), word.DOCX_TYPE)
