"""Standards library and readiness endpoints."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from norma.standards import readiness
from norma.standards.models import Clause, Standard

router = Router(tags=["Standards"])


class StandardOut(Schema):
    slug: str
    name: str
    title: str
    library_version: int
    clause_count: int


class ClauseOut(Schema):
    ref: str
    key: str
    title: str
    label: str
    display_title: str
    parent: str | None
    pdca: str
    summary: str
    audit_questions: list[str]


class EvidenceOut(Schema):
    label: str
    url: str


class CheckOut(Schema):
    status: str
    sentence: str
    evidence: list[EvidenceOut]


class ClauseReadinessOut(Schema):
    ref: str
    title: str
    status: str
    checks: list[CheckOut]


class ReadinessOut(Schema):
    standard: str
    score: int | None
    counts: dict[str, int]
    clauses: list[ClauseReadinessOut]


def _require_view(request):
    if not request.user.has_perm("standards.view_clause"):
        raise PermissionDenied("You do not have the right to read the standards library.")


def _clause_out(clause) -> dict:
    return {
        "ref": clause.ref,
        "key": clause.key,
        "title": clause.title,
        "label": clause.label,
        "display_title": clause.display_title,
        "parent": clause.parent.ref if clause.parent_id else None,
        "pdca": clause.pdca,
        "summary": clause.summary,
        "audit_questions": clause.audit_questions,
    }


@router.get("/standards/", response=list[StandardOut], operation_id="standards_list")
def list_standards(request):
    _require_view(request)
    from django.db.models import Count

    return Standard.objects.annotate(clause_count=Count("clauses")).order_by("slug")


@router.get(
    "/standards/{slug}/clauses/", response=list[ClauseOut], operation_id="standards_clauses"
)
def list_clauses(request, slug: str):
    _require_view(request)
    standard = get_object_or_404(Standard, slug=slug)
    clauses = standard.clauses.select_related("parent").order_by("sort_key")
    return [_clause_out(c) for c in clauses]


@router.get("/standards/{slug}/clauses/{ref}", response=ClauseOut, operation_id="standards_clause")
def read_clause(request, slug: str, ref: str):
    _require_view(request)
    clause = get_object_or_404(
        Clause.objects.select_related("parent"), standard__slug=slug, ref=ref
    )
    return _clause_out(clause)


@router.get("/readiness", response=ReadinessOut, operation_id="readiness")
def read_readiness(request):
    _require_view(request)
    report = readiness.evaluate(request.user)
    return {
        "standard": readiness.DEFAULT_STANDARD,
        "score": report.score,
        "counts": report.counts(),
        "clauses": [
            {
                "ref": row.clause.ref,
                "title": row.clause.display_title,
                "status": row.status.value if hasattr(row.status, "value") else row.status,
                "checks": [
                    {
                        "status": r.status,
                        "sentence": r.sentence,
                        "evidence": [{"label": e.label, "url": e.url} for e in r.evidence],
                    }
                    for r in row.results
                ],
            }
            for row in report.rows
        ],
    }
