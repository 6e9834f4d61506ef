"""What the management review's input pack says (9.3.2), and what follows from it.

Each of the twelve inputs is read from real records made by the other apps' real actions:
exact figures, the summary sentence, the plain statement when the data is missing, and the
period's first and last day. Then the stored pack (one input per topic, in order, with charts
that escape what they are given and a change log), the readiness checks 9.3.1-9.3.3, the
minutes as PDF and DOCX, the pack and minutes API, and the cost of the register lists.

Unless a test says otherwise, Quinn Quality (the quality manager) prepares the review and Tess
Top (top management) chairs it; the review covers the last year up to today.
"""

import datetime
import io
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from docx import Document as WordDocument
from pypdf import PdfReader

from norma.audits import findings
from norma.core.actions import CreateRecord
from norma.core.models import ChangeLogEntry, RoleCode
from norma.improvement import actions as nc_steps
from norma.improvement.models import Improvement
from norma.jobs.models import Job
from norma.operations.models import Compliment
from norma.people.models import Course, Result, TrainingAssignment, TrainingRecord
from norma.planning.actions import (
    ApproveChange,
    CompleteChange,
    CompleteRiskAction,
    JudgeEffective,
    JudgeNotEffective,
)
from norma.planning.measuring import RecordMeasurement
from norma.planning.models import (
    ContextIssue,
    InterestedParty,
    Kpi,
    Objective,
    PartyRequirement,
    PlannedChange,
    Risk,
    RiskAction,
)
from norma.reviews import readiness, workflow
from norma.reviews.models import ManagementReview, ReviewDecision, ReviewInput, Topic
from norma.reviews.pack import BUILDERS
from norma.reviews.sections import Period
from norma.standards.readiness import Status, registered_checks
from norma.standards.readiness import evaluate as readiness_report
from tests.audits.helpers import auditor, clause, close_fieldwork, make_audit, start
from tests.audits.helpers import sign as sign_audit
from tests.factories import PersonFactory, make_planning_record, make_process
from tests.improvement.helpers import make_nc, walk
from tests.kit import count_queries
from tests.operations.helpers import (
    add_responses,
    calibrate,
    evaluate,
    issue_scar,
    log_complaint,
    make_customer,
    make_instrument,
    make_supplier,
    make_survey,
)
from tests.reviews.helpers import (
    PASSWORD,
    comment_all,
    days,
    decide,
    fresh,
    generate_pack,
    hold,
    plan_review,
    sign,
    signed_review,
    today,
)

make_kpi = make_planning_record(
    Kpi, {"title": "On-time delivery", "unit": "%", "frequency": "monthly", "direction": "higher"}
)
make_objective = make_planning_record(
    Objective, {"title": "Deliver on time", "unit": "%", "direction": "higher"}
)
make_issue = make_planning_record(ContextIssue, {"origin": "external", "swot": "threat"})
make_party = make_planning_record(InterestedParty, {"kind": "customer"})
make_requirement = make_planning_record(PartyRequirement, {})
make_change = make_planning_record(PlannedChange, {"purpose": "Move the lathe cell"})
make_risk = make_planning_record(Risk, {"title": "Risk", "likelihood": 3, "consequence": 3})
make_risk_action = make_planning_record(RiskAction, {})

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


# -- small helpers ----------------------------------------------------------------------------
def build(topic, review, start=None, end=None):
    """One input read from the registers, for the review's period or the one given."""
    period = Period(start or review.period_start, end or review.period_end)
    return BUILDERS[topic](review, period)


def figure(section, label):
    return dict(section.figures)[label]


def measure(actor, kpi, value, when=None):
    data = {"value": str(value)}
    if when is not None:
        data["measured_at"] = when
    RecordMeasurement(actor, fresh(kpi), data=data).execute()
    return fresh(kpi)


def make_course(actor, **fields) -> Course:
    data = {"title": "Lathe basics", "delivery": Course.Delivery.INTERNAL, **fields}
    return CreateRecord(actor, Course, data=data).execute()


def make_training(actor, person, course, **fields) -> TrainingRecord:
    data = {
        "person": person,
        "course": course,
        "completed_on": days(-20),
        "result": Result.PASSED,
        **fields,
    }
    return CreateRecord(actor, TrainingRecord, data=data).execute()


def make_assignment(actor, person, course, **fields) -> TrainingAssignment:
    data = {"person": person, "course": course, "reason": "gap", "due_date": days(30), **fields}
    return CreateRecord(actor, TrainingAssignment, data=data).execute()


def make_improvement(actor, **fields) -> Improvement:
    data = {"title": "Kanban cards for the stores", "description": "Fewer stock-outs", **fields}
    return CreateRecord(actor, Improvement, data=data).execute()


def implement(idea, decider, owner) -> Improvement:
    data = {"owner": owner.pk, "due_date": days(30)}
    idea = nc_steps.AcceptImprovement(decider, idea, reason="Worth it", data=data).execute()
    data = {"realised_benefit": "Stock-outs halved"}
    return nc_steps.CompleteImprovement(owner, fresh(idea), data=data).execute()


def make_compliment(actor, customer, **fields) -> Compliment:
    data = {
        "customer": customer,
        "title": "Thanks for the rush order",
        "description": "Delivered in two days.",
        **fields,
    }
    return CreateRecord(actor, Compliment, data=data).execute()


def reported_audit_with_findings(actor, lead, grades, **fields):
    """An audit led by `lead`, one issued finding per grade, its report signed today."""
    audit = make_audit(actor, owner=lead, clauses=[clause("8.4")], **fields)
    start(audit, lead)
    for grade in grades:
        finding = findings.AddFinding(
            lead,
            data={
                "audit": fresh(audit),
                "grade": grade,
                "title": f"A {grade} finding",
                "clause": clause("8.4.1"),
                "requirement": "Providers are re-evaluated.",
                "evidence": "Two of six suppliers sampled were overdue.",
                "process": audit.processes.first(),
            },
        ).execute()
        findings.IssueFinding(lead, fresh(finding)).execute()
    close_fieldwork(fresh(audit), lead)
    graded = any(g in ("major", "minor") for g in grades)
    return sign_audit(audit, lead, fulfilment="largely" if graded else "full")


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def docx_of(content: bytes):
    return WordDocument(io.BytesIO(content))


def docx_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return " ".join(" ".join(parts).split())


def check_result(person, ref, check):
    row = next(r for r in readiness_report(person).rows if r.clause.ref == ref)
    return row.results[registered_checks()[ref].index(check)]


def log_of(obj, action):
    return ChangeLogEntry.objects.filter(
        object_type=f"{obj._meta.app_label}.{obj._meta.model_name}",
        object_id=str(obj.pk),
        action=action,
    )


# -- the people and the review ----------------------------------------------------------------
@pytest.fixture
def clock(monkeypatch):
    """Move Norma's clock (django.utils.timezone.now, and so localdate) some days from now."""
    real_now = timezone.now

    def move(n: int):
        monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(days=n))
        return timezone.localdate()

    return move


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def review(quality_manager, top_manager):
    return plan_review(quality_manager, top_manager)


# == 1. status of actions from previous reviews ==============================================
FIRST_REVIEW = (
    "No earlier management review recorded decisions: there is nothing to follow up yet. This "
    "is expected of a first review."
)


def earlier_review_with_decisions(actor, chair, capture, dues, planned=-20):
    """A review planned `planned` days from now, signed, with one decision per due (days)."""
    earlier = plan_review(actor, chair, title="Earlier review", planned_date=days(planned))
    earlier = generate_pack(actor, earlier, capture)
    comment_all(actor, earlier)
    hold(actor, earlier, [chair])
    decisions = [
        decide(actor, earlier, actor, due_in=due, title=f"Decision {n}")
        for n, due in enumerate(dues, start=1)
    ]
    sign(chair, earlier)
    return fresh(earlier), [fresh(d) for d in decisions]


def complete(decision, actor, outcome="Done as decided."):
    data = {"outcome": outcome}
    return workflow.CompleteDecision(actor, fresh(decision), data=data).execute()


