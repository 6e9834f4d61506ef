"""7.1.2, 7.2, 7.3 and 9.2.2 in the people app: job roles, competence requirements, assessments
and audit experience through the register kit and their own rules; the competence matrix and
its page, exports and team view; awareness of the policy and objectives in force; auditor
qualification; and the readiness checks built on all of them.

Dates are explicit: records are dated around DAY (a fixed Monday in the past), the matrix is
asked about DAY, and pages run with Norma's clock stopped on DAY (the `today` fixture).
"""

import csv
import datetime
import io
import itertools
import re
from datetime import timedelta

import openpyxl
import pytest
from django.utils import timezone

from norma.core.actions import ArchiveRecord, CreateRecord, UpdateRecord
from norma.core.context import acting_as
from norma.core.models import ChangeLogEntry, Person, RoleCode
from norma.core.models.records import reserve_references
from norma.documents.actions import (
    AcknowledgeRevision,
    ApproveRevision,
    Distribute,
    EditDraft,
    ReviewRevision,
    StartRevision,
    SubmitRevision,
)
from norma.people import auditors, awareness, competence
from norma.people.competence import State
from norma.people.models import (
    Assessment,
    AuditExperience,
    Course,
    JobRole,
    Requirement,
    TrainingAssignment,
    TrainingRecord,
)
from norma.people.registers import (
    AssessmentRegister,
    AuditExperienceRegister,
    JobRoleRegister,
    RequirementRegister,
)
from norma.standards.readiness import Status, evaluate, registered_checks
from tests.conftest import PERSONAS, ApiClient
from tests.factories import PASSWORD, DepartmentFactory, PersonFactory, make_document, make_process
from tests.kit import RegisterKit, count_queries, form_data

DAY = datetime.date(2026, 3, 2)
EVERYONE = [p for p in PERSONAS if p != "nobody"]
MANAGERS = ["quality_manager", "top_manager", "process_owner"]  # record people's competence
MATRIX = "/people/competence-matrix/"
SIGN = {"password": PASSWORD}


def days(count: int) -> datetime.date:
    return DAY + timedelta(days=count)


@pytest.fixture
def today(monkeypatch):
    """Norma's clock stopped at noon on DAY, so pages and rules agree on what today is."""
    noon = datetime.datetime.combine(DAY, datetime.time(12), tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: noon)
    return DAY


# -- makers: the real Create action, as a person would ---------------------------------------
def create(actor, model, **data):
    return CreateRecord(actor, model, data=data).execute()


def make_course(actor, title="Forklift safety", **fields):
    return create(actor, Course, title=title, delivery="internal", **fields)


def make_job_role(actor, title="Machinist", **fields):
    return create(actor, JobRole, title=title, **fields)


def make_requirement(actor, title="Reading drawings", site=None, **fields):
    """A skill at level 3 unless told otherwise; placed where its job role is."""
    job_role = fields.pop("job_role", None) or make_job_role(actor, site=site)
    data = {"job_role": job_role, "kind": "skill", "title": title, "level": 3, **fields}
    return create(actor, Requirement, **data)


def require_course(actor, job_role, course):
    return make_requirement(actor, title="", job_role=job_role, kind="course", course=course)


def make_assessment(actor, title="Reading drawings", site=None, **fields):
    """An assessment's title is its requirement's and its person's: `title` names the
    requirement; `site` is where the person works, which places the assessment."""
    person = fields.pop("person", None) or PersonFactory(full_name="Sam Skilled", site=site)
    requirement = fields.pop("requirement", None) or make_requirement(actor, title=title)
    data = {"person": person, "requirement": requirement, "level": 3, "assessed_on": days(-30)}
    return create(actor, Assessment, **{**data, **fields})


def make_audit_experience(actor, title="Audit of purchasing", site=None, **fields):
    auditor = fields.pop("auditor", None) or PersonFactory(full_name="Ada Auditing", site=site)
    data = {"title": title, "auditor": auditor, "role": "team_member", "audited_on": days(-10)}
    return create(actor, AuditExperience, **{**data, **fields})


def train(actor, person, course, completed_on, result="passed", **fields):
    data = {"person": person, "course": course, "completed_on": completed_on, "result": result}
    return create(actor, TrainingRecord, **data, **fields)


def assess(actor, person, requirement, level, assessed_on=None, **fields):
    return make_assessment(
        actor,
        person=person,
        requirement=requirement,
        level=level,
        assessed_on=assessed_on or days(-30),
        **fields,
    )


def audits(actor, auditor, count, role="team_member", **fields):
    return [
        make_audit_experience(
            actor, title=f"Audit {n} by {auditor.full_name}", auditor=auditor, role=role, **fields
        )
        for n in range(count)
    ]


# -- bulk rows for the query counts -----------------------------------------------------------
def bulk(model, prefix: str, count: int, **fields):
    with acting_as(name="test bulk"):
        references = reserve_references(prefix, count, width=5)
        return model.objects.bulk_create(
            model(reference=reference, title=f"Bulk {n}", **fields)
            for n, reference in enumerate(references)
        )


def one(model, prefix: str, **fields):
    return bulk(model, prefix, 1, **fields)[0]


def bulk_job_roles(count, **fields):
    return bulk(JobRole, "JOB", count, status=JobRole.Status.CURRENT, **fields)


def bulk_requirements(count, **fields):
    job_role = one(JobRole, "JOB", status=JobRole.Status.CURRENT)
    return bulk(
        Requirement,
        "CR",
        count,
        job_role=job_role,
        kind="skill",
        level=3,
        status="current",
        **fields,
    )


def bulk_assessments(count, **fields):
    requirement = bulk_requirements(1)[0]
    person = PersonFactory()
    return bulk(
        Assessment,
        "CA",
        count,
        person=person,
        requirement=requirement,
        level=3,
        assessed_on=days(-30),
        status=Assessment.Status.VALID,
        **fields,
    )


def bulk_audit_experience(count, **fields):
    auditor = PersonFactory()
    return bulk(
        AuditExperience,
        "AX",
        count,
        auditor=auditor,
        role="team_member",
        audited_on=days(-10),
        status=AuditExperience.Status.COUNTED,
        **fields,
    )


