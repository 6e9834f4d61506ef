"""Who must take a course, and keeping assignments in step with the training that is done.

Assignments are written in bulk (a plan or a new revision may reach thousands of people) with
one chained change-log entry each, as the import writes records.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from norma.core.changelog import Change, record_changes, snapshot
from norma.core.models import Person
from norma.core.models.records import reserve_references
from norma.people.models import COUNTS, Requirement, TrainingAssignment, TrainingRecord


def who_needs(course):
    """Active people who must hold the course: the holders of every current job role that
    requires it, and everyone who has taken it before (their training is now out of date)."""
    required = Q(
        job_roles__status="current",
        job_roles__archived_at__isnull=True,
        job_roles__requirements__course=course,
        job_roles__requirements__kind=Requirement.Kind.COURSE,
        job_roles__requirements__status=Requirement.Status.CURRENT,
        job_roles__requirements__archived_at__isnull=True,
    )
    trained = Q(training_records__course=course, training_records__result__in=COUNTS)
    return Person.objects.filter(is_active=True).filter(required | trained).distinct()


def assign(course, people, *, due_date, reason, cause: str = "", skip_current=False) -> int:
    """Give each person an open assignment for the course, unless they have one already (or,
    with skip_current, unless their training on it is still valid). Returns how many."""
    people = list(people)
    ids = {p.pk for p in people}
    already = set(
        TrainingAssignment.objects.filter(
            course=course, status=TrainingAssignment.Status.OPEN, person_id__in=ids
        ).values_list("person_id", flat=True)
    )
    if skip_current:
        already |= current_holders(course, ids)
    wanted = [p for p in people if p.pk not in already]
    if not wanted:
        return 0
    references = iter(reserve_references(TrainingAssignment.reference_prefix, len(wanted)))
    today = timezone.localdate()
    assignments = [
        TrainingAssignment(
            reference=next(references),
            title=f"{course.title} — {person.full_name}"[:250],
            person=person,
            owner=person,
            site_id=person.site_id,
            department_id=person.department_id,
            course=course,
            reason=reason,
            cause=cause[:250],
            assigned_on=today,
            due_date=due_date,
        )
        for person in wanted
    ]
    TrainingAssignment.objects.bulk_create(assignments, batch_size=1000)
    record_changes(
        [Change(a, "create", after=snapshot(a, new_rows=True), reason=cause) for a in assignments]
    )
    return len(assignments)


def current_holders(course, person_ids) -> set[int]:
    """Of these people, those whose training on the course counts and has not expired."""
    today = timezone.localdate()
    return set(
        TrainingRecord.objects.filter(
            course=course, person_id__in=person_ids, result__in=COUNTS, archived_at__isnull=True
        )
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gt=today))
        .values_list("person_id", flat=True)
    )


def reassign_after_revision(document, revision) -> int:
    """A new revision of a document took effect: everyone who needs a course built on it takes
    the course again (read-and-understood training)."""
    due = timezone.localdate() + timedelta(days=settings.NORMA_RETRAINING_DAYS)
    cause = f"Revision {revision.label} of {document.reference} took effect"
    return sum(
        assign(
            course,
            who_needs(course),
            due_date=due,
            reason=TrainingAssignment.Reason.REVISION,
            cause=cause,
        )
        for course in document.courses.filter(status="offered", archived_at__isnull=True)
    )


def complete_assignments(records) -> int:
    """Close the open assignments these training records fulfil: same person and course,
    training that counts, taken on or after the day it was assigned."""
    done = 0
    for record in records:
        if record.result not in COUNTS:
            continue
        open_ones = TrainingAssignment.objects.filter(
            person_id=record.person_id,
            course_id=record.course_id,
            status=TrainingAssignment.Status.OPEN,
            assigned_on__lte=record.completed_on,
        )
        changes = []
        for assignment in open_ones:
            before = snapshot(assignment)
            assignment.status = TrainingAssignment.Status.DONE
            assignment.training_record = record
            assignment.version += 1
            assignment.save(update_fields=["status", "training_record", "version", "updated_at"])
            changes.append(
                Change(assignment, "complete", before=before, after=snapshot(assignment))
            )
        if changes:
            record_changes(changes)
            done += len(changes)
    return done