class TestPreviousActions:
    def test_a_first_review_says_there_is_nothing_to_follow_up_yet(self, review):
        section = build(Topic.PREVIOUS_ACTIONS, review)
        assert section.missing is False  # expected of a first review, not a gap
        assert section.summary == FIRST_REVIEW
        assert (section.figures, section.chart, section.details) == ([], "", [])

    def test_earlier_decisions_are_counted_by_what_became_of_them(
        self, quality_manager, top_manager, capture
    ):
        earlier, (on_time, late, still_open, overdue, dropped) = earlier_review_with_decisions(
            quality_manager, top_manager, capture, dues=[30, -5, 30, -5, 30]
        )
        complete(on_time, quality_manager)
        complete(late, quality_manager, outcome="Second CMM bought.")
        workflow.CancelDecision(quality_manager, dropped, reason="Overtaken by events").execute()
        review = plan_review(quality_manager, top_manager)

        section = build(Topic.PREVIOUS_ACTIONS, review)

        assert section.missing is False
        assert section.summary == (
            "Of 5 actions from earlier reviews followed in this period, 2 were done (1 late), "
            "2 are still open (1 overdue) and 1 cancelled."
        )
        assert section.figures == [
            ("Followed", 5),
            ("Done", 2),
            ("Done late", 1),
            ("Open", 2),
            ("Overdue", 1),
        ]
        assert (
            f"{late.reference} ({earlier.reference}): Decision 2; Quinn Quality, due "
            f"{days(-5):%Y-%m-%d}; done on {today():%Y-%m-%d}: Second CMM bought.",
            late.reference,
        ) in section.details
        assert [reference for _, reference in section.details][:2] == [
            late.reference,
            overdue.reference,
        ]  # by due date

    def test_one_decision_reads_in_the_singular(self, quality_manager, top_manager, capture):
        earlier_review_with_decisions(quality_manager, top_manager, capture, dues=[30])
        section = build(Topic.PREVIOUS_ACTIONS, plan_review(quality_manager, top_manager))
        assert section.summary == (
            "Of 1 action from earlier reviews followed in this period, 0 were done (0 late), "
            "1 is still open (0 overdue) and 0 cancelled."
        )

    def test_a_decision_done_before_the_period_is_no_longer_followed(
        self, quality_manager, top_manager, capture, clock
    ):
        _, (done, still_open) = earlier_review_with_decisions(
            quality_manager, top_manager, capture, dues=[30, 30]
        )
        complete(done, quality_manager)
        clock(400)  # the next review, a year later, covers the year since
        review = plan_review(quality_manager, top_manager)
        section = build(Topic.PREVIOUS_ACTIONS, review)
        assert [reference for _, reference in section.details] == [still_open.reference]
        assert figure(section, "Followed") == 1
        assert figure(section, "Overdue") == 1

    def test_the_review_s_own_and_later_decisions_are_not_previous_actions(
        self, quality_manager, top_manager, capture
    ):
        earlier_review_with_decisions(quality_manager, top_manager, capture, dues=[30], planned=60)
        review = plan_review(quality_manager, top_manager)  # planned in 14 days, before it
        section = build(Topic.PREVIOUS_ACTIONS, review)
        assert (section.summary, section.figures) == (FIRST_REVIEW, [])

    def test_the_next_review_s_pack_lists_the_decisions_again(
        self, quality_manager, top_manager, capture
    ):
        _, (decision,) = earlier_review_with_decisions(
            quality_manager, top_manager, capture, dues=[30]
        )
        review = generate_pack(quality_manager, plan_review(quality_manager, top_manager), capture)
        item = review.inputs.get(topic=Topic.PREVIOUS_ACTIONS)
        assert item.data_missing is False
        assert [reference for _, reference in item.details] == [decision.reference]
        assert item.figures == [
            ["Followed", 1],
            ["Done", 0],
            ["Done late", 0],
            ["Open", 1],
            ["Overdue", 0],
        ]


# == 2. context ==============================================================================
class TestContextChanges:
    def test_without_issues_it_says_the_context_cannot_be_reviewed(self, quality_manager, review):
        make_party(quality_manager, title="Northwind Pumps")  # parties alone are not enough
        section = build(Topic.CONTEXT, review)
        assert section.missing is True
        assert section.summary == (
            "No external or internal issues are recorded (4.1): the context cannot be reviewed."
        )

    def test_new_issues_parties_requirements_and_changes_are_counted(
        self, quality_manager, top_manager, review
    ):
        make_issue(quality_manager, title="Energy prices")
        make_issue(quality_manager, title="Skilled machinists retiring", origin="internal")
        party = make_party(quality_manager, title="Northwind Pumps")
        make_requirement(quality_manager, title="PPAP for new parts", party=party)
        make_requirement(quality_manager, title="Certificates", party=party, addressed="yes")
        make_change(quality_manager, title="Move the lathe cell")
        erp = make_change(
            quality_manager,
            title="New ERP",
            consequences="Two weeks of double entry",
            resources="A consultant",
            responsibilities="Quinn Quality",
        )
        ApproveChange(top_manager, erp, data={"password": PASSWORD}).execute()
        CompleteChange(quality_manager, fresh(erp), reason="Live since Monday").execute()

        section = build(Topic.CONTEXT, review)

        assert section.missing is False
        assert section.figures == [
            ("New issues", 2),
            ("Issues retired (changed in the period)", 0),
            ("New interested parties", 1),
            ("New requirements", 2),
            ("Unaddressed requirements", 1),
            ("Planned changes done", 1),
            ("Planned changes open", 1),
        ]
        assert section.summary == (
            "2 new issues and 1 new interested party were recorded and 0 retired. 1 of the "
            "parties' requirements is not addressed yet, and 1 planned change is open."
        )
        assert [text for text, _ in section.details][0].endswith(": Skilled machinists retiring")

    def test_an_issue_recorded_before_the_period_is_not_new(
        self, quality_manager, top_manager, clock
    ):
        clock(-400)
        make_issue(quality_manager, title="Energy prices")
        clock(0)
        review = plan_review(quality_manager, top_manager)
        section = build(Topic.CONTEXT, review)
        assert section.missing is False  # the context is known, nothing new in it
        assert figure(section, "New issues") == 0
        assert section.summary.startswith("0 new issues and 0 new interested parties")


# == 3. customers ============================================================================
class TestCustomerFeedback:
    def test_without_feedback_it_says_satisfaction_is_not_measured(self, review):
        section = build(Topic.CUSTOMERS, review)
        assert section.missing is True
        assert section.summary == (
            "No customer satisfaction survey, complaint or compliment is recorded for the "
            "period (9.1.2): customer satisfaction is not measured."
        )

    def test_complaints_and_compliments_are_counted(self, quality_manager, review):
        customer = make_customer(quality_manager)
        log_complaint(quality_manager, customer, title="Leaking", justified=True)
        log_complaint(quality_manager, customer, title="Scratched", justified=True)
        log_complaint(quality_manager, customer, title="Late", justified=False)
        make_compliment(quality_manager, customer)

        section = build(Topic.CUSTOMERS, review)

        assert section.missing is False
        assert section.figures == [
            ("Complaints", 3),
            ("Justified", 2),
            ("Still open", 3),
            ("Compliments", 1),
            ("Surveys", 0),
        ]
        assert section.summary == (
            "3 complaints (2 justified) and 1 compliment. No satisfaction survey covers the period."
        )
        assert sorted(text.split(": ", 1)[1] for text, _ in section.details) == [
            "Leaking",
            "Scratched",
        ]

    def test_surveys_overlapping_the_period_give_the_average_satisfaction(
        self, quality_manager, review
    ):
        delighted = make_survey(quality_manager, title="Spring survey")
        add_responses(quality_manager, delighted, [{"satisfaction": 5, "recommend": 10}] * 2)
        mixed = make_survey(quality_manager, title="Autumn survey")
        add_responses(
            quality_manager,
            mixed,
            [{"satisfaction": 2, "recommend": 2}, {"satisfaction": 5, "recommend": 9}],
        )
        make_survey(quality_manager, title="No answers yet")
        old = make_survey(
            quality_manager, title="Two years ago", period_start=days(-800), period_end=days(-700)
        )
        add_responses(quality_manager, old, [{"satisfaction": 1, "recommend": 0}])

        section = build(Topic.CUSTOMERS, review)

        assert section.missing is False
        assert figure(section, "Surveys") == 2
        assert figure(section, "Satisfaction (CSAT %)") == 75.0
        assert figure(section, "Net promoter score") == 50.0
        assert section.summary == (
            "0 complaints (0 justified) and 0 compliments. 2 surveys (averaged): satisfaction "
            "75.0 %, NPS 50.0."
        )


