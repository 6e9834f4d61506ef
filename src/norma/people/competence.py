"""Where each person stands against the requirements of their job roles (7.2).

`matrix(people)` reads everything in six queries, whatever the number of people: the people,
their current job roles, those roles' requirements, the latest counting training per person
and course, the latest valid assessment per person and requirement, and open assignments.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Count, Max, Q
from django.utils import timezone

from norma.core.models import Department
from norma.people.models import (
    COUNTS,
    Assessment,
    JobRole,
    Requirement,
    TrainingAssignment,
    TrainingRecord,
)


class State(models.TextChoices):
    MET = "met", "Met"
    EXPIRING = "expiring", "Expiring"
    EXPIRED = "expired", "Expired"
    MISSING = "missing", "Missing"


GAPS = (State.EXPIRED, State.MISSING)


@dataclass(frozen=True)
class Column:
    """One thing required: a course (however many roles ask for it) or another requirement."""

    key: tuple
    label: str
    kind: str
    course_id: int | None
    level: int | None
    requirement_ids: tuple


@dataclass
class Cell:
    state: str
    until: date | None = None  # expiry of the evidence
    evidence: str = ""  # the reference of the record that shows it
    planned: date | None = None  # an open assignment's due date, when a gap has a plan

    @property
    def label(self) -> str:
        return State(self.state).label

    @property
    def is_gap(self) -> bool:
        return self.state in GAPS


@dataclass
class Row:
    person: object
    roles: list
    cells: list = field(default_factory=list)  # one per column; None where not required

    @property
    def gaps(self) -> int:
        return sum(1 for c in self.cells if c and c.is_gap)


@dataclass
class Matrix:
    columns: list[Column]
    rows: list[Row]

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(State.values, 0)
        for row in self.rows:
            for cell in row.cells:
                if cell:
                    counts[cell.state] += 1
        return counts

    def gaps(self) -> list[tuple[Column, list[tuple[object, Cell]]]]:
        """Who needs what: each column with the people who lack it (expired or missing)."""
        found = []
        for index, column in enumerate(self.columns):
            lacking = [
                (row.person, row.cells[index])
                for row in self.rows
                if row.cells[index] and row.cells[index].is_gap
            ]
            if lacking:
                found.append((column, lacking))
        return found


def current_roles():
    return JobRole.objects.live().filter(status=JobRole.Status.CURRENT)


# What the matrix and the pages built on it read of a person (whole Person rows cost more to
# build than everything else the matrix does).
PERSON_FIELDS = ("full_name", "job_title", "department_id")


def matrix(people, today: date | None = None) -> Matrix:
    """The competence matrix of these people (a queryset, read here)."""
    today = today or timezone.localdate()
    soon = today + timedelta(days=settings.NORMA_EXPIRING_DAYS)
    people_list = list(people.only(*PERSON_FIELDS))
    departments = Department.objects.select_related("site").in_bulk(
        {p.department_id for p in people_list if p.department_id}
    )
    for person in people_list:  # each department built once, not once per person
        person.department = departments.get(person.department_id)
    ids = people.values("pk")
    held = JobRole.holders.through.objects.filter(
        person_id__in=ids, jobrole__in=current_roles()
    ).values_list("person_id", "jobrole_id")
    roles_of: dict[int, list[int]] = {}
    for person_id, role_id in held:
        roles_of.setdefault(person_id, []).append(role_id)
    role_ids = {r for found in roles_of.values() for r in found}
    roles = {r.pk: r for r in current_roles().filter(pk__in=role_ids).only("title", "reference")}
    requirements = list(
        Requirement.objects.live()
        .filter(status=Requirement.Status.CURRENT, job_role_id__in=role_ids)
        .select_related("course")
        .order_by("kind", "title", "pk")
    )
    columns, column_of, needs = _columns(requirements)
    trained = _latest_training(ids, {c.course_id for c in columns if c.kind == "course"})
    assessed = _latest_assessments(ids, [r.pk for r in requirements])
    planned = _open_assignments(ids)
    rows = []
    for person in people_list:
        mine = sorted((roles[r] for r in roles_of.get(person.pk, ())), key=lambda r: r.title)
        wanted = {column_of[r] for role in mine for r in needs.get(role.pk, ())}
        cells = [
            _cell(column, person.pk, trained, assessed, planned, today, soon)
            if column.key in wanted
            else None
            for column in columns
        ]
        rows.append(Row(person, mine, cells))
    return Matrix(columns, rows)


def _columns(requirements):
    """Columns in a stable order; a course asked for by several roles is one column."""
    grouped: dict[tuple, list] = {}
    for requirement in requirements:
        if requirement.kind == Requirement.Kind.COURSE:
            key = ("course", requirement.course_id)
        else:
            key = ("requirement", requirement.kind, requirement.title.casefold(), requirement.level)
        grouped.setdefault(key, []).append(requirement)
    columns, column_of, needs = [], {}, {}
    for key, members in grouped.items():
        first = members[0]
        columns.append(
            Column(
                key=key,
                label=first.label,
                kind=first.kind,
                course_id=first.course_id,
                level=None if first.kind == Requirement.Kind.COURSE else first.level,
                requirement_ids=tuple(r.pk for r in members),
            )
        )
        for requirement in members:
            column_of[requirement.pk] = key
            needs.setdefault(requirement.job_role_id, []).append(requirement.pk)
    return columns, column_of, needs


def _latest_training(people_ids, course_ids) -> dict:
    """(person, course) → the last day of the training that lasts longest (None: for good),
    worked out in the database, one row per person and course."""
    rows = (
        TrainingRecord.objects.live()
        .filter(person_id__in=people_ids, course_id__in=course_ids, result__in=COUNTS)
        .values("person_id", "course_id")
        .annotate(until=Max("expires_on"), lasting=Count("pk", filter=Q(expires_on__isnull=True)))
        .values_list("person_id", "course_id", "until", "lasting")
        .order_by()
    )
    return {(p, c): (None if lasting else until) for p, c, until, lasting in rows}


def _latest_assessments(people_ids, requirement_ids) -> dict:
    """(person, requirement) → (level, valid_until, reference) of the latest assessment."""
    latest = {}
    rows = (
        Assessment.objects.live()
        .filter(
            person_id__in=people_ids,
            requirement_id__in=requirement_ids,
            status=Assessment.Status.VALID,
        )
        .order_by("assessed_on", "pk")
        .values_list("person_id", "requirement_id", "level", "valid_until", "reference")
    )
    for person_id, requirement_id, level, valid_until, reference in rows:
        latest[(person_id, requirement_id)] = (level, valid_until, reference)
    return latest


def _open_assignments(people_ids) -> dict:
    """(person, course) → the earliest due date of an open assignment."""
    due = {}
    rows = (
        TrainingAssignment.objects.live()
        .filter(person_id__in=people_ids, status=TrainingAssignment.Status.OPEN)
        .values_list("person_id", "course_id", "due_date")
    )
    for person_id, course_id, due_date in rows:
        key = (person_id, course_id)
        due[key] = min(due.get(key, due_date), due_date)
    return due


def _cell(column, person_id, trained, assessed, planned, today, soon) -> Cell:
    if column.kind == Requirement.Kind.COURSE:
        key = (person_id, column.course_id)
        cell = _dated(trained[key], "", today, soon) if key in trained else Cell(State.MISSING)
    else:
        found = [assessed[k] for r in column.requirement_ids if (k := (person_id, r)) in assessed]
        level, until, reference = max(found, key=lambda a: a[0]) if found else (0, None, "")
        if level >= column.level:
            cell = _dated(until, reference, today, soon)
        else:
            cell = Cell(State.MISSING, evidence=reference)
    if column.course_id:  # a gap's plan, or a course to take again after a new revision
        cell.planned = planned.get((person_id, column.course_id))
    return cell


def _dated(until, reference, today, soon) -> Cell:
    if until is None or until > soon:
        return Cell(State.MET, until, reference)
    if until > today:
        return Cell(State.EXPIRING, until, reference)
    return Cell(State.EXPIRED, until, reference)


def outsiders():
    """The ids of the registrar's auditors (used as a subquery, or read into a list where
    SQLite plans a list better)."""
    from norma.core.models import Person, RoleCode

    return Person.objects.filter(groups__role__code=RoleCode.EXTERNAL_AUDITOR).values_list(
        "pk", flat=True
    )


def staff():
    """The people who work under the organisation's control: active, and not the registrar's
    auditors (who are given time-boxed access to look, not a job here)."""
    from norma.core.models import Person

    return Person.objects.filter(is_active=True).exclude(pk__in=outsiders())
