"""Planning internal audits (9.2.1, 9.2.2 a–c): the audit programme (its period, approval,
closing and the next cycle cloned from it), the rules every audit's create and edit keep
(a qualified lead auditor, objectivity, no auditor also an auditee, dates, supplier), who may
see and open what, the audit plan sent as a calendar invitation, an audit planned again next
year, the coverage matrix and risk-based suggestions, the audit calendar and its feed, and
the query counts of the list and the programme page.

Unless a test says otherwise, Quinn Quality (the quality manager) runs the programme and
Lena Lead, a qualified lead auditor from a department of her own, leads the audits.
"""

import datetime
import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from norma.audits import findings, programme, workflow
from norma.audits.models import Audit, AuditProgramme
from norma.audits.registers import AuditProgrammeRegister, AuditRegister
from norma.core.actions import (
    ActionRefused,
    ArchiveRecord,
    InvalidInput,
    NotPermitted,
    UpdateRecord,
)
from norma.core.models import ChangeLogEntry, RoleCode, Signature
from norma.documents.models import add_months
from norma.notifications.actions import ResetCalendarLink, preference_of
from norma.notifications.models import Notification
from tests.audits.helpers import (
    auditor,
    clause,
    days,
    fresh,
    make_audit,
    make_finding,
    make_process,
    make_programme,
    reported_audit,
    run,
    today,
)
from tests.conftest import PERSONAS
from tests.factories import PASSWORD, DepartmentFactory, PersonFactory, measure_process
from tests.improvement.helpers import make_nc
from tests.kit import count_queries, form_data

PROGRAMMES = "/audits/audit-programmes/"
AUDITS = "/audits/audits/"
API_PROGRAMMES = "/api/v1/audits/audit-programmes/"
API_AUDITS = "/api/v1/audits/audits/"
CALENDAR = "/audits/calendar/"
KEY_84 = "iso9001-2015:8.4"

PROGRAMME_PLANNERS = ["quality_manager"]
AUDIT_PLANNERS = ["quality_manager", "internal_auditor"]
APPROVERS = ["quality_manager", "top_manager"]

OWN_PROCESS = (
    "Otto Owner cannot audit “Purchasing”: they own it. An auditor does not audit their own "
    "department or process."
)


# -- small helpers ------------------------------------------------------------------------
def page_of(record, role="detail") -> str:
    register = AuditRegister if isinstance(record, Audit) else AuditProgrammeRegister
    return reverse(register.url_name(role), args=[record.reference])


def api_do(api, record, code, **body):
    record = fresh(record)
    api_url = API_AUDITS if isinstance(record, Audit) else API_PROGRAMMES
    return api.post(
        f"{api_url}{record.reference}/actions/{code}", body, **{"If-Match": record.etag}
    )


def log_of(record, action):
    return ChangeLogEntry.objects.filter(
        object_type=record._meta.label_lower, object_id=str(record.pk), action=action
    )


def in_year(year_offset: int, month: int, day: int) -> date:
    return date(today().year + year_offset, month, day)


def refusal(make) -> InvalidInput:
    """Run `make()`, which must be refused as invalid input, and return the refusal."""
    with pytest.raises(InvalidInput) as refused:
        make()
    return refused.value


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


# -- people and records of this file's own -------------------------------------------------
@pytest.fixture
def lead(quality_manager):
    return auditor(quality_manager, "Lena Lead")


@pytest.fixture
def otto(quality_manager):
    """Otto Owner: a qualified internal auditor who owns the purchasing process."""
    return auditor(quality_manager, "Otto Owner", level="internal")


@pytest.fixture
def purchasing(quality_manager, otto):
    return make_process(quality_manager, title="Purchasing", owner=otto)


@pytest.fixture
def planner(db):
    """Pat Planner, a second quality manager, draws up the programmes: nobody approves
    their own."""
    return PersonFactory(full_name="Pat Planner", roles=[RoleCode.QUALITY_MANAGER])


@pytest.fixture
def plan(planner):
    return make_programme(planner)


def approve(actor, plan, password=PASSWORD):
    return run(programme.ApproveProgramme, actor, plan, password=password)


@pytest.fixture
def team_member(quality_manager):
    return auditor(quality_manager, "Tom Team", level="internal")


@pytest.fixture
def planned(quality_manager, lead, team_member):
    """An audit with a team member and two auditees, its plan not yet sent."""
    auditees = [PersonFactory(full_name=name) for name in ("Ann Auditee", "Bob Auditee")]
    return make_audit(quality_manager, owner=lead, team=[team_member], auditees=auditees)


def add_interview(actor, audit):
    data = {
        "audit": audit,
        "interviewee": PersonFactory(full_name="Ivy Interviewee"),
        "interviewee_role": "Buyer",
        "held_at": datetime.datetime.now(datetime.UTC),
        "notes": "Walked through supplier re-evaluation.",
    }
    return findings.AddInterview(actor, data=data).execute()


def send_plan(actor, audit, **fields):
    data = {
        "start_date": days(20),
        "end_date": days(22),
        "agenda": "09:00 opening meeting; 10:00 purchasing office.",
        **fields,
    }
    return run(workflow.SendPlan, actor, fresh(audit), **data)


# == 1. The audit programme =================================================================
@pytest.mark.parametrize("length", [0, -1], ids=["same day", "day before"])
def test_a_programme_ending_before_it_starts_is_refused_on_its_end(
    client_for, quality_manager, length
):
    data = form_data(
        AuditProgrammeRegister,
        title="Audits 2027",
        objectives="Cover every process.",
        period_start=in_year(1, 1, 1).isoformat(),
        period_end=(in_year(1, 1, 1) + datetime.timedelta(days=length)).isoformat(),
    )
    response = client_for(quality_manager).post(f"{PROGRAMMES}new/", data)
    assert response.status_code == 422
    assert response.context["form"].errors["period_end"] == ["The period must end after it starts."]
    assert not AuditProgramme.objects.exists()


def test_a_programme_longer_than_three_years_is_refused_by_the_api_on_its_end(
    api_for, quality_manager
):
    body = {
        "title": "Audits forever",
        "objectives": "Cover every process.",
        "period_start": in_year(1, 1, 1).isoformat(),
        "period_end": in_year(5, 1, 1).isoformat(),
    }
    response = api_for(quality_manager).post(API_PROGRAMMES, body)
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "period_end": ["A programme covers at most a certification cycle (3 years)."]
    }
    assert not AuditProgramme.objects.exists()


