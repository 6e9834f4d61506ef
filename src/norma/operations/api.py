"""API endpoints of the operations app beyond its registers: survey responses, added in
one request (each row checked before any is stored).

Mounted at /api/v1/operations/. Adding responses changes the survey's figures, so the
request needs the survey's ETag in If-Match and the answer carries the new one.
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from norma.api.registers import StrictSchema, expected_version
from norma.operations.feedback import AddSurveyResponses
from norma.operations.registers import SurveyRegister

router = Router(tags=["Satisfaction surveys"])


class ResponseIn(StrictSchema):
    satisfaction: int | None = None
    recommend: int | None = None
    customer: str = ""
    comment: str = ""


class ResponsesIn(StrictSchema):
    responses: list[ResponseIn] = Field(..., min_length=1, max_length=5000)


class ResultsOut(Schema):
    reference: str
    status: str
    response_count: int
    csat: float | None
    nps: float | None
    added: int


@router.post("/satisfaction-surveys/{reference}/responses", response=ResultsOut)
def add_responses(request, response: HttpResponse, reference: str, payload: ResponsesIn):
    """Satisfaction 1–5 and likelihood to recommend 0–10 per response; the customer by
    reference or exact name. Returns the survey's CSAT and NPS with the new responses."""
    survey = get_object_or_404(SurveyRegister.readable_by(request.user), reference=reference)
    rows = [row.model_dump() for row in payload.responses]
    action = AddSurveyResponses(
        request.user, survey, data={"rows": rows}, expected_version=expected_version(request)
    )
    survey = action.execute()
    response["ETag"] = survey.etag
    return {
        "reference": survey.reference,
        "status": survey.status,
        "response_count": survey.response_count,
        "csat": survey.csat,
        "nps": survey.nps,
        "added": action.added,
    }
