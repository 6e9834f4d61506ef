"""The review's page (the pack as stored, comments, decisions, previous actions), the pack's
progress while it is generated, and the minutes as PDF and DOCX."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.safestring import mark_safe

from norma.jobs.models import Job
from norma.jobs.views import progress_while_running
from norma.reviews.models import ReviewDecision
from norma.reviews.registers import ManagementReviewRegister
from norma.reviews.report import download_minutes


def review_context(review, person) -> dict:
    inputs = list(review.inputs.order_by("position"))
    for item in inputs:
        item.chart_markup = mark_safe(item.chart)  # noqa: S308  built and escaped by reports.charts
        item.refusal = item.signing_refusal()
    decisions = list(review.decisions.live().select_related("owner").order_by("pk"))
    job = pack_job(review)
    can_decide = person.has_perm("reviews.add_reviewdecision") and (
        review.status == review.Status.HELD
    )
    return {
        "inputs": inputs,
        "commented": sum(1 for i in inputs if not i.refusal),
        "decisions": decisions,
        "decision_kinds": ReviewDecision.Kind.choices,
        "pack_job": job,
        "pack_running": bool(job and not job.finished),
        "pack_failed": job.summary.get("error", "")
        if job and job.state == job.State.FAILED
        else "",
        "pack_refusal": review.pack_refusal() if review.pack_generated_at else "",
        # The records named under each input come from every site: shown to those who read
        # every site, counted for everyone.
        "sees_every_site": person.scope.unlimited,
        "can_comment": person.has_perm("reviews.change_reviewinput") and not review.is_locked,
        "add_decision_url": (
            f"{reverse('reviews:reviewdecision_create')}?review={review.pk}" if can_decide else ""
        ),
        "status_url": reverse("reviews:pack_status", args=[review.reference]),
        "pdf_url": reverse("reviews:minutes_pdf", args=[review.reference]),
        "docx_url": reverse("reviews:minutes_docx", args=[review.reference]),
    }


def pack_job(review) -> Job | None:
    return Job.objects.filter(pk=review.pack_job_id).first() if review.pack_job_id else None


def _review(request, reference):
    return get_object_or_404(
        ManagementReviewRegister.readable_by(request.user).select_related("chair"),
        reference=reference,
    )


@login_required
def pack_status(request, reference):
    """Polled while the pack is generated; once it is done the page reloads to show it."""
    review = _review(request, reference)
    job = pack_job(review)
    return progress_while_running(
        request, job, "reviews/_pack_status.html", {"obj": review, "pack_job": job}
    )


@login_required
def minutes(request, reference, kind):
    review = _review(request, reference)
    return download_minutes(review, kind)
