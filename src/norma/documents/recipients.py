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


def department_label(department) -> str:
    if department is None:
        return "No department"
    return f"{department.name} · {department.site.name}" if department.site_id else department.name


def coverage(document: Document, revision: Revision | None):
    """Overall and per department; the people who have not read it yet (late ones marked)."""
    if revision is None:
        return None, [], []
    people = list(recipients_of(document).select_related("department__site"))
    done = set(revision.acknowledgements.values_list("person_id", flat=True))
    overdue = acknowledge_by(revision) < timezone.localdate()
    by_department: dict[str, list] = {}
    for person in people:
        by_department.setdefault(department_label(person.department), []).append(person)
    rows = [
        Coverage(name, len(members), sum(1 for p in members if p.pk in done))
        for name, members in sorted(by_department.items())
    ]
    waiting = [(p, overdue) for p in people if p.pk not in done]
    total = Coverage("All recipients", len(people), sum(1 for p in people if p.pk in done))
    return total, rows, waiting


def overdue_acknowledgements(today=None) -> tuple[int, int]:
    """(readers late, documents concerned) over every revision in force whose reading window
    has closed: four queries, however many documents and people there are."""
    today = today or timezone.localdate()
    window_closed = today - timedelta(days=ack_days())
    revisions = {
        r.document_id: r.pk
        for r in Revision.objects.filter(
            status=Revision.Status.EFFECTIVE,
            effective_date__lt=window_closed,
            document__status=Document.Status.EFFECTIVE,
            document__archived_at__isnull=True,
            document__distribution__isnull=False,
        ).distinct()
    }
    if not revisions:
        return 0, 0
    members: dict[tuple, set] = {}
    for pk, department_id, role in Person.objects.filter(is_active=True).values_list(
        "pk", "department_id", "groups__role__code"
    ):
        members.setdefault(("person", pk), set()).add(pk)
        members.setdefault(("department", department_id), set()).add(pk)
        members.setdefault(("role", role), set()).add(pk)
    readers: dict[int, set] = {}
    for entry in Distribution.objects.filter(document_id__in=list(revisions)):
        target = (
            ("role", entry.role)
            if entry.role
            else ("department", entry.department_id)
            if entry.department_id
            else ("person", entry.person_id)
        )
        readers.setdefault(entry.document_id, set()).update(members.get(target, ()))
    done: dict[int, set] = {}
    for revision_id, person_id in Acknowledgement.objects.filter(
        revision_id__in=list(revisions.values())
    ).values_list("revision_id", "person_id"):
        done.setdefault(revision_id, set()).add(person_id)
    late = [len(people - done.get(revisions[doc], set())) for doc, people in readers.items()]
    return sum(late), sum(1 for n in late if n)
