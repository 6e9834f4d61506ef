"""Clause checks for the people app: 7.1.2, 7.2, 7.3 and 9.2.2 (enough independent auditors)."""

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse

from norma.people import auditors, awareness, competence
from norma.people.models import JobRole, TrainingRecord
from norma.planning.models import Process
from norma.standards.readiness import CheckResult, Evidence, Status, clause_check


def _roles_in_scope():
    return JobRole.objects.live().filter(status=JobRole.Status.CURRENT, in_scope=True)


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


@clause_check("7.1.2")
def roles_staffed(person):
    """7.1.2: every job role in the QMS scope is held by at least one active person."""
    roles = _roles_in_scope().annotate(
        staff=Count("holders", filter=Q(holders__is_active=True), distinct=True)
    )
    counts = roles.aggregate(total=Count("pk"), empty=Count("pk", filter=Q(staff=0)))
    evidence = [Evidence("Job roles", reverse("people:jobrole_list"))]
    if not counts["total"]:
        return CheckResult(Status.MISSING, "No job roles in the QMS scope are defined yet.", [])
    if counts["empty"]:
        empty = ", ".join(r.title for r in roles.filter(staff=0).order_by("title")[:5])
        return CheckResult(
            Status.PARTLY_MET,
            f"{_n(counts['empty'], 'job role has', 'job roles have')} nobody in it: {empty}.",
            evidence,
        )
    return CheckResult(
        Status.MET, f"All {counts['total']} job roles in the scope are staffed.", evidence
    )


@clause_check("7.2")
def people_competent(person):
    """7.2: everyone in a role in scope meets its requirements, or has training assigned for
    each gap; the training records are retained."""
    people = competence.staff().filter(job_roles__in=_roles_in_scope()).distinct()
    found = competence.matrix(people)
    if not found.columns:
        return CheckResult(
            Status.MISSING, "No competence requirements are set for the job roles in scope.", []
        )
    unplanned = [
        row for row in found.rows if any(c and c.is_gap and not c.planned for c in row.cells)
    ]
    planned = sum(1 for row in found.rows if row.gaps) - len(unplanned)
    records = TrainingRecord.objects.live().count()
    evidence = [
        Evidence("Competence matrix", reverse("people:matrix") + "?gaps=on"),
        Evidence(f"Training records ({records})", reverse("people:trainingrecord_list")),
    ]
    total = len(found.rows)
    if not unplanned:
        planned_text = f" ({_n(planned, 'person has', 'people have')} training assigned)"
        return CheckResult(
            Status.MET,
            f"All {total} people in scope meet their roles' requirements"
            + (planned_text if planned else "")
            + ".",
            evidence,
        )
    names = ", ".join(row.person.full_name for row in unplanned[:5])
    return CheckResult(
        Status.PARTLY_MET,
        f"{_n(len(unplanned), 'person', 'people')} of {total} have gaps with no training "
        f"assigned: {names}{'…' if len(unplanned) > 5 else ''}.",
        evidence,
    )


@clause_check("7.3")
def people_aware(person):
    """7.3: enough of the organisation has acknowledged the policy and objectives in force."""
    revisions = awareness.revisions_in_force()
    if not revisions:
        return CheckResult(
            Status.MISSING, "No quality policy or objectives are in force to be aware of.", []
        )
    aware, total = awareness.coverage(competence.staff())
    percent = round(100 * aware / total) if total else 100
    threshold = settings.NORMA_AWARENESS_THRESHOLD
    evidence = [Evidence("Awareness per department", reverse("people:awareness"))]
    sentence = (
        f"{aware} of {total} people ({percent}%) have acknowledged the policy and objectives "
        f"in force; the target is {threshold}%."
    )
    return CheckResult(
        Status.MET if percent >= threshold else Status.PARTLY_MET, sentence, evidence
    )


@clause_check("9.2.2")
def auditors_independent(person):
    """9.2.2 b: qualified auditors enough that every process can be audited by someone who
    neither owns it nor works in its department."""
    qualified = auditors.qualified_auditors()
    evidence = [Evidence("Qualified auditors", reverse("people:auditors"))]
    if not qualified:
        return CheckResult(Status.MISSING, "No qualified internal auditors yet.", evidence)
    processes = list(Process.objects.live().only("pk", "title", "owner_id", "department_id"))
    uncovered = [p for p in processes if not any(auditors.may_audit(a, p) for a in qualified)]
    if uncovered:
        names = ", ".join(p.title for p in uncovered[:5])
        return CheckResult(
            Status.PARTLY_MET,
            f"{_n(len(uncovered), 'process has', 'processes have')} no qualified auditor "
            f"independent of it: {names}.",
            evidence,
        )
    return CheckResult(
        Status.MET,
        f"{_n(len(qualified), 'qualified auditor', 'qualified auditors')}; every one of "
        f"{len(processes)} processes can be audited by someone independent of it.",
        evidence,
    )
