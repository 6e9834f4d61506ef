"""Building an evidence pack, as a background job: a ZIP with an index per clause (HTML and
PDF), the data of every register involved (JSON and CSV), the samples asked for, the files
of effective documents and of the sampled records, an extract of the change log, and a
manifest with the SHA-256 of every file (the export archive's format, so it verifies the
same way)."""

import csv
import io
import json
import random
import tempfile
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.files import File
from django.db import models, transaction
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone

from norma.certification.models import EvidencePack, EvidenceSample
from norma.core.changelog import record_change, snapshot
from norma.core.exports import cell_value, column_titles
from norma.core.models import ChangeLogEntry
from norma.core.registers import registry
from norma.dataio.archive_manifest import (
    ArchiveError,
    ZipWriter,
    check_members,
    open_zip,
    read_manifest,
    read_member,
)
from norma.notifications.conf import base_url
from norma.standards import readiness

FORMAT, LABEL, FORMAT_VERSION = "norma-evidence-pack", "evidence pack", 1
CHANGELOG_LIMIT = 50_000
DATE_FIELDS = (models.DateField, models.DateTimeField)


# -- what goes in -------------------------------------------------------------------------
def register_named(label: str):
    return next((r for r in registry if r.model._meta.label_lower == label), None)


def sample_refusals(sample: EvidenceSample) -> dict[str, str]:
    """What is wrong with a sampling request, by field (the model's clean())."""
    register = register_named(sample.register_label)
    if register is None:
        known = ", ".join(sorted(r.model._meta.label_lower for r in registry)[:6])
        return {
            "register_label": f"No register is called “{sample.register_label}” (e.g. {known}…)."
        }
    errors = {}
    try:
        field = register.model._meta.get_field(sample.date_field)
        if not isinstance(field, DATE_FIELDS):
            errors["date_field"] = f"{sample.date_field} is not a date of this register."
    except FieldDoesNotExist:
        errors["date_field"] = f"{register.title()} have no field “{sample.date_field}”."
    params = QueryDict(sample.filters or "")
    unknown = sorted(set(params) - set(register.filter_fields))
    if unknown:
        errors["filters"] = (
            f"{register.title()} cannot be filtered by {', '.join(unknown)}; "
            f"filters: {', '.join(register.filter_fields)}."
        )
    elif params:
        filterset = register.filter_class()(params, queryset=register.model.objects.none())
        if not filterset.is_valid():
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in filterset.errors.items())
            errors["filters"] = f"Some filters are not valid ({problems})."
    return errors


# The registrar's own dealings are not evidence for the registrar: packs, samples, guest
# accounts, the gap analysis, the registrar and the cycle with its costs stay out.
NOT_EVIDENCE = {
    "certification.evidencepack",
    "certification.evidencesample",
    "certification.registraraccess",
    "certification.gapassessment",
    "certification.gapanswer",
    "certification.gapaction",
    "certification.certificationbody",
    "certification.certificationcycle",
}


def clause_registers(clause_refs: list[str]) -> list:
    """The registers whose records are evidence for the clauses (all that name any when
    no clause is chosen)."""

    def touches(register) -> bool:
        if register.model._meta.label_lower in NOT_EVIDENCE:
            return False
        if not clause_refs:
            return bool(register.clause_refs)
        return any(
            ref == mine or ref.startswith(mine + ".") or mine.startswith(ref + ".")
            for ref in clause_refs
            for mine in register.clause_refs
        )

    return [r for r in registry if touches(r)]


def period_rows(register, person, pack: EvidencePack):
    """The register as it stood for the period: records made by its end, archived ones left
    out, as far as the person building the pack may see."""
    return (
        register.queryset_for(person)
        .live()
        .filter(created_at__date__lte=pack.period_end)
        .order_by("pk")
    )


def sample_rows(sample: EvidenceSample, person) -> list:
    """The sample: the register's filtered records within the dates, drawn at random (the
    same draw for the same request)."""
    register = register_named(sample.register_label)
    filterset = register.filter_class()(
        QueryDict(sample.filters or ""),
        queryset=register.queryset_for(person).live(),
        request=SimpleNamespace(user=person),
    )
    rows = filterset.qs
    if sample.date_from:
        rows = rows.filter(**{f"{_day(register, sample)}__gte": sample.date_from})
    if sample.date_to:
        rows = rows.filter(**{f"{_day(register, sample)}__lte": sample.date_to})
    candidates = list(rows.order_by("pk").values_list("pk", flat=True))
    drawn = random.Random(sample.pk).sample(candidates, min(sample.size, len(candidates)))  # noqa: S311  not for security
    return list(register.model.objects.filter(pk__in=drawn).order_by("pk"))


