"""7.2 training: the course catalogue, training records and whether they worked, training
plans and the assignments they give people, re-training when a linked document is revised,
and training records imported from a spreadsheet.

Unless a test says otherwise, Tina Trainee works for Owen Owner (a process owner), who records
her training and judges whether it worked; the catalogue belongs to Quinn Quality.
"""

import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from norma.core.actions import (
    ActionRefused,
    ArchiveRecord,
    CreateRecord,
    InvalidInput,
    NotPermitted,
)
from norma.core.context import acting_as
from norma.core.models import ChangeLogEntry, RoleCode
from norma.core.models.records import reserve_references
from norma.dataio.import_mapping import ROW
from norma.dataio.models import ImportBatch
from norma.documents.actions import (
    ApproveRevision,
    EditDraft,
    ReviewRevision,
    StartRevision,
    SubmitRevision,
)
from norma.documents.models import Revision, add_months
from norma.documents.periodic_jobs import make_due_revisions_effective
from norma.people.actions import CancelAssignment, IssuePlan, JudgeEffective, JudgeNotEffective
from norma.people.models import (
    Course,
    JobRole,
    Requirement,
    Result,
    TrainingAssignment,
    TrainingPlan,
    TrainingRecord,
)
from norma.people.registers import (
    CourseRegister,
    TrainingAssignmentRegister,
    TrainingPlanRegister,
    TrainingRecordRegister,
)
from tests.conftest import PERSONAS, ApiClient, signed_in
from tests.dataio.test_import_kit import commit, csv_bytes, latest_batch, upload
from tests.factories import PASSWORD, DepartmentFactory, PersonFactory, make_document
from tests.kit import RegisterKit, form_data

EVERYONE = [p for p in PERSONAS if p != "nobody"]
MANAGERS = ["quality_manager", "top_manager", "process_owner"]  # record training (7.2 d)
QUALITY_TEAM = ["quality_manager"]  # the catalogue and the plans

TRAINING = "/people/training-records/"
PLANS = "/people/training-plans/"
ASSIGNMENTS = "/people/training-assignments/"
API = "/api/v1/people/"
IMPORT_URL = "/data/import/people/trainingrecord/"
IMPORT_HEADER = ["Person", "Course", "Trained on", "Result", "Score", "Trainer", "Expires on"]
OPEN = TrainingAssignment.Status.OPEN


def today() -> datetime.date:
    return timezone.localdate()


def days_from_now(days: int) -> datetime.date:
    return today() + timedelta(days=days)


# -- makers: every record through the real Create action ------------------------------------
def make_course(actor, **fields) -> Course:
    data = {"title": "Lathe basics", "delivery": Course.Delivery.INTERNAL, **fields}
    return CreateRecord(actor, Course, data=data).execute()


def make_training(actor, person, course, **fields) -> TrainingRecord:
    data = {
        "person": person,
        "course": course,
        "completed_on": days_from_now(-20),
        "result": Result.PASSED,
        **fields,
    }
    return CreateRecord(actor, TrainingRecord, data=data).execute()


def make_assignment(actor, person, course, **fields) -> TrainingAssignment:
    data = {
        "person": person,
        "course": course,
        "reason": TrainingAssignment.Reason.GAP,
        "due_date": days_from_now(30),
        **fields,
    }
    return CreateRecord(actor, TrainingAssignment, data=data).execute()


def make_plan(actor, course, **fields) -> TrainingPlan:
    data = {"title": "Lathe induction", "course": course, "due_date": days_from_now(60), **fields}
    return CreateRecord(actor, TrainingPlan, data=data).execute()


def course_for_the_kit(actor) -> Course:
    return Course.objects.filter(title="Kit course").first() or make_course(
        actor, title="Kit course", validity_months=24
    )


def training_for_the_kit(actor, title="Trainee", site=None, owner=None, **fields):
    """A training record's title is "course — trainee": the kit's title names the trainee
    (so it shows in the person column), and the kit's site is where the trainee works."""
    trainee = PersonFactory(full_name=title, site=site)
    extra = {"owner": owner} if owner else {}
    return make_training(actor, trainee, course_for_the_kit(actor), **extra, **fields)


def assignment_for_the_kit(actor, title="Trainee", site=None, owner=None, **fields):
    """As for training records: the kit's title names the person given the course (who is
    always its owner, so the kit's owner is not used)."""
    trainee = PersonFactory(full_name=title, site=site)
    return make_assignment(actor, trainee, course_for_the_kit(actor), **fields)


def plan_for_the_kit(actor, **fields):
    return make_plan(actor, course_for_the_kit(actor), **fields)


# -- bulk rows for the query counts at 1,000 ------------------------------------------------
def bulk(model, count: int, row):
    with acting_as(name="test bulk"):
        references = reserve_references(model.reference_prefix, count)
        return model.objects.bulk_create(row(i, ref) for i, ref in enumerate(references))


def bulk_course() -> Course:
    return Course.objects.filter(title__startswith="Bulk course").first() or bulk_courses(1)[0]


def bulk_courses(count: int, **fields):
    return bulk(
        Course,
        count,
        lambda i, ref: Course(
            reference=ref, title=f"Bulk course {i}", delivery="external", **fields
        ),
    )


