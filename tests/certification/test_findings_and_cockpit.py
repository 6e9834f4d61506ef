"""The registrar's findings and the road to the certificate: a finding recorded (or imported)
opens its nonconformity by the registrar's date, the certification decision waits for the
stage 2 majors to be verified in time, the cycle page flags the certification rules a cycle
breaks (ISO/IEC 17021-1), and the cockpit reads from the data whether the organisation is
ready for stage 1 and stage 2 and how far along the roadmap it is.

Unless a test says otherwise, Quinn Quality (the quality manager) does the work, the registrar
gives 21 days to answer a major and 60 to answer a minor, and stage 2 ended on 28 February
2024, long enough ago for every date of it to be in the past.
"""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from norma.certification import cockpit, flags, workflow
from norma.certification.findings import RecordFinding, RecordVerification
from norma.certification.models import (
    CertificationBody,
    CertificationCycle,
    ExternalAudit,
    ExternalFinding,
)
from norma.certification.registers import (
    CertificationBodyRegister,
    CertificationCycleRegister,
    ExternalFindingRegister,
)
from norma.core.actions import ActionRefused, CreateRecord, InvalidInput, NotPermitted
from norma.dataio.models import ImportBatch
from norma.improvement.actions import ReportNonconformity
from norma.improvement.models import Nonconformity
from norma.planning.models import Kpi, Measurement
from tests.conftest import PERSONAS
from tests.dataio.test_import_kit import commit, csv_bytes, latest_batch, upload
from tests.factories import PersonFactory, make_planning_record
from tests.kit import form_data

D = datetime.date
COCKPIT = "/certification/"
STAGE_2_END = D(2024, 2, 28)
IMPORT_URL = "/data/import/certification/externalfinding/"
IMPORT_HEADER = ["Title", "External audit", "Grade", "Clause", "Statement"]

make_kpi = make_planning_record(
    Kpi,
    {
        "title": "On-time delivery",
        "unit": "%",
        "frequency": "monthly",
        "direction": "higher",
        "target": Decimal("95"),
    },
)


# -- small helpers ------------------------------------------------------------------------
def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def page_text(response) -> str:
    """What a reader sees: the page without its tags, entities decoded, spaces collapsed."""
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(text))


def refused(make, kind=ActionRefused) -> ActionRefused:
    """Run `make()`, which must be refused, and return the refusal."""
    with pytest.raises(kind) as caught:
        make()
    return caught.value


def long_date(day: datetime.date) -> str:
    return f"{day:%-d %B %Y}"


def add_body(actor, **fields) -> CertificationBody:
    data = {
        "title": "Pennine Assurance Ltd",
        "accreditation_body": "UKAS",
        "accreditation_number": "0123",
        "major_response_days": 21,
        "minor_response_days": 60,
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
        "stage_1_date": STAGE_2_END - datetime.timedelta(days=44),
        "stage_2_date": STAGE_2_END,
        "owner": actor,
        **fields,
    }
    return CreateRecord(actor, CertificationCycle, data=data).execute()


def add_audit(actor, cycle, kind, last_day, **fields) -> ExternalAudit:
    data = {
        "title": f"{kind} audit",
        "cycle": fresh(cycle),
        "kind": kind,
        "start_date": last_day - datetime.timedelta(days=1),
        "end_date": last_day,
        "owner": actor,
        **fields,
    }
    return CreateRecord(actor, ExternalAudit, data=data).execute()


def held_audit(actor, cycle, kind, last_day) -> ExternalAudit:
    """The audit held; a stage 2 comes after a stage 1, held three weeks before it."""
    if kind == "stage_2" and not fresh(cycle).external_audits.filter(kind="stage_1").exists():
        first = add_audit(actor, cycle, "stage_1", last_day - datetime.timedelta(days=21))
        workflow.HoldAudit(actor, fresh(first)).execute()
    audit = add_audit(actor, cycle, kind, last_day)
    return workflow.HoldAudit(actor, fresh(audit)).execute()


def record_finding(actor, audit, grade, **fields) -> ExternalFinding:
    data = {
        "title": f"A {grade} finding",
        "external_audit": fresh(audit),
        "grade": grade,
        "clause_ref": "7.2",
        "statement": "Competence of two CNC operators is not evidenced.",
        "owner": actor,
        **fields,
    }
    return RecordFinding(actor, data=data).execute()


def verify(actor, finding, verified_on) -> ExternalFinding:
    data = {"verified_on": verified_on.isoformat()}
    return RecordVerification(actor, fresh(finding), data=data).execute()


