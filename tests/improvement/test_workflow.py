"""8.7 and 10.2: the nonconformity loop (reported → containment → analysis → action plan →
implementation → effectiveness check → closed) and the rules that guard each step, through the
actions, the web action route and the API.

Unless a test says otherwise, Eve Employee reports the problem, Quinn Quality triages it, Owen
Owner owns it (contains it, analyses it, plans and does the corrective action) and Ada Auditor
verifies the fix.
"""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from norma.core.actions import ActionRefused, CreateRecord, NotPermitted, UpdateRecord
from norma.core.changelog import history_for
from norma.core.models import SignatureMeaning
from norma.core.signatures import signature_holds, signatures_for
from norma.improvement import actions as steps
from norma.improvement.actions import raise_nonconformity
from norma.improvement.analysis import AddCause, ChangeCause, RecordEightDStep, RemoveCause
from norma.improvement.models import CorrectiveAction, Nonconformity, Verification
from norma.improvement.registers import CorrectiveActionRegister
from tests.factories import PASSWORD, PersonFactory, make_process, measure_process
from tests.improvement.helpers import add_action, fresh, make_nc, walk
from tests.kit import form_data

NCS = "/improvement/nonconformities/"
API = "/api/v1/improvement/nonconformities/"
ACTIONS_API = "/api/v1/improvement/corrective-actions/"
ELSEWHERE = "Checked the Porto line: same fixture, no oversize found."


# -- helpers ---------------------------------------------------------------------------------
def today():
    return timezone.localdate()


def days(n: int) -> str:
    return (today() + timedelta(days=n)).isoformat()


def do(nc, code: str) -> str:
    return f"{NCS}{nc.reference}/do/{code}/"


def api_do(nc, code: str) -> str:
    return f"{API}{nc.reference}/actions/{code}"


def analysis_url(nc, tail: str = "") -> str:
    return f"{API}{nc.reference}/analysis{tail}"


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def run(action_class, actor, nc, reason: str = "", **data):
    return action_class(actor, fresh(nc), data=data, reason=reason).execute()


def state(nc) -> dict:
    """Everything a refused step must leave as it was."""
    nc = fresh(nc)
    return {
        "record": (
            nc.status,
            nc.version,
            nc.analysis_round,
            nc.owner_id,
            nc.kind,
            nc.disposition,
            nc.elsewhere,
            nc.verifier_id,
            nc.verification_due,
            nc.closed_on,
            nc.due_date,
        ),
        "actions": list(nc.actions.order_by("pk").values_list("status", "evidence")),
        "causes": list(nc.causes.values_list("statement", "verified", "is_root")),
        "verifications": nc.verifications.count(),
        "signatures": signatures_for(nc).count(),
        "log": history_for(nc).count(),
    }


def refused(action_class, actor, nc, reason: str = "", **data) -> ActionRefused:
    """Run the step, expect a refusal, and check that nothing changed."""
    before = state(nc)
    with pytest.raises(ActionRefused) as caught:
        run(action_class, actor, nc, reason=reason, **data)
    assert state(nc) == before
    return caught.value


def logged_steps(nc) -> list[str]:
    return list(reversed(history_for(nc).values_list("action", flat=True)))


def plan_check(verifier) -> dict:
    return {
        "verification_criteria": "No oversize bore in the next three batches",
        "verification_due": days(30),
        "verifier": verifier.pk,
    }


def close(verifier, nc):
    reason = "Three batches measured: all in"
    return run(steps.VerifyEffective, verifier, nc, reason=reason, password=PASSWORD)


@pytest.fixture
def to(employee, quality_manager, process_owner, internal_auditor):
    """`to("analysis", method=...)`: a new nonconformity taken to that step by the usual cast."""

    def take(status, method="five_whys", **people):
        cast = {
            "triager": quality_manager,
            "owner": process_owner,
            "verifier": internal_auditor,
            **people,
        }
        return walk(make_nc(employee), to=status, method=method, **cast)

    return take


# -- the whole loop --------------------------------------------------------------------------
LOOP = {
    "five_whys": ["add-cause"],
    "ishikawa": ["add-cause"],
    "eight_d": ["eight-d"] * 5 + ["add-cause"],
}


@pytest.mark.parametrize("method", ["five_whys", "ishikawa", "eight_d"])
def test_each_method_ends_closed_signed_verified_and_logged(method, to, internal_auditor):
    nc = to("closed", method=method)

    assert (nc.status, nc.closed_on, nc.due_date) == ("closed", today(), None)
    check = nc.verifications.get()
    assert (check.result, check.verified_by, check.analysis_round) == (
        Verification.Result.EFFECTIVE,
        internal_auditor,
        1,
    )
    assert check.evidence == "Sampled 20 parts: all good"
    assert check.criteria == "No repeat in three months"
    signature = signatures_for(nc).get()
    assert (signature.meaning, signature.signer) == (SignatureMeaning.VERIFIED, internal_auditor)
    assert signature.record_version == nc.version
    assert signature_holds(signature, nc)
    fix_steps = ["eight-d"] * 3 if method == "eight_d" else []
    assert logged_steps(nc) == [
        "report",
        "triage",
        "analyse",
        *LOOP[method],
        "complete-analysis",
        "implement",
        "implemented",
        *fix_steps,
        "effective",
    ]
    if method == "eight_d":
        d8 = nc.eight_d_steps.get(discipline=8)
        assert (d8.done_on, d8.done_by, d8.notes) == (
            today(),
            internal_auditor,
            "Sampled 20 parts: all good",
        )
        assert not nc.eight_d_steps.filter(done_on__isnull=True).exists()
    else:
        assert not nc.eight_d_steps.exists()


def test_the_closure_signature_is_bound_to_this_record(to):
    closed, other = to("closed"), to("closed")
    signature = signatures_for(closed).get()
    assert signature_holds(signature, closed)
    assert not signature_holds(signature, other)


