"""The planning rules the register kit does not see: risk scores and bands, risk actions and
their evaluation (6.1.2), the risk and party pages, the heat map, readiness of 4.1, 4.2 and
6.1, and the demo data that shows them."""

import datetime
import html
import re

import pytest
from django.utils import timezone

from norma.core.actions import (
    ActionRefused,
    ArchiveRecord,
    InvalidInput,
    NotPermitted,
    UpdateRecord,
)
from norma.core.models import Person, RoleCode
from norma.core.seeding import seed_demo
from norma.planning import scoring
from norma.planning.actions import CompleteRiskAction, JudgeEffective, JudgeNotEffective
from norma.planning.apps import check_risk_bands
from norma.planning.models import (
    ClimateDecision,
    ContextIssue,
    InterestedParty,
    PartyRequirement,
    Risk,
    RiskAction,
)
from norma.planning.registers import RiskRegister
from norma.standards.readiness import Status, evaluate
from tests.factories import PersonFactory, bulk_planning_records, make_planning_record
from tests.kit import count_queries, form_data

RISKS = "/planning/risks-and-opportunities/"
ACTIONS = "/planning/risk-actions/"
HEAT_MAP = "/planning/risks/heat-map/"
DEFAULT_BANDS = "Low:1-4,Medium:5-9,High:10-16,Critical:20-25"

make_risk = make_planning_record(Risk, {"title": "Risk", "likelihood": 3, "consequence": 3})
make_action = make_planning_record(RiskAction, {})
make_issue = make_planning_record(ContextIssue, {"origin": "external", "swot": "threat"})
make_decision = make_planning_record(
    ClimateDecision, {"relevant": "no", "reasoning": "Machining indoors, local customers."}
)
make_party = make_planning_record(InterestedParty, {"kind": "customer"})
make_requirement = make_planning_record(PartyRequirement, {})


@pytest.fixture(autouse=True)
def _fresh_bands():
    """scoring.bands() is cached for the process: each test reads the settings it sets."""
    scoring.bands.cache_clear()
    yield
    scoring.bands.cache_clear()


def references(response) -> set[str]:
    return set(re.findall(r"RSK-\d{4}-\d+", response.content.decode()))


# -- 6.1.1: scoring ---------------------------------------------------------------------------


def test_score_and_residual_score_are_likelihood_times_consequence(quality_manager):
    risk = make_risk(
        quality_manager, likelihood=4, consequence=5, residual_likelihood=2, residual_consequence=3
    )
    risk.refresh_from_db()
    assert (risk.score, risk.residual_score) == (20, 6)

    UpdateRecord(quality_manager, risk, data={"likelihood": 2, "residual_likelihood": 1}).execute()
    risk.refresh_from_db()
    assert (risk.score, risk.residual_score) == (10, 3)

    cleared = {"residual_likelihood": None, "residual_consequence": None}
    UpdateRecord(quality_manager, risk, data=cleared).execute()
    risk.refresh_from_db()
    assert (risk.score, risk.residual_score) == (10, None)


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ("residual_likelihood", "residual_consequence"),
        ("residual_consequence", "residual_likelihood"),
    ],
)
def test_a_residual_score_given_alone_is_refused_naming_the_missing_one(
    quality_manager, given, missing
):
    with pytest.raises(InvalidInput) as refused:
        make_risk(quality_manager, **{given: 2})
    assert missing in refused.value.errors
    assert not Risk.objects.exists()


def test_a_risk_cannot_score_more_after_treatment_but_an_opportunity_can(quality_manager):
    higher = dict(likelihood=2, consequence=2, residual_likelihood=3, residual_consequence=3)
    with pytest.raises(InvalidInput) as refused:
        make_risk(quality_manager, kind="risk", **higher)
    assert "residual_likelihood" in refused.value.errors
    assert "more than before" in refused.value.errors["residual_likelihood"][0]

    opportunity = make_risk(quality_manager, kind="opportunity", **higher)
    assert (opportunity.score, opportunity.residual_score) == (4, 9)
    assert Risk.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"residual_likelihood": "2"}, "residual_consequence"),
        ({"likelihood": "6"}, "likelihood"),
        ({"likelihood": "0"}, "likelihood"),
    ],
)
def test_the_web_form_refuses_a_lone_residual_or_a_score_off_the_scale(
    quality_manager, client_for, changes, field
):
    data = form_data(
        RiskRegister, **{"title": "Spindle", "likelihood": "3", "consequence": "4", **changes}
    )
    response = client_for(quality_manager).post(f"{RISKS}new/", data)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not Risk.objects.exists()


