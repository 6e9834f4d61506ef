"""The certification registers: the registrars, the certificate cycles and the registrar's
audits."""

from django.conf import settings

from norma.certification import access, findings, gaps, packs, workflow
from norma.certification.models import (
    CertificationBody,
    CertificationCycle,
    EvidencePack,
    EvidenceSample,
    ExternalAudit,
    ExternalFinding,
    GapAction,
    GapAnswer,
    GapAssessment,
    RegistrarAccess,
)
from norma.core.models import RoleCode
from norma.core.registers import Register, Reminder, registry

NAV = "Certification"


@registry.register
class CertificationBodyRegister(Register):
    """The registrars the organisation works with, and who accredits them."""

    model = CertificationBody
    nav_group = NAV
    description = (
        "Certification bodies: their accreditation (checked against the accreditation bodies "
        "that sign the IAF MLA), contacts and the days they give to answer a nonconformity."
    )
    list_columns = [
        "reference",
        "title",
        "accreditation_body",
        "accreditation_number",
        "accreditation_expiry",
        "status",
    ]
    filter_fields = ["status"]
    search_fields = ["reference", "title", "accreditation_body", "accreditation_number"]
    form_fields = [
        "title",
        "accreditation_body",
        "accreditation_number",
        "accreditation_scope",
        "accreditation_expiry",
        "contacts",
        "major_response_days",
        "minor_response_days",
        "owner",
    ]
    detail_fields = [
        "accreditation_body",
        "accreditation_number",
        "accreditation_scope",
        "accreditation_expiry",
        "contacts",
        "major_response_days",
        "minor_response_days",
    ]
    clause_refs = ["8.4"]
    actions = workflow.BODY_ACTIONS
    detail_template = "certification/body_detail.html"

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        return {"accreditation_warnings": obj.accreditation_warnings()}


@registry.register
class CertificationCycleRegister(Register):
    """The certificate's three-year cycle, its computed schedule and where it stands."""

    model = CertificationCycle
    nav_group = NAV
    description = (
        "Certification cycles: the certificate, its dates and the audits the registrar must "
        "hold before expiry, with the audit time and cost the cycle needs."
    )
    list_columns = [
        "reference",
        "title",
        "certification_body",
        "decision_date",
        "expiry_date",
        "due_date",
        "standing",
    ]
    filter_fields = ["status", "certification_body"]
    search_fields = ["reference", "title", "certificate_number", "scope"]
    form_fields = [
        "title",
        "certification_body",
        "previous_cycle",
        "standard",
        "scope",
        "sites",
        "central_site",
        "personnel",
        "reduction_pct",
        "increase_pct",
        "day_rate",
        "stage_1_date",
        "stage_2_date",
        "owner",
    ]
    detail_fields = [
        "certification_body",
        "standard",
        "scope",
        "sites",
        "central_site",
        "personnel",
        "stage_1_date",
        "stage_2_date",
        "decision_date",
        "certificate_number",
        "issue_date",
        "expiry_date",
        "previous_cycle",
    ]
    select_related = ["owner", "site", "department", "certification_body"]
    clause_refs = ["4.3"]
    actions = workflow.CYCLE_ACTIONS
    detail_template = "certification/cycle_detail.html"
    nav_links = [
        ("Certification cockpit", "certification:cockpit", "certification.view_certificationcycle")
    ]
    task_label = "Have the registrar's next audit held"
    reminders = [
        Reminder(
            date_field="due_date",
            lead_days=settings.NORMA_CERTIFICATION_LEAD_DAYS,
            to_roles=(RoleCode.QUALITY_MANAGER,),
            label="registrar's audit due",
            skip_statuses=(CertificationCycle.Status.CLOSED,),
        ),
        Reminder(
            date_field="expiry_date",
            lead_days=settings.NORMA_CERTIFICATION_LEAD_DAYS,
            to_roles=(RoleCode.QUALITY_MANAGER, RoleCode.TOP_MANAGEMENT),
            label="certificate expires",
            skip_statuses=(CertificationCycle.Status.CLOSED,),
        ),
    ]

    @classmethod
    def queryset_for(cls, person):
        # The standing column reads the surveillance audits held: one query for the page.
        return super().queryset_for(person).prefetch_related("external_audits")

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        from norma.certification.views import cycle_context

        return cycle_context(obj, person)


