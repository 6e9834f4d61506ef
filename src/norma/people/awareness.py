"""7.3 awareness: who has acknowledged the quality policy and the quality objectives in force.

The policy and the objectives are the effective documents filed as mandatory documented
information M3 and M4; a person is aware when they have acknowledged the effective revision of
each. Four queries whatever the number of people.
"""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef

from norma.documents.checklist import ChecklistItem
from norma.documents.models import Acknowledgement, Document, Revision

SUBJECTS = {ChecklistItem.M3: "Quality policy", ChecklistItem.M4: "Quality objectives"}


@dataclass
class Standing:
    """One person against the policy and objectives in force."""

    person: object
    missing: list[str] = field(default_factory=list)  # references of revisions not acknowledged

    @property
    def aware(self) -> bool:
        return not self.missing


@dataclass
class Group:
    label: str
    people: list[Standing] = field(default_factory=list)

    @property
    def aware(self) -> int:
        return sum(1 for s in self.people if s.aware)

    @property
    def percent(self) -> int:
        return round(100 * self.aware / len(self.people)) if self.people else 100

    @property
    def unaware(self) -> list[Standing]:
        return [s for s in self.people if not s.aware]


def revisions_in_force():
    """The effective revisions of the policy and objectives documents, with their document."""
    documents = Document.objects.live().filter(
        status=Document.Status.EFFECTIVE, checklist_item__in=list(SUBJECTS)
    )
    ids = list(documents.values_list("pk", flat=True))  # a few: read first, then their revisions
    return list(
        Revision.objects.filter(document_id__in=ids, status=Revision.Status.EFFECTIVE)
        .select_related("document")
        .order_by("document__checklist_item", "document__reference")
    )


def standings(people, revisions=None) -> list[Standing]:
    revisions = revisions_in_force() if revisions is None else revisions
    people = list(people)
    acknowledged = set(
        Acknowledgement.objects.filter(
            revision__in=[r.pk for r in revisions], person_id__in=[p.pk for p in people]
        ).values_list("person_id", "revision_id")
    )
    return [
        Standing(
            person,
            [
                f"{r.document.reference} {r.document.title}"
                for r in revisions
                if (person.pk, r.pk) not in acknowledged
            ],
        )
        for person in people
    ]


def by_department(people) -> list[Group]:
    """Coverage per department (people without one are grouped apart)."""
    groups: dict[object, Group] = {}
    for standing in standings(people.select_related("department__site", "manager")):
        department = standing.person.department
        key = department.pk if department else None
        if key not in groups:
            groups[key] = Group(department.label if department else "No department")
        groups[key].people.append(standing)
    return sorted(groups.values(), key=lambda g: (g.percent, g.label))


def coverage(people, revisions=None) -> tuple[int, int]:
    """(aware, total) over these people (a queryset), counted in the database."""
    revisions = revisions_in_force() if revisions is None else revisions
    aware = people
    for revision in revisions:
        acknowledged = Acknowledgement.objects.filter(revision=revision, person=OuterRef("pk"))
        aware = aware.filter(Exists(acknowledged))
    return aware.count(), people.count()
