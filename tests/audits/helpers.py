"""Audit records for tests, made by the real actions: qualified auditors (from courses and
counted audit experience, as the register of auditors judges them), programmes, audits at
each step, checklist answers and findings; `bulk_checklist` writes many rows at once for
query counts."""

import datetime
from datetime import timedelta

from django.utils import timezone

from norma.audits import findings, workflow
from norma.audits.models import Audit, AuditProgramme, ChecklistItem, Finding
from norma.core.actions import CreateRecord, UpdateRecord
from norma.core.context import acting_as
from norma.core.models import RoleCode
from norma.core.models.records import reserve_references
from norma.people.models import AuditExperience, Course, TrainingRecord
from norma.standards.models import Clause
from tests.factories import PASSWORD, DepartmentFactory, PersonFactory, make_process

__all__ = ["PASSWORD", "make_process"]


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.date:
    return today() + timedelta(days=n)


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def clause(ref: str) -> Clause:
    return Clause.objects.get(ref=ref, standard__slug="iso9001-2015")


def _course(actor, qualifies: str) -> Course:
    found = Course.objects.filter(qualifies=qualifies).first()
    if found:
        return found
    data = {"title": f"{qualifies} course", "delivery": "internal", "qualifies": qualifies}
    return CreateRecord(actor, Course, data=data).execute()


def qualify(actor, person, level="lead"):
    """Make `person` a qualified internal ("internal") or lead ("lead") auditor."""
    kind = "lead_auditor" if level == "lead" else "internal_auditor"
    data = {"person": person, "course": _course(actor, kind), "completed_on": days(-100)}
    CreateRecord(actor, TrainingRecord, data={**data, "result": "passed"}).execute()
    roles = ["team_member"] * (5 if level == "lead" else 2) + (["lead"] if level == "lead" else [])
    for n, role in enumerate(roles):
        CreateRecord(
            actor,
            AuditExperience,
            data={
                "title": f"Earlier audit {n}",
                "auditor": person,
                "role": role,
                "audited_on": days(-200 + n),
            },
        ).execute()
    return person


def auditor(actor, name="Lena Lead", level="lead", department=None, **fields):
    """A person with the internal auditor role, qualified at `level` (None: not qualified)."""
    person = PersonFactory(
        full_name=name,
        roles=[RoleCode.INTERNAL_AUDITOR],
        department=department or DepartmentFactory(name=f"{name} dept", site=None),
        **fields,
    )
    return qualify(actor, person, level) if level else person


def make_programme(actor, **fields) -> AuditProgramme:
    data = {
        "title": "Audit programme",
        "period_start": days(-200),
        "period_end": days(165),
        "objectives": "Audit every process within the cycle.",
        **fields,
    }
    return CreateRecord(actor, AuditProgramme, data=data).execute()


def make_audit(actor, **fields) -> Audit:
    """A process audit of a new process (unless given), led by whoever `owner` is."""
    data = {
        "title": "Audit of purchasing",
        "kind": "process",
        "objectives": "Check purchasing.",
        "start_date": days(10),
        "end_date": days(11),
        **fields,
    }
    if "processes" not in data:
        data["processes"] = [make_process(actor, title="Purchasing")]
    return CreateRecord(actor, Audit, data=data).execute()


def run(action, actor, obj, reason="", **data):
    return action(actor, obj, data=data, reason=reason).execute()


def start(audit, lead, when=None):
    """Generate the checklist (when there is a scope) and hold the opening meeting."""
    if audit.clauses.exists() or audit.processes.exists():
        run(workflow.GenerateChecklist, lead, audit)
    return run(
        workflow.HoldOpeningMeeting,
        lead,
        fresh(audit),
        opening_meeting_at=when or timezone.now() - timedelta(hours=3),
        opening_attendees=[lead.pk],
    )


def answer(actor, item, result="conforming", evidence="Records sampled.", **fields):
    data = {"result": result, "evidence": evidence, **fields}
    return UpdateRecord(actor, fresh(item), data=data).execute()


def add_question(actor, audit, title="Is the procedure followed?", **fields) -> ChecklistItem:
    data = {"audit": audit, "title": title, "position": 1, **fields}
    return findings.AddChecklistItem(actor, data=data).execute()


def make_finding(actor, audit, grade="minor", **fields) -> Finding:
    data = {
        "audit": audit,
        "grade": grade,
        "title": "Suppliers used past their re-evaluation",
        "clause": clause("8.4.1"),
        "requirement": "Providers are re-evaluated.",
        "evidence": "Two of six suppliers sampled were overdue.",
        **fields,
    }
    if "process" not in data:
        data["process"] = audit.processes.first()
    return findings.AddFinding(actor, data=data).execute()


def close_fieldwork(audit, lead):
    """Answer one question (adding one if there is none) and hold the closing meeting."""
    item = audit.checklist.first() or add_question(lead, audit)
    answer(lead, item)
    return run(
        workflow.HoldClosingMeeting,
        lead,
        fresh(audit),
        closing_meeting_at=timezone.now() - timedelta(hours=1),
        closing_attendees=[lead.pk],
    )


def sign(audit, lead, password=PASSWORD, **fields):
    data = {
        "conclusions": "The process meets the criteria sampled.",
        "fulfilment": "full",
        "password": password,
        **fields,
    }
    return workflow.SignReport(lead, fresh(audit), data=data).execute()


def reported_audit(actor, lead, **fields) -> Audit:
    """An audit carried through to its signed report, without findings."""
    audit = make_audit(actor, owner=lead, **fields)
    start(audit, lead)
    close_fieldwork(fresh(audit), lead)
    return sign(audit, lead)


def bulk_checklist(audit, count: int, **fields) -> list[ChecklistItem]:
    """Many checklist items at once (no actions: only rows)."""
    with acting_as(name="test bulk"):
        references = reserve_references("CHK", count, width=6)
        return ChecklistItem.objects.bulk_create(
            ChecklistItem(
                reference=reference,
                audit=audit,
                position=n,
                title=f"Question {n}",
                status="open",
                **fields,
            )
            for n, reference in enumerate(references, start=1)
        )