def test_the_web_action_route_takes_a_nonconformity_to_closure(
    employee, quality_manager, process_owner, internal_auditor, client_for
):
    nc = make_nc(employee)
    owner, triager, verifier = (
        client_for(process_owner),
        client_for(quality_manager),
        client_for(internal_auditor),
    )

    def post(client, code, **body):
        response = client.post(do(nc, code), {"version": fresh(nc).version, **body})
        assert response.status_code == 302
        said = list(get_messages(response.wsgi_request))
        assert not [str(m) for m in said if m.level_tag == "error"]
        assert f"{nc.reference}: done." in [str(m) for m in said]

    post(triager, "triage", owner=process_owner.pk, kind="process", severity="major")
    containment = add_action(process_owner, nc, kind="containment")
    post(owner, "analyse", method="five_whys")
    post(owner, "add-cause", statement="The gauge was not calibrated", is_root="1")
    post(owner, "complete-analysis", elsewhere=ELSEWHERE)
    body = form_data(
        CorrectiveActionRegister,
        nonconformity=nc.pk,
        kind="corrective",
        title="Calibrate gauges monthly",
        owner=process_owner.pk,
        due_date=days(20),
    )
    assert owner.post("/improvement/corrective-actions/new/", body).status_code == 302
    post(owner, "implement")
    corrective = nc.actions.get(kind="corrective")
    response = owner.post(
        f"/improvement/corrective-actions/{corrective.reference}/do/done/",
        {"version": corrective.version, "evidence": "Calibration plan CP-7 issued"},
    )
    assert response.status_code == 302 and "done" in messages_of(response)
    response = owner.post(
        f"/improvement/corrective-actions/{containment.reference}/do/done/",
        {"version": containment.version, "evidence": "Batch released after re-measuring"},
    )
    assert response.status_code == 302 and "done" in messages_of(response)
    post(owner, "implemented", **plan_check(internal_auditor))
    post(verifier, "effective", reason="Three batches measured: all in", password=PASSWORD)

    nc = fresh(nc)
    assert (nc.status, nc.closed_on, nc.elsewhere) == ("closed", today(), ELSEWHERE)
    assert nc.causes.get().statement == "The gauge was not calibrated"
    assert signatures_for(nc).get().signer == internal_auditor
    page = owner.get(f"{NCS}{nc.reference}/")
    assert "Three batches measured: all in" in page.content.decode()


def test_the_api_takes_a_nonconformity_to_closure(
    employee, quality_manager, process_owner, internal_auditor, api_for
):
    nc = make_nc(employee)
    owner, triager, verifier = (
        api_for(process_owner),
        api_for(quality_manager),
        api_for(internal_auditor),
    )

    def act(client, url, body=None, method="post", etag=None):
        etag = etag or fresh(nc).etag
        response = getattr(client, method)(url, body or {}, **{"If-Match": etag})
        assert response.status_code in (200, 201), response.json()
        return response.json()

    answer = act(
        triager,
        api_do(nc, "triage"),
        {"owner": process_owner.pk, "kind": "process", "severity": "major"},
    )
    assert (answer["status"], answer["owner"], answer["severity"]) == (
        "containment",
        process_owner.pk,
        "major",
    )
    containment = owner.post(
        ACTIONS_API,
        {
            "nonconformity": nc.pk,
            "kind": "containment",
            "title": "Quarantine batch 12",
            "owner": process_owner.pk,
            "due_date": days(2),
        },
    )
    assert containment.status_code == 201, containment.json()
    assert act(owner, api_do(nc, "analyse"), {"method": "ishikawa"})["status"] == "analysis"
    analysis = act(
        owner,
        analysis_url(nc, "/causes"),
        {"statement": "Worn fixture", "category": "machine", "verified": True, "is_root": True},
    )
    assert [c["statement"] for c in analysis["causes"]] == ["Worn fixture"]
    answer = act(owner, api_do(nc, "complete-analysis"), {"elsewhere": ELSEWHERE})
    assert (answer["status"], answer["elsewhere"]) == ("action_plan", ELSEWHERE)
    corrective = owner.post(
        ACTIONS_API,
        {
            "nonconformity": nc.pk,
            "kind": "corrective",
            "title": "Replace the fixture every 10,000 parts",
            "owner": process_owner.pk,
            "due_date": days(20),
        },
    ).json()
    assert act(owner, api_do(nc, "implement"))["status"] == "implementation"
    done = owner.post(
        f"{ACTIONS_API}{corrective['reference']}/actions/done",
        {"evidence": "Fixture replaced; life counter set"},
        **{"If-Match": f'"{corrective["version"]}"'},
    )
    assert done.status_code == 200 and done.json()["status"] == "done", done.json()
    lifted = owner.post(  # containment ends once the fix is in: nothing stays open at closure
        f"{ACTIONS_API}{containment.json()['reference']}/actions/done",
        {"evidence": "Batch 12 released after re-measuring"},
        **{"If-Match": f'"{containment.json()["version"]}"'},
    )
    assert lifted.status_code == 200, lifted.json()
    answer = act(owner, api_do(nc, "implemented"), plan_check(internal_auditor))
    assert (answer["status"], answer["verifier"]) == ("verification", internal_auditor.pk)
    answer = act(
        verifier,
        api_do(nc, "effective"),
        {"reason": "Three batches measured: all in", "password": PASSWORD},
    )
    assert answer["status"] == "closed"
    nc = fresh(nc)
    assert nc.closed_on == today()
    assert signatures_for(nc).get().meaning == SignatureMeaning.VERIFIED


# -- guards: each refuses with a message and changes nothing ----------------------------------
def test_analysis_needs_a_correction_or_containment_action(to, process_owner):
    nc = to("containment")
    refusal = refused(steps.StartAnalysis, process_owner, nc, method="five_whys")
    assert refusal.message == "Record at least one correction or containment action first."


def test_a_cancelled_containment_action_does_not_count(to, process_owner):
    nc = to("containment")
    action = add_action(process_owner, nc, kind="containment")
    steps.CancelCorrectiveAction(process_owner, action, reason="Wrong batch").execute()
    refusal = refused(steps.StartAnalysis, process_owner, nc, method="five_whys")
    assert "correction or containment" in refusal.message


def test_a_nonconforming_output_needs_its_disposition_before_analysis(
    employee, quality_manager, process_owner
):
    nc = make_nc(employee)
    run(steps.Triage, quality_manager, nc, owner=process_owner.pk, kind="output", severity="major")
    add_action(process_owner, nc, kind="containment")
    refusal = refused(steps.StartAnalysis, process_owner, nc, method="five_whys")
    assert "Decide the disposition" in refusal.message
    run(steps.DecideDisposition, process_owner, nc, disposition="scrap", segregated="1")
    assert run(steps.StartAnalysis, process_owner, nc, method="five_whys").status == "analysis"


def test_an_empty_five_whys_chain_cannot_complete(to, process_owner):
    nc = to("analysis")
    refusal = refused(steps.CompleteAnalysis, process_owner, nc, elsewhere=ELSEWHERE)
    assert refusal.message == "The 5-Whys chain is empty: answer at least the first why."


@pytest.mark.parametrize("method", ["five_whys", "ishikawa"])
def test_the_analysis_needs_a_root_cause(method, to, process_owner):
    nc = to("analysis", method=method)
    run(AddCause, process_owner, nc, statement="Operator rushed", category="man", verified="1")
    refusal = refused(steps.CompleteAnalysis, process_owner, nc, elsewhere=ELSEWHERE)
    assert refusal.message == "Mark at least one cause as a root cause."


