"""The gap analysis pages: an assessment's results and progress over time, the guided
clause-by-clause questionnaire, and the report as PDF."""

from collections import Counter
from datetime import datetime, time

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from norma.certification.gaps import AddGapAction, previous_answers
from norma.certification.models import GapAction, GapAnswer, GapAssessment
from norma.certification.registers import GapAssessmentRegister
from norma.core.actions import ActionRefused, UpdateRecord
from norma.reports import charts
from norma.reports.frame import print_context
from norma.reports.pdf import pdf_response

A = GapAnswer.Answer
TONE = {A.CONFORM: "ok", A.PARTLY: "warn", A.GAP: "bad", A.NOT_APPLICABLE: "neutral"}


def _answers(assessment):
    return list(assessment.answers.select_related("clause").prefetch_related("actions__owner"))


def _by_chapter(answers) -> list[tuple[str, int | None]]:
    """The score of each chapter (4 to 10), for the bar chart."""
    chapters: dict[str, list] = {}
    for answer in answers:
        chapters.setdefault(answer.clause.ref.split(".")[0], []).append(answer)
    return [
        (f"Clause {chapter}", GapAssessment.score(rows))
        for chapter, rows in sorted(chapters.items(), key=lambda item: int(item[0]))
    ]


def assessment_context(assessment: GapAssessment, person) -> dict:
    answers = _answers(assessment)
    counts = Counter(a.status for a in answers)
    score = assessment.score(answers)
    chapters = _by_chapter(answers)
    runs = list(
        GapAssessmentRegister.queryset_for(person)
        .live()
        .filter(status=GapAssessment.Status.COMPLETED, standard=assessment.standard)
        .order_by("completed_on", "pk")
        .prefetch_related("answers")
    )
    history = [(run, score) for run in runs if (score := run.score(run.answers.all())) is not None]
    actions = [action for a in answers for action in a.actions.all()]
    return {
        "answers": answers,
        "answered": len(answers) - counts[A.UNANSWERED],
        "counts": [
            (label, counts[value], TONE.get(value, "neutral")) for value, label in A.choices
        ],
        "score": score,
        "gaps": [a for a in answers if a.status in GapAnswer.NEEDS_ACTION],
        "gap_actions": actions,
        "open_actions": sum(a.status == GapAction.Status.OPEN for a in actions),
        "chapter_chart": charts.bar_chart(
            [(label, value or 0) for label, value in chapters],
            title="Conformity by clause",
            desc="; ".join(f"{label}: {value} %" for label, value in chapters if value is not None),
            unit="%",
            max_value=100,
        ),
        "history_chart": charts.line_chart(
            [(datetime.combine(run.completed_on, time()), score) for run, score in history],
            title="Gap analysis score over time",
            desc="; ".join(f"{run.completed_on}: {score} %" for run, score in history),
            unit="%",
        )
        if len(history) > 1
        else None,
        "history": history,
        "can_assess": assessment.status == GapAssessment.Status.IN_PROGRESS
        and person.has_perm("certification.change_gapanswer"),
    }


def _assessment(request, reference) -> GapAssessment:
    return get_object_or_404(GapAssessmentRegister.readable_by(request.user), reference=reference)