# -- ids a form needs, made when the request is built (after the database is ready) ----------
class Lazy:
    def __init__(self, make):
        self.make = make

    def __str__(self):
        return str(self.make().pk)


def kit_person():
    return Person.objects.filter(email="kit.trainee@example.com").first() or PersonFactory(
        email="kit.trainee@example.com", full_name="Kit Trainee"
    )


def kit_job_role():
    return JobRole.objects.filter(reference="JOB-TEST").first() or JobRole.objects.create(
        reference="JOB-TEST", title="Kit machinist", status=JobRole.Status.CURRENT
    )


def kit_requirement():
    return Requirement.objects.filter(reference="CR-TEST").first() or Requirement.objects.create(
        reference="CR-TEST",
        title="Kit drawing reading",
        job_role=kit_job_role(),
        kind="skill",
        level=3,
        status=Requirement.Status.CURRENT,
    )


# -- the registers through the kit -------------------------------------------------------------
class TestJobRoleRegister(RegisterKit):
    register = JobRoleRegister
    make_record = staticmethod(make_job_role)
    bulk_records = staticmethod(bulk_job_roles)
    create_data = {"title": "CNC machinist", "purpose": "Turns and mills parts to drawing."}
    edit_data = {"title": "Senior CNC machinist", "purpose": "Sets up the five-axis cell."}
    invalid_data = {"title": ""}
    viewers = EVERYONE
    adders = ["quality_manager"]
    editors = ["quality_manager"]
    archivers = ["quality_manager"]


class TestRequirementRegister(RegisterKit):
    register = RequirementRegister
    make_record = staticmethod(make_requirement)
    bulk_records = staticmethod(bulk_requirements)
    create_data = {"job_role": Lazy(kit_job_role), "kind": "skill", "title": "TIG welding"}
    edit_data = {"title": "TIG welding of stainless steel", "level": "4"}
    invalid_data = {"title": ""}  # neither a title nor a course to take it from
    viewers = EVERYONE
    adders = ["quality_manager"]
    editors = ["quality_manager"]
    archivers = ["quality_manager"]


class TestAssessmentRegister(RegisterKit):
    register = AssessmentRegister
    make_record = staticmethod(make_assessment)
    bulk_records = staticmethod(bulk_assessments)
    create_data = {
        "person": Lazy(kit_person),
        "requirement": Lazy(kit_requirement),
        "level": "2",
        "assessed_on": "2026-02-02",
        "basis": "Diploma in mechanical engineering.",
    }
    edit_data = {"level": "4", "basis": "Observed turning a shaft to drawing."}
    invalid_data = {"assessed_on": "2999-01-01"}
    viewers = EVERYONE
    adders = MANAGERS
    editors = MANAGERS
    archivers = ["quality_manager"]

    def test_csv_export_neutralises_spreadsheet_formulas(self, client_for, persona_named):
        """An assessment's title is derived and not a column; the typed text that begins a
        cell of the export is the person's name."""
        actor = persona_named(self.adders[0])
        make_assessment(actor, person=PersonFactory(full_name="=HYPERLINK(evil)"))
        response = client_for(persona_named(self.viewers[0])).get(
            self.url("export") + "?format=csv"
        )
        body = b"".join(response.streaming_content).decode()
        assert "'=HYPERLINK(evil)" in body
        assert ",=HYPERLINK" not in body


class TestAuditExperienceRegister(RegisterKit):
    register = AuditExperienceRegister
    make_record = staticmethod(make_audit_experience)
    bulk_records = staticmethod(bulk_audit_experience)
    create_data = {
        "title": "Audit of purchasing, 2026",
        "auditor": Lazy(kit_person),
        "role": "team_member",
        "audited_on": "2026-02-02",
    }
    edit_data = {"title": "Audit of purchasing and stores", "role": "lead"}
    invalid_data = {"audited_on": "2999-01-01"}
    viewers = EVERYONE
    adders = ["quality_manager"]
    editors = ["quality_manager"]
    archivers = ["quality_manager"]


# -- what the forms and the API refuse ---------------------------------------------------------
def course_requirement_without_a_course(qm):
    return RequirementRegister, {"job_role": make_job_role(qm), "kind": "course"}, "course"


def requirement_without_title_or_course(qm):
    return RequirementRegister, {"job_role": make_job_role(qm), "kind": "skill"}, "title"


def assessment_of_a_course(qm):
    requirement = require_course(qm, make_job_role(qm), make_course(qm))
    data = {"person": PersonFactory(), "requirement": requirement, "assessed_on": days(-1)}
    return AssessmentRegister, data, "requirement"


def assessment_dated_ahead(qm):
    data = {"person": PersonFactory(), "requirement": make_requirement(qm), "assessed_on": days(1)}
    return AssessmentRegister, data, "assessed_on"


def assessment_valid_until_its_own_day(qm):
    data = {
        "person": PersonFactory(),
        "requirement": make_requirement(qm),
        "assessed_on": days(-10),
        "valid_until": days(-10),
    }
    return AssessmentRegister, data, "valid_until"


def audit_not_yet_done(qm):
    data = {"auditor": PersonFactory(), "role": "team_member", "audited_on": days(1)}
    return AuditExperienceRegister, data, "audited_on"


def supervised_lead_without_supervisor(qm):
    data = {"auditor": PersonFactory(), "role": "lead_supervised", "audited_on": days(-1)}
    return AuditExperienceRegister, data, "supervisor"


def auditor_supervising_themselves(qm):
    auditor = PersonFactory()
    data = {
        "auditor": auditor,
        "role": "lead_supervised",
        "audited_on": days(-1),
        "supervisor": auditor,
    }
    return AuditExperienceRegister, data, "supervisor"


DEFAULTS = {
    RequirementRegister: {"level": 3},
    AssessmentRegister: {"level": 3},
    AuditExperienceRegister: {"title": "Audit of stores"},
}


def as_form(value):
    return value.pk if hasattr(value, "pk") else value