# == 4. quality objectives ===================================================================
class TestObjectivesMet:
    def test_without_objectives_it_says_none_are_set(self, review):
        section = build(Topic.OBJECTIVES, review)
        assert section.missing is True
        assert section.summary == "No quality objectives are set (6.2)."

    @pytest.fixture
    def objectives(self, quality_manager):
        """One objective on track, one at risk, one off track and one not measured."""
        ahead = measure(quality_manager, make_kpi(quality_manager, target=95), 97)
        behind = measure(quality_manager, make_kpi(quality_manager, target=95), 90)
        sinking = measure(quality_manager, make_kpi(quality_manager, target=95), 70)
        return [
            make_objective(quality_manager, title="Ahead", kpi=ahead, target=95),
            make_objective(quality_manager, title="Behind", kpi=behind, target=95),
            make_objective(
                quality_manager,
                title="Sinking",
                kpi=sinking,
                target=95,
                baseline=80,
                due_date=days(100),
            ),
            make_objective(quality_manager, title="Unmeasured", target=95),
        ]

    def test_objectives_are_counted_by_where_they_stand(self, review, objectives):
        section = build(Topic.OBJECTIVES, review)
        assert section.missing is False
        assert section.figures == [
            ("Objectives", 4),
            ("Achieved (to date)", 0),
            ("On track", 1),
            ("At risk", 1),
            ("Off track", 1),
            ("Abandoned", 0),
        ]
        assert section.summary == (
            "0 of 4 objectives achieved; of the 4 being pursued, 1 on track, 1 at risk and "
            "1 off track."
        )
        ahead, behind, sinking, unmeasured = objectives
        # The soonest due first, then those without a due date, in the order they were set.
        assert [reference for _, reference in section.details] == [
            sinking.reference,
            behind.reference,
            unmeasured.reference,
        ]

    def test_an_objective_stands_on_its_last_result_within_the_period(
        self, quality_manager, review
    ):
        kpi = make_kpi(quality_manager, target=95)
        measure(quality_manager, kpi, 80, when=days(-5).isoformat())
        measure(quality_manager, kpi, 97)  # today, after the period below
        make_objective(
            quality_manager,
            title="Deliver on time",
            kpi=kpi,
            target=95,
            baseline=85,
            due_date=days(100),
        )
        section = build(Topic.OBJECTIVES, review, end=days(-1))
        assert (figure(section, "On track"), figure(section, "Off track")) == (0, 1)
        assert figure(build(Topic.OBJECTIVES, review), "On track") == 1

    def test_the_objectives_behind_are_named_with_their_target_and_latest_value(
        self, review, objectives
    ):
        section = build(Topic.OBJECTIVES, review)
        behind, unmeasured = objectives[1], objectives[3]
        texts = [text for text, _ in section.details]
        assert f"{behind.reference}: Behind (target 95 %, latest 90 %)" in texts
        assert f"{unmeasured.reference}: Unmeasured (target 95 %, latest not measured)" in texts


# == 5. process performance (KPIs) ===========================================================
class TestProcessPerformance:
    def test_without_kpis_it_says_no_kpi_measures_the_processes(self, review):
        section = build(Topic.PROCESSES, review)
        assert section.missing is True
        assert section.summary == "No KPIs measure the processes (9.1.1, 4.4.1 c)."

    def test_kpis_are_counted_by_where_they_stood_at_the_end_of_the_period(
        self, quality_manager, review
    ):
        machining = make_process(quality_manager, title="Machining")
        assembly = make_process(quality_manager, title="Assembly")
        kpi = {"target": 95, "threshold": 90}
        measure(quality_manager, make_kpi(quality_manager, process=machining, **kpi), 97)
        at_risk = measure(
            quality_manager, make_kpi(quality_manager, title="Yield", process=assembly, **kpi), 92
        )
        off = measure(
            quality_manager, make_kpi(quality_manager, title="Scrap", process=machining, **kpi), 80
        )
        make_kpi(quality_manager, title="Set-up time", process=assembly, **kpi)
        make_nc(quality_manager, title="Burrs on batch 7", kind="output")
        make_nc(quality_manager, title="Missed training", kind="process")

        section = build(Topic.PROCESSES, review)

        assert section.missing is False
        assert section.figures == [
            ("KPIs", 4),
            ("On track", 1),
            ("At risk", 1),
            ("Off track", 1),
            ("Not measured", 1),
            ("Nonconforming outputs", 1),
        ]
        assert section.summary == (
            "Of 4 KPIs at the end of the period, 1 were on track, 1 at risk, 1 off track and "
            "1 not measured. 1 nonconforming output recorded."
        )
        assert sorted(reference for _, reference in section.details) == sorted(
            [at_risk.reference, off.reference]
        )
        assert "KPIs off track by process" in section.chart
        assert ">Machining<" in section.chart

    def test_it_is_missing_when_no_kpi_has_been_measured(self, quality_manager, review):
        make_kpi(quality_manager, target=95)
        make_kpi(quality_manager, title="Scrap", target=2, direction="lower")
        section = build(Topic.PROCESSES, review)
        assert section.missing is True
        assert section.figures[4] == ("Not measured", 2)
        assert section.summary == (
            "Of 2 KPIs at the end of the period, 0 were on track, 0 at risk, 0 off track and "
            "2 not measured. 0 nonconforming outputs recorded."
        )

    def test_a_result_measured_after_the_period_does_not_count(self, quality_manager, review):
        process = make_process(quality_manager, title="Machining")
        kpi = make_kpi(quality_manager, target=95, threshold=90, process=process)
        measure(quality_manager, kpi, 80, when=days(-5).isoformat())
        measure(quality_manager, kpi, 97)  # today, after the period below
        section = build(Topic.PROCESSES, review, end=days(-1))
        assert (figure(section, "On track"), figure(section, "Off track")) == (0, 1)
        assert figure(build(Topic.PROCESSES, review), "On track") == 1

    def test_a_kpi_off_track_without_a_process_is_still_counted(self, quality_manager, review):
        kpi = make_kpi(quality_manager, title="Scrap", target=95, threshold=90)
        measure(quality_manager, kpi, 80)
        section = build(Topic.PROCESSES, review)
        assert figure(section, "Off track") == 1
        assert ">no process<" in section.chart
        assert section.details[0][0].startswith(f"{kpi.reference}: Scrap (no process): target")


# == 6. nonconformities and corrective actions ===============================================
class TestNonconformities:
    def test_with_nothing_recorded_it_states_the_zeros(self, review):
        section = build(Topic.NONCONFORMITIES, review)
        assert section.missing is False  # no nonconformity in the period is a result
        assert section.summary == (
            "0 nonconformities reported (0 major), 0 closed; 0 open now, 0 overdue. 0 actions "
            "completed; of 0 effectiveness checks, effective: none."
        )

    def test_nonconformities_actions_and_verifications_are_counted(
        self, quality_manager, process_owner, top_manager, review
    ):
        major = make_nc(quality_manager, title="Bores oversize", severity="major")
        closed = make_nc(quality_manager, title="Wrong label on pallet")
        walk(closed, "closed", triager=quality_manager, owner=process_owner, verifier=top_manager)

        section = build(Topic.NONCONFORMITIES, review)

        assert section.missing is False
        assert section.figures == [
            ("Reported", 2),
            ("Major", 1),
            ("Minor", 1),
            ("Closed", 1),
            ("Open now", 1),
            ("Overdue", 0),
            ("Actions completed", 2),  # the containment and the corrective action
            ("Verified effective", 1),
            ("Verified not effective", 0),
        ]
        assert section.summary == (
            "2 nonconformities reported (1 major), 1 closed; 1 open now, 0 overdue. 2 actions "
            "completed; of 1 effectiveness check, effective: 100 %."
        )
        assert section.details == [(f"{major.reference}: Bores oversize", major.reference)]
        assert "Nonconformities reported per month" in section.chart
        assert ">Process or operations<" in section.chart

    def test_a_cancelled_nonconformity_is_not_reported_and_an_overdue_one_is_counted(
        self, quality_manager, review, clock
    ):
        duplicate = make_nc(quality_manager, title="Duplicate")
        nc_steps.CancelNonconformity(
            quality_manager, duplicate, reason="Duplicate", data={"password": PASSWORD}
        ).execute()
        make_nc(quality_manager, title="Bores oversize", due_date=days(1))
        clock(3)
        section = build(Topic.NONCONFORMITIES, review)
        assert (figure(section, "Reported"), figure(section, "Overdue")) == (1, 1)
        assert section.summary.startswith("1 nonconformity reported (0 major), 0 closed; 1 open")