def decide(actor, cycle, decision, number="Q-2024-0417") -> CertificationCycle:
    data = {"decision_date": decision.isoformat(), "certificate_number": number}
    return workflow.RecordCertificationDecision(actor, fresh(cycle), data=data).execute()


def cycle_page(cycle) -> str:
    return reverse(CertificationCycleRegister.url_name("detail"), args=[cycle.reference])


def flag_texts(cycle, today_is) -> list[str]:
    """The flags of the cycle as its page reads them, on the given day."""
    cycle = fresh(cycle)
    audits = list(cycle.external_audits.all())
    findings = list(
        ExternalFinding.objects.filter(external_audit__cycle=cycle).select_related("external_audit")
    )
    return [f.text for f in flags.cycle_flags(cycle, audits, findings, today_is)]


def report_problem(actor, severity="major", source="process", **fields) -> Nonconformity:
    data = {
        "title": "Burrs on the housing bore",
        "description": "Found at final inspection.",
        "source": source,
        "severity": severity,
        **fields,
    }
    return ReportNonconformity(actor, data=data).execute()


def add_results(kpi, ages_in_days):
    """Results of the KPI taken the given number of days ago (setup: results are never edited)."""
    now = timezone.now()
    Measurement.objects.bulk_create(
        Measurement(kpi=kpi, measured_at=now - datetime.timedelta(days=age), value=Decimal("96"))
        for age in ages_in_days
    )


# -- fixtures ------------------------------------------------------------------------------
@pytest.fixture
def body(quality_manager):
    return add_body(quality_manager)


@pytest.fixture
def cycle(quality_manager, body):
    return plan_cycle(quality_manager, body)


@pytest.fixture
def stage_2(quality_manager, cycle):
    """Stage 2, held and ending on 28 February 2024."""
    return held_audit(quality_manager, cycle, "stage_2", STAGE_2_END)


@pytest.fixture
def major(quality_manager, stage_2):
    return record_finding(quality_manager, stage_2, "major")


# -- recording a finding -------------------------------------------------------------------
def test_a_major_finding_opens_a_major_nonconformity_due_when_the_registrar_wants_the_answer(
    quality_manager, major
):
    finding = fresh(major)
    nc = finding.nonconformity

    assert finding.status == ExternalFinding.Status.OPEN
    assert finding.response_due == STAGE_2_END + datetime.timedelta(days=21)
    assert finding.due_date == finding.response_due
    assert (nc.source, nc.severity) == ("external_audit", Nonconformity.Severity.MAJOR)
    assert nc.kind == Nonconformity.Kind.SYSTEM
    assert nc.origin == finding
    assert nc.status == Nonconformity.Status.REPORTED


def test_a_minor_finding_opens_a_minor_nonconformity_with_the_minor_answer_time(
    quality_manager, stage_2
):
    finding = fresh(record_finding(quality_manager, stage_2, "minor"))

    assert finding.response_due == STAGE_2_END + datetime.timedelta(days=60)
    assert finding.nonconformity.severity == Nonconformity.Severity.MINOR
    assert finding.nonconformity.origin == finding


def test_a_major_and_a_minor_open_one_nonconformity_each(quality_manager, stage_2):
    major = record_finding(quality_manager, stage_2, "major")
    minor = record_finding(quality_manager, stage_2, "minor")

    by_origin = {nc.origin_id: nc.severity for nc in Nonconformity.objects.all()}
    assert by_origin == {str(major.pk): "major", str(minor.pk): "minor"}


def test_the_nonconformity_says_what_the_registrar_found_and_by_when(quality_manager, major):
    nc = fresh(major).nonconformity

    assert major.external_audit.reference in nc.description
    assert "against 7.2" in nc.description
    assert long_date(STAGE_2_END + datetime.timedelta(days=21)) in nc.description
    assert "Competence of two CNC operators" in nc.description
    assert nc.due_date == today()  # the registrar's date has passed: the work is due now


def test_an_answer_date_the_registrar_gives_is_kept(quality_manager, stage_2):
    finding = record_finding(quality_manager, stage_2, "major", response_due=D(2024, 3, 10))

    assert fresh(finding).response_due == D(2024, 3, 10)


@pytest.mark.parametrize("grade", ["opportunity", "observation"])
def test_an_opportunity_or_an_observation_is_noted_and_opens_no_nonconformity(
    quality_manager, stage_2, grade
):
    finding = fresh(record_finding(quality_manager, stage_2, grade))

    assert finding.status == ExternalFinding.Status.NOTED
    assert finding.nonconformity is None
    assert finding.response_due is None
    assert finding.due_date is None
    assert not Nonconformity.objects.exists()