def as_json(value):
    value = as_form(value)
    return value.isoformat() if isinstance(value, datetime.date) else value


@pytest.mark.parametrize(
    "bad_input",
    [
        course_requirement_without_a_course,
        requirement_without_title_or_course,
        assessment_of_a_course,
        assessment_dated_ahead,
        assessment_valid_until_its_own_day,
        audit_not_yet_done,
        supervised_lead_without_supervisor,
        auditor_supervising_themselves,
    ],
)
def test_bad_input_is_refused_by_the_form_and_the_api_naming_the_field(
    bad_input, quality_manager, client_for, today
):
    register, data, field = bad_input(quality_manager)
    data = {**DEFAULTS[register], **data}
    model = register.model
    before = (model.objects.count(), ChangeLogEntry.objects.count())
    create_url = f"/{register.app_label()}/{register.slug()}/new/"

    page = client_for(quality_manager).post(
        create_url, form_data(register, **{k: as_form(v) for k, v in data.items()})
    )
    assert page.status_code == 422
    assert field in page.context["form"].errors
    assert (model.objects.count(), ChangeLogEntry.objects.count()) == before

    api = ApiClient(quality_manager)
    response = api.post(
        f"/api/v1/{register.app_label()}/{register.slug()}/",
        {k: as_json(v) for k, v in data.items()},
    )
    assert response.status_code == 422, response.content
    assert response.json()["errors"][field]
    assert (model.objects.count(), ChangeLogEntry.objects.count()) == before


def test_a_course_requirement_takes_its_title_from_the_course(quality_manager):
    forklift = make_course(quality_manager, "Forklift safety")
    requirement = require_course(quality_manager, make_job_role(quality_manager), forklift)
    assert requirement.title == "Forklift safety"
    assert requirement.label == "Forklift safety"


# -- the competence matrix ---------------------------------------------------------------------
def staff_named(*names):
    return [PersonFactory(full_name=name, roles=[RoleCode.EMPLOYEE]) for name in names]


def matrix_of(people, on=DAY):
    return competence.matrix(Person.objects.filter(pk__in=[p.pk for p in people]), today=on)


def cells(found) -> dict:
    """{(person's name, column label): cell} for every required cell of the matrix."""
    return {
        (row.person.full_name, column.label): cell
        for row in found.rows
        for column, cell in zip(found.columns, row.cells, strict=True)
        if cell is not None
    }


def states(found) -> dict:
    return {key: cell.state for key, cell in cells(found).items()}


@pytest.fixture
def forklift(quality_manager):
    return make_course(quality_manager, "Forklift safety")


@pytest.fixture
def driver(quality_manager, forklift):
    """A job role that needs the forklift course."""
    role = make_job_role(quality_manager, "Forklift driver")
    require_course(quality_manager, role, forklift)
    return role


def hold(role, *people):
    role.holders.add(*people)


def test_training_is_met_expiring_expired_or_missing_by_its_expiry(
    quality_manager, forklift, driver, settings
):
    settings.NORMA_EXPIRING_DAYS = 30
    met, soon, lapsed, never = staff_named("Met Mo", "Soon Su", "Lapsed Lu", "Never Ned")
    hold(driver, met, soon, lapsed, never)
    train(quality_manager, met, forklift, days(-100), expires_on=days(31))
    train(quality_manager, soon, forklift, days(-100), expires_on=days(30))
    train(quality_manager, lapsed, forklift, days(-800), expires_on=DAY)

    found = matrix_of([met, soon, lapsed, never])

    assert [c.label for c in found.columns] == ["Forklift safety"]
    assert states(found) == {
        ("Met Mo", "Forklift safety"): State.MET,
        ("Soon Su", "Forklift safety"): State.EXPIRING,
        ("Lapsed Lu", "Forklift safety"): State.EXPIRED,
        ("Never Ned", "Forklift safety"): State.MISSING,
    }
    cell = cells(found)[("Met Mo", "Forklift safety")]
    assert cell.until == days(31)
    settings.NORMA_EXPIRING_DAYS = 31
    assert cells(matrix_of([met]))[("Met Mo", "Forklift safety")].state == State.EXPIRING


def test_failed_training_does_not_count_and_attendance_counts_for_an_unscored_course(
    quality_manager, forklift, driver
):
    attended, failed, failed_later = staff_named("Attended Al", "Failed Fay", "Failed Later")
    hold(driver, attended, failed, failed_later)
    train(quality_manager, attended, forklift, days(-10), result="attended")
    train(quality_manager, failed, forklift, days(-10), result="failed")
    train(quality_manager, failed_later, forklift, days(-300), expires_on=days(-1))
    train(quality_manager, failed_later, forklift, days(-5), result="failed")

    assert states(matrix_of([attended, failed, failed_later])) == {
        ("Attended Al", "Forklift safety"): State.MET,
        ("Failed Fay", "Forklift safety"): State.MISSING,
        ("Failed Later", "Forklift safety"): State.EXPIRED,
    }


def test_the_training_that_lasts_longest_shows_whatever_its_date(quality_manager, forklift, driver):
    long_then_short, short_then_forever = staff_named("Long Then Short", "Short Then Forever")
    hold(driver, long_then_short, short_then_forever)
    train(quality_manager, long_then_short, forklift, days(-400), expires_on=days(400))
    train(quality_manager, long_then_short, forklift, days(-10), expires_on=days(5))
    train(quality_manager, short_then_forever, forklift, days(-400), expires_on=days(400))
    train(quality_manager, short_then_forever, forklift, days(-500))  # no expiry

    found = cells(matrix_of([long_then_short, short_then_forever]))

    first = found[("Long Then Short", "Forklift safety")]
    assert (first.state, first.until) == (State.MET, days(400))
    second = found[("Short Then Forever", "Forklift safety")]
    assert (second.state, second.until) == (State.MET, None)


