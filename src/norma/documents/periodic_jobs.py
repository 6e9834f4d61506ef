"""Document jobs `norma worker` runs on a schedule (found by norma.jobs.periodic)."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from norma.core.changelog import record_change, snapshot
from norma.core.events import publish
from norma.documents import workflow
from norma.documents.models import Document, Revision
from norma.jobs.periodic import periodic


def make_due_revisions_effective(today=None) -> int:
    """Approved revisions whose effective date has come take effect (one transaction each)."""
    today = today or timezone.localdate()
    due = Revision.objects.filter(
        status=Revision.Status.APPROVED,
        effective_date__lte=today,
        document__archived_at__isnull=True,
    ).values_list("document_id", flat=True)
    count = 0
    for document_id in list(due):
        with transaction.atomic():
            document = Document.objects.select_for_update().get(pk=document_id)
            revision = document.revisions.filter(status=Revision.Status.APPROVED).first()
            if revision is None or revision.effective_date > today:
                continue  # another worker got there first
            before = {**snapshot(document), "revision": snapshot(revision)}
            workflow.make_effective(document, revision, today)
            document.version += 1
            document.save()
            after = {**snapshot(document), "revision": snapshot(revision)}
            entry = record_change(document, "effective", before=before, after=after)
            transaction.on_commit(lambda entry=entry, document=document: publish(entry, document))
            count += 1
    return count


@periodic("documents.effective", every=timedelta(hours=1), title="Revisions taking effect")
def revisions_taking_effect(job):
    """7.5.3.1: the approved revision is the one in use from its effective date."""
    count = make_due_revisions_effective()
    job.log(f"{count} revision{'s' if count != 1 else ''} took effect.")
    return {"took_effect": count}
