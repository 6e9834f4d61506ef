"""The operations registers: measuring equipment and calibrations (7.1.5), suppliers with
their evaluations, certificates and corrective action requests (8.4), and customer feedback
(8.2.1, 9.1.2)."""

from norma.core.models import RoleCode
from norma.core.registers import Register, Reminder, registry
from norma.operations import equipment, feedback, suppliers
from norma.operations.models import (
    Calibration,
    Complaint,
    Compliment,
    Customer,
    Instrument,
    Scar,
    Scorecard,
    Supplier,
    SupplierCertificate,
    SupplierEvaluation,
    Survey,
)

NAV = "Operation"
QUALITY = (RoleCode.QUALITY_MANAGER,)


@registry.register
class InstrumentRegister(Register):
    """7.1.5: the equipment results rely on, and when each is next calibrated."""

    model = Instrument
    nav_group = NAV
    description = (
        "Gauges, meters and test equipment whose results are relied on: how each is "
        "calibrated or verified, how often, and to what it is traceable."
    )
    list_columns = [
        "reference",
        "asset_tag",
        "title",
        "equipment_type",
        "location",
        "owner",
        "calibration",
        "due_date",
    ]
    filter_fields = ["status", "method", "process", "owner", "site"]
    search_fields = ["reference", "asset_tag", "title", "equipment_type", "location"]
    form_fields = [
        "title",
        "asset_tag",
        "equipment_type",
        "location",
        "process",
        "measuring_range",
        "accuracy",
        "interval_months",
        "method",
        "traceability",
        "traceability_basis",
        "owner",
        "site",
        "department",
    ]
    detail_fields = [
        "asset_tag",
        "equipment_type",
        "location",
        "process",
        "measuring_range",
        "accuracy",
        "interval_months",
        "method",
        "traceability",
        "traceability_basis",
        "last_calibrated_on",
        "due_date",
        "site",
        "department",
    ]
    select_related = ["owner", "site", "department", "process"]
    clause_refs = ["7.1.5", "7.1.5.1", "7.1.5.2"]
    actions = equipment.INSTRUMENT_ACTIONS
    reminders = [
        Reminder(
            date_field="due_date",
            lead_days=(30, 7),
            label="calibration due",
            skip_statuses=(Instrument.Status.RETIRED,),
        )
    ]
    task_label = "Have an instrument calibrated"
    detail_template = "operations/instrument_detail.html"

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        from norma.operations.views import instrument_context

        return instrument_context(obj, person)


@registry.register
class CalibrationRegister(Register):
    """7.1.5.2: each calibration or verification, its result and certificate."""

    model = Calibration
    nav_group = NAV
    description = (
        "Every calibration and verification with its result and certificate; an "
        "out-of-tolerance result opens an assessment of the measurements made since."
    )
    list_columns = [
        "reference",
        "instrument",
        "performed_on",
        "performed_by",
        "result",
        "next_due",
        "status",
    ]
    filter_fields = ["status", "result", "site"]
    search_fields = ["reference", "title", "performed_by", "certificate_number"]
    form_fields = [
        "instrument",
        "title",
        "performed_on",
        "performed_by",
        "result",
        "adjusted",
        "certificate_number",
        "notes",
    ]
    detail_fields = [
        "instrument",
        "performed_on",
        "performed_by",
        "result",
        "adjusted",
        "certificate_number",
        "notes",
        "next_due",
        "suspect_since",
        "impact_assessment",
        "products_affected",
        "nonconformity",
    ]
    select_related = ["owner", "site", "department", "instrument"]
    clause_refs = ["7.1.5.2"]
    actions = equipment.CALIBRATION_ACTIONS
    create_action = equipment.RecordCalibration
    upload_fields = {
        "certificate": "Certificate file (PDF or image; required from an external laboratory)"
    }
    reminders = [
        Reminder(
            label="impact assessment due",
            skip_statuses=(Calibration.Status.RECORDED, Calibration.Status.IMPACT_ASSESSED),
        )
    ]
    task_label = "Assess the impact of an out-of-tolerance result"
    searched_everywhere_by_reference = True  # 50,000 at the large scale


@registry.register
class ScorecardRegister(Register):
    """8.4.1: how suppliers are scored, with weights that add up to 100 %."""

    model = Scorecard
    nav_group = NAV
    description = (
        "How suppliers are scored: the weights of quality, delivery and responsiveness, and "
        "the marks for approval and conditional approval."
    )
    list_columns = [
        "reference",
        "title",
        "quality_weight",
        "delivery_weight",
        "responsiveness_weight",
        "approve_at",
        "status",
    ]
    filter_fields = ["status"]
    form_fields = [
        "title",
        "quality_weight",
        "delivery_weight",
        "responsiveness_weight",
        "approve_at",
        "conditional_at",
        "criteria",
        "owner",
    ]
    clause_refs = ["8.4.1"]
    actions = [suppliers.RetireScorecard]