def test_an_assessment_below_the_level_is_missing_at_or_above_met_and_lapsed_expired(
    quality_manager,
):
    role = make_job_role(quality_manager, "Inspector")
    drawings = make_requirement(quality_manager, "Reading drawings", job_role=role, level=3)
    below, at, above, lapsed, never = staff_named("Below", "At", "Above", "Lapsed", "Never")
    hold(role, below, at, above, lapsed, never)
    low = assess(quality_manager, below, drawings, 2)
    assess(quality_manager, at, drawings, 3)
    assess(quality_manager, above, drawings, 4, valid_until=days(365))
    assess(quality_manager, lapsed, drawings, 4, assessed_on=days(-400), valid_until=DAY)

    found = matrix_of([below, at, above, lapsed, never])

    label = "Reading drawings (≥ 3)"
    assert [c.label for c in found.columns] == [label]
    assert states(found) == {
        ("Below", label): State.MISSING,
        ("At", label): State.MET,
        ("Above", label): State.MET,
        ("Lapsed", label): State.EXPIRED,
        ("Never", label): State.MISSING,
    }
    assert cells(found)[("Below", label)].evidence == low.reference
    assert found.counts() == {"met": 2, "expiring": 0, "expired": 1, "missing": 2}


def test_two_roles_asking_for_the_same_course_give_one_column(quality_manager, forklift, driver):
    storekeeper = make_job_role(quality_manager, "Storekeeper")
    require_course(quality_manager, storekeeper, forklift)
    both, only_store, neither = staff_named("Both Roles", "Only Store", "Neither")
    hold(driver, both)
    hold(storekeeper, both, only_store)

    found = matrix_of([both, only_store, neither])

    assert [c.label for c in found.columns] == ["Forklift safety"]
    assert len(found.columns[0].requirement_ids) == 2
    assert states(found) == {
        ("Both Roles", "Forklift safety"): State.MISSING,
        ("Only Store", "Forklift safety"): State.MISSING,
    }
    rows = {row.person.full_name: row for row in found.rows}
    assert rows["Neither"].cells == [None]
    assert rows["Both Roles"].gaps == 1


def retire_requirement_by_status(actor, role, requirement):
    Requirement.objects.filter(pk=requirement.pk).update(status=Requirement.Status.PAST)


def archive_requirement(actor, role, requirement):
    ArchiveRecord(actor, requirement, reason="No longer needed").execute()


def retire_role_by_status(actor, role, requirement):
    JobRole.objects.filter(pk=role.pk).update(status=JobRole.Status.PAST)


def archive_role(actor, role, requirement):
    ArchiveRecord(actor, role, reason="Merged into another role").execute()


@pytest.mark.parametrize(
    "retire",
    [retire_requirement_by_status, archive_requirement, retire_role_by_status, archive_role],
)
def test_a_past_or_archived_requirement_or_role_is_not_a_column(
    retire, quality_manager, forklift, driver
):
    crane_operator = make_job_role(quality_manager, "Crane operator")
    crane = require_course(quality_manager, crane_operator, make_course(quality_manager, "Cranes"))
    (person,) = staff_named("Pat Porter")
    hold(driver, person)
    hold(crane_operator, person)
    assert [c.label for c in matrix_of([person]).columns] == ["Cranes", "Forklift safety"]

    retire(quality_manager, crane_operator, crane)

    found = matrix_of([person])
    assert [c.label for c in found.columns] == ["Forklift safety"]
    assert len(found.rows[0].cells) == 1
    if retire in (retire_role_by_status, archive_role):
        assert [role.title for role in found.rows[0].roles] == ["Forklift driver"]


def test_planned_shows_the_due_date_of_an_open_assignment(quality_manager, forklift, driver):
    planned, cancelled, unplanned = staff_named("Planned", "Cancelled", "Unplanned")
    hold(driver, planned, cancelled, unplanned)
    for person, due in ((planned, days(40)), (planned, days(20)), (cancelled, days(20))):
        create(quality_manager, TrainingAssignment, person=person, course=forklift, due_date=due)
    TrainingAssignment.objects.filter(person=cancelled).update(
        status=TrainingAssignment.Status.CANCELLED
    )

    found = cells(matrix_of([planned, cancelled, unplanned]))

    assert found[("Planned", "Forklift safety")].planned == days(20)
    assert found[("Planned", "Forklift safety")].state == State.MISSING
    assert found[("Cancelled", "Forklift safety")].planned is None
    assert found[("Unplanned", "Forklift safety")].planned is None


# -- the matrix page -------------------------------------------------------------------------
def row_of(page: str, name: str) -> str | None:
    """The rest of the table row headed by this person (their name may be a link), or None."""
    head = r'<th scope="row">(?:<a [^>]*>)?' + re.escape(name) + r"(?:</a>)?<br>"
    found = re.search(head + r"(.*?)</tr>", page, re.DOTALL)
    return found.group(1) if found else None


@pytest.fixture
def floor(quality_manager, leeds, porto, forklift, today):
    """Machining at Leeds (a lathe course), Stores at Porto (the forklift course)."""
    machining = DepartmentFactory(name="Machining", site=leeds)
    stores = DepartmentFactory(name="Stores", site=porto)
    lathe = make_course(quality_manager, "Lathe basics")
    machinist = make_job_role(quality_manager, "Machinist")
    require_course(quality_manager, machinist, lathe)
    storekeeper = make_job_role(quality_manager, "Storekeeper")
    require_course(quality_manager, storekeeper, forklift)

    def person(name, department, role):
        someone = PersonFactory(
            full_name=name, department=department, site=department.site, roles=[RoleCode.EMPLOYEE]
        )
        role.holders.add(someone)
        return someone

    mia = person("Mia Machinist", machining, machinist)
    max_ = person("Max Machinist", machining, machinist)
    sid = person("Sid Storeman", stores, storekeeper)
    train(quality_manager, mia, lathe, days(-30))
    train(quality_manager, sid, forklift, days(-30))
    create(quality_manager, TrainingAssignment, person=max_, course=lathe, due_date=days(20))
    return {
        "machining": machining,
        "stores": stores,
        "machinist": machinist,
        "storekeeper": storekeeper,
        "lathe": lathe,
        "mia": mia,
        "max": max_,
        "sid": sid,
        "person": person,
    }