# == 7. monitoring and measurement ===========================================================
class TestMonitoring:
    def test_without_measurements_or_calibrations_it_says_so(self, quality_manager, review):
        make_kpi(quality_manager, target=95)  # a KPI never measured is no result
        section = build(Topic.MONITORING, review)
        assert section.missing is True
        assert section.summary == (
            "No measurement and no calibration is recorded for the period (9.1.1, 7.1.5)."
        )

    def test_measurements_and_calibrations_are_counted(self, quality_manager, review):
        kpi = measure(quality_manager, make_kpi(quality_manager, target=95), 96, days(-40))
        measure(quality_manager, kpi, 97)
        measure(quality_manager, make_kpi(quality_manager, title="Scrap", target=95), 96, days(-40))
        calibrate(quality_manager, make_instrument(quality_manager), on=days(-10))
        gauge = make_instrument(quality_manager, title="Bore gauge")
        calibrate(quality_manager, gauge, on=days(-5), result="out_of_tolerance")
        calibrate(quality_manager, make_instrument(quality_manager, title="Scale"), on=days(-400))

        section = build(Topic.MONITORING, review)

        assert section.missing is False
        assert section.figures == [
            ("Measurements", 3),
            ("KPIs measured", 2),
            ("KPIs not measured when due", 1),  # Scrap, due 31 days after day -40
            ("Calibrations", 2),  # the scale's is older than the period
            ("Out of tolerance", 1),
            ("Instruments overdue now", 1),  # the scale; the bore gauge is out of service
        ]
        assert section.summary == (
            "3 measurements of 2 KPIs; 1 KPI past its measurement date. 2 calibrations, 1 out "
            "of tolerance; 1 instrument in service overdue for calibration."
        )
        assert [text for text, _ in section.details] == [
            f"{fresh(gauge).calibrations.get().reference}: Bore gauge out of tolerance on "
            f"{days(-5):%Y-%m-%d}"
        ]

    def test_a_measurement_counts_from_the_first_moment_to_the_last_of_the_period(
        self, quality_manager, review
    ):
        kpi = make_kpi(quality_manager, target=95)
        first, last = days(-60), days(-2)
        moments = [
            datetime.datetime.combine(first, datetime.time.min) - timedelta(seconds=1),
            datetime.datetime.combine(first, datetime.time.min),
            datetime.datetime.combine(last, datetime.time(23, 59, 59)),
            datetime.datetime.combine(last + timedelta(days=1), datetime.time.min),
        ]
        for moment in moments:
            measure(quality_manager, kpi, 96, timezone.make_aware(moment).isoformat())
        section = build(Topic.MONITORING, review, start=first, end=last)
        assert figure(section, "Measurements") == 2


# == 8. audit results ========================================================================
class TestAuditResults:
    def test_without_a_signed_report_it_says_so(self, quality_manager, review):
        lead = auditor(quality_manager, "Lena Lead")
        make_audit(quality_manager, owner=lead)  # planned, not reported
        section = build(Topic.AUDITS, review)
        assert section.missing is True
        assert section.summary == (
            "No internal audit report was signed in the period (9.2), and no external audit "
            "result is recorded."
        )

    def test_reported_audits_are_counted_by_the_grades_of_their_findings(
        self, quality_manager, review
    ):
        lead = auditor(quality_manager, "Lena Lead")
        audit = reported_audit_with_findings(
            quality_manager, lead, ["minor", "ofi", "strength", "observation"]
        )
        make_audit(
            quality_manager, owner=lead, title="Audit of sales", target_month=today()
        )  # planned this month, not started

        section = build(Topic.AUDITS, review)

        assert section.missing is False
        assert section.figures == [
            ("Audits reported", 1),
            ("Major nonconformity", 0),
            ("Minor nonconformity", 1),
            ("Opportunity for improvement", 1),
            ("Observation", 1),
            ("Strength", 1),
            ("Findings awaiting an answer", 4),
            ("Planned audits not started", 1),
        ]
        assert section.summary == (
            "1 internal audit reported: 0 major and 1 minor nonconformities, 1 opportunity for "
            "improvement and 1 strength. 1 planned audit due by the end of the period not "
            "started. No external audit result is recorded."
        )
        assert section.details == [
            (
                f"{audit.reference}: Audit of purchasing, reported {today():%Y-%m-%d} "
                f"({audit.get_fulfilment_display().lower()})",
                audit.reference,
            )
        ]


# == 9. external providers ===================================================================
class TestProviders:
    def test_without_evaluations_it_says_no_provider_was_evaluated(self, quality_manager, review):
        make_supplier(quality_manager)
        section = build(Topic.PROVIDERS, review)
        assert section.missing is True
        assert section.summary == "No external provider was evaluated in the period (8.4.1)."

    def test_evaluations_and_requests_are_counted(self, quality_manager, review):
        castwell = make_supplier(quality_manager)
        brightsteel = make_supplier(quality_manager, title="Brightsteel")
        evaluate(quality_manager, castwell, q=90, d=85, r=80)  # 86.5: approve
        evaluate(quality_manager, brightsteel, q=55, d=40, r=50)  # 49.5: below 60
        issue_scar(quality_manager, brightsteel)

        section = build(Topic.PROVIDERS, review)

        assert section.missing is False
        assert section.figures == [
            ("Evaluations", 2),
            ("Average score", Decimal("68.0")),
            ("Below the conditional mark", 1),
            ("Approved suppliers", 0),
            ("Conditionally approved", 0),
            ("Disqualified", 0),
            ("Corrective action requests", 1),
            ("Requests still open", 1),
        ]
        assert section.summary == (
            "2 evaluations with an average score of 68.0; 1 below the conditional mark. "
            "1 corrective action request sent to suppliers, 1 still open."
        )
        assert [text for text, _ in section.details] == [
            f"{brightsteel.evaluations.get().reference}: Brightsteel scored 49.5"
        ]


# == 10. resources ===========================================================================
class TestResources:
    def test_without_training_it_says_competence_cannot_be_judged(self, quality_manager, review):
        make_course(quality_manager)
        section = build(Topic.RESOURCES, review)
        assert section.missing is True
        assert section.summary == (
            "No training was recorded or due in the period (7.2): the competence of the people "
            "doing the work cannot be judged."
        )

    def test_people_training_and_equipment_are_counted(
        self, quality_manager, top_manager, process_owner, review
    ):
        PersonFactory(full_name="Gina Guest", access_expires_at=timezone.now() + timedelta(5))
        PersonFactory(full_name="Len Left", is_active=False)
        lathe = make_course(quality_manager)
        cmm = make_course(quality_manager, title="CMM programming")
        make_training(quality_manager, process_owner, lathe, completed_on=days(-20))
        make_assignment(quality_manager, top_manager, lathe, due_date=today())
        make_training(quality_manager, top_manager, lathe, completed_on=today())  # does it
        make_assignment(quality_manager, process_owner, cmm, due_date=days(-3))
        make_objective(quality_manager, title="Faster inspection", target=95, resources="A CMM")

        section = build(Topic.RESOURCES, review)

        assert section.missing is False
        assert section.figures == [
            ("People", 3),  # not the guest, nor who has left
            ("Training completed", 2),
            ("Training due in the period", 2),
            ("Done", 1),
            ("Overdue now", 1),
            ("Instruments out of service", 0),
            ("Objectives naming resources", 1),
        ]
        assert section.summary == (
            "3 people in the organisation. 2 training records; 1 of 2 training assignments due "
            "in the period done, 1 overdue now. 0 instruments out of service."
        )
        assert [text.split(": ", 1)[1] for text, _ in section.details] == [
            f"CMM programming for Owen Owner, due {days(-3):%Y-%m-%d}"
        ]


