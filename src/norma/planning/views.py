"""The risk heat map: open risks (or opportunities) on the 5×5 matrix, before and after
treatment, each cell a link to the risks it counts."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from norma.planning.models import Consequence, Likelihood, Risk
from norma.planning.registers import RiskRegister
from norma.planning.scoring import SCALE, band_of, bands
from norma.reports.charts import heat_map


def _counts(risks, likelihood: str, consequence: str) -> dict[tuple[int, int], int]:
    """(likelihood, consequence) → number of risks, in one grouped query."""
    rows = (
        risks.filter(**{f"{likelihood}__isnull": False, f"{consequence}__isnull": False})
        .values_list(likelihood, consequence)
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {(row[0], row[1]): row[2] for row in rows}


def matrix(risks, kind: str, residual: bool):
    likelihood, consequence = (
        ("residual_likelihood", "residual_consequence")
        if residual
        else ("likelihood", "consequence")
    )
    counts = _counts(risks, likelihood, consequence)
    list_url = reverse(RiskRegister.url_name("list"))
    cells = []
    for row in reversed(SCALE):  # the most likely at the top
        cells.append(
            [
                (
                    counts.get((row, column), 0),
                    band_of(row * column).fill,
                    list_url
                    + "?"
                    + urlencode(
                        {"status": "open", "kind": kind, likelihood: row, consequence: column}
                    ),
                    f"{Likelihood(row).label}, {Consequence(column).label}",
                )
                for column in SCALE
            ]
        )
    return sum(counts.values()), cells


@login_required
def risk_heat_map(request):
    if not request.user.has_perm(RiskRegister.permission("view")):
        raise PermissionDenied
    kind = request.GET.get("kind", Risk.Kind.RISK)
    if kind not in Risk.Kind.values:
        kind = Risk.Kind.RISK
    risks = (
        RiskRegister.queryset_for(request.user).live().filter(status=Risk.Status.OPEN, kind=kind)
    )
    measure = "benefit" if kind == Risk.Kind.OPPORTUNITY else "consequence"
    maps = []
    for residual, heading in ((False, "Before treatment"), (True, "After treatment")):
        total, cells = matrix(risks, kind, residual)
        svg = heat_map(
            cells,
            title=f"{heading}: {total} open {Risk.Kind(kind).label.lower()}s",
            row_labels=[Likelihood(v).label for v in reversed(SCALE)],
            column_labels=[Consequence(v).label for v in SCALE],
            row_title="↑ likelihood",
            column_title=f"{measure} →",
        )
        maps.append((heading, total, svg))
    context = {"maps": maps, "kind": kind, "kinds": Risk.Kind.choices, "bands": bands()}
    return render(request, "planning/risk_heat_map.html", context)
