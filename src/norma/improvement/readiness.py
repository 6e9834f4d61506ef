"""Clause checks for the improvement app: 8.7 (nonconforming outputs are dealt with and the
decision recorded), 10.2 (nonconformities closed on evidence, none long overdue) and 10.3."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from norma.improvement.models import (
    Cause,
    CorrectiveAction,
    Improvement,
    Nonconformity,
    Verification,
)
from norma.standards.readiness import (
    CheckResult,
    Evidence,
    Status,
    clause_check,
)
from norma.standards.readiness import (
    counted as _n,
)
from norma.standards.readiness import (
    first_references as _refs,
)

NC = Nonconformity.Status


def _list(**filters) -> list[Evidence]:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    url = reverse("improvement:nonconformity_list")
    return [Evidence("Nonconformities", f"{url}?{query}" if query else url)]


@clause_check("8.7")
def outputs_dispositioned(person):
    """8.7.2: every nonconforming output past its report has a disposition and the person
    who decided it; while still in containment it may be pending."""
    outputs = Nonconformity.objects.live().filter(kind=Nonconformity.Kind.OUTPUT)
    decided = Q(disposition__gt="", disposition_by__isnull=False)
    past_containment = ~Q(status__in=(NC.REPORTED, NC.CONTAINMENT, NC.CANCELLED))
    counts = outputs.aggregate(
        total=Count("pk", filter=~Q(status=NC.CANCELLED)),
        decided=Count("pk", filter=decided & ~Q(status=NC.CANCELLED)),
        pending=Count("pk", filter=past_containment & ~decided),
    )
    evidence = _list(kind="output")
    if not counts["total"]:
        if not Nonconformity.objects.live().exists():
            return CheckResult(
                Status.MISSING,
                "No nonconformity of any kind has been recorded yet, so nothing shows how "
                "nonconforming outputs are controlled.",
                evidence,
            )
        return CheckResult(
            Status.MET,
            "No nonconforming output has been recorded among the nonconformities; the report "
            "form is open to everyone.",
            evidence,
        )
    if missing := counts["pending"]:
        pending = outputs.filter(past_containment).exclude(decided)
        return CheckResult(
            Status.PARTLY_MET,
            f"{_n(missing, 'nonconforming output has', 'nonconforming outputs have')} no recorded "
            f"disposition and authority: {_refs(pending, person)}.",
            evidence,
        )
    return CheckResult(
        Status.MET,
        f"{_n(counts['decided'], 'nonconforming output has', 'nonconforming outputs have')} "
        "a recorded disposition and the authority who decided it.",
        evidence,
    )


@clause_check("10.2")
def nonconformities_closed_on_evidence(person):
    """10.2: every closed nonconformity has a root cause, a corrective action done and an
    effective verification; no open one is overdue by more than the grace."""
    ncs = Nonconformity.objects.live()
    closed = ncs.filter(status=NC.CLOSED)
    # IN lists, each read once, rather than three subqueries run for every closed one.
    rooted = Cause.objects.filter(is_root=True).values("nonconformity_id")
    done = CorrectiveAction.objects.filter(
        kind=CorrectiveAction.Kind.CORRECTIVE, status=CorrectiveAction.Status.DONE
    ).values("nonconformity_id")
    verified = Verification.objects.filter(result=Verification.Result.EFFECTIVE).values(
        "nonconformity_id"
    )
    unproven = closed.exclude(Q(pk__in=rooted) & Q(pk__in=done) & Q(pk__in=verified))
    grace = timezone.localdate() - timedelta(days=settings.NORMA_NC_OVERDUE_GRACE_DAYS)
    late = ncs.filter(status__in=Nonconformity.OPEN, due_date__lt=grace)
    counts = ncs.aggregate(total=Count("pk"), closed=Count("pk", filter=Q(status=NC.CLOSED)))
    if not counts["total"]:
        return CheckResult(
            Status.MISSING,
            "No nonconformity has been recorded: nothing yet shows that problems are found, "
            "their causes removed and the fixes verified.",
            _list(),
        )
    problems = []
    if n := unproven.count():
        problems.append(
            f"{_n(n, 'closed nonconformity lacks', 'closed nonconformities lack')} a root cause, "
            f"a corrective action done or an effective verification: {_refs(unproven, person)}"
        )
    if n := late.count():
        days = settings.NORMA_NC_OVERDUE_GRACE_DAYS
        problems.append(
            f"{_n(n, 'open nonconformity is', 'open nonconformities are')} more than {days} "
            f"days overdue: {_refs(late.order_by('due_date'), person)}"
        )
    evidence = [*_list(status="closed"), Evidence("Dashboard", reverse("improvement:dashboard"))]
    if problems:
        return CheckResult(Status.PARTLY_MET, "; ".join(problems) + ".", evidence)
    if not counts["closed"]:
        return CheckResult(
            Status.PARTLY_MET,
            f"{_n(counts['total'], 'nonconformity is', 'nonconformities are')} recorded, none "
            "closed yet with a verified fix.",
            evidence,
        )
    return CheckResult(
        Status.MET,
        f"{_n(counts['closed'], 'closed nonconformity has', 'closed nonconformities have')} a "
        "root cause, corrective action and a verified effectiveness; none is long overdue.",
        evidence,
    )


@clause_check("10.3")
def improvements_acted_on(person):
    """10.3: improvements are recorded in the last year and some are taken up."""
    since = timezone.localdate() - timedelta(days=365)
    recent = Improvement.objects.live().filter(created_at__date__gte=since)
    taken = (Improvement.Status.ACCEPTED, Improvement.Status.DONE)
    counts = recent.aggregate(
        total=Count("pk"),
        taken=Count("pk", filter=Q(status__in=taken)),
        done=Count("pk", filter=Q(status=Improvement.Status.DONE)),
    )
    evidence = [Evidence("Improvements", reverse("improvement:improvement_list"))]
    if not counts["total"]:
        return CheckResult(
            Status.MISSING, "No improvement has been recorded in the last twelve months.", evidence
        )
    if not counts["taken"]:
        return CheckResult(
            Status.PARTLY_MET,
            f"{_n(counts['total'], 'improvement was', 'improvements were')} proposed in the last "
            "twelve months, but none has been taken up.",
            evidence,
        )
    return CheckResult(
        Status.MET,
        f"{_n(counts['total'], 'improvement', 'improvements')} in the last twelve months: "
        f"{counts['taken']} taken up, {counts['done']} implemented.",
        evidence,
    )