def bulk_training(count: int, site=None, **fields):
    course, trainee = bulk_course(), PersonFactory(site=site)
    return bulk(
        TrainingRecord,
        count,
        lambda i, ref: TrainingRecord(
            reference=ref,
            title=f"{course.title} — {trainee.full_name}",
            person=trainee,
            course=course,
            completed_on=days_from_now(-1 - i),
            expires_on=days_from_now(300 - i),
            due_date=days_from_now(60 - i),
            status=TrainingRecord.Status.RECORDED,
            site=site,
            **fields,
        ),
    )


def bulk_plans(count: int, **fields):
    course = bulk_course()
    return bulk(
        TrainingPlan,
        count,
        lambda i, ref: TrainingPlan(
            reference=ref,
            title=f"Bulk plan {i}",
            course=course,
            due_date=days_from_now(i),
            status=TrainingPlan.Status.DRAFT,
            **fields,
        ),
    )


def bulk_assignments(count: int, site=None, **fields):
    course, trainee = bulk_course(), PersonFactory(site=site)
    return bulk(
        TrainingAssignment,
        count,
        lambda i, ref: TrainingAssignment(
            reference=ref,
            title=f"{course.title} — {trainee.full_name}",
            person=trainee,
            course=course,
            status=OPEN,
            due_date=days_from_now(i),
            site=site,
            **fields,
        ),
    )


# -- the four registers through the kit -------------------------------------------------
class TestCourseRegister(RegisterKit):
    register = CourseRegister
    make_record = staticmethod(make_course)
    bulk_records = staticmethod(bulk_courses)
    create_data = {
        "title": "Forklift safety",
        "delivery": "external",
        "provider": "SafeLift Ltd",
        "validity_months": "36",
        "max_score": "20.0",
        "pass_score": "14.0",
        "evaluate_after_days": "60",
    }
    edit_data = {"title": "Forklift safety refresher", "validity_months": "12"}
    invalid_data = {"pass_score": "25.0"}  # above the maximum score of 20
    viewers = EVERYONE
    adders = QUALITY_TEAM
    editors = QUALITY_TEAM
    archivers = QUALITY_TEAM


class KitRecordOfPeople(RegisterKit):
    """A create form naming a trainee and a course: made once per test, on first use."""

    def fields_to_create(self) -> dict:
        raise NotImplementedError

    @property
    def create_data(self) -> dict:
        if "_create_data" not in self.__dict__:
            self._create_data = self.fields_to_create()
        return self._create_data


class TestTrainingRecordRegister(KitRecordOfPeople):
    register = TrainingRecordRegister
    make_record = staticmethod(training_for_the_kit)
    bulk_records = staticmethod(bulk_training)
    edit_data = {"trainer": "Acme Training Ltd", "result": "attended"}
    invalid_data = {"score": "11"}  # the course is scored out of 10
    viewers = EVERYONE
    adders = MANAGERS
    editors = MANAGERS
    archivers = QUALITY_TEAM

    def fields_to_create(self):
        keeper = PersonFactory(full_name="Kit Keeper", roles=[RoleCode.QUALITY_MANAGER])
        course = make_course(keeper, title="Lathe theory", max_score=10, pass_score=6)
        return {
            "person": PersonFactory(full_name="Tom Trainee").pk,
            "course": course.pk,
            "completed_on": days_from_now(-10).isoformat(),
            "score": "8.0",
            "trainer": "Ann Instructor",
        }


class TestTrainingPlanRegister(KitRecordOfPeople):
    register = TrainingPlanRegister
    make_record = staticmethod(plan_for_the_kit)
    bulk_records = staticmethod(bulk_plans)
    invalid_data = {"due_date": ""}
    viewers = EVERYONE
    adders = QUALITY_TEAM
    editors = QUALITY_TEAM
    archivers = QUALITY_TEAM

    @property
    def edit_data(self):
        return {"title": "Lathe induction, second wave", "due_date": days_from_now(90).isoformat()}

    def fields_to_create(self):
        keeper = PersonFactory(full_name="Kit Keeper", roles=[RoleCode.QUALITY_MANAGER])
        return {
            "title": "Induction 2027",
            "course": make_course(keeper, title="Induction").pk,
            "due_date": days_from_now(45).isoformat(),
        }


class TestTrainingAssignmentRegister(KitRecordOfPeople):
    register = TrainingAssignmentRegister
    make_record = staticmethod(assignment_for_the_kit)
    bulk_records = staticmethod(bulk_assignments)
    invalid_data = {"due_date": ""}
    viewers = EVERYONE
    adders = MANAGERS
    editors = MANAGERS
    archivers = QUALITY_TEAM

    @property
    def edit_data(self):
        return {"cause": "Audit finding on line 2", "due_date": days_from_now(75).isoformat()}

    def fields_to_create(self):
        keeper = PersonFactory(full_name="Kit Keeper", roles=[RoleCode.QUALITY_MANAGER])
        return {
            "person": PersonFactory(full_name="Tom Trainee").pk,
            "course": make_course(keeper, title="Measuring instruments").pk,
            "reason": "gap",
            "cause": "Skills review",
            "due_date": days_from_now(30).isoformat(),
        }


# -- shared people and courses ----------------------------------------------------------
@pytest.fixture
def trainee(process_owner):
    return PersonFactory(full_name="Tina Trainee", email="tina@example.com", manager=process_owner)


