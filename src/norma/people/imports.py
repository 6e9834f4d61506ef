"""HR import: the people of the organisation from a CSV or XLSX file, through the platform's
dry-run import (rows checked, then all written or none). Imported people cannot sign in until
they set a password (an administrator sends the reset link): the file carries no secrets."""

from django.contrib.auth.models import Group

from norma.core.models import Person
from norma.core.registers import RecordForm, Register
from norma.dataio.importing import importable


class PersonImportForm(RecordForm):
    class Meta:
        model = Person
        fields = ["email", "full_name", "job_title", "site", "department", "manager", "groups"]
        labels = {"groups": "roles"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = Group.objects.filter(role__isnull=False)
        self.fields["manager"].queryset = Person.objects.filter(is_active=True)

    def clean_email(self):
        return self.cleaned_data["email"].lower()

    def clean(self):
        cleaned = super().clean()
        self.instance.set_unusable_password()
        return cleaned


@importable
class PersonImport(Register):
    """People as the HR system lists them: email, name, job title, site, department, manager
    and built-in roles."""

    model = Person
    form_fields = PersonImportForm.Meta.fields

    @classmethod
    def form_class(cls):
        return PersonImportForm

    @classmethod
    def title(cls):
        return "People"

    @classmethod
    def url_name(cls, role: str) -> str:
        return "core:people"
