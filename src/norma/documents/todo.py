"""Documents in "my tasks": revisions distributed to me that I have not acknowledged yet."""

from django.urls import reverse

from norma.core.todo import Task, todo_source
from norma.documents.models import Document
from norma.documents.recipients import acknowledge_by, to_acknowledge

LIMIT = 50


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