def test_a_finding_on_an_audit_not_held_yet_is_refused_naming_the_audit(quality_manager, cycle):
    planned = add_audit(quality_manager, cycle, "stage_2", STAGE_2_END)

    error = refused(lambda: record_finding(quality_manager, planned, "major"), InvalidInput)

    assert "external_audit" in error.errors
    assert f"{planned.reference} is not recorded as held yet." in error.errors["external_audit"]
    assert not ExternalFinding.objects.exists()
    assert not Nonconformity.objects.exists()


def test_someone_who_may_not_open_a_nonconformity_cannot_record_a_major(stage_2):
    clerk = PersonFactory(full_name="Carl Clerk")
    clerk.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="certification", codename="add_externalfinding"
        )
    )

    error = refused(lambda: record_finding(clerk, stage_2, "major"), NotPermitted)

    assert "open a nonconformity" in error.message
    assert not ExternalFinding.objects.exists()
    assert not Nonconformity.objects.exists()


def test_someone_who_may_not_open_a_nonconformity_may_still_record_an_observation(stage_2):
    clerk = PersonFactory(full_name="Carl Clerk")
    clerk.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="certification", codename="add_externalfinding"
        )
    )

    finding = record_finding(clerk, stage_2, "observation")

    assert fresh(finding).status == ExternalFinding.Status.NOTED


@pytest.mark.parametrize("persona", ["top_manager", "external_auditor"], indirect=True)
def test_readers_cannot_record_a_finding(persona, stage_2):
    refused(lambda: record_finding(persona, stage_2, "minor"), NotPermitted)

    assert not ExternalFinding.objects.exists()


def test_the_findings_form_records_a_finding_and_opens_its_nonconformity(
    client_for, quality_manager, stage_2
):
    response = client_for(quality_manager).post(
        reverse(ExternalFindingRegister.url_name("create")),
        {
            "title": "Calibration overdue",
            "external_audit": stage_2.pk,
            "grade": "major",
            "clause_ref": "7.1.5",
            "statement": "Two gauges were past their calibration date.",
            "response_due": "",
            "owner": quality_manager.pk,
            "site": "",
        },
    )

    finding = ExternalFinding.objects.get()
    assert response.status_code == 302
    assert finding.nonconformity.severity == "major"
    assert finding.response_due == STAGE_2_END + datetime.timedelta(days=21)


def test_the_cycle_page_lists_the_findings_with_their_nonconformities(
    client_for, quality_manager, cycle, major
):
    nc = fresh(major).nonconformity

    text = page_text(client_for(quality_manager).get(cycle_page(cycle)))

    assert f"{major.reference} A major finding (Stage 2) Major nonconformity 7.2" in text
    assert f"{nc.reference} Reported" in text
    assert "Awaiting the registrar's verification" in text


# -- the registrar's verification ----------------------------------------------------------
def test_the_registrars_verification_closes_the_finding_and_its_due_date(quality_manager, major):
    verify(quality_manager, major, D(2024, 3, 20))

    finding = fresh(major)
    assert finding.status == ExternalFinding.Status.VERIFIED
    assert finding.verified_on == D(2024, 3, 20)
    assert finding.due_date is None


@pytest.mark.parametrize("day", [STAGE_2_END - datetime.timedelta(days=1), None])
def test_a_verification_before_the_audit_or_in_the_future_is_refused(quality_manager, major, day):
    day = day or days(1)

    error = refused(lambda: verify(quality_manager, major, day), InvalidInput)

    assert "verified_on" in error.errors
    assert fresh(major).status == ExternalFinding.Status.OPEN


def test_a_noted_observation_is_not_verified(quality_manager, stage_2):
    observation = record_finding(quality_manager, stage_2, "observation")

    refused(lambda: verify(quality_manager, observation, D(2024, 3, 20)))