# == 11. risks and opportunities =============================================================
@pytest.fixture
def treated_risks(quality_manager, process_owner):
    """Two open risks treated (16 to 4, 9 to 3), two opportunities, and three actions: one
    judged effective, one judged not effective, one overdue."""
    spindle = make_risk(
        quality_manager,
        title="Spindle failure",
        likelihood=4,
        consequence=4,
        residual_likelihood=2,
        residual_consequence=2,
    )
    make_risk(
        quality_manager,
        title="Late castings",
        residual_likelihood=1,
        residual_consequence=3,
    )
    make_risk(quality_manager, title="Export market", kind="opportunity")
    make_risk(quality_manager, title="Robot cell", kind="opportunity")
    worked, failed = (
        make_risk_action(quality_manager, title=title, risk=spindle, owner=process_owner)
        for title in ("Maintenance plan", "Spare spindle")
    )
    for action in (worked, failed):
        CompleteRiskAction(process_owner, action).execute()
    JudgeEffective(quality_manager, fresh(worked), reason="No stops since.").execute()
    JudgeNotEffective(quality_manager, fresh(failed), reason="Spare never arrived.").execute()
    make_risk_action(quality_manager, title="Second source", risk=spindle, due_date=days(-2))
    return fresh(failed)


class TestRisks:
    def test_without_risks_it_says_none_are_recorded(self, review):
        section = build(Topic.RISKS, review)
        assert section.missing is True
        assert section.summary == "No risks or opportunities are recorded (6.1)."

    def test_open_risks_overdue_actions_and_the_treatment_are_counted(self, review, treated_risks):
        section = build(Topic.RISKS, review)
        assert section.missing is False
        figures = dict(section.figures)
        assert (figures["Open risks"], figures["Open opportunities"]) == (2, 2)
        assert (figures["Actions completed"], figures["Actions overdue"]) == (2, 1)
        assert figures["Reviews overdue"] == 0
        assert section.summary.startswith("2 open risks and 2 opportunities. 2 actions completed")
        assert section.summary.endswith(
            " Treatment lowered the average score of 2 treated risks from 12.5 to 3.5."
        )

    def test_actions_are_counted_by_how_they_were_judged(self, review, treated_risks):
        section = build(Topic.RISKS, review)
        assert figure(section, "Judged effective") == 1
        assert figure(section, "Judged not effective") == 1
        assert "2 actions completed: 1 judged effective, 1 not. 1 overdue." in section.summary
        assert section.details == [
            (
                f"{treated_risks.reference}: Spare spindle (on {treated_risks.risk.reference})",
                treated_risks.reference,
            )
        ]
        assert ">Not yet judged: 0<" in section.chart

    def test_an_action_done_but_not_yet_judged_is_completed_and_awaits_judgement(
        self, quality_manager, process_owner, review
    ):
        risk = make_risk(quality_manager, title="Spindle failure")
        action = make_risk_action(quality_manager, title="Spare", risk=risk, owner=process_owner)
        CompleteRiskAction(process_owner, action).execute()
        section = build(Topic.RISKS, review)
        assert figure(section, "Actions completed") == 1
        assert (figure(section, "Judged effective"), figure(section, "Judged not effective")) == (
            0,
            0,
        )
        assert ">Not yet judged: 1<" in section.chart


# == 12. opportunities for improvement =======================================================
class TestImprovement:
    def test_without_improvements_it_says_none_was_proposed(self, review):
        section = build(Topic.IMPROVEMENT, review)
        assert section.missing is True
        assert section.summary == (
            "No opportunity for improvement was proposed or implemented in the period (10.1)."
        )

    def test_improvements_are_counted_by_source_and_outcome(
        self, quality_manager, top_manager, employee, review
    ):
        done = make_improvement(employee, title="Shadow boards")
        waiting = make_improvement(employee, title="Kanban cards")
        asked = make_improvement(quality_manager, title="Portal for drawings", source="customer")
        implement(done, top_manager, employee)

        section = build(Topic.IMPROVEMENT, review)

        assert section.missing is False
        assert section.figures == [
            ("Proposed", 3),
            ("Implemented", 1),
            ("Awaiting a decision", 2),
            ("Opportunities from audits", 0),
        ]
        assert section.summary == (
            "3 improvements proposed and 1 implemented; 2 await a decision. Audits found 0 "
            "opportunities."
        )
        assert [reference for _, reference in section.details] == [
            waiting.reference,
            asked.reference,
        ]
        assert ">Employee suggestion<" in section.chart
        assert ">Customer feedback<" in section.chart

    def test_an_idea_from_before_the_period_counts_when_implemented_in_it(
        self, quality_manager, top_manager, employee, clock
    ):
        clock(-400)
        idea = make_improvement(employee, title="Shadow boards")
        clock(0)
        implement(idea, top_manager, employee)
        section = build(Topic.IMPROVEMENT, plan_review(quality_manager, top_manager))
        assert section.missing is False
        assert (figure(section, "Proposed"), figure(section, "Implemented")) == (0, 1)

    def test_opportunities_found_by_audits_are_counted(self, quality_manager, review):
        lead = auditor(quality_manager, "Lena Lead")
        reported_audit_with_findings(quality_manager, lead, ["ofi", "ofi"])
        make_improvement(quality_manager, title="Shadow boards")
        section = build(Topic.IMPROVEMENT, review)
        assert figure(section, "Opportunities from audits") == 2
        assert section.summary.endswith("Audits found 2 opportunities.")


# == the period's first and last day =========================================================
# The period runs from 60 days ago to 2 days ago; one record is dated on each of the day
# before, the first day, the last day and the day after: two of the four count.
OFFSETS = (-61, -60, -2, -1)


def dated_complaints(actor, clock):
    customer = make_customer(actor)
    return lambda n: log_complaint(actor, customer, title=f"On {n}", received_on=days(n))


def dated_nonconformities(actor, clock):
    return lambda n: make_nc(actor, title=f"On {n}", detected_on=days(n))


def dated_calibrations(actor, clock):
    instrument = make_instrument(actor)
    return lambda n: calibrate(actor, fresh(instrument), on=days(n))


def dated_evaluations(actor, clock):
    supplier = make_supplier(actor)
    return lambda n: evaluate(actor, fresh(supplier), on=days(n))


def dated_training(actor, clock):
    course = make_course(actor)
    return lambda n: make_training(actor, actor, course, completed_on=days(n))


def dated_assignments(actor, clock):
    course = make_course(actor)
    return lambda n: make_assignment(actor, actor, course, due_date=days(n))


def created_on_the_day(maker):
    """Records stamped with the moment they are created: made with the clock on that day."""

    def dated(actor, clock):
        def make(n):
            clock(n)
            maker(actor, title=f"On {n}")
            clock(0)

        return make

    return dated


