"""API endpoints of the reviews app beyond its registers, mounted at /api/v1/reviews/: a
review's pack as stored (what the page shows), and its minutes as PDF or DOCX."""

from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from norma.reviews.registers import ManagementReviewRegister
from norma.reviews.report import download_minutes

router = Router(tags=["Management review minutes and pack"])


class InputOut(Schema):
    reference: str
    topic: str
    title: str
    summary: str
    figures: list[list]
    data_missing: bool
    missing_acknowledged: bool
    comment: str
    version: int


class PackOut(Schema):
    review: str
    period_start: str
    period_end: str
    generated_at: str | None
    inputs: list[InputOut]


def _review(request, reference):
    return get_object_or_404(
        ManagementReviewRegister.readable_by(request.user), reference=reference
    )


@router.get("/packs/{reference}", response=PackOut)
def pack(request, reference: str):
    """The review's input pack as generated (no chart markup): one entry per 9.3.2 input,
    with management's comment. Comment through the review-inputs register (PATCH, If-Match)."""
    review = _review(request, reference)
    generated = review.pack_generated_at
    return {
        "review": review.reference,
        "period_start": review.period_start.isoformat(),
        "period_end": review.period_end.isoformat(),
        "generated_at": generated.isoformat() if generated else None,
        "inputs": list(review.inputs.order_by("position")),
    }


@router.get("/minutes/{reference}")
def minutes(request, reference: str, format: Literal["pdf", "docx"] = "pdf"):  # noqa: A002
    """The minutes with the input pack and decisions, signed or still a draft."""
    review = _review(request, reference)
    return download_minutes(review, format)