@registry.register
class ExternalAuditRegister(Register):
    """The registrar's audits: stage 1 and 2, surveillance, recertification and special."""

    model = ExternalAudit
    nav_group = NAV
    description = (
        "Audits by the registrar in each certification cycle, with the audit team, the days "
        "and the report (attach the file)."
    )
    list_columns = ["reference", "title", "cycle", "kind", "start_date", "end_date", "status"]
    filter_fields = ["status", "kind", "cycle"]
    search_fields = ["reference", "title", "auditors", "summary", "cycle__reference"]
    form_fields = [
        "title",
        "cycle",
        "kind",
        "start_date",
        "end_date",
        "auditors",
        "audit_days",
        "sites",
        "summary",
        "owner",
        "site",
    ]
    detail_fields = [
        "cycle",
        "kind",
        "start_date",
        "end_date",
        "auditors",
        "audit_days",
        "sites",
        "summary",
    ]
    select_related = ["owner", "site", "department", "cycle"]
    clause_refs = ["9.2"]
    actions = workflow.AUDIT_ACTIONS
    reminders = [
        Reminder(
            date_field="start_date",
            lead_days=(30, 7),
            to_roles=(RoleCode.QUALITY_MANAGER,),
            label="registrar's audit",
            skip_statuses=(ExternalAudit.Status.HELD, ExternalAudit.Status.CANCELLED),
        )
    ]


@registry.register
class ExternalFindingRegister(Register):
    """What the registrar found; nonconformities are answered by the registrar's date."""

    model = ExternalFinding
    nav_group = NAV
    description = (
        "Findings of the registrar's audits, entered from the report or imported from CSV: "
        "each major or minor nonconformity opens a nonconformity due by the registrar's date."
    )
    list_columns = [
        "reference",
        "title",
        "external_audit",
        "grade",
        "clause_ref",
        "response_due",
        "nonconformity",
        "status",
    ]
    filter_fields = ["status", "grade", "external_audit"]
    search_fields = ["reference", "title", "statement", "clause_ref", "external_audit__reference"]
    form_fields = [
        "title",
        "external_audit",
        "grade",
        "clause_ref",
        "statement",
        "response_due",
        "owner",
        "site",
    ]
    detail_fields = [
        "external_audit",
        "grade",
        "clause_ref",
        "statement",
        "response_due",
        "nonconformity",
        "verified_on",
    ]
    select_related = ["owner", "site", "department", "external_audit", "nonconformity"]
    clause_refs = ["10.2"]
    actions = findings.FINDING_ACTIONS
    create_action = findings.RecordFinding
    task_label = "Answer the registrar's finding"
    reminders = [
        Reminder(
            date_field="due_date",
            lead_days=(14, 3),
            to_roles=(RoleCode.QUALITY_MANAGER,),
            label="answer to the registrar due",
            skip_statuses=(ExternalFinding.Status.VERIFIED, ExternalFinding.Status.NOTED),
        )
    ]


GAPS = "Certification"


@registry.register
class GapAssessmentRegister(Register):
    """The gap analysis: each run answers every clause; the runs show the progress made."""

    model = GapAssessment
    nav_group = GAPS
    description = (
        "Gap analyses: a self-assessment of every clause against the QMS as it is, with an "
        "action for each gap. Run one again to see how far the gaps have closed."
    )
    list_columns = ["reference", "title", "started_on", "completed_on", "owner", "status"]
    filter_fields = ["status", "owner"]
    search_fields = ["reference", "title", "summary"]
    form_fields = ["title", "summary", "owner"]
    detail_fields = ["standard", "started_on", "completed_on", "summary"]
    select_related = ["owner", "site", "department", "standard"]
    clause_refs = ["4.4", "6.1", "9.1.3"]
    actions = gaps.ASSESSMENT_ACTIONS
    create_action = gaps.StartAssessment
    detail_template = "certification/assessment_detail.html"

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        from norma.certification.gap_views import assessment_context

        return assessment_context(obj, person)


@registry.register
class GapAnswerRegister(Register):
    """Every clause's answer in every gap assessment."""

    model = GapAnswer
    nav_group = GAPS
    description = "The answer given for each clause in each gap assessment, with the evidence."
    list_columns = ["reference", "assessment", "title", "answer"]
    filter_fields = ["answer", "assessment"]
    search_fields = ["reference", "title", "notes", "evidence", "assessment__reference"]
    form_fields = ["answer", "notes", "evidence"]
    detail_fields = ["assessment", "clause", "notes", "evidence"]
    select_related = ["owner", "site", "department", "assessment", "clause"]
    clause_refs = ["9.1.3"]


