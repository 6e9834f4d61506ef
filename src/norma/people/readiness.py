"""Clause checks for the people app: 7.1.2, 7.2, 7.3 and 9.2.2 (enough independent auditors)."""

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from norma.core.models import Person
from norma.people import auditors, awareness, competence
from norma.people.models import (
    COUNTS,
    Assessment,
    JobRole,
    Requirement,
    TrainingAssignment,
    TrainingRecord,
)
from norma.planning.models import Process
from norma.standards.readiness import CheckResult, Evidence, Status, clause_check
from norma.standards.readiness import counted as _n


def _roles_in_scope():
    return JobRole.objects.live().filter(status=JobRole.Status.CURRENT, in_scope=True)


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
    total = counts["total"]
    sentence = (
        "The one job role in the scope is staffed."
        if total == 1
        else f"All {total} job roles in the scope are staffed."
    )
    return CheckResult(Status.MET, sentence, evidence)


def gaps_of_holders(today):
    """One row per person in a role in scope and requirement of it that they do not meet:
    no valid training that counts for a course; for the rest, no valid assessment of the same
    requirement (by kind and title) at the level needed or above. Worked out in the database:
    the organisation-wide check must not read every training record."""
    roles = _roles_in_scope()
    holder = OuterRef("holder")
    trained = TrainingRecord.objects.live().filter(
        Q(expires_on__isnull=True) | Q(expires_on__gt=today),
        person=holder,
        course=OuterRef("course"),
        result__in=COUNTS,
    )
    assessed = Assessment.objects.live().filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=today),
        person=holder,
        status=Assessment.Status.VALID,
        requirement__kind=OuterRef("kind"),
        requirement__title__iexact=OuterRef("title"),
        level__gte=OuterRef("level"),
    )
    course = Requirement.Kind.COURSE
    return (
        Requirement.objects.live()
        .filter(status=Requirement.Status.CURRENT, job_role__in=roles)
        .annotate(holder=F("job_role__holders"))
        .filter(holder__in=Person.objects.filter(is_active=True).values("pk"))
        .exclude(holder__in=list(competence.outsiders()))
        .filter((Q(kind=course) & ~Exists(trained)) | (~Q(kind=course) & ~Exists(assessed)))
    )


@clause_check("7.2")
def people_competent(person):
    """7.2: everyone in a role in scope meets its requirements, or has training assigned for
    each gap; the training records are retained."""
    roles = _roles_in_scope()
    if not Requirement.objects.live().filter(status="current", job_role__in=roles).exists():
        return CheckResult(
            Status.MISSING, "No competence requirements are set for the job roles in scope.", []
        )
    planned = TrainingAssignment.objects.live().filter(
        person=OuterRef("holder"), course=OuterRef("course"), status="open"
    )
    gaps = gaps_of_holders(timezone.localdate()).annotate(planned=Exists(planned))
    with_gaps, unplanned = set(), set()
    for holder, is_planned in gaps.values_list("holder", "planned"):
        with_gaps.add(holder)
        if not is_planned:
            unplanned.add(holder)
    total = competence.staff().filter(job_roles__in=roles).distinct().count()
    lacking, with_gaps = len(unplanned), len(with_gaps)
    evidence = [
        Evidence("Competence matrix", reverse("people:matrix") + "?gaps=on"),
        Evidence("Training records", reverse("people:trainingrecord_list")),
    ]
    if not lacking:
        sentence = f"Everyone in scope ({total}) meets their roles' requirements"
        if with_gaps:
            sentence = (
                f"{total - with_gaps} of {total} in scope meet their roles' requirements; "
                f"{_n(with_gaps, 'person has', 'people have')} training assigned for every gap"
            )
        return CheckResult(Status.MET, sentence + ".", evidence)
    first = Person.objects.filter(pk__in=unplanned).order_by("full_name")[:5]
    names = ", ".join(p.full_name for p in first)
    return CheckResult(
        Status.PARTLY_MET,
        f"{lacking} of {_n(total, 'person', 'people')} in scope "
        f"{'has' if lacking == 1 else 'have'} gaps with no training "
        f"assigned: {names}{'…' if lacking > 5 else ''}.",
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
    aware, total = awareness.coverage(competence.staff(), revisions)
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
    processes = list(Process.objects.live().select_related("owner"))
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