@pytest.fixture
def lathe(quality_manager):
    """Scored out of 10, valid for 12 months, its effectiveness judged 30 days after."""
    return make_course(
        quality_manager,
        title="Lathe basics",
        max_score=10,
        pass_score=6,
        validity_months=12,
        evaluate_after_days=30,
    )


@pytest.fixture
def awareness(quality_manager):
    """Not scored, never expires."""
    return make_course(quality_manager, title="QMS awareness", validity_months=None)


def send(channel: str, actor, register, **fields) -> tuple[int, dict]:
    """Create a record through the web form or the API: (HTTP status, errors by field)."""
    if channel == "web":
        url = f"/people/{register.slug()}/new/"
        response = signed_in(actor).post(url, form_data(register, **fields))
        errors = response.context["form"].errors if response.status_code == 422 else {}
        return response.status_code, {name: list(messages) for name, messages in errors.items()}
    response = ApiClient(actor).post(f"{API}{register.slug()}/", fields)
    return response.status_code, response.json().get("errors", {})


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def action_url(record, code: str) -> str:
    register = {
        TrainingRecord: TRAINING,
        TrainingPlan: PLANS,
        TrainingAssignment: ASSIGNMENTS,
    }[type(record)]
    return f"{register}{record.reference}/do/{code}/"


def open_assignments(**filters):
    return TrainingAssignment.objects.filter(status=OPEN, **filters)


# -- bad input, on the web and through the API ----------------------------------------------
CHANNELS = ["web", "api"]


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("unknown course", "course"),
        ("unknown person", "person"),
        ("expires before the training", "expires_on"),
        ("expires on the day of the training", "expires_on"),
        ("score above the maximum", "score"),
        ("score below 0", "score"),
        ("score for an unscored course", "score"),
        ("trained tomorrow", "completed_on"),
    ],
)
def test_bad_training_record_is_refused_naming_the_field_and_nothing_is_stored(
    channel, case, field, process_owner, trainee, lathe, awareness
):
    trained = days_from_now(-5)
    fields = {
        "person": trainee.pk,
        "course": lathe.pk,
        "completed_on": trained.isoformat(),
        "result": "passed",
    }
    fields.update(
        {
            "unknown course": {"course": 999999},
            "unknown person": {"person": 999999},
            "expires before the training": {"expires_on": days_from_now(-6).isoformat()},
            "expires on the day of the training": {"expires_on": trained.isoformat()},
            "score above the maximum": {"score": 10.5},
            "score below 0": {"score": -1},
            "score for an unscored course": {"course": awareness.pk, "score": 7},
            "trained tomorrow": {"completed_on": days_from_now(1).isoformat()},
        }[case]
    )

    status, errors = send(channel, process_owner, TrainingRecordRegister, **fields)

    assert status == 422, errors
    assert field in errors, errors
    assert not TrainingRecord.objects.exists()


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_same_training_twice_on_one_day_is_refused_naming_the_fields(
    channel, process_owner, trainee, lathe
):
    first = make_training(process_owner, trainee, lathe, completed_on=days_from_now(-3))

    status, errors = send(
        channel,
        process_owner,
        TrainingRecordRegister,
        person=trainee.pk,
        course=lathe.pk,
        completed_on=first.completed_on.isoformat(),
        result="attended",
    )

    assert status == 422, errors
    said = " ".join(m for messages in errors.values() for m in messages)
    assert "Person, Course and Trained on already exists" in said, errors
    assert list(TrainingRecord.objects.all()) == [first]


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(
    ("scale", "field"),
    [
        ({"max_score": 50, "pass_score": 60}, "pass_score"),
        ({"pass_score": 60}, "max_score"),
    ],
    ids=["pass mark above the maximum", "pass mark without a maximum"],
)
def test_course_with_a_pass_mark_off_its_scale_is_refused(channel, scale, field, quality_manager):
    fields = {"title": "Welding", "delivery": "external", **scale}

    status, errors = send(channel, quality_manager, CourseRegister, **fields)

    assert status == 422, errors
    assert field in errors, errors
    assert not Course.objects.exists()


def test_a_score_below_the_pass_mark_does_not_count_as_passed(process_owner, trainee, lathe):
    status, errors = send(
        "web",
        process_owner,
        TrainingRecordRegister,
        person=trainee.pk,
        course=lathe.pk,
        completed_on=days_from_now(-2).isoformat(),
        result="passed",
        score="3",
    )
    refused = status == 422 and ({"score", "result"} & set(errors))
    stored = TrainingRecord.objects.filter(person=trainee).first()
    assert refused or (stored is not None and stored.result == Result.FAILED)


# -- what a new record works out for itself -------------------------------------------------
@pytest.mark.parametrize("channel", CHANNELS)
def test_expiry_owner_and_effectiveness_date_follow_from_the_course_and_the_trainee(
    channel, process_owner, trainee, lathe
):
    trained = datetime.date(2025, 8, 31)

    status, errors = send(
        channel,
        process_owner,
        TrainingRecordRegister,
        person=trainee.pk,
        course=lathe.pk,
        completed_on=trained.isoformat(),
        result="passed",
        score=8,
    )

    assert status in (201, 302), errors
    record = TrainingRecord.objects.get()
    assert record.expires_on == datetime.date(2026, 8, 31)  # 12 months
    assert record.owner == process_owner  # the trainee's manager
    assert record.due_date == datetime.date(2025, 9, 30)  # judged 30 days after
    assert record.title == "Lathe basics — Tina Trainee"
    assert record.score == Decimal("8")


