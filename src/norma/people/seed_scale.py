"""Scale data for the people app (`norma seed --scale large`: 200,000 training records).

One department is grown to 500 people, so the competence matrix can be measured at the size
the benchmark names. Rows go in through the import's fast writer, logged one entry each.
"""

from datetime import timedelta

from django.utils import timezone

from norma.core.models import Person
from norma.core.seeding import with_references, write
from norma.people.models import (
    AuditExperience,
    Course,
    JobRole,
    Level,
    Requirement,
    TrainingAssignment,
    TrainingRecord,
)

RECORDS_PER_PERSON = 40
BIG_DEPARTMENT = 500


def seed_people(org) -> dict[str, int]:
    rng, today = org.rng, timezone.localdate()
    people = org.people
    big = org.departments[0]
    grown = [p for p in people[: BIG_DEPARTMENT * 2] if p.department_id != big.pk]
    grown = grown[: BIG_DEPARTMENT - sum(p.department_id == big.pk for p in people)]
    for person in grown:
        person.department, person.site = big, big.site
    Person.objects.bulk_update(grown, ["department", "site"], batch_size=1000)

    course_count = 60
    courses = with_references(
        Course,
        [
            Course(
                title=f"Course {i:03d}",
                status=Course.Status.OFFERED,
                delivery=Course.Delivery.INTERNAL if i % 3 else Course.Delivery.EXTERNAL,
                provider="Training provider",
                validity_months=None if i % 5 == 0 else rng.choice([12, 24, 36]),
                qualifies={1: "internal_auditor", 2: "lead_auditor"}.get(i, ""),
                evaluate_after_days=90,
            )
            for i in range(1, course_count + 1)
        ],
        width=4,
    )
    write(Course, courses)
    roles = with_references(
        JobRole,
        [JobRole(title=f"Job role {i:02d}", status=JobRole.Status.CURRENT) for i in range(40)],
    )
    write(JobRole, roles)
    requirements = []
    for i, role in enumerate(roles):
        for k in range(6):
            course = courses[(i * 3 + k) % course_count]
            requirements.append(
                Requirement(
                    job_role=role,
                    kind=Requirement.Kind.COURSE,
                    course=course,
                    title=course.title,
                    status=Requirement.Status.CURRENT,
                    level=Level.INDEPENDENT,
                )
            )
        requirements.append(
            Requirement(
                job_role=role,
                kind=Requirement.Kind.SKILL,
                title=f"Skill {i % 10}",
                status=Requirement.Status.CURRENT,
                level=Level.INDEPENDENT,
            )
        )
    write(Requirement, with_references(Requirement, requirements))
    holders = JobRole.holders.through
    holders.objects.bulk_create(
        [
            holders(
                jobrole_id=roles[(i % 5) if p.department_id == big.pk else i % 40].pk,
                person_id=p.pk,
            )
            for i, p in enumerate(people)
        ],
        batch_size=2000,
    )
    if org.progress:
        org.progress(f"people: {len(courses)} courses, {len(roles)} job roles")
    records = _training(org, people, courses, roles, big, today)
    assignments = _assignments(org, people, courses, today)
    audits = _audits(org, people, today)
    return {
        "courses": len(courses),
        "job roles": len(roles),
        "training records": records,
        "training assignments": assignments,
        "audit experience": audits,
    }


def _training(org, people, courses, roles, big, today) -> int:
    """Forty records a person over four years, most on their roles' courses."""
    rng = org.rng
    role_courses = {
        i: [courses[(i * 3 + k) % len(courses)] for k in range(6)] for i in range(len(roles))
    }
    total = 0
    batch = []
    for i, person in enumerate(people):
        mine = role_courses[(i % 5) if person.department_id == big.pk else i % 40]
        for k in range(RECORDS_PER_PERSON):
            course = rng.choice(mine) if k % 2 else rng.choice(courses)
            day = today - timedelta(days=k * 36 + rng.randint(1, 35))
            expires = (
                day + timedelta(days=course.validity_months * 30)
                if course.validity_months
                else None
            )
            batch.append(
                TrainingRecord(
                    title=f"{course.title} — {person.full_name}",
                    status=TrainingRecord.Status.EFFECTIVE
                    if k > 3
                    else TrainingRecord.Status.RECORDED,
                    person=person,
                    course=course,
                    completed_on=day,
                    result="failed" if rng.random() < 0.03 else "passed",
                    expires_on=expires,
                    due_date=day + timedelta(days=90) if k <= 3 else None,
                    site=person.site,  # objects, not ids: the change log names them without a query
                    department=person.department,
                )
            )
        if len(batch) >= 20000:
            total += _flush(batch)
            if org.progress:
                org.progress(f"training records: {total}")
    total += _flush(batch)
    return total


def _flush(batch) -> int:
    count = len(batch)
    if count:
        write(TrainingRecord, with_references(TrainingRecord, batch))
        batch.clear()
    return count


def _assignments(org, people, courses, today) -> int:
    objs = [
        TrainingAssignment(
            title=f"{courses[i % len(courses)].title} — {p.full_name}",
            person=p,
            owner=p,
            course=courses[i % len(courses)],
            reason=TrainingAssignment.Reason.GAP,
            due_date=today + timedelta(days=org.rng.randint(-20, 90)),
            site=p.site,
            department=p.department,
            status=TrainingAssignment.Status.OPEN,
        )
        for i, p in enumerate(people)
        if i % 3 == 0
    ]
    write(TrainingAssignment, with_references(TrainingAssignment, objs))
    return len(objs)


def _audits(org, people, today) -> int:
    auditors = people[::25]
    objs = [
        AuditExperience(
            title=f"Audit {i:05d}",
            auditor=auditor,
            role=AuditExperience.Role.TEAM_MEMBER if k else AuditExperience.Role.LEAD,
            audited_on=today - timedelta(days=30 * k + 10),
            status=AuditExperience.Status.COUNTED,
            site=auditor.site,
            department=auditor.department,
        )
        for i, auditor in enumerate(auditors)
        for k in range(i % 7)
    ]
    write(AuditExperience, with_references(AuditExperience, objs))
    return len(objs)
