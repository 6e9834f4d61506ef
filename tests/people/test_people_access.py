"""Who may see and change competence evidence (7.2, 7.3, 9.2.2): the people pages and API per
role, separation of duties when training is judged, site scope, the navigation, stale edits.

Training records, assessments and assignments are the managers' (quality manager, top
management, process owners); job roles, courses, plans and audit experience the quality
manager's; everyone else reads, the registrar's auditor included, and "nobody" sees nothing.
"""

import io
import re
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from norma.core.actions import CreateRecord
from norma.core.models import ChangeLogEntry, RoleCode
from norma.documents.checklist import ChecklistItem
from norma.people.models import (
    Course,
    JobRole,
    Requirement,
    TrainingAssignment,
    TrainingRecord,
)
from norma.people.registers import (
    AssessmentRegister,
    AuditExperienceRegister,
    CourseRegister,
    JobRoleRegister,
    RequirementRegister,
    TrainingAssignmentRegister,
    TrainingPlanRegister,
    TrainingRecordRegister,
)
from tests.api import assert_error, send
from tests.conftest import PERSONAS, signed_in
from tests.factories import DepartmentFactory, PersonFactory, bulk_documents
from tests.kit import HX, form_data

READERS = [p for p in PERSONAS if p != "nobody"]
TRAINING_MANAGERS = ["quality_manager", "top_manager", "process_owner"]

REGISTERS = [
    JobRoleRegister,
    RequirementRegister,
    CourseRegister,
    TrainingRecordRegister,
    TrainingPlanRegister,
    TrainingAssignmentRegister,
    AssessmentRegister,
    AuditExperienceRegister,
]
# Managers record their people's training and skills and assign courses; the rest is the
# quality team's.
MANAGED = {TrainingRecordRegister, AssessmentRegister, TrainingAssignmentRegister}

MATRIX = "/people/competence-matrix/"
CSV = "/people/competence-matrix/export.csv"
XLSX = "/people/competence-matrix/export.xlsx"
AWARENESS = "/people/awareness/"
TEAM = "/people/my-team/"
AUDITORS = "/people/qualified-auditors/"
# Each page, and who may open it: the competence evidence is for readers, a team for anyone.
PAGES = {
    MATRIX: READERS,
    CSV: READERS,
    XLSX: READERS,
    AWARENESS: READERS,
    TEAM: PERSONAS,
    AUDITORS: READERS,
}

NAV = "People and competence"
NAV_ITEMS = {
    "Job roles",
    "Competence requirements",
    "Courses",
    "Training records",
    "Training plans",
    "Training assignments",
    "Competence assessments",
    "Audit experience",
    "Competence matrix",
    "Awareness",
    "My team",
    "Qualified auditors",
}


# -- helpers ---------------------------------------------------------------------------------
def slug(register) -> str:
    return register.slug()


def today():
    return timezone.localdate()


def days(n: int) -> str:
    return (today() + timedelta(days=n)).isoformat()


def create(actor, model, **data):
    """A record made through the real Create action."""
    return CreateRecord(actor, model, data=data).execute()


def api_path(register, reference: str = "", suffix: str = "") -> str:
    return f"/api/v1/people/{register.slug()}/{reference}{suffix}"


def url(register, role: str, obj=None) -> str:
    return reverse(register.url_name(role), args=[obj.reference] if obj is not None else [])


def stored(register) -> tuple[int, int]:
    """What a refused write must leave alone: the register's rows and the change log."""
    return register.model.objects.count(), ChangeLogEntry.objects.count()


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def csv_text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8-sig")


def xlsx_text(response) -> str:
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    return "\n".join(
        ",".join(str(v or "") for v in row) for row in sheet.iter_rows(values_only=True)
    )


def nav_group(page: str) -> dict[str, str] | None:
    """The links of the people group in the sidebar, title → URL; None when it is absent."""
    found = re.search(rf"<h2>{NAV}</h2>\s*<ul>(.*?)</ul>", page, re.S)
    if found is None:
        return None
    return {
        title: href for href, title in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', found[1])
    }