@login_required
def assess(request, reference):
    """One clause at a time: its summary and audit questions, the previous run's answer,
    the answer, notes and evidence, and an action when it is a gap."""
    assessment = _assessment(request, reference)
    if not request.user.has_perm("certification.change_gapanswer"):
        raise PermissionDenied
    answers = list(assessment.answers.select_related("clause").prefetch_related("actions"))
    if not answers:
        messages.error(request, "This assessment has no clauses to answer.")
        return redirect(assessment_url(assessment))
    wanted = request.GET.get("clause") or request.POST.get("clause")
    current = next((a for a in answers if a.clause.ref == wanted), None) or next(
        (a for a in answers if a.status == A.UNANSWERED), answers[0]
    )
    errors = {}
    if request.method == "POST":
        errors = _save(request, current)
        if not errors:
            at = answers.index(current)
            # The next clause still open after this one, then any left open before it.
            ahead = next(
                (a for a in answers[at + 1 :] + answers[:at] if a.status == A.UNANSWERED), None
            )
            if ahead is None:
                messages.success(request, f"{current.clause.ref} saved.")
                return redirect(f"{request.path}?clause={current.clause.ref}")
            return redirect(f"{request.path}?clause={ahead.clause.ref}")
        current.refresh_from_db()
    earlier = previous_answers(assessment).get(current.clause_id)
    answered = sum(a.status != A.UNANSWERED for a in answers)
    return render(
        request,
        "certification/assess.html",
        {
            "assessment": assessment,
            "answers": answers,
            "current": current,
            "earlier": earlier,
            "answered": answered,
            "choices": [c for c in A.choices if c[0] != A.UNANSWERED],
            "errors": errors,
            "general_errors": [*errors.get("__all__", []), *errors.get("version", [])],
            "action_errors": [
                (key.removeprefix("action_").replace("_", " ").replace("  ", " "), value)
                for key, value in errors.items()
                if key.startswith("action_")
            ],
            "posted": request.POST if errors else None,
            "today": timezone.localdate(),
            "people": _people(),
        },
        status=422 if errors else 200,
    )


def _people(person=None):
    """Who may own a gap action: the organisation's people, not time-boxed guests."""
    from norma.core.models import Person

    return Person.objects.filter(is_active=True, access_expires_at__isnull=True).order_by(
        "full_name"
    )


class ActionFields(forms.Form):
    """The action given with an answer, checked as a form before anything is saved."""

    title = forms.CharField(max_length=250)
    owner = forms.ModelChoiceField(
        queryset=_people(),
        error_messages={
            "required": "Give the action an owner.",
            "invalid_choice": "Choose the owner from the list.",
        },
    )
    due_date = forms.DateField(error_messages={"required": "Give the action a due date."})
    description = forms.CharField(required=False)


def _save(request, answer) -> dict:
    """Save the answer (refusing a stale edit) and the action if one is given: both or
    neither."""
    with transaction.atomic():
        errors = _save_both(request, answer)
        if errors:
            transaction.set_rollback(True)
    return errors


def _save_both(request, answer) -> dict:
    data = {
        "answer": request.POST.get("answer", ""),
        "notes": request.POST.get("notes", ""),
        "evidence": request.POST.get("evidence", ""),
    }
    if not request.POST.get("version"):
        return {"__all__": ["The form does not say which version it was opened at; reload."]}
    fields = None
    if request.POST.get("action_title", "").strip():
        given = {k.removeprefix("action_"): v for k, v in request.POST.items()}
        fields = ActionFields({k: given.get(k, "") for k in ActionFields.base_fields})
        if not fields.is_valid():
            return {f"action_{k}": v for k, v in fields.errors.items()}
    try:
        answer = UpdateRecord(
            request.user, answer, data=data, expected_version=request.POST.get("version")
        ).execute()
    except ActionRefused as refused:
        return refused.errors or {"__all__": [refused.message]}
    if fields is not None:
        try:
            AddGapAction(request.user, data={"answer": answer, **fields.cleaned_data}).execute()
        except ActionRefused as refused:
            errors = refused.errors or {"__all__": [refused.message]}
            return {f"action_{key}": value for key, value in errors.items()}
    return {}


def assessment_url(assessment) -> str:
    return reverse("certification:gapassessment_detail", args=[assessment.reference])


@login_required
def report_pdf(request, reference):
    assessment = _assessment(request, reference)
    context = assessment_context(assessment, request.user)
    frame = print_context(
        reference=assessment.reference,
        revision=f"version {assessment.version}",
        title=f"Gap analysis: {assessment.title}",
    )
    return pdf_response(
        "certification/assessment_print.html",
        {**frame, **context, "assessment": assessment},
        f"{assessment.reference}-gap-analysis.pdf",
    )