@registry.register
class GapActionRegister(Register):
    """What will be done about each gap, followed to done."""

    model = GapAction
    nav_group = GAPS
    description = "Actions that close the gaps the gap analysis found, each with owner and date."
    list_columns = ["reference", "title", "answer", "owner", "due_date", "status"]
    filter_fields = ["status", "owner"]
    search_fields = ["reference", "title", "description", "answer__title"]
    form_fields = ["answer", "title", "description", "owner", "due_date"]
    detail_fields = ["answer", "description", "due_date", "outcome", "completed_on"]
    select_related = ["owner", "site", "department", "answer"]
    clause_refs = ["6.1.2", "10.1"]
    actions = gaps.GAP_ACTION_ACTIONS
    create_action = gaps.AddGapAction
    task_label = "Close a gap found by the gap analysis"

    @classmethod
    def queryset_for(cls, person):
        # Who may not read the gap analysis sees only the actions given to them.
        rows = super().queryset_for(person)
        if person.has_perm("certification.view_gapassessment"):
            return rows
        return rows.filter(owner=person)

    reminders = [
        Reminder(
            label="gap action due",
            skip_statuses=(GapAction.Status.DONE, GapAction.Status.CANCELLED),
        )
    ]


@registry.register
class EvidencePackRegister(Register):
    """What the registrar is given: the evidence of a period and a set of clauses, as a ZIP
    whose manifest holds the SHA-256 of every file."""

    model = EvidencePack
    nav_group = NAV
    description = (
        "Evidence packs for the registrar: choose a period and clauses (none means all), add "
        "the samples the auditor asks for, and build a ZIP with an index per clause, the "
        "registers' data, the documents, the change log and a manifest of checksums."
    )
    list_columns = ["reference", "title", "period_start", "period_end", "built_at", "status"]
    filter_fields = ["status", "external_audit"]
    search_fields = ["reference", "title"]
    form_fields = ["title", "period_start", "period_end", "clauses", "external_audit", "owner"]
    detail_fields = [
        "period_start",
        "period_end",
        "external_audit",
        "built_at",
        "file_size",
        "file_sha256",
        "build_error",
    ]
    select_related = ["owner", "site", "department", "external_audit"]
    clause_refs = ["7.5.3"]
    actions = packs.PACK_ACTIONS
    detail_template = "certification/pack_detail.html"

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        job = packs.build_job(obj)
        return {
            "build_job": job,
            "pack_running": packs.building(obj),
            "build_failed": job.summary.get("error") if job and job.state == "failed" else "",
            "samples": list(EvidenceSampleRegister.queryset_for(person).filter(pack=obj).live()),
        }


@registry.register
class EvidenceSampleRegister(Register):
    """Sampling requests of the registrar's auditors, answered in an evidence pack."""

    model = EvidenceSample
    nav_group = NAV
    description = (
        "Samples for evidence packs, as an auditor asks for them: a register, its filters, a "
        "date range and how many records, drawn at random."
    )
    list_columns = ["reference", "title", "pack", "register_label", "size", "date_from", "date_to"]
    filter_fields = ["pack"]
    search_fields = ["reference", "title", "register_label", "pack__reference"]
    form_fields = [
        "pack",
        "title",
        "register_label",
        "filters",
        "date_field",
        "date_from",
        "date_to",
        "size",
    ]
    select_related = ["owner", "site", "department", "pack"]
    clause_refs = ["7.5.3"]


@registry.register
class RegistrarAccessRegister(Register):
    """Guest accounts of the registrar's auditors, time-boxed and read-only."""

    model = RegistrarAccess
    nav_group = NAV
    description = (
        "Read-only guest access for the registrar's auditors, to one evidence pack or one "
        "external audit, ending by itself on its expiry date; every page a guest opens is "
        "kept in the record's history."
    )
    list_columns = [
        "reference",
        "guest_name",
        "guest_email",
        "evidence_pack",
        "external_audit",
        "expires_on",
        "status",
    ]
    filter_fields = ["status"]
    search_fields = ["reference", "title", "guest_name", "guest_email"]
    form_fields = [
        "title",
        "guest_name",
        "guest_email",
        "evidence_pack",
        "external_audit",
        "expires_on",
    ]
    detail_fields = ["guest_name", "guest_email", "evidence_pack", "external_audit", "expires_on"]
    select_related = ["owner", "site", "department", "evidence_pack", "external_audit"]
    clause_refs = ["7.5.3"]
    actions = access.ACCESS_ACTIONS
    create_action = access.GrantRegistrarAccess