@pytest.fixture
def person_called(request, db):
    """person_called("employee") -> that persona (a conftest fixture)."""
    return request.getfixturevalue


@pytest.fixture
def world(quality_manager):
    """What the registers refer to: a trainee with a manager, a course, a job role the trainee
    holds, and a skill that role needs."""
    boss = PersonFactory(full_name="Mona Manager", roles=[RoleCode.PROCESS_OWNER])
    trainee = PersonFactory(full_name="Tom Trainee", roles=[RoleCode.EMPLOYEE], manager=boss)
    course = create(quality_manager, Course, title="Forklift safety", delivery="internal")
    job_role = create(quality_manager, JobRole, title="Machinist", holders=[trainee])
    skill = create(
        quality_manager,
        Requirement,
        job_role=job_role,
        kind=Requirement.Kind.SKILL,
        title="Reading drawings",
        level=3,
    )
    return SimpleNamespace(
        boss=boss, trainee=trainee, course=course, job_role=job_role, skill=skill
    )


def create_body(register, w) -> dict:
    """A valid API body creating one record of the register."""
    return {
        JobRoleRegister: {"title": "Inspector"},
        RequirementRegister: {
            "job_role": w.job_role.pk,
            "kind": "education",
            "title": "Technical diploma",
            "level": 2,
        },
        CourseRegister: {"title": "Gauge handling", "delivery": "external", "provider": "Acme"},
        TrainingRecordRegister: {
            "person": w.trainee.pk,
            "course": w.course.pk,
            "completed_on": days(-3),
            "result": "passed",
        },
        TrainingPlanRegister: {
            "title": "Forklift refresher",
            "course": w.course.pk,
            "due_date": days(30),
            "people": [w.trainee.pk],
        },
        TrainingAssignmentRegister: {
            "person": w.trainee.pk,
            "course": w.course.pk,
            "reason": "gap",
            "due_date": days(30),
        },
        AssessmentRegister: {
            "person": w.trainee.pk,
            "requirement": w.skill.pk,
            "level": 3,
            "assessed_on": days(-1),
        },
        AuditExperienceRegister: {
            "title": "Audit of purchasing",
            "auditor": w.trainee.pk,
            "role": "team_member",
            "audited_on": days(-1),
        },
    }[register]


# One field each edit changes, to a value the sample record does not hold.
EDITS = {
    JobRoleRegister: {"purpose": "Runs the lathe"},
    RequirementRegister: {"title": "Reading technical drawings"},
    CourseRegister: {"provider": "Acme Training"},
    TrainingRecordRegister: {"trainer": "Acme Training"},
    TrainingPlanRegister: {"title": "Forklift refresher, spring"},
    TrainingAssignmentRegister: {"cause": "New lathe"},
    AssessmentRegister: {"basis": "Observed on the job"},
    AuditExperienceRegister: {"title": "Audit of sales"},
}


@pytest.fixture
def sample(api_for, quality_manager, world):
    """sample(register) -> the reference of one record of it, created by the quality manager."""

    def make(register):
        response = send(
            api_for(quality_manager), "post", api_path(register), create_body(register, world)
        )
        assert response.status_code == 201, response.content
        return response.json()["reference"]

    return make


# -- 1. the pages ----------------------------------------------------------------------------
@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("persona_name", PERSONAS)
def test_who_may_open_each_people_page(person_called, persona_name, page):
    response = signed_in(person_called(persona_name)).get(page)
    assert response.status_code == (200 if persona_name in PAGES[page] else 403)


@pytest.mark.parametrize("page", [*PAGES, "/people/competence-matrix/export.pdf"])
def test_an_anonymous_visitor_is_sent_to_sign_in(client, db, page):
    response = client.get(page)
    assert response.status_code == 302
    login = resolve_url(settings.LOGIN_URL)
    assert response["Location"].startswith(f"{login}?next=")
    assert unquote(response["Location"]).endswith(f"next={page}")


@pytest.mark.parametrize("register", REGISTERS, ids=slug)
def test_an_anonymous_visitor_is_sent_to_sign_in_from_the_registers(client, db, register):
    for page in (url(register, "list"), url(register, "create"), url(register, "export")):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith(f"{resolve_url(settings.LOGIN_URL)}?next=")


