"""Importing register rows: a dry run reporting every rejected row, then an all-or-nothing commit.

Both run as background jobs (norma.jobs) with progress:

- `check_import` reads the stored file, validates every row through the register's form and
  records the rejected rows (row number as the spreadsheet shows it, reasons per column) on
  the ImportBatch. Nothing is written to the register.
- `commit_import` checks every row again (people, sites or rules may have changed since the
  dry run), refuses if any row is invalid, and otherwise writes all records in one transaction:
  reference codes reserved in one step, one chained change-log entry per record, attributed to
  the person who started the import.
"""

import csv
import gc
import hashlib
import io
from contextlib import contextmanager

from django.core.files.base import ContentFile
from django.db import transaction

from norma.core.events import publish_import
from norma.core.exports import neutralise
from norma.core.registers import registry
from norma.dataio.import_files import FileRefused, Table, max_rows, open_table
from norma.dataio.import_mapping import cell_text
from norma.dataio.import_rows import RowChecker
from norma.dataio.import_write import write_records
from norma.dataio.models import ImportBatch

SAMPLE = 200  # rejected rows shown on the report page; the CSV holds them all


class ImportRefused(Exception):
    """The commit did not happen; nothing was written. The message says why."""


# Declarations that are imported through the same machinery without being registers of their
# own (the people of the organisation, kept by the platform: see norma.people.imports).
importers: list = []


def importable(declaration):
    if declaration not in importers:
        importers.append(declaration)
    return declaration


def register_for(app_label: str, model_name: str):
    return next(
        (
            r
            for r in [*registry, *importers]
            if r.app_label() == app_label and r.model_name() == model_name
        ),
        None,
    )


def stored_table(batch: ImportBatch) -> Table:
    """The uploaded file exactly as it was checked, or FileRefused if it changed on disk."""
    with batch.file.open("rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != batch.sha256:
        raise FileRefused("The stored file no longer matches its checksum; upload it again.")
    return open_table(data, batch.file_format)


class RejectedRows:
    """Collects rejected rows: a sample for the page, and all of them as CSV."""

    def __init__(self, header: list[str]):
        self.count = 0
        self.sample: list[dict] = []
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer)
        self.buffer.write("\ufeff")
        self.writer.writerow(["Row", "Problems", *header])

    def add(self, row):
        self.count += 1
        if len(self.sample) < SAMPLE:
            self.sample.append({"row": row.number, "errors": row.errors})
        problems = "; ".join(f"{col}: {' '.join(msgs)}" for col, msgs in row.errors.items())
        cells = [neutralise(cell_text(c)) for c in row.cells]
        self.writer.writerow([row.number, neutralise(problems), *cells])

    def content(self) -> bytes:
        return self.buffer.getvalue().encode("utf-8")


@contextmanager
def gc_paused():
    """No cyclic garbage collection while 100,000 records are held: each full pass would walk
    them all again (a third of the commit's time). Cycles made meanwhile are freed after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check_rows(job, batch: ImportBatch, person, keep: bool = False):
    """Validate every row of the batch's file; returns (checker, valid rows, rejected, total)."""
    register = register_for(batch.app_label, batch.model_name)
    table = stored_table(batch)
    checker = RowChecker(register, person, table.header)
    rejected = RejectedRows(table.header)
    valid, total = [], 0
    if checker.problems:
        return checker, valid, rejected, total
    job.progress(0, total=table.total, force=True)
    for number, cells in table.rows():
        if not any(cell_text(c).strip() for c in cells):
            continue  # blank rows are skipped, as a spreadsheet user expects
        total += 1
        if total > max_rows():
            raise FileRefused(f"The file has more than {max_rows():,} rows; split it.")
        row = checker.check(number, cells)
        if row.errors:
            rejected.add(row)
        elif keep:
            row.cells = None  # the record holds the values now
            valid.append(row)
        job.progress(total, total=max(total, table.total))
    job.progress(total, total=total, force=True)
    return checker, valid, rejected, total


