"""Demo and scale data for the process register."""

from datetime import timedelta

from django.utils import timezone

from norma.core.actions import CreateRecord, UpdateRecord
from norma.core.changelog import Change, record_changes, snapshot
from norma.core.models.records import reserve_references
from norma.core.seeding import DEMO_PASSWORD
from norma.planning import seed_measures, seed_risks
from norma.planning.actions import ApproveChange, ApproveProcess, CompleteChange
from norma.planning.models import (
    NonApplicableRequirement,
    PlannedChange,
    Process,
    ProcessType,
    QmsRole,
    QmsScope,
)
from norma.standards.models import Clause

DEMO_PROCESSES = [
    # title, type, owner, site, clauses, approved, days until review
    ("Sales and contract review", ProcessType.CORE, "Priya Nair", "leeds", ["8.2"], True, 90),
    ("Design and development", ProcessType.CORE, "James Carter", "leeds", ["8.3"], True, 120),
    (
        "Purchasing and supplier control",
        ProcessType.SUPPORT,
        "Marco Bianchi",
        None,
        ["8.4"],
        True,
        45,
    ),
    ("Machining and assembly", ProcessType.CORE, "David Okafor", "leeds", ["8.5"], True, 10),
    ("Machining (Porto)", ProcessType.CORE, "Sofia Lima", "porto", ["8.5"], False, -5),
    ("Training and competence", ProcessType.SUPPORT, "Claire Dubois", None, ["7.2"], False, 20),
    ("Internal audit", ProcessType.MANAGEMENT, "Amira Haddad", None, ["9.2"], True, 60),
    ("Management review", ProcessType.MANAGEMENT, "Amira Haddad", None, ["9.3"], False, -2),
]


# Who hands outputs to whom: the arrows of the demo's process map.
HAND_OVERS = {
    "Sales and contract review": ["Design and development", "Machining and assembly"],
    "Design and development": ["Machining and assembly", "Purchasing and supplier control"],
    "Purchasing and supplier control": ["Machining and assembly", "Machining (Porto)"],
    "Machining and assembly": ["Sales and contract review"],
    "Machining (Porto)": ["Sales and contract review"],
    "Training and competence": ["Machining and assembly", "Machining (Porto)"],
    "Internal audit": ["Management review"],
    "Management review": ["Training and competence", "Sales and contract review"],
}
SIPOC = {
    "Sales and contract review": (
        "Customers",
        "Enquiries, drawings, orders",
        "Confirmed orders",
        "Customers, production planning",
    ),
    "Machining and assembly": (
        "Purchasing, design",
        "Bar stock, drawings, work orders",
        "Machined and inspected parts",
        "Customers, dispatch",
    ),
}


def seed_demo(org):
    clauses = {c.ref: c for c in Clause.objects.filter(standard__slug="iso9001-2015")}
    today = timezone.localdate()
    approver = org.person("Helen Ward")
    author = org.person("Amira Haddad")
    created = {}
    for title, kind, owner, site, refs, approved, days in DEMO_PROCESSES:
        suppliers, inputs, outputs, customers = SIPOC.get(
            title,
            (
                "Other processes",
                "Requirements, plans, resources",
                "Conforming outputs and records",
                "Other processes",
            ),
        )
        data = {
            "title": title,
            "process_type": kind,
            "owner": org.person(owner),
            "site": org.sites.get(site) if site else None,
            "purpose": f"Run {title.lower()} so that its outputs meet requirements.",
            "suppliers": suppliers,
            "inputs": inputs,
            "outputs": outputs,
            "customers": customers,
            "criteria": "On-time delivery, right first time",
            "resources": "Trained people, the ERP system, the equipment of the process",
            "due_date": today + timedelta(days=days),
            "clauses": [clauses["4.4.1"], *(clauses[r] for r in refs)],
        }
        created[title] = (CreateRecord(author, Process, data=data).execute(), approved)
    for title, targets in HAND_OVERS.items():
        process = created[title][0]
        data = {"hands_over_to": [created[t][0] for t in targets]}
        UpdateRecord(author, process, data=data).execute()
    for process, approved in created.values():
        if approved:
            ApproveProcess(approver, process, data={"password": DEMO_PASSWORD}).execute()
    _demo_scope(org, author, clauses)
    _demo_changes(org, author, approver)
    _demo_roles(org, approver, {title: p for title, (p, _) in created.items()})
    seed_risks.seed_demo(org, author)
    seed_measures.seed_demo(org, author)


