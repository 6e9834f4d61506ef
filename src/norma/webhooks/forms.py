"""The webhook form: event types as checkboxes, the URL checked for safety on save."""

from django import forms

from norma.core.events import EVENT_TYPES
from norma.webhooks.models import Webhook


class WebhookForm(forms.ModelForm):
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text=Webhook._meta.get_field("url").help_text,
    )
    event_types = forms.MultipleChoiceField(
        label="Events",
        choices=[(code, f"{label} ({code})") for code, label in EVENT_TYPES.items()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Webhook
        fields = ["name", "url", "event_types", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # An edit must say which version it started from, or it could overwrite a newer one.
            self.fields["version"].initial = self.instance.version
            self.fields["version"].required = True

    def action_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
