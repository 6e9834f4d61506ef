"""`norma import PATH`: load an exported archive into an empty instance, all or nothing."""

from django.core.management.base import BaseCommand, CommandError

from norma.dataio.archive import ArchiveError, import_archive


class Command(BaseCommand):
    help = "Verify a QMS archive, then load it into this empty, freshly migrated instance."

    def add_arguments(self, parser):
        parser.add_argument("path", help="an archive written by `norma export`")

    def handle(self, path, **options):
        try:
            result = import_archive(path)
        except ArchiveError as error:
            raise CommandError(f"import refused: {error}") from None
        for name, count in result.counts.items():
            self.stdout.write(f"  {name:<44} {count:>7}")
        self.stdout.write(
            f"Imported {sum(result.counts.values())} rows, {result.files} files and "
            f"{result.changelog_entries} change log entries; the change log verifies."
        )
        self.stdout.write(
            "People sign in with their old passwords; API tokens and authenticator apps must "
            "be set up again."
        )
