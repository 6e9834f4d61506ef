"""API endpoints of the planning app beyond its registers: KPI results in and out.

Mounted at /api/v1/planning/. Other systems push results so KPIs (and the objectives they
measure) stay live: `POST /kpis/<reference>/measurements {"value": 98.2, "measured_at":
"2026-11-30T08:00:00Z"}`. A push appends a result; it needs no If-Match.
"""

import datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema, Status

from norma.api.registers import StrictSchema
from norma.planning.measuring import RecordMeasurement
from norma.planning.models import Kpi, Measurement
from norma.planning.registers import KpiRegister, ObjectiveRegister

router = Router(tags=["Planning"])
MOST_READ = 5000


class MeasurementIn(StrictSchema):
    value: float | int | str  # checked by the action, so a bad value is named, not a 500
    measured_at: str | None = None
    unit: str | None = None
    note: str = ""


class MeasurementOut(Schema):
    measured_at: datetime.datetime
    value: float
    source: str
    note: str


class StandingOut(Schema):
    reference: str
    standing: str


class PushOut(Schema):
    measurement: MeasurementOut
    kpi: StandingOut
    next_due: datetime.date | None
    objectives: list[StandingOut]


def _kpi(request, reference) -> Kpi:
    return get_object_or_404(KpiRegister.readable_by(request.user), reference=reference)


def _out(measurement: Measurement) -> dict:
    return {
        "measured_at": measurement.measured_at,
        "value": float(measurement.value),
        "source": measurement.source,
        "note": measurement.note,
    }


@router.get("/kpis/{reference}/measurements", response=list[MeasurementOut])
def list_measurements(request, reference: str, since: datetime.date | None = None):
    """A KPI's results, oldest first (at most 5,000; narrow with `since`)."""
    rows = _kpi(request, reference).measurements.order_by("-measured_at", "-pk")
    if since is not None:
        rows = rows.filter(measured_at__date__gte=since)
    return [_out(m) for m in reversed(rows[:MOST_READ])]


@router.post("/kpis/{reference}/measurements", response={201: PushOut})
def push_measurement(request, reference: str, payload: MeasurementIn):
    kpi = _kpi(request, reference)
    data = {**payload.model_dump(), "source": Measurement.Source.API}
    action = RecordMeasurement(request.user, kpi, data=data)
    action.execute()
    kpi = KpiRegister.queryset_for(request.user).get(pk=kpi.pk)
    today = timezone.localdate()
    objectives = ObjectiveRegister.queryset_for(request.user).filter(kpi=kpi)
    return Status(
        201,
        {
            "measurement": _out(action.measurement),
            "kpi": {"reference": kpi.reference, "standing": kpi.standing(kpi.latest_value)},
            "next_due": kpi.due_date,
            "objectives": [
                {"reference": o.reference, "standing": o.standing(o.latest_value, today)}
                for o in objectives.order_by("reference")
            ],
        },
    )