# -- importing findings --------------------------------------------------------------------
def test_imported_findings_open_their_nonconformities_too(
    client_for, quality_manager, stage_2, django_capture_on_commit_callbacks
):
    client = client_for(quality_manager)
    rows = [
        IMPORT_HEADER,
        ["Training records missing", stage_2.reference, "major", "7.2", "No records."],
        ["Supplier list out of date", stage_2.reference, "Minor nonconformity", "8.4", "Old."],
        ["Nice dashboards", stage_2.reference, "opportunity", "", "Could share them."],
    ]
    upload(client, django_capture_on_commit_callbacks, csv_bytes(rows), "findings.csv", IMPORT_URL)
    batch = latest_batch()
    assert (batch.state, batch.total_rows, batch.rejected_count) == ("checked", 3, 0), (
        batch.problems,
        batch.rejected_sample,
    )
    assert not ExternalFinding.objects.exists()  # the dry run writes nothing

    commit(client, django_capture_on_commit_callbacks, batch)

    batch.refresh_from_db()
    assert (batch.state, batch.imported_count) == (ImportBatch.State.IMPORTED, 3)
    findings = {f.title: f for f in ExternalFinding.objects.select_related("nonconformity")}
    major = findings["Training records missing"]
    minor = findings["Supplier list out of date"]
    noted = findings["Nice dashboards"]
    assert (major.status, major.response_due) == ("open", STAGE_2_END + datetime.timedelta(21))
    assert (minor.status, minor.response_due) == ("open", STAGE_2_END + datetime.timedelta(60))
    assert (major.nonconformity.severity, major.nonconformity.source) == ("major", "external_audit")
    assert minor.nonconformity.severity == "minor"
    assert major.nonconformity.origin == major
    assert (noted.status, noted.nonconformity) == ("noted", None)
    assert Nonconformity.objects.count() == 2


def test_an_imported_finding_on_an_audit_not_held_is_rejected_with_its_row(
    client_for, quality_manager, cycle, django_capture_on_commit_callbacks
):
    planned = add_audit(quality_manager, cycle, "stage_2", STAGE_2_END)
    rows = [IMPORT_HEADER, ["Training records missing", planned.reference, "major", "7.2", "No."]]

    upload(
        client_for(quality_manager),
        django_capture_on_commit_callbacks,
        csv_bytes(rows),
        "findings.csv",
        IMPORT_URL,
    )

    batch = latest_batch()
    assert batch.rejected_count == 1
    [row] = batch.rejected_sample
    assert row["row"] == 2
    assert "is not recorded as held yet" in str(row["errors"])


def test_an_imported_finding_is_due_when_the_registrar_wants_the_answer(
    client_for, quality_manager, stage_2, django_capture_on_commit_callbacks
):
    client = client_for(quality_manager)
    rows = [IMPORT_HEADER, ["Training records missing", stage_2.reference, "major", "7.2", "No."]]
    upload(client, django_capture_on_commit_callbacks, csv_bytes(rows), "findings.csv", IMPORT_URL)
    commit(client, django_capture_on_commit_callbacks, latest_batch())

    finding = ExternalFinding.objects.get()
    assert finding.due_date == finding.response_due


# -- the certification decision --------------------------------------------------------------
def test_the_decision_is_refused_while_a_stage_2_major_is_not_verified(
    quality_manager, cycle, major
):
    error = refused(lambda: decide(quality_manager, cycle, D(2024, 3, 25)))

    assert f"Major nonconformity {major.reference} is not verified" in error.message
    assert fresh(cycle).status == CertificationCycle.Status.PLANNED


def test_the_decision_is_allowed_once_the_stage_2_major_is_verified(quality_manager, cycle, major):
    verify(quality_manager, major, D(2024, 3, 20))

    decide(quality_manager, cycle, D(2024, 3, 25))

    assert fresh(cycle).status == CertificationCycle.Status.CERTIFIED


def test_a_minor_from_stage_2_does_not_hold_up_the_decision(quality_manager, cycle, stage_2):
    record_finding(quality_manager, stage_2, "minor")

    decide(quality_manager, cycle, D(2024, 3, 25))

    assert fresh(cycle).status == CertificationCycle.Status.CERTIFIED


def test_a_stage_2_major_verified_more_than_six_months_on_means_stage_2_again(
    quality_manager, cycle, major
):
    verify(quality_manager, major, D(2024, 8, 29))  # the deadline was 28 August 2024

    error = refused(lambda: decide(quality_manager, cycle, D(2024, 9, 2)))

    assert f"Major nonconformity {major.reference} was verified more than six months" in (
        error.message
    )
    assert "stage 2 must be repeated" in error.message
    assert fresh(cycle).status == CertificationCycle.Status.PLANNED


def test_a_stage_2_major_verified_on_the_six_month_day_is_in_time(quality_manager, cycle, major):
    verify(quality_manager, major, D(2024, 8, 28))

    decide(quality_manager, cycle, D(2024, 9, 2))

    assert fresh(cycle).status == CertificationCycle.Status.CERTIFIED


