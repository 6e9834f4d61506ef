"""Clause checks for the planning app."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from norma.planning.models import (
    ClimateDecision,
    ContextIssue,
    InterestedParty,
    PartyRequirement,
    Process,
    Risk,
    RiskAction,
)
from norma.standards.readiness import CheckResult, Evidence, Status, clause_check


@clause_check("4.4.1")
def processes_defined_and_owned(person):
    """4.4.1: the QMS processes are determined, each with an owner, and approved."""
    counts = Process.objects.live().aggregate(
        total=Count("pk"),
        approved=Count(
            "pk", filter=Q(status=Process.Status.APPROVED, owner__isnull=False)
        ),  # counted in the database: one query whatever the number of processes
    )
    total, approved = counts["total"], counts["approved"]
    list_url = reverse("planning:process_list")
    if not total:
        return CheckResult(Status.MISSING, "No QMS processes are defined yet.", [])
    evidence = [Evidence(f"Process register ({total})", list_url)]
    if approved == total:
        return CheckResult(
            Status.MET, f"All {total} processes have an owner and are approved.", evidence
        )
    return CheckResult(
        Status.PARTLY_MET,
        f"{approved} of {total} processes have an owner and are approved.",
        evidence,
    )


def _list(register_name: str, label: str) -> Evidence:
    return Evidence(label, reverse(f"planning:{register_name}_list"))


@clause_check("4.1")
def context_understood(person):
    """4.1: current issues recorded and reviewed within a year, and the climate decision made."""
    year_ago = timezone.now() - timedelta(days=365)
    today = timezone.localdate()
    issues = ContextIssue.objects.live().filter(status=ContextIssue.Status.CURRENT)
    counts = issues.aggregate(
        total=Count("pk"),
        stale=Count("pk", filter=Q(updated_at__lt=year_ago) | Q(due_date__lt=today)),
    )
    decision = ClimateDecision.objects.live().order_by("-created_at", "-pk").first()
    evidence = [_list("contextissue", f"Context issues ({counts['total']})")]
    if decision is not None:
        evidence.append(
            Evidence(
                decision.reference,
                reverse("planning:climatedecision_detail", args=[decision.reference]),
            )
        )
    if not counts["total"]:
        return CheckResult(Status.MISSING, "No internal or external issues are recorded.", evidence)
    gaps = []
    if counts["stale"]:
        gaps.append(f"{counts['stale']} of {counts['total']} issues are past their review")
    if decision is None:
        gaps.append("there is no decision on whether climate change is a relevant issue")
    if gaps:
        return CheckResult(Status.PARTLY_MET, "; ".join(gaps).capitalize() + ".", evidence)
    verdict = "relevant" if decision.relevant == ClimateDecision.Relevant.YES else "not relevant"
    return CheckResult(
        Status.MET,
        f"{counts['total']} current issues, each reviewed within a year; climate change judged "
        f"{verdict} ({decision.reference}, {decision.created_at:%Y-%m-%d}).",
        evidence,
    )


@clause_check("4.2")
def interested_parties_understood(person):
    """4.2: the relevant parties are known, each with its requirements, and each requirement
    is either addressed by the QMS or judged not relevant."""
    parties = InterestedParty.objects.live().filter(status=InterestedParty.Status.RELEVANT)
    stated = PartyRequirement.objects.live().filter(
        party=OuterRef("pk"), status=PartyRequirement.Status.CURRENT
    )
    counts = {"total": parties.count(), "without": parties.filter(~Exists(stated)).count()}
    open_requirements = (
        PartyRequirement.objects.live()
        .filter(
            party__in=parties,
            status=PartyRequirement.Status.CURRENT,
            addressed=PartyRequirement.Addressed.NO,
        )
        .count()
    )
    evidence = [
        _list("interestedparty", f"Interested parties ({counts['total']})"),
        _list("partyrequirement", "Their requirements"),
    ]
    if not counts["total"]:
        return CheckResult(Status.MISSING, "No interested parties are recorded.", evidence)
    gaps = []
    if counts["without"]:
        gaps.append(f"{counts['without']} of {counts['total']} parties have no requirements")
    if open_requirements:
        gaps.append(f"{open_requirements} requirements are not addressed yet")
    if gaps:
        return CheckResult(Status.PARTLY_MET, "; ".join(gaps).capitalize() + ".", evidence)
    return CheckResult(
        Status.MET,
        f"{counts['total']} interested parties, each with its requirements addressed or "
        "judged not relevant.",
        evidence,
    )


@clause_check("6.1")
def risks_addressed(person):
    """6.1: risks and opportunities assessed; those at or above the action score have actions;
    the actions carried out have been evaluated."""
    risks = Risk.objects.live().filter(status=Risk.Status.OPEN)
    threshold = settings.NORMA_RISK_ACTION_SCORE
    counts = risks.aggregate(
        total=Count("pk"),
        untreated=Count(
            "pk",
            filter=Q(score__gte=threshold, kind=Risk.Kind.RISK)
            & ~Q(pk__in=RiskAction.objects.live().values("risk_id")),
        ),
    )
    unevaluated = (
        RiskAction.objects.live().filter(status=RiskAction.Status.DONE, effectiveness="").count()
    )
    evidence = [
        _list("risk", f"Risks and opportunities ({counts['total']})"),
        Evidence("Heat map", reverse("planning:risk_heat_map")),
        _list("riskaction", "Actions"),
    ]
    if not counts["total"]:
        return CheckResult(Status.MISSING, "No risks or opportunities are assessed.", evidence)
    gaps = []
    if counts["untreated"]:
        gaps.append(f"{counts['untreated']} risks scoring {threshold} or more have no action")
    if unevaluated:
        gaps.append(f"{unevaluated} actions carried out are not evaluated for effectiveness")
    if gaps:
        return CheckResult(Status.PARTLY_MET, "; ".join(gaps).capitalize() + ".", evidence)
    return CheckResult(
        Status.MET,
        f"{counts['total']} open risks and opportunities are assessed; those scoring "
        f"{threshold} or more have actions, and every action carried out was evaluated.",
        evidence,
    )
