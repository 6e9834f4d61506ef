from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from norma.core.changelog import record_change, snapshot
from norma.core.context import acting_as
from norma.core.models import Person, Role, RoleCode


class Command(BaseCommand):
    help = "Create an administrator with the quality-manager role (non-interactive)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="Administrator")

    def handle(self, email, password, name, **options):
        email = email.strip().lower()
        if Person.objects.filter(email__iexact=email).exists():
            raise CommandError(f"A person with the email {email} already exists.")
        candidate = Person(email=email, full_name=name)
        try:
            validate_password(password, candidate)
        except ValidationError as error:
            raise CommandError("Password refused: " + " ".join(error.messages)) from None
        with acting_as(name="norma createadmin"), transaction.atomic():
            person = Person.objects.create_superuser(email, password, full_name=name)
            group = Group.objects.get(role__code=RoleCode.QUALITY_MANAGER)
            person.groups.add(group)
            record_change(person, "person.create", after=snapshot(person))
        role = Role.objects.get(code=RoleCode.QUALITY_MANAGER)
        self.stdout.write(f"Created {email} as {role} and administrator.")
