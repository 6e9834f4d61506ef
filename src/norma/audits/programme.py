"""The audit programme (9.2.2 a): its approval and closing, the next cycle cloned from it,
what it has covered (clauses × processes, and sites) within the cycle, and which processes
the risks suggest auditing earlier or more often."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from norma.audits import cloning
from norma.audits.models import Audit, AuditProgramme
from norma.core.actions import Action, ActionRefused, Transition
from norma.core.models import Site
from norma.documents.models import add_months
from norma.improvement.models import Nonconformity
from norma.operations.models import Complaint
from norma.planning.measuring import latest_value
from norma.planning.models import Kpi, PlannedChange, Process, Standing
from norma.standards.models import Clause

P = AuditProgramme.Status
DONE = (Audit.Status.REPORTED, Audit.Status.CLOSED)
PLANNED = Audit.OPEN
ROW_DEPTH = 1  # the coverage matrix's rows: 4 to 10 and their subclauses (8.4, 9.2)


class ApproveProgramme(Transition):
    code = "approve"
    label = "Approve the programme"
    permission = "audits.approve_auditprogramme"
    sources = (P.DRAFT,)
    target = P.APPROVED

    def check_step(self):
        if not self.obj.audits.live().exists():
            raise ActionRefused("Plan at least one audit in the programme first.")

    def prepare(self):
        self.obj.approved_on = timezone.localdate()


class CloseProgramme(Transition):
    code = "close"
    label = "Close the programme"
    permission = "audits.change_auditprogramme"
    sources = (P.APPROVED,)
    target = P.CLOSED

    def check_step(self):
        still_open = self.obj.audits.live().filter(status__in=PLANNED)
        if still_open.exists():
            references = ", ".join(still_open.values_list("reference", flat=True)[:10])
            raise ActionRefused(f"Report or cancel its open audits first: {references}.")


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
        start, end = self.obj.period_start, self.obj.period_end
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        self.new = cloning.clone_programme(self, self.obj, months)
        return self.obj

    def logged_values(self, before):
        return None, {"next_cycle": self.new.reference}


class CloneAudit(Action):
    """The audit planned again a year later, with its scope and team."""

    code = "clone"
    label = "Plan it again next year"
    permission = "audits.add_audit"

    def apply(self):
        self.new = cloning.clone_audit(self, self.obj, 12, programme=None)
        return self.obj

    def logged_values(self, before):
        return None, {"planned_again_as": self.new.reference}


PROGRAMME_ACTIONS = [ApproveProgramme, CloneProgramme, CloseProgramme]


# -- coverage -------------------------------------------------------------------------------
def cycle_start(programme):
    return add_months(programme.period_end, -settings.NORMA_AUDIT_CYCLE_MONTHS)


def audits_in_cycle(programme):
    """Audits of the cycle ending with the programme: done, or planned in the programme."""
    since = cycle_start(programme)
    done = Q(status__in=DONE, reported_on__gte=since, reported_on__lte=programme.period_end)
    planned = Q(programme=programme, status__in=PLANNED)
    return (
        Audit.objects.live()
        .filter(done | planned)
        .prefetch_related("processes", "clauses", "sites")
        .only("pk", "reference", "status", "kind")
    )


@dataclass
class Coverage:
    clauses: list  # the clauses of the matrix's rows
    processes: list
    cells: dict = field(default_factory=dict)  # (clause pk, process pk or 0): "done"/"planned"
    sites: list = field(default_factory=list)  # (site, done, planned)

    def state(self, clause, process) -> str:
        return self.cells.get((clause.pk, process.pk if process else 0), "")

    @property
    def rows(self):
        columns = [*self.processes, None]
        return [(c, [(p, self.state(c, p)) for p in columns]) for c in self.clauses]

    @property
    def clause_gaps(self) -> list:
        return [c for c in self.clauses if not any(k[0] == c.pk for k in self.cells)]

    @property
    def process_gaps(self) -> list:
        return [p for p in self.processes if not any(k[1] == p.pk for k in self.cells)]


def _rows_covered(scope_keys: list[str], rows: list) -> list:
    """The matrix rows an audit's clauses cover: the row itself, above it or beneath it."""
    return [
        row
        for row in rows
        if any(
            k == row.sort_key
            or k.startswith(row.sort_key + ".")
            or row.sort_key.startswith(k + ".")
            for k in scope_keys
        )
    ]


