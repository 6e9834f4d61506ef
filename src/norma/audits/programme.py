"""The audit programme (9.2.2 a): its approval and closing, the next cycle cloned from it,
what it has covered (clauses × processes, and sites) within the cycle, and which processes
the risks suggest auditing earlier or more often."""

from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from norma.audits import cloning
from norma.audits.models import Audit, AuditProgramme
from norma.audits.workflow import references
from norma.core.actions import Action, ActionRefused, Transition
from norma.core.duties import require_different_people
from norma.core.models import SignatureMeaning, Site
from norma.core.signatures import add_signature, confirm_identity
from norma.documents.models import add_months
from norma.improvement.models import Nonconformity
from norma.operations.models import Complaint
from norma.planning.measuring import latest_value
from norma.planning.models import Kpi, PlannedChange, Process, Standing
from norma.standards.models import Clause
from norma.standards.readiness import DEFAULT_STANDARD

P = AuditProgramme.Status
DONE = (Audit.Status.REPORTED, Audit.Status.CLOSED)
PLANNED = Audit.OPEN
ROW_DEPTH = 1  # the coverage matrix's rows: 4 to 10 and their subclauses (8.4, 9.2)


class ApproveProgramme(Transition):
    """Top management (or the quality team) approves the programme and signs it; whoever
    drew it up does not approve it."""

    code = "approve"
    label = "Approve the programme"
    permission = "audits.approve_auditprogramme"
    needs_signature = True
    sources = (P.DRAFT,)
    target = P.APPROVED

    def check_step(self):
        require_different_people(self.obj.created_by, self.actor, "approve_own")
        require_different_people(self.obj.owner, self.actor, "approve_own")
        if not self.obj.audits.live().exists():
            raise ActionRefused("Plan at least one audit in the programme first.")

    def prepare(self):
        confirm_identity(self.actor, self.data.get("password", ""), self.data.get("otp_token", ""))
        self.obj.approved_on = timezone.localdate()

    def apply(self):
        super().apply()
        add_signature(self.obj, self.actor, SignatureMeaning.APPROVED, self.reason)
        return self.obj


class ReviseProgramme(Transition):
    """Back to draft to change an approved programme; it is approved again after."""

    code = "revise"
    label = "Revise the programme"
    permission = "audits.change_auditprogramme"
    reason_required = True
    sources = (P.APPROVED,)
    target = P.DRAFT

    def prepare(self):
        self.obj.approved_on = None


class CloseProgramme(Transition):
    code = "close"
    label = "Close the programme"
    permission = "audits.change_auditprogramme"
    sources = (P.APPROVED,)
    target = P.CLOSED

    def check_step(self):
        still_open = self.obj.audits.live().filter(status__in=PLANNED)
        if still_open.exists():
            raise ActionRefused(
                f"Report or cancel its open audits first: {references(still_open)}."
            )


class CloneProgramme(Action):
    """The programme for the next period, as long as this one, with every audit planned
    again and statuses reset."""

    code = "clone"
    label = "Plan the next cycle from it"
    permission = "audits.add_auditprogramme"

    def check_rules(self):
        if not self.actor.has_perm("audits.add_audit"):
            raise ActionRefused("You do not have the right to plan audits.")

    def apply(self):
        self.new = cloning.clone_programme(self, self.obj)
        return self.obj

    def logged_values(self, before):
        return None, {"next_cycle": self.new.reference}


class CloneAudit(Action):
    """The audit planned again a year later, with its scope and team."""

    code = "clone"
    label = "Plan it again next year"
    permission = "audits.add_audit"

    def apply(self):
        self.new = cloning.clone_audit(self, self.obj, programme=None)
        return self.obj

    def logged_values(self, before):
        return None, {"planned_again_as": self.new.reference}


PROGRAMME_ACTIONS = [ApproveProgramme, ReviseProgramme, CloneProgramme, CloseProgramme]


# -- coverage -------------------------------------------------------------------------------
def cycle_start(programme):
    return add_months(programme.period_end, -settings.NORMA_AUDIT_CYCLE_MONTHS)


def audits_in_cycle(programme):
    """Audits of the cycle ending with the programme: done, or planned in the programme."""
    since = cycle_start(programme)
    done = Q(status__in=DONE, reported_on__gte=since, reported_on__lte=programme.period_end)
    planned = Q(programme=programme, status__in=PLANNED)
    return Audit.objects.live().filter(done | planned)