def test_an_unverified_fishbone_root_cause_cannot_complete(to, process_owner):
    nc = to("analysis", method="ishikawa")
    run(AddCause, process_owner, nc, statement="Worn fixture", category="machine", is_root="1")
    refusal = refused(steps.CompleteAnalysis, process_owner, nc, elsewhere=ELSEWHERE)
    assert refusal.message == "A root cause on the fishbone must be verified with evidence."
    cause = fresh(nc).causes.get()
    run(ChangeCause, process_owner, nc, cause=cause.pk, verified="1", evidence="Wear 0.2 mm")
    assert run(steps.CompleteAnalysis, process_owner, nc, elsewhere=ELSEWHERE).status == (
        "action_plan"
    )


def test_an_unverified_root_cause_is_enough_for_five_whys(to, process_owner):
    nc = to("analysis")
    run(AddCause, process_owner, nc, statement="No check", is_root="1")
    assert run(steps.CompleteAnalysis, process_owner, nc, elsewhere=ELSEWHERE).status == (
        "action_plan"
    )


def test_an_eight_d_needs_d0_to_d4_done_before_the_analysis_completes(to, process_owner):
    nc = to("analysis", method="eight_d")
    for discipline in range(3):
        run(RecordEightDStep, process_owner, nc, discipline=discipline, notes="Done", done="1")
    run(
        AddCause,
        process_owner,
        nc,
        statement="Worn fixture",
        category="machine",
        verified="1",
        is_root="1",
    )
    refusal = refused(steps.CompleteAnalysis, process_owner, nc, elsewhere=ELSEWHERE)
    assert refusal.message == "Complete the 8D steps D3, D4 first."


def test_an_eight_d_needs_d5_to_d7_done_before_it_is_closed(to, process_owner, internal_auditor):
    nc = to("verification", method="eight_d")
    run(RecordEightDStep, process_owner, nc, discipline=5, notes="Chosen", done="1")
    refusal = refused(steps.VerifyEffective, internal_auditor, nc, reason="Fine", password=PASSWORD)
    assert refusal.message == "Complete the 8D steps D6, D7 first."


def test_completing_the_analysis_needs_elsewhere(to, process_owner):
    nc = to("analysis")
    run(AddCause, process_owner, nc, statement="No check", is_root="1")
    refusal = refused(steps.CompleteAnalysis, process_owner, nc, elsewhere="   ")
    assert refusal.status_code == 422
    assert list(refusal.errors) == ["elsewhere"]