@pytest.mark.parametrize("fmt", ["pdf", "json", "CSV", "csv.exe", ""])
def test_an_unknown_export_format_is_refused_not_served_or_crashed(quality_manager, fmt):
    response = signed_in(quality_manager).get(f"/people/competence-matrix/export.{fmt}")
    assert response.status_code in (400, 403, 404)


def test_the_matrix_exports_hold_the_people_shown(quality_manager, world):
    client = signed_in(quality_manager)
    csv_response = client.get(CSV)
    assert csv_response["Content-Type"].startswith("text/csv")
    assert 'filename="competence-matrix-' in csv_response["Content-Disposition"]
    assert "Tom Trainee" in csv_text(csv_response)
    xlsx_response = client.get(XLSX)
    assert xlsx_response["Content-Type"].endswith("spreadsheetml.sheet")
    assert "Tom Trainee" in xlsx_text(xlsx_response)


def test_the_registrar_holds_every_people_read_right_and_no_other(external_auditor):
    people_rights = {
        f"people.{codename}"
        for codename in Permission.objects.filter(content_type__app_label="people").values_list(
            "codename", flat=True
        )
    }
    granted = {right for right in people_rights if external_auditor.has_perm(right)}
    assert granted == {right for right in people_rights if right.startswith("people.view_")}
    assert "people.view_trainingrecord" in granted
    assert "people.evaluate_trainingrecord" not in granted


@pytest.mark.parametrize("register", REGISTERS, ids=slug)
def test_the_registrar_reads_the_evidence_but_cannot_add_or_change_it_on_the_web(
    external_auditor, sample, register
):
    reference = sample(register)
    record = register.model.objects.get(reference=reference)
    client = signed_in(external_auditor)
    assert client.get(url(register, "list")).status_code == 200
    assert client.get(url(register, "detail", record)).status_code == 200
    assert client.get(url(register, "create")).status_code == 403
    assert client.get(url(register, "edit", record)).status_code == 403
    before = stored(register)
    response = client.post(url(register, "edit", record), form_data(register, record))
    assert response.status_code == 403
    assert stored(register) == before
    record.refresh_from_db()
    assert record.version == 1


# -- 2. the API, register by register --------------------------------------------------------
@pytest.mark.parametrize("register", REGISTERS, ids=slug)
@pytest.mark.parametrize("persona_name", PERSONAS)
def test_who_may_list_and_read_each_register_through_the_api(
    api_for, person_called, sample, persona_name, register
):
    reference = sample(register)
    api = api_for(person_called(persona_name))
    for path in (
        api_path(register),
        api_path(register, reference),
        api_path(register, reference, "/history"),
    ):
        response = api.get(path)
        if persona_name in READERS:
            assert response.status_code == 200, (path, response.content)
        else:
            assert_error(response, 403)
    if persona_name in READERS:
        listed = api.get(api_path(register)).json()["results"]
        assert reference in [r["reference"] for r in listed]
        assert api.get(api_path(register, reference)).headers["ETag"] == '"1"'


@pytest.mark.parametrize("register", REGISTERS, ids=slug)
@pytest.mark.parametrize("persona_name", PERSONAS)
def test_who_may_create_in_each_register_through_the_api(
    api_for, person_called, world, persona_name, register
):
    person = person_called(persona_name)
    allowed = ["quality_manager"] + (TRAINING_MANAGERS[1:] if register in MANAGED else [])
    before = stored(register)
    response = send(api_for(person), "post", api_path(register), create_body(register, world))
    if persona_name in allowed:
        assert response.status_code == 201, response.content
        created = register.model.objects.get(reference=response.json()["reference"])
        assert created.created_by == person
    else:
        assert_error(response, 403)
        assert stored(register) == before


