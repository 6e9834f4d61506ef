"""Certification with a registrar (ISO/IEC 17021-1) through Norma's registers: the
certification bodies and their accreditation, the certification cycle's own rules and its
workflow (the decision, the audits held, closing), where a cycle stands, the cycle's page with
its schedule, audit time and cost, who may read and write what, the query count of the cycle
list, and the demo data.

Unless a test says otherwise, Quinn Quality (the quality manager) does the work, the registrar
is accredited by UKAS, and the organisation has 140 people in the scope. Dates are fixed in
the past where the rule is about dates, so the decisions are recorded once taken.
"""

import datetime
import html
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from norma.certification import workflow
from norma.certification.models import CertificationBody, CertificationCycle, ExternalAudit
from norma.certification.registers import (
    CertificationBodyRegister,
    CertificationCycleRegister,
    ExternalAuditRegister,
)
from norma.core.actions import (
    ActionRefused,
    CreateRecord,
    InvalidInput,
    NotPermitted,
    UpdateRecord,
)
from tests.conftest import PERSONAS
from tests.kit import count_queries, form_data

D = datetime.date
API_CYCLES = "/api/v1/certification/certification-cycles/"
REGISTERS = {
    CertificationBody: CertificationBodyRegister,
    CertificationCycle: CertificationCycleRegister,
    ExternalAudit: ExternalAuditRegister,
}


# -- small helpers ------------------------------------------------------------------------
def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def page_of(record, role="detail") -> str:
    return reverse(REGISTERS[type(record)].url_name(role), args=[record.reference])


def list_of(model) -> str:
    return reverse(REGISTERS[model].url_name("list"))


def page_text(response) -> str:
    """What a reader sees: the page without its tags, entities decoded, spaces collapsed."""
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(text))


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def refused(make, kind=ActionRefused) -> ActionRefused:
    """Run `make()`, which must be refused, and return the refusal."""
    with pytest.raises(kind) as caught:
        make()
    return caught.value


def add_body(actor, **fields) -> CertificationBody:
    data = {
        "title": "Pennine Assurance Ltd",
        "accreditation_body": "UKAS",
        "accreditation_number": "0123",
        "owner": actor,
        **fields,
    }
    return CreateRecord(actor, CertificationBody, data=data).execute()


def plan_cycle(actor, body, **fields) -> CertificationCycle:
    data = {
        "title": "ISO 9001 initial certification",
        "certification_body": body,
        "scope": "Design and manufacture of precision machined parts.",
        "personnel": 140,
        "stage_1_date": D(2024, 1, 15),
        "stage_2_date": D(2024, 2, 28),
        "owner": actor,
        **fields,
    }
    return CreateRecord(actor, CertificationCycle, data=data).execute()


def add_audit(actor, cycle, kind, last_day, length=1, **fields) -> ExternalAudit:
    data = {
        "title": f"{kind} audit",
        "cycle": fresh(cycle),
        "kind": kind,
        "start_date": last_day - datetime.timedelta(days=length - 1),
        "end_date": last_day,
        "owner": actor,
        **fields,
    }
    return CreateRecord(actor, ExternalAudit, data=data).execute()


def hold(actor, audit, **data) -> ExternalAudit:
    return workflow.HoldAudit(actor, fresh(audit), data=data).execute()


def held_audit(actor, cycle, kind, last_day) -> ExternalAudit:
    """The audit held; a stage 2 comes after a stage 1, held three weeks before it."""
    if kind == "stage_2" and not fresh(cycle).external_audits.filter(kind="stage_1").exists():
        hold(actor, add_audit(actor, cycle, "stage_1", last_day - datetime.timedelta(days=21)))
    return hold(actor, add_audit(actor, cycle, kind, last_day))


def decide(actor, cycle, decision, number="Q-2024-0417", **data) -> CertificationCycle:
    """The registrar's decision as the page's form sends it."""
    data = {"decision_date": decision.isoformat(), "certificate_number": number, **data}
    return workflow.RecordCertificationDecision(actor, fresh(cycle), data=data).execute()


def certify(actor, cycle, decision, **data) -> CertificationCycle:
    """Stage 2 held on the cycle's stage 2 date, then the decision."""
    held_audit(actor, cycle, "stage_2", fresh(cycle).stage_2_date)
    return decide(actor, cycle, decision, **data)


