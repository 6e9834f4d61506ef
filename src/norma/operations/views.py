"""Pages of the operations app beyond its registers: what an instrument's, a supplier's and
a survey's pages show, survey responses entered or imported, and the feedback dashboard."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from norma.core.actions import ActionRefused
from norma.core.models import Attachment
from norma.core.views.registers import named_errors
from norma.improvement.models import Nonconformity
from norma.operations.feedback import AddSurveyResponses
from norma.operations.models import Calibration, Survey, SurveyResponse
from norma.operations.trends import FeedbackBoard, months_asked
from norma.reports import charts

HISTORY = 24


def files_of(model, records) -> dict[int, list]:
    """The files attached to each of `records`, in one query."""
    rows = Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id__in=[str(r.pk) for r in records],
    ).order_by("id")
    files: dict[int, list] = {}
    for attachment in rows:
        files.setdefault(int(attachment.object_id), []).append(attachment)
    return files


def instrument_context(instrument, person) -> dict:
    calibrations = list(
        instrument.calibrations.visible_to(person).order_by("-performed_on", "-id")[:HISTORY]
    )
    files = files_of(Calibration, calibrations)
    for calibration in calibrations:
        calibration.files = files.get(calibration.pk, [])
    new = reverse("operations:calibration_create")
    return {
        "calibrations": calibrations,
        "record_calibration_url": f"{new}?instrument={instrument.pk}",
        "can_calibrate": person.has_perm("operations.add_calibration")
        and instrument.status != instrument.Status.RETIRED,
        "open_impact": [c for c in calibrations if c.status == Calibration.Status.IMPACT_OPEN],
    }


def supplier_context(supplier, person) -> dict:
    evaluations = list(
        supplier.evaluations.visible_to(person).live().order_by("-evaluated_on", "-id")[:HISTORY]
    )
    tones = {"approve": "ok", "conditional": "warn", "fail": "bad"}
    trend = [
        (e.evaluated_on.isoformat(), float(e.score or 0), tones.get(e.outcome, "neutral"))
        for e in evaluations[:8]
    ]
    supplier_type = ContentType.objects.get_for_model(supplier)
    raised = Nonconformity.objects.visible_to(person).filter(
        origin_type=supplier_type, origin_id=str(supplier.pk)
    )
    scars = list(supplier.scars.visible_to(person).select_related("nonconformity").order_by("-id"))
    linked = [scar.nonconformity_id for scar in scars if scar.nonconformity_id]
    readable = set(
        Nonconformity.objects.visible_to(person).filter(pk__in=linked).values_list("pk", flat=True)
    )
    for scar in scars:  # a nonconformity placed elsewhere is not named
        scar.readable_nonconformity = (
            scar.nonconformity if scar.nonconformity_id in readable else None
        )
    return {
        "evaluations": evaluations,
        "score_chart": charts.bar_chart(
            trend, title=f"Latest evaluation scores of {supplier.title}", max_value=100
        )
        if trend
        else "",
        "certificates": list(
            supplier.certificates.visible_to(person).live().order_by("-expires_on")
        ),
        "scars": scars,
        "nonconformities": list(raised.order_by("-id")[:HISTORY]),
        "links": {
            "evaluate": f"{reverse('operations:supplierevaluation_create')}?supplier={supplier.pk}",
            "certificate": (
                f"{reverse('operations:suppliercertificate_create')}?supplier={supplier.pk}"
            ),
            "scar": f"{reverse('operations:scar_create')}?supplier={supplier.pk}",
        },
        "can": {
            "evaluate": person.has_perm("operations.add_supplierevaluation"),
            "certificate": person.has_perm("operations.add_suppliercertificate"),
            "scar": person.has_perm("operations.add_scar"),
        },
    }


class DescribedForm(forms.Form):
    """Each field's help text is announced with it by screen readers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"{self.auto_id % name}-help"


class ResponseForm(DescribedForm):
    satisfaction = forms.IntegerField(
        required=False, min_value=1, max_value=5, help_text="1 (very dissatisfied) to 5."
    )
    recommend = forms.IntegerField(
        label="Likely to recommend",
        required=False,
        min_value=0,
        max_value=10,
        help_text="0 (not at all) to 10.",
    )
    customer = forms.CharField(
        required=False, max_length=250, help_text="Reference or name; may be left empty."
    )
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ImportForm(DescribedForm):
    file = forms.FileField(
        label="CSV file", help_text="Columns: satisfaction, recommend, customer, comment."
    )


def survey_context(survey, person) -> dict:
    distribution = dict(
        survey.responses.exclude(satisfaction__isnull=True)
        .values_list("satisfaction")
        .annotate(n=Count("pk"))
    )
    recommend = dict(
        survey.responses.exclude(recommend__isnull=True)
        .values_list("recommend")
        .annotate(n=Count("pk"))
    )
    groups = [
        ("Detractors (0–6)", sum(n for score, n in recommend.items() if score <= 6), "bad"),
        ("Passives (7–8)", sum(n for score, n in recommend.items() if 7 <= score <= 8), "warn"),
        ("Promoters (9–10)", sum(n for score, n in recommend.items() if score >= 9), "ok"),
    ]
    return {
        "satisfaction_chart": charts.bar_chart(
            [(f"{score} of 5", distribution.get(score, 0)) for score in range(5, 0, -1)],
            title="Satisfaction scores",
        )
        if distribution
        else "",
        "nps_chart": charts.bar_chart(groups, title="Likelihood to recommend") if recommend else "",
        "recent": list(
            SurveyResponse.objects.filter(survey=survey)
            .select_related("customer")
            .order_by("-id")[:10]
        ),
        "response_form": ResponseForm(auto_id="response-%s"),
        "import_form": ImportForm(auto_id="import-%s"),
        "can_add": AddSurveyResponses(person, survey).is_allowed(),
    }


@require_POST
@login_required
def survey_responses(request, reference):
    """Add one response from the form, or import a CSV of them, to an open survey."""
    survey = _survey(request, reference)
    if "file" in request.FILES:
        data = {"file": request.FILES["file"]}
    else:
        form = ResponseForm(request.POST)
        if not form.is_valid():
            messages.error(request, _form_errors(form))
            return redirect("operations:survey_detail", reference)
        data = form.cleaned_data
    action = AddSurveyResponses(
        request.user, survey, data=data, expected_version=request.POST.get("version") or None
    )
    try:
        action.execute()
    except ActionRefused as refused:
        detail = named_errors(SurveyResponse, refused)  # the row's columns, by their names
        messages.error(
            request, detail if refused.message in detail else f"{refused.message} {detail}"
        )
    else:
        count = action.added
        messages.success(request, f"{count} response{'s' if count != 1 else ''} added.")
    return redirect("operations:survey_detail", reference)


def _survey(request, reference) -> Survey:
    from norma.operations.registers import SurveyRegister

    return get_object_or_404(SurveyRegister.readable_by(request.user), reference=reference)


def _form_errors(form) -> str:
    return "; ".join(
        f"{form.fields[name].label or name.capitalize()}: {' '.join(errors)}"
        for name, errors in form.errors.items()
    )


@login_required
def feedback_dashboard(request):
    if not request.user.has_perm("operations.view_complaint"):
        raise PermissionDenied
    months = months_asked(request.GET.get("months"))
    board = FeedbackBoard(request.user, months)
    return render(request, "operations/feedback.html", {"board": board, "months": months})