def test_expiry_given_is_kept_and_months_are_counted_to_the_end_of_a_short_month(
    process_owner, trainee, lathe, quality_manager
):
    half_year = make_course(quality_manager, title="First aid", validity_months=6)
    short = make_training(
        process_owner, trainee, half_year, completed_on=datetime.date(2025, 8, 31)
    )
    given = make_training(
        process_owner,
        trainee,
        lathe,
        completed_on=datetime.date(2025, 8, 31),
        expires_on=datetime.date(2026, 3, 1),
    )
    assert short.expires_on == datetime.date(2026, 2, 28)
    assert given.expires_on == datetime.date(2026, 3, 1)


def test_training_on_a_course_without_validity_or_evaluation_never_expires_nor_falls_due(
    process_owner, trainee, quality_manager
):
    course = make_course(quality_manager, title="Site tour", evaluate_after_days=None)
    record = make_training(process_owner, trainee, course)
    assert (record.expires_on, record.due_date) == (None, None)


def test_failed_training_is_not_due_for_an_effectiveness_check(process_owner, trainee, lathe):
    record = make_training(process_owner, trainee, lathe, result=Result.FAILED, score=2)
    assert record.due_date is None
    assert record.expires_on is not None


def test_training_of_someone_without_a_manager_has_no_owner(process_owner, lathe):
    loner = PersonFactory(full_name="Lone Worker")
    assert make_training(process_owner, loner, lathe).owner is None


# -- effectiveness (7.2 c) -----------------------------------------------------------------
@pytest.fixture
def record(process_owner, trainee, lathe):
    return make_training(process_owner, trainee, lathe, score=8)


