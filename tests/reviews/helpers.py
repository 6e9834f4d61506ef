"""Management reviews for tests, made by the real actions: a review planned, its pack built by
the real worker, inputs commented, the meeting held, decisions recorded, the minutes signed."""

import datetime
from datetime import timedelta

from django.utils import timezone

from norma.core.actions import CreateRecord, UpdateRecord
from norma.jobs.management.commands.worker import drain
from norma.reviews import workflow
from norma.reviews.models import ManagementReview, ReviewDecision
from tests.factories import PASSWORD

__all__ = ["PASSWORD"]


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.date:
    return today() + timedelta(days=n)


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def plan_review(actor, chair, **fields) -> ManagementReview:
    data = {
        "title": "Management review",
        "planned_date": days(14),
        "period_start": days(-365),
        "period_end": today(),
        "chair": chair,
        "owner": actor,
        **fields,
    }
    return CreateRecord(actor, ManagementReview, data=data).execute()


def generate_pack(actor, review, django_capture_on_commit_callbacks) -> ManagementReview:
    """Start the pack job, commit, and let the real worker run it."""
    with django_capture_on_commit_callbacks(execute=True):
        workflow.GeneratePack(actor, fresh(review)).execute()
    drain("test-reviews")
    return fresh(review)


def comment_all(actor, review, text="Reviewed."):
    for item in review.inputs.all():
        data = {"comment": text, "missing_acknowledged": item.data_missing}
        UpdateRecord(actor, item, data=data).execute()


def hold(actor, review, attendees, held_on=None) -> ManagementReview:
    data = {"held_on": held_on or today(), "attendees": attendees}
    return workflow.HoldMeeting(actor, fresh(review), data=data).execute()


def decide(actor, review, owner, due_in=30, **fields) -> ReviewDecision:
    data = {
        "review": fresh(review),
        "kind": ReviewDecision.Kind.IMPROVEMENT,
        "title": "Do better",
        "description": "Decided at the review.",
        "owner": owner,
        "due_date": days(due_in),
        **fields,
    }
    return CreateRecord(actor, ReviewDecision, data=data).execute()


def sign(chair, review, password=PASSWORD) -> ManagementReview:
    data = {
        "password": password,
        "minutes": "Every input reviewed.",
        "conclusions": "The QMS is suitable, adequate and effective.",
    }
    return workflow.SignMinutes(chair, fresh(review), data=data).execute()


def signed_review(actor, chair, capture, attendees=None, decisions=1, **fields):
    """A review carried through to signed minutes, with `decisions` decisions owned by `actor`."""
    review = plan_review(actor, chair, **fields)
    review = generate_pack(actor, review, capture)
    comment_all(actor, review)
    hold(actor, review, attendees or [chair])
    for n in range(decisions):
        decide(actor, review, actor, title=f"Decision {n + 1}")
    return sign(chair, review)
