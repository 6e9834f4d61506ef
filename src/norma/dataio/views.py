"""Import pages: upload a file, read the dry-run report, start the commit.

Every page needs the register's add permission; an import is visible only to the person who
uploaded it. The dry run and the commit run as background jobs with live progress.
"""

import hashlib
import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from norma.core.htmx import render_page
from norma.dataio.import_files import FileRefused, file_format, max_bytes, open_table, safe_filename
from norma.dataio.import_lookups import KEY_FIELDS, join_or
from norma.dataio.import_mapping import flat_choices, label_of, map_header
from norma.dataio.import_rows import DATE_HINT, import_form_class
from norma.dataio.importing import register_for
from norma.dataio.models import ImportBatch
from norma.jobs.runner import start_job


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV or XLSX file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


def allowed_register(request, app_label: str, model_name: str):
    register = register_for(app_label, model_name)
    if register is None:
        raise Http404("No such register.")
    if not request.user.has_perm(register.permission("add")):
        raise PermissionDenied
    return register


def column_help(register, person) -> list[dict]:
    """What each column takes, for the upload page."""
    form = import_form_class(register)(person=person)
    model = register.model
    rows = []
    for name in form._meta.fields:
        field = form.fields[name]
        if isinstance(field, forms.ModelChoiceField):
            related = field.queryset.model._meta
            keys = [str(related.get_field(k).verbose_name) for k in KEY_FIELDS if has(related, k)]
            hint = f"the {join_or(keys)} of a {related.verbose_name}"
            if isinstance(field, forms.ModelMultipleChoiceField):
                hint = f"{related.verbose_name_plural} by {join_or(keys)}, separated by ; or ,"
        elif isinstance(field, forms.ChoiceField):
            hint = "one of: " + ", ".join(
                str(label) for v, label in flat_choices(field.choices) if v
            )
        elif isinstance(field, forms.DateField):
            hint = DATE_HINT
        else:
            hint = "text"
        default = model._meta.get_field(name).get_default() if has(model._meta, name) else None
        required = field.required and default in (None, "")
        if default not in (None, "") and isinstance(field, forms.ChoiceField):
            chosen = dict(flat_choices(field.choices)).get(default, default)
            hint += f" (left empty: {chosen})"
        rows.append(
            {"label": label_of(form, name), "name": name, "required": required, "hint": hint}
        )
    return rows


def has(meta, name: str) -> bool:
    return any(f.name == name for f in meta.get_fields())


class SizeLimit(FileUploadHandler):
    """Stop reading an upload once it passes the import limit, instead of spooling 1 GB to disk."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > max_bytes():
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler keeps the file


@csrf_exempt  # the body must not be read before the size limit is in place; checked below
@login_required
def import_upload(request, app_label, model_name):
    register = allowed_register(request, app_label, model_name)  # before reading any upload
    limit = SizeLimit(request)
    request.upload_handlers.insert(0, limit)
    return upload_page(request, register, limit)


@csrf_protect
def upload_page(request, register, limit: SizeLimit):
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if limit.exceeded:
            form.is_valid()
            message = f"The file is larger than the limit of {filesizeformat(max_bytes())}."
            form.errors["file"] = form.error_class([message])
        elif form.is_valid():
            try:
                batch = store_upload(register, request.user, form.cleaned_data["file"])
            except FileRefused as refused:
                form.add_error("file", refused.message)
            else:
                return redirect("dataio:import_report", batch.pk)
        status = 422
    context = {
        "register": register,
        "record_name": register.model._meta.verbose_name,
        "form": form,
        "columns": column_help(register, request.user),
        "max_bytes": max_bytes(),
        "list_url": reverse(register.url_name("list")),
    }
    return render(request, "dataio/import_upload.html", context, status=status)


def store_upload(register, person, upload) -> ImportBatch:
    """Check the file's type, size and headers now; keep it and start the dry run."""
    kind = file_format(upload.name, upload.size)
    data = upload.read(max_bytes() + 1)
    kind = file_format(upload.name, len(data))
    table = open_table(data, kind)
    _, problems = map_header(
        table.header, import_form_class(register)(person=person), register.model
    )
    if problems:
        raise FileRefused(" ".join(problems))
    if table.total == 0:
        raise FileRefused("The file has a header row but no rows to import.")
    filename = safe_filename(upload.name)
    with transaction.atomic():
        batch = ImportBatch(
            app_label=register.app_label(),
            model_name=register.model_name(),
            filename=filename,
            file_format=kind,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            created_by=person,
        )
        batch.file.save(f"import-{uuid.uuid4().hex}.{kind}", ContentFile(data), save=False)
        batch.save()
        batch.check_job = start_job(
            person,
            "import.check",
            f"Check {filename} for {register.title().lower()}",
            "norma.dataio.importing.check_import",
            {"batch_id": batch.pk},
        )
        batch.save(update_fields=["check_job"])
    return batch


@login_required
def import_template(request, app_label, model_name):
    """A CSV with just the header row, in the order of the register's form."""
    register = allowed_register(request, app_label, model_name)
    labels = [c["label"] for c in column_help(register, request.user)]
    response = HttpResponse(
        "\ufeff" + ",".join(f'"{label}"' for label in labels) + "\r\n",
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{register.slug()}-template.csv"'
    return response


def own_batch(request, pk: int) -> tuple[ImportBatch, object]:
    batch = get_object_or_404(
        ImportBatch.objects.select_related("check_job", "commit_job"),
        pk=pk,
        created_by=request.user,
    )
    return batch, allowed_register(request, batch.app_label, batch.model_name)


@login_required
def import_report(request, pk):
    batch, register = own_batch(request, pk)
    context = {
        "batch": batch,
        "register": register,
        "list_url": reverse(register.url_name("list")),
        "upload_url": reverse("dataio:import_upload", args=[batch.app_label, batch.model_name]),
        "more_rejected": max(batch.rejected_count - len(batch.rejected_sample), 0),
    }
    return render_page(
        request, "dataio/import_report.html", context, fragment="dataio/_import_report.html"
    )


@login_required
@require_POST
def import_commit(request, pk):
    """Start the commit job once, for a batch whose dry run found nothing wrong."""
    own_batch(request, pk)
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=pk)
        if not batch.can_commit:
            messages.error(request, "This import cannot be committed: see its report.")
            return redirect("dataio:import_report", pk)
        register = register_for(batch.app_label, batch.model_name)
        batch.commit_job = start_job(
            request.user,
            "import.commit",
            f"Import {batch.total_rows} {register.title().lower()} from {batch.filename}",
            "norma.dataio.importing.commit_import",
            {"batch_id": batch.pk},
        )
        batch.state = ImportBatch.State.IMPORTING
        batch.save(update_fields=["commit_job", "state"])
    return redirect("jobs:detail", batch.commit_job.pk)


@login_required
def import_rejected(request, pk):
    """Every rejected row with its row number and problems, as CSV, formulas neutralised."""
    batch, _ = own_batch(request, pk)
    if not batch.rejected_file:
        raise Http404("No rows were rejected.")
    name = f"rejected-rows-{safe_filename(batch.filename).rsplit('.', 1)[0]}.csv"
    response = FileResponse(
        batch.rejected_file.open("rb"), as_attachment=True, filename=name, content_type="text/csv"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