def test_a_programme_of_a_whole_three_year_cycle_is_accepted(api_for, quality_manager):
    body = {
        "title": "Certification cycle",
        "objectives": "Cover every process.",
        "period_start": in_year(1, 1, 1).isoformat(),
        "period_end": in_year(3, 12, 31).isoformat(),
    }
    response = api_for(quality_manager).post(API_PROGRAMMES, body)
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "draft"


def test_a_programme_a_few_days_longer_than_three_years_is_refused(api_for, quality_manager):
    body = {
        "title": "Certification cycle and a bit",
        "objectives": "Cover every process.",
        "period_start": "2027-01-01",
        "period_end": "2030-01-03",
    }
    response = api_for(quality_manager).post(API_PROGRAMMES, body)
    assert response.status_code == 422
    assert not AuditProgramme.objects.exists()


@pytest.mark.parametrize("persona", APPROVERS, indirect=True)
def test_top_management_and_the_quality_manager_approve_and_sign_a_programme(
    persona, quality_manager, lead, plan
):
    make_audit(quality_manager, owner=lead, programme=plan)
    approved = approve(persona, plan)
    assert (approved.status, approved.approved_on) == ("approved", today())
    assert log_of(plan, "approve").count() == 1
    signature = Signature.objects.get(content_type__model="auditprogramme", object_id=str(plan.pk))
    assert (signature.signer, signature.meaning) == (persona, "approved")


@pytest.mark.parametrize("persona", ["internal_auditor", "process_owner"], indirect=True)
def test_auditors_and_process_owners_cannot_approve_a_programme(
    persona, quality_manager, lead, plan
):
    make_audit(quality_manager, owner=lead, programme=plan)
    with pytest.raises(NotPermitted):
        approve(persona, plan)
    assert (fresh(plan).status, fresh(plan).approved_on) == ("draft", None)


def test_whoever_drew_up_the_programme_does_not_approve_it(quality_manager, planner, lead, plan):
    make_audit(quality_manager, owner=lead, programme=plan)
    with pytest.raises(NotPermitted):
        approve(planner, plan)
    assert fresh(plan).status == "draft"


def test_approving_a_programme_asks_for_the_password_again(
    quality_manager, top_manager, lead, plan
):
    make_audit(quality_manager, owner=lead, programme=plan)
    with pytest.raises(ActionRefused):
        approve(top_manager, plan, password="not-my-password")
    assert (fresh(plan).status, Signature.objects.count()) == ("draft", 0)


def test_a_programme_without_an_audit_is_not_approved(top_manager, plan):
    with pytest.raises(ActionRefused, match="Plan at least one audit in the programme first."):
        approve(top_manager, plan)
    assert fresh(plan).status == "draft"


def test_a_programme_whose_only_audit_is_archived_is_not_approved(
    quality_manager, top_manager, lead, plan
):
    audit = make_audit(quality_manager, owner=lead, programme=plan)
    ArchiveRecord(quality_manager, audit, reason="Planned twice").execute()
    with pytest.raises(ActionRefused, match="Plan at least one audit"):
        approve(top_manager, plan)


