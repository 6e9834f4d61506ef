"""The next cycle from this one: a programme or an audit copied with its scope and team,
statuses reset; and the follow-up audit of findings still open."""

from datetime import timedelta

from norma.audits.models import Audit, AuditProgramme, ChecklistItem
from norma.core.actions import CreateRecord
from norma.documents.models import add_months

SCOPE = ("processes", "sites", "clauses", "team", "auditees")
PLAN = ("kind", "objectives", "criteria", "supplier", "supervisor", "owner", "site", "department")


def a_year_later(day):
    return add_months(day, 12)


def audit_data(audit, shift=a_year_later, **changes) -> dict:
    """The audit's plan and scope, its dates moved by `shift`."""
    data = {name: getattr(audit, name) for name in PLAN}
    data.update({name: list(getattr(audit, name).all()) for name in SCOPE})
    data.update(
        title=audit.title,
        agenda=audit.agenda,
        **{
            name: shift(getattr(audit, name)) if getattr(audit, name) else None
            for name in ("target_month", "start_date", "end_date")
        },
    )
    data.update(changes)
    return data


def clone_audit(action, audit, shift=a_year_later, **changes) -> Audit:
    """The audit planned again, its dates moved by `shift` (a year, unless told)."""
    return CreateRecord(action.actor, Audit, data=audit_data(audit, shift, **changes)).execute()


def clone_programme(action, programme) -> AuditProgramme:
    """The programme for the period that follows, as long as this one, with each of its
    audits planned again at the same point of the new period."""
    start, after = programme.period_start, programme.period_end + timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    if add_months(start, months) == after:  # whole months (a year): the same dates, later

        def shift(day):
            return add_months(day, months)

    else:
        length = after - start

        def shift(day):
            return day + length

    new = CreateRecord(
        action.actor,
        AuditProgramme,
        data={
            "title": f"{programme.title} (next cycle)"[:250],
            "period_start": shift(programme.period_start),
            "period_end": shift(programme.period_end),
            "objectives": programme.objectives,
            "risks_opportunities": programme.risks_opportunities,
            "owner": programme.owner,
            "site": programme.site,
            "department": programme.department,
        },
    ).execute()
    audits = programme.audits.live().exclude(status=Audit.Status.CANCELLED).order_by("pk")
    for audit in audits.prefetch_related(*SCOPE):
        clone_audit(action, audit, shift, programme=new)
    return new


def follow_up_audit(action, audit, findings) -> Audit:
    """A follow-up audit: the open findings' processes and clauses, one question each."""
    processes = {f.process for f in findings if f.process_id}
    clauses = {f.clause for f in findings}
    data = audit_data(
        audit,
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
