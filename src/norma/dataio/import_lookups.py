"""Related records for an import, read once: found by natural key, checked without a query.

A person is found by email or full name, a site by code or name, a department by name (the
one at the row's site when names repeat), a clause by key, ref or title.
"""

from collections import defaultdict

from django import forms

KEY_FIELDS = ("email", "key", "code", "reference", "ref", "name", "full_name", "title")


class CellError(Exception):
    """A cell's value cannot be used; the message names the value and what would work."""


def normalise(text) -> str:
    """'  Next_Review ' → 'next review': how headers and natural keys are compared."""
    return " ".join(str(text).replace("_", " ").split()).casefold()


def join_words(words: list, conjunction: str = "or") -> str:
    """['key', 'ref', 'title'] → 'key, ref or title'."""
    words = [str(w) for w in words]
    if len(words) < 2:
        return "".join(words)
    return f" {conjunction} ".join([", ".join(words[:-1]), words[-1]])


def join_or(words: list[str]) -> str:
    return join_words(words, "or")


class Lookup:
    """What a foreign key may point to (the form's own choices), read once, by natural key."""

    def __init__(self, queryset):
        model = queryset.model
        self.verbose_name = str(model._meta.verbose_name)
        self.plural = str(model._meta.verbose_name_plural)
        names = {f.name for f in model._meta.concrete_fields}
        self.keys = [k for k in KEY_FIELDS if k in names]
        self.key_labels = [str(model._meta.get_field(k).verbose_name) for k in self.keys]
        self.objects = {obj.pk: obj for obj in queryset}
        self.index = defaultdict(dict)
        for obj in self.objects.values():
            for key in self.keys:
                if value := getattr(obj, key):
                    self.index[normalise(value)][obj.pk] = obj

    def find(self, text: str, site_id=None):
        found = list(self.index.get(normalise(text), {}).values())
        if len(found) > 1 and site_id is not None:
            found = [o for o in found if getattr(o, "site_id", None) == site_id] or found
        if len(found) == 1:
            return found[0]
        if not found:
            raise CellError(
                f"No {self.verbose_name} '{text}' among those you may choose "
                f"(give the {join_or(self.key_labels)})."
            )
        names = ", ".join(sorted(str(o) for o in found)[:5])
        raise CellError(
            f"'{text}' matches {len(found)} {self.plural} ({names}); "
            f"give the {self.key_labels[0]} instead."
        )


class PrefetchedField(forms.Field):
    """Stands in for a ModelChoiceField: same required rule, objects from a Lookup by pk."""

    widget = forms.MultipleHiddenInput

    def __init__(self, original, lookup: Lookup, many: bool):
        super().__init__(required=original.required, label=original.label)
        self.lookup, self.many = lookup, many
        if not many:
            self.widget = forms.HiddenInput()

    def to_python(self, value):
        if self.many:
            return [self.lookup.objects[int(pk)] for pk in value or []]
        return self.lookup.objects[int(value)] if value not in self.empty_values else None

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
