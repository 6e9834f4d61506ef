from django import forms


class PreferenceForm(forms.Form):
    """What a person chooses about how they are told."""

    email_digest = forms.BooleanField(
        required=False,
        label="Send me one email a day with what is due, overdue and unread",
    )