def _day(register, sample) -> str:
    field = register.model._meta.get_field(sample.date_field)
    return f"{field.name}__date" if isinstance(field, models.DateTimeField) else field.name


# -- the files ----------------------------------------------------------------------------
def data_files(register, rows) -> tuple[bytes, bytes]:
    """JSON and CSV of the rows, in the register's export columns."""
    columns = register.columns_for_export()
    records = [{c: cell_value(row, c) for c in columns} for row in rows]
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(column_titles(register.model, columns))
    writer.writerows([record[c] for c in columns] for record in records)
    as_json = json.dumps(records, indent=1, ensure_ascii=False).encode()
    return as_json, ("\ufeff" + text.getvalue()).encode()


def document_files(person):
    """The effective revision of every document: its file, or its Markdown text."""
    from norma.documents.models import Revision
    from norma.documents.registers import DocumentRegister

    documents = DocumentRegister.queryset_for(person).live()
    revisions = Revision.objects.filter(
        status=Revision.Status.EFFECTIVE, document__in=documents
    ).select_related("document")
    for revision in revisions.order_by("document__reference"):
        stem = f"documents/{revision.document.reference}-{revision.label}"
        if revision.file:
            yield (
                f"{stem}-{_safe(revision.file_name or Path(revision.file.name).name)}",
                revision.file,
            )
        else:
            yield f"{stem}.md", revision.body.encode()


def _safe(name: str) -> str:
    kept = "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip(".-")
    return kept or "file"


def changelog_csv(models_in: list, pack: EvidencePack) -> bytes:
    types = [m._meta.label_lower for m in models_in]
    entries = (
        ChangeLogEntry.objects.filter(
            object_type__in=types,
            timestamp__date__gte=pack.period_start,
            timestamp__date__lte=pack.period_end,
        )
        .order_by("id")
        .values_list(
            "id",
            "timestamp",
            "actor_name",
            "action",
            "object_type",
            "object_repr",
            "reason",
            "hash",
        )[:CHANGELOG_LIMIT]
    )
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(
        ["Entry", "When (UTC)", "Who", "Action", "Record type", "Record", "Reason", "Hash"]
    )
    for entry in entries:
        writer.writerow([entry[0], entry[1].isoformat(), *entry[2:]])
    return ("\ufeff" + text.getvalue()).encode()


# -- the job ------------------------------------------------------------------------------
def build_pack(job, pack_id: int):
    try:
        return _build(job, pack_id)
    except Exception as error:
        failed(pack_id, error)
        raise


def failed(pack_id: int, error: Exception):
    """Say on the pack that the build failed (its last ZIP stays available)."""
    with transaction.atomic():
        pack = EvidencePack.objects.select_for_update().get(pk=pack_id)
        before = snapshot(pack)
        pack.status = EvidencePack.Status.FAILED
        pack.build_error = str(error)[:2000]
        pack.save(update_fields=["status", "build_error", "updated_at"])
        record_change(pack, "build-failed", before=before, after=snapshot(pack))


def _build(job, pack_id: int):
    pack = EvidencePack.objects.get(pk=pack_id)
    person = job.job.created_by
    refs = sorted(pack.clauses.values_list("ref", flat=True))
    registers = clause_registers(refs)
    samples = list(pack.samples.live().order_by("pk"))
    job.progress(0, total=len(registers) + len(samples) + 3, force=True)
    folder = Path(settings.DATA_DIR) / "tmp"
    folder.mkdir(exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".zip", delete=False) as handle:
        path = Path(handle.name)
    try:
        writer = ZipWriter(path)
        index = write_contents(writer, job, pack, person, refs, registers, samples)
        manifest = writer.finish(
            {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "pack": pack.reference,
                "title": pack.title,
                "period": [pack.period_start.isoformat(), pack.period_end.isoformat()],
                "clauses": refs or "all",
                "built_at": timezone.now().isoformat(),
                "built_by": person.full_name if person else "",
                "registers": index["counts"],
            }
        )
        store(pack, path, manifest)
    finally:
        path.unlink(missing_ok=True)
    job.progress(job.job.total, force=True)
    return {"pack": pack.reference, "files": len(manifest["files"]), "size": path_size(pack)}


