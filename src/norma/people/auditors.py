"""Auditor qualification (7.2 for auditors, 9.2.2 objectivity): who may audit, and who may lead.

The criteria are settings: an internal auditor holds a valid internal (or lead) auditor course
and has taken part in NORMA_INTERNAL_AUDITOR_AUDITS audits; a lead auditor holds a valid lead
auditor course, has taken part in NORMA_LEAD_AUDITOR_AUDITS audits and has led
NORMA_LEAD_AUDITOR_SUPERVISED_LEADS of them under supervision. Audit experience is recorded
per audit (completed audits add theirs), so the register follows the audits as they happen.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from norma.core.models import Department, Person
from norma.people.models import COUNTS, AuditExperience, Course, TrainingRecord

QUALIFYING = [Course.Qualifies.INTERNAL_AUDITOR, Course.Qualifies.LEAD_AUDITOR]
LEAD, INTERNAL, IN_TRAINING = "lead", "internal", "in_training"
LEVEL_LABELS = {LEAD: "Lead auditor", INTERNAL: "Internal auditor", IN_TRAINING: "In training"}


@dataclass
class Qualification:
    person: Person
    courses: list = field(default_factory=list)  # valid qualifying training records
    audits: int = 0
    led_supervised: int = 0
    led: int = 0
    level: str = IN_TRAINING
    missing: list[str] = field(default_factory=list)

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]

    def holds(self, kind: str) -> bool:
        return any(course.qualifies == kind for course in self.courses)


class HeldCourse(NamedTuple):
    """A valid qualifying training record, as the register of auditors shows it."""

    reference: str
    person_id: int
    title: str
    qualifies: str
    completed_on: date
    expires_on: date | None


def qualifications(today=None, people=None, qualified_only=False) -> list[Qualification]:
    """Everyone with a qualifying course or audit experience (among `people`, when given),
    with where they stand; three queries whatever their number. `qualified_only` leaves out
    early who has too few audits to qualify, without reading their training."""
    today = today or timezone.localdate()
    records = (
        TrainingRecord.objects.live()
        .filter(result__in=COUNTS, course__in=Course.objects.filter(qualifies__in=QUALIFYING))
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gt=today))
        .order_by("completed_on")
        .values_list(
            "reference",
            "person_id",
            "course__title",
            "course__qualifies",
            "completed_on",
            "expires_on",
        )
    )
    counted = AuditExperience.objects.live().filter(status=AuditExperience.Status.COUNTED)
    experience = {
        row["auditor"]: row
        for row in counted.values("auditor").annotate(
            audits=Count("pk"),
            led_supervised=Count("pk", filter=Q(role=AuditExperience.Role.LEAD_SUPERVISED)),
            led=Count("pk", filter=Q(role=AuditExperience.Role.LEAD)),
        )
    }
    if qualified_only:
        enough = min(settings.NORMA_INTERNAL_AUDITOR_AUDITS, settings.NORMA_LEAD_AUDITOR_AUDITS)
        experience = {k: v for k, v in experience.items() if v["audits"] >= enough}
        records = records.filter(person_id__in=list(experience))
    courses: dict[int, list] = {}
    for row in records:
        record = HeldCourse(*row)
        courses.setdefault(record.person_id, []).append(record)
    people = (Person.objects if people is None else people).filter(
        is_active=True, pk__in=set(courses) | set(experience)
    )
    found = []
    people = list(people.only("full_name", "department_id"))
    departments = Department.objects.in_bulk({p.department_id for p in people})
    for person in people:
        person.department = departments.get(person.department_id)
        done = experience.get(person.pk, {})
        qualification = Qualification(
            person,
            courses.get(person.pk, []),
            done.get("audits", 0),
            done.get("led_supervised", 0),
            done.get("led", 0),
        )
        judge(qualification)
        found.append(qualification)
    order = {LEAD: 0, INTERNAL: 1, IN_TRAINING: 2}
    return sorted(found, key=lambda q: (order[q.level], q.person.full_name))


def judge(q: Qualification):
    """Set the level reached and, for the next level, what is still missing."""
    internal_audits = settings.NORMA_INTERNAL_AUDITOR_AUDITS
    lead_audits = settings.NORMA_LEAD_AUDITOR_AUDITS
    supervised = settings.NORMA_LEAD_AUDITOR_SUPERVISED_LEADS
    has_internal_course = q.holds(Course.Qualifies.INTERNAL_AUDITOR) or q.holds(
        Course.Qualifies.LEAD_AUDITOR
    )
    lead_missing = []
    if not q.holds(Course.Qualifies.LEAD_AUDITOR):
        lead_missing.append("a valid lead auditor course")
    if q.audits < lead_audits:
        lead_missing.append(f"{lead_audits - q.audits} more audit(s) of {lead_audits}")
    if q.led_supervised + q.led < supervised:
        lead_missing.append(f"{supervised} audit(s) led under supervision")
    if not lead_missing:
        q.level = LEAD
        return
    internal_missing = []
    if not has_internal_course:
        internal_missing.append("a valid internal auditor course")
    if q.audits < internal_audits:
        internal_missing.append(f"{internal_audits - q.audits} more audit(s) as a team member")
    if internal_missing:
        q.level, q.missing = IN_TRAINING, internal_missing
    else:
        q.level, q.missing = INTERNAL, lead_missing


def qualified_auditors(lead: bool = False) -> list[Person]:
    """The people the audit programme may draw on: qualified internal auditors (or, with
    lead=True, lead auditors)."""
    wanted = {LEAD} if lead else {LEAD, INTERNAL}
    return [q.person for q in qualifications(qualified_only=True) if q.level in wanted]


def may_audit(person, process) -> bool:
    """Objectivity (9.2.2 b): not the process's owner, and not from the department it runs
    in (a process placed in no department runs in its owner's)."""
    owner_department = process.owner.department_id if process.owner_id else None
    return independent(
        person.pk, person.department_id, process.owner_id, process.department_id or owner_department
    )


def independent(auditor_id, auditor_department_id, owner_id, department_id) -> bool:
    """may_audit on plain ids: not the owner, not of the department the process runs in."""
    if owner_id == auditor_id:
        return False
    return not (department_id and department_id == auditor_department_id)


def criteria() -> list[tuple[str, str]]:
    """The rules in words, as configured."""
    return [
        (
            LEVEL_LABELS[INTERNAL],
            "a valid internal (or lead) auditor course and "
            f"{settings.NORMA_INTERNAL_AUDITOR_AUDITS} audits as a team member",
        ),
        (
            LEVEL_LABELS[LEAD],
            f"a valid lead auditor course, {settings.NORMA_LEAD_AUDITOR_AUDITS} audits, "
            f"{settings.NORMA_LEAD_AUDITOR_SUPERVISED_LEADS} of them led under supervision",
        ),
    ]
