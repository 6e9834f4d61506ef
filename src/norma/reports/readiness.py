"""The readiness report as charts, PDF context and DOCX: the same figures as the page.

`readiness_chart()` and `score_bar()` are used by the readiness page (through the `charts`
template tags), by the PDF and by the tests, so screen and paper show the same SVG.
"""

from norma.reports import charts
from norma.reports.frame import print_context
from norma.standards.models import Standard
from norma.standards.readiness import DEFAULT_STANDARD, ReadinessReport, Status

CHART_TITLE = "Clauses by readiness status"
SCORE_TITLE = "Readiness score"
# The statuses a check can give, in the order people read them, with the chart's tone.
STATUS_TONES = {
    Status.MET: "ok",
    Status.PARTLY_MET: "warn",
    Status.MISSING: "bad",
    Status.NOT_APPLICABLE: "neutral",
}


def status_counts(report: ReadinessReport) -> list[tuple[str, int, str]]:
    """(label, number of clauses, tone) for every status a check can give."""
    counts = report.counts()
    return [(str(s.label), counts[s.value], tone) for s, tone in STATUS_TONES.items()]


def readiness_chart(report: ReadinessReport):
    """Bar chart of the number of assessed clauses per status."""
    return charts.bar_chart(status_counts(report), title=CHART_TITLE)


def score_bar(report: ReadinessReport):
    """The score (met counts 1, partly met a half) as a progress bar."""
    return charts.progress_bar(report.score or 0, 100, title=SCORE_TITLE, label="Ready")


def standard_for(slug: str = DEFAULT_STANDARD) -> Standard | None:
    return Standard.objects.filter(slug=slug).first()


def report_frame(standard: Standard | None) -> dict:
    """Reference, revision and title printed on every page of the readiness report."""
    name = standard.name if standard else "ISO 9001"
    revision = f"library v{standard.library_version}" if standard else "no library"
    return print_context(
        reference=f"Readiness report {name}",
        revision=revision,
        title="Readiness for certification",
    )


def pdf_context(report: ReadinessReport, standard: Standard | None) -> dict:
    return {
        **report_frame(standard),
        "report": report,
        "standard": standard,
        "score_bar": score_bar(report),
        "status_chart": readiness_chart(report),
    }