def test_a_decision_before_the_last_held_audit_day_is_refused_naming_the_date(
    quality_manager, cycle, stage_2
):
    held_audit(quality_manager, cycle, "special", D(2024, 3, 15))

    error = refused(lambda: decide(quality_manager, cycle, D(2024, 3, 10)), InvalidInput)

    assert error.errors == {
        "decision_date": ["The decision follows the last audit day (2024-03-15)."]
    }
    assert fresh(cycle).decision_date is None


# -- flags on the cycle ---------------------------------------------------------------------
def test_an_unverified_stage_2_major_is_a_warning_naming_the_six_month_deadline(
    quality_manager, cycle, major
):
    [text] = flag_texts(cycle, D(2024, 5, 1))

    assert f"Major nonconformity {major.reference} from stage 2 must be verified" in text
    assert "by 28 August 2024 or stage 2 is repeated" in text


def test_after_the_six_months_the_flag_says_stage_2_must_be_repeated(quality_manager, cycle, major):
    assert len(flag_texts(cycle, D(2024, 8, 28))) == 1
    assert "must be repeated" not in flag_texts(cycle, D(2024, 8, 28))[0]

    [text] = flag_texts(cycle, D(2024, 8, 29))

    assert "was not verified within six months (28 August 2024)" in text
    assert "stage 2 must be repeated before the certification decision" in text


def test_a_verified_stage_2_major_raises_no_flag(quality_manager, cycle, major):
    verify(quality_manager, major, D(2024, 3, 20))

    assert flag_texts(cycle, D(2024, 9, 1)) == []


def test_the_cycle_page_warns_of_the_stage_2_deadline(client_for, quality_manager, body):
    cycle = plan_cycle(quality_manager, body, stage_1_date=days(-40), stage_2_date=days(-10))
    audit = held_audit(quality_manager, cycle, "stage_2", days(-10))
    finding = record_finding(quality_manager, audit, "major")

    text = page_text(client_for(quality_manager).get(cycle_page(cycle)))

    deadline = flags.rules.add_months(days(-10), 6)
    assert f"Major nonconformity {finding.reference} from stage 2 must be verified" in text
    assert f"by {long_date(deadline)} or stage 2 is repeated" in text


def test_the_cycle_page_says_stage_2_must_be_repeated_past_the_deadline(
    client_for, quality_manager, cycle, major
):
    text = page_text(client_for(quality_manager).get(cycle_page(cycle)))

    assert "stage 2 must be repeated before the certification decision" in text
    assert major.reference in text


def test_a_year_without_surveillance_is_flagged(quality_manager, cycle, stage_2):
    decide(quality_manager, cycle, D(2024, 3, 10))  # expires 9 March 2027

    assert flag_texts(cycle, D(2025, 12, 31)) == []
    assert flag_texts(cycle, D(2026, 6, 1)) == ["No surveillance audit was held in 2025."]
    assert flag_texts(cycle, D(2027, 1, 2)) == [
        "No surveillance audit was held in 2025.",
        "No surveillance audit was held in 2026.",
    ]


def test_a_surveillance_held_in_the_year_keeps_the_flag_away(quality_manager, cycle, stage_2):
    decide(quality_manager, cycle, D(2024, 3, 10))
    held_audit(quality_manager, cycle, "surveillance", D(2025, 2, 20))

    assert flag_texts(cycle, D(2026, 6, 1)) == []


def test_the_cycle_page_names_the_year_without_surveillance(client_for, quality_manager, body):
    last_year = today().year - 1
    decision = D(last_year - 1, 3, 10)
    cycle = plan_cycle(
        quality_manager,
        body,
        stage_1_date=decision - datetime.timedelta(days=60),
        stage_2_date=decision - datetime.timedelta(days=10),
    )
    held_audit(quality_manager, cycle, "stage_2", decision - datetime.timedelta(days=10))
    decide(quality_manager, cycle, decision)

    text = page_text(client_for(quality_manager).get(cycle_page(cycle)))

    assert f"No surveillance audit was held in {last_year}." in text


def test_an_unverified_recertification_major_is_flagged_with_the_expiry(
    quality_manager, cycle, stage_2
):
    decide(quality_manager, cycle, D(2024, 3, 10))  # expires 9 March 2027
    held_audit(quality_manager, cycle, "surveillance", D(2025, 2, 20))
    held_audit(quality_manager, cycle, "surveillance", D(2026, 2, 20))
    recertification = held_audit(quality_manager, cycle, "recertification", D(2026, 11, 20))
    finding = record_finding(quality_manager, recertification, "major")

    [before] = flag_texts(cycle, D(2026, 12, 1))
    [after] = flag_texts(cycle, D(2027, 3, 10))

    assert f"Major nonconformity {finding.reference} from the recertification audit" in before
    assert "must be verified before the certificate expires (9 March 2027)" in before
    assert "was not verified before the certificate expires (9 March 2027)" in after


