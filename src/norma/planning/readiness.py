"""Clause checks for the planning app."""

from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from norma.planning.measuring import latest_value
from norma.planning.models import (
    ClimateDecision,
    ContextIssue,
    InterestedParty,
    Kpi,
    Measurement,
    NonApplicableRequirement,
    Objective,
    PartyRequirement,
    PlannedChange,
    Process,
    QmsRole,
    QmsScope,
    Risk,
    RiskAction,
    Standing,
)
from norma.standards.readiness import (
    CheckResult,
    Evidence,
    Status,
    clause_check,
    exclusions_source,
)
from norma.standards.readiness import (
    counted as _n,
)


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


def _sentence(gaps: list[str]) -> str:
    """'1 KPI has no result yet; …' — the first letter raised, nothing else lowered."""
    return capfirst("; ".join(gaps)) + "."


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
        return CheckResult(Status.PARTLY_MET, _sentence(gaps), evidence)
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
        gaps.append(
            _n(open_requirements, "requirement is", "requirements are") + " not addressed yet"
        )
    if gaps:
        return CheckResult(Status.PARTLY_MET, _sentence(gaps), evidence)
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
        gaps.append(
            _n(counts["untreated"], "risk scoring", "risks scoring")
            + f" {threshold} or more "
            + ("has" if counts["untreated"] == 1 else "have")
            + " no action"
        )
    if unevaluated:
        gaps.append(
            _n(unevaluated, "action carried out is", "actions carried out are")
            + " not evaluated for effectiveness"
        )
    if gaps:
        return CheckResult(Status.PARTLY_MET, _sentence(gaps), evidence)
    return CheckResult(
        Status.MET,
        f"{counts['total']} open risks and opportunities are assessed; those scoring "
        f"{threshold} or more have actions, and every action carried out was evaluated.",
        evidence,
    )


def _measured_in_period():
    """KPIs with a result, and their next one not yet overdue: measured in their last period."""
    today = timezone.localdate()
    return Kpi.objects.live().filter(
        status=Kpi.Status.ACTIVE,
        due_date__gte=today,
        pk__in=Measurement.objects.values("kpi_id"),
    )


@clause_check("4.4.1")
def processes_measured(person):
    """4.4.1 a, b, c: each process has its inputs and outputs, and at least one KPI measured
    in its last period."""
    processes = Process.objects.live()
    counts = processes.aggregate(
        total=Count("pk"),
        described=Count("pk", filter=~Q(inputs="") & ~Q(outputs="")),
        with_kpi=Count("pk", filter=Q(pk__in=Kpi.objects.live().values("process_id"))),
        measured=Count("pk", filter=Q(pk__in=_measured_in_period().values("process_id"))),
    )
    evidence = [_list("kpi", "KPIs")]
    if not counts["total"]:
        return CheckResult(Status.MISSING, "No processes, so nothing is measured.", evidence)
    if counts["measured"] == counts["described"] == counts["total"]:
        return CheckResult(
            Status.MET,
            f"Every process has its inputs and outputs and a KPI measured in its last period "
            f"({counts['total']}).",
            evidence,
        )
    gaps = []
    if counts["described"] < counts["total"]:
        missing = counts["total"] - counts["described"]
        gaps.append(_n(missing, "process lacks", "processes lack") + " its inputs or outputs")
    if counts["measured"] < counts["total"]:
        gaps.append(
            f"{counts['with_kpi']} of {counts['total']} processes have a KPI; "
            f"{counts['measured']} were measured in their last period"
        )
    return CheckResult(Status.PARTLY_MET, _sentence(gaps), evidence)


@clause_check("6.2")
def objectives_set(person):
    """6.2: objectives are measurable (a KPI measures them), planned (what, who, by when, how
    evaluated) and measured; how they stand is reported, not judged."""
    objectives = list(
        Objective.objects.live()
        .filter(status=Objective.Status.ACTIVE)
        .annotate(latest_value=latest_value("kpi"))
    )
    evidence = [_list("objective", f"Quality objectives ({len(objectives)})")]
    if not objectives:
        return CheckResult(Status.MISSING, "No quality objectives are being pursued.", evidence)
    unplanned = [
        o for o in objectives if not (o.plan and o.owner_id and o.due_date and o.evaluation)
    ]
    unmeasured = [o for o in objectives if o.latest_value is None]
    gaps = []
    if unplanned:
        gaps.append(
            _n(len(unplanned), "objective lacks", "objectives lack")
            + " a plan, an owner, a deadline or how it is evaluated"
        )
    if unmeasured:
        gaps.append(_n(len(unmeasured), "objective has", "objectives have") + " no result yet")
    if gaps:
        return CheckResult(Status.PARTLY_MET, _sentence(gaps), evidence)
    today = timezone.localdate()
    standings = Counter(Standing(o.standing(o.latest_value, today)).label for o in objectives)
    summary = ", ".join(f"{n} {label.lower()}" for label, n in sorted(standings.items()))
    return CheckResult(
        Status.MET,
        f"{len(objectives)} objectives are planned and measured: {summary}.",
        evidence,
    )