ROLES = [
    # title, holders, accountable for, responsible for, consulted on, informed of
    (
        "Management representative",
        ["Amira Haddad"],
        ["Internal audit", "Management review"],
        ["Training and competence"],
        [],
        ["Sales and contract review"],
    ),
    (
        "Production manager",
        ["David Okafor"],
        ["Machining and assembly"],
        ["Purchasing and supplier control"],
        ["Design and development"],
        [],
    ),
    ("Porto plant manager", ["Sofia Lima"], ["Machining (Porto)"], [], [], ["Management review"]),
    (
        "Commercial lead",
        ["Priya Nair"],
        ["Sales and contract review", "Design and development"],
        [],
        ["Machining and assembly"],
        [],
    ),
    ("Supply chain lead", ["Marco Bianchi"], ["Purchasing and supplier control"], [], [], []),
    ("HR and training lead", ["Claire Dubois"], ["Training and competence"], [], [], []),
]


def _demo_roles(org, author, processes):
    """QMS roles with their part in each process (the responsibility matrix)."""
    for title, holders, accountable, responsible, consulted, informed in ROLES:
        CreateRecord(
            author,
            QmsRole,
            data={
                "title": title,
                "duties": f"Sees that the processes the {title.lower()} is accountable for "
                "meet their objectives and that problems are raised early.",
                "authorities": "May stop work that does not conform, and release it again.",
                "holders": [org.person(name) for name in holders],
                "accountable_for": [processes[p] for p in accountable],
                "responsible_for": [processes[p] for p in responsible],
                "consulted_on": [processes[p] for p in consulted],
                "informed_of": [processes[p] for p in informed],
                "owner": org.person("Amira Haddad"),
            },
        ).execute()


def _demo_changes(org, author, approver):
    """One change made, one approved and under way."""
    common = {
        "integrity": "The old and new ways run side by side until the first audit of the new.",
        "owner": org.person("Amira Haddad"),
    }
    erp = CreateRecord(
        author,
        PlannedChange,
        data={
            "title": "Move quality records into the new ERP system",
            "purpose": "One place for orders, inspection results and nonconformities.",
            "consequences": "Records kept twice for two months; training for 40 people.",
            "resources": "ERP consultant, 10 days; a key user per department.",
            "responsibilities": "Amira Haddad leads; process owners sign off their records.",
            **common,
        },
    ).execute()
    ApproveChange(approver, erp, data={"password": DEMO_PASSWORD}).execute()
    CompleteChange(author, erp, reason="Live since September; old system read-only.").execute()
    porto = CreateRecord(
        author,
        PlannedChange,
        data={
            "title": "Bring the Porto plant under the same QMS",
            "purpose": "One certificate for both sites.",
            "consequences": "Porto procedures replaced by the common ones; audits at both.",
            "resources": "Two internal auditors trained in Portuguese; translation budget.",
            "responsibilities": "Sofia Lima for Porto; Amira Haddad for the QMS.",
            "due_date": timezone.localdate() + timedelta(days=120),
            **common,
        },
    ).execute()
    ApproveChange(approver, porto, data={"password": DEMO_PASSWORD}).execute()


def _demo_scope(org, author, clauses):
    """The scope (its statement, a controlled document, is linked by the documents' seed)
    and one requirement judged not applicable."""
    CreateRecord(
        author,
        QmsScope,
        data={
            "title": "Scope of the QMS, 2026",
            "products_services": "Design and manufacture of precision machined components "
            "for aerospace and industrial customers.",
            "covered_sites": list(org.sites.values()),
            "boundaries": "Heat treatment and plating are outsourced and controlled as external "
            "processes (8.4). Sales offices abroad are outside the scope.",
            "owner": org.person("Helen Ward"),
        },
    ).execute()
    CreateRecord(
        author,
        NonApplicableRequirement,
        data={
            "title": "No post-delivery activities",
            "clause": clauses["8.5.5"],
            "justification": "Parts are delivered to the customer's drawing; there is no "
            "installation, servicing or support after delivery. Warranty returns are handled "
            "as nonconforming outputs (8.7).",
            "owner": org.person("Helen Ward"),
        },
    ).execute()


def seed_scale(org) -> dict[str, int]:
    count = len(org.people) // 25  # 200 at the large scale
    owners = [p for i, p in enumerate(org.people) if i % 20 == 0] or org.people
    references = reserve_references(Process.reference_prefix, count, width=5)
    processes = []
    for i in range(count):
        owner = org.rng.choice(owners)
        processes.append(
            Process(
                reference=references[i],
                title=f"Process {i + 1:05d}",
                process_type=org.rng.choice(ProcessType.values),
                owner=owner,
                site=owner.site,
                department=owner.department,
                status=org.rng.choice(Process.Status.values),
                due_date=timezone.localdate() + timedelta(days=org.rng.randint(-30, 365)),
            )
        )
    Process.objects.bulk_create(processes, batch_size=1000)
    record_changes([Change(p, "create", after=snapshot(p, new_rows=True)) for p in processes])
    if org.progress:
        org.progress(f"processes: {len(processes)}")
    return {
        "processes": len(processes),
        **seed_risks.seed_scale(org),
        **seed_measures.seed_scale(org),
    }