@pytest.mark.parametrize(
    "topic, label, dated",
    [
        (Topic.CUSTOMERS, "Complaints", dated_complaints),
        (Topic.NONCONFORMITIES, "Reported", dated_nonconformities),
        (Topic.MONITORING, "Calibrations", dated_calibrations),
        (Topic.PROVIDERS, "Evaluations", dated_evaluations),
        (Topic.RESOURCES, "Training completed", dated_training),
        (Topic.RESOURCES, "Training due in the period", dated_assignments),
        (Topic.CONTEXT, "New issues", created_on_the_day(make_issue)),
        (Topic.IMPROVEMENT, "Proposed", created_on_the_day(make_improvement)),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_records_on_the_first_and_last_day_count_and_not_a_day_outside(
    quality_manager, review, clock, topic, label, dated
):
    make = dated(quality_manager, clock)
    for n in OFFSETS:
        make(n)
    section = build(topic, review, start=days(-60), end=days(-2))
    assert figure(section, label) == 2
    assert section.missing is False
    assert figure(build(topic, review, start=days(-61), end=days(-1)), label) == 4


# == the stored pack =========================================================================
# With every register empty, only these inputs have something to say: a first review has no
# earlier decisions to follow, and nonconformities count their zeros.
COVERED_WHEN_EMPTY = (Topic.PREVIOUS_ACTIONS, Topic.NONCONFORMITIES)


@pytest.fixture
def packed(quality_manager, review, capture):
    """The pack of the review, generated by the real worker from empty registers."""
    return generate_pack(quality_manager, review, capture)


def stored(review, topic) -> ReviewInput:
    return review.inputs.get(topic=topic)


class TestTheStoredPack:
    def test_it_holds_one_input_per_topic_in_the_order_of_9_3_2(self, packed, top_manager):
        rows = list(packed.inputs.order_by("position"))
        assert [(i.position, i.topic, i.title) for i in rows] == [
            (n, topic.value, topic.label) for n, topic in enumerate(Topic, start=1)
        ]
        assert all(re.fullmatch(r"MRI-\d{4}-\d{4}", i.reference) for i in rows)
        assert len({i.reference for i in rows}) == 12
        assert {(i.owner_id, i.status, i.comment) for i in rows} == {
            (top_manager.pk, "to_review", "")
        }

    def test_the_job_reports_its_progress_and_the_inputs_missing(self, packed):
        job = Job.objects.get(pk=packed.pack_job_id)
        assert job.state == Job.State.SUCCEEDED
        assert (job.done, job.total) == (13, 13)
        missing = [t.label for t in Topic if t not in COVERED_WHEN_EMPTY]
        assert job.summary["review"] == packed.reference
        assert job.summary["inputs"] == 12
        assert job.summary["missing"] == missing
        assert packed.pack_generated_at is not None
        assert Topic.CUSTOMERS.label + ":" in job.log

    def test_an_input_without_data_is_stored_as_missing_with_its_sentence(self, packed):
        item = stored(packed, Topic.PROVIDERS)
        assert item.data_missing is True
        assert item.summary == "No external provider was evaluated in the period (8.4.1)."
        assert (item.figures, item.details, item.chart) == ([], [], "")

    def test_figures_are_json_and_decimal_averages_become_numbers(
        self, quality_manager, review, capture
    ):
        evaluate(quality_manager, make_supplier(quality_manager), q=90, d=85, r=80)
        evaluate(quality_manager, make_supplier(quality_manager, title="B"), q=55, d=40, r=50)
        survey = make_survey(quality_manager)
        add_responses(quality_manager, survey, [{"satisfaction": 5, "recommend": 9}] * 3)
        review = generate_pack(quality_manager, review, capture)

        providers = stored(review, Topic.PROVIDERS).figures
        assert ["Average score", 68.0] in providers
        assert type(dict(providers)["Average score"]) is float
        customers = dict(stored(review, Topic.CUSTOMERS).figures)
        assert customers["Satisfaction (CSAT %)"] == 100.0
        assert type(customers["Net promoter score"]) is float
        for item in review.inputs.all():
            assert json.loads(json.dumps(item.figures)) == item.figures

    def test_generating_is_written_to_the_change_log(self, packed):
        started, entry = log_of(packed, "generate-pack").order_by("id")
        assert "missing" not in started.after  # the action that starts the job ...
        assert started.after["pack_job_id"] is not None
        assert entry.actor_name == "Quinn Quality"  # ... and the job that stores the pack
        assert entry.after["missing"] == [t.label for t in Topic if t not in COVERED_WHEN_EMPTY]
        assert entry.after["pack_generated_at"] is not None
        assert entry.before["pack_generated_at"] is None
        for item in packed.inputs.all():
            logged = log_of(item, "generate").get()
            assert logged.before is None
            assert logged.after["summary"] == item.summary

    def test_generating_again_reads_the_registers_again_and_keeps_the_comments(
        self, quality_manager, top_manager, packed, capture
    ):
        item = stored(packed, Topic.CUSTOMERS)
        comment_all(top_manager, packed, "Seen; survey planned.")
        log_complaint(quality_manager, make_customer(quality_manager))

        review = generate_pack(quality_manager, packed, capture)

        item = stored(review, Topic.CUSTOMERS)
        assert item.data_missing is False
        assert item.summary.startswith("1 complaint (0 justified)")
        assert item.comment == "Seen; survey planned."
        assert item.status == "to_review"  # the figures changed: the comment is confirmed again
        assert "changed when the pack was generated again" in item.signing_refusal()
        unchanged = stored(review, Topic.PROVIDERS)
        assert (unchanged.status, unchanged.signing_refusal()) == ("commented", None)
        assert item.version == 3  # generated, commented, generated again
        assert log_of(item, "regenerate").count() == 1
        assert log_of(review, "generate-pack").exclude(after__missing=None).count() == 2
        assert review.inputs.count() == 12


# == charts ==================================================================================
@pytest.fixture
def everything(quality_manager, top_manager, process_owner, employee, capture):
    """Registers holding data for every input, an earlier review's decision among them, and
    the pack of this year's review generated from them."""
    earlier, (decision,) = earlier_review_with_decisions(
        quality_manager, top_manager, capture, dues=[30]
    )
    make_issue(quality_manager, title="Energy prices")
    log_complaint(quality_manager, make_customer(quality_manager), justified=True)
    machining = make_process(quality_manager, title="Machining")
    kpi = make_kpi(quality_manager, process=machining, target=95, threshold=90)
    measure(quality_manager, kpi, 80)
    make_objective(quality_manager, title="Deliver on time", kpi=kpi, target=95)
    make_nc(quality_manager, title="Bores oversize", severity="major")
    calibrate(quality_manager, make_instrument(quality_manager), on=days(-10))
    reported_audit_with_findings(quality_manager, auditor(quality_manager), ["minor", "ofi"])
    evaluate(quality_manager, make_supplier(quality_manager))
    make_training(quality_manager, process_owner, make_course(quality_manager))
    make_risk(quality_manager, title="Spindle failure")
    make_improvement(employee, title="Shadow boards")
    review = plan_review(quality_manager, top_manager, title="Annual management review")
    return generate_pack(quality_manager, review, capture)


def test_every_input_with_data_has_a_chart_for_screen_readers(everything):
    inputs = list(everything.inputs.order_by("position"))
    assert [i.topic for i in inputs if i.data_missing] == []
    for item in inputs:
        assert item.chart.startswith("<svg "), item.topic
        assert 'role="img"' in item.chart, item.topic
        assert re.search(r"<title id=\"[^\"]+\">[^<]+</title>", item.chart), item.topic
        assert "<script" not in item.chart


@pytest.fixture
def hostile(quality_manager, top_manager, capture):
    """A process and a KPI whose titles hold a script, the KPI off track."""
    process = make_process(quality_manager, title=SCRIPT)
    kpi = make_kpi(quality_manager, title=f"Yield {SCRIPT}", process=process, target=95)
    measure(quality_manager, kpi, 80)
    review = plan_review(quality_manager, top_manager)
    return generate_pack(quality_manager, review, capture)


def test_a_script_in_a_label_is_stored_escaped_in_the_chart(hostile):
    chart = stored(hostile, Topic.PROCESSES).chart
    assert ESCAPED in chart  # the process is the label of its bar
    assert "<script" not in chart


def test_a_script_in_a_label_is_shown_as_text_on_the_review_page(
    client_for, quality_manager, hostile
):
    response = client_for(quality_manager).get(f"/reviews/management-reviews/{hostile.reference}/")
    content = response.content.decode()
    assert response.status_code == 200
    assert SCRIPT not in content
    assert "&amp;lt;script" not in content  # escaped once, not twice
    assert f">{ESCAPED}</text>" in content  # the chart's label
    assert f"Yield {ESCAPED} ({ESCAPED})" in content  # the KPI named under the input


def test_a_script_in_a_label_is_shown_as_text_on_the_input_page(
    client_for, quality_manager, hostile
):
    item = stored(hostile, Topic.PROCESSES)
    response = client_for(quality_manager).get(f"/reviews/review-inputs/{item.reference}/")
    content = response.content.decode()
    assert response.status_code == 200
    assert SCRIPT not in content
    assert f">{ESCAPED}</text>" in content
    assert 'role="img"' in content


# == readiness: 9.3.1, 9.3.2 and 9.3.3 =======================================================
def held_check(person):
    return check_result(person, "9.3.1", readiness.review_held_at_planned_intervals)


def inputs_check(person):
    return check_result(person, "9.3.2", readiness.every_input_covered)


def outputs_check(person):
    return check_result(person, "9.3.3", readiness.decisions_recorded_and_tracked)


def review_held_on(actor, chair, capture, held_on):
    """A review of the year before `held_on`, held that day, its minutes signed today."""
    review = plan_review(
        actor,
        chair,
        planned_date=held_on,
        period_start=held_on - timedelta(days=365),
        period_end=held_on,
    )
    review = generate_pack(actor, review, capture)
    comment_all(actor, review)
    hold(actor, review, [chair], held_on=held_on)
    decide(actor, review, actor)
    return sign(chair, review)


@pytest.fixture
def signed(quality_manager, top_manager, capture):
    return signed_review(quality_manager, top_manager, capture)


class TestReadiness:
    @pytest.mark.parametrize("check", [held_check, inputs_check, outputs_check])
    def test_each_check_is_missing_while_no_minutes_are_signed(
        self, quality_manager, packed, check
    ):
        result = check(quality_manager)
        assert result.status == Status.MISSING
        assert result.sentence == "No management review has signed minutes yet."
        assert result.evidence[0].url == "/reviews/management-reviews/"

    def test_9_3_1_is_met_by_a_signed_review_within_the_interval_chaired_by_top_management(
        self, quality_manager, signed
    ):
        result = held_check(quality_manager)
        assert result.status == Status.MET
        assert result.sentence == (
            f"Last management review {today():%Y-%m-%d}, chaired by Tess Top; minutes signed."
        )
        assert result.evidence[0].url == f"/reviews/management-reviews/{signed.reference}/"

    @pytest.mark.parametrize("months_ago, day_before, status", [(12, 0, "met"), (12, 1, "pm")])
    def test_9_3_1_holds_for_exactly_the_interval_and_not_a_day_longer(
        self, quality_manager, top_manager, capture, months_ago, day_before, status
    ):
        from norma.documents.models import add_months

        held_on = add_months(today(), -months_ago) - timedelta(days=day_before)
        review_held_on(quality_manager, top_manager, capture, held_on)
        result = held_check(quality_manager)
        if status == "met":
            assert result.status == Status.MET, result.sentence
        else:
            assert result.status == Status.PARTLY_MET
            assert result.sentence == (
                f"Last management review {held_on:%Y-%m-%d}, chaired by Tess Top; it is more "
                "than 12 months old: the next review is overdue."
            )

    def test_9_3_1_follows_the_interval_set_for_the_organisation(
        self, settings, quality_manager, top_manager, capture
    ):
        review_held_on(quality_manager, top_manager, capture, days(-200))
        assert held_check(quality_manager).status == Status.MET
        settings.NORMA_REVIEW_INTERVAL_MONTHS = 6
        result = held_check(quality_manager)
        assert result.status == Status.PARTLY_MET
        assert "it is more than 6 months old: the next review is overdue" in result.sentence

    def test_9_3_1_is_partly_met_when_the_chair_left_top_management(
        self, quality_manager, top_manager, signed
    ):
        top_manager.groups.clear()
        result = held_check(quality_manager)
        assert result.status == Status.PARTLY_MET
        assert result.sentence == (
            f"Last management review {today():%Y-%m-%d}, chaired by Tess Top; its chair, Tess "
            "Top, is not in top management."
        )

    def test_9_3_1_is_partly_met_when_the_signed_minutes_were_changed(
        self, quality_manager, signed
    ):
        ManagementReview.objects.filter(pk=signed.pk).update(minutes="Rewritten afterwards.")
        result = held_check(quality_manager)
        assert result.status == Status.PARTLY_MET
        assert result.sentence.endswith("; its minutes were changed after they were signed.")

    def test_9_3_1_is_partly_met_when_a_signed_comment_was_changed(self, quality_manager, signed):
        ReviewInput.objects.filter(review=signed, topic=Topic.RISKS).update(comment="Fine.")
        assert held_check(quality_manager).status == Status.PARTLY_MET

    def test_9_3_2_names_the_inputs_without_data_and_counts_those_covered(
        self, quality_manager, top_manager, capture
    ):
        log_complaint(quality_manager, make_customer(quality_manager))
        make_nc(quality_manager, title="Bores oversize")
        signed_review(quality_manager, top_manager, capture)
        result = inputs_check(quality_manager)
        covered = (*COVERED_WHEN_EMPTY, Topic.CUSTOMERS)
        uncovered = [t.label.lower() for t in Topic if t not in covered]
        assert result.status == Status.PARTLY_MET
        assert result.sentence == (
            f"Last management review {today():%Y-%m-%d} covered 3 of 12 required inputs; "
            f"missing: {'; '.join(uncovered)}."
        )

    def test_9_3_2_is_met_when_every_input_had_data(self, quality_manager, top_manager, everything):
        comment_all(quality_manager, everything)
        hold(quality_manager, everything, [top_manager])
        decide(quality_manager, everything, quality_manager)
        sign(top_manager, everything)
        result = inputs_check(quality_manager)
        assert result.status == Status.MET, result.sentence
        assert result.sentence == (
            f"Last management review {today():%Y-%m-%d} covered 12 of 12 required inputs."
        )

    def test_9_3_3_is_partly_met_when_the_review_decided_nothing(
        self, quality_manager, top_manager, capture
    ):
        review = signed_review(quality_manager, top_manager, capture, decisions=0)
        result = outputs_check(quality_manager)
        assert result.status == Status.PARTLY_MET
        assert result.sentence == (
            f"{review.reference} recorded no decision on improvement, changes or resources."
        )

    def test_9_3_3_is_met_with_decisions_none_overdue(self, quality_manager, top_manager, capture):
        review = signed_review(quality_manager, top_manager, capture, decisions=2)
        result = outputs_check(quality_manager)
        assert result.status == Status.MET
        assert result.sentence == f"{review.reference} recorded 2 decisions; none is overdue."
        assert result.evidence[-1].url == "/reviews/review-decisions/?status=open"

    def test_9_3_3_is_partly_met_once_an_open_decision_is_overdue(
        self, quality_manager, top_manager, capture, clock
    ):
        review = signed_review(quality_manager, top_manager, capture, decisions=1)
        clock(31)  # decided due in 30 days
        result = outputs_check(quality_manager)
        assert result.status == Status.PARTLY_MET
        assert result.sentence == (
            f"{review.reference} recorded 1 decision; 1 review decision is overdue."
        )

    def test_9_3_3_a_decision_done_is_not_overdue(
        self, quality_manager, top_manager, capture, clock
    ):
        review = signed_review(quality_manager, top_manager, capture, decisions=1)
        complete(review.decisions.get(), quality_manager)
        clock(31)
        assert outputs_check(quality_manager).status == Status.MET


# == the minutes as PDF and DOCX =============================================================
@pytest.fixture
def minutes_signed(quality_manager, top_manager, employee, everything):
    """This year's review, every input commented, held, one decision, signed by Tess Top."""
    comment_all(quality_manager, everything, "Reviewed at the meeting.")
    hold(quality_manager, everything, [top_manager, employee])
    decide(quality_manager, everything, employee, title="Second CMM", kind="resources")
    return sign(top_manager, everything)


def minutes_url(review, kind="pdf"):
    return f"/api/v1/reviews/minutes/{review.reference}?format={kind}"


class TestTheMinutes:
    def test_the_pdf_holds_the_review_its_inputs_decisions_and_signature(
        self, api_for, quality_manager, minutes_signed
    ):
        response = api_for(quality_manager).get(minutes_url(minutes_signed))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
        text = pdf_text(response.content)
        decision = minutes_signed.decisions.get()
        for expected in (
            minutes_signed.reference,
            Topic.CUSTOMERS.label,
            Topic.IMPROVEMENT.label,
            "Reviewed at the meeting.",
            decision.reference,
            "Second CMM",
            "Eve Employee",  # an attendee and the decision's owner
            "Approved by Tess Top on",
        ):
            assert expected in text, expected
        assert "Not signed" not in text

    def test_a_draft_pdf_says_it_is_not_signed(self, api_for, quality_manager, packed):
        text = pdf_text(api_for(quality_manager).get(minutes_url(packed)).content)
        assert "Not signed: these minutes are a draft." in text
        assert "Approved by" not in text

    def test_the_docx_has_a_heading_per_input_and_the_decisions_table(
        self, api_for, quality_manager, minutes_signed
    ):
        response = api_for(quality_manager).get(minutes_url(minutes_signed, "docx"))
        assert response.status_code == 200
        assert response["Content-Type"] == (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        )
        document = docx_of(response.content)
        headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
        assert headings == [t.label for t in Topic]
        decision = minutes_signed.decisions.get()
        table = next(t for t in document.tables if t.rows[0].cells[0].text == "Decision")
        assert [c.text for c in table.rows[0].cells] == [
            "Decision",
            "Kind",
            "What was decided",
            "Owner",
            "Due",
        ]
        assert [c.text for c in table.rows[1].cells] == [
            decision.reference,
            "Resource need",
            "Second CMM\nDecided at the review.",
            "Eve Employee",
            f"{decision.due_date:%Y-%m-%d}",
        ]
        text = docx_text(document)
        assert "Approved by Tess Top on" in text
        assert "Not signed" not in text

    def test_a_draft_docx_says_it_is_not_signed(self, api_for, quality_manager, packed):
        document = docx_of(api_for(quality_manager).get(minutes_url(packed, "docx")).content)
        text = docx_text(document)
        assert "Not signed: these minutes are a draft." in text
        assert "No decisions recorded." in text
        assert "Approved by" not in text

    @pytest.mark.parametrize("kind", ["pdf", "docx"])
    def test_the_page_offers_the_same_minutes_as_a_download(
        self, client_for, quality_manager, packed, kind
    ):
        url = f"/reviews/management-reviews/{packed.reference}/minutes.{kind}"
        response = client_for(quality_manager).get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"] == (
            f'attachment; filename="{packed.reference}-management-review.{kind}"'
        )
        assert response["X-Content-Type-Options"] == "nosniff"

    def test_an_unknown_format_is_refused(self, api_for, quality_manager, packed):
        response = api_for(quality_manager).get(minutes_url(packed, "xlsx"))
        assert response.status_code == 422
        assert "format" in response.json()["errors"]

    def test_unknown_minutes_are_not_found(self, api_for, quality_manager, db):
        response = api_for(quality_manager).get("/api/v1/reviews/minutes/MR-1999-0001")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "errors": {}}

    @pytest.mark.parametrize("kind", ["pdf", "docx"])
    def test_an_employee_may_not_read_the_minutes(self, api_for, employee, packed, kind):
        response = api_for(employee).get(minutes_url(packed, kind))
        assert response.status_code == 403
        assert response.json()["detail"] == "You do not have the right to do this."


