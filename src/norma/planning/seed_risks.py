"""Demo and scale data for context, interested parties, risks and their actions."""

from datetime import timedelta

from django.utils import timezone

from norma.core.actions import CreateRecord
from norma.core.changelog import Change, record_changes, snapshot
from norma.core.models.records import reserve_references
from norma.planning.actions import CompleteRiskAction, JudgeEffective
from norma.planning.models import (
    ClimateDecision,
    ContextIssue,
    InterestedParty,
    PartyRequirement,
    Process,
    Risk,
    RiskAction,
)

ISSUES = [
    # title, origin, SWOT, PESTLE, owner, days until review
    ("Long-standing aerospace customers", "internal", "strength", "", "Helen Ward", 200),
    ("Few skilled machinists near Leeds", "external", "threat", "social", "Claire Dubois", 120),
    ("Ageing CNC machines at Leeds", "internal", "weakness", "", "David Okafor", 90),
    ("Energy prices in the UK and Portugal", "external", "threat", "economic", "Helen Ward", 150),
    (
        "Customers ask for the carbon footprint of each part",
        "external",
        "opportunity",
        "environmental",
        "Priya Nair",
        180,
    ),
    ("Export paperwork between the UK and the EU", "external", "threat", "legal", "Rui Costa", 60),
    ("New ERP system bedding in", "internal", "weakness", "", "Amira Haddad", -20),
]

PARTIES = [
    # title, kind, owner, [(requirement, addressed?, climate related)]
    (
        "Aerospace customers",
        "customer",
        "Priya Nair",
        [
            ("First article inspection report with each new part", "yes", False),
            ("Carbon footprint per part from 2027", "no", True),
        ],
    ),
    (
        "Employees",
        "employee",
        "Claire Dubois",
        [("Training for every machine", "yes", False)],
    ),
    (
        "Bar stock suppliers",
        "supplier",
        "Marco Bianchi",
        [("A three-month forecast of orders", "yes", False)],
    ),
    (
        "Customs authorities",
        "regulator",
        "Rui Costa",
        [("Correct export declarations", "yes", False)],
    ),
    ("Owners", "owner", "Helen Ward", [("Profitable growth", "not_relevant", False)]),
    ("Neighbours of the Porto plant", "community", "Sofia Lima", []),
]

RISKS = [
    # title, kind, process, likelihood, consequence, residual, owner, actions
    # actions: (title, owner, days due, state) with state open / done / effective
    (
        "Machinists leave and take their skills with them",
        "risk",
        "Machining and assembly",
        4,
        4,
        (2, 4),
        "David Okafor",
        [("Cross-train two operators on every machine", "James Carter", 45, "open")],
    ),
    (
        "Spindle failure on an ageing CNC machine",
        "risk",
        "Machining and assembly",
        3,
        5,
        (2, 3),
        "David Okafor",
        [
            (
                "Preventive maintenance plan for the five oldest machines",
                "Rui Costa",
                -30,
                "effective",
            )
        ],
    ),
    (
        "Late bar stock deliveries",
        "risk",
        "Purchasing and supplier control",
        3,
        3,
        None,
        "Marco Bianchi",
        [],
    ),
    ("Export paperwork errors hold up shipments", "risk", None, 2, 4, None, "Rui Costa", []),
    ("Energy costs rise again", "risk", None, 4, 3, None, "Helen Ward", []),
    (
        "Our largest customer moves its work abroad",
        "risk",
        "Sales and contract review",
        4,
        5,
        (3, 4),
        "Helen Ward",
        [("Win two customers outside aerospace", "Priya Nair", 180, "open")],
    ),
    (
        "A drawing is machined from an old revision",
        "risk",
        "Machining and assembly",
        2,
        2,
        None,
        "David Okafor",
        [],
    ),
    (
        "Heat waves in Porto push parts out of tolerance",
        "risk",
        "Machining (Porto)",
        3,
        4,
        (2, 4),
        "Sofia Lima",
        [("Measure parts only after they settle at 20 °C", "Sofia Lima", -10, "done")],
    ),
    (
        "A cyber attack stops the ERP system",
        "risk",
        None,
        2,
        5,
        (1, 5),
        "Amira Haddad",
        [("Offline backups tested every month", "Amira Haddad", 30, "open")],
    ),
    (
        "Offer carbon footprint data before competitors do",
        "opportunity",
        "Sales and contract review",
        3,
        4,
        None,
        "Priya Nair",
        [("Pilot footprint reports with two customers", "Priya Nair", 90, "open")],
    ),
    (
        "Win medical-device customers with our aerospace record",
        "opportunity",
        "Sales and contract review",
        2,
        5,
        None,
        "Helen Ward",
        [],
    ),
]


