"""The screens of document control that the generic register pages do not cover."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from norma.core.actions import ActionRefused, InvalidInput, NotPermitted, StaleEdit
from norma.core.attachments import download, file_matches
from norma.core.models import Department, RoleCode
from norma.core.views.registers import FilteredRecords
from norma.documents import actions, content, recipients, search, workflow
from norma.documents.checklist import ChecklistItem, is_maintained
from norma.documents.models import Disposal, Document, Revision, Step
from norma.documents.registers import DocumentRegister
from norma.documents.workflow import decisions_with_status

VIEW = "documents.view_document"


def _document(request, reference) -> Document:
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    return get_object_or_404(DocumentRegister.queryset_for(request.user), reference=reference)


def _revision(request, document, label) -> Revision:
    """The revision, or 404 when it is work in progress this person may not read."""
    revisions = document.revisions.select_related("author").prefetch_related("decisions__signature")
    revision = get_object_or_404(revisions, label=label)
    if not workflow.may_read_revision(request.user, revision):
        raise Http404("No such revision.")
    return revision


def _detail(document) -> str:
    return reverse("documents:document_detail", args=[document.reference])


def document_context(document: Document, person) -> dict:
    """Revisions, the content in force, the approval workflow, readers and their reading."""
    revisions = [
        r
        for r in document.revisions.select_related("author").prefetch_related(
            "decisions__signature"
        )
        if workflow.may_read_revision(person, r)
    ]
    in_force = next(
        (r for r in revisions if r.status in (Revision.Status.EFFECTIVE, Revision.Status.OBSOLETE)),
        None,
    )
    open_revision = next((r for r in revisions if r.is_open), None)
    shown = in_force or open_revision
    effective = in_force if in_force and in_force.status == Revision.Status.EFFECTIVE else None
    total, by_department, waiting = recipients.coverage(document, effective)
    can_change = actions.EditDraft(person, document).is_allowed()
    return {
        "revisions": [(r, decisions_with_status(r)) for r in revisions],
        "shown": shown,
        "shown_html": content.render_markdown(shown.body) if shown else "",
        "open_revision": open_revision,
        "workflow": workflow_state(open_revision) if open_revision else None,
        "can_edit_draft": can_change,
        "can_distribute": actions.Distribute(person, document).is_allowed(),
        "distribution": document.distribution.select_related("department__site", "person"),
        "coverage": total,
        "coverage_rows": by_department,
        "waiting": waiting if person.has_perm("documents.change_document") else [],
        "acknowledged": effective is not None
        and effective.acknowledgements.filter(person=person).exists(),
        "effective": effective,
        "roles": RoleCode.choices,
        "departments": Department.objects.filter(is_active=True).select_related("site"),
    }


def workflow_state(revision: Revision) -> dict:
    """Who still has to sign; for a draft, who will be asked once it is submitted."""
    if revision.status == Revision.Status.DRAFT:
        signers = (
            workflow.slots(revision.document, Step.REVIEW),
            workflow.slots(revision.document, Step.APPROVAL),
        )
    else:
        signers = (
            workflow.pending_slots(revision, Step.REVIEW),
            workflow.pending_slots(revision, Step.APPROVAL),
        )
    return {
        "step": workflow.current_step(revision),
        "pending_reviews": signers[0],
        "pending_approvals": signers[1],
    }


class DraftForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    body = forms.CharField(
        label="Content (Markdown)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "class": "markdown"}),
        help_text="Headings with #, lists with -, tables with |. Raw HTML is shown as text.",
    )
    file = forms.FileField(
        required=False, help_text="Or upload the document: PDF, DOCX, XLSX, PNG or JPEG."
    )
    remove_file = forms.BooleanField(required=False, label="Remove the uploaded file")
    change_summary = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="What changed, and why."
    )
    effective_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Empty: it takes effect as soon as it is approved.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_draft(request, reference):
    document = _document(request, reference)
    draft = document.revisions.filter(status__in=Revision.OPEN).first()
    action = actions.EditDraft(request.user, document)
    try:
        action.check()
    except ActionRefused as refused:
        if isinstance(refused, NotPermitted):
            raise PermissionDenied from None
        messages.error(request, refused.message)
        return redirect(_detail(document))
    stale = None
    status = 200
    if request.method == "POST":
        form = DraftForm(request.POST, request.FILES)
        if form.is_valid():
            data = {k: form.cleaned_data[k] for k in ("body", "change_summary", "effective_date")}
            data["remove_file"] = form.cleaned_data["remove_file"]
            if form.cleaned_data["file"]:
                data["file"] = form.cleaned_data["file"]
            try:
                actions.EditDraft(
                    request.user, document, data=data, expected_version=form.cleaned_data["version"]
                ).execute()
            except StaleEdit as refused:
                stale, status = refused, 409
            except InvalidInput as refused:
                for field, errors in refused.errors.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
                status = 422
            else:
                messages.success(request, f"Revision {draft.label} saved.")
                return redirect(_detail(document))
        else:
            status = 422
    else:
        form = DraftForm(
            initial={
                "version": document.version,
                "body": draft.body,
                "change_summary": draft.change_summary,
                "effective_date": draft.effective_date,
            }
        )
    context = {"document": document, "draft": draft, "form": form, "stale": stale}
    return render(request, "documents/draft_form.html", context, status=status)


@login_required
def revision_detail(request, reference, label):
    document = _document(request, reference)
    revision = _revision(request, document, label)
    context = {
        "document": document,
        "revision": revision,
        "html": content.render_markdown(revision.body),
        "decisions": decisions_with_status(revision),
    }
    return render(request, "documents/revision_detail.html", context)


@login_required
def revision_file(request, reference, label):
    """The uploaded file, checked against its SHA-256 on every download; never inline."""
    revision = _revision(request, _document(request, reference), label)
    if not revision.file:
        raise Http404("This revision has no file.")
    if not file_matches(revision.file, revision.file_sha256):
        return HttpResponse(
            "This file no longer matches the one approved (its SHA-256 differs). "
            "It is not served; tell the quality manager.",
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    return download(revision.file, revision.file_name)


@login_required
def revision_pdf(request, reference, label):
    """A controlled copy: number, revision, status and effective date on every page."""
    from norma.documents.printing import controlled_copy

    document = _document(request, reference)
    return controlled_copy(request, document, _revision(request, document, label))


@login_required
def compare(request, reference):
    document = _document(request, reference)
    labels = [
        r.label
        for r in document.revisions.order_by("number")
        if workflow.may_read_revision(request.user, r)
    ]
    if len(labels) < 2:
        messages.info(request, "There is only one revision: nothing to compare yet.")
        return redirect(_detail(document))
    old_label = request.GET.get("from") or labels[-2]
    new_label = request.GET.get("to") or labels[-1]
    old, new = _revision(request, document, old_label), _revision(request, document, new_label)
    rows = content.compare(old.body, new.body)
    context = {"document": document, "old": old, "new": new, "rows": rows, "labels": labels}
    return render(request, "documents/compare.html", context)


@login_required
def search_page(request):
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    text = request.GET.get("q", "").strip()
    include_obsolete = request.GET.get("obsolete") == "1"
    hits = search.search(request.user, text, include_obsolete=include_obsolete) if text else []
    context = {"q": text, "hits": hits, "include_obsolete": include_obsolete}
    return render(request, "documents/search.html", context)


@login_required
def master_list_pdf(request):
    """The master list as filtered on the register page, printed."""
    from norma.documents.printing import master_list

    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    records = FilteredRecords(DocumentRegister, request)
    return master_list(request, records.queryset[:5000])


@login_required
def disposal_log(request):
    if not request.user.has_perm("documents.view_disposal"):
        raise PermissionDenied
    visible = Document.objects.visible_to(request.user)
    disposals = Disposal.objects.filter(document__in=visible)
    return render(request, "documents/disposal_log.html", {"disposals": disposals[:500]})


@login_required
def checklist(request):
    """The mandatory documented information of ISO 9001, each item with its documents."""
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    linked: dict[str, list] = {}
    documents = (
        DocumentRegister.queryset_for(request.user)
        .live()
        .exclude(checklist_item="")
        .order_by("reference")
    )
    for document in documents:
        linked.setdefault(document.checklist_item, []).append(document)
    rows = [(item, is_maintained(item), linked.get(item.value, [])) for item in ChecklistItem]
    return render(request, "documents/checklist.html", {"rows": rows})


class FileImportForm(forms.Form):
    file = forms.FileField(
        label="ZIP of document files",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip"}),
        help_text="Name each file after its document number: QP-007.pdf or QP-007 Purchasing.docx.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_files(request):
    """Upload a ZIP whose files become the drafts of the documents they are named after."""
    from norma.documents.file_import import start_file_import

    if not request.user.has_perm("documents.change_document"):
        raise PermissionDenied
    form = FileImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                job = start_file_import(request.user, form.cleaned_data["file"])
            except InvalidInput as refused:
                form.add_error("file", refused.message)
            else:
                return redirect("jobs:detail", job.pk)
        status = 422
    return render(request, "documents/import_files.html", {"form": form}, status=status)
