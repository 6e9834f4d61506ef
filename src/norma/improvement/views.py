"""Pages of the improvement app beyond its registers: the short report form anyone can use,
a nonconformity's analysis on its page, and the dashboard."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse

from norma.core.actions import ActionRefused
from norma.core.registers import RecordForm, registry
from norma.core.templatetags.norma import record_url
from norma.improvement import dashboard
from norma.improvement.actions import ReportNonconformity
from norma.improvement.analysis import AddCause, RecordEightDStep, alike, fishbone_bones
from norma.improvement.models import Category, CorrectiveAction, Nonconformity, Source
from norma.reports.charts import fishbone


class ReportForm(RecordForm):
    """What someone on the shop floor can say in thirty seconds, on a phone."""

    photo = forms.FileField(required=False, label="Photo or file")

    class Meta:
        model = Nonconformity
        fields = ["title", "description", "source", "kind", "process", "product", "site"]
        labels = {"title": "What went wrong, in a line", "kind": "Type (if you know)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["description"].required = False  # the line above is enough to start


@login_required
def report(request):
    if not request.user.has_perm("improvement.add_nonconformity"):
        raise PermissionDenied
    origin = origin_from(request.GET.get("origin", ""), request.user)
    initial = {"site": request.user.site_id, "source": Source.PROCESS}
    form = ReportForm(
        request.POST or None, request.FILES or None, person=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in ReportForm.Meta.fields}
        data["description"] = data["description"] or data["title"]
        if origin is not None:
            data["origin"] = origin
        if form.cleaned_data["photo"]:
            data["photo"] = form.cleaned_data["photo"]
        try:
            nc = ReportNonconformity(request.user, data=data).execute()
        except ActionRefused as refused:
            for name, errors in refused.errors.items():
                form.add_error(name if name in form.fields else None, errors)
            if not refused.errors:
                form.add_error(None, refused.message)
        else:
            messages.success(request, f"{nc.reference} reported: the quality team will triage it.")
            if request.user.has_perm("improvement.view_nonconformity"):
                return redirect("improvement:nonconformity_detail", nc.reference)
            return redirect("home")
    status = 422 if form.errors else 200
    return render(
        request, "improvement/report.html", {"form": form, "origin": origin}, status=status
    )


def origin_from(text: str, person):
    """The record named by 'app.model:REFERENCE' (a KPI, an audit finding), if the person
    may read it; a report made from that record's page links back to it."""
    label, _, reference = text.partition(":")
    app_label, _, model_name = label.partition(".")
    try:
        model = ContentType.objects.get_by_natural_key(app_label, model_name).model_class()
    except ContentType.DoesNotExist:
        return None
    return readable(model, person, reference=reference)


def origin_link(obj, person):
    """The origin record and the URL of its page, when the person may read it."""
    if not obj.origin_type_id:
        return None, ""
    origin = readable(obj.origin_type.model_class(), person, pk=obj.origin_id)
    return (origin, record_url(origin)) if origin is not None else (None, "")


def readable(model, person, **lookup):
    """The record of a register matching `lookup`, if the person may read it; else None."""
    declared = registry.for_model(model)
    if declared is None or not person.has_perm(declared.permission("view")):
        return None
    return declared.queryset_for(person).filter(**lookup).first()


def nonconformity_context(nc, person) -> dict:
    from norma.improvement.registers import CorrectiveActionRegister, NonconformityRegister

    actions = (
        CorrectiveActionRegister.queryset_for(person)
        .filter(nonconformity=nc)
        .order_by("analysis_round", "kind", "id")
    )
    causes = list(nc.causes.all())
    current = [c for c in causes if c.analysis_round == nc.analysis_round]
    origin, origin_url = origin_link(nc, person)
    steps = list(nc.eight_d_steps.select_related("done_by")) if nc.method == "eight_d" else []
    visible = NonconformityRegister.queryset_for(person)
    context = {
        "repeat_of": visible.filter(pk=nc.repeat_of_id).first() if nc.repeat_of_id else None,
        "corrective_actions": actions,
        "causes": current,
        "earlier_causes": [c for c in causes if c.analysis_round != nc.analysis_round],
        "steps": steps,
        "next_discipline": next((s.discipline for s in steps if not s.done_on), None),
        "verifications": nc.verifications.select_related("verified_by"),
        "alike": alike(nc, person),
        "origin": origin,
        "origin_url": origin_url,
        "categories": Category.choices,
        "step_index": Nonconformity.Status.values.index(nc.status),
        "can_analyse": AddCause(person, nc).is_allowed(),
        "can_record_8d": RecordEightDStep(person, nc).is_allowed(),
        "can_add_action": nc.is_open and person.has_perm("improvement.add_correctiveaction"),
        "add_action_url": reverse("improvement:correctiveaction_create"),
        "action_kinds": CorrectiveAction.Kind.choices,
    }
    if nc.method == Nonconformity.Method.ISHIKAWA:
        context["fishbone"] = fishbone(
            fishbone_bones(nc),
            effect=nc.title,
            title=f"Fishbone of {nc.reference}",
        )
    return context


@login_required
def dashboard_page(request):
    if not request.user.has_perm("improvement.view_nonconformity"):
        raise PermissionDenied
    months = dashboard.months_asked(request.GET.get("months"))
    return render(
        request,
        "improvement/dashboard.html",
        {"board": dashboard.Board(request.user, months), "months": months},
    )
