"""The certification rules as pure functions: the dates of a certification cycle (ISO/IEC
17021-1), audit time for a QMS (IAF MD 5, table QMS 1) and multi-site sampling (IAF MD 1).

Exact arithmetic throughout (Fractions and integers): a half-day boundary or a perfect square
never falls on the wrong side through floating-point error. Conventions where the documents
leave a choice, as the project's domain reference states them:

- expiry = decision date − 1 day + 3 years (a 29 February that does not exist becomes the 28th);
- audit days are rounded to the nearest half day, ties up (2.25 → 2.5);
- reductions are capped at 30 % of the table value in total, and a reduced result is rounded
  up to the half day, so rounding never takes the reduction past the cap;
- above the table's last band (10,700 people) the result is flagged for extrapolation by hand
  rather than read from the last band.
"""

import calendar
import datetime
import math
import random
from dataclasses import dataclass, field
from fractions import Fraction

# -- the certification cycle ---------------------------------------------------------------
CYCLE_YEARS = 3
SURVEILLANCE_MONTHS = 12  # the first surveillance audit, from the certification decision
RESTORATION_MONTHS = 6  # an expired certificate may be restored within this


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later; the month's last day when it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


@dataclass(frozen=True)
class CycleDates:
    decision: datetime.date
    expiry: datetime.date
    surveillance_1_due: datetime.date
    surveillance_2_year: int
    recertification_decision_by: datetime.date
    restoration_until: datetime.date
    warnings: tuple[str, ...] = ()


def cycle_dates(decision: datetime.date) -> CycleDates:
    """The dates a certification decision sets for its three-year cycle."""
    expiry = add_months(decision - datetime.timedelta(days=1), 12 * CYCLE_YEARS)
    first = add_months(decision, SURVEILLANCE_MONTHS)
    second_year = first.year + 1
    warnings = []
    if second_year >= expiry.year:
        warnings.append(
            f"The second surveillance falls in {second_year}, the year the certificate expires "
            f"({expiry.isoformat()}): agree the dates with the certification body."
        )
    return CycleDates(
        decision=decision,
        expiry=expiry,
        surveillance_1_due=first,
        surveillance_2_year=second_year,
        recertification_decision_by=expiry,
        restoration_until=add_months(expiry, RESTORATION_MONTHS),
        warnings=tuple(warnings),
    )


def next_cycle_expiry(expiry: datetime.date) -> datetime.date:
    """Recertified before expiry: the new cycle runs on from the old expiry date."""
    return add_months(expiry, 12 * CYCLE_YEARS)


# -- audit time (IAF MD 5, table QMS 1) ---------------------------------------------------
# (largest effective number of personnel in the band, audit days for stage 1 + stage 2)
QMS_TABLE: tuple[tuple[int, Fraction], ...] = tuple(
    (top, Fraction(days))
    for top, days in (
        (5, "1.5"),
        (10, "2"),
        (15, "2.5"),
        (25, "3"),
        (45, "4"),
        (65, "5"),
        (85, "6"),
        (125, "7"),
        (175, "8"),
        (275, "9"),
        (425, "10"),
        (625, "11"),
        (875, "12"),
        (1175, "13"),
        (1550, "14"),
        (2025, "15"),
        (2675, "16"),
        (3450, "17"),
        (4350, "18"),
        (5450, "19"),
        (6800, "20"),
        (8500, "21"),
        (10700, "22"),
    )
)
MAX_REDUCTION = Fraction(30, 100)
ONSITE_SHARE = Fraction(80, 100)
SURVEILLANCE_SHARE = Fraction(1, 3)
RECERTIFICATION_SHARE = Fraction(2, 3)


def half_days(value: Fraction) -> Fraction:
    """To the nearest half day, ties up."""
    return Fraction(math.floor(value * 2 + Fraction(1, 2)), 2)


def half_days_up(value: Fraction) -> Fraction:
    return Fraction(math.ceil(value * 2), 2)


def table_days(personnel: int) -> Fraction | None:
    """The initial audit time for the effective number of personnel; None above the table."""
    if personnel < 1:
        raise ValueError("The effective number of personnel is at least 1.")
    return next((days for top, days in QMS_TABLE if personnel <= top), None)


@dataclass(frozen=True)
class AuditTime:
    personnel: int
    table_days: Fraction | None
    initial_days: Fraction | None
    surveillance_days: Fraction | None
    recertification_days: Fraction | None
    min_onsite_days: Fraction | None
    warnings: tuple[str, ...] = field(default=())

    @property
    def extrapolate(self) -> bool:
        return self.table_days is None


