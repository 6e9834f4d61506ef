"""Nonconformities in "my tasks" beyond the ones I own: the fixes I am to verify."""

from django.urls import reverse

from norma.core.todo import Task, todo_source
from norma.improvement.models import Nonconformity

LIMIT = 50


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
