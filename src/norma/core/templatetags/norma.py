"""Template helpers shared by every register page."""

import datetime
from decimal import Decimal
from fractions import Fraction

from django import template
from django.urls import reverse
from django.utils import formats

from norma.core.exports import column_title
from norma.core.registers import registry

register = template.Library()


@register.filter
def record_url(obj, role="detail"):
    declared = registry.for_model(type(obj))
    return reverse(declared.url_name(role), args=[obj.reference]) if declared else ""


@register.filter
def field_value(obj, name):
    """A field's value as a person reads it: choice labels, names, dates, yes/no."""
    display = getattr(obj, f"get_{name}_display", None)
    value = display() if display else getattr(obj, name)
    if hasattr(value, "all"):  # many-to-many: the items' names
        value = ", ".join(str(getattr(item, "label", item)) for item in value.all())
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime.datetime):
        return formats.date_format(value, "Y-m-d H:i")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return number(value)
    return value


@register.filter
def field_link(obj, name):
    """The page of the record a link field points to, when it has one (an instrument, a
    nonconformity); empty otherwise. Its page applies the reader's scope."""
    field = obj._meta.get_field(name)
    if not field.many_to_one or registry.for_model(field.related_model) is None:
        return ""
    linked = getattr(obj, name)
    return record_url(linked) if linked is not None else ""


@register.filter
def number(value):
    """A decimal as people write it: 95, 92.9, 0.0125 (no trailing zeros, no exponent)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, Fraction):  # the certification rules count days exactly
        value = Decimal(value.numerator) / Decimal(value.denominator)
    text = format(Decimal(value).normalize(), "f")
    return text


@register.filter
def label(meta, name):
    return column_title(meta.model, name)


@register.filter
def sort_link(name, current):
    """The sort parameter for a column header: toggles direction when already sorted by it."""
    return f"-{name}" if current == name else name