def certified_on(actor, body, decision, **fields) -> CertificationCycle:
    """A cycle of its own, stage 1 two months and stage 2 ten days before the decision."""
    cycle = plan_cycle(
        actor,
        body,
        stage_1_date=decision - datetime.timedelta(days=60),
        stage_2_date=decision - datetime.timedelta(days=10),
        **fields,
    )
    return certify(actor, cycle, decision)


def plan_renewal(actor, body, old, **fields) -> CertificationCycle:
    """The cycle that renews `old`: no stage 1 or 2, a recertification audit instead."""
    return plan_cycle(
        actor,
        body,
        title="Recertification",
        previous_cycle=fresh(old),
        stage_1_date=None,
        stage_2_date=None,
        **fields,
    )


def renew(actor, body, old, decision, audited=None) -> CertificationCycle:
    """The recertification audit held (by default ten days before), then the decision."""
    renewal = plan_renewal(actor, body, old)
    audited = audited or decision - datetime.timedelta(days=10)
    held_audit(actor, renewal, "recertification", audited)
    return decide(actor, renewal, decision, number="Q-renewed")


# -- fixtures ------------------------------------------------------------------------------
@pytest.fixture
def body(quality_manager):
    return add_body(quality_manager)


@pytest.fixture
def cycle(quality_manager, body):
    """Planned: stage 1 on 15 January 2024, stage 2 ending 28 February 2024."""
    return plan_cycle(quality_manager, body)


@pytest.fixture
def certified(quality_manager, cycle):
    """Certified on 10 March 2024: expires 9 March 2027, first surveillance due 10 March 2025."""
    return certify(quality_manager, cycle, D(2024, 3, 10))


@pytest.fixture
def recent(quality_manager, body):
    """Certified a month ago, with a day rate: every milestone still to come is in the future."""
    cycle = plan_cycle(
        quality_manager,
        body,
        title="Certified last month",
        stage_1_date=days(-80),
        stage_2_date=days(-40),
        day_rate=1150,
    )
    held_audit(quality_manager, cycle, "stage_1", days(-80))
    return certify(quality_manager, cycle, days(-30))


@pytest.fixture
def audit(quality_manager, cycle):
    return add_audit(quality_manager, cycle, "stage_1", D(2024, 1, 15))


# -- certification bodies ------------------------------------------------------------------
def test_quality_manager_creates_a_certification_body(quality_manager):
    body = add_body(quality_manager, accreditation_expiry=D(2028, 5, 31))

    body = fresh(body)
    assert body.reference.startswith("CB")
    assert body.status == CertificationBody.Status.ACTIVE
    assert (body.major_response_days, body.minor_response_days) == (30, 90)
    assert body.created_by == quality_manager


@pytest.mark.parametrize("persona", ["top_manager", "employee"], indirect=True)
def test_only_the_quality_team_adds_a_certification_body(persona):
    refused(lambda: add_body(persona), NotPermitted)
    assert not CertificationBody.objects.exists()


@pytest.mark.parametrize(
    "name", ["UKAS", "ukas", "United Kingdom Accreditation Service", "  DAkkS "]
)
def test_a_known_accreditation_body_raises_no_warning(quality_manager, name):
    body = add_body(quality_manager, accreditation_body=name)

    assert body.accreditation_warnings() == []


def test_an_unknown_accreditation_body_is_named_in_a_warning(quality_manager):
    body = add_body(quality_manager, accreditation_body="Acme Accreditation")

    [warning] = body.accreditation_warnings()
    assert "“Acme Accreditation” is not on Norma's list" in warning
    assert "iaf.nu" in warning


def test_an_expired_accreditation_raises_a_warning_from_the_day_after(quality_manager):
    body = add_body(quality_manager, accreditation_expiry=D(2025, 6, 30))

    assert body.accreditation_warnings(today=D(2025, 6, 30)) == []
    [warning] = body.accreditation_warnings(today=D(2025, 7, 1))
    assert "The accreditation expired on 30 June 2025" in warning


def test_the_body_page_shows_the_accreditation_warning(client_for, quality_manager):
    body = add_body(quality_manager, accreditation_body="Acme Accreditation")

    response = client_for(quality_manager).get(page_of(body))

    assert response.status_code == 200
    assert "“Acme Accreditation” is not on Norma's list" in page_text(response)
    assert 'role="alert"' in response.content.decode()


