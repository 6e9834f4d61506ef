"""The certification rules as pure functions: every band edge of IAF MD 5 table QMS 1 (the
domain reference's table, kept beside this file), the rounding and reduction conventions, the
dates of a certification cycle and IAF MD 1 site sampling."""

import csv
import datetime
import random
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from norma.certification import rules

D = datetime.date
ROWS = list(csv.DictReader((Path(__file__).parent / "iaf_md5_qms.csv").open()))
TABLE = [row for row in ROWS if row["enp_max"]]  # the last row says "follow progression"
EDGES = [(int(row[edge]), row) for row in TABLE for edge in ("enp_min", "enp_max")]


def days(text) -> Fraction:
    return Fraction(text)


# == audit time ============================================================================
@pytest.mark.parametrize(("personnel", "row"), EDGES, ids=[str(p) for p, _ in EDGES])
def test_each_band_edge_reads_the_table(personnel, row):
    time = rules.audit_time(personnel)

    assert time.initial_days == days(row["initial_days_stage1_plus_stage2"])
    assert time.surveillance_days == days(row["surveillance_days_1_3_half_day"])
    assert time.recertification_days == days(row["recertification_days_2_3_half_day"])
    assert time.min_onsite_days == days(row["min_onsite_days_80pct_of_table_exact"])
    assert time.warnings == ()


@pytest.mark.parametrize(("personnel", "row"), EDGES, ids=[str(p) for p, _ in EDGES])
def test_the_largest_reduction_never_takes_more_than_30_percent(personnel, row):
    time = rules.audit_time(personnel, reduction_pct=30)

    assert time.initial_days == days(row["min_days_after_max_30pct_reduction_half_day_ceil"])
    assert time.initial_days >= days(row["initial_days_stage1_plus_stage2"]) * Fraction(7, 10)


def test_a_reduction_beyond_30_percent_is_capped_with_a_warning():
    capped = rules.audit_time(100, reduction_pct=45)

    assert capped.initial_days == rules.audit_time(100, reduction_pct=30).initial_days == 5
    assert capped.warnings == (
        "Reductions of 45 % are capped at 30 % of the table value in total.",
    )


@pytest.mark.parametrize(
    ("personnel", "surveillance", "recertification"), [(200, 2.5, 4.5), (20, 1, 1.5)]
)
def test_surveillance_and_recertification_keep_to_the_cap_too(
    personnel, surveillance, recertification
):
    time = rules.audit_time(personnel, reduction_pct=30)
    table = rules.table_days(personnel)

    assert time.surveillance_days == surveillance
    assert time.recertification_days == recertification
    assert time.surveillance_days >= table * Fraction(7, 10) / 3
    assert time.recertification_days >= table * Fraction(7, 10) * 2 / 3


def test_increases_are_not_capped():
    assert rules.audit_time(100, increase_pct=100).initial_days == 14
    assert rules.audit_time(100, increase_pct=20, reduction_pct=10).initial_days == 7.5


def test_half_days_round_to_the_nearest_with_ties_up():
    assert rules.half_days(Fraction("5.2")) == 5
    assert rules.half_days(Fraction("5.3")) == Fraction("5.5")
    assert rules.half_days(Fraction("2.25")) == Fraction("2.5")
    assert rules.half_days(Fraction("2.75")) == 3
    assert rules.half_days(Fraction("2.7499")) == Fraction("2.5")


def test_one_person_more_than_a_band_moves_to_the_next():
    assert rules.table_days(45) == 4
    assert rules.table_days(46) == 5


@pytest.mark.parametrize("personnel", [int(ROWS[-1]["enp_min"]), 50_000])
def test_above_the_table_the_result_is_flagged_for_extrapolation(personnel):
    time = rules.audit_time(personnel)

    assert time.extrapolate is True
    assert time.initial_days is None and time.surveillance_days is None
    assert "beyond the table's last band (10,700)" in time.warnings[0]
    assert rules.cycle_budget(time, 1000) is None


@pytest.mark.parametrize("personnel", [0, -3])
def test_there_is_at_least_one_person(personnel):
    with pytest.raises(ValueError, match="at least 1"):
        rules.audit_time(personnel)


def test_negative_adjustments_are_refused():
    with pytest.raises(ValueError, match="0 or more"):
        rules.audit_time(10, reduction_pct=-5)


def test_reductions_given_as_decimals_count_exactly():
    assert rules.audit_time(140, reduction_pct=Decimal("12.50")).initial_days == 7


def test_the_cycle_budget_is_the_four_audits_at_the_day_rate():
    time = rules.audit_time(140)  # 8 initial, 2.5 surveillance, 5.5 recertification

    assert rules.cycle_budget(time, Decimal("1150.00")) == Fraction(8 + 5 + Fraction(11, 2)) * 1150


# == the certification cycle ==================================================================
def test_the_certificate_expires_the_day_before_three_years_on():
    dates = rules.cycle_dates(D(2025, 3, 10))

    assert dates.expiry == D(2028, 3, 9)
    assert dates.surveillance_1_due == D(2026, 3, 10)
    assert dates.surveillance_2_year == 2027
    assert dates.recertification_decision_by == D(2028, 3, 9)
    assert dates.restoration_until == D(2028, 9, 9)
    assert dates.warnings == ()