@pytest.mark.parametrize("register", REGISTERS, ids=slug)
@pytest.mark.parametrize("persona_name", PERSONAS)
def test_who_may_edit_each_register_through_the_api(
    api_for, person_called, sample, persona_name, register
):
    reference = sample(register)
    allowed = ["quality_manager"] + (TRAINING_MANAGERS[1:] if register in MANAGED else [])
    before = stored(register)
    api = api_for(person_called(persona_name))
    response = send(api, "patch", api_path(register, reference), EDITS[register], '"1"')
    record = register.model.objects.get(reference=reference)
    [(field, value)] = EDITS[register].items()
    if persona_name in allowed:
        assert response.status_code == 200, response.content
        assert (getattr(record, field), record.version) == (value, 2)
    else:
        assert_error(response, 403)
        assert getattr(record, field) != value
        assert record.version == 1
        assert stored(register) == before


@pytest.mark.parametrize("register", REGISTERS, ids=slug)
def test_the_api_without_a_token_is_401_and_writes_nothing(client, sample, world, register):
    reference = sample(register)
    before = stored(register)
    body = create_body(register, world)
    requests = [
        ("get", api_path(register), None, {}),
        ("get", api_path(register, reference), None, {}),
        ("post", api_path(register), body, {}),
        ("patch", api_path(register, reference), EDITS[register], {"If-Match": '"1"'}),
        ("post", api_path(register, reference, "/archive"), {"reason": "x"}, {"If-Match": '"1"'}),
    ]
    for method, path, data, headers in requests:
        kwargs = {"content_type": "application/json", "headers": headers}
        response = getattr(client, method)(path, data or {}, **kwargs)
        assert_error(response, 401)
    assert stored(register) == before
    assert register.model.objects.get(reference=reference).version == 1


def test_an_employee_cannot_record_training_on_the_web_or_through_the_api(api_for, employee, world):
    before = stored(TrainingRecordRegister)
    client = signed_in(employee)
    assert client.get(url(TrainingRecordRegister, "create")).status_code == 403
    for person in (world.trainee, employee):  # not for someone else, nor for themselves
        data = {"person": person.pk, "course": world.course.pk, "completed_on": days(-1)}
        response = client.post(
            url(TrainingRecordRegister, "create"), form_data(TrainingRecordRegister, **data)
        )
        assert response.status_code == 403
        body = {**create_body(TrainingRecordRegister, world), "person": person.pk}
        assert_error(send(api_for(employee), "post", api_path(TrainingRecordRegister), body), 403)
    assert stored(TrainingRecordRegister) == before


# -- 3. separation of duties when training is judged (7.2 c) ---------------------------------
REASON = "Seen driving the forklift safely for a month"


@pytest.fixture
def record_of(quality_manager, world):
    """record_of(trainee) -> a passed training record of theirs, waiting to be judged."""

    def make(trainee):
        return create(
            quality_manager,
            TrainingRecord,
            person=trainee,
            course=world.course,
            completed_on=today() - timedelta(days=100),
            result="passed",
        )

    return make


def judge_on_the_web(person, record, code="effective"):
    """POST straight to the action's URL, whatever buttons the page shows."""
    path = reverse(TrainingRecordRegister.url_name("action"), args=[record.reference, code])
    return signed_in(person).post(path, {"reason": REASON, "version": record.version})


def assert_not_judged(record):
    record.refresh_from_db()
    assert (record.status, record.version, record.evaluation) == ("recorded", 1, "")
    assert record.due_date is not None
    assert not ChangeLogEntry.objects.filter(
        object_type="people.trainingrecord",
        object_id=str(record.pk),
        action__in=["effective", "not-effective"],
    ).exists()


def assert_judged_by(record, person):
    record.refresh_from_db()
    assert (record.status, record.evaluation, record.due_date) == ("effective", REASON, None)
    entry = ChangeLogEntry.objects.get(
        object_type="people.trainingrecord", object_id=str(record.pk), action="effective"
    )
    assert entry.actor_id == person.pk


@pytest.fixture
def trainee_owner(world):
    """A trainee who is a process owner, so holds the right to judge training; Mona manages."""
    return PersonFactory(full_name="Otto Owner", roles=[RoleCode.PROCESS_OWNER], manager=world.boss)