def shown(page: str) -> set[str]:
    return {n for n in ("Mia Machinist", "Max Machinist", "Sid Storeman") if row_of(page, n)}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", {"Mia Machinist", "Max Machinist", "Sid Storeman"}),
        ("department={machining}", {"Mia Machinist", "Max Machinist"}),
        ("site={porto}", {"Sid Storeman"}),
        ("job_role={storekeeper}", {"Sid Storeman"}),
        ("gaps=on", {"Max Machinist"}),
    ],
)
def test_the_matrix_page_filters_by_department_site_job_role_and_gaps(
    query, expected, floor, porto, quality_manager, client_for
):
    ids = {
        "machining": floor["machining"].pk,
        "porto": porto.pk,
        "storekeeper": floor["storekeeper"].pk,
    }
    response = client_for(quality_manager).get(f"{MATRIX}?{query.format(**ids)}")
    assert response.status_code == 200
    assert shown(response.content.decode()) == expected


def test_the_matrix_page_shows_states_and_lists_the_gaps_with_their_plan(
    floor, quality_manager, external_auditor, client_for
):
    floor["machinist"].holders.add(external_auditor)  # the registrar's auditor has no job here
    page = client_for(quality_manager).get(MATRIX).content.decode()

    mia_row = row_of(page, "Mia Machinist")
    assert '<td class="cell-met"' in mia_row
    max_row = row_of(page, "Max Machinist")
    assert '<td class="cell-missing"' in max_row and "planned 2026-03-22" in max_row
    gaps = page.split("Gaps: who needs what", 1)[1]
    assert "Lathe basics" in gaps
    assert "Max Machinist" in gaps and "(missing, planned 2026-03-22)" in gaps
    assert "Mia Machinist" not in gaps and "Sid Storeman" not in gaps
    assert "Rex Registrar" not in page


def test_a_person_limited_to_one_site_sees_only_its_people(floor, leeds, client_for):
    viewer = PersonFactory(roles=[RoleCode.EMPLOYEE], scope_sites=[leeds])
    client = client_for(viewer)
    assert shown(client.get(MATRIX).content.decode()) == {"Mia Machinist", "Max Machinist"}
    exported = client.get(f"{MATRIX}export.csv").content.decode()
    assert "Mia Machinist" in exported and "Sid Storeman" not in exported


def test_the_matrix_needs_the_right_to_read_training(nobody, client_for):
    client = client_for(nobody)
    assert client.get(MATRIX).status_code == 403
    assert client.get(f"{MATRIX}export.csv").status_code == 403


def test_the_matrix_exports_as_csv_and_xlsx_with_formulas_neutralised(
    floor, quality_manager, client_for
):
    floor["person"]('=HYPERLINK("http://evil")', floor["machining"], floor["machinist"])
    client = client_for(quality_manager)
    query = f"?department={floor['machining'].pk}"

    response = client.get(f"{MATRIX}export.csv{query}")
    assert response["Content-Disposition"] == (
        'attachment; filename="competence-matrix-2026-03-02.csv"'
    )
    lines = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{MATRIX}export.xlsx{query}").content))
    (sheet,) = book.worksheets
    cells_of_sheet = [[c.value or "" for c in row] for row in sheet.iter_rows()]

    for table in (lines, cells_of_sheet):
        assert table[0] == ["Person", "Department", "Job roles", "Lathe basics"]
        rows = {line[0]: line for line in table[1:]}
        assert rows["Mia Machinist"] == ["Mia Machinist", "Machining · Leeds", "Machinist", "Met"]
        assert rows["Max Machinist"][3] == "Missing (planned by 2026-03-22)"
        assert '\'=HYPERLINK("http://evil")' in rows
        assert "Sid Storeman" not in rows
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


_emails = itertools.count()


def bulk_staff(count, department, role, lathe, drawings, cranes):
    """`count` people in `role`: each trained on the lathe, assessed on drawings and given
    the crane course to take."""
    with acting_as(name="test bulk"):
        people = Person.objects.bulk_create(
            Person(
                email=f"bulk{next(_emails)}@example.com",
                full_name=f"Bulk person {n}",
                password="!",
                department=department,
                site=department.site,
            )
            for n in range(count)
        )
        role.holders.through.objects.bulk_create(
            role.holders.through(jobrole_id=role.pk, person_id=p.pk) for p in people
        )
        for model, prefix, fields in (
            (TrainingRecord, "TRN", {"course": lathe, "completed_on": days(-9)}),
            (Assessment, "CA", {"requirement": drawings, "level": 3, "assessed_on": days(-9)}),
            (TrainingAssignment, "TA", {"course": cranes, "due_date": days(9)}),
        ):
            references = reserve_references(prefix, count, width=5)
            model.objects.bulk_create(
                model(reference=reference, title="Bulk", person=person, **fields)
                for reference, person in zip(references, people, strict=True)
            )


def test_the_matrix_page_runs_the_same_queries_for_3_and_30_people(
    floor, quality_manager, client_for
):
    lathe, machinist, machining = floor["lathe"], floor["machinist"], floor["machining"]
    drawings = make_requirement(quality_manager, "Reading drawings", job_role=machinist)
    cranes = make_course(quality_manager, "Cranes")
    require_course(quality_manager, machinist, cranes)
    Person.objects.filter(pk__in=[floor["mia"].pk, floor["max"].pk, floor["sid"].pk]).update(
        is_active=False
    )
    bulk_staff(3, machining, machinist, lathe, drawings, cranes)
    client = client_for(quality_manager)
    client.get(MATRIX)
    few, _ = count_queries(client, MATRIX)
    bulk_staff(27, machining, machinist, lathe, drawings, cranes)
    many, queries = count_queries(client, MATRIX)
    page = client.get(MATRIX).content.decode()
    assert page.count('<td class="cell-met"') == 60  # the lathe and the drawings, 30 people
    assert few == many, "\n".join(queries)


