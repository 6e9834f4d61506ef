"""Pages of the audits app beyond its registers: what a programme's and an audit's pages
show, the checklist worked through on a tablet, the report as PDF and DOCX, and the audit
calendar."""

import calendar as month_calendar
from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from norma.audits import evidence, programme
from norma.audits.models import Audit, ChecklistItem, Finding, Result
from norma.audits.planning import objectivity_errors
from norma.audits.registers import AuditRegister, ChecklistItemRegister
from norma.audits.report import report_docx, report_pdf
from norma.audits.workflow import open_follow_up
from norma.core.actions import ActionRefused, UpdateRecord
from norma.core.views.registers import named_errors
from norma.improvement.models import Nonconformity
from norma.reports.frame import download
from norma.reports.word import DOCX_TYPE

SHOWN = 100  # audits listed on a programme's page; the audit register lists them all
SUGGESTED = 20  # processes the risks suggest, the most reasons first


def programme_context(obj, person) -> dict:
    planned = obj.audits.visible_to(person).live()
    audits = list(
        planned.select_related("owner")
        .prefetch_related("processes")
        .order_by("target_month", "start_date", "pk")[:SHOWN]
    )
    new = reverse("audits:audit_create")
    counts = dict(planned.values_list("status").annotate(n=Count("pk")).order_by())
    return {
        "audits": audits,
        "audit_total": sum(counts.values()),
        "audit_counts": [
            (label, counts[value]) for value, label in Audit.Status.choices if value in counts
        ],
        "all_audits_url": f"{reverse('audits:audit_list')}?programme={obj.pk}",
        "coverage": (matrix := programme.coverage(obj, person)),
        "coverage_table": programme.coverage_table(matrix),
        "suggestions": (suggested := programme.suggestions(person))[:SUGGESTED],
        "suggestion_total": len(suggested),
        "plan_url": f"{new}?programme={obj.pk}",
        "can_plan": person.has_perm("audits.add_audit"),
    }


def follow_up_state(finding, readable: set) -> str:
    """Where a finding's follow-up stands, in words."""
    if finding.status == Finding.Status.DRAFT:
        return "Draft"
    if finding.status == Finding.Status.WITHDRAWN:
        return "Withdrawn"
    nc = finding.nonconformity
    if nc is not None:
        if nc.status == Nonconformity.Status.CLOSED:
            return "Verified effective"
        if nc.pk not in readable:
            return "Corrective action open"
        return f"{nc.get_status_display()} ({nc.reference})"
    if finding.status == Finding.Status.ISSUED:
        return "Awaiting acknowledgement"
    if finding.improvement_id:
        idea = finding.improvement
        return f"Improvement {idea.reference}: {idea.get_status_display().lower()}"
    return "No action needed" if finding.grade in ("strength", "observation") else "Noted"


def audit_context(audit, person) -> dict:
    items = list(
        audit.checklist.visible_to(person)
        .live()
        .select_related("clause")
        .order_by("position", "pk")
    )
    findings = list(
        audit.findings.visible_to(person)
        .live()
        .select_related("clause", "process", "nonconformity", "improvement", "owner")
        .order_by("pk")
    )
    linked = [f.nonconformity_id for f in findings if f.nonconformity_id]
    readable = set(
        Nonconformity.objects.visible_to(person).filter(pk__in=linked).values_list("pk", flat=True)
    )
    for finding in findings:
        finding.follow_up = follow_up_state(finding, readable)
        finding.readable_nonconformity = finding.nonconformity_id in readable
    done = sum(1 for item in items if item.result != Result.NOT_AUDITED)
    open_parts = not audit.is_locked
    add = {
        name: f"{reverse(f'audits:{name}_create')}?audit={audit.pk}"
        for name in ("checklistitem", "finding", "interview")
    }
    return {
        "checklist": items[:50],
        "checklist_total": len(items),
        "checklist_done": done,
        "checklist_percent": round(100 * done / len(items)) if items else 0,
        "findings": findings,
        "interviews": list(
            audit.interviews.visible_to(person).live().select_related("interviewee")
        ),
        "objectivity": objectivity_errors(audit) if open_parts else {},
        "open_follow_up": open_follow_up(audit).count() if audit.is_locked else 0,
        "add_urls": add if open_parts else {},
        "can_add": {name: open_parts and person.has_perm(f"audits.add_{name}") for name in add},
        "checklist_url": reverse("audits:checklist", args=[audit.reference]),
        "report_pdf_url": reverse("audits:report_pdf", args=[audit.reference]),
        "report_docx_url": reverse("audits:report_docx", args=[audit.reference]),
    }


def checklist_item_context(item, person) -> dict:
    return {"sampled": evidence.resolve(item.evidence_references, person)}


def _audit(request, reference) -> Audit:
    return get_object_or_404(AuditRegister.readable_by(request.user), reference=reference)