@pytest.fixture
def trainee_quality_manager(world):
    """A trainee who is a quality manager, so passes the manager-or-quality-manager rule."""
    return PersonFactory(
        full_name="Qira Quality", roles=[RoleCode.QUALITY_MANAGER], manager=world.boss
    )


def test_the_trainee_cannot_judge_their_own_training_although_holding_the_right(
    trainee_owner, record_of
):
    record = record_of(trainee_owner)
    assert trainee_owner.has_perm("people.evaluate_trainingrecord")
    response = judge_on_the_web(trainee_owner, record)
    assert response.status_code == 302
    assert "Nobody judges whether their own training worked" in messages_of(response)
    assert_not_judged(record)


def test_a_quality_manager_cannot_judge_their_own_training(trainee_quality_manager, record_of):
    record = record_of(trainee_quality_manager)
    response = judge_on_the_web(trainee_quality_manager, record)
    assert "Nobody judges whether their own training worked" in messages_of(response)
    assert_not_judged(record)


def test_the_trainee_cannot_judge_their_own_training_not_effective_either(trainee_owner, record_of):
    record = record_of(trainee_owner)
    assignments = TrainingAssignment.objects.count()
    judge_on_the_web(trainee_owner, record, code="not-effective")
    assert_not_judged(record)
    assert TrainingAssignment.objects.count() == assignments


def test_a_process_owner_who_is_not_the_trainees_manager_cannot_judge(
    process_owner, world, record_of
):
    record = record_of(world.trainee)
    response = judge_on_the_web(process_owner, record)
    assert "The trainee's manager or the quality manager judges this." in messages_of(response)
    assert_not_judged(record)


def test_the_trainees_manager_judges_the_training_effective(world, record_of):
    record = record_of(world.trainee)
    response = judge_on_the_web(world.boss, record)
    assert response.status_code == 302
    assert response["Location"] == url(TrainingRecordRegister, "detail", record)
    assert_judged_by(record, world.boss)


def test_a_quality_manager_judges_someone_elses_training(quality_manager, world, record_of):
    record = record_of(world.trainee)
    judge_on_the_web(quality_manager, record)
    assert_judged_by(record, quality_manager)


def test_a_manager_without_the_right_to_evaluate_cannot_judge(record_of):
    boss = PersonFactory(full_name="Eli Employee", roles=[RoleCode.EMPLOYEE])
    trainee = PersonFactory(full_name="Ria Report", manager=boss)
    record = record_of(trainee)
    response = judge_on_the_web(boss, record)
    assert "right to judge effective" in messages_of(response)
    assert_not_judged(record)


def test_the_api_refuses_the_trainee_and_accepts_the_manager(api_for, trainee_owner, record_of):
    record = record_of(trainee_owner)
    path = api_path(TrainingRecordRegister, record.reference, "/actions/effective")
    assert_error(send(api_for(trainee_owner), "post", path, {"reason": REASON}, '"1"'), 403)
    assert_not_judged(record)
    response = send(api_for(trainee_owner.manager), "post", path, {"reason": REASON}, '"1"')
    assert response.status_code == 200, response.content
    assert_judged_by(record, trainee_owner.manager)


@pytest.mark.parametrize(
    "judge, allowed",
    [
        ("trainee_owner", False),  # still neither the manager nor a quality manager
        ("process_owner", False),  # holds the right, but is not the trainee's manager
        ("boss", True),
    ],
)
def test_without_separation_of_duties_the_manager_rule_still_holds(
    settings, person_called, world, trainee_owner, record_of, judge, allowed
):
    settings.NORMA_SEPARATION_OF_DUTIES = False
    record = record_of(trainee_owner)
    person = world.boss if judge == "boss" else person_called(judge)
    response = judge_on_the_web(person, record)
    if allowed:
        assert_judged_by(record, person)
    else:
        assert "The trainee's manager or the quality manager judges this." in messages_of(response)
        assert_not_judged(record)


def test_without_separation_of_duties_a_quality_manager_may_judge_their_own_training(
    settings, trainee_quality_manager, record_of
):
    """What the setting switches off is the trainee check alone."""
    settings.NORMA_SEPARATION_OF_DUTIES = False
    record = record_of(trainee_quality_manager)
    judge_on_the_web(trainee_quality_manager, record)
    assert_judged_by(record, trainee_quality_manager)


