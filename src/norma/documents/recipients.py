"""Who must read a document, who has, and what each person still has to acknowledge."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from norma.core.models import Person
from norma.core.scope import KINDS, Scope, places_of
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


def may_read(document: Document) -> Q:
    """People who may open this document: the right to read documents, and a site and
    department scope that admits it (core.scope, written as a condition on people)."""
    rights = Q(is_superuser=True) | Q(
        groups__permissions__codename="view_document",
        groups__permissions__content_type__app_label="documents",
    )
    access = Q(access_expires_at__isnull=True) | Q(access_expires_at__gt=timezone.now())
    query = Q(is_active=True) & access & rights
    for kind in KINDS:
        if places := places_of(document, kind):
            limits = f"scope_{kind}s"
            query &= (
                Q(is_superuser=True)
                | Q(**{f"{limits}__isnull": True})
                | Q(**{f"{limits}__in": places})
            )
    return query


def recipients_of(document: Document):
    """Everyone the distribution reaches who may also open the document."""
    entries = list(document.distribution.all())
    reached = Person.objects.filter(recipients_q(entries)).values("pk")
    return Person.objects.filter(may_read(document), pk__in=reached).distinct()


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
    reaching = list(
        Distribution.objects.filter(distributed_to(person)).values_list("document_id", flat=True)
    )  # as values, so SQLite starts from these few documents, not from every revision
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

    @property
    def waiting(self) -> int:
        return self.expected - self.done

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.expected) if self.expected else 100


WAITING_SHOWN = 100  # names listed on the page; the counts cover everyone


def coverage(document: Document, revision: Revision | None):
    """Overall and per department, and the first people who have not read it yet (each with
    whether they are late). Reads names and departments only, not whole people."""
    if revision is None:
        return None, [], []
    readers = recipients_of(document).values_list(
        "pk", "department__name", "department__site__name"
    )
    done = set(revision.acknowledgements.values_list("person_id", flat=True))
    overdue = acknowledge_by(revision) < timezone.localdate()
    by_department: dict[str, list[int]] = {}
    waiting = []
    for pk, department, site in readers.order_by("full_name", "pk"):
        label = " · ".join(part for part in (department, site) if part) or "No department"
        counts = by_department.setdefault(label, [0, 0])
        counts[0] += pk in done
        counts[1] += 1
        if pk not in done and len(waiting) < WAITING_SHOWN:
            waiting.append(pk)
    rows = [
        Coverage(label, expected, read) for label, (read, expected) in sorted(by_department.items())
    ]
    expected = sum(c.expected for c in rows)
    total = Coverage("All recipients", expected, sum(c.done for c in rows))
    people = Person.objects.in_bulk(waiting)
    return total, rows, [(people[pk], overdue) for pk in waiting]


def overdue_acknowledgements(today=None) -> tuple[int, int]:
    """(readers late, documents concerned) over every revision in force whose reading window
    has closed. A fixed number of queries, however many documents and people there are; the
    readers are those `recipients_of` finds, worked out in memory."""
    today = today or timezone.localdate()
    window_closed = today - timedelta(days=ack_days())
    # The distributed documents first (few, beside every revision), as values: a subquery
    # leaves SQLite free to walk all the revisions instead.
    distributed = list(Distribution.objects.values_list("document_id", flat=True).distinct())
    in_force = {
        row["document_id"]: row
        for row in Revision.objects.filter(
            document__in=distributed,
            status=Revision.Status.EFFECTIVE,
            effective_date__lt=window_closed,
            document__status=Document.Status.EFFECTIVE,
            document__archived_at__isnull=True,
        ).values("pk", "document_id")
    }
    if not in_force:
        return 0, 0
    people = People()
    places = {kind: _places(kind, list(in_force)) for kind in KINDS}
    readers: dict[int, set] = {}
    for entry in Distribution.objects.filter(document_id__in=list(in_force)):
        readers.setdefault(entry.document_id, set()).update(people.reached_by(entry))
    done: dict[int, set] = {}
    revision_ids = [row["pk"] for row in in_force.values()]
    for revision_id, person_id in Acknowledgement.objects.filter(
        revision_id__in=revision_ids
    ).values_list("revision_id", "person_id"):
        done.setdefault(revision_id, set()).add(person_id)
    late = []
    for document_id, reached in readers.items():
        row = in_force[document_id]
        allowed = people.may_read(
            places["site"].get(document_id, frozenset()),
            places["department"].get(document_id, frozenset()),
        )
        late.append(len((reached & allowed) - done.get(row["pk"], set())))
    return sum(late), sum(1 for n in late if n)


def _places(kind: str, document_ids: list[int]) -> dict[int, frozenset]:
    """The sites (or departments) of these documents, in one query."""
    field = Document._meta.get_field(f"{kind}s")
    found: dict[int, set] = {}
    rows = field.remote_field.through.objects.filter(document_id__in=document_ids)
    for document_id, target in rows.values_list("document_id", f"{kind}_id"):
        found.setdefault(document_id, set()).add(target)
    return {pk: frozenset(targets) for pk, targets in found.items()}


class People:
    """Every active person's roles, department, rights and scope, read once (four queries)."""

    def __init__(self):
        self.groups: dict[tuple, set] = {}
        for pk, department_id, role in Person.objects.filter(is_active=True).values_list(
            "pk", "department_id", "groups__role__code"
        ):
            self.groups.setdefault(("person", pk), set()).add(pk)
            self.groups.setdefault(("department", department_id), set()).add(pk)
            self.groups.setdefault(("role", role), set()).add(pk)
        readers = Person.objects.filter(may_read(Document())).distinct()
        self.scopes = Scope.for_people(dict(readers.values_list("pk", "is_superuser")))

    def reached_by(self, entry) -> set:
        if entry.role:
            return self.groups.get(("role", entry.role), set())
        if entry.department_id:
            return self.groups.get(("department", entry.department_id), set())
        return self.groups.get(("person", entry.person_id), set())

    def may_read(self, site_ids: frozenset, department_ids: frozenset) -> set:
        """Readers whose scope admits a document at these sites and departments."""
        return {
            pk for pk, scope in self.scopes.items() if scope.allows_places(site_ids, department_ids)
        }
