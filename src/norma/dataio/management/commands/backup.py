"""`norma backup PATH`: a consistent snapshot of the database and every file, with checksums."""

from django.core.management.base import BaseCommand, CommandError

from norma.dataio.backup import ArchiveError, create_backup


class Command(BaseCommand):
    help = "Write a verified backup (database snapshot, files, manifest) to a new zip file."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the backup file to write; must not exist yet")

    def handle(self, path, **options):
        try:
            result = create_backup(path)
        except ArchiveError as error:
            raise CommandError(f"backup failed: {error}") from None
        manifest = result.manifest
        head = manifest["changelog_head"] or {}
        stored = sum(1 for name in manifest["files"] if name.startswith("files/"))
        self.stdout.write(
            f"Backed up the {manifest['database']['vendor']} database "
            f"({len(manifest['row_counts'])} tables, {sum(manifest['row_counts'].values())} rows, "
            f"change log up to #{head.get('id', 0)}) and {stored} files to {result.path} "
            f"({result.size:,} bytes)."
        )
        self.stdout.write(f"Manifest SHA-256: {manifest['manifest_sha256']}")
