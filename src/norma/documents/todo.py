"""Documents in "my tasks": revisions waiting for my signature, and revisions distributed to
me that I have not acknowledged yet."""

from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from norma.core.todo import Task, todo_source
from norma.documents import workflow
from norma.documents.models import Document, Revision
from norma.documents.recipients import ack_days, acknowledge_by, to_acknowledge

LIMIT = 50
CANDIDATES = 500  # revisions looked at for the ones waiting for my signature at their step


@todo_source
def documents_to_acknowledge(person) -> list[Task]:
    if not person.has_perm("documents.view_document"):
        return []
    visible = Document.objects.visible_to(person)
    revisions = to_acknowledge(person).filter(document__in=visible)[:LIMIT]
    return [
        Task(
            acknowledge_by(revision),
            revision.document.reference,
            f"{revision.document.title} (revision {revision.label})",
            reverse("documents:document_detail", args=[revision.document.reference]),
            "Read and acknowledge",
            "Not read yet",
        )
        for revision in revisions
    ]


@todo_source
def revisions_to_sign(person) -> list[Task]:
    """Revisions in review where I hold a slot of the step they wait for (four queries)."""
    if not person.has_perm("documents.view_document"):
        return []
    roles = list(person.role_codes)
    could_sign = (
        Q(document__reviewers=person)
        | Q(document__approvers=person)
        | Q(document__document_type__reviewer_role__in=roles)
        | Q(document__document_type__approver_role__in=roles)
    )
    # The few revisions in review first (an index), then who could sign them: joining the
    # people and types over every revision would read the whole table.
    in_review = Revision.objects.filter(status=Revision.Status.IN_REVIEW).values_list(
        "pk", flat=True
    )
    revisions = (
        Revision.objects.filter(could_sign, pk__in=list(in_review[:CANDIDATES]))
        .filter(document__in=Document.objects.visible_to(person).live())
        .exclude(contributors=person)
        .select_related("document__document_type")
        .prefetch_related("decisions")
        .distinct()
        .order_by("submitted_at")[:CANDIDATES]
    )
    tasks = []
    for revision in revisions:
        if len(tasks) == LIMIT:
            break
        step = workflow.current_step(revision)
        if step is None or workflow.signed_this_round(person, revision):
            continue
        if workflow.slot_for(person, revision, step) is None:
            continue
        submitted = timezone.localdate(revision.submitted_at)
        tasks.append(
            Task(
                submitted + timedelta(days=ack_days()),
                revision.document.reference,
                f"{revision.document.title} (revision {revision.label})",
                reverse("documents:document_detail", args=[revision.document.reference]),
                "Review" if step == "review" else "Approve",
                "Waiting for you",
            )
        )
    return tasks