def test_the_programme_page_approves_through_its_action_form(
    client_for, quality_manager, top_manager, lead, plan
):
    make_audit(quality_manager, owner=lead, programme=plan)
    response = client_for(top_manager).post(
        f"{page_of(plan)}do/approve/", {"version": fresh(plan).version, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert fresh(plan).status == "approved"


def test_a_programme_with_an_open_audit_is_not_closed(quality_manager, top_manager, lead, plan):
    audit = make_audit(quality_manager, owner=lead, programme=plan)
    approve(top_manager, plan)
    with pytest.raises(ActionRefused) as refused:
        run(programme.CloseProgramme, quality_manager, plan)
    assert refused.value.message == f"Report or cancel its open audits first: {audit.reference}."
    assert fresh(plan).status == "approved"


def test_a_programme_closes_once_its_audits_are_reported_or_cancelled(
    quality_manager, top_manager, lead, plan
):
    reported_audit(quality_manager, lead, programme=plan, clauses=[clause("8.4")])
    dropped = make_audit(quality_manager, owner=lead, programme=plan)
    approve(top_manager, plan)
    run(workflow.CancelAudit, quality_manager, dropped, reason="Process merged")
    closed = run(programme.CloseProgramme, quality_manager, plan)
    assert closed.status == "closed"
    with pytest.raises(ActionRefused, match="is closed"):
        UpdateRecord(quality_manager, fresh(plan), data={"title": "Renamed"}).execute()


def test_top_management_approves_but_does_not_close_the_programme(
    quality_manager, top_manager, lead, plan
):
    reported_audit(quality_manager, lead, programme=plan, clauses=[clause("8.4")])
    approve(top_manager, plan)
    with pytest.raises(NotPermitted):
        run(programme.CloseProgramme, top_manager, plan)
    assert fresh(plan).status == "approved"


def next_cycle_of(actor, start: date, end: date):
    plan = make_programme(actor, period_start=start, period_end=end)
    run(programme.CloneProgramme, actor, plan)
    return plan, AuditProgramme.objects.exclude(pk=plan.pk).get()


def test_the_next_cycle_of_a_calendar_year_is_the_next_calendar_year(quality_manager):
    plan, new = next_cycle_of(quality_manager, date(2029, 1, 1), date(2029, 12, 31))
    assert (new.period_start, new.period_end) == (date(2030, 1, 1), date(2030, 12, 31))
    assert (new.title, new.status, new.objectives) == (
        "Audit programme (next cycle)",
        "draft",
        plan.objectives,
    )
    assert log_of(plan, "clone").get().after == {"next_cycle": new.reference}


def test_the_next_cycle_of_a_programme_starting_mid_month_follows_it_without_a_gap(
    quality_manager,
):
    _, new = next_cycle_of(quality_manager, date(2029, 4, 15), date(2030, 4, 14))
    assert (new.period_start, new.period_end) == (date(2030, 4, 15), date(2031, 4, 14))


def test_the_next_cycle_of_the_year_before_a_leap_year_is_the_whole_leap_year(
    quality_manager,
):
    _, new = next_cycle_of(quality_manager, date(2027, 1, 1), date(2027, 12, 31))
    assert (new.period_start, new.period_end) == (date(2028, 1, 1), date(2028, 12, 31))


def test_an_audit_planned_for_march_is_planned_for_march_of_the_next_cycle(quality_manager, lead):
    plan = make_programme(
        quality_manager, period_start=date(2027, 1, 1), period_end=date(2027, 12, 31)
    )
    make_audit(quality_manager, owner=lead, programme=plan, target_month=date(2027, 3, 1))
    run(programme.CloneProgramme, quality_manager, plan)
    again = Audit.objects.get(programme__in=AuditProgramme.objects.exclude(pk=plan.pk))
    assert again.target_month == date(2028, 3, 1)


def test_the_next_cycle_plans_every_audit_again_with_its_scope_and_team(
    quality_manager, lead, team_member, leeds
):
    plan = make_programme(
        quality_manager, period_start=date(2029, 1, 1), period_end=date(2029, 12, 31)
    )
    process = make_process(quality_manager, title="Purchasing")
    auditee = PersonFactory(full_name="Ann Auditee")
    done = reported_audit(
        quality_manager,
        lead,
        programme=plan,
        processes=[process],
        clauses=[clause("8.4")],
        sites=[leeds],
        team=[team_member],
        auditees=[auditee],
        target_month=date(2029, 3, 17),
        start_date=date(2029, 3, 20),
        end_date=date(2029, 3, 21),
    )
    dropped = make_audit(quality_manager, owner=lead, programme=plan, title="Dropped")
    run(workflow.CancelAudit, quality_manager, dropped, reason="Process merged")

    run(programme.CloneProgramme, quality_manager, plan)

    new_plan = AuditProgramme.objects.exclude(pk=plan.pk).get()
    again = new_plan.audits.get()  # the cancelled audit is not planned again
    assert (again.title, again.status, again.owner) == (done.title, "planned", lead)
    assert (again.conclusions, again.fulfilment, again.reported_on) == ("", "", None)
    assert list(again.processes.all()) == [process]
    assert list(again.clauses.all()) == [clause("8.4")]
    assert list(again.sites.all()) == [leeds]
    assert list(again.team.all()) == [team_member]
    assert list(again.auditees.all()) == [auditee]
    assert again.target_month == date(2030, 3, 1)
    assert (again.start_date, again.end_date) == (date(2030, 3, 20), date(2030, 3, 21))
    assert fresh(done).status == "reported"  # the cycle's record stays as it was


def test_only_who_runs_the_programme_plans_the_next_cycle(internal_auditor, top_manager, plan):
    for person in (internal_auditor, top_manager):
        with pytest.raises(NotPermitted):
            run(programme.CloneProgramme, person, plan)
    assert AuditProgramme.objects.count() == 1


# == 2. The rules of an audit's create and edit ==============================================
def test_an_unqualified_lead_auditor_is_refused_on_the_owner_field(quality_manager):
    una = auditor(quality_manager, "Una Unqualified", level=None)
    refused = refusal(lambda: make_audit(quality_manager, owner=una))
    assert refused.errors == {
        "owner": [
            "Una Unqualified is not a qualified auditor (still needed: a valid internal "
            "auditor course). Choose a lead auditor from the register of auditors."
        ]
    }
    assert not Audit.objects.exists()


def test_an_internal_auditor_does_not_lead_without_a_lead_auditor_supervising(
    quality_manager, team_member
):
    refused = refusal(lambda: make_audit(quality_manager, owner=team_member))
    assert refused.errors["owner"] == [
        "Tom Team is a qualified internal auditor, not yet a lead auditor: name a lead auditor "
        "as supervisor, or choose a lead auditor."
    ]
    assert not Audit.objects.exists()


def test_an_internal_auditor_leads_under_a_lead_auditors_supervision(
    quality_manager, lead, team_member
):
    audit = make_audit(quality_manager, owner=team_member, supervisor=lead)
    assert (audit.owner, audit.supervisor) == (team_member, lead)


def test_an_internal_auditor_supervised_by_another_internal_auditor_is_refused(
    quality_manager, team_member, otto
):
    refused = refusal(lambda: make_audit(quality_manager, owner=team_member, supervisor=otto))
    assert "not yet a lead auditor" in refused.errors["owner"][0]
    assert not Audit.objects.exists()


def test_the_qualified_lead_rule_can_be_switched_off(settings, quality_manager):
    settings.NORMA_AUDIT_LEADS_QUALIFIED = False
    una = auditor(quality_manager, "Una Unqualified", level=None)
    assert make_audit(quality_manager, owner=una).owner == una


def test_the_owner_of_a_process_on_the_team_is_refused_naming_them_and_the_process(
    quality_manager, lead, otto, purchasing
):
    refused = refusal(
        lambda: make_audit(quality_manager, owner=lead, team=[otto], processes=[purchasing])
    )
    assert refused.errors == {"team": [OWN_PROCESS]}
    assert not Audit.objects.exists()


def test_the_owner_of_a_process_does_not_lead_its_audit(quality_manager, otto, purchasing):
    lead_and_owner = auditor(quality_manager, "Paul Owner")
    process = make_process(quality_manager, title="Sales", owner=lead_and_owner)
    refused = refusal(
        lambda: make_audit(quality_manager, owner=lead_and_owner, processes=[process])
    )
    assert refused.errors == {
        "owner": [
            "Paul Owner cannot audit “Sales”: they own it. An auditor does not audit their own "
            "department or process."
        ]
    }
    assert not Audit.objects.exists()


def test_an_auditor_from_the_process_department_is_refused(quality_manager):
    stores = DepartmentFactory(name="Stores", site=None)
    dora = auditor(quality_manager, "Dora Stores", department=stores)
    process = make_process(quality_manager, title="Goods receipt", department=stores)
    refused = refusal(lambda: make_audit(quality_manager, owner=dora, processes=[process]))
    assert refused.errors["owner"] == [
        "Dora Stores cannot audit “Goods receipt”: it runs in their department. An auditor "
        "does not audit their own department or process."
    ]


def test_a_process_without_a_department_runs_in_its_owners(quality_manager, lead):
    stores = DepartmentFactory(name="Stores", site=None)
    keeper = PersonFactory(full_name="Kim Keeper", department=stores)
    process = make_process(quality_manager, title="Goods receipt", owner=keeper)
    dora = auditor(quality_manager, "Dora Stores", level="internal", department=stores)
    refused = refusal(
        lambda: make_audit(quality_manager, owner=lead, team=[dora], processes=[process])
    )
    assert refused.errors["team"] == [
        "Dora Stores cannot audit “Goods receipt”: it runs in their department. An auditor "
        "does not audit their own department or process."
    ]


def test_a_process_placed_in_a_department_does_not_run_in_its_owners(quality_manager, lead):
    stores = DepartmentFactory(name="Stores", site=None)
    keeper = PersonFactory(full_name="Kim Keeper", department=stores)
    process = make_process(
        quality_manager,
        title="Goods receipt",
        owner=keeper,
        department=DepartmentFactory(name="Logistics", site=None),
    )
    dora = auditor(quality_manager, "Dora Stores", level="internal", department=stores)
    audit = make_audit(quality_manager, owner=lead, team=[dora], processes=[process])
    assert list(audit.team.all()) == [dora]


def test_an_auditor_from_the_department_audited_is_refused(quality_manager, lead):
    stores = DepartmentFactory(name="Stores", site=None)
    dora = auditor(quality_manager, "Dora Stores", level="internal", department=stores)
    refused = refusal(
        lambda: make_audit(quality_manager, owner=lead, team=[dora], department=stores)
    )
    assert refused.errors == {
        "team": [
            "Dora Stores works in Stores, the department audited. An auditor does not audit "
            "their own department."
        ]
    }


def test_separation_of_duties_can_be_switched_off(
    settings, quality_manager, lead, otto, purchasing
):
    settings.NORMA_SEPARATION_OF_DUTIES = False
    audit = make_audit(quality_manager, owner=lead, team=[otto], processes=[purchasing])
    assert list(audit.team.all()) == [otto]


def test_an_auditor_is_not_also_an_auditee(quality_manager, lead, team_member):
    refused = refusal(
        lambda: make_audit(
            quality_manager, owner=lead, team=[team_member], auditees=[team_member, lead]
        )
    )
    assert set(refused.errors) == {"auditees"}
    message = refused.errors["auditees"][0]
    assert message.startswith("An auditor is not also an auditee: ")
    assert "Lena Lead" in message and "Tom Team" in message
    assert not Audit.objects.exists()


def test_a_supplier_audit_names_its_supplier(quality_manager, lead):
    refused = refusal(lambda: make_audit(quality_manager, owner=lead, kind="supplier"))
    assert refused.errors == {"supplier": ["Name the supplier a second-party audit visits."]}
    assert not Audit.objects.exists()


def test_an_audit_ending_before_it_starts_is_refused(quality_manager, lead):
    refused = refusal(
        lambda: make_audit(quality_manager, owner=lead, start_date=days(10), end_date=days(9))
    )
    assert refused.errors == {"end_date": ["The audit cannot end before it starts."]}
    assert not Audit.objects.exists()


def test_the_target_month_is_kept_as_its_first_day(quality_manager, lead):
    audit = make_audit(quality_manager, owner=lead, target_month=in_year(1, 3, 17))
    assert fresh(audit).target_month == in_year(1, 3, 1)


def test_an_edit_putting_a_process_owner_on_the_team_changes_nothing(
    quality_manager, lead, otto, purchasing
):
    audit = make_audit(quality_manager, owner=lead, processes=[purchasing])
    refused = refusal(
        lambda: UpdateRecord(quality_manager, fresh(audit), data={"team": [otto]}).execute()
    )
    assert refused.errors == {"team": [OWN_PROCESS]}
    audit = fresh(audit)
    assert (list(audit.team.all()), audit.version) == ([], 1)


def test_the_audit_form_refuses_an_unqualified_lead_with_the_reason_and_saves_nothing(
    client_for, quality_manager
):
    una = auditor(quality_manager, "Una Unqualified", level=None)
    process = make_process(quality_manager, title="Purchasing")
    data = form_data(
        AuditRegister,
        title="Audit of purchasing",
        owner=str(una.pk),
        processes=[str(process.pk)],
        clauses=[KEY_84],
    )
    response = client_for(quality_manager).post(f"{AUDITS}new/", data)
    assert response.status_code == 422
    [error] = response.context["form"].errors["owner"]
    assert error.startswith("Una Unqualified is not a qualified auditor")
    assert "Choose a lead auditor from the register of auditors." in response.content.decode()
    assert not Audit.objects.exists()


def test_the_audit_form_refuses_a_process_owner_on_the_team(
    client_for, quality_manager, lead, otto, purchasing
):
    data = form_data(
        AuditRegister,
        title="Audit of purchasing",
        owner=str(lead.pk),
        team=[str(otto.pk)],
        processes=[str(purchasing.pk)],
    )
    response = client_for(quality_manager).post(f"{AUDITS}new/", data)
    assert response.status_code == 422
    assert response.context["form"].errors["team"] == [OWN_PROCESS]
    assert not Audit.objects.exists()


def test_the_audit_form_refuses_an_end_before_the_start(client_for, quality_manager, lead):
    data = form_data(
        AuditRegister,
        title="Audit of purchasing",
        owner=str(lead.pk),
        start_date=days(10).isoformat(),
        end_date=days(8).isoformat(),
    )
    response = client_for(quality_manager).post(f"{AUDITS}new/", data)
    assert response.status_code == 422
    assert response.context["form"].errors["end_date"] == ["The audit cannot end before it starts."]
    assert not Audit.objects.exists()


def test_the_audit_form_saves_a_valid_audit_for_an_internal_auditor(
    client_for, internal_auditor, quality_manager, lead, team_member, plan
):
    process = make_process(quality_manager, title="Purchasing")
    data = form_data(
        AuditRegister,
        title="Audit of purchasing",
        programme=str(plan.pk),
        owner=str(lead.pk),
        team=[str(team_member.pk)],
        processes=[str(process.pk)],
        clauses=[KEY_84],
        target_month=in_year(1, 5, 20).isoformat(),
    )
    response = client_for(internal_auditor).post(f"{AUDITS}new/", data)
    audit = Audit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == page_of(audit)
    assert (audit.owner, audit.programme, audit.status) == (lead, plan, "planned")
    assert list(audit.clauses.all()) == [clause("8.4")]
    assert audit.target_month == in_year(1, 5, 1)


def _unqualified_lead(quality_manager, lead, purchasing, otto):
    una = auditor(quality_manager, "Una Unqualified", level=None)
    return {"owner": una.pk}, "owner", "is not a qualified auditor"


def _owner_on_the_team(quality_manager, lead, purchasing, otto):
    return {"team": [otto.pk]}, "team", "they own it"


def _owner_leads(quality_manager, lead, purchasing, otto):
    return {"owner": otto.pk}, "owner", "Otto Owner"


def _auditor_as_auditee(quality_manager, lead, purchasing, otto):
    return {"auditees": [lead.pk]}, "auditees", "An auditor is not also an auditee: Lena Lead."


def _supplier_missing(quality_manager, lead, purchasing, otto):
    return {"kind": "supplier"}, "supplier", "Name the supplier"


def _end_before_start(quality_manager, lead, purchasing, otto):
    return {"end_date": days(5).isoformat()}, "end_date", "cannot end before it starts"


@pytest.mark.parametrize(
    "case",
    [
        _unqualified_lead,
        _owner_on_the_team,
        _owner_leads,
        _auditor_as_auditee,
        _supplier_missing,
        _end_before_start,
    ],
    ids=lambda case: case.__name__.strip("_").replace("_", " "),
)
def test_the_api_refuses_a_rule_breaking_audit_with_422_naming_the_field(
    api_for, quality_manager, lead, purchasing, otto, case
):
    changes, field, words = case(quality_manager, lead, purchasing, otto)
    body = {
        "title": "Audit of purchasing",
        "owner": lead.pk,
        "processes": [purchasing.pk],
        "start_date": days(10).isoformat(),
        "end_date": days(11).isoformat(),
        **changes,
    }
    response = api_for(quality_manager).post(API_AUDITS, body)
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert list(errors) == [field]
    assert words in errors[field][0]
    assert not Audit.objects.exists()


def test_the_api_creates_an_audit_with_clauses_named_by_key(api_for, internal_auditor, lead):
    body = {
        "title": "System audit",
        "kind": "system",
        "owner": lead.pk,
        "clauses": [KEY_84, "iso9001-2015:9.2"],
        "target_month": in_year(1, 9, 30).isoformat(),
    }
    response = api_for(internal_auditor).post(API_AUDITS, body)
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["clauses"] == [KEY_84, "iso9001-2015:9.2"]
    assert (answer["status"], answer["target_month"]) == ("planned", in_year(1, 9, 1).isoformat())


def test_the_api_refuses_an_edit_that_puts_a_process_owner_on_the_team(
    api_for, quality_manager, lead, otto, purchasing
):
    audit = make_audit(quality_manager, owner=lead, processes=[purchasing])
    response = api_for(quality_manager).patch(
        f"{API_AUDITS}{audit.reference}", {"team": [otto.pk]}, **{"If-Match": audit.etag}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"team": [OWN_PROCESS]}
    assert (list(fresh(audit).team.all()), fresh(audit).version) == ([], 1)


# == 3. Who may see and open what =============================================================
@pytest.fixture
def one_of_each(quality_manager, lead, plan):
    """A record of every audit register, and their pages."""
    audit = make_audit(quality_manager, owner=lead, programme=plan)
    item = findings.AddChecklistItem(
        lead, data={"audit": audit, "title": "Are suppliers re-evaluated?", "position": 1}
    ).execute()
    finding = make_finding(lead, audit)
    interview = add_interview(lead, audit)
    pages = [CALENDAR]
    for record in (plan, audit, item, finding, interview):
        detail = reverse(f"audits:{record._meta.model_name}_detail", args=[record.reference])
        pages += [reverse(f"audits:{record._meta.model_name}_list"), detail]
    return pages


@pytest.mark.parametrize("persona_name", PERSONAS)
def test_every_role_reads_the_audit_registers_and_the_calendar_but_nobody_without_one(
    client_for, request, persona_name, one_of_each
):
    client = client_for(request.getfixturevalue(persona_name))
    expected = 403 if persona_name == "nobody" else 200
    answers = {url: client.get(url).status_code for url in one_of_each}
    assert answers == dict.fromkeys(one_of_each, expected)


NEW_FORMS = {
    f"{PROGRAMMES}new/": PROGRAMME_PLANNERS,
    f"{AUDITS}new/": AUDIT_PLANNERS,
    "/audits/checklist-items/new/": AUDIT_PLANNERS,
    "/audits/findings/new/": AUDIT_PLANNERS,
    "/audits/interviews/new/": AUDIT_PLANNERS,
}


@pytest.mark.parametrize("persona_name", PERSONAS)
def test_only_the_quality_manager_opens_a_new_programme_and_auditors_new_audit_records(
    client_for, request, persona_name
):
    client = client_for(request.getfixturevalue(persona_name))
    answers = {url: client.get(url).status_code for url in NEW_FORMS}
    expected = {url: 200 if persona_name in who else 403 for url, who in NEW_FORMS.items()}
    assert answers == expected


# == 4. The audit plan ========================================================================
def test_the_plan_is_not_sent_before_the_auditees_are_named(
    quality_manager, lead, mailoutbox, django_capture_on_commit_callbacks
):
    audit = make_audit(quality_manager, owner=lead)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ActionRefused, match="Name the auditees first"),
    ):
        send_plan(lead, audit)
    assert fresh(audit).plan_sent_at is None
    assert mailoutbox == []
    assert not Notification.objects.filter(reference=audit.reference).exists()


