"""Courses, job roles and requirements that are no longer used; a corrected training date."""

import pytest

from norma.core.actions import ActionRefused, InvalidInput, NotPermitted, UpdateRecord
from norma.people.actions import DropRequirement, IssuePlan, RetireCourse, RetireJobRole
from norma.people.competence import matrix, staff
from norma.people.models import Course, JobRole, Requirement, TrainingAssignment
from tests.factories import PersonFactory
from tests.people.test_training import days_from_now, make_course, make_training


@pytest.fixture
def trainee(db, process_owner):
    return PersonFactory(full_name="Tina Trainee", manager=process_owner)


def test_a_retired_course_keeps_its_record_and_is_no_longer_planned(
    quality_manager, trainee, process_owner
):
    from norma.core.actions import CreateRecord
    from norma.people.models import TrainingPlan

    course = make_course(quality_manager)
    with pytest.raises(InvalidInput):
        RetireCourse(quality_manager, course).execute()  # a reason is required
    with pytest.raises(NotPermitted):
        RetireCourse(process_owner, course, reason="Replaced").execute()
    RetireCourse(quality_manager, course, reason="Replaced by Lathe 2").execute()
    course.refresh_from_db()
    assert course.status == Course.Status.RETIRED
    with pytest.raises(ActionRefused):
        RetireCourse(quality_manager, course, reason="again").execute()
    plan = CreateRecord(
        quality_manager,
        TrainingPlan,
        data={
            "title": "Lathe",
            "course": course,
            "people": [trainee],
            "due_date": days_from_now(9),
        },
    ).execute()
    with pytest.raises(ActionRefused, match="no longer offered"):
        IssuePlan(quality_manager, plan).execute()
    assert not TrainingAssignment.objects.filter(course=course).exists()


def test_a_dropped_requirement_or_a_past_job_role_leaves_the_matrix(quality_manager, trainee):
    from norma.core.actions import CreateRecord

    role = CreateRecord(
        quality_manager, JobRole, data={"title": "Turner", "holders": [trainee]}
    ).execute()
    course = make_course(quality_manager)
    need = CreateRecord(
        quality_manager, Requirement, data={"job_role": role, "kind": "course", "course": course}
    ).execute()
    assert [c.label for c in matrix(staff().filter(pk=trainee.pk)).columns] == ["Lathe basics"]
    DropRequirement(quality_manager, need, reason="No lathes any more").execute()
    assert matrix(staff().filter(pk=trainee.pk)).columns == []
    RetireJobRole(quality_manager, role, reason="Merged into Machinist").execute()
    role.refresh_from_db()
    assert role.status == JobRole.Status.PAST
    assert matrix(staff().filter(pk=trainee.pk)).rows[0].roles == []


def test_a_corrected_training_date_moves_an_expiry_from_the_course_but_not_one_given(
    quality_manager, process_owner, trainee
):
    course = make_course(quality_manager, validity_months=12)
    record = make_training(process_owner, trainee, course, completed_on=days_from_now(-40))
    first = record.expires_on
    UpdateRecord(
        process_owner, record, data={"completed_on": days_from_now(-30)}, expected_version=1
    ).execute()
    record.refresh_from_db()
    assert record.expires_on == course.expiry_from(days_from_now(-30)) != first
    given = days_from_now(100)
    UpdateRecord(process_owner, record, data={"expires_on": given}, expected_version=2).execute()
    UpdateRecord(
        process_owner, record, data={"completed_on": days_from_now(-35)}, expected_version=3
    ).execute()
    record.refresh_from_db()
    assert record.expires_on == given


def test_the_site_wide_search_finds_a_training_record_by_its_reference_only(
    client, quality_manager, process_owner, trainee
):
    record = make_training(process_owner, trainee, make_course(quality_manager))
    client.force_login(quality_manager)
    by_reference = client.get("/search/", {"q": record.reference.lower()}).content.decode()
    assert record.reference in by_reference
    by_name = client.get("/search/", {"q": "Tina Trainee"}).content.decode()
    assert record.reference not in by_name  # 200,000 rows are not scanned for a name
    listed = client.get("/people/training-records/", {"q": "Tina Trainee"}).content.decode()
    assert record.reference in listed  # the register's own search does