def test_an_unverified_recertification_major_in_a_renewal_is_flagged(
    quality_manager, body, cycle, stage_2
):
    decide(quality_manager, cycle, D(2024, 3, 10))  # expires 9 March 2027
    renewal = plan_cycle(
        quality_manager,
        body,
        title="Recertification",
        previous_cycle=fresh(cycle),
        stage_1_date=None,
        stage_2_date=None,
    )
    recertification = held_audit(quality_manager, renewal, "recertification", D(2026, 11, 20))
    record_finding(quality_manager, recertification, "major")

    [text] = flag_texts(renewal, D(2026, 12, 1))

    assert "9 March 2027" in text


# -- the cockpit: readiness ------------------------------------------------------------------
def prerequisites(stage) -> dict[str, bool]:
    return {p.title: p.met for p in stage.prerequisites}


def test_from_an_empty_database_neither_stage_is_ready(quality_manager):
    stage_1, stage_2 = cockpit.stage_readiness(quality_manager)

    assert not stage_1.ready and not stage_2.ready
    assert prerequisites(stage_1) == {
        "Mandatory documented information in force": False,
        "An approved internal audit programme": False,
        "A management review planned or held": False,
    }
    assert prerequisites(stage_2) == {
        "Mandatory documented information in force": False,
        "A full internal audit reported": False,
        "A management review held": False,
        "KPI and objective results over 3 months": False,
        "No open major nonconformity": True,
    }


def test_each_unmet_prerequisite_is_a_gap_with_its_link(quality_manager):
    stage_1, _ = cockpit.stage_readiness(quality_manager)

    texts = {gap.text: gap.url for gap in stage_1.gaps}
    assert texts["A management review planned or held: No management review is planned."] == (
        reverse("reviews:managementreview_list")
    )
    assert texts[
        "An approved internal audit programme: No approved audit programme covers today."
    ] == reverse("audits:auditprogramme_list")


def test_stage_1_looks_only_at_clauses_4_5_6_and_7_5(quality_manager):
    stage_1, stage_2 = cockpit.stage_readiness(quality_manager)

    clause_gaps = [g for g in stage_1.gaps if g.url.startswith("/standards/")]
    assert clause_gaps
    for gap in clause_gaps:
        ref = gap.text.split()[0]
        assert ref.split(".")[0] in ("4", "5", "6") or ref.startswith("7.5"), ref
    assert any(g.text.startswith(("8.", "9.", "10.")) for g in stage_2.gaps)


def test_the_cockpit_lists_the_gaps_with_links_from_an_empty_database(client_for, quality_manager):
    response = client_for(quality_manager).get(reverse("certification:cockpit"))
    content = response.content.decode()
    text = page_text(response)

    assert response.status_code == 200
    assert "Ready for stage 1?" in text and "Ready for stage 2?" in text
    assert text.count("Not yet:") == 2
    assert "Ready. Nothing the checks know of" not in text
    stage_1, stage_2 = cockpit.stage_readiness(quality_manager)
    assert f"Not yet: {len(stage_1.gaps)} gaps to close." in text
    assert f"Not yet: {len(stage_2.gaps)} gaps to close." in text
    blocking = re.findall(r'<li><a href="([^"]+)">', content.split("Blocking gaps")[1])
    assert "/reviews/management-reviews/" in blocking
    assert any(url.startswith("/standards/iso9001-2015/") for url in blocking)


def test_planning_a_management_review_meets_that_stage_1_prerequisite(quality_manager, top_manager):
    from tests.reviews.helpers import plan_review

    plan_review(quality_manager, top_manager)

    stage_1, stage_2 = cockpit.stage_readiness(quality_manager)
    assert prerequisites(stage_1)["A management review planned or held"] is True
    assert prerequisites(stage_2)["A management review held"] is False  # planned is not held
    assert not any(g.text.startswith("A management review planned") for g in stage_1.gaps)


def test_an_open_major_nonconformity_of_our_own_blocks_stage_2(quality_manager):
    nc = report_problem(quality_manager, severity="major", source="process")

    prerequisite = cockpit.no_open_major_nonconformity()

    assert not prerequisite.met
    assert prerequisite.sentence == f"Still open: {nc.reference}."
    _, stage_2 = cockpit.stage_readiness(quality_manager)
    assert f"No open major nonconformity: Still open: {nc.reference}." in [
        g.text for g in stage_2.gaps
    ]


