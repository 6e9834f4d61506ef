"""Clause checks for management review: 9.3.1 (a review held within the interval, chaired by
top management, its minutes signed), 9.3.2 (every input covered by data) and 9.3.3 (decisions
recorded and followed through)."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from norma.core.models import RoleCode
from norma.core.signatures import signatures_with_status
from norma.documents.models import add_months
from norma.reviews.models import ManagementReview, ReviewDecision, Topic
from norma.standards.readiness import CheckResult, Evidence, Status, clause_check
from norma.standards.readiness import counted as _n


def latest_signed():
    return (
        ManagementReview.objects.live()
        .filter(status=ManagementReview.Status.SIGNED)
        .select_related("chair")
        .order_by("-held_on", "-pk")
        .first()
    )


def _evidence(review=None) -> list[Evidence]:
    if review is None:
        return [Evidence("Management reviews", reverse("reviews:managementreview_list"))]
    url = reverse("reviews:managementreview_detail", args=[review.reference])
    return [Evidence(f"{review.reference} {review.title}", url)]


def _none_signed() -> CheckResult:
    return CheckResult(Status.MISSING, "No management review has signed minutes yet.", _evidence())


@clause_check("9.3.1")
def review_held_at_planned_intervals(person):
    """The latest review was held within the interval, chaired by top management, and its
    signed minutes are unchanged since."""
    review = latest_signed()
    if review is None:
        return _none_signed()
    months = settings.NORMA_REVIEW_INTERVAL_MONTHS
    problems = []
    if review.held_on < add_months(timezone.localdate(), -months):
        problems.append(f"it is more than {months} months old: the next review is overdue")
    if not review.chair.has_role(RoleCode.TOP_MANAGEMENT):
        problems.append(f"its chair, {review.chair.full_name}, is not in top management")
    if not all(holds for _, holds in signatures_with_status(review)):
        problems.append("its minutes were changed after they were signed")
    sentence = f"Last management review {review.held_on:%Y-%m-%d}, chaired by {review.chair}"
    if problems:
        return CheckResult(
            Status.PARTLY_MET, f"{sentence}; {'; '.join(problems)}.", _evidence(review)
        )
    return CheckResult(Status.MET, f"{sentence}; minutes signed.", _evidence(review))


@clause_check("9.3.2")
def every_input_covered(person):
    """Every input 9.3.2 names was in the latest review's pack with data behind it."""
    review = latest_signed()
    if review is None:
        return _none_signed()
    inputs = dict(review.inputs.values_list("topic", "data_missing"))
    uncovered = [label for value, label in Topic.choices if inputs.get(value, True)]
    covered = len(Topic) - len(uncovered)
    sentence = (
        f"Last management review {review.held_on:%Y-%m-%d} covered {covered} of {len(Topic)} "
        "required inputs"
    )
    if uncovered:
        missing = "; ".join(label.lower() for label in uncovered)
        return CheckResult(Status.PARTLY_MET, f"{sentence}; missing: {missing}.", _evidence(review))
    return CheckResult(Status.MET, f"{sentence}.", _evidence(review))


@clause_check("9.3.3")
def decisions_recorded_and_tracked(person):
    """The latest review recorded decisions, and no review decision is overdue."""
    review = latest_signed()
    if review is None:
        return _none_signed()
    decided = review.decisions.live().count()
    overdue = (
        ReviewDecision.objects.live()
        .filter(status=ReviewDecision.Status.OPEN, due_date__lt=timezone.localdate())
        .count()
    )
    evidence = [
        *_evidence(review),
        Evidence("Review decisions", reverse("reviews:reviewdecision_list") + "?status=open"),
    ]
    if not decided:
        return CheckResult(
            Status.PARTLY_MET,
            f"{review.reference} recorded no decision on improvement, changes or resources.",
            evidence,
        )
    sentence = f"{review.reference} recorded {_n(decided, 'decision', 'decisions')}"
    if overdue:
        return CheckResult(
            Status.PARTLY_MET,
            f"{sentence}; {_n(overdue, 'review decision is', 'review decisions are')} overdue.",
            evidence,
        )
    return CheckResult(Status.MET, f"{sentence}; none is overdue.", evidence)