def test_the_api_names_elsewhere_when_it_is_missing(to, process_owner, api_for):
    nc = to("analysis")
    run(AddCause, process_owner, nc, statement="No check", is_root="1")
    before = state(nc)
    response = api_for(process_owner).post(
        api_do(nc, "complete-analysis"), {}, **{"If-Match": fresh(nc).etag}
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["elsewhere"]
    assert state(nc) == before


def test_a_plan_needs_a_corrective_action(to, process_owner):
    nc = to("action_plan")
    add_action(process_owner, nc, kind="correction")  # a correction does not remove the cause
    refusal = refused(steps.StartImplementation, process_owner, nc)
    assert refusal.message == "Plan at least one corrective action that removes the root cause."


@pytest.mark.parametrize("missing", ["owner", "due_date"])
def test_every_corrective_action_of_the_plan_needs_an_owner_and_a_date(missing, to, process_owner):
    nc = to("action_plan")
    add_action(process_owner, nc)
    data = {
        "nonconformity": nc,
        "kind": "corrective",
        "title": "Retrain the setters",
        "owner": process_owner,
        "due_date": today() + timedelta(days=10),
        missing: None,
    }
    CreateRecord(process_owner, CorrectiveAction, data=data).execute()
    refusal = refused(steps.StartImplementation, process_owner, nc)
    assert refusal.message == "Every corrective action needs an owner and a due date."


def test_approving_the_plan_sets_the_next_step_due_to_the_last_action(to, process_owner):
    nc = to("action_plan")
    add_action(process_owner, nc, days=10)
    add_action(process_owner, nc, days=40)
    nc = run(steps.StartImplementation, process_owner, nc)
    assert (nc.status, nc.due_date) == ("implementation", today() + timedelta(days=40))


def test_it_cannot_be_marked_implemented_while_an_action_is_open(
    to, process_owner, internal_auditor
):
    nc = to("implementation")
    refusal = refused(steps.MarkImplemented, process_owner, nc, **plan_check(internal_auditor))
    assert refusal.message == "Some corrective actions are still open."


def test_the_effectiveness_check_cannot_be_planned_in_the_past(to, process_owner, internal_auditor):
    nc = to("implementation")
    action = fresh(nc).actions.get(kind="corrective")
    steps.CompleteCorrectiveAction(process_owner, action, data={"evidence": "Done"}).execute()
    data = {**plan_check(internal_auditor), "verification_due": days(-1)}
    refusal = refused(steps.MarkImplemented, process_owner, nc, **data)
    assert refusal.errors == {"verification_due": ["The check cannot be planned in the past."]}


@pytest.mark.parametrize("field", ["verification_criteria", "verification_due", "verifier"])
def test_planning_the_check_needs_criteria_a_date_and_a_verifier(
    field, to, process_owner, internal_auditor
):
    nc = to("implementation")
    action = fresh(nc).actions.get(kind="corrective")
    steps.CompleteCorrectiveAction(process_owner, action, data={"evidence": "Done"}).execute()
    data = {**plan_check(internal_auditor), field: ""}
    refusal = refused(steps.MarkImplemented, process_owner, nc, **data)
    assert list(refusal.errors) == [field]


def test_the_verifier_may_not_own_a_corrective_action(to, process_owner, top_manager):
    nc = to("implementation", action_owner=top_manager)
    action = fresh(nc).actions.get(kind="corrective")
    steps.CompleteCorrectiveAction(top_manager, action, data={"evidence": "Done"}).execute()
    refusal = refused(steps.MarkImplemented, process_owner, nc, **plan_check(top_manager))
    assert isinstance(refusal, NotPermitted)
    assert refusal.message == "Whoever owns an action does not verify its effectiveness."


def test_the_action_owner_may_be_named_verifier_without_separation_of_duties(
    settings, to, process_owner, top_manager
):
    settings.NORMA_SEPARATION_OF_DUTIES = False
    nc = to("closed", action_owner=top_manager, verifier=top_manager)
    assert (nc.status, nc.verifier) == ("closed", top_manager)
    assert nc.verifications.get().verified_by == top_manager


def test_an_action_owner_may_not_verify_even_from_the_quality_team(
    to, quality_manager, internal_auditor
):
    nc = to("verification", action_owner=quality_manager, verifier=internal_auditor)
    for action_class in (steps.VerifyEffective, steps.VerifyNotEffective):
        refusal = refused(action_class, quality_manager, nc, reason="Fine", password=PASSWORD)
        assert refusal.message == "Whoever owns an action does not verify its effectiveness."


def test_only_the_named_verifier_or_the_quality_team_verifies(
    to, top_manager, quality_manager, internal_auditor
):
    nc = to("verification")
    refusal = refused(steps.VerifyEffective, top_manager, nc, reason="Fine", password=PASSWORD)
    assert refusal.message == f"Ada Auditor is to verify {nc.reference}."
    assert close(quality_manager, nc).status == "closed"


@pytest.mark.parametrize("password", ["", "not-my-password"])
def test_closing_needs_the_verifiers_password(password, to, internal_auditor):
    nc = to("verification")
    refusal = refused(steps.VerifyEffective, internal_auditor, nc, reason="Fine", password=password)
    assert refusal.errors == {"password": ["The password is not correct."]}


def test_closing_needs_the_evidence(to, internal_auditor):
    nc = to("verification")
    refusal = refused(steps.VerifyEffective, internal_auditor, nc, password=PASSWORD)
    assert refusal.errors == {"reason": ["Give a reason."]}


@pytest.mark.parametrize(
    "status", ["reported", "containment", "analysis", "action_plan", "implementation", "closed"]
)
def test_it_is_closed_only_from_the_effectiveness_check(status, to, quality_manager):
    nc = to(status)
    refusal = refused(steps.VerifyEffective, quality_manager, nc, reason="Fine", password=PASSWORD)
    assert "this is done at the effectiveness check step" in refusal.message


def test_a_cancelled_nonconformity_cannot_be_closed(to, quality_manager):
    nc = to("analysis")
    run(steps.CancelNonconformity, quality_manager, nc, reason="Duplicate", password=PASSWORD)
    refusal = refused(steps.VerifyEffective, quality_manager, nc, reason="Fine", password=PASSWORD)
    assert "is at the cancelled step" in refusal.message


def test_cancelling_needs_a_reason_and_the_signature(to, quality_manager, process_owner):
    nc = to("analysis")
    no_reason = refused(steps.CancelNonconformity, quality_manager, nc, password=PASSWORD)
    assert no_reason.errors == {"reason": ["Give a reason."]}
    unsigned = refused(steps.CancelNonconformity, quality_manager, nc, reason="Duplicate")
    assert unsigned.errors == {"password": ["The password is not correct."]}
    open_action = add_action(process_owner, nc, kind="correction")

    nc = run(
        steps.CancelNonconformity,
        quality_manager,
        nc,
        reason="Duplicate of NC-1",
        password=PASSWORD,
    )
    assert nc.status == "cancelled"
    signature = signatures_for(nc).get()
    assert (signature.meaning, signature.comment) == (
        SignatureMeaning.APPROVED,
        "Duplicate of NC-1",
    )
    open_action.refresh_from_db()
    assert open_action.status == "cancelled"


def test_only_the_quality_team_cancels(to, process_owner):
    nc = to("analysis")
    refusal = refused(steps.CancelNonconformity, process_owner, nc, reason="Dup", password=PASSWORD)
    assert isinstance(refusal, NotPermitted)


@pytest.mark.parametrize(
    ("action_class", "status", "data"),
    [
        (steps.Triage, "containment", {"kind": "process", "severity": "minor"}),
        (steps.StartAnalysis, "reported", {"method": "five_whys"}),
        (steps.CompleteAnalysis, "action_plan", {"elsewhere": ELSEWHERE}),
        (steps.StartImplementation, "analysis", {}),
        (steps.MarkImplemented, "action_plan", {}),
        (steps.VerifyNotEffective, "implementation", {}),
    ],
)
def test_steps_in_the_wrong_status_are_refused(action_class, status, data, to, quality_manager):
    nc = to(status)
    refusal = refused(action_class, quality_manager, nc, reason="Because", **data)
    label = Nonconformity.Status(status).label.lower()
    step = action_class.from_status.label.lower()
    assert refusal.message == (
        f"{nc.reference} is at the {label} step; this is done at the {step} step."
    )


def test_the_web_route_says_why_a_step_is_refused(to, process_owner, client_for):
    nc = to("containment")
    before = state(nc)
    response = client_for(process_owner).post(
        do(nc, "analyse"), {"version": fresh(nc).version, "method": "five_whys"}
    )
    assert response.status_code == 302
    assert "Record at least one correction or containment action first." in messages_of(response)
    assert state(nc) == before


# -- not effective: a new round ----------------------------------------------------------------
def test_a_fix_judged_not_effective_starts_a_new_round_that_can_close(
    to, process_owner, internal_auditor
):
    nc = to("verification")
    first_action = fresh(nc).actions.get(kind="corrective")
    refused(steps.VerifyNotEffective, internal_auditor, nc)  # the evidence is required

    nc = run(steps.VerifyNotEffective, internal_auditor, nc, reason="Batch 14 oversize again")
    assert (nc.status, nc.analysis_round, nc.verifier, nc.closed_on) == ("analysis", 2, None, None)
    failed = nc.verifications.get()
    assert (failed.result, failed.analysis_round, failed.evidence) == (
        "not_effective",
        1,
        "Batch 14 oversize again",
    )

    # The first round's root cause does not complete the second analysis.
    refusal = refused(steps.CompleteAnalysis, process_owner, nc, elsewhere=ELSEWHERE)
    assert "5-Whys chain is empty" in refusal.message
    run(AddCause, process_owner, nc, statement="The fixture wears", is_root="1")
    run(steps.CompleteAnalysis, process_owner, nc, elsewhere=ELSEWHERE)
    # Nor does its done action satisfy the new plan.
    refusal = refused(steps.StartImplementation, process_owner, nc)
    assert "Plan at least one corrective action" in refusal.message

    second = add_action(process_owner, nc, title="Replace the fixture")
    assert second.analysis_round == 2
    nc = walk(nc, to="closed", triager=None, owner=process_owner, verifier=internal_auditor)
    assert nc.status == "closed"
    assert list(nc.verifications.values_list("analysis_round", "result")) == [
        (1, "not_effective"),
        (2, "effective"),
    ]
    first_action.refresh_from_db()
    assert first_action.analysis_round == 1
    assert logged_steps(nc).count("not-effective") == 1


def test_earlier_causes_stay_on_the_page_after_a_new_round(
    to, internal_auditor, process_owner, client_for
):
    nc = to("verification")
    run(steps.VerifyNotEffective, internal_auditor, nc, reason="Batch 14 oversize again")
    page = client_for(process_owner).get(f"{NCS}{nc.reference}/").content.decode()
    assert "Earlier analyses (1 cause)" in page
    assert "Analysis 1: No check (root cause)" in page
    assert "Batch 14 oversize again" in page


# -- disposition of a nonconforming output (8.7.2) -------------------------------------------
@pytest.fixture
def output_nc(employee, quality_manager, process_owner):
    nc = make_nc(employee, source="output", kind="output")
    return run(
        steps.Triage, quality_manager, nc, owner=process_owner.pk, kind="output", severity="major"
    )


def test_only_an_output_has_a_disposition(to, process_owner):
    nc = to("containment")
    refusal = refused(steps.DecideDisposition, process_owner, nc, disposition="scrap")
    assert refusal.message == "Only a nonconforming output has a disposition."


def test_a_concession_names_who_granted_it(output_nc, process_owner):
    refusal = refused(steps.DecideDisposition, process_owner, output_nc, disposition="concession")
    assert list(refusal.errors) == ["concession_by"]
    nc = run(
        steps.DecideDisposition,
        process_owner,
        output_nc,
        disposition="concession",
        concession_by="Acme Ltd, purchasing",
        customer_notified="1",
    )
    assert (nc.disposition, nc.concession_by, nc.customer_notified) == (
        "concession",
        "Acme Ltd, purchasing",
        True,
    )


def test_the_disposition_records_who_decided_it(output_nc, top_manager):
    nc = run(steps.DecideDisposition, top_manager, output_nc, disposition="rework", segregated="1")
    assert (nc.disposition, nc.segregated) == ("rework", True)
    assert (nc.disposition_by, nc.disposition_on) == (top_manager, today())
    assert history_for(nc).first().action == "dispose"


def test_the_disposition_is_decided_once_triaged_and_while_open(
    employee, quality_manager, process_owner, internal_auditor
):
    nc = make_nc(employee, source="output", kind="output")
    refusal = refused(steps.DecideDisposition, quality_manager, nc, disposition="scrap")
    assert refusal.message == "The disposition is decided once the report is triaged."
    nc = walk(nc, "action_plan", triager=quality_manager, owner=process_owner)
    Nonconformity.objects.filter(pk=nc.pk).update(kind="output")  # found to be one later
    nc = run(steps.DecideDisposition, process_owner, nc, disposition="rework")
    assert (nc.disposition, nc.disposition_by) == ("rework", process_owner)


def test_an_output_is_not_closed_without_its_disposition(
    employee, quality_manager, process_owner, internal_auditor
):
    nc = make_nc(employee, source="output")
    nc = walk(
        nc, "verification", triager=quality_manager, owner=process_owner, verifier=internal_auditor
    )
    # Found to be an output only later: the type changes after containment.
    Nonconformity.objects.filter(pk=nc.pk).update(kind="output")
    refusal = refused(
        steps.VerifyEffective, internal_auditor, fresh(nc), reason="OK", password=PASSWORD
    )
    assert refusal.message == "Decide the disposition of the nonconforming output first (8.7)."


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("quality_manager", True),
        ("top_manager", True),
        ("process_owner", True),
        ("internal_auditor", False),
        ("employee", False),
    ],
    indirect=["persona"],
)
def test_who_may_decide_a_disposition(persona, allowed, output_nc):
    if allowed:
        nc = run(steps.DecideDisposition, persona, output_nc, disposition="scrap")
        assert nc.disposition_by == persona
    else:
        refusal = refused(steps.DecideDisposition, persona, output_nc, disposition="scrap")
        assert isinstance(refusal, NotPermitted)
        assert refusal.message == "You do not have the right to decide the disposition."