def seed_demo(org, author):
    today = timezone.localdate()
    person = org.person

    def create(model, **data):
        return CreateRecord(author, model, data=data).execute()

    issues = {}
    for title, origin, swot, pestle, owner, days in ISSUES:
        issues[title] = create(
            ContextIssue,
            title=title,
            origin=origin,
            swot=swot,
            pestle=pestle,
            owner=person(owner),
            effect=f"Weighed in the risk register and in planning: {title.lower()}.",
            due_date=today + timedelta(days=days),
        )
    create(
        ClimateDecision,
        title="Climate change and the QMS, 2026",
        relevant=ClimateDecision.Relevant.YES,
        reasoning=(
            "Customers now ask for the footprint of each part, and summer heat at Porto moves "
            "machined dimensions; both bear on what the QMS must deliver."
        ),
        owner=person("Helen Ward"),
        due_date=today + timedelta(days=300),
    )
    parties = {}
    for title, kind, owner, requirements in PARTIES:
        parties[title] = create(InterestedParty, title=title, kind=kind, owner=person(owner))
        for requirement, addressed, climate in requirements:
            create(
                PartyRequirement,
                title=requirement,
                party=parties[title],
                addressed=addressed,
                climate_related=climate,
                monitoring="Reviewed at the management review.",
                owner=person(owner),
            )
    _demo_risks(org, author, create, issues, parties)


def _demo_risks(org, author, create, issues, parties):
    today = timezone.localdate()
    processes = {p.title: p for p in Process.objects.all()}
    sources = {
        "Few skilled machinists near Leeds": "Machinists leave and take their skills with them",
        "Energy prices in the UK and Portugal": "Energy costs rise again",
    }
    by_title = {risk: issues[issue] for issue, risk in sources.items()}
    for title, kind, process, likelihood, consequence, residual, owner, treated in RISKS:
        risk = create(
            Risk,
            title=title,
            kind=kind,
            process=processes.get(process),
            context_issue=by_title.get(title),
            interested_party=parties["Aerospace customers"] if kind == "opportunity" else None,
            likelihood=likelihood,
            consequence=consequence,
            residual_likelihood=residual[0] if residual else None,
            residual_consequence=residual[1] if residual else None,
            owner=org.person(owner),
            treatment="See the actions below." if treated else "",
            due_date=today + timedelta(days=120),
        )
        for action_title, action_owner, days, state in treated:
            action = create(
                RiskAction,
                title=action_title,
                risk=risk,
                owner=org.person(action_owner),
                due_date=today + timedelta(days=days),
            )
            if state in ("done", "effective"):
                CompleteRiskAction(org.person(action_owner), action).execute()
            if state == "effective":
                evidence = "No unplanned spindle stops in the last three months."
                JudgeEffective(author, action, reason=evidence).execute()


def seed_scale(org) -> dict[str, int]:
    """10,000 risks at the large scale (two per person), one in three with an action."""
    rng, today = org.rng, timezone.localdate()
    processes = list(Process.objects.values_list("pk", flat=True))
    owners = [p for i, p in enumerate(org.people) if i % 20 == 0] or org.people
    count = len(org.people) * 2
    references = reserve_references(Risk.reference_prefix, count, width=5)
    risks = []
    for i in range(count):
        owner = rng.choice(owners)
        likelihood, consequence = rng.randint(1, 5), rng.randint(1, 5)
        treated = i % 2 == 0
        risks.append(
            Risk(
                reference=references[i],
                title=f"Risk {i + 1:05d}",
                kind=Risk.Kind.OPPORTUNITY if i % 10 == 9 else Risk.Kind.RISK,
                process_id=rng.choice(processes) if processes else None,
                owner=owner,
                site=owner.site,
                likelihood=likelihood,
                consequence=consequence,
                score=likelihood * consequence,
                residual_likelihood=max(1, likelihood - 1) if treated else None,
                residual_consequence=consequence if treated else None,
                residual_score=max(1, likelihood - 1) * consequence if treated else None,
                status=Risk.Status.CLOSED if i % 15 == 14 else Risk.Status.OPEN,
                due_date=today + timedelta(days=rng.randint(-30, 365)),
            )
        )
    Risk.objects.bulk_create(risks, batch_size=1000)
    record_changes([Change(r, "create", after=snapshot(r, new_rows=True)) for r in risks])
    actions = _scale_actions(org, risks[::3], today)
    if org.progress:
        org.progress(f"risks: {len(risks)}, with {actions} actions")
    return {"risks": len(risks), "risk actions": actions}


def _scale_actions(org, risks, today) -> int:
    references = reserve_references(RiskAction.reference_prefix, len(risks), width=5)
    actions = [
        RiskAction(
            reference=references[i],
            title=f"Treat {risk.reference}",
            risk=risk,
            owner=risk.owner,
            site=risk.site,
            status=RiskAction.Status.DONE if i % 2 else RiskAction.Status.OPEN,
            effectiveness=RiskAction.Effectiveness.EFFECTIVE if i % 4 == 1 else "",
            due_date=today + timedelta(days=org.rng.randint(-60, 120)),
        )
        for i, risk in enumerate(risks)
    ]
    RiskAction.objects.bulk_create(actions, batch_size=1000)
    record_changes([Change(a, "create", after=snapshot(a, new_rows=True)) for a in actions])
    return len(actions)