def test_the_trainees_manager_judges_it_effective_on_the_records_page(
    client_for, process_owner, record
):
    response = client_for(process_owner).post(
        action_url(record, "effective"), {"reason": "Sets up the lathe unaided", "version": "1"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{TRAINING}{record.reference}/"
    record.refresh_from_db()
    assert record.status == TrainingRecord.Status.EFFECTIVE
    assert record.evaluation == "Sets up the lathe unaided"
    assert record.due_date is None  # nothing left to judge: no more reminders
    entry = ChangeLogEntry.objects.get(object_id=str(record.pk), action="effective")
    assert (entry.actor_id, entry.reason) == (process_owner.pk, "Sets up the lathe unaided")
    assert not TrainingAssignment.objects.exists()


def test_a_quality_manager_who_is_not_the_manager_may_judge(quality_manager, record):
    JudgeEffective(quality_manager, record, reason="Audit of line 2 shows it").execute()
    record.refresh_from_db()
    assert record.status == TrainingRecord.Status.EFFECTIVE


def test_the_api_runs_the_same_judgement(api_for, process_owner, record):
    response = api_for(process_owner).post(
        f"{API}training-records/{record.reference}/actions/effective",
        {"reason": "Seen at work"},
        **{"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "effective"


def test_another_process_owner_who_is_not_the_manager_is_refused(client_for, record):
    other = PersonFactory(full_name="Pat Peer", roles=[RoleCode.PROCESS_OWNER])

    with pytest.raises(NotPermitted, match="trainee's manager or the quality manager"):
        JudgeEffective(other, record, reason="Looks fine").execute()
    response = client_for(other).post(action_url(record, "effective"), {"reason": "Looks fine"})

    assert "trainee's manager or the quality manager" in messages_of(response)
    record.refresh_from_db()
    assert (record.status, record.evaluation, record.version) == ("recorded", "", 1)


def test_a_manager_without_the_right_to_evaluate_is_refused(lathe, process_owner):
    boss = PersonFactory(full_name="Ed Employee-Boss", roles=[RoleCode.EMPLOYEE])
    worker = PersonFactory(full_name="Wes Worker", manager=boss)
    record = make_training(process_owner, worker, lathe)
    with pytest.raises(NotPermitted):
        JudgeEffective(boss, record, reason="Fine").execute()


@pytest.mark.parametrize("action", [JudgeEffective, JudgeNotEffective])
def test_the_trainee_never_judges_their_own_training_even_as_quality_manager(
    action, process_owner, lathe
):
    quinn = PersonFactory(
        full_name="Quinn Trainee", roles=[RoleCode.QUALITY_MANAGER], manager=process_owner
    )
    record = make_training(process_owner, quinn, lathe)

    with pytest.raises(NotPermitted):
        action(quinn, record, reason="I learnt a lot").execute()

    record.refresh_from_db()
    assert record.status == TrainingRecord.Status.RECORDED
    assert not TrainingAssignment.objects.exists()


@pytest.mark.parametrize("action", [JudgeEffective, JudgeNotEffective])
def test_a_judgement_needs_a_reason(client_for, process_owner, record, action):
    response = client_for(process_owner).post(action_url(record, action.code), {"reason": "  "})
    assert "A reason is required." in messages_of(response)
    with pytest.raises(InvalidInput) as refused:
        action(process_owner, record, reason="").execute()
    assert "reason" in refused.value.errors
    record.refresh_from_db()
    assert (record.status, record.version) == ("recorded", 1)
    assert not TrainingAssignment.objects.exists()


def test_training_judged_once_is_not_judged_again(process_owner, quality_manager, record):
    JudgeEffective(process_owner, record, reason="Works unaided").execute()
    with pytest.raises(ActionRefused, match="judged already"):
        JudgeNotEffective(quality_manager, record, reason="Changed my mind").execute()
    record.refresh_from_db()
    assert (record.status, record.evaluation) == ("effective", "Works unaided")
    assert not TrainingAssignment.objects.exists()


def test_failed_training_is_not_judged(process_owner, trainee, lathe):
    failed = make_training(process_owner, trainee, lathe, result=Result.FAILED, score=3)
    with pytest.raises(ActionRefused, match="failed"):
        JudgeEffective(process_owner, failed, reason="-").execute()
    failed.refresh_from_db()
    assert failed.status == TrainingRecord.Status.RECORDED


def test_training_judged_not_effective_is_assigned_again(
    client_for, process_owner, trainee, record, settings
):
    settings.NORMA_RETRAINING_DAYS = 21
    response = client_for(process_owner).post(
        action_url(record, "not-effective"), {"reason": "Still needs supervision"}
    )

    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == TrainingRecord.Status.NOT_EFFECTIVE
    assert record.evaluation == "Still needs supervision"
    again = TrainingAssignment.objects.get()
    assert (again.person, again.course, again.status) == (trainee, record.course, OPEN)
    assert again.reason == TrainingAssignment.Reason.RETRAINING
    assert again.due_date == days_from_now(21)
    assert record.reference in again.cause
    assert ChangeLogEntry.objects.filter(object_id=str(again.pk), action="create").exists()


# -- training plans ------------------------------------------------------------------------
@pytest.fixture
def machinists(quality_manager):
    role = CreateRecord(quality_manager, JobRole, data={"title": "Machinist"}).execute()
    people = [PersonFactory(full_name=f"Machinist {n}") for n in (1, 2)]
    role.holders.set(people)
    return role, people


def test_issuing_a_plan_reaches_named_people_role_holders_and_department_members(
    client_for, quality_manager, lathe, machinists, process_owner
):
    role, holders = machinists
    press_shop = DepartmentFactory(name="Press shop")
    members = [PersonFactory(full_name=f"Presser {n}", department=press_shop) for n in (1, 2)]
    PersonFactory(full_name="Left Already", department=press_shop, is_active=False)
    named = PersonFactory(full_name="Nina Named")
    PersonFactory(full_name="Not Reached")
    plan = make_plan(
        quality_manager,
        lathe,
        job_roles=[role],
        departments_trained=[press_shop],
        people=[named, holders[0]],
    )

    response = client_for(quality_manager).post(action_url(plan, "issue"), {"version": "1"})

    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == TrainingPlan.Status.ISSUED
    given = open_assignments(course=lathe)
    assert {a.person for a in given} == {*holders, *members, named}
    assert given.count() == 5  # named and holding the role: one assignment
    for assignment in given:
        assert assignment.reason == TrainingAssignment.Reason.PLAN
        assert assignment.due_date == plan.due_date
        assert assignment.assigned_on == today()
        assert plan.reference in assignment.cause
        assert assignment.owner == assignment.person


def test_issuing_skips_valid_training_and_open_assignments_but_not_expired_or_failed(
    quality_manager, process_owner, lathe, machinists
):
    role, _ = machinists
    trained, waiting, lapsed, failed = (
        PersonFactory(full_name=name)
        for name in ("Tia Trained", "Will Waiting", "Lee Lapsed", "Fay Failed")
    )
    role.holders.add(trained, waiting, lapsed, failed)
    make_training(process_owner, trained, lathe, completed_on=days_from_now(-100))
    make_training(process_owner, lapsed, lathe, completed_on=days_from_now(-400))  # expired
    make_training(process_owner, failed, lathe, result=Result.FAILED, score=2)
    earlier = make_assignment(process_owner, waiting, lathe)
    plan = make_plan(quality_manager, lathe, job_roles=[role])

    action = IssuePlan(quality_manager, plan)
    action.execute()

    reached = set(open_assignments(course=lathe, reason="plan").values_list("person", flat=True))
    assert trained.pk not in reached and waiting.pk not in reached
    assert {lapsed.pk, failed.pk} <= reached
    assert action.assigned == 4  # the two machinists, the lapsed and the failed
    assert list(open_assignments(person=waiting)) == [earlier]


@pytest.mark.parametrize("reach", ["nobody named", "an empty department"])
def test_a_plan_that_reaches_nobody_is_refused(client_for, quality_manager, lathe, reach):
    fields = {}
    if reach == "an empty department":
        fields["departments_trained"] = [DepartmentFactory(name="Empty")]
    plan = make_plan(quality_manager, lathe, **fields)

    with pytest.raises(ActionRefused, match="reaches nobody"):
        IssuePlan(quality_manager, plan).execute()
    response = client_for(quality_manager).post(action_url(plan, "issue"))

    assert "reaches nobody" in messages_of(response)
    plan.refresh_from_db()
    assert (plan.status, plan.version) == (TrainingPlan.Status.DRAFT, 1)


def test_a_plan_is_issued_once(quality_manager, lathe, trainee):
    plan = make_plan(quality_manager, lathe, people=[trainee])
    IssuePlan(quality_manager, plan).execute()
    with pytest.raises(ActionRefused, match="issued already"):
        IssuePlan(quality_manager, plan).execute()
    assert TrainingAssignment.objects.count() == 1


def test_only_the_quality_team_issues_a_plan(process_owner, quality_manager, lathe, trainee):
    plan = make_plan(quality_manager, lathe, people=[trainee])
    with pytest.raises(NotPermitted):
        IssuePlan(process_owner, plan).execute()
    assert not TrainingAssignment.objects.exists()


# -- training done completes the assignment ------------------------------------------------
@pytest.mark.parametrize("channel", CHANNELS)
def test_training_recorded_on_the_web_or_the_api_completes_the_open_assignment(
    channel, process_owner, trainee, lathe
):
    assignment = make_assignment(process_owner, trainee, lathe)

    status, errors = send(
        channel,
        process_owner,
        TrainingRecordRegister,
        person=trainee.pk,
        course=lathe.pk,
        completed_on=today().isoformat(),
        result="passed",
    )

    assert status in (201, 302), errors
    record = TrainingRecord.objects.get()
    assignment.refresh_from_db()
    assert assignment.status == TrainingAssignment.Status.DONE
    assert assignment.training_record == record
    assert assignment.version == 2
    assert ChangeLogEntry.objects.filter(object_id=str(assignment.pk), action="complete").exists()


@pytest.mark.parametrize(
    "training",
    ["dated before the assignment", "failed", "on another course", "of another person"],
)
def test_training_that_does_not_fulfil_the_assignment_leaves_it_open(
    training, process_owner, quality_manager, trainee, lathe
):
    assignment = make_assignment(process_owner, trainee, lathe)
    fields = {
        "dated before the assignment": {"completed_on": days_from_now(-1)},
        "failed": {"completed_on": today(), "result": Result.FAILED, "score": 2},
        "on another course": {
            "completed_on": today(),
            "course": make_course(quality_manager, title="Drilling"),
        },
        "of another person": {
            "completed_on": today(),
            "person": PersonFactory(full_name="Someone Else"),
        },
    }[training]
    person, course = fields.pop("person", trainee), fields.pop("course", lathe)

    make_training(process_owner, person, course, **fields)

    assignment.refresh_from_db()
    assert (assignment.status, assignment.training_record, assignment.version) == (OPEN, None, 1)


def test_cancelling_an_assignment_needs_a_reason(client_for, process_owner, trainee, lathe):
    assignment = make_assignment(process_owner, trainee, lathe)
    client = client_for(process_owner)

    refused = client.post(action_url(assignment, "cancel"), {"reason": ""})
    assert "A reason is required." in messages_of(refused)
    assignment.refresh_from_db()
    assert assignment.status == OPEN

    client.post(action_url(assignment, "cancel"), {"reason": "Moved to the warehouse"})

    assignment.refresh_from_db()
    assert assignment.status == TrainingAssignment.Status.CANCELLED
    entry = ChangeLogEntry.objects.get(object_id=str(assignment.pk), action="cancel")
    assert entry.reason == "Moved to the warehouse"


def test_a_done_or_cancelled_assignment_is_not_cancelled(process_owner, trainee, lathe):
    done = make_assignment(process_owner, trainee, lathe)
    make_training(process_owner, trainee, lathe, completed_on=today())
    cancelled = make_assignment(process_owner, trainee, lathe)
    CancelAssignment(process_owner, cancelled, reason="Left the line").execute()

    for assignment in (done, cancelled):
        with pytest.raises(ActionRefused, match="no longer open"):
            CancelAssignment(process_owner, assignment, reason="Not needed").execute()

    done.refresh_from_db()
    cancelled.refresh_from_db()
    assert (done.status, cancelled.status) == ("done", "cancelled")
    assert cancelled.version == 2


def test_an_employee_cannot_cancel_their_own_assignment(process_owner, lathe):
    worker = PersonFactory(full_name="Eli Worker", roles=[RoleCode.EMPLOYEE])
    assignment = make_assignment(process_owner, worker, lathe)
    with pytest.raises(NotPermitted):
        CancelAssignment(worker, assignment, reason="Busy").execute()
    assignment.refresh_from_db()
    assert assignment.status == OPEN


# -- a new revision of a linked document: read-and-understood training again ----------------
def put_in_force(document, author, reviewer, approver, **fields):
    """Write, review and approve the document's next revision with the real actions."""
    StartRevision(author, document).execute()
    number = document.revisions.count()
    data = {"body": f"# Lathe operation\n\nIssue {number}.", "change_summary": f"Issue {number}"}
    EditDraft(author, document, data={**data, **fields}).execute()
    SubmitRevision(author, document).execute()
    ReviewRevision(reviewer, document, data={"password": PASSWORD}, reason="Fit").execute()
    ApproveRevision(approver, document, data={"password": PASSWORD}, reason="Approved").execute()
    document.refresh_from_db()
    return document.revisions.get(number=number)


@pytest.fixture
def signers(top_manager, process_owner, quality_manager):
    """Author, reviewer and approver of a procedure."""
    return top_manager, process_owner, quality_manager


@pytest.fixture
def procedure(quality_manager, signers):
    """A procedure in force at revision A."""
    document = make_document(quality_manager, title="Lathe operation")
    put_in_force(document, *signers)
    return document


@pytest.fixture
def read_and_understood(quality_manager, procedure):
    return make_course(quality_manager, title="Lathe operation: read", documents=[procedure])


@pytest.fixture
def who(quality_manager, process_owner, read_and_understood):
    """Holders of a role requiring the course, people trained on it before, and others."""
    course = read_and_understood
    people = {
        name: PersonFactory(full_name=name)
        for name in ("holder", "other holder", "trained", "failed", "waiting", "unrelated")
    }
    people["inactive holder"] = PersonFactory(full_name="inactive holder", is_active=False)
    role = CreateRecord(quality_manager, JobRole, data={"title": "Lathe operator"}).execute()
    role.holders.set([people[n] for n in ("holder", "other holder", "waiting", "inactive holder")])
    CreateRecord(
        quality_manager,
        Requirement,
        data={"job_role": role, "kind": Requirement.Kind.COURSE, "course": course},
    ).execute()
    make_training(process_owner, people["trained"], course, completed_on=days_from_now(-200))
    make_training(process_owner, people["failed"], course, result=Result.FAILED)
    people["earlier assignment"] = make_assignment(process_owner, people["waiting"], course)
    return people


def test_a_new_effective_revision_assigns_the_linked_course_once_to_everyone_who_needs_it(
    procedure, read_and_understood, who, signers, settings
):
    settings.NORMA_RETRAINING_DAYS = 14

    revision = put_in_force(procedure, *signers)

    assert revision.label == "B" and revision.status == Revision.Status.EFFECTIVE
    given = TrainingAssignment.objects.filter(reason=TrainingAssignment.Reason.REVISION)
    assert {a.person.full_name for a in given} == {"holder", "other holder", "trained"}
    assert given.count() == 3
    for assignment in given:
        assert (assignment.course, assignment.status) == (read_and_understood, OPEN)
        assert assignment.cause == f"Revision B of {procedure.reference} took effect"
        assert assignment.due_date == days_from_now(14)
    waiting = open_assignments(person=who["waiting"])
    assert list(waiting) == [who["earlier assignment"]]  # not given a second one


def test_every_revision_taking_effect_assigns_again_once_the_last_is_done(
    procedure, read_and_understood, who, signers, process_owner
):
    put_in_force(procedure, *signers)
    make_training(process_owner, who["holder"], read_and_understood, completed_on=today())
    assert not open_assignments(person=who["holder"]).exists()

    put_in_force(procedure, *signers)

    assert open_assignments(person=who["holder"]).count() == 1
    assert open_assignments(person=who["other holder"]).count() == 1  # still the one from B


@pytest.fixture
def quiz(quality_manager, process_owner, procedure, who):
    """A second course on the same procedure, still offered, once taken by the holder."""
    course = make_course(quality_manager, title="Lathe operation: quiz", documents=[procedure])
    make_training(process_owner, who["holder"], course, completed_on=days_from_now(-50))
    return course


def revision_assignments() -> set:
    given = TrainingAssignment.objects.filter(reason=TrainingAssignment.Reason.REVISION)
    return {(a.person.full_name, a.course.title) for a in given}


def test_a_course_no_longer_offered_is_not_assigned_again(
    procedure, read_and_understood, quiz, signers
):
    # No action retires a course (status is set by Norma only), so the catalogue is edited here.
    Course.objects.filter(pk=read_and_understood.pk).update(status=Course.Status.RETIRED)

    put_in_force(procedure, *signers)

    assert revision_assignments() == {("holder", "Lathe operation: quiz")}


def test_an_archived_course_is_not_assigned_again(
    procedure, read_and_understood, quiz, signers, quality_manager
):
    ArchiveRecord(quality_manager, read_and_understood, reason="Merged into induction").execute()

    put_in_force(procedure, *signers)

    assert revision_assignments() == {("holder", "Lathe operation: quiz")}


def test_a_document_linked_to_no_course_assigns_nothing(
    quality_manager, procedure, who, signers, read_and_understood
):
    unlinked = make_document(quality_manager, title="Canteen rules")
    put_in_force(unlinked, *signers)
    put_in_force(unlinked, *signers)

    assert revision_assignments() == set()
    put_in_force(procedure, *signers)  # the linked one, revised: the same people now
    assert len(revision_assignments()) == 3


@pytest.fixture
def clock(monkeypatch):
    """Move Norma's clock (timezone.now, and so localdate) some days ahead."""
    real_now = timezone.now

    def move(days: int) -> datetime.date:
        monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(days=days))
        return timezone.localdate()

    return move


def test_a_revision_taking_effect_on_its_date_assigns_the_course_when_the_job_runs(
    procedure, read_and_understood, who, signers, clock, settings
):
    settings.NORMA_RETRAINING_DAYS = 30
    later = days_from_now(10)
    revision = put_in_force(procedure, *signers, effective_date=later)
    assert revision.status == Revision.Status.APPROVED
    assert not TrainingAssignment.objects.filter(reason="revision").exists()

    assert clock(10) == later
    with acting_as(name="norma worker: documents.effective"):
        assert make_due_revisions_effective() == 1

    revision.refresh_from_db()
    assert revision.status == Revision.Status.EFFECTIVE
    given = TrainingAssignment.objects.filter(reason=TrainingAssignment.Reason.REVISION)
    assert {a.person.full_name for a in given} == {"holder", "other holder", "trained"}
    assert {(a.assigned_on, a.due_date) for a in given} == {(later, later + timedelta(days=30))}
    assert open_assignments(person=who["waiting"]).count() == 1


# -- training records imported from a spreadsheet (dry run, then commit) --------------------
@pytest.fixture
def importer(client_for, process_owner):
    return client_for(process_owner)


def import_rows(client, capture, rows: list[list]) -> ImportBatch:
    upload(client, capture, csv_bytes([IMPORT_HEADER, *rows]), "training.csv", IMPORT_URL)
    return latest_batch()


def test_imported_training_records_find_people_by_email_and_courses_by_title_or_reference(
    importer, django_capture_on_commit_callbacks, process_owner, trainee, lathe, awareness
):
    colleague = PersonFactory(full_name="Colin Colleague", email="colin@example.com")
    waiting = make_assignment(process_owner, trainee, lathe)
    trained = datetime.date(2025, 8, 31)
    rows = [
        ["tina@example.com", "Lathe basics", today().isoformat(), "passed", "7", "Ann", ""],
        ["colin@example.com", awareness.reference, trained.isoformat(), "Attended", "", "", ""],
        ["colin@example.com", "lathe basics", trained.isoformat(), "failed", "0", "", ""],
    ]

    batch = import_rows(importer, django_capture_on_commit_callbacks, rows)
    assert (batch.state, batch.total_rows, batch.rejected_count) == ("checked", 3, 0)
    assert not TrainingRecord.objects.exists()  # the dry run writes nothing
    commit(importer, django_capture_on_commit_callbacks, batch)

    batch.refresh_from_db()
    assert (batch.state, batch.imported_count) == (ImportBatch.State.IMPORTED, 3)
    tina = TrainingRecord.objects.get(person=trainee)
    assert (tina.course, tina.score, tina.trainer) == (lathe, Decimal("7"), "Ann")
    assert tina.expires_on == add_months(today(), 12)
    assert (tina.owner, tina.due_date) == (process_owner, days_from_now(30))
    assert tina.title == "Lathe basics — Tina Trainee"
    colin = TrainingRecord.objects.get(person=colleague, course=awareness)
    assert (colin.result, colin.expires_on, colin.due_date) == (
        "attended",
        None,
        trained + timedelta(days=90),
    )
    failed = TrainingRecord.objects.get(person=colleague, course=lathe)
    assert (failed.result, failed.due_date) == ("failed", None)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.training_record) == ("done", tina)
    created = ChangeLogEntry.objects.filter(
        object_type="people.trainingrecord", action="create", actor_id=process_owner.pk
    )
    assert created.count() == 3


def test_rejected_rows_are_named_by_column_and_nothing_is_imported(
    importer, django_capture_on_commit_callbacks, process_owner, trainee, lathe
):
    waiting = make_assignment(process_owner, trainee, lathe)
    day = days_from_now(-3).isoformat()
    rows = [
        ["tina@example.com", "Lathe basics", today().isoformat(), "passed", "", "", ""],  # 2
        ["nobody@example.com", "Lathe basics", day, "passed", "", "", ""],  # 3
        ["tina@example.com", "Underwater welding", day, "passed", "", "", ""],  # 4
        ["tina@example.com", "Lathe basics", day, "passed", "", "", days_from_now(-4).isoformat()],
        ["tina@example.com", "Lathe basics", days_from_now(-6).isoformat(), "passed", "12", "", ""],
        ["tina@example.com", "Lathe basics", days_from_now(-7).isoformat(), "failed", "-1", "", ""],
        ["tina@example.com", "Lathe basics", today().isoformat(), "passed", "", "", ""],  # 8
    ]

    batch = import_rows(importer, django_capture_on_commit_callbacks, rows)

    assert (batch.total_rows, batch.rejected_count, batch.can_commit) == (7, 6, False)
    errors = {r["row"]: r["errors"] for r in batch.rejected_sample}
    assert set(errors) == {3, 4, 5, 6, 7, 8}
    assert list(errors[3]) == ["Person"]
    assert errors[3]["Person"][0].startswith("No person 'nobody@example.com'")
    assert list(errors[4]) == ["Course"]
    assert errors[4]["Course"][0].startswith("No course 'Underwater welding'")
    assert list(errors[5]) == ["Expires on"]
    assert "must expire after the training" in errors[5]["Expires on"][0]
    assert errors[6] == {"Score": ["The score must be between 0 and 10.0."]}
    assert errors[7] == {"Score": ["The score must be between 0 and 10.0."]}
    assert list(errors[8]) == [ROW]
    said = errors[8][ROW][0].lower()
    assert "row 2" in said and "person" in said and "course" in said and "trained on" in said

    commit(importer, django_capture_on_commit_callbacks, batch)

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.CHECKED
    assert not TrainingRecord.objects.exists()
    waiting.refresh_from_db()
    assert waiting.status == OPEN


def test_an_imported_row_repeating_a_stored_record_is_rejected(
    importer, django_capture_on_commit_callbacks, process_owner, trainee, lathe
):
    stored = make_training(process_owner, trainee, lathe, completed_on=days_from_now(-9))
    rows = [
        ["tina@example.com", "Lathe basics", stored.completed_on.isoformat(), "passed", "", "", ""]
    ]

    batch = import_rows(importer, django_capture_on_commit_callbacks, rows)

    assert batch.rejected_count == 1
    assert "already exists" in batch.rejected_sample[0]["errors"][ROW][0]
    assert list(TrainingRecord.objects.all()) == [stored]
