"""Checking rows through the register's own form, so imports follow the web's and the API's rules.

One form instance is built per import with every related-record lookup read once; each row
then resets and re-validates it. That keeps a 100,000-row check to a fixed number of queries.
"""

from dataclasses import dataclass, field

from django import forms
from django.db import models

from norma.dataio.import_lookups import (
    CellError,
    Lookup,
    PrefetchedField,
    join_words,
    normalise,
)
from norma.dataio.import_mapping import ROW, converter, default_value, map_header

DATE_HINT = "Write dates as YYYY-MM-DD, e.g. 2026-03-31."


@dataclass
class CheckedRow:
    """One data row: its number in the file, its cells, and either errors or a record."""

    number: int
    cells: list
    errors: dict[str, list[str]] = field(default_factory=dict)
    obj: object = None
    many: dict[str, list] = field(default_factory=dict)


def import_form_class(register):
    """The register's own form, told that related records were checked against lookups."""
    base = register.form_class()

    model = base._meta.model
    others = {f.name for f in model._meta.fields} - set(base._meta.fields)
    unique_checks, date_checks = model()._get_unique_checks(
        exclude=others, include_meta_constraints=True
    )

    class ImportForm(base):
        prefetched: frozenset = frozenset()

        def _get_validation_exclusions(self):
            # Related records come from the prefetched lookups: no existence query per row.
            return set(super()._get_validation_exclusions()) | set(self.prefetched)

        def validate_unique(self):
            if unique_checks or date_checks:  # else there is nothing to check, row after row
                super().validate_unique()

    ImportForm.__name__ = ImportForm.__qualname__ = f"{base.__name__}Import"
    return ImportForm


def together_key(value):
    """How a value is compared with other rows': records by id, text without case."""
    if isinstance(value, models.Model):
        return value.pk
    return normalise(value) if isinstance(value, str) else value