# -- 4. site scope ---------------------------------------------------------------------------
@pytest.fixture
def sites(quality_manager, leeds, porto, world):
    """Liam works in Leeds, Paula in Porto; both are machinists with training, an open
    assignment and an assessment. Lee manages training, limited to Leeds."""
    machining = DepartmentFactory(name="Leeds Machining", site=leeds)
    assembly = DepartmentFactory(name="Porto Assembly", site=porto)
    liam = PersonFactory(full_name="Liam Leeds", site=leeds, department=machining)
    paula = PersonFactory(full_name="Paula Porto", site=porto, department=assembly)
    gauges = create(quality_manager, Course, title="Gauge handling", delivery="internal")
    create(
        quality_manager,
        Requirement,
        job_role=world.job_role,
        kind=Requirement.Kind.COURSE,
        course=world.course,
    )
    world.job_role.holders.set([liam, paula])
    records = {}
    for key, person in (("leeds", liam), ("porto", paula)):
        records[key] = {
            TrainingRecordRegister: create(
                quality_manager,
                TrainingRecord,
                person=person,
                course=world.course,
                completed_on=today() - timedelta(days=5),
                result="passed",
            ),
            TrainingAssignmentRegister: create(
                quality_manager,
                TrainingAssignment,
                person=person,
                course=gauges,
                reason="gap",
                due_date=today() + timedelta(days=20),
            ),
            AssessmentRegister: create(
                quality_manager,
                AssessmentRegister.model,
                person=person,
                requirement=world.skill,
                level=3,
                assessed_on=today() - timedelta(days=2),
            ),
        }
    lee = PersonFactory(
        full_name="Lee Limited", roles=[RoleCode.PROCESS_OWNER], scope_sites=[leeds]
    )
    return SimpleNamespace(lee=lee, liam=liam, paula=paula, records=records, course=world.course)


PERSONAL = [TrainingRecordRegister, TrainingAssignmentRegister, AssessmentRegister]


@pytest.mark.parametrize("register", PERSONAL, ids=slug)
def test_a_site_limited_person_sees_only_their_sites_records_on_the_web(sites, register):
    mine, theirs = sites.records["leeds"][register], sites.records["porto"][register]
    client = signed_in(sites.lee)
    page = client.get(url(register, "list")).content.decode()
    assert mine.reference in page
    assert theirs.reference not in page
    rows = client.get(url(register, "list"), headers=HX).content.decode()
    assert "Liam Leeds" in rows
    assert "Paula Porto" not in rows
    assert client.get(url(register, "detail", mine)).status_code == 200
    assert client.get(url(register, "detail", theirs)).status_code == 404
    assert client.get(url(register, "history", theirs)).status_code == 404
    for fmt in ("csv", "xlsx"):
        response = client.get(url(register, "export") + f"?format={fmt}")
        text = csv_text(response) if fmt == "csv" else xlsx_text(response)
        assert mine.reference in text, fmt
        assert theirs.reference not in text, fmt


@pytest.mark.parametrize("register", PERSONAL, ids=slug)
def test_the_list_filters_do_not_name_people_at_other_sites(sites, register):
    page = signed_in(sites.lee).get(url(register, "list")).content.decode()
    assert "Liam Leeds" in page
    assert "Paula Porto" not in page


@pytest.mark.parametrize("register", PERSONAL, ids=slug)
def test_a_site_limited_person_does_not_find_other_sites_records_by_search(sites, register):
    mine, theirs = sites.records["leeds"][register], sites.records["porto"][register]
    client = signed_in(sites.lee)
    assert mine.reference in client.get(url(register, "list"), {"q": "Liam"}).content.decode()
    for text in ("Paula", theirs.reference):
        found = client.get(url(register, "list"), {"q": text}, headers=HX).content.decode()
        assert theirs.reference not in found
        assert "Paula Porto" not in found