def coverage(programme) -> Coverage:
    """What the cycle has audited (or plans to) per clause of the requirements (4 to 10, two
    levels deep) and process, with a column for audits of the whole system."""
    clauses = Clause.objects.filter(depth__lte=ROW_DEPTH).order_by("sort_key")
    rows = [c for c in clauses if int(c.ref.split(".")[0]) >= 4]  # the requirements
    processes = list(Process.objects.live().order_by("title").only("pk", "title", "reference"))
    result = Coverage(rows, processes)
    site_states: dict[int, set] = {}
    process_clauses = _process_clauses(processes)
    for audit in audits_in_cycle(programme):
        state = "done" if audit.status in DONE else "planned"
        audited = list(audit.processes.all()) or [None]
        for process in audited:
            keys = [c.sort_key for c in audit.clauses.all()]
            if not keys and process is not None:
                keys = process_clauses.get(process.pk, [])
            for row in _rows_covered(keys, rows):
                key = (row.pk, process.pk if process else 0)
                if result.cells.get(key) != "done":
                    result.cells[key] = state
        for site in audit.sites.all():
            site_states.setdefault(site, set()).add(state)
    result.sites = [
        (site, "done" in site_states.get(site, ()), "planned" in site_states.get(site, ()))
        for site in Site.objects.filter(is_active=True).order_by("name")
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


def suggestions(today=None) -> list[Suggestion]:
    """Processes to audit earlier or more often: KPIs off track, open or repeated
    nonconformities, changes and justified complaints of the last year; a fixed number of
    queries whatever the number of processes."""
    today = today or timezone.localdate()
    year_ago = today - timedelta(days=365)
    processes = {
        p.pk: p for p in Process.objects.live().only("pk", "title", "reference", "department_id")
    }
    reasons: dict[int, list[str]] = {}

    def add(pk, text):
        if pk in processes:
            reasons.setdefault(pk, []).append(text)

    kpis = Kpi.objects.live().filter(status=Kpi.Status.ACTIVE, process__isnull=False)
    off: dict[int, int] = {}
    for kpi in kpis.annotate(latest_value=latest_value()).only(
        "pk", "process_id", "target", "threshold", "direction"
    ):
        if kpi.standing(kpi.latest_value) == Standing.OFF_TRACK:
            off[kpi.process_id] = off.get(kpi.process_id, 0) + 1
    for pk, count in off.items():
        add(pk, f"{count} KPI{'s' if count > 1 else ''} off track")
    ncs = (
        Nonconformity.objects.live()
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
        Complaint.objects.live()
        .filter(received_on__gte=year_ago, nonconformity__process__isnull=False)
        .values("nonconformity__process")
        .annotate(total=Count("pk"))
    )
    for row in complaints:
        add(row["nonconformity__process"], f"{row['total']} justified complaint(s)")
    changed = (
        PlannedChange.objects.live()
        .filter(status__in=("approved", "done"), updated_at__date__gte=year_ago)
        .exclude(department__isnull=True)
        .values_list("department_id", flat=True)
    )
    changed = set(changed)
    for process in processes.values():
        if process.department_id in changed:
            add(process.pk, "changed in the last year")
    last = dict(
        Audit.objects.live()
        .filter(status__in=DONE, processes__isnull=False)
        .values_list("processes")
        .annotate(last=Max("reported_on"))
    )
    found = [Suggestion(processes[pk], texts, last.get(pk)) for pk, texts in reasons.items()]
    return sorted(found, key=lambda s: (-len(s.reasons), s.process.title))
