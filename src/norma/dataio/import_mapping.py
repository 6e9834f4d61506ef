"""From spreadsheet columns to form data: headers to form fields, cells to values.

A header names a form field by its name ("due_date") or its label ("Next review"), in any
case. Related records are named by natural keys (a person by email address or full name, a
site by code or name, a department by name, clauses by key or ref separated by ";" or ","),
choices by value or label. Lookups are read once per import, never once per row.
"""

import datetime
import re
from dataclasses import dataclass

from django import forms

from norma.core.actions import SERVER_CONTROLLED
from norma.core.exports import FORMULA_STARTS
from norma.dataio.import_lookups import CellError, Lookup, PrefetchedField, normalise

TRUE_WORDS = {"yes", "y", "true", "1", "x"}
FALSE_WORDS = {"no", "n", "false", "0"}
LIST_SEPARATORS = re.compile(r"[;,]")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ROW = "(whole row)"  # where errors that belong to no one column are reported


def cell_text(value) -> str:
    """A cell as text. Formula-looking text stays text; Norma's own quote prefix is removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    text = str(value)
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_STARTS:
        return text[1:]  # written by Norma's exports, which neutralise formulas this way
    return text


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    field: str


def field_names(form, model) -> dict[str, str]:
    """Every accepted spelling of each form field, normalised, to the field's name."""
    names = {}
    for name in form._meta.fields:
        field = form.fields[name]
        spellings = [name, field.label or ""]
        if (model_field_ := model_field(model, name)) is not None:
            spellings.append(str(model_field_.verbose_name))
        for spelling in spellings:
            if spelling:
                names.setdefault(normalise(spelling), name)
    return names


def map_header(header: list[str], form, model) -> tuple[list[Column], list[str]]:
    """The columns that fill form fields, and the problems that stop the whole file."""
    names = field_names(form, model)
    columns, problems, unknown, server = [], [], [], []
    last_named = max((i for i, h in enumerate(header) if h), default=-1)
    for index, text in enumerate(header[: last_named + 1]):
        if not text:
            problems.append(f"Column {index + 1} has no header; name it or delete the column.")
            continue
        field = names.get(normalise(text))
        if field is None:
            key = normalise(text).replace(" ", "_")
            (server if key in SERVER_CONTROLLED else unknown).append(text)
            continue
        twin = next((c for c in columns if c.field == field), None)
        if twin:
            problems.append(f"The columns '{twin.header}' and '{text}' both fill '{field}'.")
            continue
        columns.append(Column(index, text, field))
    if unknown:
        accepted = ", ".join(label_of(form, n) for n in dict.fromkeys(names.values()))
        problems.append(
            f"Unknown columns: {quoted(unknown)}. The columns Norma can fill are: {accepted}."
        )
    if server:
        problems.append(f"Norma sets {quoted(server)} itself; remove these columns.")
    mapped = {c.field for c in columns}
    missing = [
        f"'{label_of(form, n)}' ({n})"
        for n in form._meta.fields
        if form.fields[n].required and n not in mapped and not has_default(model, n)
    ]
    if missing:
        problems.append(f"Missing required columns: {', '.join(missing)}.")
    return sorted(columns, key=lambda c: c.field != "site"), problems


def quoted(texts: list[str]) -> str:
    return ", ".join(f"'{t}'" for t in texts)


def label_of(form, name: str) -> str:
    return str(form.fields[name].label or name.replace("_", " ").capitalize())


def model_field(model, name):
    try:
        return model._meta.get_field(name)
    except Exception:  # a form-only field
        return None


def has_default(model, name: str) -> bool:
    field = model_field(model, name)
    return field is not None and field.has_default()


def default_value(model, name: str, form_field):
    """What an absent column or an empty cell means: the model's default, else nothing."""
    if getattr(form_field, "many", False) or isinstance(form_field, forms.MultipleChoiceField):
        return []
    if has_default(model, name):
        value = model_field(model, name).get_default()
        return "" if value is None else str(getattr(value, "pk", value))
    return ""


def converter(form_field, site_field: bool = False):
    """A function (cell, data so far) → form data for this field, or CellError."""
    if isinstance(form_field, PrefetchedField):
        lookup = form_field.lookup
        if form_field.many:
            known = {}

            def many(value, data):
                text = cell_text(value)
                if text not in known:
                    known[text] = find_all(lookup, text)
                return list(known[text])

            return many

        found = {}  # the same few people and sites appear row after row

        def one(value, data):
            text = cell_text(value).strip()
            site = data.get("site") if not site_field else None
            key = (text, site)
            if key not in found:
                found[key] = str(lookup.find(text, int(site) if site else None).pk) if text else ""
            return found[key]

        return one
    if isinstance(form_field, forms.BooleanField | forms.NullBooleanField):
        return yes_no
    if isinstance(form_field, forms.ChoiceField):
        return choice_converter(form_field)
    if isinstance(form_field, forms.DateField) and not isinstance(form_field, forms.DateTimeField):
        return date_converter
    return lambda value, data: cell_text(value)


def date_converter(value, data):
    """ISO dates become dates at once; any other text is left to the form's own date formats."""
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date()
    text = cell_text(value).strip()
    if ISO_DATE.fullmatch(text):
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            pass  # 2027-02-30: the form says it is not a valid date
    return text


def find_all(lookup: Lookup, text: str) -> list[str]:
    """The pks of a list like '4.4.1; 8.5', or CellError naming every unknown item."""
    found, unknown = [], []
    for part in LIST_SEPARATORS.split(text):
        if part.strip():
            try:
                found.append(str(lookup.find(part.strip()).pk))
            except CellError:
                unknown.append(part.strip())
    if unknown:
        raise CellError(f"Unknown {lookup.plural}: {', '.join(unknown)}.")
    return found


def yes_no(value, data):
    text = normalise(cell_text(value))
    if text in TRUE_WORDS:
        return "true"
    if text in FALSE_WORDS or not text:
        return "false"
    raise CellError(f"Write yes or no, not '{cell_text(value)}'.")


def choice_converter(form_field):
    options, labels = {}, []
    for value, label in flat_choices(form_field.choices):
        if value in ("", None):
            continue
        options[normalise(value)] = str(value)
        options.setdefault(normalise(label), str(value))
        labels.append(str(label))

    def choose(value, data):
        text = cell_text(value).strip()
        if not text:
            return ""
        if normalise(text) in options:
            return options[normalise(text)]
        raise CellError(f"'{text}' is not one of: {', '.join(labels)}.")

    return choose


def flat_choices(choices):
    for value, label in choices:
        if isinstance(label, list | tuple):
            yield from flat_choices(label)
        else:
            yield value, label
