"""Who may audit what (9.2.2 b, c): lead auditors are qualified, nobody audits their own
process or department, and auditors are not also auditees."""

from django.conf import settings

from norma.core.models import Person
from norma.people import auditors as register_of_auditors


def _why_not(person, process) -> str:
    if process.owner_id == person.pk:
        return "they own it"
    return "it runs in their department"


def lead_refusal(audit) -> str | None:
    """Why the audit's lead may not lead it, or None. A lead auditor leads; a qualified
    internal auditor leads only under the supervision of one."""
    if not audit.owner_id or not settings.NORMA_AUDIT_LEADS_QUALIFIED:
        return None
    people = Person.objects.filter(pk__in={audit.owner_id, audit.supervisor_id} - {None})
    levels = {q.person.pk: q for q in register_of_auditors.qualifications(people=people)}
    lead = levels.get(audit.owner_id)
    if lead and lead.level == register_of_auditors.LEAD:
        return None
    name = audit.owner.full_name
    supervisor = levels.get(audit.supervisor_id)
    if lead and lead.level == register_of_auditors.INTERNAL:
        if supervisor and supervisor.level == register_of_auditors.LEAD:
            return None
        return (
            f"{name} is a qualified internal auditor, not yet a lead auditor: name a lead "
            "auditor as supervisor, or choose a lead auditor."
        )
    missing = "; ".join(lead.missing) if lead else "a valid internal auditor course"
    return (
        f"{name} is not a qualified auditor (still needed: {missing}). Choose a lead "
        "auditor from the register of auditors."
    )


def objectivity_errors(audit) -> dict[str, list[str]]:
    """What keeps this audit team from auditing this scope, by field."""
    errors: dict[str, list[str]] = {}
    if refusal := lead_refusal(audit):
        errors["owner"] = [refusal]
    if audit.pk is None:
        return errors
    team = list(audit.team.all())
    processes = list(audit.processes.select_related("owner"))
    if settings.NORMA_SEPARATION_OF_DUTIES:
        people = [("owner", audit.owner)] if audit.owner_id else []
        people += [("team", person) for person in team if person.pk != audit.owner_id]
        for field, person in people:
            for process in processes:
                if not register_of_auditors.may_audit(person, process):
                    errors.setdefault(field, []).append(
                        f"{person.full_name} cannot audit “{process.title}”: "
                        f"{_why_not(person, process)}. An auditor does not audit their own "
                        "department or process."
                    )
        if audit.department_id:
            for field, person in people:
                if person.department_id == audit.department_id:
                    errors.setdefault(field, []).append(
                        f"{person.full_name} works in {audit.department.name}, the department "
                        "audited. An auditor does not audit their own department."
                    )
        auditors = {audit.owner_id, *(p.pk for p in team)} - {None}
        both = [p.full_name for p in audit.auditees.all() if p.pk in auditors]
        if both:
            errors["auditees"] = [f"An auditor is not also an auditee: {', '.join(both)}."]
    return errors