@pytest.mark.parametrize("likelihood", [6, 0])
def test_a_likelihood_off_the_scale_is_refused_by_the_api(quality_manager, api_for, likelihood):
    body = {"title": "Spindle", "likelihood": likelihood, "consequence": 3}
    response = api_for(quality_manager).post(f"/api/v1{RISKS}", body)
    assert 400 <= response.status_code < 500
    assert "likelihood" in response.json()["errors"]
    assert not Risk.objects.exists()


# -- bands --------------------------------------------------------------------------------------


def test_the_default_bands_cover_the_matrix_once():
    bands = scoring.parse_bands(DEFAULT_BANDS)
    assert [f"{b.name}:{b.low}-{b.high}" for b in bands] == DEFAULT_BANDS.split(",")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Low:1-5,Medium:5-9,High:10-16,Critical:20-25", "score of 5 falls in Low and Medium"),
        ("Low:1-4,Medium:6-9,High:10-16,Critical:20-25", "score of 5 falls in no band"),
        ("Low:1-4,Medium:5-9,High:10-16", "score of 20 falls in no band"),
        ("Low:1-4,Medium 5-9,High:10-16,Critical:20-25", "'Medium 5-9' is not written as"),
        ("Low:one-4,Medium:5-9,High:10-16,Critical:20-25", "'Low:one-4' is not written as"),
        ("", "score of 1 falls in no band"),
    ],
)
def test_overlapping_gapped_or_malformed_bands_are_refused_with_the_reason(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        scoring.parse_bands(text)


@pytest.mark.parametrize(
    ("score", "band"),
    [(4, "Low"), (5, "Medium"), (16, "High"), (20, "Critical"), (25, "Critical"), (None, None)],
)
def test_each_score_falls_in_its_band(settings, score, band):
    settings.NORMA_RISK_BANDS = DEFAULT_BANDS
    assert getattr(scoring.band_of(score), "name", None) == band


def test_bad_bands_fail_the_system_check_with_norma_e001(settings):
    assert check_risk_bands() == []
    settings.NORMA_RISK_BANDS = "Low:1-4,High:10-25"
    [error] = check_risk_bands()
    assert error.id == "norma.E001"
    assert "score of 5 falls in no band" in error.msg


def test_the_risk_list_shows_the_band_from_the_settings(settings, quality_manager, client_for):
    settings.NORMA_RISK_BANDS = "Green:1-9,Amber:10-16,Red:20-25"
    make_risk(quality_manager, title="Spindle failure", likelihood=4, consequence=4)
    content = client_for(quality_manager).get(RISKS).content.decode()
    assert re.search(r"<th[^>]*>.*?Band.*?</th>", content)
    assert re.search(r"<td>(<span[^>]*>)?Amber(</span>)?</td>", content)


# -- 6.1.2: risk actions --------------------------------------------------------------------


@pytest.fixture
def action(quality_manager, process_owner):
    """An open action on a risk, owned by the process owner."""
    risk = make_risk(quality_manager, title="Spindle failure", likelihood=4, consequence=4)
    return make_action(quality_manager, title="Maintenance plan", risk=risk, owner=process_owner)


@pytest.fixture
def done(action, process_owner):
    return CompleteRiskAction(process_owner, action).execute()


def test_completing_an_action_marks_it_done_today(action, process_owner):
    CompleteRiskAction(process_owner, action).execute()
    action.refresh_from_db()
    assert action.status == RiskAction.Status.DONE
    assert action.completed_on == timezone.localdate()
    with pytest.raises(ActionRefused, match="already done"):
        CompleteRiskAction(process_owner, action).execute()


@pytest.mark.parametrize(
    ("judge", "outcome"),
    [(JudgeEffective, "effective"), (JudgeNotEffective, "not_effective")],
)
def test_someone_other_than_the_owner_judges_a_done_action_keeping_the_evidence(
    done, quality_manager, judge, outcome
):
    judge(quality_manager, done, reason="No unplanned stops in three months.").execute()
    done.refresh_from_db()
    assert done.effectiveness == outcome
    assert done.evaluation == "No unplanned stops in three months."


def test_the_owner_cannot_judge_their_own_action_unless_separation_of_duties_is_off(
    settings, done, process_owner
):
    with pytest.raises(NotPermitted, match="does not verify its effectiveness"):
        JudgeEffective(process_owner, done, reason="It worked.").execute()
    done.refresh_from_db()
    assert (done.effectiveness, done.evaluation) == ("", "")

    settings.NORMA_SEPARATION_OF_DUTIES = False
    JudgeEffective(process_owner, done, reason="It worked.").execute()
    done.refresh_from_db()
    assert (done.effectiveness, done.evaluation) == ("effective", "It worked.")


def test_an_open_action_cannot_be_judged(action, quality_manager):
    with pytest.raises(ActionRefused, match="Only a done action"):
        JudgeEffective(quality_manager, action, reason="Looks fine.").execute()
    action.refresh_from_db()
    assert action.effectiveness == ""


def test_an_action_is_judged_only_once(done, quality_manager, top_manager):
    JudgeEffective(quality_manager, done, reason="No stops.").execute()
    with pytest.raises(ActionRefused, match="evaluated already: effective"):
        JudgeNotEffective(top_manager, done, reason="One stop last week.").execute()
    done.refresh_from_db()
    assert (done.effectiveness, done.evaluation) == ("effective", "No stops.")


def test_judging_needs_a_reason(done, quality_manager):
    with pytest.raises(InvalidInput) as refused:
        JudgeEffective(quality_manager, done, reason="   ").execute()
    assert "reason" in refused.value.errors
    done.refresh_from_db()
    assert done.effectiveness == ""


@pytest.mark.parametrize(
    ("persona", "reason", "judged"),
    [
        ("quality_manager", "No stops since March.", ("effective", "No stops since March.")),
        ("employee", "No stops.", ("", "")),  # no planning.change_riskaction
        ("process_owner", "No stops.", ("", "")),  # the action's owner
        ("quality_manager", "", ("", "")),
    ],
    indirect=["persona"],
)
def test_the_effective_button_judges_only_with_the_right_not_as_owner_and_with_a_reason(
    done, persona, reason, judged, client_for
):
    body = {"version": done.version, "reason": reason}
    response = client_for(persona).post(f"{ACTIONS}{done.reference}/do/effective/", body)
    assert response.status_code in (302, 403)
    done.refresh_from_db()
    assert (done.effectiveness, done.evaluation) == judged


# -- pages ------------------------------------------------------------------------------------


def test_the_risk_page_lists_its_actions_and_shows_both_bands(action, quality_manager, client_for):
    UpdateRecord(
        quality_manager, action.risk, data={"residual_likelihood": 2, "residual_consequence": 2}
    ).execute()
    other = make_risk(quality_manager, title="Energy costs")
    make_action(quality_manager, title="Fixed-price energy contract", risk=other)
    content = client_for(quality_manager).get(f"{RISKS}{action.risk.reference}/").content.decode()
    assert action.reference in content and "Maintenance plan" in content
    assert "Fixed-price energy contract" not in content
    assert 'class="badge band-high">High<' in content  # 4 × 4 = 16
    assert 'class="badge band-low">Low<' in content  # 2 × 2 = 4


def test_add_an_action_opens_the_form_with_the_risk_chosen(quality_manager, client_for):
    risk = make_risk(quality_manager, title="Spindle failure")
    make_risk(quality_manager, title="Energy costs")
    client = client_for(quality_manager)
    link = f"{ACTIONS}new/?risk={risk.pk}"
    assert f'href="{link}"' in client.get(f"{RISKS}{risk.reference}/").content.decode()
    response = client.get(link)
    assert response.status_code == 200
    assert str(response.context["form"]["risk"].value()) == str(risk.pk)
    selected = re.findall(r'<option value="(\d+)" selected>', response.content.decode())
    assert selected == [str(risk.pk)]


def test_the_party_page_lists_its_own_requirements(quality_manager, client_for):
    customers = make_party(quality_manager, title="Aerospace customers")
    suppliers = make_party(quality_manager, title="Bar stock suppliers", kind="supplier")
    first = make_requirement(quality_manager, title="First article reports", party=customers)
    make_requirement(quality_manager, title="Footprint per part", party=customers, addressed="yes")
    make_requirement(quality_manager, title="Three-month forecast", party=suppliers)
    url = f"/planning/interested-parties/{customers.reference}/"
    content = client_for(quality_manager).get(url).content.decode()
    assert first.reference in content
    assert "First article reports" in content and "Footprint per part" in content
    assert "Three-month forecast" not in content


# -- the heat map -------------------------------------------------------------------------------


def cells(content: str) -> list[dict[str, tuple[int, str]]]:
    """Per SVG: {cell label: (count, link)}."""
    maps = []
    for svg in re.findall(r"<svg.*?</svg>", content, flags=re.S):
        found = re.findall(r'<a href="([^"]*)" aria-label="([^":]*): (\d+)">', svg)
        maps.append({label: (int(n), html.unescape(link)) for link, label, n in found})
    return maps


@pytest.fixture
def matrix(quality_manager):
    """At likelihood 4 × consequence 3: two open risks (one scored 2 × 3 after treatment),
    a closed risk, an archived risk and an opportunity."""
    cell = {"likelihood": 4, "consequence": 3}
    counted = [
        make_risk(quality_manager, title="Energy costs", **cell),
        make_risk(
            quality_manager, title="Heat", residual_likelihood=2, residual_consequence=3, **cell
        ),
    ]
    closed = make_risk(quality_manager, title="Old supplier", **cell)
    Risk.objects.filter(pk=closed.pk).update(status=Risk.Status.CLOSED)
    archived = make_risk(quality_manager, title="Duplicate", **cell)
    ArchiveRecord(quality_manager, archived, reason="Entered twice.").execute()
    opportunity = make_risk(quality_manager, title="Footprints", kind="opportunity", **cell)
    return counted, opportunity


def test_the_heat_map_counts_open_live_risks_and_each_cell_lists_them(
    matrix, quality_manager, client_for
):
    counted, _ = matrix
    client = client_for(quality_manager)
    before, after = cells(client.get(HEAT_MAP).content.decode())
    assert len(before) == len(after) == 25
    assert before["4 Likely, 3 Moderate"][0] == 2 and sum(n for n, _ in before.values()) == 2
    assert after["2 Unlikely, 3 Moderate"][0] == 1 and sum(n for n, _ in after.values()) == 1
    link = before["4 Likely, 3 Moderate"][1]
    assert link.startswith(RISKS + "?")
    assert references(client.get(link)) == {r.reference for r in counted}
    assert references(client.get(after["2 Unlikely, 3 Moderate"][1])) == {counted[1].reference}


def test_the_opportunity_heat_map_counts_opportunities_only(matrix, quality_manager, client_for):
    _, opportunity = matrix
    client = client_for(quality_manager)
    content = client.get(f"{HEAT_MAP}?kind=opportunity").content.decode()
    before, *_ = cells(content)
    count, link = before["4 Likely, 3 Moderate"]
    assert count == 1 and sum(n for n, _ in before.values()) == 1
    assert references(client.get(link)) == {opportunity.reference}
    assert "Before treatment: 1 open opportunities" in content


@pytest.mark.parametrize(
    ("persona", "status"),
    [("nobody", 403), ("employee", 200), ("external_auditor", 200)],
    indirect=["persona"],
)
def test_who_may_see_the_heat_map(persona, status, client_for):
    assert client_for(persona).get(HEAT_MAP).status_code == status


def test_the_heat_map_counts_only_risks_in_the_persons_sites(
    quality_manager, leeds, porto, client_for
):
    make_risk(quality_manager, title="Leeds spindle", likelihood=4, consequence=3, site=leeds)
    make_risk(quality_manager, title="Porto heat", likelihood=4, consequence=3, site=porto)
    in_leeds = PersonFactory(roles=[RoleCode.EMPLOYEE], scope_sites=[leeds])
    before, *_ = cells(client_for(in_leeds).get(HEAT_MAP).content.decode())
    assert before["4 Likely, 3 Moderate"][0] == 1
    assert sum(n for n, _ in before.values()) == 1


def test_the_heat_map_costs_the_same_queries_for_3_or_60_risks(quality_manager, client_for):
    bulk = bulk_planning_records(Risk, "RSK", {})
    client = client_for(quality_manager)

    def spread(count, start):
        for i in range(start, start + count):
            bulk(1, likelihood=i % 5 + 1, consequence=i // 5 % 5 + 1, residual_likelihood=1,
                 residual_consequence=1, residual_score=1)  # fmt: skip

    spread(3, 0)
    few, _ = count_queries(client, HEAT_MAP)
    spread(57, 3)
    many, queries = count_queries(client, HEAT_MAP)
    assert many == few, "\n".join(queries)
    before, after = cells(client.get(HEAT_MAP).content.decode())
    assert sum(n for n, _ in before.values()) == 60
    assert after["1 Rare, 1 Negligible"][0] == 60


# -- readiness: 4.1, 4.2, 6.1 ---------------------------------------------------------------


def readiness(person, ref: str):
    """(status, sentence) of the planning check for one clause."""
    row = next(r for r in evaluate(person).rows if r.clause.ref == ref)
    [result] = row.results
    return row.status, result.sentence


@pytest.mark.parametrize("ref", ["4.1", "4.2", "6.1"])
def test_each_clause_is_missing_with_no_records(quality_manager, ref):
    assert readiness(quality_manager, ref)[0] == Status.MISSING


def test_context_is_met_with_a_climate_decision_and_every_issue_within_its_review(
    quality_manager,
):
    issue = make_issue(quality_manager, title="Energy prices")
    status, sentence = readiness(quality_manager, "4.1")
    assert status == Status.PARTLY_MET
    assert "no decision on whether climate change is a relevant issue" in sentence

    decision = make_decision(quality_manager, title="Climate change, 2026")
    status, sentence = readiness(quality_manager, "4.1")
    assert status == Status.MET
    assert decision.reference in sentence and "not relevant" in sentence

    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    make_issue(quality_manager, title="Skilled machinists")
    UpdateRecord(quality_manager, issue, data={"due_date": yesterday}).execute()
    status, sentence = readiness(quality_manager, "4.1")
    assert status == Status.PARTLY_MET
    assert "1 of 2 issues are past their review" in sentence


@pytest.mark.parametrize(
    ("requirements", "status", "sentence"),
    [
        ({"Customers": ["yes"], "Neighbours": []}, "partly_met", "1 of 2 parties have no requ"),
        ({"Customers": ["yes", "no"]}, "partly_met", "1 requirement is not addressed yet"),
        ({"Customers": ["yes"], "Owners": ["not_relevant"]}, "met", "each with its requirements"),
    ],
)
def test_parties_are_met_when_each_has_requirements_addressed_or_judged_not_relevant(
    quality_manager, requirements, status, sentence
):
    for name, answers in requirements.items():
        party = make_party(quality_manager, title=name)
        for i, addressed in enumerate(answers):
            make_requirement(quality_manager, title=f"R{i}", party=party, addressed=addressed)
    found, said = readiness(quality_manager, "4.2")
    assert found == status and sentence in said, said


def test_risks_are_partly_met_while_an_open_risk_scoring_10_has_no_action(quality_manager):
    high = make_risk(quality_manager, title="Energy costs", likelihood=2, consequence=5)  # 10
    make_risk(quality_manager, title="Late stock", likelihood=3, consequence=3)  # 9: no need
    make_risk(quality_manager, title="Footprints", kind="opportunity", likelihood=3, consequence=4)
    status, sentence = readiness(quality_manager, "6.1")
    assert status == Status.PARTLY_MET
    assert sentence.startswith("1 risk scoring 10 or more has no action")
    make_action(quality_manager, title="Fixed-price contract", risk=high)
    assert readiness(quality_manager, "6.1")[0] == Status.MET


def test_risks_are_partly_met_when_a_done_action_is_not_evaluated(done, quality_manager):
    status, sentence = readiness(quality_manager, "6.1")
    assert status == Status.PARTLY_MET
    assert "1 action carried out is not evaluated" in sentence
    JudgeEffective(quality_manager, done, reason="No stops.").execute()
    assert readiness(quality_manager, "6.1")[0] == Status.MET


# -- the demo ---------------------------------------------------------------------------------


@pytest.fixture
def demo(db):
    seed_demo()
    return Person.objects.get(full_name="Amira Haddad")  # the quality manager


def test_the_demo_risks_fall_in_at_least_three_bands(demo):
    bands = set(RiskRegister.queryset_for(demo).values_list("band", flat=True))
    assert len(bands - {""}) >= 3, bands


def test_the_demo_has_an_effective_action_and_shows_gaps_in_6_1_and_4_2(demo):
    judged = RiskAction.objects.get(effectiveness=RiskAction.Effectiveness.EFFECTIVE)
    assert judged.evaluation and judged.status == RiskAction.Status.DONE
    assert readiness(demo, "6.1")[0] == Status.PARTLY_MET
    assert readiness(demo, "4.2")[0] == Status.PARTLY_MET


def test_the_demo_shows_a_context_issue_past_its_review(demo):
    status, sentence = readiness(demo, "4.1")
    assert status == Status.PARTLY_MET
    assert "1 of 7 issues are past their review" in sentence


def test_a_done_action_or_a_closed_risk_is_no_longer_a_task(process_owner, client_for):
    soon = timezone.localdate() + datetime.timedelta(days=3)
    risk = make_risk(process_owner, title="Late deliveries", owner=process_owner, due_date=soon)
    open_action = make_action(
        process_owner, title="Call the supplier", risk=risk, owner=process_owner, due_date=soon
    )
    done_action = make_action(
        process_owner, title="Second source", risk=risk, owner=process_owner, due_date=soon
    )
    CompleteRiskAction(process_owner, done_action).execute()

    def tasks():
        context = client_for(process_owner).get("/").context
        return {t.reference for t in [*context["overdue"], *context["upcoming"]]}

    assert {risk.reference, open_action.reference} <= tasks()
    assert done_action.reference not in tasks()
    Risk.objects.filter(pk=risk.pk).update(status=Risk.Status.CLOSED)
    assert risk.reference not in tasks()
