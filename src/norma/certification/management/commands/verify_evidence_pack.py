"""`norma manage verify_evidence_pack PATH`: check an evidence pack's files against its
manifest, wherever the ZIP has travelled (the registrar can run the same check)."""

from django.core.management.base import BaseCommand, CommandError

from norma.certification.evidence import ArchiveError, verify_pack


class Command(BaseCommand):
    help = "Verify every file of an evidence pack ZIP against the SHA-256 in its manifest."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the evidence pack ZIP")

    def handle(self, path, **options):
        try:
            manifest = verify_pack(path)
        except ArchiveError as error:
            raise CommandError(f"the pack does not verify: {error}") from None
        self.stdout.write(
            f"{manifest['pack']}: all {len(manifest['files'])} files match their SHA-256 "
            f"(manifest {manifest['manifest_sha256']})."
        )
