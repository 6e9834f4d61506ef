"""The clause browser and the readiness page."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, render

from norma.core.registers import registry
from norma.standards import readiness
from norma.standards.models import Clause, Standard


def linked_records(clause, person):
    """Records of every register that the person may read and that are linked to this clause."""
    found = []
    for register in registry:
        if person.has_perm(register.permission("view")):
            records = register.queryset_for(person).live().filter(clauses=clause)[:50]
            found.extend((register, record) for record in records)
    return found


@login_required
@permission_required("standards.view_clause", raise_exception=True)
def clause_tree(request, slug=readiness.DEFAULT_STANDARD):
    standard = get_object_or_404(Standard, slug=slug)
    clauses = standard.clauses.order_by("sort_key")
    return render(request, "standards/clauses.html", {"standard": standard, "clauses": clauses})


@login_required
@permission_required("standards.view_clause", raise_exception=True)
def clause_detail(request, ref, slug=readiness.DEFAULT_STANDARD):
    clause = get_object_or_404(
        Clause.objects.select_related("standard", "parent"), standard__slug=slug, ref=ref
    )
    return render(
        request,
        "standards/clause_detail.html",
        {
            "clause": clause,
            "children": clause.children.order_by("sort_key"),
            "records": linked_records(clause, request.user),
        },
    )


@login_required
@permission_required("standards.view_clause", raise_exception=True)
def readiness_page(request):
    report = readiness.evaluate(request.user)
    top = [row for row in report.rows if row.clause.parent_id is None]
    return render(
        request,
        "standards/readiness.html",
        {"report": report, "top": top, "statuses": readiness.Status},
    )
