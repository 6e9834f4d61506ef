"""Loading standards libraries (YAML) into the database; safe to run again and again."""

from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db import transaction

from norma.core.changelog import record_change
from norma.standards.models import PDCA, Clause, Standard, sort_key_for

LIBRARY_DIR = Path(__file__).parent / "data"
SCHEMA_VERSION = 1


class LibraryError(ValueError):
    """The YAML file does not follow the library schema; the message names the entry."""


@dataclass
class LoadResult:
    standard: Standard
    created: int
    updated: int


def read_library(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION:
        raise LibraryError(f"{path.name}: expected 'schema: {SCHEMA_VERSION}' at the top")
    for key in ("slug", "name", "title"):
        if not data.get("standard", {}).get(key):
            raise LibraryError(f"{path.name}: standard.{key} is missing")
    seen: set[str] = set()
    for number, clause in enumerate(data.get("clauses") or [], start=1):
        ref = str(clause.get("ref") or "")
        where = f"{path.name}: clause #{number} ({ref or 'no ref'})"
        if not ref or ref in seen:
            raise LibraryError(f"{where}: ref is missing or repeated")
        if clause.get("parent") is not None and str(clause["parent"]) not in seen:
            raise LibraryError(f"{where}: parent {clause['parent']} must come before it")
        if not (clause.get("title") or clause.get("label")):
            raise LibraryError(f"{where}: needs a title or, for an untitled paragraph, a label")
        if clause.get("pdca") not in PDCA.values:
            raise LibraryError(f"{where}: pdca must be one of {', '.join(PDCA.values)}")
        seen.add(ref)
    return data


@transaction.atomic
def load_library(path: Path) -> LoadResult:
    data = read_library(path)
    info = data["standard"]
    standard, _ = Standard.objects.update_or_create(
        slug=info["slug"],
        defaults={
            "name": info["name"],
            "title": info["title"],
            "library_version": info.get("library_version", 1),
        },
    )
    existing = {c.ref: c for c in Clause.objects.filter(standard=standard)}
    created = updated = 0
    for entry in data["clauses"]:
        ref = str(entry["ref"])
        values = {
            "key": f"{standard.slug}:{ref}",
            "title": entry.get("title") or "",
            "label": entry.get("label") or "",
            "parent": existing[str(entry["parent"])] if entry.get("parent") else None,
            "summary": entry.get("summary") or "",
            "audit_questions": list(entry.get("audit_questions") or []),
            "pdca": entry["pdca"],
            "depth": ref.count("."),
            "sort_key": sort_key_for(ref),
        }
        clause = existing.get(ref)
        if clause is None:
            existing[ref] = Clause.objects.create(standard=standard, ref=ref, **values)
            created += 1
        elif any(getattr(clause, k) != v for k, v in values.items()):
            for name, value in values.items():
                setattr(clause, name, value)
            clause.save()
            updated += 1
    if created or updated:
        record_change(
            standard,
            "standard.load",
            after={"clauses_created": created, "clauses_updated": updated},
        )
    return LoadResult(standard, created, updated)


def load_all() -> list[LoadResult]:
    return [load_library(path) for path in sorted(LIBRARY_DIR.glob("*.yaml"))]