def path_size(pack) -> int:
    return EvidencePack.objects.values_list("file_size", flat=True).get(pk=pack.pk) or 0


def write_contents(writer, job, pack, person, refs, registers, samples) -> dict:
    counts, step = {}, 0
    for register in registers:
        rows = list(period_rows(register, person, pack))
        as_json, as_csv = data_files(register, rows)
        name = register.model._meta.label_lower
        writer.write_bytes(f"data/{name}.json", as_json)
        writer.write_bytes(f"data/{name}.csv", as_csv)
        counts[name] = len(rows)
        step += 1
        job.progress(step)
    job.log(f"{len(registers)} registers written.")
    sampled = []
    for sample in samples:
        register = register_named(sample.register_label)
        rows = sample_rows(sample, person)
        as_json, as_csv = data_files(register, rows)
        writer.write_bytes(f"samples/{sample.reference}.json", as_json)
        writer.write_bytes(f"samples/{sample.reference}.csv", as_csv)
        for row in rows:
            for attachment in row.attachments.all():
                name = f"records/{row.reference}/{attachment.pk}-{_safe(attachment.filename)}"
                if name in writer.files:  # drawn by another sample too
                    continue
                with attachment.file.open("rb") as source:
                    writer.write_stream(name, source)
        sampled.append((sample, register.title(), rows))
        step += 1
        job.progress(step)
    documents = 0
    for name, content in document_files(person):
        if isinstance(content, bytes):
            writer.write_bytes(name, content)
        else:
            with content.open("rb") as source:
                writer.write_stream(name, source)
        documents += 1
    job.log(f"{documents} effective documents added.")
    writer.write_bytes("changelog.csv", changelog_csv([r.model for r in registers], pack))
    job.progress(step + 1)
    context = index_context(pack, person, refs, registers, counts, sampled, documents)
    html = render_to_string("certification/evidence_index.html", context)
    writer.write_bytes("index.html", html.encode())
    job.progress(step + 2)
    from norma.reports.pdf import render_pdf

    writer.write_bytes("index.pdf", render_pdf("certification/evidence_index_print.html", context))
    return {"counts": counts}


def index_context(pack, person, refs, registers, counts, sampled, documents) -> dict:
    """Per clause: what the readiness checks found, and the registers that hold its evidence."""
    from norma.reports.frame import print_context

    report = readiness.evaluate(person)
    rows = [r for r in report.rows if not refs or r.clause.ref in refs]
    clauses = []
    for row in rows:
        involved = [
            (r.title(), r.model._meta.label_lower, counts.get(r.model._meta.label_lower, 0))
            for r in clause_registers([row.clause.ref])
            if r in registers
        ]
        if row.results or involved:
            clauses.append({"row": row, "registers": involved})
    return {
        **print_context(
            reference=pack.reference,
            revision=f"version {pack.version + 1}",  # the version the build is stored as
            title=f"Evidence pack: {pack.title}",
        ),
        "pack": pack,
        "clauses": clauses,
        "samples": sampled,
        "documents": documents,
        "base_url": base_url().rstrip("/"),
    }


def store(pack, path: Path, manifest: dict):
    """Keep the ZIP with the pack and stamp it, in one transaction; the change log holds the
    file's fingerprint."""
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(1024 * 1024), b""):
            digest.update(chunk)
    with transaction.atomic():
        pack = EvidencePack.objects.select_for_update().get(pk=pack.pk)
        before = snapshot(pack)
        with path.open("rb") as source:
            pack.file.save(f"{pack.reference}-v{pack.version + 1}.zip", File(source), save=False)
        pack.file_size = path.stat().st_size
        pack.file_sha256 = digest.hexdigest()
        pack.manifest_sha256 = manifest["manifest_sha256"]
        pack.built_at = timezone.now()
        pack.status = EvidencePack.Status.BUILT
        pack.build_error = ""
        pack.version += 1
        pack.save()
        record_change(pack, "build", before=before, after=snapshot(pack))


def verify_pack(path) -> dict:
    """The manifest, once every file is checked against its SHA-256; ArchiveError says what
    does not match."""
    with open_zip(path, LABEL) as zf:
        manifest = read_manifest(zf, FORMAT, LABEL, FORMAT_VERSION)
        check_members(zf, manifest)
        for name in sorted(manifest["files"]):
            read_member(zf, name, manifest, sink=io.BytesIO())
    return manifest


__all__ = ["ArchiveError", "build_pack", "verify_pack"]