# -- a manager's team ------------------------------------------------------------------------
def bring_into_force(document, author, approver, reviewer):
    """Write, submit, review and approve: the revision is in force today."""
    StartRevision(author, document).execute()
    EditDraft(author, document, data={"body": "Text.", "change_summary": "Issued."}).execute()
    SubmitRevision(author, document).execute()
    ReviewRevision(reviewer, document, data=SIGN, reason="Suitable").execute()
    ApproveRevision(approver, document, data=SIGN, reason="Approved").execute()
    document.refresh_from_db()
    return document


@pytest.fixture
def policy(process_owner, quality_manager, top_manager):
    """The quality policy (M3) in force."""
    document = make_document(
        process_owner, title="Quality policy", document_type="policy", checklist_item="M3"
    )
    return bring_into_force(document, process_owner, top_manager, quality_manager)


@pytest.fixture
def objectives(process_owner, quality_manager, top_manager):
    """The quality objectives (M4) in force."""
    document = make_document(
        process_owner, title="Quality objectives", document_type="policy", checklist_item="M4"
    )
    return bring_into_force(document, process_owner, top_manager, quality_manager)


def distribute(quality_manager, document, department):
    Distribute(quality_manager, document, data={"department": str(department.pk)}).execute()


def test_my_team_shows_only_my_reports_with_their_gaps_and_acknowledgement(
    floor, policy, quality_manager, client_for
):
    manager = PersonFactory(full_name="Maria Manager", roles=[RoleCode.EMPLOYEE])
    Person.objects.filter(pk__in=[floor["mia"].pk, floor["max"].pk]).update(manager=manager)
    distribute(quality_manager, policy, floor["machining"])
    AcknowledgeRevision(floor["mia"], policy).execute()

    page = client_for(manager).get("/people/my-team/").content.decode()

    rows = {name: row_of(page, name) for name in ("Mia Machinist", "Max Machinist")}
    assert "Sid Storeman" not in page  # not one of Maria's
    assert "Acknowledged" in rows["Mia Machinist"] and "None" in rows["Mia Machinist"]
    assert "Not yet" in rows["Max Machinist"]
    assert f"{policy.reference} Quality policy" in rows["Max Machinist"]
    assert "Lathe basics" in rows["Max Machinist"]
    assert "(missing, planned 2026-03-22)" in rows["Max Machinist"]
    other = client_for(floor["sid"]).get("/people/my-team/").content.decode()
    assert "Nobody reports to you" in other


# -- awareness of the policy and objectives (7.3) --------------------------------------------
@pytest.fixture
def offices(policy, objectives, quality_manager, external_auditor):
    """Assembly: both aware. Dispatch: one aware, one read only the policy, one nothing; the
    registrar's auditor sits in Dispatch too and has read nothing."""
    assembly = DepartmentFactory(name="Assembly", site=None)
    dispatch = DepartmentFactory(name="Dispatch", site=None)
    people = {
        name: PersonFactory(full_name=name, department=department, roles=[RoleCode.EMPLOYEE])
        for name, department in (
            ("Ann Assembler", assembly),
            ("Abe Assembler", assembly),
            ("Dan Dispatcher", dispatch),
            ("Dee Dispatcher", dispatch),
            ("Dom Dispatcher", dispatch),
        )
    }
    external_auditor.department = dispatch
    external_auditor.save()
    for department in (assembly, dispatch):
        distribute(quality_manager, policy, department)
        distribute(quality_manager, objectives, department)
    for name in ("Ann Assembler", "Abe Assembler", "Dan Dispatcher", "Dee Dispatcher"):
        AcknowledgeRevision(people[name], policy).execute()
    for name in ("Ann Assembler", "Abe Assembler", "Dan Dispatcher"):
        AcknowledgeRevision(people[name], objectives).execute()
    return people


def test_awareness_is_the_share_per_department_who_acknowledged_both(offices, objectives, policy):
    groups = {g.label: g for g in awareness.by_department(competence.staff())}

    assert (len(groups["Assembly"].people), groups["Assembly"].percent) == (2, 100)
    dispatch = groups["Dispatch"]
    assert (len(dispatch.people), dispatch.aware, dispatch.percent) == (3, 1, 33)
    unaware = {s.person.full_name: s.missing for s in dispatch.unaware}
    assert unaware == {
        "Dee Dispatcher": [f"{objectives.reference} Quality objectives"],
        "Dom Dispatcher": [
            f"{policy.reference} Quality policy",
            f"{objectives.reference} Quality objectives",
        ],
    }


def test_the_awareness_page_shows_each_department_and_who_has_not_acknowledged(
    offices, quality_manager, client_for
):
    page = client_for(quality_manager).get("/people/awareness/").content.decode()

    dispatch = page.split('<th scope="row">Dispatch</th>', 1)[1].split("</tr>", 1)[0]
    assert "<td>3</td><td>1</td>" in dispatch and "33%" in dispatch
    assert "Dee Dispatcher" in dispatch and "Dom Dispatcher" in dispatch
    assert "Dan Dispatcher" not in dispatch
    assert "Rex Registrar" not in page
    assembly = page.split('<th scope="row">Assembly</th>', 1)[1].split("</tr>", 1)[0]
    assert "100%" in assembly


def test_the_awareness_page_says_when_nothing_is_in_force(quality_manager, client_for):
    page = client_for(quality_manager).get("/people/awareness/").content.decode()
    assert "No quality policy or quality objectives are in force yet." in page
    assert "<table" not in page


def test_the_awareness_page_runs_the_same_queries_for_3_and_30_unaware_people(
    policy, quality_manager, client_for
):
    boss = PersonFactory(full_name="Boss")
    department = DepartmentFactory(name="Packing", site=None)

    def unaware(count):
        for _ in range(count):
            PersonFactory(department=department, manager=boss)

    unaware(3)
    client = client_for(quality_manager)
    client.get("/people/awareness/")
    few, _ = count_queries(client, "/people/awareness/")
    unaware(27)
    many, queries = count_queries(client, "/people/awareness/")
    assert few == many, "\n".join(queries)


# -- auditor qualification (7.2 for auditors, 9.2.2) ---------------------------------------
@pytest.fixture
def auditor_courses(quality_manager):
    return (
        make_course(quality_manager, "Internal auditor course", qualifies="internal_auditor"),
        make_course(quality_manager, "Lead auditor course", qualifies="lead_auditor"),
    )