def test_an_open_minor_nonconformity_does_not_block_stage_2(quality_manager):
    report_problem(quality_manager, severity="minor")

    assert cockpit.no_open_major_nonconformity().met


def test_an_open_major_from_the_registrar_does_not_block_stage_2(quality_manager, major):
    assert fresh(major).nonconformity.is_open

    assert cockpit.no_open_major_nonconformity().met


def test_kpis_measured_over_four_months_cover_a_cycle(quality_manager):
    kpi = make_kpi(quality_manager)
    add_results(kpi, [0, 30, 60, 90, 120])

    result = cockpit.results_cover_a_cycle()

    assert result.met
    assert result.sentence.startswith("All 1 KPIs have results since")


def test_kpis_measured_for_one_month_do_not_cover_a_cycle(quality_manager):
    kpi = make_kpi(quality_manager)
    add_results(kpi, [0, 7, 14, 21, 28])

    result = cockpit.results_cover_a_cycle()

    assert not result.met
    assert "1 of 1 KPIs have no results from" in result.sentence
    assert kpi.reference in result.sentence


def test_one_short_kpi_is_named_among_those_that_cover_a_cycle(quality_manager):
    long_run = make_kpi(quality_manager, title="Scrap rate")
    add_results(long_run, [0, 40, 80, 120])
    short = make_kpi(quality_manager, title="First-pass yield")
    add_results(short, [0, 14])

    result = cockpit.results_cover_a_cycle()

    assert not result.met
    assert "1 of 2 KPIs" in result.sentence
    assert short.reference in result.sentence
    assert long_run.reference not in result.sentence


def test_a_kpi_no_longer_measured_recently_does_not_cover_a_cycle(quality_manager):
    kpi = make_kpi(quality_manager)
    add_results(kpi, [120, 150, 180])  # nothing in the last three months

    assert not cockpit.results_cover_a_cycle().met


def test_a_kpi_without_results_does_not_cover_a_cycle(quality_manager):
    kpi = make_kpi(quality_manager)

    result = cockpit.results_cover_a_cycle()

    assert not result.met
    assert kpi.reference in result.sentence


def test_the_months_of_results_asked_for_come_from_the_settings(quality_manager, settings):
    settings.NORMA_CERTIFICATION_RESULTS_MONTHS = 1
    kpi = make_kpi(quality_manager)
    add_results(kpi, [0, 7, 14, 21, 35])

    result = cockpit.results_cover_a_cycle()

    assert result.met
    assert result.title == "KPI and objective results over 1 months"


def test_results_over_a_cycle_turn_the_stage_2_prerequisite_and_the_milestone_done(
    quality_manager,
):
    add_results(make_kpi(quality_manager), [0, 30, 60, 90, 120])

    _, stage_2 = cockpit.stage_readiness(quality_manager)
    roadmap = {m.title: m.state for m in cockpit.roadmap(quality_manager)}

    assert prerequisites(stage_2)["KPI and objective results over 3 months"] is True
    assert roadmap["Run a full production cycle with records"] == cockpit.DONE


# -- the cockpit: the roadmap ----------------------------------------------------------------
MILESTONES = [
    "Decide to certify and appoint a QMS lead",
    "Context, scope and processes",
    "Quality policy and objectives",
    "Documented information",
    "Train internal auditors and staff",
    "Run a full production cycle with records",
    "Internal audit of the whole scope",
    "Management review",
    "Choose a registrar",
    "Stage 1 audit",
    "Stage 2 audit",
    "Certificate",
]


def test_the_roadmap_has_twelve_milestones_in_order(quality_manager):
    steps = cockpit.roadmap(quality_manager)

    assert [step.title for step in steps] == MILESTONES


def test_the_quality_manager_role_held_is_the_first_milestone_done(quality_manager):
    [first, *_] = cockpit.roadmap(quality_manager)

    assert first.state == cockpit.DONE
    assert first.sentence == "Quinn Quality leads the QMS."


def test_without_a_quality_manager_the_first_milestone_is_not_started(top_manager):
    [first, *_] = cockpit.roadmap(top_manager)

    assert first.state == cockpit.NOT_STARTED


def registrar_milestone(person) -> cockpit.Milestone:
    return {m.title: m for m in cockpit.roadmap(person)}["Choose a registrar"]