@pytest.mark.parametrize("register", PERSONAL, ids=slug)
def test_a_site_limited_person_sees_only_their_sites_records_through_the_api(
    api_for, sites, register
):
    mine, theirs = sites.records["leeds"][register], sites.records["porto"][register]
    api = api_for(sites.lee)
    listed = {r["reference"] for r in api.get(api_path(register)).json()["results"]}
    assert listed == {mine.reference}
    assert api.get(api_path(register, mine.reference)).status_code == 200
    assert_error(api.get(api_path(register, theirs.reference)), 404)
    assert_error(api.get(api_path(register, theirs.reference, "/history")), 404)
    for text in ("Paula", theirs.reference):
        assert api.get(api_path(register) + f"?q={text}").json()["count"] == 0
    patch = send(api, "patch", api_path(register, theirs.reference), EDITS[register], '"1"')
    assert_error(patch, 404)
    theirs.refresh_from_db()
    assert theirs.version == 1


def test_a_site_limited_person_cannot_record_training_for_someone_at_another_site(api_for, sites):
    data = {"person": sites.paula.pk, "course": sites.course.pk, "completed_on": days(-1)}
    before = stored(TrainingRecordRegister)
    client = signed_in(sites.lee)
    web = client.post(
        url(TrainingRecordRegister, "create"), form_data(TrainingRecordRegister, **data)
    )
    assert web.status_code == 403
    body = {**data, "result": "passed"}
    api = send(api_for(sites.lee), "post", api_path(TrainingRecordRegister), body)
    assert api.status_code in (403, 404, 422), api.content
    assert_error(api, api.status_code)
    assert stored(TrainingRecordRegister) == before
    assert not TrainingRecord.objects.filter(person=sites.paula, completed_on=days(-1)).exists()
    # The same form for a Leeds colleague is accepted: the refusal is the site, not the form.
    data["person"] = sites.liam.pk
    response = client.post(
        url(TrainingRecordRegister, "create"), form_data(TrainingRecordRegister, **data)
    )
    assert response.status_code == 302
    assert TrainingRecord.objects.filter(person=sites.liam, completed_on=days(-1)).exists()


def test_a_site_limited_person_cannot_move_a_training_record_to_another_site(sites):
    mine = sites.records["leeds"][TrainingRecordRegister]
    data = form_data(TrainingRecordRegister, mine, person=sites.paula.pk, completed_on=days(-7))
    response = signed_in(sites.lee).post(url(TrainingRecordRegister, "edit", mine), data)
    assert response.status_code == 403
    mine.refresh_from_db()
    assert (mine.person_id, mine.version) == (sites.liam.pk, 1)


def test_the_competence_matrix_and_its_exports_show_only_people_of_my_sites(sites):
    client = signed_in(sites.lee)
    page = client.get(MATRIX).content.decode()
    assert "Liam Leeds" in page
    assert "Paula Porto" not in page
    narrowed = client.get(MATRIX, {"site": sites.paula.site_id}).content.decode()
    assert "Paula Porto" not in narrowed
    for text in (csv_text(client.get(CSV)), xlsx_text(client.get(XLSX))):
        assert "Liam Leeds" in text
        assert "Paula Porto" not in text
    everyone = signed_in(PersonFactory(roles=[RoleCode.PROCESS_OWNER])).get(MATRIX)
    assert "Paula Porto" in everyone.content.decode()


def test_the_awareness_page_shows_only_people_of_my_sites(sites):
    bulk_documents(1, checklist_item=ChecklistItem.M3)  # a quality policy in force
    page = signed_in(sites.lee).get(AWARENESS).content.decode()
    assert "Leeds Machining" in page and "Liam Leeds" in page
    assert "Porto Assembly" not in page
    assert "Paula Porto" not in page
    everyone = signed_in(PersonFactory(roles=[RoleCode.PROCESS_OWNER])).get(AWARENESS)
    assert "Paula Porto" in everyone.content.decode()


