"""`norma export` / `norma import`: the whole QMS as a documented, versioned zip archive.

The format is described in the README.md written into every archive (archive_format.README).
Export reads everything in one consistent read transaction and refuses to write an archive
with a broken change log or a missing file. Import verifies every checksum and the change
log's hash chain, refuses an instance that already holds data, then loads everything in one
transaction; the files it stored are removed again if anything fails.
"""

import datetime
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

import norma
from norma.core.changelog import record_change, verify_chain
from norma.core.context import acting_as
from norma.dataio import archive_import as loader
from norma.dataio.archive_export import consistent_read, write_archive
from norma.dataio.archive_format import CHANGELOG, FORMAT, FORMAT_VERSION, ROLES, STANDARDS
from norma.dataio.archive_manifest import (
    ArchiveError,
    ZipWriter,
    check_members,
    open_zip,
    read_manifest,
    read_member,
)

LABEL = "QMS archive"

__all__ = ["ArchiveError", "ExportResult", "ImportResult", "export_archive", "import_archive"]


@dataclass
class ExportResult:
    path: Path
    manifest: dict
    size: int


@dataclass
class ImportResult:
    counts: dict = field(default_factory=dict)
    changelog_entries: int = 0
    files: int = 0


def export_archive(path) -> ExportResult:
    """Write the whole QMS to a new zip file at `path` (refused if `path` exists)."""
    path = Path(path)
    if path.exists():
        raise ArchiveError(f"{path} already exists; choose a new file name.")
    if not path.parent.is_dir():
        raise ArchiveError(f"{path.parent} is not a folder.")
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.touch(mode=0o600)  # password hashes: readable by the owner only
        with consistent_read():
            writer = ZipWriter(partial)
            content = write_archive(writer)
            manifest = writer.finish(
                {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "norma_version": norma.__version__,
                    "exported_at": timezone.now().astimezone(datetime.UTC).isoformat(),
                    "source_database": connection.vendor,
                    **content,
                }
            )
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return ExportResult(path, manifest, path.stat().st_size)


def verify_archive(zf) -> dict:
    """Manifest, member list and every member's checksum; returns the manifest."""
    manifest = read_manifest(zf, FORMAT, LABEL, FORMAT_VERSION)
    check_members(zf, manifest)
    for name in sorted(manifest["files"]):
        with open(os.devnull, "wb") as sink:
            read_member(zf, name, manifest, sink)
    for name in ("README.md", CHANGELOG, ROLES, STANDARDS):
        if name not in manifest["files"]:
            raise ArchiveError(f"The archive lacks {name}.")
    return manifest


def import_archive(path) -> ImportResult:
    """Load an archive into this empty instance, all or nothing."""
    with open_zip(path, LABEL) as zf:
        manifest = verify_archive(zf)
        data = loader.read_sections(zf, manifest)
        entries = loader.read_changelog(zf, manifest)
        loader.refuse_unless_empty()
        loader.check_standards(data[STANDARDS])
        keys = loader.index_archive(data)
        written: list[str] = []
        try:
            with acting_as(name="norma import"):
                loader.store_files(zf, manifest, written)
                result = _load(data, entries, keys, manifest, Path(path).name)
        except BaseException:
            for name in written:
                default_storage.delete(name)
            raise
    result.files = len(written)
    return result


def _load(data, entries, keys, manifest, archive_name) -> ImportResult:
    try:
        with transaction.atomic():
            loader.refuse_unless_empty()  # again, inside the transaction
            replaced = loader.replace_migrate_log(entries)
            loader.merge_settings(data)
            counts = loader.insert_rows(data, keys)
            loader.update_roles(data[ROLES])
            loader.reset_sequences()
            connection.check_constraints()
            report = verify_chain()
            if not report.intact or report.checked != len(entries):
                raise ArchiveError(f"The imported change log does not verify: {report.problem}.")
            record_change(
                None,
                "qms.import",
                object_type="dataio.archive",
                object_id=manifest["manifest_sha256"],
                object_repr=f"QMS archive {archive_name}"[:300],
                before={"replaced_entries": replaced},
                after={
                    "exported_at": manifest.get("exported_at"),
                    "norma_version": manifest.get("norma_version"),
                    "format_version": manifest.get("format_version"),
                    "changelog_head": manifest.get("changelog"),
                    "counts": counts,
                },
            )
    except (IntegrityError, DatabaseError) as error:
        raise ArchiveError(
            f"The archive could not be loaded ({error}); nothing was imported."
        ) from None
    return ImportResult(counts=counts, changelog_entries=len(entries))
