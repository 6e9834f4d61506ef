"""The next cycle from this one: a programme or an audit copied with its scope and team,
statuses reset; and the follow-up audit of findings still open."""

from norma.audits.models import Audit, AuditProgramme, ChecklistItem
from norma.core.actions import CreateRecord
from norma.documents.models import add_months

SCOPE = ("processes", "sites", "clauses", "team", "auditees")
PLAN = ("kind", "objectives", "criteria", "supplier", "supervisor", "owner", "site", "department")


def _shifted(day, months):
    return add_months(day, months) if day else None


def audit_data(audit, months: int, **changes) -> dict:
    data = {name: getattr(audit, name) for name in PLAN}
    data.update({name: list(getattr(audit, name).all()) for name in SCOPE})
    data.update(
        title=audit.title,
        agenda=audit.agenda,
        target_month=_shifted(audit.target_month, months),
        start_date=_shifted(audit.start_date, months),
        end_date=_shifted(audit.end_date, months),
    )
    data.update(changes)
    return data


def clone_audit(action, audit, months: int = 12, **changes) -> Audit:
    """The audit again, planned `months` later."""
    return CreateRecord(action.actor, Audit, data=audit_data(audit, months, **changes)).execute()


def clone_programme(action, programme, months: int) -> AuditProgramme:
    """The programme for the next period, each of its audits planned again in it."""
    new = CreateRecord(
        action.actor,
        AuditProgramme,
        data={
            "title": f"{programme.title} (next cycle)"[:250],
            "period_start": add_months(programme.period_start, months),
            "period_end": add_months(programme.period_end, months),
            "objectives": programme.objectives,
            "risks_opportunities": programme.risks_opportunities,
            "owner": programme.owner,
            "site": programme.site,
            "department": programme.department,
        },
    ).execute()
    audits = programme.audits.live().exclude(status=Audit.Status.CANCELLED).order_by("pk")
    for audit in audits.prefetch_related(*SCOPE):
        clone_audit(action, audit, months, programme=new)
    return new


def follow_up_audit(action, audit, findings) -> Audit:
    """A follow-up audit: the open findings' processes and clauses, one question each."""
    processes = {f.process for f in findings if f.process_id}
    clauses = {f.clause for f in findings}
    data = audit_data(
        audit,
        0,
        title=f"Follow-up of {audit.reference} {audit.title}"[:250],
        objectives="Verify that the corrections and corrective actions taken on the "
        f"findings of {audit.reference} have worked.",
        programme=audit.programme,
        follow_up_of=audit,
        processes=list(processes),
        clauses=list(clauses),
        target_month=None,
        start_date=None,
        end_date=None,
        agenda="",
    )
    follow_up = CreateRecord(action.actor, Audit, data=data).execute()
    for position, finding in enumerate(findings, start=1):
        CreateRecord(
            action.actor,
            ChecklistItem,
            data={
                "audit": follow_up,
                "position": position,
                "clause": finding.clause,
                "source": ChecklistItem.Source.AUDITOR,
                "title": f"Is {finding.reference} “{finding.title}” resolved, and does the "
                "evidence show the fix has worked?"[:250],
                "site": follow_up.site,
            },
        ).execute()
    return follow_up