def test_the_qualified_auditors_page_shows_only_people_of_my_sites(quality_manager, sites):
    auditing = create(
        quality_manager,
        Course,
        title="Internal auditor course",
        delivery="external",
        qualifies=Course.Qualifies.INTERNAL_AUDITOR,
    )
    for person in (sites.liam, sites.paula):
        create(
            quality_manager,
            TrainingRecord,
            person=person,
            course=auditing,
            completed_on=today() - timedelta(days=1),
            result="passed",
        )
    page = signed_in(sites.lee).get(AUDITORS).content.decode()
    assert "Liam Leeds" in page
    assert "Paula Porto" not in page


# -- 5. navigation and My team ---------------------------------------------------------------
@pytest.mark.parametrize("persona_name", PERSONAS)
def test_the_people_navigation_group_is_shown_to_who_may_view_it_and_its_links_work(
    person_called, persona_name
):
    client = signed_in(person_called(persona_name))
    links = nav_group(client.get(TEAM).content.decode())
    if persona_name not in READERS:
        assert links is None
        return
    assert set(links) == NAV_ITEMS
    for title, href in links.items():
        assert client.get(href).status_code == 200, title


def test_my_team_shows_an_empty_state_to_someone_with_no_reports(process_owner, world):
    page = signed_in(process_owner).get(TEAM).content.decode()
    assert "Nobody reports to you in Norma." in page
    assert "Tom Trainee" not in page  # Mona's report, not theirs


def test_my_team_shows_a_managers_own_reports_and_their_gaps(world, quality_manager):
    create(
        quality_manager,
        Requirement,
        job_role=world.job_role,
        kind=Requirement.Kind.COURSE,
        course=world.course,
    )
    page = signed_in(world.boss).get(TEAM).content.decode()
    assert "Nobody reports to you" not in page
    assert "Tom Trainee" in page
    assert "Forklift safety" in page  # a gap: no training recorded


# -- 6. stale edits --------------------------------------------------------------------------
@pytest.fixture
def course(quality_manager):
    return create(quality_manager, Course, title="Lathe basics", delivery="internal")


@pytest.fixture
def training(quality_manager, world):
    return create(
        quality_manager,
        TrainingRecord,
        person=world.trainee,
        course=world.course,
        completed_on=today() - timedelta(days=10),
        result="passed",
    )


def colleague():
    return PersonFactory(full_name="Cleo Colleague", roles=[RoleCode.QUALITY_MANAGER])


@pytest.mark.parametrize(
    "obj_fixture, register, field, theirs, mine",
    [
        ("course", CourseRegister, "provider", "Acme Training", "Beta Training"),
        ("training", TrainingRecordRegister, "trainer", "Acme Training", "Beta Training"),
    ],
)
def test_a_stale_web_edit_is_refused_and_overwrites_nothing(
    request, quality_manager, obj_fixture, register, field, theirs, mine
):
    obj = request.getfixturevalue(obj_fixture)
    opened = form_data(register, obj, **{field: mine})  # my form, opened at version 1
    first = signed_in(colleague()).post(
        url(register, "edit", obj), form_data(register, obj, **{field: theirs})
    )
    assert first.status_code == 302
    response = signed_in(quality_manager).post(url(register, "edit", obj), opened)
    assert response.status_code == 409
    assert "Cleo Colleague" in response.context["stale"].message
    obj.refresh_from_db()
    assert (getattr(obj, field), obj.version) == (theirs, 2)


@pytest.mark.parametrize(
    "obj_fixture, register, field",
    [("course", CourseRegister, "provider"), ("training", TrainingRecordRegister, "trainer")],
)
def test_a_stale_api_edit_is_refused_and_overwrites_nothing(
    api_for, request, quality_manager, obj_fixture, register, field
):
    obj = request.getfixturevalue(obj_fixture)
    path = api_path(register, obj.reference)
    first = send(api_for(colleague()), "patch", path, {field: "Acme Training"}, '"1"')
    assert first.status_code == 200, first.content
    api = api_for(quality_manager)
    assert_error(send(api, "patch", path, {field: "Beta Training"}, '"1"'), 412)
    assert_error(send(api, "patch", path, {field: "Beta Training"}), 428)
    obj.refresh_from_db()
    assert (getattr(obj, field), obj.version) == ("Acme Training", 2)
    assert send(api, "patch", path, {field: "Beta Training"}, '"2"').status_code == 200