@pytest.fixture
def audit_team(quality_manager, auditor_courses, today):
    """With the default criteria (2 audits; lead: 5 audits, 1 led under supervision):
    Ivy internal, Leo lead, Lou internal by a lead course, Tim and Nia in training."""
    internal, lead = auditor_courses
    quality = DepartmentFactory(name="Quality", site=None)
    ivy, leo, lou, tim, nia = (
        PersonFactory(full_name=name, department=quality)
        for name in ("Ivy Internal", "Leo Lead", "Lou Leadcourse", "Tim Trainee", "Nia Nocourse")
    )
    for person, course in ((ivy, internal), (leo, lead), (lou, lead), (tim, internal)):
        train(quality_manager, person, course, days(-200), expires_on=days(500))
    audits(quality_manager, ivy, 2)
    audits(quality_manager, leo, 4)
    audits(quality_manager, leo, 1, role="lead_supervised", supervisor=ivy)
    audits(quality_manager, lou, 2)
    audits(quality_manager, tim, 1)
    audits(quality_manager, nia, 3)
    return {p.full_name.split()[0]: p for p in (ivy, leo, lou, tim, nia)}


def levels() -> dict:
    return {q.person.full_name.split()[0]: q.level for q in auditors.qualifications()}


def test_auditors_are_internal_lead_or_in_training_by_the_criteria(audit_team):
    found = {q.person.full_name.split()[0]: q for q in auditors.qualifications()}

    assert {name: q.level for name, q in found.items()} == {
        "Ivy": auditors.INTERNAL,
        "Leo": auditors.LEAD,
        "Lou": auditors.INTERNAL,
        "Tim": auditors.IN_TRAINING,
        "Nia": auditors.IN_TRAINING,
    }
    assert (found["Leo"].audits, found["Leo"].led_supervised) == (5, 1)
    assert found["Tim"].missing == ["1 more audit(s) as a team member"]
    assert found["Nia"].missing == ["a valid internal auditor course"]
    assert found["Ivy"].missing == [
        "a valid lead auditor course",
        "3 more audit(s) of 5",
        "1 audit(s) led under supervision",
    ]
    assert found["Lou"].missing == ["3 more audit(s) of 5", "1 audit(s) led under supervision"]


def test_the_criteria_are_settings(audit_team, settings):
    settings.NORMA_INTERNAL_AUDITOR_AUDITS = 1
    assert levels()["Tim"] == auditors.INTERNAL
    settings.NORMA_INTERNAL_AUDITOR_AUDITS = 3
    assert levels()["Ivy"] == auditors.IN_TRAINING
    settings.NORMA_LEAD_AUDITOR_AUDITS = 6
    assert levels()["Leo"] == auditors.INTERNAL
    settings.NORMA_LEAD_AUDITOR_AUDITS = 2
    settings.NORMA_LEAD_AUDITOR_SUPERVISED_LEADS = 0
    assert levels()["Lou"] == auditors.LEAD


def test_an_expired_auditor_course_does_not_count(audit_team, quality_manager, auditor_courses):
    internal, _ = auditor_courses
    old_hand = PersonFactory(full_name="Old Hand")
    train(quality_manager, old_hand, internal, days(-1100), expires_on=DAY)
    audits(quality_manager, old_hand, 3)
    assert levels()["Old"] == auditors.IN_TRAINING
    train(quality_manager, old_hand, internal, days(-1))
    assert levels()["Old"] == auditors.INTERNAL


@pytest.mark.parametrize("how", ["rejected", "archived"])
def test_audit_experience_not_counted_or_archived_does_not_count(how, audit_team, quality_manager):
    experience = AuditExperience.objects.filter(auditor=audit_team["Ivy"]).first()
    if how == "rejected":
        AuditExperience.objects.filter(pk=experience.pk).update(status="rejected")
    else:
        ArchiveRecord(quality_manager, experience, reason="Entered twice").execute()
    found = {q.person.full_name: q for q in auditors.qualifications()}["Ivy Internal"]
    assert (found.level, found.audits) == (auditors.IN_TRAINING, 1)


def test_qualified_auditors_are_the_internal_and_lead_ones_or_only_the_leads(audit_team):
    names = [p.full_name for p in auditors.qualified_auditors()]
    assert names == ["Leo Lead", "Ivy Internal", "Lou Leadcourse"]
    assert [p.full_name for p in auditors.qualified_auditors(lead=True)] == ["Leo Lead"]


def test_an_auditor_may_not_audit_a_process_they_own_or_that_runs_in_their_department(
    audit_team, quality_manager
):
    ivy = audit_team["Ivy"]
    stores = DepartmentFactory(name="Stores", site=None)
    owned = make_process(quality_manager, title="Audit programme", owner=ivy)
    at_home = make_process(quality_manager, title="Calibration", department=ivy.department)
    elsewhere = make_process(quality_manager, title="Receiving", department=stores)
    nowhere = make_process(quality_manager, title="Sales")
    assert not auditors.may_audit(ivy, owned)
    assert not auditors.may_audit(ivy, at_home)
    assert auditors.may_audit(ivy, elsewhere)
    assert auditors.may_audit(ivy, nowhere)


def test_the_qualified_auditors_page_lists_each_with_the_evidence(
    audit_team, settings, quality_manager, client_for
):
    settings.NORMA_INTERNAL_AUDITOR_AUDITS = 2
    settings.NORMA_LEAD_AUDITOR_AUDITS = 5
    page = client_for(quality_manager).get("/people/qualified-auditors/").content.decode()

    assert "a valid internal (or lead) auditor course and 2 audits as a team member" in page
    assert "a valid lead auditor course, 5 audits, 1 of them led under supervision" in page
    leo = row_of(page, "Leo Lead")
    assert "Lead auditor</span>" in leo
    assert "Lead auditor course</a>" in leo and "until 2027-07-15" in leo
    assert f'?auditor={audit_team["Leo"].pk}">5</a></td><td>1</td><td>0</td>' in leo
    tim = row_of(page, "Tim Trainee")
    assert "In training</span>" in tim and "1 more audit(s) as a team member" in tim


