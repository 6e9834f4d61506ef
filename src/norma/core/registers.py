"""Register declarations: one per model, driving its list, detail, forms, exports and API.

A register states what is its own (columns, filters, form fields, clauses it serves); the
generic views in core/views/registers.py and the API in core/api.py do the rest.
"""

from dataclasses import dataclass
from functools import partial
from operator import attrgetter
from typing import ClassVar

import django_filters
from django import forms
from django.db.models import Prefetch, Q
from django.urls import path
from django.utils.text import capfirst

from norma.core.actions import Action


class DepartmentChoiceField(forms.ModelChoiceField):
    """Departments named with their site: the same name often exists at several sites."""

    def label_from_instance(self, obj):
        return obj.label


class DepartmentChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = DepartmentChoiceField


def is_valid_text(value: str) -> bool:
    """False for text that cannot be stored, e.g. lone surrogates sent through JSON."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class RecordForm(forms.ModelForm):
    """Base form: carries the version the user started from, for stale-edit detection."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # An edit must say which version it started from, or it could overwrite a newer one.
            self.fields["version"].initial = self.instance.version
            self.fields["version"].required = True
            self.fields["version"].error_messages["required"] = (
                "This form is missing the version it was opened at; reload the page."
            )
        from norma.core.models import Department, Person, Site

        scope = person.scope if person is not None else None
        sites = Site.objects.filter(is_active=True)
        departments = Department.objects.filter(is_active=True)
        if scope is not None and not scope.unlimited:
            sites = sites.filter(pk__in=scope.site_ids) if scope.site_ids else sites
            if scope.department_ids:
                departments = departments.filter(pk__in=scope.department_ids)
        limits = {
            "owner": Person.objects.filter(is_active=True),
            "site": sites,
            "sites": sites,
            "department": departments,
            "departments": departments,
        }
        for name, queryset in limits.items():
            if name in self.fields:
                self.fields[name].queryset = queryset
        for name in ("department", "departments"):
            if name in self.fields:
                field = self.fields[name]
                field.queryset = field.queryset.select_related("site")
                field.label_from_instance = attrgetter("label")
        for name, field in self.fields.items():
            queryset = getattr(field, "queryset", None)
            if name not in limits and queryset is not None and queryset.model is Person:
                field.queryset = queryset.filter(is_active=True)
            elif person is not None and hasattr(queryset, "visible_to"):
                # Records to link to (a nonconformity, a process) are those one may read and
                # are not archived, and whatever the record links to already, so an edit can
                # keep it.
                # A prefill from the URL is only a suggestion: it is never kept.
                kept = self.initial.get(name) if self.instance.pk else None
                kept = kept if isinstance(kept, list | tuple) else [kept]
                kept = [getattr(item, "pk", item) for item in kept if item is not None]
                readable = queryset.visible_to(person).live().values("pk")  # not archived ones
                field.queryset = queryset.filter(Q(pk__in=readable) | Q(pk__in=kept))
        if "clauses" in self.fields:
            self.fields["clauses"].to_field_name = "key"
            self.fields["clauses"].queryset = self.fields["clauses"].queryset.order_by("sort_key")
        if person is not None:
            from norma.core.lookups import as_lookups

            as_lookups(self)  # thousands of options become a typed reference with suggestions
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 3
            # Browsers' date pickers read and send ISO dates, whatever the locale.
            if isinstance(field.widget, forms.DateInput):
                field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            if isinstance(field.widget, forms.DateTimeInput):
                field.widget = forms.DateTimeInput(
                    attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
                )
            if field.required:
                field.widget.attrs.setdefault("required", True)
            field.widget.attrs.setdefault("aria-describedby", f"id_{name}_help")

    def clean(self):
        cleaned = super().clean()
        for name, value in cleaned.items():
            if isinstance(value, str) and not is_valid_text(value):
                self.add_error(name, "This text holds characters that are not valid Unicode.")
        return cleaned

    upload_fields: tuple[str, ...] = ()

    def changed_data_for_action(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self._meta.fields}
        files = {name: self.cleaned_data.get(name) for name in self.upload_fields}
        return {**data, **{name: file for name, file in files.items() if file}}


@dataclass(frozen=True)
class Reminder:
    """Remind people before a date field falls due, and again when it is overdue.

    Addressed to the record's owner and/or to roles, so a reminder survives when a person leaves.
    """

    date_field: str = "due_date"
    lead_days: tuple[int, ...] = (14, 1)
    to_owner: bool = True
    to_roles: tuple[str, ...] = ()
    label: str = "due"
    skip_statuses: tuple[str, ...] = ()  # e.g. closed records stop reminding