# -- triage ------------------------------------------------------------------------------------
def test_triage_sets_owner_type_and_severity(employee, quality_manager, process_owner):
    nc = make_nc(employee)
    assert nc.kind == ""
    nc = run(
        steps.Triage, quality_manager, nc, owner=process_owner.pk, kind="system", severity="major"
    )
    assert (nc.status, nc.owner, nc.kind, nc.severity) == (
        "containment",
        process_owner,
        "system",
        "major",
    )


@pytest.mark.parametrize("missing", ["owner", "kind"])
def test_triage_needs_an_owner_and_a_type(missing, employee, quality_manager, process_owner):
    nc = make_nc(employee)
    data = {"owner": process_owner.pk, "kind": "process", "severity": "minor", missing: ""}
    refusal = refused(steps.Triage, quality_manager, nc, **data)
    assert list(refusal.errors) == [missing]


@pytest.mark.parametrize(
    ("persona", "outcome"),
    [
        ("quality_manager", "done"),
        ("process_owner", "refused"),
        ("employee", "refused"),
        ("nobody", "forbidden"),
    ],
    indirect=["persona"],
)
def test_only_the_quality_team_triages_on_the_web(
    persona, outcome, employee, process_owner, client_for
):
    nc = make_nc(employee)
    before = state(nc)
    body = {
        "version": nc.version,
        "owner": process_owner.pk,
        "kind": "process",
        "severity": "minor",
    }
    response = client_for(persona).post(do(nc, "triage"), body)
    if outcome == "forbidden":  # cannot even read the register
        assert response.status_code == 403
    else:
        assert response.status_code == 302
    if outcome == "done":
        assert fresh(nc).status == "containment"
    else:
        assert state(nc) == before
    if outcome == "refused":
        assert messages_of(response) == "You do not have the right to triage."