@clause_check("9.1.1")
def results_retained(person):
    """9.1.1: what is monitored is measured on schedule, and the results are kept."""
    kpis = Kpi.objects.live().filter(status=Kpi.Status.ACTIVE)
    today = timezone.localdate()
    counts = kpis.aggregate(
        total=Count("pk"),
        unmeasured=Count("pk", filter=~Q(pk__in=Measurement.objects.values("kpi_id"))),
        overdue=Count("pk", filter=Q(due_date__lt=today)),
    )
    results = Measurement.objects.filter(kpi__in=kpis).count()
    evidence = [_list("kpi", f"KPIs ({counts['total']})")]
    if not counts["total"]:
        return CheckResult(Status.MISSING, "Nothing is monitored or measured yet.", evidence)
    gaps = []
    if counts["unmeasured"]:
        gaps.append(_n(counts["unmeasured"], "KPI has", "KPIs have") + " no result yet")
    if counts["overdue"]:
        gaps.append(_n(counts["overdue"], "KPI is", "KPIs are") + " overdue for a measurement")
    if gaps:
        return CheckResult(Status.PARTLY_MET, _sentence(gaps), evidence)
    return CheckResult(
        Status.MET,
        _n(counts["total"], "KPI is", "KPIs are")
        + f" measured on schedule; {results:,} "
        + ("result is" if results == 1 else "results are")
        + " kept.",
        evidence,
    )


@exclusions_source
def requirements_not_applicable() -> dict[str, CheckResult]:
    """Every live judgement of 4.3, as the result its clause (and those under it) show."""
    judged = NonApplicableRequirement.objects.live().select_related("clause")
    return {
        n.clause.ref: CheckResult(
            Status.NOT_APPLICABLE,
            f"Judged not applicable ({n.reference}): {n.justification}",
            [
                Evidence(
                    n.reference,
                    reverse("planning:nonapplicablerequirement_detail", args=[n.reference]),
                )
            ],
        )
        for n in judged
    }


@clause_check("4.3")
def scope_determined(person):
    """4.3: a current scope names products and services, sites and boundaries, and rests on
    a controlled statement in force; requirements not applicable are each justified."""
    scope = (
        QmsScope.objects.live()
        .filter(status=QmsScope.Status.CURRENT)
        .select_related("statement")
        .order_by("-pk")
        .first()
    )
    judged = NonApplicableRequirement.objects.live().count()
    evidence = [_list("nonapplicablerequirement", f"Not applicable ({judged})")]
    if scope is None:
        return CheckResult(Status.MISSING, "The scope of the QMS is not recorded.", evidence)
    evidence.insert(
        0, Evidence(scope.reference, reverse("planning:qmsscope_detail", args=[scope.reference]))
    )
    gaps = []
    if not scope.covered_sites.exists():
        gaps.append("it names no site")
    if scope.statement is None:
        gaps.append("it is not linked to its controlled statement")
    elif scope.statement.status != "effective":
        gaps.append(f"its statement {scope.statement.reference} is not in force")
    if gaps:
        return CheckResult(
            Status.PARTLY_MET, f"The scope {scope.reference}: " + "; ".join(gaps) + ".", evidence
        )
    return CheckResult(
        Status.MET,
        f"The scope {scope.reference} rests on {scope.statement.reference}, in force; "
        + _n(judged, "requirement is", "requirements are")
        + " judged not applicable, each justified.",
        evidence,
    )


@clause_check("6.3")
def changes_planned(person):
    """6.3: changes to the QMS are planned (purpose, consequences, resources, responsibilities)
    and approved before they are made."""
    changes = list(PlannedChange.objects.live().exclude(status=PlannedChange.Status.CANCELLED))
    evidence = [_list("plannedchange", f"Planned changes ({len(changes)})")]
    if not changes:
        return CheckResult(
            Status.MISSING,
            "No change to the QMS is recorded: plan the next one here before making it.",
            evidence,
        )
    unplanned = [c for c in changes if not c.is_planned_fully]
    if unplanned:
        return CheckResult(
            Status.PARTLY_MET,
            _n(len(unplanned), "change lacks", "changes lack")
            + " its purpose, consequences, resources or responsibilities.",
            evidence,
        )
    done = sum(c.status == PlannedChange.Status.DONE for c in changes)
    return CheckResult(
        Status.MET,
        _n(len(changes), "change", "changes") + f" planned in full, {done} made.",
        evidence,
    )


@clause_check("5.3")
def roles_assigned(person):
    """5.3: QMS roles have their responsibilities and authorities, each is held by someone
    active, and every process has one role accountable for it."""
    roles = QmsRole.objects.live().filter(status=QmsRole.Status.CURRENT)
    counts = roles.aggregate(
        total=Count("pk"),
        unheld=Count(
            "pk",
            filter=~Q(
                pk__in=QmsRole.holders.through.objects.filter(person__is_active=True).values(
                    "qmsrole_id"
                )
            ),
        ),
    )
    processes = Process.objects.live()
    # From the link table: a role accountable for nothing would put a NULL in the list, and
    # NOT IN (…, NULL) keeps no row at all.
    accountable = QmsRole.accountable_for.through.objects.filter(qmsrole__in=roles)
    unowned = processes.exclude(pk__in=accountable.values("process_id")).count()
    evidence = [
        _list("qmsrole", f"QMS roles ({counts['total']})"),
        Evidence("Responsibility matrix", reverse("planning:responsibility_matrix")),
    ]
    if not counts["total"]:
        return CheckResult(Status.MISSING, "No QMS roles are defined.", evidence)
    gaps = []
    if counts["unheld"]:
        gaps.append(_n(counts["unheld"], "role is", "roles are") + " held by nobody")
    if unowned:
        gaps.append(_n(unowned, "process has", "processes have") + " no role accountable")
    if gaps:
        return CheckResult(Status.PARTLY_MET, _sentence(gaps), evidence)
    return CheckResult(
        Status.MET,
        _n(counts["total"], "QMS role is", "QMS roles are")
        + " held, and every process has a role accountable for it.",
        evidence,
    )
