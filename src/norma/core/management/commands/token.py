from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from norma.core.account import IssueApiToken, RevokeApiToken
from norma.core.context import acting_as
from norma.core.models import Person


class Command(BaseCommand):
    help = "Create, list or revoke API tokens. `create` prints the token as its last line."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("--user", required=True, help="the person's email")
        parser.add_argument("--name", default="API token")
        parser.add_argument("--expires-days", type=int)

    def handle(self, action, user, name, expires_days, **options):
        try:
            person = Person.objects.get(email__iexact=user.strip())
        except Person.DoesNotExist:
            raise CommandError(f"No person with the email {user}.") from None
        with acting_as(name="norma token"), transaction.atomic():
            if action == "create":
                if expires_days is not None and expires_days < 1:
                    raise CommandError("--expires-days must be 1 or more.")
                expires = timezone.now() + timedelta(days=expires_days) if expires_days else None
                action = IssueApiToken(person, name=name, expires_at=expires)
                action.execute()
                raw = action.raw
                when = f"expires {expires:%Y-%m-%d}" if expires else "does not expire"
                self.stdout.write(f"Token '{name}' for {person.email} ({when}). It is shown once:")
                self.stdout.write(raw)
            elif action == "list":
                for token in person.api_tokens.all():
                    state = "revoked" if token.revoked_at else "active"
                    self.stdout.write(f"{token.pk}\t{token.prefix}…\t{token.name}\t{state}")
            else:
                tokens = list(person.api_tokens.filter(revoked_at__isnull=True, name=name))
                for token in tokens:
                    RevokeApiToken(person, token).execute()
                self.stdout.write(f"Revoked {len(tokens)} token(s) named '{name}'.")
