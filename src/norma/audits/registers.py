"""The audit registers (9.2): the programme, the audits, their checklists, interviews and
findings."""

from norma.audits import findings, programme, workflow
from norma.audits.models import Audit, AuditProgramme, ChecklistItem, Finding, Interview
from norma.core.models import RoleCode
from norma.core.registers import Register, Reminder, registry

NAV = "Performance evaluation"


@registry.register
class AuditProgrammeRegister(Register):
    """9.2.2 a: the audits planned for a period, and what the cycle has covered."""

    model = AuditProgramme
    nav_group = NAV
    description = (
        "The audits planned for a period: their objectives, the risks to the programme, and "
        "a matrix of what the cycle has audited and what it has not."
    )
    list_columns = ["reference", "title", "period_start", "period_end", "owner", "status"]
    filter_fields = ["status", "owner"]
    form_fields = [
        "title",
        "period_start",
        "period_end",
        "objectives",
        "risks_opportunities",
        "owner",
        "site",
    ]
    detail_fields = [
        "period_start",
        "period_end",
        "objectives",
        "risks_opportunities",
        "approved_on",
        "site",
    ]
    clause_refs = ["9.2.1", "9.2.2"]
    actions = programme.PROGRAMME_ACTIONS
    nav_links = [("Audit calendar", "audits:calendar", "audits.view_audit")]
    detail_template = "audits/programme_detail.html"

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        from norma.audits.views import programme_context

        return programme_context(obj, person)


@registry.register
class AuditRegister(Register):
    """9.2.2 b–f: each audit, its team and scope, its work and its signed report."""

    model = Audit
    nav_group = NAV
    description = (
        "Internal audits from plan to signed report: scope, team, checklist, interviews, "
        "findings and their follow-up."
    )
    list_columns = [
        "reference",
        "title",
        "kind",
        "owner",
        "target_month",
        "start_date",
        "status",
    ]
    filter_fields = ["status", "kind", "programme", "owner", "site"]
    search_fields = ["reference", "title", "objectives"]
    form_fields = [
        "title",
        "programme",
        "kind",
        "objectives",
        "criteria",
        "processes",
        "clauses",
        "sites",
        "supplier",
        "owner",
        "supervisor",
        "team",
        "auditees",
        "target_month",
        "start_date",
        "end_date",
        "agenda",
        "site",
        "department",
    ]
    detail_fields = [
        "programme",
        "kind",
        "objectives",
        "criteria",
        "processes",
        "sites",
        "supplier",
        "supervisor",
        "team",
        "auditees",
        "target_month",
        "start_date",
        "end_date",
        "agenda",
        "plan_sent_at",
        "follow_up_of",
        "opening_meeting_at",
        "opening_attendees",
        "closing_meeting_at",
        "closing_attendees",
        "document_review_notes",
        "conclusions",
        "fulfilment",
        "strengths",
        "weaknesses",
        "improvement_areas",
        "diverging_opinions",
        "reported_on",
    ]
    select_related = ["owner", "site", "department", "programme"]
    clause_refs = ["9.2.1", "9.2.2"]
    actions = [*workflow.AUDIT_ACTIONS, programme.CloneAudit]
    reminders = [
        Reminder(
            date_field="start_date",
            lead_days=(14, 1),
            label="audit starts",
            skip_statuses=(Audit.Status.CANCELLED, Audit.Status.REPORTED, Audit.Status.CLOSED),
        ),
        Reminder(
            label="audit report due",
            lead_days=(7,),
            to_roles=(RoleCode.QUALITY_MANAGER,),
        ),
    ]
    task_label = "Carry out and report an audit"
    detail_template = "audits/audit_detail.html"

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        from norma.audits.views import audit_context

        return audit_context(obj, person)


AUDIT_PART = ["audit"]


@registry.register
class ChecklistItemRegister(Register):
    """9.2.2 d: each question asked, the evidence sampled and the result."""

    model = ChecklistItem
    nav_group = NAV
    description = "Every question of every audit's checklist, with its evidence and result."
    list_columns = ["reference", "audit", "clause", "title", "result"]
    filter_fields = ["result", "source"]
    # An audit's items are found by its reference: 5,000 audits are too many to choose from.
    search_fields = ["reference", "title", "notes", "evidence", "audit__reference"]
    form_fields = [
        "audit",
        "position",
        "clause",
        "title",
        "result",
        "notes",
        "evidence",
        "evidence_references",
    ]
    detail_fields = [
        "audit",
        "position",
        "clause",
        "source",
        "result",
        "notes",
        "evidence",
        "evidence_references",
    ]
    select_related = ["owner", "site", "department", "audit", "clause"]
    clause_refs = ["9.2.2"]
    create_action = findings.AddChecklistItem
    searched_everywhere_by_reference = True  # 100,000 at the large scale
    detail_template = "audits/checklist_item_detail.html"

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        from norma.audits.views import checklist_item_context

        return checklist_item_context(obj, person)


@registry.register
class InterviewRegister(Register):
    """9.2.2 d: who was interviewed, when, and what they said."""

    model = Interview
    nav_group = NAV
    description = "Interviews held during audits: who, in which role, when, and the notes."
    list_columns = ["reference", "audit", "interviewee", "interviewee_role", "held_at"]
    filter_fields = ["interviewee"]
    search_fields = ["reference", "title", "notes", "interviewee_role", "audit__reference"]
    form_fields = [
        "audit",
        "interviewee",
        "interviewee_role",
        "held_at",
        "notes",
        "checklist_items",
        "title",
    ]
    select_related = ["owner", "site", "department", "audit", "interviewee"]
    clause_refs = ["9.2.2"]
    create_action = findings.AddInterview


@registry.register
class FindingRegister(Register):
    """9.2.2 e, f: what audits found, graded, and whether it has been followed up."""

    model = Finding
    nav_group = NAV
    description = (
        "Audit findings graded major, minor, opportunity, observation or strength, with "
        "their evidence, the auditee's answer and the nonconformity they opened."
    )
    list_columns = ["reference", "audit", "grade", "clause", "title", "owner", "status"]
    filter_fields = ["status", "grade", "process", "owner"]
    search_fields = ["reference", "title", "requirement", "evidence", "audit__reference"]
    form_fields = [
        "audit",
        "grade",
        "title",
        "clause",
        "process",
        "requirement",
        "evidence",
        "checklist_item",
        "owner",
    ]
    detail_fields = [
        "audit",
        "grade",
        "clause",
        "process",
        "requirement",
        "evidence",
        "checklist_item",
        "nonconformity",
        "improvement",
        "auditee_response",
        "acknowledged_by",
        "acknowledged_at",
    ]
    select_related = ["owner", "site", "department", "audit", "clause", "process"]
    clause_refs = ["9.2.2"]
    actions = findings.FINDING_ACTIONS
    create_action = findings.AddFinding
    reminders = [
        Reminder(
            label="acknowledgement due",
            lead_days=(2,),
            skip_statuses=(
                Finding.Status.ACKNOWLEDGED,
                Finding.Status.DISPUTED,
                Finding.Status.WITHDRAWN,
            ),
        )
    ]
    task_label = "Acknowledge an audit finding"
