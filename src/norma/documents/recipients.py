"""Who must read a document, who has, and what each person still has to acknowledge."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from norma.core.models import Person
from norma.documents.models import Acknowledgement, Distribution, Document, Revision


def ack_days() -> int:
    return settings.NORMA_ACKNOWLEDGE_DAYS


def recipients_q(entries) -> Q:
    """People reached by these distribution entries (roles, departments, named people)."""
    query = Q(pk__in=[])
    roles = [e.role for e in entries if e.role]
    departments = [e.department_id for e in entries if e.department_id]
    people = [e.person_id for e in entries if e.person_id]
    if roles:
        query |= Q(groups__role__code__in=roles)
    if departments:
        query |= Q(department__in=departments)
    if people:
        query |= Q(pk__in=people)
    return query


def recipients_of(document: Document):
    entries = list(document.distribution.all())
    return Person.objects.filter(recipients_q(entries), is_active=True).distinct()


def is_recipient(person, document: Document) -> bool:
    return recipients_of(document).filter(pk=person.pk).exists()


def distributed_to(person) -> Q:
    """Distribution entries that reach this person."""
    return (
        Q(role__in=list(person.role_codes))
        | Q(department_id=person.department_id or -1)
        | Q(person_id=person.pk)
    )


def to_acknowledge(person):
    """Effective revisions distributed to this person that they have not acknowledged yet,
    oldest first, each with its document (three queries whatever the number of documents)."""
    reaching = Distribution.objects.filter(distributed_to(person)).values("document_id")
    acknowledged = Acknowledgement.objects.filter(revision=OuterRef("pk"), person=person)
    return (
        Revision.objects.filter(
            status=Revision.Status.EFFECTIVE,
            document__status=Document.Status.EFFECTIVE,
            document__archived_at__isnull=True,
            document__in=reaching,
        )
        .filter(~Exists(acknowledged))
        .select_related("document")
        .order_by("effective_date", "pk")
    )


def acknowledge_by(revision: Revision):
    start = revision.effective_date or timezone.localdate(revision.created_at)
    return start + timedelta(days=ack_days())


@dataclass
class Coverage:
    """Recipients of the revision in force, and how many have acknowledged it."""

    label: str
    expected: int
    done: int
    late: list = None

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.expected) if self.expected else 100


def coverage(document: Document, revision: Revision | None):
    """Overall and per department; the people who have not read it yet (late ones marked)."""
    if revision is None:
        return None, [], []
    people = list(recipients_of(document).select_related("department__site"))
    done = set(revision.acknowledgements.values_list("person_id", flat=True))
    overdue = acknowledge_by(revision) < timezone.localdate()
    by_department: dict[str, list] = {}
    for person in people:
        by_department.setdefault(str(person.department or "No department"), []).append(person)
    rows = [
        Coverage(name, len(members), sum(1 for p in members if p.pk in done))
        for name, members in sorted(by_department.items())
    ]
    waiting = [(p, overdue) for p in people if p.pk not in done]
    total = Coverage("All recipients", len(people), sum(1 for p in people if p.pk in done))
    return total, rows, waiting


def overdue_acknowledgements(today=None) -> tuple[int, int]:
    """(readers late, documents concerned) over every revision in force whose reading window
    has closed: three queries, however many documents and people there are."""
    today = today or timezone.localdate()
    window_closed = today - timedelta(days=ack_days())
    revisions = {
        r.document_id: r
        for r in Revision.objects.filter(
            status=Revision.Status.EFFECTIVE,
            effective_date__lt=window_closed,
            document__status=Document.Status.EFFECTIVE,
            document__archived_at__isnull=True,
            document__distribution__isnull=False,
        ).distinct()
    }
    entries: dict[int, list] = {}
    for entry in Distribution.objects.filter(document_id__in=list(revisions)):
        entries.setdefault(entry.document_id, []).append(entry)
    people = list(
        Person.objects.filter(is_active=True).values_list(
            "pk", "department_id", "groups__role__code"
        )
    )
    done = set(
        Acknowledgement.objects.filter(revision__in=revisions.values()).values_list(
            "revision_id", "person_id"
        )
    )
    late_readers, late_documents = 0, 0
    for document_id, document_entries in entries.items():
        revision = revisions[document_id]
        readers = {pk for pk, dept, role in people if _reached(document_entries, pk, dept, role)}
        late = sum(1 for pk in readers if (revision.pk, pk) not in done)
        late_readers += late
        late_documents += bool(late)
    return late_readers, late_documents


def _reached(entries, person_id, department_id, role) -> bool:
    return any(
        (e.role and e.role == role)
        or (e.department_id and e.department_id == department_id)
        or (e.person_id == person_id)
        for e in entries
    )
