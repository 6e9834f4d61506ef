"""`norma export PATH`: the whole QMS as a documented, versioned zip archive."""

from django.core.management.base import BaseCommand, CommandError

from norma.dataio.archive import ArchiveError, export_archive


class Command(BaseCommand):
    help = "Write the whole QMS (registers, people, files, change log) to a new zip archive."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the archive to write; must not exist yet")

    def handle(self, path, **options):
        try:
            result = export_archive(path)
        except ArchiveError as error:
            raise CommandError(str(error)) from None
        manifest = result.manifest
        rows = sum(manifest["counts"].values())
        head = manifest["changelog"]
        self.stdout.write(
            f"Exported {rows} rows, {manifest['stored_files']} files and "
            f"{head['entries']} change log entries to {result.path} ({result.size:,} bytes)."
        )
        self.stdout.write(f"Manifest SHA-256: {manifest['manifest_sha256']}")