# == the pack through the API ================================================================
def pack_url(review):
    return f"/api/v1/reviews/packs/{review.reference}"


class TestThePackApi:
    def test_it_gives_the_pack_as_stored_one_entry_per_input(
        self, api_for, quality_manager, top_manager, packed
    ):
        comment_all(top_manager, packed, "Seen.")
        response = api_for(quality_manager).get(pack_url(packed))
        assert response.status_code == 200
        body = response.json()
        packed = fresh(packed)
        assert body["review"] == packed.reference
        assert (body["period_start"], body["period_end"]) == (
            packed.period_start.isoformat(),
            packed.period_end.isoformat(),
        )
        assert body["generated_at"] == packed.pack_generated_at.isoformat()
        assert [i["topic"] for i in body["inputs"]] == [t.value for t in Topic]
        first = body["inputs"][0]
        item = stored(packed, Topic.PREVIOUS_ACTIONS)
        assert first == {
            "reference": item.reference,
            "topic": "previous_actions",
            "title": Topic.PREVIOUS_ACTIONS.label,
            "summary": item.summary,
            "figures": [],
            "data_missing": False,
            "missing_acknowledged": False,
            "comment": "Seen.",
            "version": 2,
        }
        nonconformities = body["inputs"][5]
        assert nonconformities["figures"][0] == ["Reported", 0]
        assert "chart" not in nonconformities

    def test_before_the_pack_is_generated_it_has_no_inputs(self, api_for, quality_manager, review):
        body = api_for(quality_manager).get(pack_url(review)).json()
        assert (body["generated_at"], body["inputs"]) == (None, [])

    def test_an_unknown_review_is_not_found(self, api_for, quality_manager, db):
        response = api_for(quality_manager).get("/api/v1/reviews/packs/MR-1999-0001")
        assert response.status_code == 404
        assert response.json()["detail"] == "Not found."

    @pytest.mark.parametrize(
        "persona, status",
        [
            ("quality_manager", 200),
            ("top_manager", 200),
            ("process_owner", 200),
            ("internal_auditor", 200),
            ("external_auditor", 200),
            ("employee", 403),
            ("nobody", 403),
        ],
        indirect=["persona"],
    )
    def test_who_may_read_the_pack(self, api_for, persona, status, review):
        response = api_for(persona).get(pack_url(review))
        assert response.status_code == status
        if status == 403:
            assert response.json()["detail"] == "You do not have the right to do this."
        else:
            assert response.json()["review"] == review.reference