class AnswerForm(forms.ModelForm):
    """The answer to one checklist question, as the tablet page sends it."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if field.help_text:  # the help is read with the field
                field.widget.attrs["aria-describedby"] = f"{self[name].auto_id}_help"

    class Meta:
        model = ChecklistItem
        fields = ["result", "notes", "evidence", "evidence_references"]
        widgets = {
            "result": forms.RadioSelect,
            "notes": forms.Textarea(attrs={"rows": 2}),
            "evidence": forms.Textarea(attrs={"rows": 2}),
        }


@login_required
def checklist(request, reference):
    """The whole checklist, one card per question, each saved on its own."""
    audit = _audit(request, reference)
    items = list(
        audit.checklist.visible_to(request.user)
        .live()
        .select_related("clause")
        .order_by("position", "pk")
    )
    editable = (
        not audit.is_locked
        and request.user.has_perm("audits.change_checklistitem")
        and not audit.edit_refusal_for(request.user)
    )
    cards = [(item, AnswerForm(instance=item, prefix=item.reference)) for item in items]
    for item, form in cards:
        form.fields["version"].initial = item.version
    return render(
        request,
        "audits/checklist.html",
        {
            "audit": audit,
            "cards": cards,
            "editable": editable,
            "done": sum(1 for item in items if item.result != Result.NOT_AUDITED),
            "add_url": f"{reverse('audits:checklistitem_create')}?audit={audit.pk}",
        },
    )


@login_required
@require_POST
def answer(request, reference):
    """Save one checklist answer; a stale one is refused, never overwritten."""
    item = get_object_or_404(
        ChecklistItemRegister.readable_by(request.user).select_related("audit"),
        reference=reference,
    )
    form = AnswerForm(request.POST, instance=item, prefix=item.reference)
    saved, refusal = False, ""
    if form.is_valid():
        data = {k: form.cleaned_data[k] for k in AnswerForm.Meta.fields}
        try:
            item = UpdateRecord(
                request.user, item, data=data, expected_version=form.cleaned_data["version"]
            ).execute()
            saved = True
        except ActionRefused as refused:
            refusal = named_errors(item, refused) or refused.message
        item.refresh_from_db()
    if not saved:
        # The answer as typed, at the version now stored: once reviewed, it can be saved.
        data = request.POST.copy()
        data[f"{item.reference}-version"] = str(item.version)
        form = AnswerForm(
            data, instance=ChecklistItem.objects.get(pk=item.pk), prefix=item.reference
        )
        form.is_valid()
        if refusal:
            form.add_error(None, refusal)
    if not request.htmx:
        if saved:
            messages.success(request, f"{item.reference} saved.")
        else:
            messages.error(request, f"{item.reference} was not saved: {_named(form)}")
        url = reverse("audits:checklist", args=[item.audit.reference])
        return redirect(f"{url}#{item.reference}")
    if saved:
        form = AnswerForm(instance=item, prefix=item.reference)
        form.fields["version"].initial = item.version
    return render(
        request,
        "audits/_checklist_card.html",
        {
            "item": item,
            "form": form,
            "editable": not item.audit.is_locked and not item.edit_refusal_for(request.user),
            "saved": saved,
            "answered": True,
        },
    )  # 200 even when refused: htmx swaps in only successful responses, and the card says why


def _named(form) -> str:
    """The form's errors in a sentence that names each field by its label."""
    return "; ".join(
        f"{form.fields[name].label}: {error}" if name in form.fields else error
        for name, errors in form.errors.items()
        for error in errors
    )


@login_required
def report(request, reference, kind):
    audit = _audit(request, reference)
    name = f"{audit.reference}-audit-report"
    if kind == "docx":
        return download(report_docx(audit), f"{name}.docx", DOCX_TYPE)
    return download(report_pdf(audit), f"{name}.pdf", "application/pdf")


@login_required
def calendar(request):
    """A month of audits, from the first day each runs to the last."""
    audits_seen = AuditRegister.readable_by(request.user).live()
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
        month = int(request.GET.get("month", today.month))
        first = date(year, month, 1) if 1900 <= year <= 2999 else today.replace(day=1)
    except (TypeError, ValueError):
        first = today.replace(day=1)
    last = first.replace(day=month_calendar.monthrange(first.year, first.month)[1])
    planned_in_month = Q(start_date__isnull=True, target_month=first)
    running = Q(start_date__lte=last) & (
        Q(end_date__gte=first) | Q(end_date__isnull=True, start_date__gte=first)
    )
    audits = list(
        audits_seen.filter(running | planned_in_month)
        .exclude(status=Audit.Status.CANCELLED)
        .select_related("owner")
        .order_by("start_date", "pk")
    )
    weeks = []
    for week in month_calendar.Calendar().monthdatescalendar(first.year, first.month):
        weeks.append(
            [
                (
                    day,
                    day.month == first.month,
                    [
                        a
                        for a in audits
                        if a.start_date and a.start_date <= day <= (a.end_date or a.start_date)
                    ],
                )
                for day in week
            ]
        )
    previous = (first.replace(day=1) - timezone.timedelta(days=1)).replace(day=1)
    following = last + timezone.timedelta(days=1)
    counts = dict(
        audits_seen.filter(start_date__year=first.year)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return render(
        request,
        "audits/calendar.html",
        {
            "first": first,
            "weekdays": list(month_calendar.day_abbr),
            "weeks": weeks,
            "unscheduled": [a for a in audits if not a.start_date],
            "previous": previous,
            "following": following,
            "today": today,
            "year_counts": counts,
            "feed_url": reverse("notifications:calendar_link"),
        },
    )