def test_a_leap_day_decision_expires_on_the_28th_of_february():
    dates = rules.cycle_dates(D(2024, 2, 29))

    assert dates.expiry == D(2027, 2, 28)
    assert dates.surveillance_1_due == D(2025, 2, 28)


def test_a_decision_on_the_first_of_january_is_flagged_for_the_registrar():
    dates = rules.cycle_dates(D(2025, 1, 1))

    assert dates.expiry == D(2027, 12, 31)
    assert dates.surveillance_2_year == 2027
    assert "falls in 2027, the year the certificate expires" in dates.warnings[0]


def test_the_restoration_window_ends_on_the_last_day_of_a_short_month():
    assert rules.cycle_dates(D(2025, 9, 1)).restoration_until == D(2029, 2, 28)


def test_a_renewal_decided_in_time_runs_on_from_the_old_expiry():
    assert rules.next_cycle_expiry(D(2028, 3, 9)) == D(2031, 3, 9)


def test_the_next_audit_due_follows_the_surveillances_held():
    decision, expiry = D(2025, 3, 10), D(2028, 3, 9)

    assert rules.next_audit_due(decision, expiry, []) == D(2026, 3, 10)
    assert rules.next_audit_due(decision, expiry, [D(2026, 2, 20)]) == D(2027, 12, 31)
    assert rules.next_audit_due(decision, expiry, [D(2026, 2, 20), D(2027, 3, 1)]) == expiry


@pytest.mark.parametrize(
    ("today", "surveillances", "code"),
    [
        (D(2026, 3, 10), [], "certified"),
        (D(2026, 3, 11), [], "surveillance_overdue"),
        (D(2027, 12, 31), [D(2026, 3, 1)], "certified"),
        (D(2028, 1, 1), [D(2026, 3, 1)], "surveillance_overdue"),
        (D(2028, 3, 9), [D(2026, 3, 1), D(2027, 3, 1)], "certified"),
        (D(2028, 3, 10), [D(2026, 3, 1), D(2027, 3, 1)], "expired"),
        (D(2028, 9, 9), [D(2026, 3, 1), D(2027, 3, 1)], "expired"),
        (D(2028, 9, 10), [D(2026, 3, 1), D(2027, 3, 1)], "lapsed"),
    ],
)
def test_where_a_cycle_stands(today, surveillances, code):
    assert rules.standing(D(2025, 3, 10), D(2028, 3, 9), surveillances, today).code == code


def test_an_expired_certificate_says_until_when_it_can_be_restored():
    standing = rules.standing(D(2025, 3, 10), D(2028, 3, 9), [], D(2028, 4, 1))

    assert str(standing) == "Expired, restorable until 9 September 2028"


def test_a_cycle_without_a_decision_is_planned():
    assert rules.standing(None, None, [], D(2026, 1, 1)).code == "planned"


# == multi-site sampling ======================================================================
@pytest.mark.parametrize(
    ("sites", "initial", "surveillance", "recertification"),
    [
        (2, 2, 1, 2),
        (4, 2, 2, 2),  # √4 = 2 exactly; 0.6·2 = 1.2 → 2; 0.8·2 = 1.6 → 2
        (9, 3, 2, 3),
        (25, 5, 3, 4),  # 0.6·5 = 3 and 0.8·5 = 4 exactly: no float surprise rounds them up
        (26, 6, 4, 5),
        (100, 10, 6, 8),
        (10_000, 100, 60, 80),
    ],
)
def test_the_sample_is_the_rounded_up_root(sites, initial, surveillance, recertification):
    assert rules.site_sample(sites) == {
        "initial": initial,
        "surveillance": surveillance,
        "recertification": recertification,
    }


@pytest.mark.parametrize("sites", [1, 0, -4])
def test_one_site_or_fewer_is_not_sampled(sites):
    with pytest.raises(ValueError, match="more than one site"):
        rules.site_sample(sites)


def test_at_least_a_quarter_of_the_sample_is_drawn_at_random():
    sites = [f"site {n}" for n in range(20)]
    chosen = sites[:8]  # the auditors would pick all eight on risk

    picked = rules.pick_sites(sites, 8, chosen=chosen, rng=random.Random(7))

    # Every choice kept, and ⌈8 / 4⌉ more drawn at random: the sample grows to ten.
    assert len(picked) == len(set(picked)) == 10
    assert picked[:8] == chosen
    assert not set(picked[8:]) & set(chosen)


def test_a_few_choices_are_topped_up_at_random_to_the_sample_size():
    sites = [f"site {n}" for n in range(20)]

    picked = rules.pick_sites(sites, 5, chosen=["site 3", "elsewhere"], rng=random.Random(1))

    assert len(picked) == len(set(picked)) == 5
    assert picked[0] == "site 3"


def test_choices_never_push_the_sample_past_the_sites_there_are():
    sites = ["a", "b", "c", "d"]

    assert sorted(rules.pick_sites(sites, 4, chosen=sites)) == sites


def test_a_sample_larger_than_the_sites_is_refused():
    with pytest.raises(ValueError, match="cannot be drawn from 3 sites"):
        rules.pick_sites(["a", "b", "c"], 4)