def test_the_body_page_confirms_a_known_accreditation_body(client_for, quality_manager, body):
    response = client_for(quality_manager).get(page_of(body))

    assert "UKAS is on Norma's list of accreditation bodies" in page_text(response)
    assert 'role="alert"' not in response.content.decode()


# -- the cycle's own rules -----------------------------------------------------------------
def test_a_new_cycle_is_planned_and_waits_for_no_audit_yet(cycle):
    cycle = fresh(cycle)
    assert cycle.reference.startswith("CC")
    assert cycle.status == CertificationCycle.Status.PLANNED
    assert cycle.due_date is None
    assert cycle.standard == "ISO 9001:2015"


def test_stage_2_before_stage_1_is_refused(quality_manager, body):
    error = refused(
        lambda: plan_cycle(
            quality_manager, body, stage_1_date=D(2024, 2, 1), stage_2_date=D(2024, 1, 31)
        ),
        InvalidInput,
    )
    assert "stage_2_date" in error.errors
    assert not CertificationCycle.objects.exists()


def test_stage_2_on_the_day_of_stage_1_is_accepted(quality_manager, body):
    cycle = plan_cycle(
        quality_manager, body, stage_1_date=D(2024, 2, 1), stage_2_date=D(2024, 2, 1)
    )
    assert cycle.pk


def test_a_cycle_with_no_personnel_is_refused(quality_manager, body):
    error = refused(lambda: plan_cycle(quality_manager, body, personnel=0), InvalidInput)
    assert "personnel" in error.errors


def test_reductions_over_100_percent_are_refused(quality_manager, body):
    error = refused(lambda: plan_cycle(quality_manager, body, reduction_pct=101), InvalidInput)
    assert "reduction_pct" in error.errors


def test_the_decision_before_stage_2_is_refused(quality_manager, cycle):
    held_audit(quality_manager, cycle, "stage_2", D(2024, 2, 28))

    error = refused(lambda: decide(quality_manager, cycle, D(2024, 2, 27)), InvalidInput)

    assert "decision_date" in error.errors
    assert fresh(cycle).status == CertificationCycle.Status.PLANNED


def test_a_decision_in_the_future_is_refused(quality_manager, cycle):
    held_audit(quality_manager, cycle, "stage_2", D(2024, 2, 28))

    error = refused(lambda: decide(quality_manager, cycle, days(1)), InvalidInput)

    assert "decision_date" in error.errors
    assert fresh(cycle).decision_date is None


def test_a_decision_taken_today_is_accepted(quality_manager, cycle):
    assert certify(quality_manager, cycle, today()).decision_date == today()


@pytest.mark.parametrize(
    ("decision", "expiry"),
    [
        (D(2025, 3, 10), D(2028, 3, 9)),
        (D(2024, 2, 29), D(2027, 2, 28)),
        (D(2024, 3, 1), D(2027, 2, 28)),
        (D(2024, 1, 1), D(2026, 12, 31)),
    ],
)
def test_the_certificate_expires_the_day_before_three_years_on(
    quality_manager, body, decision, expiry
):
    assert fresh(certified_on(quality_manager, body, decision)).expiry_date == expiry


def test_an_expiry_the_registrar_gives_is_kept(quality_manager, cycle):
    certified = certify(quality_manager, cycle, D(2024, 3, 10), expiry_date="2027-03-31")

    assert fresh(certified).expiry_date == D(2027, 3, 31)


def test_an_expiry_on_or_before_the_decision_is_refused(quality_manager, cycle):
    held_audit(quality_manager, cycle, "stage_2", D(2024, 2, 28))

    error = refused(
        lambda: decide(quality_manager, cycle, D(2024, 3, 10), expiry_date="2024-03-10"),
        InvalidInput,
    )
    assert "expiry_date" in error.errors


def test_a_certificate_issued_before_the_decision_is_refused(quality_manager, cycle):
    held_audit(quality_manager, cycle, "stage_2", D(2024, 2, 28))

    error = refused(
        lambda: decide(quality_manager, cycle, D(2024, 3, 10), issue_date="2024-03-09"),
        InvalidInput,
    )
    assert "issue_date" in error.errors


def test_a_renewal_decided_before_the_old_expiry_runs_on_from_it(quality_manager, body, certified):
    assert fresh(certified).expiry_date == D(2027, 3, 9)

    renewal = renew(quality_manager, body, certified, D(2026, 11, 20))

    assert fresh(renewal).expiry_date == D(2030, 3, 9)


