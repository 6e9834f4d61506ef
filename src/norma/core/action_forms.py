"""Forms for actions that ask for fields of their record, such as a verifier or a disposition."""

from django import forms

from norma.core.registers import RecordForm


class ActionForm(RecordForm):
    """A record form for some of the record's fields; the action carries the version, and
    the fields it needs are required whatever the model allows."""

    required: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["version"]
        for name, field in self.fields.items():
            if name in self.required and not isinstance(field, forms.BooleanField):
                field.required = True
                field.widget.attrs["required"] = True
            if field.help_text:
                field.widget.attrs["aria-describedby"] = self.auto_id % f"{name}-help"
            else:
                field.widget.attrs.pop("aria-describedby", None)

    def clean(self):
        cleaned = super().clean()
        for name in self.required:
            # Yes, no or unknown: a question the action needs answered is not left unknown.
            field = self.fields.get(name)
            if isinstance(field, forms.NullBooleanField) and cleaned.get(name) is None:
                self.add_error(name, "Answer yes or no.")
        return cleaned


_forms: dict[tuple[type, type], type[ActionForm]] = {}


def form_class(action_class, model) -> type[ActionForm]:
    key = (action_class, model)
    if key not in _forms:
        meta = type("Meta", (), {"model": model, "fields": list(action_class.asks_for())})
        attrs = {"Meta": meta, "required": tuple(action_class.fields)}
        _forms[key] = type(f"{action_class.__name__}Form", (ActionForm,), attrs)
    return _forms[key]