def _scopes(audits) -> set[tuple[str, int, frozenset]]:
    """(state, process pk or 0, clause keys) of each audit, without repeats: thousands of
    audits share a few scopes, so the matrix is filled once per scope. Four queries."""
    states = {
        pk: "done" if status in DONE else "planned"
        for pk, status in audits.values_list("pk", "status")
    }
    processes: dict[int, list[int]] = {}
    for audit_id, process_id in Audit.processes.through.objects.filter(
        audit__in=audits
    ).values_list("audit_id", "process_id"):
        processes.setdefault(audit_id, []).append(process_id)
    keys: dict[int, set] = {}
    for audit_id, key in Audit.clauses.through.objects.filter(audit__in=audits).values_list(
        "audit_id", "clause__sort_key"
    ):
        keys.setdefault(audit_id, set()).add(key)
    return {
        (state, process_id, frozenset(keys.get(pk, ())))
        for pk, state in states.items()
        for process_id in processes.get(pk) or [0]
    }


@dataclass
class Coverage:
    clauses: list  # the clauses of the matrix's rows
    processes: list
    cells: dict = field(default_factory=dict)  # (clause pk, process pk or 0): "done"/"planned"
    sites: list = field(default_factory=list)  # (site, done, planned)

    def state(self, clause, process) -> str:
        return self.cells.get((clause.pk, process.pk if process else 0), "")

    @cached_property
    def clause_gaps(self) -> list:
        covered = {clause for clause, _ in self.cells}
        return [c for c in self.clauses if c.pk not in covered]

    @cached_property
    def process_gaps(self) -> list:
        covered = {process for _, process in self.cells}
        return [p for p in self.processes if p.pk not in covered]


SYMBOLS = {
    "done": ("cell-met", "✓", "audited"),
    "planned": ("cell-expiring", "○", "planned"),
    "": ("cell-missing", "", "not covered"),
}


