"""The certification calculators through the API answer exactly as specified, name the field
of any bad input with a 422, and serve anyone signed in to the API."""

import pytest

from tests.conftest import PERSONAS

AUDIT_TIME = "/api/v1/certification/audit-time"
SITE_SAMPLE = "/api/v1/certification/site-sample"
CYCLE = "/api/v1/certification/cycle"


@pytest.fixture
def api(api_for, quality_manager):
    return api_for(quality_manager)


def test_audit_time_answers_with_the_specified_fields(api):
    response = api.get(f"{AUDIT_TIME}?personnel=140")

    assert response.status_code == 200
    assert response.json() == {
        "initial_days": 8.0,
        "surveillance_days": 2.5,
        "recertification_days": 5.5,
        "min_onsite_days": 6.4,
        "warnings": [],
    }


def test_audit_time_applies_a_capped_reduction_and_says_so(api):
    body = api.get(f"{AUDIT_TIME}?personnel=20&reduction_pct=40").json()

    assert body["initial_days"] == 2.5  # 3 days less 30 %, rounded up to the half day
    assert body["warnings"] == [
        "Reductions of 40 % are capped at 30 % of the table value in total."
    ]


def test_audit_time_beyond_the_table_is_flagged_not_guessed(api):
    body = api.get(f"{AUDIT_TIME}?personnel=10701").json()

    assert body["initial_days"] is None
    assert body["min_onsite_days"] is None
    assert "extrapolate" in body["warnings"][0]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "personnel"),
        ("?personnel=0", "personnel"),
        ("?personnel=-4", "personnel"),
        ("?personnel=many", "personnel"),
        ("?personnel=10&reduction_pct=-1", "reduction_pct"),
        ("?personnel=10&reduction_pct=ten", "reduction_pct"),
        ("?personnel=10&reduction_pct=101", "reduction_pct"),
    ],
)
def test_bad_audit_time_input_names_the_field(api, query, field):
    response = api.get(f"{AUDIT_TIME}{query}")

    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]


def test_site_sample_answers_with_the_three_sizes(api):
    response = api.get(f"{SITE_SAMPLE}?sites=25")

    assert response.status_code == 200
    assert response.json() == {"initial": 5, "surveillance": 3, "recertification": 4}


@pytest.mark.parametrize("query", ["?sites=1", "?sites=0", "?sites=-2", "?sites=x", ""])
def test_bad_site_counts_name_the_field(api, query):
    response = api.get(f"{SITE_SAMPLE}{query}")

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["sites"]


def test_cycle_answers_with_the_dates_of_the_decision(api):
    response = api.get(f"{CYCLE}?decision_date=2025-03-10")

    assert response.status_code == 200
    assert response.json() == {
        "expiry": "2028-03-09",
        "surveillance_1_due": "2026-03-10",
        "surveillance_2_year": 2027,
        "restoration_until": "2028-09-09",
        "warnings": [],
    }


def test_cycle_carries_the_first_of_january_warning(api):
    body = api.get(f"{CYCLE}?decision_date=2025-01-01").json()

    assert body["expiry"] == "2027-12-31"
    assert len(body["warnings"]) == 1


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?decision_date=",
        "?decision_date=yesterday",
        "?decision_date=2025-02-30",
        "?decision_date=20250310",
        "?decision_date=2025-3-1",
        "?decision_date=9999-06-01",
    ],
)
def test_bad_decision_dates_name_the_field(api, query):
    response = api.get(f"{CYCLE}{query}")

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["decision_date"]


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_every_role_may_use_the_calculators(api_for, persona):
    client = api_for(persona)

    for url in (
        f"{AUDIT_TIME}?personnel=5",
        f"{SITE_SAMPLE}?sites=4",
        f"{CYCLE}?decision_date=2025-03-10",
    ):
        assert client.get(url).status_code == 200, url


def test_without_a_token_the_calculators_ask_for_one(client, db):
    for url in (
        f"{AUDIT_TIME}?personnel=5",
        f"{SITE_SAMPLE}?sites=4",
        f"{CYCLE}?decision_date=2025-03-10",
    ):
        assert client.get(url).status_code == 401, url