def test_choosing_an_active_registrar_turns_its_milestone_done(quality_manager):
    before = registrar_milestone(quality_manager)
    assert (before.state, before.sentence) == (cockpit.NOT_STARTED, "No registrar yet.")

    add_body(quality_manager)

    after = registrar_milestone(quality_manager)
    assert (after.state, after.sentence) == (cockpit.DONE, "Pennine Assurance Ltd (UKAS).")
    assert after.url == reverse("certification:certificationbody_list")


def test_a_registrar_added_through_its_form_turns_the_milestone_done(client_for, quality_manager):
    register = CertificationBodyRegister
    response = client_for(quality_manager).post(
        reverse(register.url_name("create")),
        form_data(
            register,
            title="Pennine Assurance Ltd",
            accreditation_body="UKAS",
            owner=quality_manager.pk,
        ),
    )

    assert "This field is set by Norma" not in page_text(response)
    assert response.status_code == 302
    assert registrar_milestone(quality_manager).state == cockpit.DONE


def test_a_registrar_marked_no_longer_used_on_its_form_no_longer_counts(
    client_for, quality_manager, body
):
    register = CertificationBodyRegister
    response = client_for(quality_manager).post(
        reverse(register.url_name("detail"), args=[body.reference]) + "do/stop-using/",
        {"version": fresh(body).version, "reason": "Moved to another registrar."},
    )

    assert response.status_code == 302
    assert fresh(body).status == CertificationBody.Status.FORMER
    assert registrar_milestone(quality_manager).state == cockpit.NOT_STARTED


def test_the_stage_audits_go_from_not_planned_to_planned_to_held(quality_manager, cycle):
    def state(title):
        return {m.title: m.state for m in cockpit.roadmap(quality_manager)}[title]

    assert state("Stage 1 audit") == cockpit.NOT_STARTED
    first = add_audit(quality_manager, cycle, "stage_1", D(2024, 1, 15))
    assert state("Stage 1 audit") == cockpit.STARTED
    workflow.HoldAudit(quality_manager, fresh(first)).execute()
    held_audit(quality_manager, cycle, "stage_2", STAGE_2_END)
    assert state("Stage 2 audit") == cockpit.DONE
    assert state("Certificate") == cockpit.NOT_STARTED

    decide(quality_manager, cycle, D(2024, 3, 10))

    assert state("Certificate") == cockpit.DONE


def test_the_cockpit_page_shows_the_roadmap_and_how_much_is_done(client_for, quality_manager):
    add_body(quality_manager)

    response = client_for(quality_manager).get(COCKPIT)
    text = page_text(response)

    done = sum(m.state == cockpit.DONE for m in cockpit.roadmap(quality_manager))
    assert done >= 2  # the QMS lead and the registrar
    assert f"{done} of 12 milestones done" in text
    for title in MILESTONES:
        assert title in text
    assert "done Choose a registrar Pennine Assurance Ltd (UKAS)." in text


def test_the_cockpit_offers_to_plan_a_cycle_until_there_is_one(client_for, quality_manager, body):
    client = client_for(quality_manager)
    create = reverse("certification:certificationcycle_create")

    assert create in client.get(COCKPIT).content.decode()
    cycle = plan_cycle(quality_manager, body)

    content = client.get(COCKPIT).content.decode()
    assert cycle_page(cycle) in content
    assert "Working towards certification" in page_text(client.get(COCKPIT))


# -- the cockpit: who may open it ------------------------------------------------------------
COCKPIT_STATUS = {
    "quality_manager": 200,
    "top_manager": 200,
    "process_owner": 200,
    "internal_auditor": 200,
    "employee": 403,
    "external_auditor": 200,
    "nobody": 403,
}


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_each_role_opens_the_cockpit_as_its_rights_allow(request, client_for, persona):
    name = request.node.callspec.params["persona"]

    assert client_for(persona).get(COCKPIT).status_code == COCKPIT_STATUS[name]


def test_every_persona_is_in_the_cockpit_table():
    assert set(COCKPIT_STATUS) == set(PERSONAS)


def test_someone_signed_out_is_sent_to_sign_in_from_the_cockpit(client, db):
    response = client.get(COCKPIT)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_cockpit_runs_as_many_queries_with_more_cycles_and_findings(
    client_for, quality_manager, body, cycle, major
):
    client = client_for(quality_manager)
    client.get(COCKPIT)  # warms the process-wide caches

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(COCKPIT).status_code == 200
        return len(captured)

    few = queries()
    for n in range(4):
        other = plan_cycle(quality_manager, body, title=f"Site {n}")
        audit = held_audit(quality_manager, other, "stage_2", STAGE_2_END)
        record_finding(quality_manager, audit, "major")
    assert queries() == few