# == the register lists cost the same for few or many rows ===================================
@pytest.fixture
def chairs(db):
    return [PersonFactory(full_name=f"Top {n}", roles=[RoleCode.TOP_MANAGEMENT]) for n in range(4)]


def plan_reviews(actor, chairs, start, count):
    for n in range(start, start + count):
        plan_review(actor, chairs[n % len(chairs)], title=f"Review {n}")


def test_the_reviews_list_costs_the_same_with_3_or_12_reviews(client_for, quality_manager, chairs):
    client, url = client_for(quality_manager), "/reviews/management-reviews/"
    plan_reviews(quality_manager, chairs, 0, 3)
    count_queries(client, url)  # warms the process-wide content-type cache
    few, _ = count_queries(client, url)
    plan_reviews(quality_manager, chairs, 3, 9)
    many, sql = count_queries(client, url)
    assert many == few, "\n".join(sql)
    assert "Review 11" in client.get(url).content.decode()


def test_the_inputs_list_costs_the_same_with_1_or_2_packs(
    client_for, quality_manager, chairs, capture
):
    client, url = client_for(quality_manager), "/reviews/review-inputs/"
    generate_pack(quality_manager, plan_review(quality_manager, chairs[0]), capture)
    count_queries(client, url)
    few, _ = count_queries(client, url)
    generate_pack(quality_manager, plan_review(quality_manager, chairs[1]), capture)
    many, sql = count_queries(client, url)
    assert many == few, "\n".join(sql)
    assert ReviewInput.objects.count() == 24


def test_the_decisions_list_costs_the_same_with_2_or_14_decisions(
    client_for, quality_manager, chairs, capture
):
    client, url = client_for(quality_manager), "/reviews/review-decisions/"
    review = generate_pack(quality_manager, plan_review(quality_manager, chairs[0]), capture)
    hold(quality_manager, review, [chairs[0]])
    owners = [*chairs, quality_manager]

    def record(start, count):
        for n in range(start, start + count):
            decide(quality_manager, review, owners[n % len(owners)], title=f"Decision {n}")

    record(0, 2)
    count_queries(client, url)
    few, _ = count_queries(client, url)
    record(2, 12)
    many, sql = count_queries(client, url)
    assert many == few, "\n".join(sql)
    assert ReviewDecision.objects.count() == 14


def test_the_review_page_costs_the_same_with_2_or_14_decisions(
    client_for, quality_manager, chairs, capture
):
    review = generate_pack(quality_manager, plan_review(quality_manager, chairs[0]), capture)
    hold(quality_manager, review, chairs)
    client, url = client_for(quality_manager), f"/reviews/management-reviews/{review.reference}/"
    owners = [*chairs, quality_manager]
    for n in range(2):
        decide(quality_manager, review, owners[n], title=f"Decision {n}")
    count_queries(client, url)
    few, _ = count_queries(client, url)
    for n in range(2, 14):
        decide(quality_manager, review, owners[n % len(owners)], title=f"Decision {n}")
    many, sql = count_queries(client, url)
    assert many == few, "\n".join(sql)
    assert "Decision 13" in client.get(url).content.decode()
