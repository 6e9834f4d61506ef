"""Nonconformities in "my tasks" beyond the ones I own: reports waiting for the quality
team's triage, and the fixes I am to verify."""

from datetime import timedelta

from django.urls import reverse

from norma.core.todo import Task, todo_source
from norma.improvement.models import Nonconformity

LIMIT = 50
TRIAGE_DAYS = 2  # a report is triaged within two days of the problem being found


@todo_source
def reports_to_triage(person) -> list[Task]:
    if not person.has_perm("improvement.triage_nonconformity"):
        return []
    waiting = (
        Nonconformity.objects.visible_to(person)
        .live()
        .filter(status=Nonconformity.Status.REPORTED)
        .order_by("detected_on", "id")[:LIMIT]
    )
    return [
        Task(
            nc.detected_on + timedelta(days=TRIAGE_DAYS),
            nc.reference,
            nc.title,
            reverse("improvement:nonconformity_detail", args=[nc.reference]),
            "Triage a reported problem",
            nc.get_status_display(),
        )
        for nc in waiting
    ]


@todo_source
def fixes_to_verify(person) -> list[Task]:
    if not person.has_perm("improvement.verify_nonconformity"):
        return []
    waiting = (
        Nonconformity.objects.visible_to(person)
        .live()
        .filter(status=Nonconformity.Status.VERIFICATION, verifier=person)
        .order_by("verification_due")[:LIMIT]
    )
    return [
        Task(
            nc.verification_due,
            nc.reference,
            nc.title,
            reverse("improvement:nonconformity_detail", args=[nc.reference]),
            "Verify that a fix worked",
            nc.get_status_display(),
        )
        for nc in waiting
    ]