@registry.register
class SupplierRegister(Register):
    """8.4: the external providers, whether they may be used, and when each is re-evaluated."""

    model = Supplier
    nav_group = NAV
    description = (
        "External providers of products, services and outsourced processes: what they "
        "supply, how critical they are, whether they are approved and when they are next "
        "evaluated."
    )
    list_columns = [
        "reference",
        "title",
        "category",
        "criticality",
        "status",
        "last_score",
        "owner",
        "due_date",
    ]
    filter_fields = ["status", "category", "criticality", "owner", "site"]
    search_fields = ["reference", "title", "supplies", "contact_name"]
    form_fields = [
        "title",
        "supplies",
        "category",
        "criticality",
        "scorecard",
        "evaluation_interval_months",
        "selection_criteria",
        "contact_name",
        "contact_email",
        "requirements_communicated",
        "documents",
        "information_sent_on",
        "owner",
        "site",
        "department",
        "clauses",
    ]
    detail_fields = [
        "supplies",
        "category",
        "criticality",
        "scorecard",
        "evaluation_interval_months",
        "selection_criteria",
        "last_score",
        "last_evaluated_on",
        "due_date",
        "contact_name",
        "contact_email",
        "requirements_communicated",
        "documents",
        "information_sent_on",
        "site",
        "department",
    ]
    select_related = ["owner", "site", "department", "scorecard"]
    clause_refs = ["8.4", "8.4.1", "8.4.2", "8.4.3"]
    actions = suppliers.SUPPLIER_ACTIONS
    reminders = [
        Reminder(
            date_field="due_date",
            lead_days=(30, 7),
            to_roles=QUALITY,
            label="re-evaluation due",
            skip_statuses=(Supplier.Status.DISQUALIFIED,),
        )
    ]
    task_label = "Re-evaluate a supplier"
    detail_template = "operations/supplier_detail.html"

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        from norma.operations.views import supplier_context

        return supplier_context(obj, person)


@registry.register
class SupplierEvaluationRegister(Register):
    """8.4.1: periodic evaluations, scored on the scorecard of the day."""

    model = SupplierEvaluation
    nav_group = NAV
    description = (
        "Periodic evaluations of suppliers on their scorecards: quality, delivery and "
        "responsiveness, weighted into one score."
    )
    list_columns = [
        "reference",
        "supplier",
        "evaluated_on",
        "period",
        "quality",
        "delivery",
        "responsiveness",
        "score",
        "outcome",
    ]
    filter_fields = ["outcome", "site"]
    search_fields = ["reference", "title", "period"]
    form_fields = [
        "supplier",
        "title",
        "evaluated_on",
        "period",
        "quality",
        "delivery",
        "responsiveness",
        "remarks",
    ]
    detail_fields = [
        "supplier",
        "evaluated_on",
        "period",
        "quality",
        "delivery",
        "responsiveness",
        "weights",
        "score",
        "outcome",
        "remarks",
    ]
    select_related = ["owner", "site", "department", "supplier"]
    clause_refs = ["8.4.1"]
    create_action = suppliers.RecordEvaluation
    searched_everywhere_by_reference = True  # 20,000 at the large scale


@registry.register
class SupplierCertificateRegister(Register):
    """8.4.2: the providers' own certificates, and when they expire."""

    model = SupplierCertificate
    nav_group = NAV
    description = (
        "Suppliers' own certificates (ISO 9001, accreditations) with their expiry dates, "
        "the certificate file attached."
    )
    list_columns = [
        "reference",
        "supplier",
        "standard",
        "certificate_number",
        "issued_by",
        "expires_on",
        "status",
    ]
    filter_fields = ["status", "site"]
    search_fields = ["reference", "title", "standard", "certificate_number", "issued_by"]
    form_fields = [
        "supplier",
        "title",
        "standard",
        "certificate_number",
        "issued_by",
        "issued_on",
        "expires_on",
        "owner",
    ]
    select_related = ["owner", "site", "department", "supplier"]
    clause_refs = ["8.4.2"]
    actions = [suppliers.WithdrawCertificate]
    reminders = [
        Reminder(
            date_field="expires_on",
            lead_days=(60, 30),
            to_roles=QUALITY,
            label="certificate expires",
            skip_statuses=(SupplierCertificate.Status.WITHDRAWN,),
        )
    ]


