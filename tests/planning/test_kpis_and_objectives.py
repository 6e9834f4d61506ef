"""KPIs and quality objectives (9.1.1, 6.2): both registers through the register kit, results
entered on the KPI page or pushed through the API, where KPIs and objectives stand, the KPI
page and lists, "My tasks", and readiness of 4.4.1 c, 6.2 and 9.1.1."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from norma.core.models import RoleCode
from norma.planning import readiness
from norma.planning.models import Kpi, Measurement, Objective, Process
from norma.planning.registers import KpiRegister, ObjectiveRegister
from norma.standards.readiness import Status, evaluate, registered_checks
from tests.conftest import PERSONAS
from tests.factories import (
    PersonFactory,
    bulk_planning_records,
    make_planning_record,
    make_process,
    measure_process,
)
from tests.kit import RegisterKit, count_queries, form_data

EVERYONE = [p for p in PERSONAS if p != "nobody"]
KPI_PEOPLE = ["quality_manager", "top_manager", "process_owner"]
OBJECTIVE_PEOPLE = ["quality_manager", "top_manager"]
KPI = {"unit": "%", "frequency": "monthly", "direction": "higher", "target": Decimal("95")}
OBJECTIVE = {"unit": "%", "direction": "higher", "target": Decimal("95")}
KPIS = "/planning/kpis/"
OBJECTIVES = "/planning/quality-objectives/"

make_kpi = make_planning_record(Kpi, {"title": "On-time delivery", **KPI})
make_objective = make_planning_record(Objective, {"title": "Deliver on time", **OBJECTIVE})


def measurements_url(kpi) -> str:
    return f"/api/v1/planning/kpis/{kpi.reference}/measurements"


def add_results(kpi, count: int, days_between: int = 7, value="96"):
    """`count` results, one every `days_between` days up to today (setup; never edited)."""
    now = timezone.now()
    Measurement.objects.bulk_create(
        Measurement(
            kpi=kpi,
            measured_at=now - datetime.timedelta(days=days_between * n),
            value=Decimal(value),
        )
        for n in range(count)
    )


class TestKpiRegister(RegisterKit):
    register = KpiRegister
    make_record = staticmethod(make_kpi)
    bulk_records = staticmethod(bulk_planning_records(Kpi, "KPI", KPI))
    create_data = {
        "title": "First-pass yield",
        "unit": "%",
        "frequency": "weekly",
        "direction": "higher",
        "target": "98.0000",
        "threshold": "95.0000",
    }
    edit_data = {"title": "First-pass yield, line 2", "target": "97.5000"}
    invalid_data = {"threshold": "99"}  # the better side of a 98 % target
    viewers = EVERYONE
    adders = KPI_PEOPLE
    editors = KPI_PEOPLE
    archivers = ["quality_manager"]


class TestObjectiveRegister(RegisterKit):
    register = ObjectiveRegister
    make_record = staticmethod(make_objective)
    bulk_records = staticmethod(bulk_planning_records(Objective, "OBJ", OBJECTIVE))
    create_data = {
        "title": "Fewer customer complaints",
        "unit": "complaints",
        "direction": "lower",
        "baseline": "40.0000",
        "target": "20.0000",
    }
    edit_data = {"title": "Halve customer complaints", "target": "15.0000"}
    invalid_data = {"target": ""}  # 6.2.1 b: an objective is measurable
    viewers = EVERYONE
    adders = OBJECTIVE_PEOPLE
    editors = OBJECTIVE_PEOPLE
    archivers = ["quality_manager"]


# -- measurements entered on the KPI page ------------------------------------------------
def test_result_entered_on_the_kpi_page_is_kept_and_moves_the_next_due_date(
    client_for, process_owner
):
    kpi = make_kpi(process_owner, frequency="weekly")
    day = timezone.localdate() - datetime.timedelta(days=2)

    response = client_for(process_owner).post(
        f"{KPIS}{kpi.reference}/do/measure/",
        {"value": "97.5", "measured_at": day.isoformat(), "note": "Week 48", "version": "1"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"{KPIS}{kpi.reference}/"
    result = kpi.measurements.get()
    assert result.value == Decimal("97.5")
    assert timezone.localdate(result.measured_at) == day
    assert (result.note, result.source, result.entered_by) == ("Week 48", "manual", process_owner)
    kpi.refresh_from_db()
    assert kpi.due_date == day + datetime.timedelta(days=7)


def test_kpi_page_offers_the_result_form_only_to_who_may_measure(
    client_for, process_owner, employee
):
    kpi = make_kpi(process_owner)
    action = f'action="{KPIS}{kpi.reference}/do/measure/"'
    assert action in client_for(process_owner).get(f"{KPIS}{kpi.reference}/").content.decode()
    assert action not in client_for(employee).get(f"{KPIS}{kpi.reference}/").content.decode()


# -- measurements pushed through the API -------------------------------------------------
def test_pushed_result_answers_with_the_standing_of_the_kpi_and_its_objectives(
    api_for, process_owner, top_manager
):
    kpi = make_kpi(process_owner, frequency="quarterly", threshold=Decimal("90"))
    due = timezone.localdate() + datetime.timedelta(days=300)
    objective = make_objective(top_manager, kpi=kpi, baseline=Decimal("80"), due_date=due)
    api = api_for(process_owner)

    low = api.post(measurements_url(kpi), {"value": 70, "note": "Strike week"})
    assert low.status_code == 201, low.content
    assert low.json()["kpi"] == {"reference": kpi.reference, "standing": "off_track"}
    assert low.json()["objectives"] == [{"reference": objective.reference, "standing": "off_track"}]

    high = api.post(measurements_url(kpi), {"value": "96", "unit": "%"})

    assert high.status_code == 201, high.content
    body = high.json()
    assert body["measurement"]["value"] == 96.0
    assert body["measurement"]["source"] == "api"
    assert body["kpi"] == {"reference": kpi.reference, "standing": "on_track"}
    assert body["objectives"] == [{"reference": objective.reference, "standing": "on_track"}]
    assert body["next_due"] == (timezone.localdate() + datetime.timedelta(days=92)).isoformat()
    assert kpi.measurements.count() == 2
    listed = api.get(measurements_url(kpi)).json()
    assert [row["value"] for row in listed] == [70.0, 96.0]


def test_objective_page_says_where_it_stands_once_its_kpi_is_measured(
    client_for, process_owner, top_manager
):
    kpi = make_kpi(process_owner)
    objective = make_objective(top_manager, kpi=kpi, baseline=Decimal("80"))
    client = client_for(top_manager)
    url = f"{OBJECTIVES}{objective.reference}/"
    before = client.get(url).content.decode()
    assert "Not measured yet" in before
    assert f"Its KPI {kpi.reference} has no result yet" in before

    add_results(kpi, 1, value="96.5")

    after = client.get(url).content.decode()
    assert "On track" in after
    assert "Latest 96.5 %" in after


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"value": "12,5"}, "value"),
        ({"value": "abc"}, "value"),
        ({"value": "NaN"}, "value"),
        ({"value": "-Infinity"}, "value"),
        ({"value": 1e20}, "value"),
        ({"value": 97, "unit": "ppm"}, "unit"),
        ({"value": 97, "measured_at": "2026-13-45"}, "measured_at"),
    ],
)
def test_bad_result_is_refused_naming_the_field_and_nothing_is_stored(
    api_for, process_owner, payload, field
):
    kpi = make_kpi(process_owner)

    response = api_for(process_owner).post(measurements_url(kpi), payload)

    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert not kpi.measurements.exists()
    kpi.refresh_from_db()
    assert (kpi.version, kpi.due_date) == (1, None)


def test_result_a_week_in_the_future_is_refused(api_for, process_owner):
    kpi = make_kpi(process_owner)
    later = (timezone.now() + datetime.timedelta(days=7)).isoformat()

    response = api_for(process_owner).post(
        measurements_url(kpi), {"value": 97, "measured_at": later}
    )

    assert response.status_code == 422
    assert "measured_at" in response.json()["errors"]
    assert not kpi.measurements.exists()


def test_result_for_an_unknown_kpi_is_not_found(api_for, process_owner):
    response = api_for(process_owner).post(
        "/api/v1/planning/kpis/KPI-99999/measurements", {"value": 1}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("slug", ["kpis", "quality-objectives"])
def test_api_reads_a_record_with_its_target(api_for, quality_manager, slug):
    maker = make_kpi if slug == "kpis" else make_objective
    record = maker(quality_manager, target=Decimal("97.5"))
    response = api_for(quality_manager).get(f"/api/v1/planning/{slug}/{record.reference}")
    assert response.status_code == 200
    assert Decimal(str(response.json()["target"])) == Decimal("97.5")


def test_result_with_a_bad_token_is_unauthenticated(process_owner):
    kpi = make_kpi(process_owner)
    client = Client(HTTP_AUTHORIZATION="Bearer not-a-real-token")

    response = client.post(measurements_url(kpi), '{"value": 97}', content_type="application/json")

    assert response.status_code == 401
    assert not kpi.measurements.exists()


def test_employee_cannot_push_a_result(api_for, process_owner, employee):
    kpi = make_kpi(process_owner)

    response = api_for(employee).post(measurements_url(kpi), {"value": 97})

    assert response.status_code == 403
    assert not kpi.measurements.exists()
    assert api_for(employee).get(measurements_url(kpi)).status_code == 200  # reading is fine


def test_retired_kpi_takes_no_more_results(api_for, process_owner):
    kpi = make_kpi(process_owner)
    Kpi.objects.filter(pk=kpi.pk).update(status=Kpi.Status.RETIRED)

    response = api_for(process_owner).post(measurements_url(kpi), {"value": 97})

    assert response.status_code == 409
    assert "no longer measured" in response.json()["detail"]
    assert not kpi.measurements.exists()


def test_person_limited_to_leeds_cannot_reach_a_porto_kpi(api_for, quality_manager, leeds, porto):
    kpi = make_kpi(quality_manager, site=porto)
    leeds_owner = PersonFactory(roles=[RoleCode.PROCESS_OWNER], scope_sites=[leeds])
    api = api_for(leeds_owner)

    assert api.post(measurements_url(kpi), {"value": 97}).status_code == 404
    assert api.get(measurements_url(kpi)).status_code == 404
    assert not kpi.measurements.exists()


# -- where a KPI and an objective stand --------------------------------------------------
@pytest.mark.parametrize(
    ("direction", "target", "threshold", "value", "expected"),
    [
        ("higher", "95", None, None, "not_measured"),
        ("higher", "95", None, "95", "on_track"),
        ("higher", "95", None, "94.99", "off_track"),
        ("higher", "95", "90", "92", "at_risk"),
        ("higher", "95", "90", "90", "at_risk"),
        ("higher", "95", "90", "89.9", "off_track"),
        ("lower", "2", None, "1.5", "on_track"),
        ("lower", "2", None, "2.1", "off_track"),
        ("lower", "2", "5", "4", "at_risk"),
        ("lower", "2", "5", "5.5", "off_track"),
    ],
)
def test_kpi_standing_follows_direction_target_and_threshold(
    direction, target, threshold, value, expected
):
    kpi = Kpi(direction=direction, target=Decimal(target))
    kpi.threshold = Decimal(threshold) if threshold else None
    assert kpi.standing(Decimal(value) if value else None) == expected


@pytest.mark.parametrize(("direction", "threshold"), [("higher", "97"), ("lower", "90")])
def test_alert_threshold_on_the_better_side_of_the_target_is_refused(direction, threshold):
    kpi = Kpi(direction=direction, target=Decimal("95"), threshold=Decimal(threshold))
    with pytest.raises(ValidationError) as refused:
        kpi.clean()
    assert "threshold" in refused.value.message_dict


def test_alert_threshold_on_the_worse_side_is_accepted():
    Kpi(direction="higher", target=Decimal("95"), threshold=Decimal("90")).clean()
    Kpi(direction="lower", target=Decimal("2"), threshold=Decimal("5")).clean()


SET_ON = datetime.datetime(2026, 1, 1, 9, tzinfo=datetime.UTC)
DEADLINE = datetime.date(2026, 5, 1)  # 120 days after it was set
HALFWAY = datetime.date(2026, 3, 2)  # 60 days in: the line stands at 90


@pytest.mark.parametrize(
    ("value", "today", "expected"),
    [
        (None, HALFWAY, "not_measured"),
        ("100", HALFWAY, "on_track"),
        ("90", HALFWAY, "on_track"),
        ("89", HALFWAY, "at_risk"),
        ("80", HALFWAY, "off_track"),
        ("75", HALFWAY, "off_track"),
        ("81", datetime.date(2025, 12, 1), "on_track"),  # before it was set: the baseline
        ("99", datetime.date(2026, 9, 1), "at_risk"),  # past the deadline: the target
    ],
)
def test_objective_standing_follows_the_line_from_baseline_to_target(value, today, expected):
    objective = Objective(
        direction="higher",
        baseline=Decimal("80"),
        target=Decimal("100"),
        due_date=DEADLINE,
        created_at=SET_ON,
    )
    assert objective.standing(Decimal(value) if value else None, today) == expected


def test_lower_is_better_objective_follows_its_line_downwards(top_manager):
    objective = make_objective(
        top_manager, direction="lower", unit="days", baseline=Decimal("10"), target=Decimal("2")
    )
    Objective.objects.filter(pk=objective.pk).update(created_at=SET_ON, due_date=DEADLINE)
    objective.refresh_from_db()
    assert objective.standing(Decimal("6"), HALFWAY) == "on_track"
    assert objective.standing(Decimal("7"), HALFWAY) == "at_risk"
    assert objective.standing(Decimal("11"), HALFWAY) == "off_track"


def test_objective_target_in_another_unit_than_its_kpi_is_refused(process_owner, top_manager):
    kpi = make_kpi(process_owner, unit="%")
    objective = Objective(kpi=kpi, unit="days", direction="lower", target=Decimal("3"))
    with pytest.raises(ValidationError) as refused:
        objective.clean()
    assert "unit" in refused.value.message_dict


def test_objective_in_another_unit_is_refused_by_the_form(client_for, process_owner, top_manager):
    kpi = make_kpi(process_owner, unit="%")
    data = form_data(ObjectiveRegister, title="Faster", kpi=str(kpi.pk), **OBJECTIVE)
    response = client_for(top_manager).post(f"{OBJECTIVES}new/", {**data, "unit": "days"})
    assert response.status_code == 422
    assert "unit" in response.context["form"].errors
    assert not Objective.objects.exists()


def test_objective_without_a_target_is_refused_by_the_api(api_for, top_manager):
    response = api_for(top_manager).post(
        "/api/v1/planning/quality-objectives/",
        {"title": "Happier customers", "unit": "%", "direction": "higher"},
    )
    assert response.status_code == 422, response.content
    assert "target" in response.json()["errors"]
    assert not Objective.objects.exists()


# -- pages ---------------------------------------------------------------------------------
def test_kpi_page_shows_the_trend_with_target_and_alert_lines_and_the_latest_results(
    client_for, process_owner
):
    kpi = make_kpi(process_owner, threshold=Decimal("90"))
    add_results(kpi, 25, value="93.25")
    newest = kpi.measurements.order_by("-measured_at").first()
    Measurement.objects.filter(pk=newest.pk).update(note="Newest result")

    page = client_for(process_owner).get(f"{KPIS}{kpi.reference}/").content.decode()

    assert "<svg" in page
    assert page.count('class="chart-reference"') == 2  # target and alert
    assert ">target<" in page and ">alert<" in page
    assert page.count("<td>93.25 %</td>") == 20  # the latest 20 results, not all 25
    assert "Newest result" in page
    assert "At risk" in page


def test_kpi_page_costs_the_same_with_five_or_five_years_of_results(client_for, process_owner):
    kpi = make_kpi(process_owner)
    add_results(kpi, 5)
    client = client_for(process_owner)
    url = f"{KPIS}{kpi.reference}/"
    client.get(url)
    few, _ = count_queries(client, url)
    Measurement.objects.filter(kpi=kpi).delete()
    add_results(kpi, 260)
    many, sql = count_queries(client, url)
    assert many == few, "\n".join(sql)


@pytest.mark.parametrize("register", ["kpi", "objective"])
def test_lists_cost_the_same_with_3_or_30_measured_rows(
    client_for, quality_manager, leeds, register
):
    def grow(count):
        for n in range(count):
            kpi = make_kpi(quality_manager, title=f"KPI {n}", owner=quality_manager, site=leeds)
            add_results(kpi, 2)
            if register == "objective":
                make_objective(quality_manager, kpi=kpi, owner=quality_manager, site=leeds)

    url = KPIS if register == "kpi" else OBJECTIVES
    client = client_for(quality_manager)
    grow(3)
    client.get(url)
    few, _ = count_queries(client, url)
    grow(27)
    many, sql = count_queries(client, url)
    assert many == few, "\n".join(sql)
    assert "On track" in client.get(url).content.decode()


def test_kpi_overdue_for_measuring_is_in_its_owners_tasks(client_for, process_owner, employee):
    kpi = make_kpi(process_owner, owner=process_owner)
    add_results(kpi, 1)
    Kpi.objects.filter(pk=kpi.pk).update(due_date=timezone.localdate() - datetime.timedelta(days=3))
    on_time = make_kpi(process_owner, owner=process_owner, title="Scrap rate")

    overdue = client_for(process_owner).get("/").context["overdue"]

    assert [task.reference for task in overdue] == [kpi.reference]
    assert overdue[0].kind == "Measure"
    assert on_time.reference not in {t.reference for t in overdue}
    assert client_for(employee).get("/").context["overdue"] == []


# -- readiness -------------------------------------------------------------------------------
def check(person, ref: str, function):
    """What one check of a clause says in the readiness report (4.4.1 has two checks)."""
    row = next(r for r in evaluate(person).rows if r.clause.ref == ref)
    return row.results[registered_checks()[ref].index(function)]


def test_results_retained_goes_from_missing_to_partly_met_to_met(quality_manager, process_owner):
    assert check(quality_manager, "9.1.1", readiness.results_retained).status == Status.MISSING

    kpi = make_kpi(process_owner)
    first = check(quality_manager, "9.1.1", readiness.results_retained)
    assert first.status == Status.PARTLY_MET
    assert "1 kpi has no result yet" in first.sentence.lower()

    add_results(kpi, 1)
    Kpi.objects.filter(pk=kpi.pk).update(due_date=timezone.localdate() - datetime.timedelta(days=1))
    late = check(quality_manager, "9.1.1", readiness.results_retained)
    assert late.status == Status.PARTLY_MET
    assert "1 kpi is overdue" in late.sentence.lower()

    Kpi.objects.filter(pk=kpi.pk).update(due_date=timezone.localdate() + datetime.timedelta(days=9))
    met = check(quality_manager, "9.1.1", readiness.results_retained)
    assert met.status == Status.MET
    assert "measured on schedule" in met.sentence


def test_results_retained_writes_kpi_in_capitals(quality_manager, process_owner):
    make_kpi(process_owner)
    assert check(quality_manager, "9.1.1", readiness.results_retained).sentence == (
        "1 KPI has no result yet."
    )


def test_objectives_set_is_partly_met_without_a_plan_or_a_result(
    quality_manager, process_owner, top_manager
):
    assert check(quality_manager, "6.2", readiness.objectives_set).status == Status.MISSING
    kpi = make_kpi(process_owner)
    due = timezone.localdate() + datetime.timedelta(days=200)
    planned = {"plan": "Second shift", "evaluation": "Monthly review", "owner": top_manager}
    objective = make_objective(top_manager, kpi=kpi, due_date=due, **planned)

    unmeasured = check(quality_manager, "6.2", readiness.objectives_set)
    assert unmeasured.status == Status.PARTLY_MET
    assert "no result yet" in unmeasured.sentence

    add_results(kpi, 1, value="97")
    assert check(quality_manager, "6.2", readiness.objectives_set).status == Status.MET

    Objective.objects.filter(pk=objective.pk).update(plan="")
    unplanned = check(quality_manager, "6.2", readiness.objectives_set)
    assert unplanned.status == Status.PARTLY_MET
    assert "lacks a plan" in unplanned.sentence


def test_processes_measured_is_partly_met_until_the_process_kpi_has_a_result(
    quality_manager, process_owner
):
    process = make_process(process_owner, title="Dispatch")
    kpi = make_kpi(process_owner, process=process)
    result = check(quality_manager, "4.4.1", readiness.processes_measured)
    assert result.status == Status.PARTLY_MET
    assert "1 of 1 processes have a KPI; 0 were measured" in result.sentence

    add_results(kpi, 1)
    Kpi.objects.filter(pk=kpi.pk).update(
        due_date=timezone.localdate() + datetime.timedelta(days=30)
    )
    assert check(quality_manager, "4.4.1", readiness.processes_measured).status == Status.MET


def test_measure_process_factory_satisfies_processes_measured(quality_manager, process_owner):
    measure_process(process_owner, make_process(process_owner, title="Machining"))
    measure_process(process_owner, make_process(process_owner, title="Inspection"))
    assert Process.objects.count() == 2
    assert check(quality_manager, "4.4.1", readiness.processes_measured).status == Status.MET
