"""Clause checks for internal audits: 9.2.1 (an approved programme, and audits reported
within the cycle covering every process and clause of the requirements) and 9.2.2 (reports
signed and unchanged, no auditor on their own work, findings followed up)."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from norma.audits.models import Audit, AuditProgramme, Finding
from norma.audits.programme import DONE, coverage
from norma.core.models import Signature, SignatureMeaning
from norma.core.signatures import content_hash
from norma.documents.models import add_months
from norma.improvement.models import Nonconformity
from norma.people.auditors import independent
from norma.standards.readiness import CheckResult, Evidence, Status, clause_check
from norma.standards.readiness import counted as _n


def _evidence(name: str, label: str, query: str = "") -> list[Evidence]:
    url = reverse(f"audits:{name}_list")
    return [Evidence(label, f"{url}?{query}" if query else url)]


def current_programme():
    today = timezone.localdate()
    return (
        AuditProgramme.objects.live()
        .filter(
            status=AuditProgramme.Status.APPROVED, period_start__lte=today, period_end__gte=today
        )
        .order_by("-period_start")
        .first()
    )


def _reported_in_cycle():
    since = add_months(timezone.localdate(), -settings.NORMA_AUDIT_CYCLE_MONTHS)
    return Audit.objects.live().filter(status__in=DONE, reported_on__gte=since)


@clause_check("9.2.1")
def programme_covers_the_scope(person):
    """An approved programme for today, and audits reported within the cycle that cover
    every process and every clause of the requirements."""
    programme = current_programme()
    if programme is None:
        return CheckResult(
            Status.MISSING,
            "No approved audit programme covers today.",
            _evidence("auditprogramme", "Audit programmes"),
        )
    url = reverse("audits:auditprogramme_detail", args=[programme.reference])
    evidence = [Evidence(f"{programme.reference} {programme.title}", url)]
    matrix = coverage(programme, person)
    done = {key for key, state in matrix.cells.items() if state == "done"}
    clauses = [c.ref for c in matrix.clauses if not any(k[0] == c.pk for k in done)]
    processes = [p.title for p in matrix.processes if not any(k[1] == p.pk for k in done)]
    if not done:
        return CheckResult(
            Status.PARTLY_MET,
            f"{programme.reference} is approved, but no audit has been reported in the cycle.",
            evidence,
        )
    if clauses or processes:
        gaps = []
        if processes:
            gaps.append(
                f"{_n(len(processes), 'process', 'processes')} ({', '.join(processes[:5])})"
            )
        if clauses:
            gaps.append(f"{_n(len(clauses), 'clause', 'clauses')} ({', '.join(clauses[:8])})")
        return CheckResult(
            Status.PARTLY_MET,
            f"Audits reported in the cycle have not yet covered {' and '.join(gaps)}.",
            evidence,
        )
    return CheckResult(
        Status.MET,
        f"{programme.reference} is approved; audits reported in the cycle cover all "
        f"{len(matrix.processes)} processes and {len(matrix.clauses)} clauses.",
        evidence,
    )


@clause_check("9.2.2")
def audits_reported_and_followed_up(person):
    """Reports signed and unchanged since, no auditor on their own process or department,
    and the nonconformities audits opened not left overdue."""
    reported = _reported_in_cycle()
    audits = list(reported.values_list("pk", "reference", "reported_on"))
    evidence = _evidence("audit", "Reported audits", "status=reported")
    if not audits:
        return CheckResult(Status.MISSING, "No internal audit has been reported yet.", evidence)
    problems = []
    signed = _signed(reported, audits)
    unsigned = [reference for pk, reference, _ in audits if pk not in signed]
    if unsigned:
        problems.append(f"reports not signed or changed since signing: {', '.join(unsigned[:5])}")
    own = _on_their_own_work(reported)
    if own and settings.NORMA_SEPARATION_OF_DUTIES:
        references = dict((pk, reference) for pk, reference, _ in audits)
        named = ", ".join(references[pk] for pk in sorted(own)[:5])
        problems.append(f"an auditor audited their own area: {named}")
    today = timezone.localdate()
    late = (
        Finding.objects.live()
        .filter(audit__in=reported)
        .filter(
            Q(status=Finding.Status.ISSUED, due_date__lt=today)
            | Q(nonconformity__status__in=Nonconformity.OPEN, nonconformity__due_date__lt=today)
        )
        .values_list("reference", flat=True)
    )
    late = list(late[:6])
    if late:
        problems.append(f"findings not followed up on time: {', '.join(late[:5])}")
    if problems:
        sentence = "; ".join(problems)
        return CheckResult(Status.PARTLY_MET, sentence[:1].upper() + sentence[1:] + ".", evidence)
    return CheckResult(
        Status.MET,
        f"{_n(len(audits), 'audit reported', 'audits reported')} in the cycle, each signed by "
        "its lead auditor, none by an auditor of their own area, findings followed up on time.",
        evidence,
    )


RECHECKED = 10  # the newest reports whose content is hashed again (a locked report cannot change)


def _signed(reported, audits) -> set[int]:
    """The audits whose report carries its lead auditor's signature; for the newest, one
    that still matches the content."""
    rows = Signature.objects.filter(
        content_type=ContentType.objects.get_for_model(Audit),
        object_id__in=reported.annotate(key=Cast("pk", CharField())).values("key"),
        meaning=SignatureMeaning.AUTHORED,
    ).values_list("object_id", "content_hash")
    hashes: dict[int, set] = {}
    for object_id, value in rows:
        hashes.setdefault(int(object_id), set()).add(value)
    newest = sorted(audits, key=lambda row: row[2], reverse=True)[:RECHECKED]
    changed = {
        pk
        for pk, _, _ in newest
        if pk in hashes and content_hash(Audit.objects.get(pk=pk)) not in hashes[pk]
    }
    return set(hashes) - changed


def _on_their_own_work(reported) -> set[int]:
    """The audits where the lead or a team member owns a process audited, or works in its
    department (or its owner's): a few queries over ids, whatever the number of audits."""
    auditors: dict[int, set] = {}
    for pk, person, department in reported.values_list("pk", "owner_id", "owner__department_id"):
        auditors.setdefault(pk, set()).add((person, department))
    team = Audit.team.through.objects.filter(audit__in=reported)
    for pk, person, department in team.values_list(
        "audit_id", "person_id", "person__department_id"
    ):
        auditors.setdefault(pk, set()).add((person, department))
    scope = Audit.processes.through.objects.filter(audit__in=reported).values_list(
        "audit_id", "process__owner_id", "process__department_id", "process__owner__department_id"
    )
    return {
        pk
        for pk, owner, department, owner_department in scope
        for person, person_department in auditors.get(pk, ())
        if person
        and not independent(person, person_department, owner, department or owner_department)
    }
