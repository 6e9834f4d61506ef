"""Scale data for internal audits (`norma seed --scale large`: 5,000 audits over three
yearly programmes with 100,000 checklist items and 20,000 findings). The first audit has 300
checklist items: the page and the report the benchmarks open. Rows are as the actions would
leave them: reported audits carry their report fields, findings are acknowledged."""

from datetime import timedelta

from django.utils import timezone

from norma.audits.models import Audit, AuditProgramme, ChecklistItem, Finding
from norma.core.seeding import with_references, write
from norma.planning.models import Process
from norma.standards.models import Clause

ITEMS = 20  # checklist items per audit
FINDINGS = 4  # findings per audit
BIG = 300  # checklist items of the first audit
GRADES = ["minor", "minor", "ofi", "observation", "strength", "major"]
RESULTS = ["conforming"] * 6 + ["minor", "ofi", "observation"]


def seed_audits(org) -> dict[str, int]:
    rng, today = org.rng, timezone.localdate()
    count = len(org.people)
    questions = [
        (clause.pk, question)
        for clause in Clause.objects.exclude(audit_questions=[]).order_by("sort_key")
        for question in clause.audit_questions
    ]
    processes = list(Process.objects.values_list("pk", "owner_id")[:200]) or [(None, None)]
    leads = org.people[1::20]  # not the process owners (every 20th person)
    first = today.replace(month=1, day=1)
    programmes = [
        AuditProgramme(
            title=f"Audit programme {first.year - n}",
            period_start=first.replace(year=first.year - n),
            period_end=first.replace(year=first.year - n + 1) - timedelta(days=1),
            objectives="Every process and clause audited within the cycle.",
            status="approved" if n == 0 else "closed",
            approved_on=first.replace(year=first.year - n),
        )
        for n in range(3)
    ]
    write(AuditProgramme, with_references(AuditProgramme, programmes))
    audits = []
    for i in range(count):
        programme = programmes[i % 3]
        start = programme.period_start + timedelta(days=rng.randint(0, 360))
        status = "closed" if start < today - timedelta(days=120) else "reported"
        if start > today - timedelta(days=3):
            status = "planned" if start > today else "in_progress"
        lead = leads[i % len(leads)]
        reported = status in ("reported", "closed")
        audits.append(
            Audit(
                title=f"Audit {i + 1}",
                programme=programme,
                kind="process",
                objectives="Check the process against ISO 9001 and its procedures.",
                owner=lead,
                target_month=start.replace(day=1),
                start_date=start,
                end_date=start + timedelta(days=1),
                due_date=None if reported else start + timedelta(days=1),
                status=status,
                conclusions="Effective, with the findings listed." if reported else "",
                fulfilment="largely" if reported else "",
                reported_on=start + timedelta(days=7) if reported else None,
                site=lead.site,
                department=lead.department,
            )
        )
    write(Audit, with_references(Audit, audits))
    _scope(org, audits, processes)
    items = []
    for n, audit in enumerate(audits):
        done = audit.status != "planned"
        for position in range(1, (BIG if n == 0 else ITEMS) + 1):
            clause_id, question = questions[(n + position) % len(questions)]
            result = rng.choice(RESULTS) if done else "not_audited"
            items.append(
                ChecklistItem(
                    title=question[:250],
                    audit=audit,
                    position=position,
                    clause_id=clause_id,
                    source="standard",
                    result=result,
                    status="open" if result == "not_audited" else "done",
                    evidence="Records sampled." if done else "",
                    site=audit.site,
                )
            )
    for start in range(0, len(items), 20000):
        write(ChecklistItem, with_references(ChecklistItem, items[start : start + 20000], width=6))
        if org.progress:
            org.progress(f"checklist items: {min(start + 20000, len(items))}")
    found = []
    for n, audit in enumerate(audits):
        if audit.status == "planned":
            continue
        process_id, owner_id = processes[n % len(processes)]
        for k in range(FINDINGS):
            clause_id, question = questions[(n * 7 + k) % len(questions)]
            answered = audit.status in ("reported", "closed")
            found.append(
                Finding(
                    title=f"Finding {k + 1} of {audit.title}",
                    audit=audit,
                    grade=rng.choice(GRADES),
                    clause_id=clause_id,
                    process_id=process_id,
                    requirement=question[:500],
                    evidence="Seen on site: records sampled did not all show it.",
                    status="acknowledged" if answered else "draft",
                    owner_id=owner_id,
                    site=audit.site,
                )
            )
    write(Finding, with_references(Finding, found))
    return {"audits": len(audits), "checklist items": len(items), "findings": len(found)}


def _scope(org, audits, processes):
    """Each audit's process, clause, team member and auditee, as link rows."""
    links = {"processes": [], "team": [], "auditees": []}
    people = org.people
    for n, audit in enumerate(audits):
        process_id, owner_id = processes[n % len(processes)]
        if process_id:
            links["processes"].append(
                Audit.processes.through(audit_id=audit.pk, process_id=process_id)
            )
        member = people[(n * 37 + 3) % len(people)]
        if member.pk != owner_id:
            links["team"].append(Audit.team.through(audit_id=audit.pk, person_id=member.pk))
        if owner_id:
            links["auditees"].append(Audit.auditees.through(audit_id=audit.pk, person_id=owner_id))
    for rows in links.values():
        if rows:
            type(rows[0]).objects.bulk_create(rows, batch_size=2000)
