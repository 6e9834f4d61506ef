"""The readiness engine: clause checks contributed by every app, aggregated per clause.

An app declares checks in its own `readiness.py`:

    @clause_check("4.4")
    def processes_defined(person):
        return CheckResult(Status.MET, "12 processes defined and approved.", [...])

The page and the API show, for each clause, the worst result of its checks, and for a parent
clause the worst result of its children. Clauses that no check covers yet say so.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.utils.module_loading import autodiscover_modules

from norma.standards.models import Clause

DEFAULT_STANDARD = "iso9001-2015"


class Status(models.TextChoices):
    MET = "met", "Met"
    PARTLY_MET = "partly_met", "Partly met"
    MISSING = "missing", "Missing"
    NOT_APPLICABLE = "not_applicable", "Not applicable"
    NOT_ASSESSED = "not_assessed", "No check yet"


# Worst first: a clause is as ready as its weakest check.
SEVERITY = [Status.MISSING, Status.PARTLY_MET, Status.MET, Status.NOT_APPLICABLE]
SCORE = {Status.MET: 1.0, Status.PARTLY_MET: 0.5, Status.MISSING: 0.0}


@dataclass
class Evidence:
    label: str
    url: str


@dataclass
class CheckResult:
    status: Status
    sentence: str
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class ClauseReadiness:
    clause: Clause
    status: Status = Status.NOT_ASSESSED
    results: list[CheckResult] = field(default_factory=list)
    children: list["ClauseReadiness"] = field(default_factory=list)


@dataclass
class ReadinessReport:
    rows: list[ClauseReadiness]

    @property
    def assessed(self) -> list[ClauseReadiness]:
        return [r for r in self.rows if r.results and r.status in SCORE]

    @property
    def score(self) -> int | None:
        """Percentage over clauses that have checks: met counts 1, partly met a half."""
        rows = self.assessed
        if not rows:
            return None
        return round(100 * sum(SCORE[r.status] for r in rows) / len(rows))

    def counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Status}
        for row in self.rows:
            if row.results:
                counts[row.status] += 1
        return counts

    def gaps(self) -> list[ClauseReadiness]:
        return [
            r for r in self.rows if r.results and r.status in (Status.MISSING, Status.PARTLY_MET)
        ]


Check = Callable[[object], CheckResult]
_checks: dict[str, list[Check]] = {}
SHOWN = 5


def counted(count: int, one: str, many: str) -> str:
    """'1 requirement is', '3 requirements are'."""
    return f"{count} {one if count == 1 else many}"


def first_references(rows, person) -> str:
    """The first references, of those the reader may see (the counts are the organisation's)."""
    shown = list(rows.visible_to(person).values_list("reference", flat=True)[:SHOWN])
    return ", ".join(shown) if shown else "at sites outside yours"


def clause_check(ref: str):
    """Register a check for one clause of the default standard."""

    def decorate(function: Check) -> Check:
        _checks.setdefault(ref, [])
        if function not in _checks[ref]:
            _checks[ref].append(function)
        return function

    return decorate


_exclusion_sources: list[Callable[[], dict[str, CheckResult]]] = []


def exclusions_source(function):
    """Register a function giving {clause ref: result} for requirements judged not
    applicable (4.3); such a clause and everything under it reads "not applicable"."""
    if function not in _exclusion_sources:
        _exclusion_sources.append(function)
    return function


def exclusions() -> dict[str, CheckResult]:
    autodiscover_modules("readiness")
    found = {}
    for source in _exclusion_sources:
        found.update(source())
    return found


def excluded_by(ref: str, excluded: dict[str, CheckResult]) -> CheckResult | None:
    """The exclusion covering a clause: its own, or one of a clause above it."""
    return next((r for key, r in excluded.items() if ref == key or ref.startswith(key + ".")), None)


def registered_checks() -> dict[str, list[Check]]:
    autodiscover_modules("readiness")
    return _checks


def worst(statuses) -> Status:
    present = [s for s in statuses if s in SEVERITY]
    return min(present, key=SEVERITY.index) if present else Status.NOT_ASSESSED


def evaluate(person, standard_slug: str = DEFAULT_STANDARD) -> ReadinessReport:
    checks = registered_checks()
    clauses = list(
        Clause.objects.filter(standard__slug=standard_slug)
        .select_related("standard")
        .order_by("sort_key")
    )
    rows = {c.pk: ClauseReadiness(clause=c) for c in clauses}
    excluded = exclusions()
    for row in rows.values():
        if (exclusion := excluded_by(row.clause.ref, excluded)) is not None:
            row.results, row.status = [exclusion], Status.NOT_APPLICABLE
            continue  # its checks do not apply
        for check in checks.get(row.clause.ref, []):
            row.results.append(check(person))
        if row.results:
            row.status = worst(r.status for r in row.results)
    # Children before parents: deepest first, so each parent sees its children's final status.
    for clause in sorted(clauses, key=lambda c: -c.depth):
        if clause.parent_id:
            rows[clause.parent_id].children.append(rows[clause.pk])
    for clause in sorted(clauses, key=lambda c: -c.depth):
        row = rows[clause.pk]
        # A clause is not applicable only when judged so itself, not because one of its
        # sub-clauses is.
        child_statuses = [
            c.status
            for c in row.children
            if c.status not in (Status.NOT_ASSESSED, Status.NOT_APPLICABLE)
        ]
        if child_statuses:
            row.status = worst([*child_statuses, *(r.status for r in row.results)])
    for row in rows.values():
        row.children.sort(key=lambda r: r.clause.sort_key)
    return ReadinessReport(rows=[rows[c.pk] for c in clauses])