# -- readiness -----------------------------------------------------------------------------
def check(person, ref: str):
    """The people app's own check of the clause (other apps may check it too)."""
    row = next(r for r in evaluate(person).rows if r.clause.ref == ref)
    ours = [f for f in registered_checks()[ref] if f.__module__ == "norma.people.readiness"]
    (result,) = [row.results[registered_checks()[ref].index(f)] for f in ours]
    return result


def test_7_1_2_asks_that_every_role_in_scope_has_someone_in_it(quality_manager):
    assert check(quality_manager, "7.1.2").status == Status.MISSING
    leaver = PersonFactory(full_name="Left Already", is_active=False)
    welder = make_job_role(quality_manager, "Welder", holders=[leaver])
    make_job_role(quality_manager, "Museum guide", in_scope=False)  # outside the scope

    result = check(quality_manager, "7.1.2")
    assert (result.status, result.sentence) == (
        Status.PARTLY_MET,
        "1 job role has nobody in it: Welder.",
    )
    welder.holders.add(PersonFactory(full_name="Wendy Welder"))
    result = check(quality_manager, "7.1.2")
    assert result.status == Status.MET
    assert result.sentence == "The one job role in the scope is staffed."


def test_7_2_asks_that_every_gap_has_training_planned(quality_manager, forklift, today):
    (dora,) = staff_named("Dora Driver")
    driver = make_job_role(quality_manager, "Forklift driver", holders=[dora])
    assert check(quality_manager, "7.2").status == Status.MISSING
    require_course(quality_manager, driver, forklift)

    result = check(quality_manager, "7.2")
    assert result.status == Status.PARTLY_MET
    assert (
        result.sentence == "1 of 1 person in scope has gaps with no training assigned: Dora Driver."
    )
    create(quality_manager, TrainingAssignment, person=dora, course=forklift, due_date=days(30))
    result = check(quality_manager, "7.2")
    assert result.status == Status.MET
    assert "1 person has training assigned for every gap" in result.sentence


def test_7_2_leaves_out_roles_outside_the_scope(quality_manager, forklift, today):
    guide = make_job_role(quality_manager, "Museum guide", in_scope=False)
    require_course(quality_manager, guide, forklift)
    guide.holders.add(*staff_named("Gus Guide"))
    assert check(quality_manager, "7.2").status == Status.MISSING


def test_7_2_judges_people_only_against_the_roles_in_scope(quality_manager, forklift, today):
    (pat,) = staff_named("Pat Parttime")
    lathe = make_course(quality_manager, "Lathe basics")
    machinist = make_job_role(quality_manager, "Machinist", holders=[pat])
    require_course(quality_manager, machinist, lathe)
    guide = make_job_role(quality_manager, "Museum guide", in_scope=False, holders=[pat])
    require_course(quality_manager, guide, forklift)
    train(quality_manager, pat, lathe, days(-10))
    assert check(quality_manager, "7.2").status == Status.MET


def test_7_3_compares_who_acknowledged_the_policy_and_objectives_with_the_target(
    quality_manager, top_manager, process_owner, external_auditor, settings, request, today
):
    assert check(quality_manager, "7.3").status == Status.MISSING
    policy, objectives = request.getfixturevalue("policy"), request.getfixturevalue("objectives")
    office = DepartmentFactory(name="Office", site=None)
    first, second = (
        PersonFactory(full_name=name, department=office, roles=[RoleCode.EMPLOYEE])
        for name in ("First Reader", "Second Reader")
    )
    for document in (policy, objectives):
        distribute(quality_manager, document, office)
        AcknowledgeRevision(first, document).execute()
    AcknowledgeRevision(second, policy).execute()
    settings.NORMA_AWARENESS_THRESHOLD = 40

    result = check(quality_manager, "7.3")  # staff: the three personas and two readers
    assert result.status == Status.PARTLY_MET
    assert result.sentence == (
        "1 of 5 people (20%) have acknowledged the policy and objectives in force; "
        "the target is 40%."
    )
    AcknowledgeRevision(second, objectives).execute()
    result = check(quality_manager, "7.3")
    assert result.status == Status.MET
    assert result.sentence.startswith("2 of 5 people (40%)")


def test_9_2_2_asks_for_a_qualified_auditor_independent_of_every_process(
    quality_manager, auditor_courses, today
):
    internal, _ = auditor_courses
    buying = DepartmentFactory(name="Buying", site=None)
    quality = DepartmentFactory(name="Quality", site=None)
    bea = PersonFactory(full_name="Bea Buyer", department=buying)
    make_process(quality_manager, title="Purchasing", department=buying)
    make_process(quality_manager, title="Sales")
    assert check(quality_manager, "9.2.2").status == Status.MISSING

    train(quality_manager, bea, internal, days(-30))
    audits(quality_manager, bea, 2)
    result = check(quality_manager, "9.2.2")
    assert (result.status, result.sentence) == (
        Status.PARTLY_MET,
        "1 process has no qualified auditor independent of it: Purchasing.",
    )

    kai = PersonFactory(full_name="Kai Quality", department=quality)
    train(quality_manager, kai, internal, days(-30))
    audits(quality_manager, kai, 2)
    result = check(quality_manager, "9.2.2")
    assert (result.status, result.sentence) == (
        Status.MET,
        "2 qualified auditors; every one of 2 processes can be audited by someone "
        "independent of it.",
    )


def test_an_edit_to_a_requirement_moves_its_column(quality_manager, forklift, driver):
    """An edit through the real action is what the matrix reads next time."""
    (person,) = staff_named("Eli Editor")
    hold(driver, person)
    requirement = Requirement.objects.get(job_role=driver)
    other = make_course(quality_manager, "Reach trucks")
    UpdateRecord(quality_manager, requirement, data={"course": other, "title": ""}).execute()
    assert [c.label for c in matrix_of([person]).columns] == ["Reach trucks"]
