"""Template tags that draw the report charts in pages: `{% load charts %}`.

    {% bar_chart items title="Open actions per site" %}
    {% status_chart items title="Readiness by status" %}
    {% progress_bar report.score title="Readiness score" %}
    {% readiness_chart report %}

`items` are (label, value) or (label, value, tone) tuples; see norma.reports.charts.
"""

from django import template

from norma.reports import charts
from norma.reports.readiness import readiness_chart as build_readiness_chart
from norma.reports.readiness import score_bar

register = template.Library()


@register.simple_tag
def bar_chart(items, title, desc="", unit=""):
    """Horizontal bars with labels and values."""
    return charts.bar_chart(items, title=title, desc=desc, unit=unit)


@register.simple_tag
def status_chart(items, title, desc=""):
    """A stacked bar of status counts with a legend."""
    return charts.status_chart(items, title=title, desc=desc)


@register.simple_tag
def progress_bar(value, total=100, title="Progress", label=""):
    """A filled track with the percentage."""
    return charts.progress_bar(value, total, title=title, label=label)


@register.simple_tag
def readiness_chart(report):
    """The readiness report's counts per status: the same chart as in its PDF."""
    return build_readiness_chart(report)


@register.simple_tag
def readiness_score_bar(report):
    """The readiness score as a progress bar: the same as in its PDF."""
    return score_bar(report)