def audit_time(personnel: int, reduction_pct=0, increase_pct=0) -> AuditTime:
    """Initial (stage 1 + 2), surveillance (⅓) and recertification (⅔) audit days, and the
    on-site minimum (80 %), after documented increases (uncapped) and reductions (capped)."""
    reduction, increase = Fraction(str(reduction_pct)) / 100, Fraction(str(increase_pct)) / 100
    if reduction < 0 or increase < 0:
        raise ValueError("Increases and reductions are percentages of 0 or more.")
    table = table_days(personnel)
    if table is None:
        warning = (
            f"{personnel:,} people is beyond the table's last band (10,700): extrapolate the "
            "audit time by hand with the certification body."
        )
        return AuditTime(personnel, None, None, None, None, None, (warning,))
    warnings = []
    if reduction > MAX_REDUCTION:
        warnings.append(
            f"Reductions of {reduction_pct} % are capped at 30 % of the table value in total."
        )
        reduction = MAX_REDUCTION
    exact = table * (1 + increase - reduction)
    floor = table * (1 + increase - MAX_REDUCTION)

    def rounded(share: Fraction) -> Fraction:
        days = half_days(exact * share)
        if reduction:  # rounding never takes the reduction past the cap
            days = max(days, half_days_up(floor * share))
        return days

    initial = rounded(Fraction(1))
    return AuditTime(
        personnel=personnel,
        table_days=table,
        initial_days=initial,
        surveillance_days=rounded(SURVEILLANCE_SHARE),
        recertification_days=rounded(RECERTIFICATION_SHARE),
        min_onsite_days=initial * ONSITE_SHARE,
        warnings=tuple(warnings),
    )


def cycle_budget(time: AuditTime, day_rate) -> Fraction | None:
    """What the audits of one cycle cost at a day rate: the initial audit, two surveillance
    audits and the recertification audit."""
    if time.extrapolate:
        return None
    days = time.initial_days + 2 * time.surveillance_days + time.recertification_days
    return days * Fraction(str(day_rate))


# -- multi-site sampling (IAF MD 1) -------------------------------------------------------
SAMPLE_FACTORS = {
    "initial": Fraction(1),
    "surveillance": Fraction(6, 10),
    "recertification": Fraction(8, 10),
}
RANDOM_SHARE = Fraction(1, 4)


def ceil_root(sites: int, factor: Fraction) -> int:
    """⌈factor·√sites⌉ exactly: the least y with y² ≥ factor²·sites."""
    target = factor * factor * sites
    y = math.isqrt(math.floor(target))
    while y * y < target:
        y += 1
    return y


def site_sample(sites: int) -> dict[str, int]:
    """The least number of sites to visit besides the central function, per audit type."""
    if sites <= 1:
        raise ValueError("Sampling needs more than one site besides the central function.")
    return {kind: ceil_root(sites, factor) for kind, factor in SAMPLE_FACTORS.items()}


def pick_sites(sites: list, size: int, chosen=(), rng: random.Random | None = None) -> list:
    """A sample of at least `size` sites: every site the auditors chose on risk, then the
    rest at random, at least a quarter of the sample at random; choosing more enlarges the
    sample rather than dropping a choice."""
    if size > len(sites):
        raise ValueError(f"A sample of {size} cannot be drawn from {len(sites)} sites.")
    rng = rng or random.SystemRandom()
    picked = list(dict.fromkeys(site for site in chosen if site in sites))
    total = min(len(sites), max(size, len(picked) + math.ceil(size * RANDOM_SHARE)))
    rest = [site for site in sites if site not in picked]
    return picked + rng.sample(rest, total - len(picked))


# -- where a cycle stands -----------------------------------------------------------------
@dataclass(frozen=True)
class Standing:
    code: str  # planned, certified, surveillance_overdue, expired, lapsed
    label: str
    next_due: datetime.date | None = None  # the next audit or decision the cycle waits for

    def __str__(self):
        return self.label


def _year_end(year: int) -> datetime.date:
    return datetime.date(year, 12, 31)


def next_audit_due(
    decision: datetime.date, expiry: datetime.date, surveillances: list[datetime.date]
) -> datetime.date:
    """The latest date the next audit of the cycle may fall: the first surveillance within
    12 months of the decision, the second in the calendar year after the first, then the
    recertification decision before expiry."""
    held = sorted(surveillances)
    if not held:
        return min(add_months(decision, SURVEILLANCE_MONTHS), expiry)
    if len(held) == 1 and held[0].year + 1 < expiry.year:
        return _year_end(held[0].year + 1)
    return expiry


def standing(
    decision: datetime.date | None,
    expiry: datetime.date | None,
    surveillances: list[datetime.date],
    today: datetime.date,
) -> Standing:
    """Where a certification cycle stands today, from its decision, expiry and the last days
    of the surveillance audits held in it."""
    if decision is None or expiry is None:
        return Standing("planned", "Working towards certification")
    if today > expiry:
        until = add_months(expiry, RESTORATION_MONTHS)
        if today <= until:
            return Standing("expired", f"Expired, restorable until {until:%-d %B %Y}", until)
        return Standing("lapsed", "Lapsed: a new initial certification is needed")
    due = next_audit_due(decision, expiry, surveillances)
    if today > due:
        return Standing(
            "surveillance_overdue", "Surveillance overdue: the certificate may be suspended", due
        )
    return Standing("certified", "Certified", due)