def save_report(batch: ImportBatch, checker, rejected: RejectedRows, total: int):
    batch.columns = [[c.header, c.field] for c in sorted(checker.columns, key=lambda c: c.index)]
    batch.problems = checker.problems
    batch.total_rows = total
    batch.rejected_count = rejected.count
    batch.rejected_sample = rejected.sample
    batch.state = ImportBatch.State.CHECKED
    if rejected.count:
        batch.rejected_file.save(f"rejected-{batch.pk}.csv", ContentFile(rejected.content()))
    elif batch.rejected_file:
        batch.rejected_file = ""
    batch.save()


def check_import(job, batch_id: int) -> dict:
    """The dry run: report every rejected row, write nothing to the register."""
    batch = ImportBatch.objects.select_related("created_by").get(pk=batch_id)
    try:
        with gc_paused():
            checker, _, rejected, total = check_rows(job, batch, batch.created_by)
    except FileRefused as refused:
        batch.state, batch.problems = ImportBatch.State.FAILED, [refused.message]
        batch.save(update_fields=["state", "problems"])
        return {"problem": refused.message}
    except Exception:  # a fault, not the file: say so on the report instead of checking forever
        batch.state = ImportBatch.State.FAILED
        batch.problems = ["The check stopped because of an error in Norma; see the job's log."]
        batch.save(update_fields=["state", "problems"])
        raise
    save_report(batch, checker, rejected, total)
    if checker.problems:
        job.log(" ".join(checker.problems))
    job.log(f"Checked {total} rows: {total - rejected.count} valid, {rejected.count} rejected.")
    return {"rows": total, "valid": total - rejected.count, "rejected": rejected.count}


def commit_import(job, batch_id: int) -> dict:
    """Check every row again, then write all of them in one transaction, or none."""
    batch = ImportBatch.objects.select_related("created_by").get(pk=batch_id)
    try:
        with gc_paused():
            return _commit(job, batch)
    except Exception:
        ImportBatch.objects.filter(pk=batch.pk, state=ImportBatch.State.IMPORTING).update(
            state=ImportBatch.State.CHECKED
        )
        raise


def _commit(job, batch: ImportBatch) -> dict:
    register = register_for(batch.app_label, batch.model_name)
    if batch.state == ImportBatch.State.IMPORTED:
        raise ImportRefused(f"{batch.filename} was imported already.")
    person = type(batch.created_by).objects.get(pk=batch.created_by_id)
    if not (person.is_active and person.has_perm(register.permission("add"))):
        raise ImportRefused(f"{person} may no longer add {register.title().lower()}.")
    try:
        checker, valid, rejected, total = check_rows(job, batch, person, keep=True)
    except FileRefused as refused:
        raise ImportRefused(refused.message) from None
    if checker.problems or rejected.count:
        save_report(batch, checker, rejected, total)
        raise ImportRefused(
            f"{rejected.count} of {total} rows are not valid any more (see the import report); "
            "nothing was imported."
            if rejected.count
            else " ".join(checker.problems)
        )
    job.log(f"All {total} rows are valid; writing them in one transaction.")
    reason = f"Imported from {batch.filename} (import #{batch.pk})"
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.state == ImportBatch.State.IMPORTED:  # a second job for the same file
            raise ImportRefused(f"{batch.filename} was imported already.")
        changed = checker.changed_lookups()
        if changed:
            raise ImportRefused(
                f"Some choices in {', '.join(changed)} changed since the check; "
                "check the file again. Nothing was imported."
            )
        count, first, last = write_records(register.model, valid, person, reason)
        batch.state = ImportBatch.State.IMPORTED
        batch.imported_count = count
        batch.save(update_fields=["state", "imported_count"])
        transaction.on_commit(
            lambda: publish_import(
                register.model,
                count=count,
                first=first,
                last=last,
                actor=person.full_name,
                filename=batch.filename,
            )
        )
    job.log(f"Imported {count} {register.title().lower()}.")
    summary = {"imported": count}
    if hasattr(first, "reference"):
        summary["references"] = f"{first.reference} to {last.reference}"
    return summary