def test_a_renewal_decided_on_the_old_expiry_still_runs_on_from_it(quality_manager, body):
    old = certified_on(quality_manager, body, D(2023, 3, 10))  # expires 9 March 2026

    renewal = renew(quality_manager, body, old, D(2026, 3, 9))

    assert fresh(renewal).expiry_date == D(2029, 3, 9)


def test_a_certificate_restored_within_six_months_keeps_its_original_dates(quality_manager, body):
    old = certified_on(quality_manager, body, D(2023, 3, 10))  # expires 9 March 2026

    renewal = renew(quality_manager, body, old, D(2026, 4, 15))

    assert fresh(renewal).expiry_date == D(2029, 3, 9)
    assert fresh(old).status == CertificationCycle.Status.CLOSED


def test_more_than_six_months_after_expiry_a_renewal_needs_a_stage_2(quality_manager, body):
    old = certified_on(quality_manager, body, D(2023, 3, 10))  # restorable until 9 Sept 2026

    error = refused(lambda: renew(quality_manager, body, old, D(2026, 10, 1)))

    assert "a stage 2 audit is needed" in error.message


def test_a_late_renewal_with_a_stage_2_starts_a_cycle_of_its_own(quality_manager, body):
    old = certified_on(quality_manager, body, D(2023, 3, 10))
    renewal = plan_renewal(quality_manager, body, old)
    held_audit(quality_manager, renewal, "stage_2", D(2026, 9, 20))

    decide(quality_manager, renewal, D(2026, 10, 1), number="Q-again")

    assert fresh(renewal).expiry_date == D(2029, 9, 30)


# -- the workflow ----------------------------------------------------------------------------
def test_the_decision_waits_for_stage_2_to_be_held(quality_manager, cycle):
    held_audit(quality_manager, cycle, "stage_1", D(2024, 1, 15))
    add_audit(quality_manager, cycle, "stage_2", D(2024, 2, 28))  # planned, not held

    error = refused(lambda: decide(quality_manager, cycle, D(2024, 3, 10)))

    assert error.message == "Record the stage 2 audit as held before the decision."
    assert fresh(cycle).status == CertificationCycle.Status.PLANNED


def test_the_page_says_why_the_decision_cannot_be_recorded_yet(client_for, quality_manager, cycle):
    client = client_for(quality_manager)

    response = client.post(
        f"{page_of(cycle)}do/record-decision/",
        {
            "version": fresh(cycle).version,
            "decision_date": "2024-03-10",
            "certificate_number": "Q-1",
        },
    )

    assert response.status_code == 302
    assert "Record the stage 1 and stage 2 audit as held before the decision." in messages_of(
        response
    )
    assert fresh(cycle).status == CertificationCycle.Status.PLANNED


def test_stage_2_held_in_another_cycle_does_not_count(quality_manager, body, cycle):
    other = plan_cycle(quality_manager, body, title="Another site's cycle")
    held_audit(quality_manager, other, "stage_2", D(2024, 2, 28))

    refused(lambda: decide(quality_manager, cycle, D(2024, 3, 10)))


def test_the_decision_cannot_precede_the_stage_2_audit_it_rests_on(quality_manager, cycle):
    held_audit(quality_manager, cycle, "stage_2", D(2024, 4, 10))  # planned for 28 February

    error = refused(lambda: decide(quality_manager, cycle, D(2024, 3, 10)), InvalidInput)

    assert "decision_date" in error.errors


def test_a_renewal_decision_waits_for_the_recertification_audit(quality_manager, body, certified):
    renewal = plan_renewal(quality_manager, body, certified)
    add_audit(quality_manager, renewal, "recertification", D(2026, 11, 10))  # planned only

    error = refused(lambda: decide(quality_manager, renewal, D(2026, 11, 20)))

    assert error.message == "Record the recertification audit as held before the decision."
    assert fresh(renewal).status == CertificationCycle.Status.PLANNED


