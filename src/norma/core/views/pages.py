"""The person's home page, global search, health check and file downloads."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from norma.core.attachments import download
from norma.core.htmx import render_page
from norma.core.models import Attachment, Person
from norma.core.registers import registry
from norma.core.todo import Task, contributed_tasks

SEARCH_LIMIT = 10


@login_required
def home(request):
    """My tasks: what I own that is due, overdue first."""
    today = timezone.localdate()
    tasks = []
    for register in registry:
        if not request.user.has_perm(register.permission("view")):
            continue
        # What its reminders stop for (a closed record, a done action) is no task either.
        finished = {status for r in register.reminders for status in r.skip_statuses}
        items = (
            register.queryset_for(request.user)
            .live()
            .filter(owner=request.user, due_date__isnull=False)
            .exclude(status__in=finished)
            .order_by("due_date")[:20]
        )
        tasks.extend(
            Task(
                item.due_date,
                item.reference,
                item.title,
                reverse(register.url_name("detail"), args=[item.reference]),
                register.task_label or register.title(),
                item.get_status_display(),
            )
            for item in items
        )
    tasks += contributed_tasks(request.user)
    tasks.sort(key=lambda task: task.due_date)
    overdue = [t for t in tasks if t.due_date < today]
    upcoming = [t for t in tasks if t.due_date >= today]
    return render(request, "core/home.html", {"overdue": overdue, "upcoming": upcoming})


@login_required
def search(request):
    """Reference codes and titles across every register the person may read."""
    text = request.GET.get("q", "").strip()
    results = []
    if text:
        for register in registry:
            if not request.user.has_perm(register.permission("view")):
                continue
            visible = register.model.objects.visible_to(request.user)
            if register.searched_everywhere_by_reference:
                matches = visible.filter(reference=text.upper())
            else:
                matches = register.search(visible, text).order_by("-id")[:SEARCH_LIMIT]
            results.extend((register, obj) for obj in matches)
    return render_page(
        request,
        "core/search.html",
        {"q": text, "results": results},
        fragment="core/_search_results.html",
    )


@require_GET
@never_cache
def healthz(request):
    """200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not healthy"
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


@login_required
def download_attachment(request, pk):
    """Authorised on every request; always a download, never rendered inline."""
    attachment = get_object_or_404(Attachment.objects.select_related("content_type"), pk=pk)
    model = attachment.content_type.model_class()
    register = registry.for_model(model)
    if register is None or not request.user.has_perm(register.permission("view")):
        raise Http404
    get_object_or_404(register.model.objects.visible_to(request.user), pk=attachment.object_id)
    return download(attachment.file, attachment.filename)


@login_required
def people(request):
    if not request.user.has_perm("core.view_person"):
        raise PermissionDenied
    everyone = (
        request.user.scope.filter(Person.objects.filter(is_active=True))
        .select_related("site", "department", "manager")
        .prefetch_related("groups")
        .order_by("full_name", "pk")
    )
    text = request.GET.get("q", "").strip()
    if text:
        everyone = everyone.filter(Q(full_name__icontains=text) | Q(email__icontains=text))
    page = Paginator(everyone, 50).get_page(request.GET.get("page"))
    return render(request, "core/people.html", {"page": page, "q": text})