class Register:
    """Declaration of a register. Subclasses set at least `model` and `form_fields`."""

    do_not_call_in_templates = True  # templates read the declaration; they never instantiate it

    model: ClassVar[type]
    nav_group: ClassVar[str] = "Support"
    list_columns: ClassVar[list[str]] = ["reference", "title", "owner", "status", "due_date"]
    filter_fields: ClassVar[list[str]] = ["status", "owner", "site", "department"]
    search_fields: ClassVar[list[str]] = ["reference", "title"]
    form_fields: ClassVar[list[str]] = []
    detail_fields: ClassVar[list[str] | None] = None
    export_columns: ClassVar[list[str] | None] = None
    select_related: ClassVar[list[str]] = ["owner", "site", "department"]
    clause_refs: ClassVar[list[str]] = []
    actions: ClassVar[list[type[Action]]] = []
    reminders: ClassVar[list[Reminder]] = []
    paginate_by: ClassVar[int] = 25
    description: ClassVar[str] = ""
    detail_template: ClassVar[str] = "core/register_detail.html"
    # Pages of the register's own: (title, URL name, permission or None) in the navigation,
    # and (label, URL name) buttons on the list that receive the list's filters.
    task_label: ClassVar[str | None] = None  # what a dated record asks of its owner in "my tasks"
    # The site-wide search looks in search_fields; a register of hundreds of thousands of
    # rows (training records) is found there by its reference only, through its index.
    searched_everywhere_by_reference: ClassVar[bool] = False
    nav_links: ClassVar[list[tuple[str, str, str | None]]] = []
    list_links: ClassVar[list[tuple[str, str]]] = []
    # The action that creates a record, when creating does more than save the form (a
    # calibration moves its instrument's due date), and the files its form takes along.
    create_action: ClassVar[type[Action] | None] = None
    upload_fields: ClassVar[dict[str, str]] = {}  # name: label

    # -- names -----------------------------------------------------------------
    @classmethod
    def app_label(cls) -> str:
        return cls.model._meta.app_label

    @classmethod
    def model_name(cls) -> str:
        return cls.model._meta.model_name

    @classmethod
    def slug(cls) -> str:
        return str(cls.model._meta.verbose_name_plural).replace(" ", "-")

    @classmethod
    def title(cls) -> str:
        return capfirst(str(cls.model._meta.verbose_name_plural))  # "KPIs" stays "KPIs"

    @classmethod
    def url_name(cls, role: str) -> str:
        return f"{cls.app_label()}:{cls.model_name()}_{role}"

    @classmethod
    def permission(cls, verb: str) -> str:
        return f"{cls.app_label()}.{verb}_{cls.model_name()}"

    # -- querysets ---------------------------------------------------------------
    @classmethod
    def queryset_for(cls, person):
        return cls.model.objects.visible_to(person).select_related(*cls.select_related)

    @classmethod
    def readable_by(cls, person):
        """What a page of the register's own may show: PermissionDenied without the right to
        read the register, then the person's scope as everywhere."""
        from django.core.exceptions import PermissionDenied

        if not person.has_perm(cls.permission("view")):
            raise PermissionDenied
        return cls.queryset_for(person)

    @classmethod
    def search(cls, queryset, text: str):
        """Every word must appear in one of the search fields; a reference code matches whole."""
        words = (text or "").split()
        if not words:
            return queryset
        query = Q()
        for word in words:
            query &= Q(
                *(Q(**{f"{name}__icontains": word}) for name in cls.search_fields),
                _connector=Q.OR,
            )
        return queryset.filter(query | Q(reference__iexact=text.strip()))

    @classmethod
    def sortable(cls) -> set[str]:
        concrete = {f.name for f in cls.model._meta.concrete_fields}
        return {c for c in cls.list_columns if c in concrete}

    # -- generated classes -------------------------------------------------------
    @classmethod
    def form_class(cls) -> type[RecordForm]:
        return _cached(cls, "form", lambda: _make_form(cls))

    @classmethod
    def filter_class(cls) -> type[django_filters.FilterSet]:
        return _cached(cls, "filter", lambda: _make_filter(cls))

    @classmethod
    def columns_for_export(cls) -> list[str]:
        return cls.export_columns or cls.list_columns

    @classmethod
    def fields_for_detail(cls) -> list[str]:
        return cls.detail_fields or [f for f in cls.form_fields if f != "clauses"]

    @classmethod
    def prefetch_for_detail(cls) -> list:
        """The many-to-many fields the detail page shows, read with the record (departments
        with their site, for their labels)."""
        lookups = []
        for name in cls.fields_for_detail():
            field = cls.model._meta.get_field(name)
            if field.many_to_many:
                related = field.related_model.objects.all()
                if any(f.name == "site" for f in field.related_model._meta.concrete_fields):
                    related = related.select_related("site")
                lookups.append(Prefetch(name, queryset=related))
        return lookups

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        """What a register's own detail template shows beyond the generic page."""
        return {}

    @classmethod
    def action(cls, code: str) -> type[Action] | None:
        return next((a for a in cls.actions if a.code == code), None)

    # -- routing -------------------------------------------------------------------
    @classmethod
    def urls(cls) -> list:
        from norma.core.views import registers as views

        return [
            path(
                f"{cls.slug()}/{suffix}",
                getattr(views, view).as_view(register=cls),
                name=f"{cls.model_name()}_{role}",
            )
            for suffix, view, role in ROUTES
        ]


