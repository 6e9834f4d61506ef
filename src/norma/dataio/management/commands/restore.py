"""`norma restore PATH`: verify a backup completely, then replace the database and the files."""

from django.core.management.base import BaseCommand, CommandError

from norma.dataio.backup import ArchiveError, restore_backup


class Command(BaseCommand):
    help = (
        "Check a backup (checksums, database integrity, row counts, change log) in a scratch "
        "folder, then replace the database and files. Stop norma serve and norma worker first."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="a backup written by `norma backup`")

    def handle(self, path, **options):
        try:
            result = restore_backup(path)
        except ArchiveError as error:
            raise CommandError(f"restore refused: {error}") from None
        manifest = result.manifest
        self.stdout.write(
            f"Restored the backup of {manifest['created_at']} (Norma {manifest['norma_version']}): "
            f"{sum(manifest['row_counts'].values())} rows checked against the manifest; change "
            f"log intact ({result.changelog_entries} entries)."
        )
        for path_kept in result.kept_aside:
            self.stdout.write(f"The previous state is kept at {path_kept}; delete it when done.")
        self.stdout.write("Run `norma migrate` if this Norma is newer than the backup.")
