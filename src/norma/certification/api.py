"""The certification calculators, read-only, at /api/v1/certification/: audit time (IAF MD 5),
multi-site sample sizes (IAF MD 1) and the dates of a certification cycle (ISO/IEC 17021-1).
They read no records: anyone signed in to the API may use them."""

import datetime
from decimal import Decimal
from fractions import Fraction

from ninja import Query, Router, Schema
from ninja.errors import ValidationError

from norma.certification import rules

router = Router(tags=["Certification calculators"])


def _days(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError([{"loc": ("query", field), "msg": message}])


REDUCTION = Query(0, ge=0, le=100, description="Documented reductions, % (30 % at most count).")
INCREASE = Query(0, ge=0, le=500, description="Documented increases, %.")


class AuditTimeOut(Schema):
    initial_days: float | None
    surveillance_days: float | None
    recertification_days: float | None
    min_onsite_days: float | None
    warnings: list[str]


@router.get("/audit-time", response=AuditTimeOut)
def audit_time(
    request,
    personnel: int = Query(..., ge=1, description="Effective number of personnel."),
    reduction_pct: Decimal = REDUCTION,
    increase_pct: Decimal = INCREASE,
):
    """Initial audit days (stage 1 + stage 2), surveillance (⅓) and recertification (⅔) to the
    nearest half day, and the on-site minimum (80 %). Above 10,700 people the days are null
    and a warning asks for extrapolation by hand."""
    time = rules.audit_time(personnel, reduction_pct, increase_pct)
    return {
        "initial_days": _days(time.initial_days),
        "surveillance_days": _days(time.surveillance_days),
        "recertification_days": _days(time.recertification_days),
        "min_onsite_days": _days(time.min_onsite_days),
        "warnings": list(time.warnings),
    }


class SiteSampleOut(Schema):
    initial: int
    surveillance: int
    recertification: int


@router.get("/site-sample", response=SiteSampleOut)
def site_sample(
    request, sites: int = Query(..., description="Sites besides the central function.")
):
    """The least number of sites to visit at each audit: ⌈√x⌉, ⌈0.6·√x⌉ and ⌈0.8·√x⌉."""
    if sites <= 1:
        raise _invalid("sites", "Sampling needs more than one site besides the central function.")
    return rules.site_sample(sites)


class CycleOut(Schema):
    expiry: datetime.date
    surveillance_1_due: datetime.date
    surveillance_2_year: int
    restoration_until: datetime.date
    warnings: list[str]


@router.get("/cycle", response=CycleOut)
def cycle(
    request,
    decision_date: str = Query(..., description="The certification decision, YYYY-MM-DD."),
):
    """The dates a certification decision sets: expiry (the day before, three years on), the
    first surveillance's latest day, the second surveillance's year, and the restoration
    window after expiry."""
    try:
        decision = datetime.date.fromisoformat(decision_date)
        if len(decision_date) != 10:
            raise ValueError
    except ValueError:
        raise _invalid("decision_date", "Give a date as YYYY-MM-DD.") from None
    try:
        dates = rules.cycle_dates(decision)
    except (ValueError, OverflowError):
        raise _invalid("decision_date", "The cycle would run past the year 9999.") from None
    return {
        "expiry": dates.expiry,
        "surveillance_1_due": dates.surveillance_1_due,
        "surveillance_2_year": dates.surveillance_2_year,
        "restoration_until": dates.restoration_until,
        "warnings": list(dates.warnings),
    }
