"""Pages of the planning app beyond its registers: the risk heat map (open risks on the 5×5
matrix before and after treatment, each cell a link to what it counts), and what the KPI and
objective pages show besides their fields (trends, latest results, standing)."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from norma.core.actions import InvalidInput
from norma.core.views.registers import RecordPost
from norma.dataio.import_files import FileRefused, file_format, open_table, safe_filename
from norma.planning.measuring import ImportMeasurements, RecordMeasurement, series
from norma.planning.models import Consequence, Likelihood, Risk, Standing
from norma.planning.registers import ObjectiveRegister, RiskRegister
from norma.planning.scoring import SCALE, band_of, bands
from norma.reports.charts import heat_map, line_chart

LATEST_SHOWN = 20
PLURALS = [(Risk.Kind.RISK, "risks"), (Risk.Kind.OPPORTUNITY, "opportunities")]


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
    kind = request.GET.get("kind", Risk.Kind.RISK)
    if kind not in Risk.Kind.values:
        kind = Risk.Kind.RISK
    risks = RiskRegister.readable_by(request.user).live()
    risks = risks.filter(status=Risk.Status.OPEN, kind=kind)
    measure = "benefit" if kind == Risk.Kind.OPPORTUNITY else "consequence"
    maps = []
    for residual, heading in ((False, "Before treatment"), (True, "After treatment")):
        total, cells = matrix(risks, kind, residual)
        svg = heat_map(
            cells,
            title=f"{heading}: {total} open {dict(PLURALS)[kind]}",
            row_labels=[Likelihood(v).label for v in reversed(SCALE)],
            column_labels=[Consequence(v).label for v in SCALE],
            row_title="↑ likelihood",
            column_title=f"{measure} →",
        )
        maps.append((heading, total, svg))
    kinds = [(Risk.Kind.RISK, "Risks"), (Risk.Kind.OPPORTUNITY, "Opportunities")]
    context = {"maps": maps, "kind": kind, "kinds": kinds, "bands": bands()}
    return render(request, "planning/risk_heat_map.html", context)


CHART_YEARS = 5


def _since():
    return timezone.now() - timedelta(days=round(365.25 * CHART_YEARS))


def kpi_context(kpi, person) -> dict:
    """The trend with its target and alert lines, the latest results, the objectives it
    measures, and the form to add a result (a fixed number of queries)."""
    lines = [("target", kpi.target, "ok")]
    if kpi.threshold is not None:
        lines.append(("alert", kpi.threshold, "bad"))
    chart = line_chart(
        series(kpi, _since()),
        title=f"{kpi.title}, last {CHART_YEARS} years ({kpi.unit})",
        unit=f" {kpi.unit}",
        lines=lines,
    )
    objectives = ObjectiveRegister.queryset_for(person).filter(kpi=kpi).select_related("owner")
    return {
        "chart": chart,
        "latest": kpi.measurements.select_related("entered_by").order_by("-measured_at", "-pk")[
            :LATEST_SHOWN
        ],
        "objectives": objectives,
        "can_measure": RecordMeasurement(person, kpi).is_allowed(),
        "standing": Standing(kpi.standing(getattr(kpi, "latest_value", None))),
    }


def objective_context(objective, person) -> dict:
    """Where the objective stands, and its KPI's trend against the objective's own target."""
    value = getattr(objective, "latest_value", None)
    standing = Standing(objective.standing(value, timezone.localdate()))
    chart = None
    if objective.kpi_id:
        lines = [("target", objective.target, "ok")]
        if objective.baseline is not None:
            lines.append(("baseline", objective.baseline, "neutral"))
        chart = line_chart(
            series(objective.kpi, _since()),
            title=f"{objective.kpi.title} ({objective.unit})",
            unit=f" {objective.unit}",
            lines=lines,
        )
    return {"chart": chart, "standing": standing, "latest_value": value}


class ImportResults(RecordPost):
    """A KPI's results from a CSV or XLSX file (columns date, value and, if wanted, note)."""

    def make_action(self, request, obj):
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise FileRefused("Choose a .csv or .xlsx file with the results.")
            table = open_table(upload.read(), file_format(upload.name, upload.size))
        except FileRefused as refused:
            raise InvalidInput(refused.message) from None
        data = {"table": table, "file_name": safe_filename(upload.name)}
        return ImportMeasurements(request.user, obj, data=data)

    def done_message(self, obj):
        return f"{obj.reference}: results imported."