def test_the_plan_is_emailed_once_to_every_auditee_auditor_and_the_lead(
    planned, lead, team_member, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_plan(lead, planned)
    [message] = mailoutbox
    people = [lead, team_member, *planned.auditees.all()]
    assert sorted(message.to) == sorted(p.email for p in people)
    assert message.subject == (
        f"Audit plan: {planned.reference} Audit of purchasing from {days(20):%Y-%m-%d}"
    )
    assert "09:00 opening meeting" in message.body
    audit = fresh(planned)
    assert (audit.start_date, audit.end_date, audit.status) == (days(20), days(22), "planned")
    assert audit.plan_sent_at is not None


def test_the_plan_carries_one_calendar_request_for_the_audit_days_inviting_each_person(
    planned, lead, team_member, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_plan(lead, planned)
    [(name, content, mimetype)] = mailoutbox[0].attachments
    assert name == "invite.ics"
    assert mimetype.startswith("text/calendar")
    invite = Calendar.from_ical(content)
    assert str(invite["METHOD"]) == "REQUEST"
    [event] = invite.walk("VEVENT")
    assert event.decoded("DTSTART") == days(20)
    assert event.decoded("DTEND") == days(23)  # all-day events end the day after
    assert str(event["SUMMARY"]) == f"Internal audit {planned.reference}: Audit of purchasing"
    invited = sorted(str(a).removeprefix("mailto:") for a in as_list(event["ATTENDEE"]))
    people = [lead, team_member, *planned.auditees.all()]
    assert invited == sorted(p.email for p in people)
    assert str(event["ORGANIZER"]) == f"mailto:{lead.email}"


def test_the_plan_notifies_each_person_in_norma(
    planned, lead, team_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_plan(lead, planned)
    notified = Notification.objects.filter(reference=planned.reference)
    people = {lead.pk, team_member.pk, *planned.auditees.values_list("pk", flat=True)}
    assert set(notified.values_list("recipient_person", flat=True)) == people
    assert notified.count() == len(people)
    assert {n.link for n in notified} == {page_of(planned)}


@pytest.mark.parametrize("who", ["team_member", "quality_manager"])
def test_the_audit_team_and_the_quality_manager_send_the_plan(
    planned, who, request, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_plan(request.getfixturevalue(who), planned)
    assert len(mailoutbox) == 1


def test_an_auditor_outside_the_team_does_not_send_the_plan(
    planned, internal_auditor, api_for, mailoutbox, django_capture_on_commit_callbacks
):
    with pytest.raises(NotPermitted, match="Only .* audit team can send the audit plan"):
        send_plan(internal_auditor, planned)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_do(
            api_for(internal_auditor),
            planned,
            "send-plan",
            start_date=days(20).isoformat(),
            end_date=days(22).isoformat(),
            agenda="Opening at nine.",
        )
    assert response.status_code == 403
    assert mailoutbox == []
    assert fresh(planned).plan_sent_at is None


def test_the_lead_sends_the_plan_from_the_audit_page(
    client_for, planned, lead, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(lead).post(
            f"{page_of(planned)}do/send-plan/",
            {
                "version": planned.version,
                "start_date": days(20).isoformat(),
                "end_date": days(21).isoformat(),
                "agenda": "Opening at nine.",
            },
        )
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert fresh(planned).end_date == days(21)


def test_a_plan_with_its_end_before_its_start_is_refused_and_not_sent(
    planned, lead, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        refused = refusal(lambda: send_plan(lead, planned, end_date=days(19)))
    assert refused.errors == {"end_date": ["The audit cannot end before it starts."]}
    assert mailoutbox == []


# == 5. The audit planned again next year ======================================================
def test_cloning_plans_the_audit_again_a_year_later_with_its_scope(
    quality_manager, lead, team_member, plan
):
    process = make_process(quality_manager, title="Purchasing")
    audit = make_audit(
        quality_manager,
        owner=lead,
        programme=plan,
        processes=[process],
        clauses=[clause("8.4")],
        team=[team_member],
        target_month=in_year(0, 12, 1),
    )
    run(programme.CloneAudit, quality_manager, audit)
    again = Audit.objects.exclude(pk=audit.pk).get()
    assert again.status == "planned"
    assert (again.title, again.owner, again.kind) == (audit.title, lead, "process")
    assert (again.start_date, again.end_date) == (
        add_months(audit.start_date, 12),
        add_months(audit.end_date, 12),
    )
    assert again.target_month == in_year(1, 12, 1)
    assert list(again.processes.all()) == [process]
    assert list(again.clauses.all()) == [clause("8.4")]
    assert list(again.team.all()) == [team_member]
    assert log_of(audit, "clone").get().after == {"planned_again_as": again.reference}


def test_a_reported_audit_is_planned_again_without_its_report(quality_manager, lead):
    done = reported_audit(quality_manager, lead, clauses=[clause("8.4")])
    run(programme.CloneAudit, lead, done)
    again = Audit.objects.exclude(pk=done.pk).get()
    assert (again.status, again.conclusions, again.reported_on) == ("planned", "", None)
    assert again.plan_sent_at is None
    assert fresh(done).status == "reported"


def test_an_auditor_clones_an_audit_through_the_api_and_an_employee_cannot(
    api_for, quality_manager, internal_auditor, employee, lead
):
    audit = make_audit(quality_manager, owner=lead)
    assert api_do(api_for(employee), audit, "clone").status_code == 403
    assert Audit.objects.count() == 1
    response = api_do(api_for(internal_auditor), audit, "clone")
    assert response.status_code == 200, response.json()
    assert Audit.objects.count() == 2


# == 6. Coverage and risk-based suggestions ===================================================
@pytest.fixture
def processes(quality_manager):
    return {
        title: make_process(quality_manager, title=title)
        for title in ("Purchasing", "Sales", "Design")
    }


def audited(actor, lead, process, *refs, **fields):
    """An audit of `process` (None: the whole system) on clauses `refs`, reported today."""
    scope = {"processes": [process] if process else [], "clauses": [clause(r) for r in refs]}
    return reported_audit(actor, lead, **scope, **fields)


def test_a_reported_audit_marks_its_clause_done_for_its_process_only(
    quality_manager, lead, plan, processes
):
    audited(quality_manager, lead, processes["Purchasing"], "8.4")
    cover = programme.coverage(plan)
    assert cover.state(clause("8.4"), processes["Purchasing"]) == "done"
    assert cover.state(clause("8.5"), processes["Purchasing"]) == ""
    assert cover.state(clause("8.4"), processes["Sales"]) == ""
    assert cover.state(clause("8.4"), None) == ""


def test_a_subclause_in_scope_marks_the_row_it_belongs_to(quality_manager, lead, plan, processes):
    audited(quality_manager, lead, processes["Purchasing"], "8.4.1")
    assert programme.coverage(plan).state(clause("8.4"), processes["Purchasing"]) == "done"


def test_one_part_of_a_clause_does_not_cover_the_whole_clause(
    quality_manager, lead, plan, processes
):
    """programme._fill: clause 8 is covered when the scope names it or once all of 8.1 to
    8.7 are; auditing 8.4 alone leaves 8 open."""
    audited(quality_manager, lead, processes["Purchasing"], "8.4")
    assert programme.coverage(plan).state(clause("8"), processes["Purchasing"]) == ""


def test_an_audit_of_a_whole_clause_covers_it_and_each_of_its_parts(
    quality_manager, lead, plan, processes
):
    audited(quality_manager, lead, processes["Sales"], "8")
    cover = programme.coverage(plan)
    parts = ["8", "8.1", "8.2", "8.3", "8.4", "8.5", "8.6", "8.7"]
    assert {ref: cover.state(clause(ref), processes["Sales"]) for ref in parts} == dict.fromkeys(
        parts, "done"
    )
    assert cover.state(clause("9.1"), processes["Sales"]) == ""


def test_a_whole_clause_is_covered_once_all_its_parts_are_planned_or_done(
    quality_manager, lead, plan, processes
):
    design = processes["Design"]
    audited(quality_manager, lead, design, "9.1", "9.2")
    assert programme.coverage(plan).state(clause("9"), design) == ""
    make_audit(
        quality_manager, owner=lead, programme=plan, processes=[design], clauses=[clause("9.3")]
    )
    assert programme.coverage(plan).state(clause("9"), design) == "planned"


def test_a_planned_audit_of_the_programme_marks_its_cells_planned(
    quality_manager, lead, plan, processes
):
    make_audit(
        quality_manager,
        owner=lead,
        programme=plan,
        processes=[processes["Sales"]],
        clauses=[clause("8.2")],
    )
    make_audit(  # planned, but in no programme: not this programme's plan
        quality_manager, owner=lead, processes=[processes["Design"]], clauses=[clause("8.3")]
    )
    cover = programme.coverage(plan)
    assert cover.state(clause("8.2"), processes["Sales"]) == "planned"
    assert cover.state(clause("8.3"), processes["Design"]) == ""


def test_a_cell_audited_in_the_cycle_stays_done_when_it_is_planned_again(
    quality_manager, lead, plan, processes
):
    audited(quality_manager, lead, processes["Purchasing"], "8.4")
    make_audit(
        quality_manager,
        owner=lead,
        programme=plan,
        processes=[processes["Purchasing"]],
        clauses=[clause("8.4")],
    )
    assert programme.coverage(plan).state(clause("8.4"), processes["Purchasing"]) == "done"


def test_the_gaps_are_the_clauses_and_processes_nothing_covers(
    quality_manager, lead, plan, processes
):
    audited(quality_manager, lead, processes["Purchasing"], "8.4")
    cover = programme.coverage(plan)
    gaps = [c.ref for c in cover.clause_gaps]
    assert "8.4" not in gaps
    assert {"4", "8", "8.5", "9.2", "10"} <= set(gaps)
    assert {p.title for p in cover.process_gaps} == {"Sales", "Design"}
    rows = [c.ref for c in cover.clauses]
    assert rows[0] == "4" and "10" in rows and "8.4" in rows
    assert not any(ref.count(".") > 1 for ref in rows)  # two levels: 8 and 8.4, not 8.4.1


def test_a_whole_system_audit_fills_the_whole_system_column(quality_manager, lead, plan):
    make_audit(
        quality_manager,
        owner=lead,
        programme=plan,
        kind="system",
        processes=[],
        clauses=[clause("9.2")],
    )
    cover = programme.coverage(plan)
    assert cover.state(clause("9.2"), None) == "planned"
    assert cover.state(clause("9.3"), None) == ""


def test_an_audit_without_clauses_covers_its_process_own_clauses(quality_manager, lead, plan):
    process = make_process(quality_manager, title="Calibration", clauses=[clause("7.1.5")])
    make_audit(quality_manager, owner=lead, programme=plan, processes=[process])
    cover = programme.coverage(plan)
    assert cover.state(clause("7.1"), process) == "planned"
    assert cover.state(clause("7.2"), process) == ""


def test_the_sites_audited_and_planned_are_listed(quality_manager, lead, plan, leeds, porto):
    audited(quality_manager, lead, None, "9.2", sites=[leeds])
    cover = programme.coverage(plan)
    assert (leeds, True, False) in cover.sites
    assert (porto, False, False) in cover.sites


def test_an_audit_reported_before_the_cycle_no_longer_counts(
    settings, quality_manager, lead, plan, processes
):
    audited(quality_manager, lead, processes["Purchasing"], "8.4")
    assert programme.coverage(plan).state(clause("8.4"), processes["Purchasing"]) == "done"
    # The programme ends in 165 days: a 3-month cycle began after today's report.
    settings.NORMA_AUDIT_CYCLE_MONTHS = 3
    cover = programme.coverage(plan)
    assert cover.state(clause("8.4"), processes["Purchasing"]) == ""
    assert processes["Purchasing"] in cover.process_gaps


def test_the_matrix_of_a_reader_limited_to_a_site_counts_only_audits_they_may_read(
    quality_manager, lead, plan, processes, leeds, porto
):
    make_audit(
        quality_manager,
        owner=lead,
        programme=plan,
        processes=[processes["Sales"]],
        clauses=[clause("8.2")],
        site=porto,
    )
    reader = PersonFactory(roles=[RoleCode.INTERNAL_AUDITOR], scope_sites=[leeds])
    assert programme.coverage(plan).state(clause("8.2"), processes["Sales"]) == "planned"
    assert programme.coverage(plan, reader).state(clause("8.2"), processes["Sales"]) == ""


def test_the_programme_page_shows_the_matrix_and_the_gaps(
    client_for, quality_manager, lead, plan, processes
):
    audited(quality_manager, lead, processes["Purchasing"], "8.4")
    make_audit(
        quality_manager,
        owner=lead,
        programme=plan,
        processes=[processes["Sales"]],
        clauses=[clause("8.2")],
    )
    page = client_for(quality_manager).get(page_of(plan)).content.decode()
    assert 'title="8.4 · Purchasing: audited"' in page
    assert 'title="8.2 · Sales: planned"' in page
    assert 'title="8.5 · Purchasing: not covered"' in page
    assert "Not yet covered: 4, " in page
    assert "; Design." in page


def test_a_process_with_an_open_nonconformity_is_suggested(quality_manager, processes):
    make_nc(quality_manager, process=processes["Sales"])
    [suggestion] = programme.suggestions(quality_manager)
    assert suggestion.process == processes["Sales"]
    assert suggestion.reasons == ["1 open nonconformity"]
    assert suggestion.last_audited is None


def test_a_process_with_a_kpi_off_track_is_suggested_and_one_on_track_is_not(
    quality_manager, process_owner, processes
):
    measure_process(process_owner, processes["Purchasing"], value="80")
    measure_process(process_owner, processes["Design"], value="99")
    [suggestion] = programme.suggestions(quality_manager)
    assert suggestion.process == processes["Purchasing"]
    assert suggestion.reasons == ["1 KPI off track"]


def test_suggestions_put_the_process_with_most_reasons_first_and_say_when_last_audited(
    quality_manager, process_owner, lead, processes
):
    make_nc(quality_manager, process=processes["Sales"])
    make_nc(quality_manager, process=processes["Purchasing"])
    measure_process(process_owner, processes["Purchasing"], value="80")
    audited(quality_manager, lead, processes["Purchasing"], "8.4")
    found = programme.suggestions(quality_manager)
    assert [s.process.title for s in found] == ["Purchasing", "Sales"]
    assert found[0].reasons == ["1 KPI off track", "1 open nonconformity"]
    assert found[0].last_audited == today()


def test_the_programme_page_lists_the_suggestions_with_a_link_to_plan_an_audit(
    client_for, quality_manager, top_manager, plan, processes
):
    make_nc(quality_manager, process=processes["Sales"])
    plan_link = f"{AUDITS}new/?programme={plan.pk}&amp;processes={processes['Sales'].pk}"
    page = client_for(quality_manager).get(page_of(plan)).content.decode()
    assert "1 open nonconformity" in page
    assert plan_link in page
    page = client_for(top_manager).get(page_of(plan)).content.decode()
    assert "1 open nonconformity" in page and plan_link not in page


# == 7. The calendar and its feed =============================================================
CELL = re.compile(r'<td class="([^"]*)"[^>]*><span class="day">(\d+)(.*?)</td>', re.S)


def days_showing(html: str, reference: str) -> list[int]:
    """The days of the month (not the padding of the weeks around it) showing `reference`."""
    return [
        int(day)
        for css, day, chips in CELL.findall(html)
        if "muted" not in css and reference in chips
    ]


def test_an_audit_shows_on_each_day_it_runs(client_for, quality_manager, lead):
    audit = make_audit(
        quality_manager, owner=lead, start_date=in_year(1, 3, 3), end_date=in_year(1, 3, 5)
    )
    page = client_for(quality_manager).get(CALENDAR, {"year": in_year(1, 3, 1).year, "month": 3})
    assert page.status_code == 200
    assert days_showing(page.content.decode(), audit.reference) == [3, 4, 5]


def test_an_audit_across_the_month_end_shows_in_both_months(client_for, quality_manager, lead):
    audit = make_audit(
        quality_manager, owner=lead, start_date=in_year(1, 4, 29), end_date=in_year(1, 5, 2)
    )
    client = client_for(quality_manager)
    year = in_year(1, 1, 1).year
    april = client.get(CALENDAR, {"year": year, "month": 4}).content.decode()
    may = client.get(CALENDAR, {"year": year, "month": 5}).content.decode()
    assert days_showing(april, audit.reference) == [29, 30]
    assert days_showing(may, audit.reference) == [1, 2]


def test_the_calendar_links_the_months_before_and_after(client_for, quality_manager):
    year = in_year(1, 1, 1).year
    page = client_for(quality_manager).get(CALENDAR, {"year": year, "month": 1})
    html = page.content.decode()
    assert page.context["first"] == date(year, 1, 1)
    assert f"January {year}" in html
    assert f'href="?year={year - 1}&amp;month=12"' in html
    assert f'href="?year={year}&amp;month=2"' in html


def test_an_audit_with_only_a_target_month_is_listed_under_that_month(
    client_for, quality_manager, lead
):
    audit = make_audit(
        quality_manager,
        owner=lead,
        start_date=None,
        end_date=None,
        target_month=in_year(1, 6, 10),
        title="Audit of sales",
    )
    html = (
        client_for(quality_manager)
        .get(CALENDAR, {"year": in_year(1, 1, 1).year, "month": 6})
        .content.decode()
    )
    assert "dates not set" in html
    assert f"{audit.reference}</a> Audit of sales" in html


def test_a_cancelled_audit_leaves_the_calendar(client_for, quality_manager, lead):
    audit = make_audit(
        quality_manager, owner=lead, start_date=in_year(1, 3, 3), end_date=in_year(1, 3, 5)
    )
    run(workflow.CancelAudit, quality_manager, audit, reason="Process merged")
    html = (
        client_for(quality_manager)
        .get(CALENDAR, {"year": in_year(1, 1, 1).year, "month": 3})
        .content.decode()
    )
    assert audit.reference not in html


@pytest.mark.parametrize(
    "query",
    [{"month": "13"}, {"month": "0"}, {"year": "abc"}, {"year": "2027", "month": ""}],
    ids=["month 13", "month 0", "year not a number", "month empty"],
)
def test_a_bad_month_falls_back_to_the_current_one(client_for, quality_manager, query):
    response = client_for(quality_manager).get(CALENDAR, query)
    assert response.status_code == 200
    assert response.context["first"] == today().replace(day=1)


@pytest.mark.parametrize(
    "query",
    [
        {"year": "9999", "month": "12"},
        {"year": "1", "month": "1"},
        {"year": "99999999999999999999", "month": "1"},
    ],
    ids=["last month of year 9999", "first month of year 1", "year too large"],
)
def test_a_year_at_or_past_the_edge_of_the_calendar_falls_back_to_the_current_month(
    client_for, quality_manager, query
):
    client = client_for(quality_manager)
    client.raise_request_exception = False
    response = client.get(CALENDAR, query)
    assert response.status_code == 200
    assert response.context["first"] == today().replace(day=1)


def feed_of_audits(person):
    ResetCalendarLink(person).execute()
    token = preference_of(person).feed_token()
    return Client().get(f"/notifications/calendar/{token}/audits/audit.ics")


def test_the_audits_calendar_feed_holds_the_audit_on_its_first_day(quality_manager, lead, employee):
    audit = make_audit(quality_manager, owner=lead, start_date=days(30), end_date=days(31))
    response = feed_of_audits(employee)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    starts = {
        str(event["UID"]): event for event in Calendar.from_ical(response.content).walk("VEVENT")
    }
    event = starts[f"audits.audit.{audit.pk}.start_date@localhost"]
    assert str(event["SUMMARY"]) == f"{audit.reference} Audit of purchasing"
    assert event.decoded("DTSTART") == days(30)


def test_the_audits_feed_is_not_found_for_someone_without_a_role(quality_manager, lead, nobody):
    make_audit(quality_manager, owner=lead, start_date=days(30), end_date=days(31))
    assert feed_of_audits(nobody).status_code == 404


# == 8. Query counts ========================================================================
def plan_audits(actor, leads, count: int, **fields):
    """`count` more audits, each of a process of its own, led in turn by `leads`."""
    first = Audit.objects.count()
    for n in range(first, first + count):
        process = make_process(actor, title=f"Process {n}")
        make_audit(
            actor,
            owner=leads[n % len(leads)],
            processes=[process],
            clauses=[clause("8.4")],
            title=f"Audit {n}",
            **fields,
        )


@pytest.fixture
def two_leads(quality_manager, lead):
    return [lead, auditor(quality_manager, "Leo Lead")]


def test_the_audits_list_costs_the_same_with_2_or_30_audits(client_for, quality_manager, two_leads):
    client = client_for(quality_manager)
    plan_audits(quality_manager, two_leads, 2)
    count_queries(client, AUDITS)  # warms the process-wide content-type cache
    few, _ = count_queries(client, AUDITS)
    plan_audits(quality_manager, two_leads, 28)
    many, sql = count_queries(client, AUDITS)
    assert many == few, "\n".join(sql)


def test_the_programme_page_costs_the_same_with_2_or_30_audits(
    client_for, quality_manager, two_leads, plan
):
    client = client_for(quality_manager)
    plan_audits(quality_manager, two_leads, 2, programme=plan)
    count_queries(client, page_of(plan))  # warms the process-wide content-type cache
    few, _ = count_queries(client, page_of(plan))
    plan_audits(quality_manager, two_leads, 28, programme=plan)
    many, sql = count_queries(client, page_of(plan))
    assert many == few, "\n".join(sql)
    assert "Audit 29" in client.get(page_of(plan)).content.decode()