@pytest.mark.parametrize("persona", ["process_owner", "employee"], indirect=True)
def test_only_the_quality_team_triages_through_the_api(persona, employee, process_owner, api_for):
    nc = make_nc(employee)
    before = state(nc)
    response = api_for(persona).post(
        api_do(nc, "triage"),
        {"owner": process_owner.pk, "kind": "process", "severity": "minor"},
        **{"If-Match": nc.etag},
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "You do not have the right to triage."
    assert state(nc) == before


# -- dates -------------------------------------------------------------------------------------
def test_a_nonconformity_cannot_be_reported_with_a_next_step_already_due(employee):
    with pytest.raises(ActionRefused) as caught:
        make_nc(employee, due_date=today() - timedelta(days=1))
    assert list(caught.value.errors) == ["due_date"]
    assert not Nonconformity.objects.exists()


def test_a_nonconformity_cannot_be_detected_tomorrow(employee):
    with pytest.raises(ActionRefused) as caught:
        make_nc(employee, detected_on=today() + timedelta(days=1))
    assert caught.value.errors == {"detected_on": ["A nonconformity cannot be detected tomorrow."]}
    assert not Nonconformity.objects.exists()


def test_a_nonconformity_detected_last_week_with_a_step_due_today_is_accepted(employee):
    nc = make_nc(employee, detected_on=today() - timedelta(days=7), due_date=today())
    assert (nc.detected_on, nc.due_date) == (today() - timedelta(days=7), today())


def test_a_corrective_action_cannot_be_created_already_overdue(to, process_owner):
    nc = to("action_plan")
    with pytest.raises(ActionRefused) as caught:
        add_action(process_owner, nc, days=-1)
    assert list(caught.value.errors) == ["due_date"]
    assert not fresh(nc).actions.filter(kind="corrective").exists()


def test_no_action_is_added_to_a_closed_nonconformity(to, process_owner):
    nc = to("closed")
    with pytest.raises(ActionRefused) as caught:
        add_action(process_owner, nc)
    assert list(caught.value.errors) == ["nonconformity"]


# -- stale edits -------------------------------------------------------------------------------
@pytest.fixture
def edited(employee, quality_manager):
    """A nonconformity someone changed after it was first read (version 1 → 2)."""
    nc = make_nc(employee)
    UpdateRecord(quality_manager, nc, data={"title": "Bores oversize on batches 12-13"}).execute()
    assert fresh(nc).version == 2
    return nc


def test_a_web_step_posted_on_an_old_version_is_refused(
    edited, quality_manager, process_owner, client_for
):
    before = state(edited)
    body = {"version": 1, "owner": process_owner.pk, "kind": "process", "severity": "minor"}
    response = client_for(quality_manager).post(do(edited, "triage"), body)
    assert response.status_code == 302
    said = messages_of(response)
    assert "was changed by Quinn Quality since you opened it (version 1 → 2; changed: title)" in (
        said
    )
    assert state(edited) == before


def test_an_api_step_sent_with_an_old_etag_is_refused(
    edited, quality_manager, process_owner, api_for
):
    before = state(edited)
    response = api_for(quality_manager).post(
        api_do(edited, "triage"),
        {"owner": process_owner.pk, "kind": "process", "severity": "minor"},
        **{"If-Match": '"1"'},
    )
    assert response.status_code == 412
    assert "Your edit was not saved" in response.json()["detail"]
    assert state(edited) == before


def test_an_api_step_without_if_match_is_refused(employee, quality_manager, process_owner, api_for):
    nc = make_nc(employee)
    before = state(nc)
    response = api_for(quality_manager).post(
        api_do(nc, "triage"), {"owner": process_owner.pk, "kind": "process", "severity": "minor"}
    )
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    assert state(nc) == before


# -- the analysis ------------------------------------------------------------------------------
def test_a_fishbone_cause_needs_its_bone(to, process_owner, api_for):
    nc = to("analysis", method="ishikawa")
    before = state(nc)
    response = api_for(process_owner).post(
        analysis_url(nc, "/causes"), {"statement": "Worn fixture"}, **{"If-Match": nc.etag}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"category": ["Choose the bone of the fishbone."]}
    assert state(nc) == before


def test_a_cause_category_must_be_one_of_the_six(to, process_owner, api_for):
    nc = to("analysis", method="eight_d")
    before = state(nc)
    response = api_for(process_owner).post(
        analysis_url(nc, "/causes"),
        {"statement": "Bad luck", "category": "money"},
        **{"If-Match": nc.etag},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"category": ["'money' is not a 6M category."]}
    assert state(nc) == before


def test_a_cause_needs_a_statement(to, process_owner):
    nc = to("analysis")
    refusal = refused(AddCause, process_owner, nc, statement="  ", is_root="1")
    assert refusal.errors == {"statement": ["This field is required."]}


def test_a_five_whys_chain_keeps_its_order(to, process_owner, api_for):
    nc = to("analysis")
    api = api_for(process_owner)
    for statement in ("The bore is oversize", "The tool wore", "No tool-life limit"):
        response = api.post(
            analysis_url(nc, "/causes"), {"statement": statement}, **{"If-Match": fresh(nc).etag}
        )
        assert response.status_code == 200, response.json()
    causes = response.json()["causes"]
    assert [(c["position"], c["statement"]) for c in causes] == [
        (1, "The bore is oversize"),
        (2, "The tool wore"),
        (3, "No tool-life limit"),
    ]


def test_reading_the_analysis_gives_the_causes_and_the_etag(to, process_owner, api_for):
    nc = to("analysis", method="eight_d")
    run(
        AddCause,
        process_owner,
        nc,
        statement="Worn fixture",
        category="machine",
        evidence="Wear 0.2 mm",
        verified="1",
        is_root="1",
    )
    run(RecordEightDStep, process_owner, nc, discipline=1, notes="Owen, Quinn", done="1")
    response = api_for(process_owner).get(analysis_url(nc))
    assert response.status_code == 200
    assert response["ETag"] == fresh(nc).etag
    body = response.json()
    assert (body["status"], body["method"], body["analysis_round"]) == ("analysis", "eight_d", 1)
    cause = body["causes"][0]
    assert {k: cause[k] for k in ("category", "statement", "evidence", "verified", "is_root")} == {
        "category": "machine",
        "statement": "Worn fixture",
        "evidence": "Wear 0.2 mm",
        "verified": True,
        "is_root": True,
    }
    steps_done = {s["discipline"]: s["done_on"] for s in body["eight_d"]}
    assert steps_done[1] == today().isoformat()
    assert steps_done[0] is None
    assert len(steps_done) == 9


def test_an_analysis_change_bumps_the_version_and_is_logged(to, process_owner, api_for):
    nc = to("analysis")
    version = nc.version
    response = api_for(process_owner).post(
        analysis_url(nc, "/causes"),
        {"statement": "No check", "is_root": True},
        **{"If-Match": nc.etag},
    )
    assert response.status_code == 200
    nc = fresh(nc)
    assert nc.version == version + 1
    assert response["ETag"] == nc.etag
    entry = history_for(nc).first()
    assert (entry.action, entry.actor_name) == ("add-cause", "Owen Owner")
    added = entry.after["analysis"]["added cause"]
    assert (added["statement"], added["root cause"], added["position"]) == ("No check", True, 1)

    cause = nc.causes.get()
    response = api_for(process_owner).patch(
        analysis_url(nc, f"/causes/{cause.pk}"),
        {"verified": True, "evidence": "Log shows no check"},
        **{"If-Match": nc.etag},
    )
    assert response.status_code == 200, response.json()
    entry = history_for(nc).first()
    assert entry.action == "change-cause"
    assert entry.after["analysis"]["cause before"]["verified"] is False
    assert entry.after["analysis"]["cause after"]["verified"] is True
    assert fresh(nc).version == version + 2

    response = api_for(process_owner).delete(
        analysis_url(nc, f"/causes/{cause.pk}"), **{"If-Match": fresh(nc).etag}
    )
    assert response.status_code == 200 and response.json()["causes"] == []
    entry = history_for(nc).first()
    assert (entry.action, entry.after["analysis"]["removed cause"]["statement"]) == (
        "remove-cause",
        "No check",
    )


def test_an_analysis_change_on_an_old_etag_is_refused(to, process_owner, api_for):
    nc = to("analysis")
    stale = nc.etag
    run(AddCause, process_owner, nc, statement="No check")
    before = state(nc)
    response = api_for(process_owner).post(
        analysis_url(nc, "/causes"), {"statement": "Another"}, **{"If-Match": stale}
    )
    assert response.status_code == 412
    assert state(nc) == before


def test_a_cause_of_an_earlier_round_can_no_longer_be_changed(
    to, internal_auditor, process_owner, api_for
):
    nc = to("verification")
    old = fresh(nc).causes.get()
    run(steps.VerifyNotEffective, internal_auditor, nc, reason="Oversize again")
    before = state(nc)
    api = api_for(process_owner)
    changed = api.patch(
        analysis_url(nc, f"/causes/{old.pk}"), {"is_root": False}, **{"If-Match": fresh(nc).etag}
    )
    removed = api.delete(analysis_url(nc, f"/causes/{old.pk}"), **{"If-Match": fresh(nc).etag})
    assert (changed.status_code, removed.status_code) == (404, 404)
    assert changed.json()["detail"] == "No such cause in the current analysis."
    assert state(nc) == before


def test_a_cause_of_another_nonconformity_cannot_be_changed(to, process_owner, api_for):
    mine, theirs = to("analysis"), to("analysis")
    run(AddCause, process_owner, theirs, statement="Their cause", is_root="1")
    cause = fresh(theirs).causes.get()
    before = state(mine), state(theirs)
    api = api_for(process_owner)
    changed = api.patch(
        analysis_url(mine, f"/causes/{cause.pk}"),
        {"is_root": False},
        **{"If-Match": fresh(mine).etag},
    )
    removed = api.delete(
        analysis_url(mine, f"/causes/{cause.pk}"), **{"If-Match": fresh(mine).etag}
    )
    assert (changed.status_code, removed.status_code) == (404, 404)
    assert (state(mine), state(theirs)) == before
    with pytest.raises(ActionRefused) as caught:
        run(RemoveCause, process_owner, mine, cause=cause.pk)
    assert caught.value.status_code == 404


def test_d8_is_recorded_only_by_the_closure(to, process_owner, api_for):
    nc = to("analysis", method="eight_d")
    before = state(nc)
    # The shared API client has no PUT: send it through its Django test client.
    response = api_for(process_owner).client.put(
        analysis_url(nc, "/eight-d/8"),
        '{"notes": "Team thanked", "done": true}',
        content_type="application/json",
        headers={"If-Match": nc.etag},
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["discipline"]
    assert state(nc) == before
    assert fresh(nc).eight_d_steps.get(discipline=8).done_on is None


def test_an_eight_d_step_marked_done_needs_notes(to, process_owner):
    nc = to("analysis", method="eight_d")
    refusal = refused(RecordEightDStep, process_owner, nc, discipline=2, notes="", done="1")
    assert refusal.errors == {"notes": ["This field is required."]}


def test_eight_d_steps_are_only_for_an_eight_d(to, process_owner):
    nc = to("analysis")
    refusal = refused(RecordEightDStep, process_owner, nc, discipline=0, notes="x", done="1")
    assert refusal.message == f"{nc.reference} is not analysed as an 8D."


@pytest.mark.parametrize("status", ["containment", "action_plan"])
def test_causes_are_added_only_while_the_analysis_is_open(status, to, process_owner):
    nc = to(status)
    refusal = refused(AddCause, process_owner, nc, statement="Late idea", is_root="1")
    assert refusal.message == f"The analysis of {nc.reference} is not open for changes."


def test_an_employee_may_not_change_the_analysis(to, employee):
    nc = to("analysis")
    refusal = refused(AddCause, employee, nc, statement="My guess", is_root="1")
    assert isinstance(refusal, NotPermitted)


# -- the API action endpoint and its fields ----------------------------------------------------
def test_the_api_step_refuses_an_unknown_field(employee, quality_manager, process_owner, api_for):
    nc = make_nc(employee)
    before = state(nc)
    response = api_for(quality_manager).post(
        api_do(nc, "triage"),
        {"owner": process_owner.pk, "kind": "process", "severity": "minor", "colour": "red"},
        **{"If-Match": nc.etag},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"colour": ["Unknown field."]}
    assert state(nc) == before


def test_the_api_step_names_a_missing_required_field(employee, quality_manager, api_for):
    nc = make_nc(employee)
    before = state(nc)
    response = api_for(quality_manager).post(
        api_do(nc, "triage"), {"kind": "process", "severity": "minor"}, **{"If-Match": nc.etag}
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["owner"]
    assert state(nc) == before


def test_the_api_step_refuses_a_value_outside_the_choices(
    employee, quality_manager, process_owner, api_for
):
    nc = make_nc(employee)
    response = api_for(quality_manager).post(
        api_do(nc, "triage"),
        {"owner": process_owner.pk, "kind": "spaceship", "severity": "minor"},
        **{"If-Match": nc.etag},
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["kind"]
    assert fresh(nc).status == "reported"


def test_the_api_plans_the_check_with_a_verifier(to, process_owner, internal_auditor, api_for):
    nc = to("implementation")
    action = fresh(nc).actions.get(kind="corrective")
    steps.CompleteCorrectiveAction(process_owner, action, data={"evidence": "Done"}).execute()
    response = api_for(process_owner).post(
        api_do(nc, "implemented"), plan_check(internal_auditor), **{"If-Match": fresh(nc).etag}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["verifier"], body["verification_due"], body["due_date"]) == (
        "verification",
        internal_auditor.pk,
        days(30),
        days(30),
    )
    assert response["ETag"] == fresh(nc).etag


def test_the_api_refuses_the_verifier_who_owns_an_action(to, process_owner, top_manager, api_for):
    nc = to("implementation", action_owner=top_manager)
    action = fresh(nc).actions.get(kind="corrective")
    steps.CompleteCorrectiveAction(top_manager, action, data={"evidence": "Done"}).execute()
    before = state(nc)
    response = api_for(process_owner).post(
        api_do(nc, "implemented"), plan_check(top_manager), **{"If-Match": fresh(nc).etag}
    )
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Whoever owns an action does not verify its effectiveness."
    )
    assert state(nc) == before


def test_the_api_closes_only_with_the_right_password(to, internal_auditor, api_for):
    nc = to("verification")
    before = state(nc)
    response = api_for(internal_auditor).post(
        api_do(nc, "effective"),
        {"reason": "All good", "password": "guess"},
        **{"If-Match": fresh(nc).etag},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"password": ["The password is not correct."]}
    assert state(nc) == before


def test_the_api_has_no_generic_route_for_analysis_steps(to, process_owner, api_for):
    nc = to("analysis")
    response = api_for(process_owner).post(
        api_do(nc, "add-cause"), {}, **{"If-Match": fresh(nc).etag}
    )
    assert response.status_code == 404
    assert "endpoint of its own" in response.json()["detail"]


def test_triage_through_the_api_keeps_the_process_the_reporter_gave(
    employee, quality_manager, process_owner, api_for
):
    process = make_process(quality_manager, title="Machining")
    nc = make_nc(employee, process=process)
    response = api_for(quality_manager).post(
        api_do(nc, "triage"),
        {"owner": process_owner.pk, "kind": "process", "severity": "minor"},
        **{"If-Match": nc.etag},
    )
    assert response.status_code == 200
    assert fresh(nc).process == process


# -- corrective actions ------------------------------------------------------------------------
@pytest.fixture
def employees_action(to, process_owner, employee):
    """An open corrective action owned by Eve Employee."""
    nc = to("implementation")
    return add_action(process_owner, nc, owner=employee, title="Label the gauges")


def test_the_owner_marks_their_own_action_done_with_evidence(employees_action, employee):
    with pytest.raises(ActionRefused) as caught:
        steps.CompleteCorrectiveAction(employee, employees_action, data={"evidence": ""}).execute()
    assert list(caught.value.errors) == ["evidence"]
    employees_action.refresh_from_db()
    assert employees_action.status == "open"

    done = steps.CompleteCorrectiveAction(
        employee, employees_action, data={"evidence": "Photos of the labels"}
    ).execute()
    assert (done.status, done.completed_on, done.evidence) == (
        "done",
        today(),
        "Photos of the labels",
    )
    assert history_for(done).first().action == "done"


def test_another_employee_may_not_mark_the_action_done(employees_action):
    colleague = PersonFactory(full_name="Carl Colleague", roles=["employee"])
    with pytest.raises(NotPermitted) as caught:
        steps.CompleteCorrectiveAction(
            colleague, employees_action, data={"evidence": "Looks done to me"}
        ).execute()
    assert caught.value.message == "Only Eve Employee or the quality team may do this."
    employees_action.refresh_from_db()
    assert (employees_action.status, employees_action.evidence) == ("open", "")


def test_another_employee_is_refused_on_the_web_too(employees_action, client_for):
    colleague = PersonFactory(full_name="Carl Colleague", roles=["employee"])
    response = client_for(colleague).post(
        f"/improvement/corrective-actions/{employees_action.reference}/do/done/",
        {"version": employees_action.version, "evidence": "Looks done to me"},
    )
    assert response.status_code == 302
    assert "Only Eve Employee or the quality team may do this." in messages_of(response)
    employees_action.refresh_from_db()
    assert employees_action.status == "open"


def test_someone_who_manages_actions_may_mark_it_done(employees_action, top_manager):
    done = steps.CompleteCorrectiveAction(
        top_manager, employees_action, data={"evidence": "Checked on the floor"}
    ).execute()
    assert done.status == "done"


def test_a_done_action_cannot_be_done_again(employees_action, employee):
    steps.CompleteCorrectiveAction(employee, employees_action, data={"evidence": "Done"}).execute()
    with pytest.raises(ActionRefused) as caught:
        steps.CompleteCorrectiveAction(
            employee, employees_action, data={"evidence": "Again"}
        ).execute()
    assert caught.value.message == f"{employees_action.reference} is done."


def test_cancelling_an_action_needs_a_reason_and_the_right(
    employees_action, employee, process_owner
):
    with pytest.raises(NotPermitted):
        steps.CancelCorrectiveAction(employee, employees_action, reason="Not needed").execute()
    with pytest.raises(ActionRefused) as caught:
        steps.CancelCorrectiveAction(process_owner, employees_action).execute()
    assert caught.value.errors == {"reason": ["Give a reason."]}
    employees_action.refresh_from_db()
    assert employees_action.status == "open"

    cancelled = steps.CancelCorrectiveAction(
        process_owner, employees_action, reason="Replaced by CAR for the new gauge"
    ).execute()
    assert cancelled.status == "cancelled"
    entry = history_for(cancelled).first()
    assert (entry.action, entry.reason) == ("cancel", "Replaced by CAR for the new gauge")


def test_a_cancelled_action_does_not_hold_up_the_check(
    employees_action, process_owner, internal_auditor
):
    nc = employees_action.nonconformity
    steps.CancelCorrectiveAction(process_owner, employees_action, reason="Not needed").execute()
    nc = walk(nc, to="verification", triager=None, owner=process_owner, verifier=internal_auditor)
    assert nc.status == "verification"


# -- origins -----------------------------------------------------------------------------------
def test_a_nonconformity_raised_from_a_kpi_links_back_to_it(
    quality_manager, process_owner, client_for
):
    process = make_process(quality_manager, title="Machining")
    kpi = measure_process(quality_manager, process, value="80")
    nc = raise_nonconformity(
        process_owner,
        kpi,
        title="On-time delivery below target",
        source="process",
        description="80 % against 95 %",
    )
    nc = fresh(nc)
    assert nc.origin == kpi
    assert (nc.status, nc.detected_by, nc.detected_on) == ("reported", process_owner, today())
    page = client_for(process_owner).get(f"{NCS}{nc.reference}/").content.decode()
    kpi_url = reverse("planning:kpi_detail", args=[kpi.reference])
    assert f'Raised from <a href="{kpi_url}">{kpi}</a>' in page


def test_a_nonconformity_raised_from_a_process_links_back_to_it(
    quality_manager, employee, client_for
):
    process = make_process(quality_manager, title="Machining")
    nc = fresh(
        raise_nonconformity(
            employee,
            process,
            title="Work instruction missing",
            source="process",
            description="WI-12 not at the machine",
        )
    )
    assert nc.origin == process
    page = client_for(employee).get(f"{NCS}{nc.reference}/").content.decode()
    process_url = reverse("planning:process_detail", args=[process.reference])
    assert f'<a href="{process_url}">' in page
    assert history_for(nc).get().action == "report"


def test_cancelling_a_nonconformity_logs_the_cancellation_of_its_open_actions(
    to, quality_manager, process_owner
):
    nc = to("analysis")
    action = add_action(process_owner, nc, kind="correction")
    run(steps.CancelNonconformity, quality_manager, nc, reason="Duplicate", password=PASSWORD)
    action.refresh_from_db()
    assert action.status == "cancelled"
    assert action.version == 2
    assert history_for(action).first().after["status"] == "cancelled"
