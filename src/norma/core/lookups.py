"""Link fields for large registers: a typed reference (or e-mail, for a person) with
suggestions as one types, instead of a list of thousands of options.

A form's link field becomes a lookup when the linked table has more rows than
NORMA_SELECT_LIMIT. It accepts the record's key (reference code, or a person's e-mail) from
the page, or its id from the API, and checks it against what the reader may link to.
"""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

SUGGESTIONS = 20


def key_field(model) -> str:
    return "reference" if any(f.name == "reference" for f in model._meta.fields) else "email"


def label(obj) -> str:
    return str(getattr(obj, "full_name", None) or getattr(obj, "title", "") or obj)


class LookupInput(forms.TextInput):
    """A text box whose <datalist> is refilled from the lookup endpoint as one types."""

    def __init__(self, model, attrs=None):
        super().__init__(attrs)
        self.model = model

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        options = context["widget"]["attrs"]
        list_id = f"{options.get('id', name)}-suggestions"
        meta = self.model._meta
        options.update(
            {
                "list": list_id,
                "autocomplete": "off",
                "hx-get": reverse("core:lookup", args=[f"{meta.app_label}.{meta.model_name}"]),
                "hx-trigger": "input changed delay:250ms, focus once",
                "hx-target": f"#{list_id}",
                "hx-swap": "innerHTML",
            }
        )
        context["list_id"] = list_id
        return context

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)
        return format_html(
            '{}<datalist id="{}"></datalist>',
            super().render(name, value, attrs, renderer),
            context["list_id"],
        )


class MultipleLookupInput(LookupInput):
    """Several keys in one box, separated by commas."""

    def format_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return super().format_value(value)

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else data.get(name)
        if values is None:
            return []
        values = values if isinstance(values, list | tuple) else [values]
        return [part.strip() for value in values for part in str(value).split(",") if part.strip()]


def _find(queryset, value):
    """By key from the page, or by id from the API; None for text no record could have."""
    text = str(value).strip()
    if not text or "\x00" in text or len(text) > 254:
        return None
    key = key_field(queryset.model)
    lookup = Q(**{f"{key}__iexact": text})
    if text.isascii() and text.isdigit():
        lookup |= Q(pk=int(text))
    return queryset.filter(lookup).first()


class LookupChoiceField(forms.ModelChoiceField):
    def __init__(self, queryset, **kwargs):
        kwargs.setdefault("widget", LookupInput(queryset.model))
        super().__init__(queryset, **kwargs)

    def prepare_value(self, value):
        if value in (None, ""):
            return ""
        obj = value if hasattr(value, "_meta") else _find(self.queryset, value)
        return getattr(obj, key_field(self.queryset.model), value) if obj else value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        found = _find(self.queryset, value)
        if found is None:
            raise ValidationError(f"Nothing you may link to is called “{value}”.", code="invalid")
        return found


class MultipleLookupChoiceField(forms.ModelMultipleChoiceField):
    def __init__(self, queryset, **kwargs):
        kwargs.setdefault("widget", MultipleLookupInput(queryset.model))
        super().__init__(queryset, **kwargs)

    def prepare_value(self, value):
        if not value:
            return []
        if isinstance(value, str):  # "12,14" from a link that suggests several
            value = [part for part in value.split(",") if part.strip()]
        items = value if isinstance(value, list | tuple) else list(value)
        key = key_field(self.queryset.model)
        return [
            getattr(item, key) if hasattr(item, "_meta") else self._key(item, key) for item in items
        ]

    def _key(self, value, key):
        obj = _find(self.queryset, value)
        return getattr(obj, key) if obj else value

    def clean(self, value):
        if not value:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return self.queryset.none()
        found, unknown = [], []
        for item in value:
            obj = _find(self.queryset, item)
            (found.append(obj.pk) if obj else unknown.append(str(item)))
        if unknown:
            raise ValidationError(
                f"Nothing you may link to is called {', '.join(f'“{u}”' for u in unknown)}.",
                code="invalid",
            )
        return self.queryset.filter(pk__in=found)


def as_lookups(form):
    """Turn the form's link fields to large tables into lookups (called by RecordForm)."""
    for name, field in list(form.fields.items()):
        queryset = getattr(field, "queryset", None)
        if queryset is None or isinstance(field, LookupChoiceField | MultipleLookupChoiceField):
            continue
        if queryset.model._meta.label == "standards.Clause":
            continue  # a tree of ~100 clauses: the list reads better
        limit = settings.NORMA_SELECT_LIMIT
        if queryset.model.objects.all()[: limit + 1].count() <= limit:
            continue  # counts no further than the limit, however large the table
        multiple = isinstance(field, forms.ModelMultipleChoiceField)
        lookup = (MultipleLookupChoiceField if multiple else LookupChoiceField)(
            queryset,
            required=field.required,
            label=field.label,
            help_text=field.help_text
            or ("References, separated by commas." if multiple else "Type to search."),
            initial=field.initial,
        )
        lookup.widget.attrs.update(field.widget.attrs)
        form.fields[name] = lookup


@login_required
def suggestions(request, model_label):
    """Up to 20 records of one model the person may read, matching what they typed."""
    from django.apps import apps

    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError):
        raise Http404 from None
    from django.contrib.auth import get_user_model

    from norma.core.models import Record

    if not (issubclass(model, Record) or model is get_user_model()):
        raise Http404
    meta = model._meta
    if not request.user.has_perm(f"{meta.app_label}.view_{meta.model_name}"):
        raise PermissionDenied
    typed = next((v for k, v in request.GET.items()), "")
    prefix, _, term = typed.rpartition(",")  # several keys: suggest for the last one
    prefix = f"{prefix.strip()}, " if prefix.strip() else ""
    term = term.replace("\x00", "").strip()[:100]
    key = key_field(model)
    if key == "email":
        rows = model.objects.filter(is_active=True)  # as the forms offer them
        match = Q(full_name__icontains=term) | Q(email__icontains=term)
    else:
        rows = model.objects.visible_to(request.user).filter(archived_at__isnull=True)
        match = Q(reference__icontains=term) | Q(title__icontains=term)
    rows = rows.filter(match) if term else rows
    found = rows.order_by("-pk")[:SUGGESTIONS]
    return HttpResponse(
        format_html_join(
            "",
            '<option value="{}{}">{}</option>',
            ((prefix, getattr(obj, key), f"{getattr(obj, key)} — {label(obj)}") for obj in found),
        )
    )
