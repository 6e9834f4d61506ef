from django.core.management.base import BaseCommand

from norma.core.seeding import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Load the demo organisation into an empty database and print its logins."

    def handle(self, **options):
        logins = seed_demo()
        self.stdout.write(f"\nDemo logins (password for every account: {DEMO_PASSWORD})")
        for role, email in logins:
            self.stdout.write(f"  {role:<20} {email}")
