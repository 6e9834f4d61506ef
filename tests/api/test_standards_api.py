"""The standards library and readiness endpoints: /api/v1/standards/... and /api/v1/readiness."""

import pytest

from norma.planning.actions import ApproveProcess
from tests.api import assert_error
from tests.factories import PASSWORD, make_process, measure_process

STANDARDS = "/api/v1/standards/"
CLAUSES = "/api/v1/standards/iso9001-2015/clauses/"
READINESS = "/api/v1/readiness"
STATUSES = {"met", "partly_met", "missing", "not_applicable", "not_assessed"}


@pytest.fixture
def api(api_for, internal_auditor):
    return api_for(internal_auditor)


def as_numbers(ref: str) -> tuple[int, ...]:
    return tuple(int(part) for part in ref.split("."))


def clause_status(api, ref: str) -> str:
    response = api.get(READINESS)
    assert response.status_code == 200, response.content
    return next(c["status"] for c in response.json()["clauses"] if c["ref"] == ref)


def test_standards_list_shows_iso9001_2015_with_its_91_clauses(api):
    response = api.get(STANDARDS)
    assert response.status_code == 200
    iso = [s for s in response.json() if s["slug"] == "iso9001-2015"]
    assert len(iso) == 1
    assert iso[0]["clause_count"] == 91
    assert iso[0]["name"] == "ISO 9001:2015"
    assert iso[0]["library_version"] >= 1


def test_clause_list_returns_all_91_clauses_in_numeric_clause_order(api):
    response = api.get(CLAUSES)
    assert response.status_code == 200
    refs = [c["ref"] for c in response.json()]
    assert len(refs) == 91
    assert len(set(refs)) == 91
    assert refs == sorted(refs, key=as_numbers)
    assert refs[:2] == ["4", "4.1"]
    # numeric, not text, order: 10 comes after every clause of 9
    assert refs.index("10") > max(i for i, r in enumerate(refs) if r.split(".")[0] == "9")


def test_clause_list_entries_carry_their_key_and_parent(api):
    clauses = {c["ref"]: c for c in api.get(CLAUSES).json()}
    assert clauses["7.5"]["key"] == "iso9001-2015:7.5"
    assert clauses["4"]["parent"] is None
    assert clauses["4.4.1"]["parent"] == "4.4"
    assert all(c["parent"] in clauses for c in clauses.values() if c["parent"] is not None)


def test_clause_7_1_5_2_is_measurement_traceability_under_7_1_5(api):
    response = api.get(CLAUSES + "7.1.5.2")
    assert response.status_code == 200
    clause = response.json()
    assert clause["ref"] == "7.1.5.2"
    assert clause["title"] == "Measurement traceability"
    assert clause["display_title"] == "Measurement traceability"
    assert clause["parent"] == "7.1.5"


def test_untitled_paragraph_9_2_1_has_an_empty_title_but_a_label_and_display_title(api):
    response = api.get(CLAUSES + "9.2.1")
    assert response.status_code == 200
    clause = response.json()
    assert clause["title"] == ""
    assert clause["label"].strip()
    assert clause["display_title"] == clause["label"]
    assert clause["parent"] == "9.2"


def test_unknown_clause_ref_is_404_in_the_error_shape(api):
    body = assert_error(api.get(CLAUSES + "99.9"), 404)
    assert body["errors"] == {}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/standards/iso9999-2030/clauses/",
        "/api/v1/standards/iso9999-2030/clauses/4.1",
        "/api/v1/standards/iso14001-2015/clauses/7.1.5.2",
    ],
)
def test_unknown_standard_is_404_in_the_error_shape(api, path):
    assert_error(api.get(path), 404)


def test_readiness_reports_score_counts_and_a_status_for_every_clause(api):
    response = api.get(READINESS)
    assert response.status_code == 200
    report = response.json()
    assert report["standard"] == "iso9001-2015"
    assert set(report["counts"]) == STATUSES
    assert len(report["clauses"]) == 91
    assert {c["status"] for c in report["clauses"]} <= STATUSES
    checked = [c for c in report["clauses"] if c["checks"]]
    assert checked, "at least one clause has a check"
    assert sum(report["counts"].values()) == len(checked)
    for clause in checked:
        assert all(check["status"] in STATUSES and check["sentence"] for check in clause["checks"])
    assert report["score"] is None or 0 <= report["score"] <= 100


def test_clause_4_4_1_is_missing_while_no_process_exists_and_so_are_its_parents(api):
    assert clause_status(api, "4.4.1") == "missing"
    assert clause_status(api, "4.4") == "missing"
    assert clause_status(api, "4") == "missing"


def test_clause_4_4_1_turns_met_once_an_approved_process_with_an_owner_exists(
    api, process_owner, top_manager, quality_manager
):
    assert clause_status(api, "4.4.1") == "missing"
    process = make_process(process_owner, title="Sales", owner=process_owner)
    assert clause_status(api, "4.4.1") == "partly_met"  # defined and owned, not approved
    ApproveProcess(top_manager, process, data={"password": PASSWORD}).execute()
    assert clause_status(api, "4.4.1") == "partly_met"  # approved, not yet measured
    measure_process(process_owner, process)
    assert clause_status(api, "4.4.1") == "met"
    assert clause_status(api, "4.4") == "met"


def test_an_approved_process_without_an_owner_leaves_4_4_1_partly_met(
    api, quality_manager, top_manager
):
    process = make_process(quality_manager, title="Ownerless")
    ApproveProcess(top_manager, process, data={"password": PASSWORD}).execute()
    assert clause_status(api, "4.4.1") == "partly_met"


def test_readiness_score_rises_when_the_missing_clause_is_met(
    api, process_owner, top_manager, quality_manager
):
    # Nothing is met yet: 5.3 needs QMS roles, 4.4.1 a process, and the other registers hold
    # nothing yet.
    before = api.get(READINESS).json()
    assessed = before["counts"]["met"] + before["counts"]["missing"]
    assert before["counts"]["met"] == 0
    assert before["score"] == 0
    process = make_process(process_owner, title="Sales", owner=process_owner)
    ApproveProcess(top_manager, process, data={"password": PASSWORD}).execute()
    measure_process(process_owner, process)  # 4.4.1 c; it also meets 9.1.1
    report = api.get(READINESS).json()
    assert report["score"] == round(200 / assessed)
    assert report["counts"]["met"] == 2
    assert report["counts"]["missing"] == before["counts"]["missing"] - 2