class RowChecker:
    """Validates rows of one file for one register, as one person (their scope applies)."""

    def __init__(self, register, person, header: list[str]):
        self.register, self.person = register, person
        self.model = register.model
        self.form = import_form_class(register)(data={}, person=person)
        self.form.prefetched = set()
        self.lookups: dict[str, Lookup] = {}
        for name, form_field in list(self.form.fields.items()):
            if isinstance(form_field, forms.ModelChoiceField):
                many = isinstance(form_field, forms.ModelMultipleChoiceField)
                self.lookups[name] = Lookup(form_field.queryset)
                self.form.fields[name] = PrefetchedField(form_field, self.lookups[name], many)
                self.form.prefetched.add(name)
        self.columns, self.problems = map_header(header, self.form, self.model)
        self.header = header
        self.converters = {
            c.field: converter(self.form.fields[c.field], site_field=c.field == "site")
            for c in self.columns
        }
        self.defaults = {
            name: default_value(self.model, name, self.form.fields[name])
            for name in self.form._meta.fields
        }
        self.headers = {c.field: c.header for c in self.columns}
        self.order = {c.header: c.index for c in self.columns}
        self.unique = [
            n for n in self.form._meta.fields if getattr(self.model_field(n), "unique", False)
        ]
        self.seen: dict[str, dict] = {name: {} for name in self.unique}
        # Unique together (a person trained on a course once a day): checked across the file.
        self.together = [
            tuple(c.fields)
            for c in self.model._meta.constraints
            if isinstance(c, models.UniqueConstraint)
            and c.fields
            and c.condition is None
            and set(c.fields) <= set(self.form._meta.fields)
        ]
        self.seen_together: dict[tuple, dict] = {fields: {} for fields in self.together}
        self.stored_keys: dict[tuple, set] = {}
        self.used: dict[str, set] = {name: set() for name in self.lookups}

    def stored(self, fields: tuple) -> set:
        """The keys already in the table for one unique-together rule, read once per import
        (the form cannot check them: its related fields come from the lookups)."""
        if fields not in self.stored_keys:
            columns = [self.model._meta.get_field(n).attname for n in fields]
            self.stored_keys[fields] = {
                tuple(together_key(v) for v in values)
                for values in self.model.objects.values_list(*columns).iterator()
            }
        return self.stored_keys[fields]

    def model_field(self, name):
        try:
            return self.model._meta.get_field(name)
        except Exception:  # a form-only field
            return None

    def check(self, number: int, cells: list) -> CheckedRow:
        """Convert and validate one row; a valid row carries an unsaved record."""
        row = CheckedRow(number, cells)
        data = dict(self.defaults)
        width = len(self.header)
        if any(str(c).strip() for c in cells[width:] if c is not None):
            row.errors[ROW] = ["This row has values to the right of the last column header."]
        for column in self.columns:
            value = cells[column.index] if column.index < len(cells) else None
            try:
                converted = self.converters[column.field](value, data)
            except CellError as error:
                row.errors[column.header] = [str(error)]
                continue
            if converted not in ("", []) or not self.defaults[column.field]:
                data[column.field] = converted
        form = self.validate(data)
        for name, messages in form.errors.items():
            header = self.headers.get(name, ROW if name == "__all__" else name)
            if header not in row.errors:
                row.errors[header] = [self.hint(name, m) for m in messages]
        if not row.errors:
            self.finish(row, form)
        if row.errors:  # in the order of the file's columns, whole-row problems first
            row.errors = dict(sorted(row.errors.items(), key=lambda i: self.order.get(i[0], -1)))
        return row

    def validate(self, data: dict):
        """Reset the one form instance to this row's data and run the form's full validation."""
        form = self.form
        form.data = data
        form.instance = self.model()
        form._errors = None  # bound fields read `data` afresh, so their cache stays valid
        form.__dict__.pop("changed_data", None)
        form.is_valid()
        return form

    def hint(self, name: str, message: str) -> str:
        if isinstance(self.form.fields.get(name), forms.DateField) and "date" in message:
            return f"{message} {DATE_HINT}"
        return message

    def finish(self, row: CheckedRow, form):
        obj = form.instance
        if not self.person.scope.allows(obj, links=form.cleaned_data):
            row.errors[ROW] = [
                "You can only place records in the sites and departments you work in."
            ]
            return
        for name in self.unique:
            value = normalise(form.cleaned_data.get(name) or "")
            if value and value in self.seen[name]:
                row.errors[self.headers.get(name, name)] = [
                    f"Row {self.seen[name][value]} has the same value; it must be unique."
                ]
                return
            if value:
                self.seen[name][value] = row.number
        for fields in self.together:
            key = tuple(together_key(form.cleaned_data.get(name)) for name in fields)
            if None in key:
                continue
            names = join_words([self.form.fields[n].label or n for n in fields], "and").lower()
            if key in self.seen_together[fields]:
                row.errors[ROW] = [
                    f"Row {self.seen_together[fields][key]} has the same {names}; "
                    "each may appear once."
                ]
                return
            if key in self.stored(fields):
                row.errors[ROW] = [
                    f"A {self.model._meta.verbose_name} with this {names} already exists."
                ]
                return
            self.seen_together[fields][key] = row.number
        for name in self.lookups:
            value = form.cleaned_data.get(name)
            if isinstance(form.fields[name], PrefetchedField) and form.fields[name].many:
                row.many[name] = value or []
                self.used[name].update(o.pk for o in row.many[name])
            elif value is not None:
                self.used[name].add(value.pk)
        row.obj = obj

    def changed_lookups(self) -> list[str]:
        """Names of fields whose chosen records are no longer allowed (re-read, inside a commit)."""
        fresh = import_form_class(self.register)(data={}, person=self.person)
        changed = []
        for name, used in self.used.items():
            allowed = set(fresh.fields[name].queryset.values_list("pk", flat=True))
            if not used <= allowed:
                changed.append(str(fresh.fields[name].label or name))
        return changed