def coverage_table(result: Coverage) -> str:
    """The matrix as HTML, written here rather than in a template: the large scale's
    thousands of cells render in milliseconds instead of seconds. Every name is escaped
    once, up front."""
    columns = [(p.pk, escape(p.title)) for p in result.processes] + [(0, "Whole system")]
    head = "".join(f'<th scope="col" class="requirement">{name}</th>' for _, name in columns)
    body = []
    for clause in result.clauses:
        name = f"{escape(clause.ref)} {escape(clause.display_title)}"
        cells = []
        for pk, column in columns:
            css, symbol, words = SYMBOLS[result.cells.get((clause.pk, pk), "")]
            cells.append(
                f'<td class="{css}" title="{escape(clause.ref)} · {column}: {words}">{symbol}'
                f'<span class="visually-hidden">{words}</span></td>'
            )
        body.append(
            f'<tr><th scope="row" class="depth-{clause.depth}">{name}</th>{"".join(cells)}</tr>'
        )
    return mark_safe(  # noqa: S308  (every value above is escaped)
        '<table class="matrix coverage"><caption class="visually-hidden">Clauses against '
        f'processes</caption><thead><tr><th scope="col">Clause</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _covers(key: str, row) -> bool:
    """A scope clause covers a row of the first level (7.1) when it is the row, a clause
    above it (7) or a part of it (7.1.5)."""
    return (
        key == row.sort_key
        or row.sort_key.startswith(key + ".")
        or key.startswith(row.sort_key + ".")
    )


def _fill(cells: dict, rows: list, column: int, keys, state: str):
    """Mark the rows one scope covers in one column; a whole clause (7) only when the scope
    names it, or once every one of its parts is covered."""
    for row in rows:
        whole = row.depth < ROW_DEPTH
        if (whole and row.sort_key in keys) or (not whole and any(_covers(k, row) for k in keys)):
            cells.setdefault((row.pk, column), state)


def _whole_clauses(cells: dict, rows: list, columns: list[int]):
    """A clause of the top level is covered in a column once all its parts are."""
    for top in (r for r in rows if r.depth < ROW_DEPTH):
        parts = [r for r in rows if r.parent_id == top.pk]
        for column in columns:
            states = [cells.get((part.pk, column)) for part in parts]
            if parts and all(states):
                cells.setdefault((top.pk, column), "planned" if "planned" in states else "done")


def coverage(programme, person=None) -> Coverage:
    """What the cycle has audited (or plans to) per clause of the requirements (4 to 10 and
    their first subclauses) and process, with a column for audits of the whole system; only
    what `person` may read, when given."""
    clauses = Clause.objects.filter(standard__slug=DEFAULT_STANDARD, depth__lte=ROW_DEPTH)
    rows = [c for c in clauses.order_by("sort_key") if int(c.ref.split(".")[0]) >= 4]
    processes = Process.objects.live()
    audits = audits_in_cycle(programme)
    sites = Site.objects.filter(is_active=True)
    if person is not None:
        processes, audits = processes.visible_to(person), audits.visible_to(person)
        if not person.scope.unlimited and person.scope.site_ids:
            sites = sites.filter(pk__in=person.scope.site_ids)
    processes = list(processes.order_by("title").only("pk", "title", "reference"))
    result = Coverage(rows, processes)
    process_clauses = _process_clauses(processes)
    for state, process_id, keys in sorted(_scopes(audits), key=lambda scope: scope[0]):
        # "done" comes before "planned", so a cell audited and planned again shows done
        _fill(result.cells, rows, process_id, keys or process_clauses.get(process_id, ()), state)
    _whole_clauses(result.cells, rows, [p.pk for p in processes] + [0])
    site_states: dict[int, set] = {}
    for site_id, status in audits.filter(sites__isnull=False).values_list("sites", "status"):
        site_states.setdefault(site_id, set()).add("done" if status in DONE else "planned")
    result.sites = [
        (site, "done" in site_states.get(site.pk, ()), "planned" in site_states.get(site.pk, ()))
        for site in sites.order_by("name")
    ]
    return result


def _process_clauses(processes) -> dict[int, list[str]]:
    links = Process.clauses.through.objects.filter(
        process__in=[p.pk for p in processes]
    ).values_list("process_id", "clause__sort_key")
    found: dict[int, list[str]] = {}
    for process_id, key in links:
        found.setdefault(process_id, []).append(key)
    return found


# -- risk-based suggestions ------------------------------------------------------------------
@dataclass
class Suggestion:
    process: Process
    reasons: list[str]
    last_audited: object = None


def suggestions(person, today=None) -> list[Suggestion]:
    """Processes to audit earlier or more often: KPIs off track, open or repeated
    nonconformities, changes and justified complaints of the last year, counted among what
    `person` may read; a fixed number of queries whatever the number of processes."""
    today = today or timezone.localdate()
    year_ago = today - timedelta(days=365)
    processes = {
        p.pk: p
        for p in Process.objects.visible_to(person)
        .live()
        .only("pk", "title", "reference", "department_id")
    }
    reasons: dict[int, list[str]] = {}

    def add(pk, text):
        if pk in processes:
            reasons.setdefault(pk, []).append(text)

    kpis = (
        Kpi.objects.visible_to(person)
        .live()
        .filter(status=Kpi.Status.ACTIVE, process__isnull=False)
    )
    off: dict[int, int] = {}
    for kpi in kpis.annotate(latest_value=latest_value()).only(
        "pk", "process_id", "target", "threshold", "direction"
    ):
        if kpi.standing(kpi.latest_value) == Standing.OFF_TRACK:
            off[kpi.process_id] = off.get(kpi.process_id, 0) + 1
    for pk, count in off.items():
        add(pk, f"{count} KPI{'s' if count > 1 else ''} off track")
    ncs = (
        Nonconformity.objects.visible_to(person)
        .live()
        .filter(process__isnull=False, detected_on__gte=year_ago)
        .values("process")
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=Q(status__in=Nonconformity.OPEN)),
            major=Count("pk", filter=Q(severity=Nonconformity.Severity.MAJOR)),
        )
    )
    for row in ncs:
        if row["open"]:
            add(
                row["process"],
                f"{row['open']} open nonconformit{'ies' if row['open'] > 1 else 'y'}",
            )
        if row["total"] >= 3:
            add(row["process"], f"{row['total']} nonconformities in a year (repeated)")
    complaints = (
        Complaint.objects.visible_to(person)
        .live()
        .filter(received_on__gte=year_ago, nonconformity__process__isnull=False)
        .values("nonconformity__process")
        .annotate(total=Count("pk"))
    )
    for row in complaints:
        add(row["nonconformity__process"], f"{row['total']} justified complaint(s)")
    changed = (
        PlannedChange.objects.visible_to(person)
        .live()
        .filter(status__in=("approved", "done"), updated_at__date__gte=year_ago)
        .exclude(department__isnull=True)
        .values_list("department_id", flat=True)
    )
    changed = set(changed)
    for process in processes.values():
        if process.department_id in changed:
            add(process.pk, "changed in the last year")
    last = dict(
        Audit.objects.visible_to(person)
        .live()
        .filter(status__in=DONE, processes__isnull=False)
        .values_list("processes")
        .annotate(last=Max("reported_on"))
    )
    found = [Suggestion(processes[pk], texts, last.get(pk)) for pk, texts in reasons.items()]
    return sorted(found, key=lambda s: (-len(s.reasons), s.process.title))
