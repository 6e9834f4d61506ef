"""API endpoints of the improvement app beyond its registers: the analysis of a
nonconformity, read whole and changed one cause or 8D step at a time.

Mounted at /api/v1/improvement/. Changes to the analysis are changes to the nonconformity,
so each write needs the nonconformity's ETag in If-Match and returns the new one.
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from norma.api.registers import StrictSchema, expected_version
from norma.improvement.analysis import AddCause, ChangeCause, RecordEightDStep, RemoveCause
from norma.improvement.models import Nonconformity
from norma.improvement.registers import NonconformityRegister

router = Router(tags=["Nonconformities"])


class CauseIn(StrictSchema):
    statement: str
    category: str = ""
    evidence: str = ""
    verified: bool = False
    is_root: bool = False


class CauseChangeIn(StrictSchema):
    evidence: str | None = None
    verified: bool | None = None
    is_root: bool | None = None


class StepIn(StrictSchema):
    notes: str = ""
    done: bool = False


class CauseOut(Schema):
    id: int
    analysis_round: int
    position: int
    category: str
    statement: str
    evidence: str
    verified: bool
    is_root: bool


class StepOut(Schema):
    discipline: int
    label: str
    notes: str
    done_on: str | None


class AnalysisOut(Schema):
    reference: str
    status: str
    method: str
    analysis_round: int
    elsewhere: str
    causes: list[CauseOut]
    eight_d: list[StepOut]


def _nc(request, reference) -> Nonconformity:
    readable = NonconformityRegister.readable_by(request.user)
    return get_object_or_404(readable, reference=reference)


def _analysis(request, response, reference):
    nc = _nc(request, reference)
    response["ETag"] = nc.etag
    return {
        "reference": nc.reference,
        "status": nc.status,
        "method": nc.method,
        "analysis_round": nc.analysis_round,
        "elsewhere": nc.elsewhere,
        "causes": list(nc.causes.all()),
        "eight_d": [
            {
                "discipline": step.discipline,
                "label": step.get_discipline_display(),
                "notes": step.notes,
                "done_on": step.done_on.isoformat() if step.done_on else None,
            }
            for step in nc.eight_d_steps.all()
        ],
    }


def _run(request, response, reference, action_class, data):
    nc = _nc(request, reference)
    version = expected_version(request)
    action_class(request.user, nc, data=data, expected_version=version).execute()
    return _analysis(request, response, reference)


def _flags(payload) -> dict:
    return {k: ("1" if v is True else "0" if v is False else v) for k, v in payload.items()}


@router.get("/nonconformities/{reference}/analysis", response=AnalysisOut)
def read_analysis(request, response: HttpResponse, reference: str):
    """The causes of every analysis round and the 8D steps."""
    return _analysis(request, response, reference)


@router.post("/nonconformities/{reference}/analysis/causes", response=AnalysisOut)
def add_cause(request, response: HttpResponse, reference: str, payload: CauseIn):
    """The next why of a 5-Whys chain, or a cause on a bone of the fishbone (`category`)."""
    return _run(request, response, reference, AddCause, _flags(payload.model_dump()))


@router.patch("/nonconformities/{reference}/analysis/causes/{cause_id}", response=AnalysisOut)
def change_cause(
    request, response: HttpResponse, reference: str, cause_id: int, payload: CauseChangeIn
):
    data = {"cause": cause_id, **_flags(payload.model_dump(exclude_none=True))}
    return _run(request, response, reference, ChangeCause, data)


@router.delete("/nonconformities/{reference}/analysis/causes/{cause_id}", response=AnalysisOut)
def remove_cause(request, response: HttpResponse, reference: str, cause_id: int):
    return _run(request, response, reference, RemoveCause, {"cause": cause_id})


@router.put("/nonconformities/{reference}/analysis/eight-d/{discipline}", response=AnalysisOut)
def record_step(request, response: HttpResponse, reference: str, discipline: int, payload: StepIn):
    data = {"discipline": discipline, **_flags(payload.model_dump())}
    return _run(request, response, reference, RecordEightDStep, data)