def test_the_decision_is_recorded_through_the_api(api_for, quality_manager, cycle):
    held_audit(quality_manager, cycle, "stage_2", D(2024, 2, 28))
    api = api_for(quality_manager)

    response = api.post(
        f"{API_CYCLES}{cycle.reference}/actions/record-decision",
        {"decision_date": "2024-03-10", "certificate_number": "Q-2024-0417"},
        **{"If-Match": fresh(cycle).etag},
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "certified"
    assert response.json()["expiry_date"] == "2027-03-09"
    assert fresh(cycle).due_date == D(2025, 3, 10)


@pytest.mark.parametrize("missing", ["decision_date", "certificate_number"])
def test_the_decision_needs_its_date_and_the_certificate_number(quality_manager, cycle, missing):
    held_audit(quality_manager, cycle, "stage_2", D(2024, 2, 28))

    error = refused(lambda: decide(quality_manager, cycle, D(2024, 3, 10), **{missing: ""}))

    assert isinstance(error, InvalidInput)
    assert missing in error.errors
    assert fresh(cycle).status == CertificationCycle.Status.PLANNED


def test_the_decision_issues_the_certificate_and_sets_the_first_surveillance_due(certified):
    cycle = fresh(certified)

    assert cycle.status == CertificationCycle.Status.CERTIFIED
    assert cycle.decision_date == D(2024, 3, 10)
    assert cycle.certificate_number == "Q-2024-0417"
    assert cycle.due_date == D(2025, 3, 10)


def test_the_first_surveillance_held_moves_the_due_date_to_the_end_of_the_next_year(
    quality_manager, certified
):
    held_audit(quality_manager, certified, "surveillance", D(2025, 2, 20))

    assert fresh(certified).due_date == D(2026, 12, 31)


def test_the_second_surveillance_held_moves_the_due_date_to_the_expiry(quality_manager, certified):
    held_audit(quality_manager, certified, "surveillance", D(2025, 2, 20))
    held_audit(quality_manager, certified, "surveillance", D(2026, 5, 12))

    assert fresh(certified).due_date == D(2027, 3, 9)


def test_a_cancelled_surveillance_leaves_the_due_date(quality_manager, certified):
    audit = add_audit(quality_manager, certified, "surveillance", D(2025, 2, 20))

    workflow.CancelAudit(quality_manager, audit, reason="The registrar moved it.").execute()

    assert fresh(audit).status == ExternalAudit.Status.CANCELLED
    assert fresh(certified).due_date == D(2025, 3, 10)


def test_a_held_audit_is_kept_as_it_was_and_not_moved_to_another_cycle(
    quality_manager, body, certified
):
    other = certified_on(quality_manager, body, D(2024, 3, 10), title="The Porto cycle")
    audit = held_audit(quality_manager, certified, "surveillance", D(2025, 2, 20))

    error = refused(
        lambda: UpdateRecord(quality_manager, fresh(audit), data={"cycle": fresh(other)}).execute()
    )

    assert "is held: its record is kept" in error.message
    assert fresh(certified).due_date == D(2026, 12, 31)
    assert fresh(other).due_date == D(2025, 3, 10)


def test_moving_a_planned_audit_to_another_cycle_moves_both_due_dates(
    quality_manager, body, certified
):
    other = certified_on(quality_manager, body, D(2024, 3, 10), title="The Porto cycle")
    audit = add_audit(quality_manager, certified, "surveillance", days(30))

    UpdateRecord(quality_manager, fresh(audit), data={"cycle": fresh(other)}).execute()

    assert fresh(audit).cycle == fresh(other)
    assert fresh(certified).due_date == D(2025, 3, 10)


def test_an_audit_is_not_held_before_its_last_day(quality_manager, cycle):
    audit = add_audit(quality_manager, cycle, "stage_2", days(2), length=3)

    error = refused(lambda: hold(quality_manager, audit))

    assert f"runs until {days(2):%-d %B %Y}" in error.message
    assert fresh(audit).status == ExternalAudit.Status.PLANNED


def test_an_audit_is_held_on_its_last_day_with_the_registrars_summary(quality_manager, cycle):
    audit = add_audit(quality_manager, cycle, "stage_1", today())

    hold(quality_manager, audit, summary="Ready for stage 2.")

    audit = fresh(audit)
    assert audit.status == ExternalAudit.Status.HELD
    assert audit.summary == "Ready for stage 2."


def test_an_audit_ending_before_it_starts_is_refused(quality_manager, cycle):
    error = refused(
        lambda: add_audit(
            quality_manager,
            cycle,
            "stage_1",
            D(2024, 1, 15),
            start_date=D(2024, 1, 16),
        ),
        InvalidInput,
    )
    assert "end_date" in error.errors


def test_closing_a_cycle_needs_a_reason(quality_manager, certified):
    error = refused(
        lambda: workflow.CloseCycle(quality_manager, fresh(certified)).execute(), InvalidInput
    )

    assert "reason" in error.errors
    assert fresh(certified).status == CertificationCycle.Status.CERTIFIED


def test_a_closed_cycle_waits_for_no_audit(quality_manager, certified):
    workflow.CloseCycle(
        quality_manager, fresh(certified), reason="Renewed by the recertification cycle."
    ).execute()

    cycle = fresh(certified)
    assert cycle.status == CertificationCycle.Status.CLOSED
    assert cycle.due_date is None
    assert cycle.standing_on(D(2025, 1, 1)).code == "closed"


def test_a_planned_cycle_may_be_given_up(quality_manager, cycle):
    workflow.CloseCycle(quality_manager, fresh(cycle), reason="Certification postponed.").execute()

    assert fresh(cycle).status == CertificationCycle.Status.CLOSED


@pytest.mark.parametrize("persona", ["top_manager", "internal_auditor"], indirect=True)
def test_readers_cannot_record_the_decision(persona, quality_manager, cycle):
    held_audit(quality_manager, cycle, "stage_2", D(2024, 2, 28))

    refused(lambda: decide(persona, cycle, D(2024, 3, 10)), NotPermitted)


# -- where a cycle stands ------------------------------------------------------------------
def test_a_planned_cycle_is_working_towards_certification(cycle):
    standing = fresh(cycle).standing_on(D(2024, 2, 1))

    assert standing.code == "planned"
    assert standing.label == "Working towards certification"


def test_a_certified_cycle_stands_certified_until_the_first_surveillance_is_due(certified):
    cycle = fresh(certified)

    for day in (D(2024, 3, 10), D(2025, 3, 10)):
        standing = cycle.standing_on(day)
        assert (standing.code, standing.next_due) == ("certified", D(2025, 3, 10)), day


def test_surveillance_is_overdue_the_day_after_it_was_due(certified):
    standing = fresh(certified).standing_on(D(2025, 3, 11))

    assert standing.code == "surveillance_overdue"
    assert "suspended" in standing.label


def test_a_surveillance_held_in_time_keeps_the_cycle_certified(quality_manager, certified):
    held_audit(quality_manager, certified, "surveillance", D(2025, 2, 20))

    assert fresh(certified).standing_on(D(2025, 3, 11)).code == "certified"


def test_a_certificate_is_expired_and_restorable_the_day_after_expiry(certified):
    standing = fresh(certified).standing_on(D(2027, 3, 10))

    assert standing.code == "expired"
    assert "restorable until 9 September 2027" in standing.label


def test_a_certificate_lapses_more_than_six_months_after_expiry(certified):
    cycle = fresh(certified)

    assert cycle.standing_on(D(2027, 9, 9)).code == "expired"
    assert cycle.standing_on(D(2027, 9, 10)).code == "lapsed"


# -- the cycle's page ------------------------------------------------------------------------
def test_the_cycle_page_shows_where_it_stands_and_its_schedule(client_for, quality_manager, recent):
    response = client_for(quality_manager).get(page_of(recent))
    text = page_text(response)

    assert response.status_code == 200
    assert "Certified · next audit or decision due by" in text
    milestones = re.findall(r"<tr><td>([^<]+)</td>", response.content.decode())
    for label in (
        "Stage 1",
        "Stage 2",
        "Certification decision",
        "Surveillance 1 due by",
        "Certificate expires",
        "Restorable until",
    ):
        assert label in milestones
    assert f"Certificate expires {fresh(recent).expiry_date:%Y-%m-%d}" in text


def test_the_cycle_page_draws_the_schedule_as_an_accessible_timeline(
    client_for, quality_manager, recent
):
    content = client_for(quality_manager).get(page_of(recent)).content.decode()

    svg = re.search(r"<svg[^>]*>", content)
    assert svg and 'role="img"' in svg.group(0)
    assert f"Schedule of {recent.reference}" in content


def test_the_cycle_page_gives_the_audit_time_for_its_personnel(client_for, quality_manager, recent):
    text = page_text(client_for(quality_manager).get(page_of(recent)))

    assert "IAF MD 5, 140 people" in text
    assert "Initial audit (stage 1 + 2) 8 days, at least 6.4 on site" in text
    assert "Each surveillance audit 2.5 days" in text
    assert "Recertification audit 5.5 days" in text


def test_the_cycle_page_prices_the_cycle_at_the_day_rate(client_for, quality_manager, recent):
    text = page_text(client_for(quality_manager).get(page_of(recent)))

    # 8 + 2 × 2.5 + 5.5 = 18.5 days at 1,150 a day
    assert "Cost over the cycle 21,275 at 1,150 a day" in text


def test_the_cycle_page_asks_for_a_day_rate_to_price_it(client_for, quality_manager, cycle):
    text = page_text(client_for(quality_manager).get(page_of(cycle)))

    assert "Give the registrar's day rate to estimate it." in text
    assert "Working towards certification" in text


def test_the_cycle_page_lists_the_registrars_audits(client_for, quality_manager, recent):
    stage_1 = ExternalAudit.objects.get(cycle=recent, kind="stage_1")

    content = client_for(quality_manager).get(page_of(recent)).content.decode()

    assert page_of(stage_1) in content


def test_the_cycle_page_warns_of_an_unrecognised_registrar(client_for, quality_manager):
    body = add_body(quality_manager, accreditation_body="Acme Accreditation")
    cycle = plan_cycle(quality_manager, body)

    text = page_text(client_for(quality_manager).get(page_of(cycle)))

    assert "“Acme Accreditation” is not on Norma's list" in text


def test_the_page_offers_the_decision_once_stage_2_is_held(client_for, quality_manager, cycle):
    client = client_for(quality_manager)
    decision_form = f"{page_of(cycle)}do/record-decision/"

    assert decision_form not in client.get(page_of(cycle)).content.decode()
    held_audit(quality_manager, cycle, "stage_2", D(2024, 2, 28))
    assert decision_form in client.get(page_of(cycle)).content.decode()


def test_readers_are_offered_no_step_of_the_cycle(client_for, quality_manager, top_manager, cycle):
    held_audit(quality_manager, cycle, "stage_2", D(2024, 2, 28))

    content = client_for(top_manager).get(page_of(cycle)).content.decode()

    assert f"{page_of(cycle)}do/" not in content


def test_the_cycle_list_shows_where_each_cycle_stands(client_for, quality_manager, body, recent):
    overdue = certified_on(quality_manager, body, days(-400), title="Surveillance missed")

    content = client_for(quality_manager).get(list_of(CertificationCycle)).content.decode()

    rows = {ref: row for row in content.split("<tr") for ref in re.findall(r"CC-\d{4}-\d+", row)}
    assert "Certified" in rows[recent.reference]
    assert "Surveillance overdue" not in rows[recent.reference]
    assert "Surveillance overdue" in rows[overdue.reference]


def test_the_cycle_page_reads_as_many_queries_however_many_audits_it_has(
    client_for, quality_manager, recent
):
    client = client_for(quality_manager)
    url = page_of(recent)
    few, _ = count_queries(client, url)
    for last_day in (days(-20), days(-10), days(-5)):
        add_audit(quality_manager, recent, "special", last_day)
    many, sql = count_queries(client, url)

    assert many == few, "\n".join(sql)


# -- who may do what -------------------------------------------------------------------------
READERS = ["quality_manager", "top_manager", "process_owner", "internal_auditor"]
EXPECTED = {  # (bodies, cycles, external audits)
    "quality_manager": (200, 200, 200),
    "top_manager": (200, 200, 200),
    "process_owner": (200, 200, 200),
    "internal_auditor": (200, 200, 200),
    "employee": (403, 403, 403),
    "external_auditor": (403, 200, 200),
    "nobody": (403, 403, 403),
}


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_each_role_reads_the_certification_registers_it_may(
    request, client_for, persona, body, cycle, audit
):
    client = client_for(persona)
    name = request.node.callspec.params["persona"]

    seen = {
        str(page): client.get(page).status_code
        for record in (body, cycle, audit)
        for page in (list_of(type(record)), page_of(record))
    }

    bodies, cycles, audits = EXPECTED[name]
    assert seen == {
        list_of(CertificationBody): bodies,
        page_of(body): bodies,
        list_of(CertificationCycle): cycles,
        page_of(cycle): cycles,
        list_of(ExternalAudit): audits,
        page_of(audit): audits,
    }


def test_every_persona_is_covered_by_the_role_table():
    assert set(EXPECTED) == set(PERSONAS)


def test_someone_signed_out_is_sent_to_sign_in(client, body, cycle, audit):
    for page in (list_of(CertificationBody), list_of(CertificationCycle), page_of(audit)):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith("/login/"), page


def cycle_form(body, **changes) -> dict:
    return form_data(CertificationCycleRegister, **{**cycle_json(body), **changes})


def cycle_json(body, **changes) -> dict:
    return {
        "title": "ISO 9001 initial certification",
        "certification_body": body.pk,
        "scope": "Design and manufacture of precision machined parts.",
        "personnel": 140,
        "stage_1_date": "2024-01-15",
        "stage_2_date": "2024-02-28",
        **changes,
    }


def test_the_quality_manager_plans_a_cycle_through_the_form(client_for, quality_manager, body):
    response = client_for(quality_manager).post(
        reverse(CertificationCycleRegister.url_name("create")), cycle_form(body)
    )

    cycle = CertificationCycle.objects.get()
    assert response.status_code == 302
    assert response["Location"] == page_of(cycle)
    assert (cycle.personnel, cycle.certification_body) == (140, body)


def test_the_form_names_the_field_in_error(client_for, quality_manager, body):
    response = client_for(quality_manager).post(
        reverse(CertificationCycleRegister.url_name("create")),
        cycle_form(body, stage_1_date="2024-03-01"),
    )

    assert response.status_code == 422
    assert "Stage 2 comes after stage 1." in page_text(response)
    assert not CertificationCycle.objects.exists()


def test_the_quality_manager_plans_a_cycle_through_the_api(api_for, quality_manager, body):
    response = api_for(quality_manager).post(API_CYCLES, cycle_json(body))

    assert response.status_code == 201, response.content
    made = response.json()
    assert made["reference"].startswith("CC")
    assert made["status"] == "planned"
    assert CertificationCycle.objects.get().personnel == 140


@pytest.mark.parametrize("persona", READERS[1:], indirect=True)
def test_readers_cannot_plan_a_cycle_through_the_form(client_for, persona, body):
    response = client_for(persona).post(
        reverse(CertificationCycleRegister.url_name("create")), cycle_form(body)
    )

    assert response.status_code == 403
    assert not CertificationCycle.objects.exists()


@pytest.mark.parametrize("persona", READERS[1:], indirect=True)
def test_readers_cannot_plan_a_cycle_through_the_api(api_for, persona, body):
    client = api_for(persona)

    assert client.get(API_CYCLES).status_code == 200
    response = client.post(API_CYCLES, cycle_json(body))

    assert response.status_code == 403
    assert not CertificationCycle.objects.exists()


@pytest.mark.parametrize("persona", ["employee", "external_auditor"], indirect=True)
def test_those_outside_management_cannot_plan_a_cycle_through_the_api(api_for, persona, body):
    response = api_for(persona).post(API_CYCLES, cycle_json(body))

    assert response.status_code == 403
    assert not CertificationCycle.objects.exists()


# -- query counts ------------------------------------------------------------------------------
def test_the_cycle_list_runs_as_many_queries_for_12_cycles_as_for_2(
    client_for, quality_manager, body
):
    def add_certified_cycles(count):
        for i in range(count):
            cycle = plan_cycle(quality_manager, body, title=f"Cycle {i}")
            certify(quality_manager, cycle, D(2024, 3, 10))
            held_audit(quality_manager, cycle, "surveillance", D(2025, 2, 20))

    client = client_for(quality_manager)
    url = list_of(CertificationCycle)
    add_certified_cycles(2)
    few, _ = count_queries(client, url)
    add_certified_cycles(10)
    many, sql = count_queries(client, url)

    assert CertificationCycle.objects.count() == 12
    assert ExternalAudit.objects.count() == 36  # stage 1, stage 2 and a surveillance each
    assert many == few, f"{few} queries with 2 cycles, {many} with 12:\n" + "\n".join(sql)


# -- the demo data -------------------------------------------------------------------------------
def test_the_demo_has_a_registrar_and_a_cycle_between_stage_1_and_stage_2(db):
    from norma.core.seeding import seed_demo

    seed_demo()  # about 6 s: once, in this test only

    [registrar] = CertificationBody.objects.all()
    assert registrar.accreditation_warnings() == []
    [cycle] = CertificationCycle.objects.all()
    assert cycle.status == CertificationCycle.Status.PLANNED
    assert cycle.certification_body == registrar
    audits = {audit.kind: audit.status for audit in cycle.external_audits.all()}
    assert audits == {"stage_1": "held", "stage_2": "planned"}