# The pages every register gets: (URL after the register's slug, view class, URL name role).
ROUTES = [
    ("", "RecordList", "list"),
    ("export/", "RecordExport", "export"),
    ("new/", "RecordCreate", "create"),
    ("<str:reference>/", "RecordDetail", "detail"),
    ("<str:reference>/edit/", "RecordEdit", "edit"),
    ("<str:reference>/archive/", "RecordArchive", "archive"),
    ("<str:reference>/history/", "RecordHistory", "history"),
    ("<str:reference>/attachments/", "RecordAttach", "attach"),
    ("<str:reference>/comments/", "RecordComment", "comment"),
    ("<str:reference>/do/<slug:code>/", "RecordAction", "action"),
]


_generated: dict[tuple[type, str], type] = {}


def _cached(register, kind, build):
    key = (register, kind)
    if key not in _generated:
        _generated[key] = build()
    return _generated[key]


def _make_form(register) -> type[RecordForm]:
    meta = type("Meta", (), {"model": register.model, "fields": register.form_fields})
    files = {
        name: forms.FileField(label=label, required=False)
        for name, label in register.upload_fields.items()
    }
    attrs = {"Meta": meta, "upload_fields": tuple(files), **files}
    return type(f"{register.model.__name__}Form", (RecordForm,), attrs)


def _make_filter(register) -> type[django_filters.FilterSet]:
    meta = type("Meta", (), {"model": register.model, "fields": register.filter_fields})
    filterset = type(
        f"{register.model.__name__}Filter", (django_filters.FilterSet,), {"Meta": meta}
    )
    for name, declared in list(filterset.base_filters.items()):
        if isinstance(declared, django_filters.ModelMultipleChoiceFilter):
            # One choice, like every other filter: a many-to-many field filters by one of its
            # items ("documents that apply at Porto").
            declared = filterset.base_filters[name] = django_filters.ModelChoiceFilter(
                field_name=name, queryset=declared.queryset, label=declared.label
            )
        if name in ("department", "departments"):
            declared = filterset.base_filters[name] = DepartmentChoiceFilter(
                field_name=name,
                queryset=declared.queryset.select_related("site"),
                label=declared.label,
            )
        if isinstance(declared, django_filters.ModelChoiceFilter):
            declared.extra["empty_label"] = "Any"
    for name, declared in filterset.base_filters.items():
        model = getattr(declared, "extra", {}).get("queryset")
        model = getattr(model, "model", None)
        if model is not None and model._meta.label in LARGE_CHOICES:
            # Offer only what the register's rows refer to (people who own or took something
            # here, the processes documents belong to), not every one in a large organisation.
            declared.queryset = partial(_referred_to, register, name)
    return filterset


# Related models with too many rows to offer them all as a filter's choices, and their order.
LARGE_CHOICES = {"core.Person": "full_name", "planning.Process": "title"}


def _referred_to(register, name, request=None):
    field = register.model._meta.get_field(name)
    rows = register.model.objects
    if request is not None and request.user.is_authenticated:
        rows = rows.visible_to(request.user)  # no names from records the person may not read
    used = rows.filter(**{f"{name}__isnull": False}).values(field.attname)
    related = field.related_model.objects.filter(pk__in=used)
    return related.order_by(LARGE_CHOICES[related.model._meta.label])


class RegisterRegistry:
    """Every register in the running instance, in the order their apps were loaded."""

    def __init__(self):
        self._registers: list[type[Register]] = []

    def register(self, register: type[Register]) -> type[Register]:
        if register not in self._registers:
            self._registers.append(register)
        return register

    def __iter__(self):
        return iter(self._registers)

    def for_model(self, model) -> type[Register] | None:
        return next((r for r in self._registers if r.model is model), None)


registry = RegisterRegistry()