@registry.register
class ScarRegister(Register):
    """8.4.2, 10.2: corrective action requested of a supplier, and its answer."""

    model = Scar
    nav_group = NAV
    description = (
        "Corrective action requested of suppliers: the problem sent, the supplier's cause "
        "and action, and whether the answer was accepted. Each has its nonconformity."
    )
    list_columns = [
        "reference",
        "title",
        "supplier",
        "nonconformity",
        "requested_on",
        "status",
        "due_date",
    ]
    filter_fields = ["status", "owner", "site"]
    search_fields = ["reference", "title", "problem"]
    form_fields = [
        "supplier",
        "title",
        "problem",
        "nonconformity",
        "requested_on",
        "due_date",
        "owner",
    ]
    detail_fields = [
        "supplier",
        "problem",
        "nonconformity",
        "requested_on",
        "due_date",
        "root_cause",
        "corrective_action",
        "responded_on",
        "review_notes",
    ]
    select_related = ["owner", "site", "department", "supplier", "nonconformity"]
    clause_refs = ["8.4.2", "10.2.1"]
    actions = suppliers.SCAR_ACTIONS
    create_action = suppliers.IssueScar
    reminders = [
        Reminder(
            label="supplier response due",
            skip_statuses=(Scar.Status.RESPONDED, Scar.Status.ACCEPTED, Scar.Status.CANCELLED),
        )
    ]
    task_label = "Chase a supplier's corrective action"


@registry.register
class CustomerRegister(Register):
    model = Customer
    nav_group = NAV
    description = "The customers whose feedback, complaints and satisfaction are recorded."
    list_columns = ["reference", "title", "segment", "contact_name", "owner", "status"]
    filter_fields = ["status", "owner", "site"]
    search_fields = ["reference", "title", "segment", "contact_name"]
    form_fields = ["title", "segment", "contact_name", "contact_email", "owner", "site"]
    clause_refs = ["8.2.1"]


@registry.register
class ComplaintRegister(Register):
    """8.2.1 c, 9.1.2: complaints, answered on time, justified ones as nonconformities."""

    model = Complaint
    nav_group = NAV
    description = (
        "Customer complaints: investigated, answered by their due date and, when justified, "
        "taken into the nonconformity workflow."
    )
    list_columns = [
        "reference",
        "title",
        "customer",
        "product",
        "severity",
        "received_on",
        "owner",
        "status",
        "due_date",
    ]
    filter_fields = ["status", "severity", "owner", "site"]
    search_fields = ["reference", "title", "description", "product", "order_reference"]
    form_fields = [
        "customer",
        "title",
        "description",
        "product",
        "order_reference",
        "severity",
        "received_on",
        "due_date",
        "owner",
        "site",
        "department",
    ]
    detail_fields = [
        "customer",
        "description",
        "product",
        "order_reference",
        "severity",
        "received_on",
        "due_date",
        "investigation",
        "justified",
        "response",
        "response_sent_on",
        "nonconformity",
        "site",
        "department",
    ]
    select_related = ["owner", "site", "department", "customer"]
    clause_refs = ["8.2.1", "9.1.2"]
    actions = feedback.COMPLAINT_ACTIONS
    create_action = feedback.LogComplaint
    reminders = [
        Reminder(
            lead_days=(2, 0),
            to_roles=QUALITY,
            label="response due",
            skip_statuses=(
                Complaint.Status.RESPONDED,
                Complaint.Status.CLOSED,
                Complaint.Status.WITHDRAWN,
            ),
        )
    ]
    task_label = "Answer a customer complaint"
    nav_links = [
        ("Customer feedback dashboard", "operations:feedback", "operations.view_complaint"),
    ]


@registry.register
class ComplimentRegister(Register):
    model = Compliment
    nav_group = NAV
    description = "What customers praised, shared with the people who earned it."
    list_columns = ["reference", "title", "customer", "product", "received_on", "owner"]
    filter_fields = ["owner", "site"]
    search_fields = ["reference", "title", "description", "product"]
    form_fields = [
        "customer",
        "title",
        "description",
        "product",
        "received_on",
        "owner",
        "site",
    ]
    select_related = ["owner", "site", "department", "customer"]
    clause_refs = ["9.1.2"]


@registry.register
class SurveyRegister(Register):
    """9.1.2: satisfaction surveys, their responses and the CSAT and NPS they give."""

    model = Survey
    nav_group = NAV
    description = (
        "Customer satisfaction surveys: responses entered or imported, with CSAT and NPS "
        "worked out from them."
    )
    list_columns = [
        "reference",
        "title",
        "period_start",
        "period_end",
        "response_count",
        "csat",
        "nps",
        "status",
    ]
    filter_fields = ["status", "owner", "site"]
    search_fields = ["reference", "title"]
    form_fields = ["title", "period_start", "period_end", "method", "owner", "site"]
    detail_fields = [
        "period_start",
        "period_end",
        "method",
        "response_count",
        "csat",
        "nps",
        "closed_on",
        "conclusions",
    ]
    clause_refs = ["9.1.2"]
    actions = [feedback.CloseSurvey, feedback.AddSurveyResponses]
    detail_template = "operations/survey_detail.html"

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        from norma.operations.views import survey_context

        return survey_context(obj, person)
