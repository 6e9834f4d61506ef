"""Links to report downloads from any page: `{% load reports %}`."""

from django import template
from django.urls import reverse

register = template.Library()


@register.filter
def record_pdf_url(obj) -> str:
    """The PDF of a register record: /reports/record/<app_label>/<model_name>/<reference>.pdf"""
    meta = obj._meta
    return reverse("reports:record_pdf", args=[meta.app_label, meta.model_name, obj.reference])
