"""The planning registers: processes, context, interested parties, risks and their actions."""

from norma.core.models import RoleCode
from norma.core.registers import Register, Reminder, registry
from norma.planning import actions
from norma.planning.measuring import RecordMeasurement, latest_value
from norma.planning.models import (
    ClimateDecision,
    ContextIssue,
    InterestedParty,
    Kpi,
    NonApplicableRequirement,
    Objective,
    PartyRequirement,
    PlannedChange,
    Process,
    QmsRole,
    QmsScope,
    Risk,
    RiskAction,
)
from norma.planning.scoring import band_expression


def review_due(*finished) -> Reminder:
    """The next review, reminded to the owner until the record is finished with."""
    return Reminder(
        date_field="due_date",
        lead_days=(14, 1),
        to_owner=True,
        label="review due",
        skip_statuses=tuple(finished),
    )


@registry.register
class ProcessRegister(Register):
    """4.4: the process map, one row per process."""

    model = Process
    nav_group = "Context and leadership"
    description = "The processes of the QMS, with their owners, inputs, outputs and criteria."
    list_columns = ["reference", "title", "process_type", "owner", "status", "site", "due_date"]
    filter_fields = ["status", "process_type", "owner", "site", "department"]
    search_fields = ["reference", "title", "purpose"]
    form_fields = [
        "title",
        "process_type",
        "owner",
        "site",
        "department",
        "purpose",
        "suppliers",
        "inputs",
        "outputs",
        "customers",
        "hands_over_to",
        "criteria",
        "resources",
        "due_date",
        "clauses",
    ]
    detail_fields = ["process_type", "site", "department", "purpose", "criteria", "resources"]
    clause_refs = ["4.4", "4.4.1", "4.4.2"]
    detail_template = "planning/process_detail.html"
    nav_links = [("Process map", "planning:process_map", None)]
    list_links = [("Process map", "planning:process_map")]

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        from norma.planning.process_views import process_context

        return process_context(obj, person)

    actions = [actions.ApproveProcess, actions.ReviseProcess]
    reminders = [
        Reminder(
            date_field="due_date",
            lead_days=(14, 1),
            to_owner=True,
            to_roles=(RoleCode.QUALITY_MANAGER,),
            label="review due",
        )
    ]


@registry.register
class ContextIssueRegister(Register):
    """4.1: internal and external issues, by SWOT and PESTLE."""

    model = ContextIssue
    nav_group = "Context and leadership"
    description = (
        "Internal and external issues that bear on what the QMS can achieve: strengths, "
        "weaknesses, opportunities and threats, and the forces behind them."
    )
    list_columns = ["reference", "title", "origin", "swot", "pestle", "owner", "status", "due_date"]
    filter_fields = ["status", "origin", "swot", "pestle", "owner", "site", "department"]
    search_fields = ["reference", "title", "description", "effect"]
    form_fields = [
        "title",
        "origin",
        "swot",
        "pestle",
        "description",
        "effect",
        "owner",
        "site",
        "department",
        "due_date",
        "clauses",
    ]
    clause_refs = ["4.1"]
    reminders = [review_due(ContextIssue.Status.PAST)]
    task_label = "Review a context issue"


@registry.register
class ClimateDecisionRegister(Register):
    """4.1 (Amendment 1:2024): whether climate change is a relevant issue, and why."""

    model = ClimateDecision
    nav_group = "Context and leadership"
    description = (
        "Whether climate change is a relevant issue for the organisation, with the reasoning. "
        "The latest decision is the one in force; earlier ones stay as history."
    )
    list_columns = ["reference", "title", "relevant", "owner", "created_at", "due_date"]
    filter_fields = ["relevant", "owner"]
    search_fields = ["reference", "title", "reasoning"]
    form_fields = ["title", "relevant", "reasoning", "owner", "due_date", "clauses"]
    clause_refs = ["4.1"]
    reminders = [review_due()]
    task_label = "Review the climate decision"


@registry.register
class InterestedPartyRegister(Register):
    """4.2: interested parties; their requirements are a register of their own."""

    model = InterestedParty
    nav_group = "Context and leadership"
    description = (
        "Customers, suppliers, employees, owners, regulators and others, and why they matter."
    )
    list_columns = ["reference", "title", "kind", "origin", "owner", "status", "due_date"]
    filter_fields = ["status", "kind", "origin", "owner"]
    search_fields = ["reference", "title", "description"]
    form_fields = ["title", "kind", "origin", "description", "owner", "due_date", "clauses"]
    clause_refs = ["4.2"]
    detail_template = "planning/party_detail.html"
    reminders = [review_due(InterestedParty.Status.PAST)]
    task_label = "Review an interested party"

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        requirements = PartyRequirementRegister.queryset_for(person).filter(party=obj)
        return {"requirements": requirements.select_related("owner").order_by("reference")}


@registry.register
class PartyRequirementRegister(Register):
    """4.2 b: each requirement of an interested party, and whether the QMS addresses it."""

    model = PartyRequirement
    nav_group = "Context and leadership"
    description = "What interested parties require, whether the QMS addresses it, and how."
    list_columns = ["reference", "title", "party", "addressed", "climate_related", "owner"]
    filter_fields = ["addressed", "party", "climate_related", "status", "owner"]
    search_fields = ["reference", "title", "how_addressed", "monitoring"]
    form_fields = [
        "title",
        "party",
        "addressed",
        "how_addressed",
        "monitoring",
        "climate_related",
        "owner",
        "clauses",
    ]
    select_related = ["owner", "site", "department", "party"]
    clause_refs = ["4.2"]


@registry.register
class RiskRegister(Register):
    """6.1: risks and opportunities, scored on the 5×5 matrix before and after treatment."""

    model = Risk
    nav_group = "Planning"
    description = (
        "Risks and opportunities, where they come from, likelihood × consequence (or benefit) "
        "before and after treatment, and the actions that treat them."
    )
    list_columns = [
        "reference",
        "title",
        "kind",
        "process",
        "score",
        "band",
        "residual_score",
        "owner",
        "status",
        "due_date",
    ]
    export_columns = [
        *list_columns,
        "likelihood",
        "consequence",
        "residual_likelihood",
        "residual_consequence",
        "context_issue",
        "interested_party",
    ]
    filter_fields = [
        "status",
        "kind",
        "process",
        "owner",
        "likelihood",
        "consequence",
        "residual_likelihood",
        "residual_consequence",
        "site",
    ]
    search_fields = ["reference", "title", "description"]
    form_fields = [
        "title",
        "kind",
        "description",
        "process",
        "context_issue",
        "interested_party",
        "owner",
        "site",
        "department",
        "likelihood",
        "consequence",
        "treatment",
        "residual_likelihood",
        "residual_consequence",
        "due_date",
        "clauses",
    ]
    select_related = ["owner", "site", "department", "process"]
    clause_refs = ["6.1", "6.1.1", "6.1.2"]
    detail_template = "planning/risk_detail.html"
    nav_links = [("Risk heat map", "planning:risk_heat_map", None)]
    list_links = [("Heat map", "planning:risk_heat_map")]
    reminders = [review_due(Risk.Status.CLOSED)]
    task_label = "Review a risk"

    @classmethod
    def queryset_for(cls, person):
        return super().queryset_for(person).annotate(band=band_expression("score"))

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        from norma.planning.scoring import band_of, needs_action

        treated = RiskActionRegister.queryset_for(person).filter(risk=obj)
        return {
            "risk_actions": treated.select_related("owner").order_by("reference"),
            "needs_action": needs_action(obj.score),
            "inherent_band": band_of(obj.score),
            "residual_band": band_of(obj.residual_score),
        }


@registry.register
class RiskActionRegister(Register):
    """6.1.2: actions that treat risks and take up opportunities, and whether they worked."""

    model = RiskAction
    nav_group = "Planning"
    description = "Actions on risks and opportunities: who, by when, done, and did it work."
    list_columns = ["reference", "title", "risk", "owner", "status", "effectiveness", "due_date"]
    filter_fields = ["status", "effectiveness", "owner"]
    search_fields = ["reference", "title", "description"]
    form_fields = ["title", "risk", "description", "owner", "due_date", "clauses"]
    detail_fields = [
        "risk",
        "description",
        "due_date",
        "completed_on",
        "effectiveness",
        "evaluation",
    ]
    select_related = ["owner", "site", "department", "risk"]
    clause_refs = ["6.1.2"]
    actions = [actions.CompleteRiskAction, actions.JudgeEffective, actions.JudgeNotEffective]
    reminders = [
        Reminder(
            date_field="due_date",
            lead_days=(7, 1),
            to_owner=True,
            label="action due",
            skip_statuses=(RiskAction.Status.DONE,),
        )
    ]
    task_label = "Risk action"


@registry.register
class KpiRegister(Register):
    """9.1.1: what is measured, how often, against which target; the results come in by
    hand, from a file or through the API."""

    model = Kpi
    nav_group = "Performance evaluation"
    description = (
        "Key performance indicators of the processes: their targets, how often they are "
        "measured, and where they stand now."
    )
    list_columns = [
        "reference",
        "title",
        "process",
        "latest_value",
        "unit",
        "target",
        "performance",
        "owner",
        "due_date",
    ]
    export_columns = [*list_columns, "frequency", "direction", "threshold", "definition"]
    filter_fields = ["status", "process", "frequency", "owner", "site"]
    search_fields = ["reference", "title", "definition"]
    form_fields = [
        "title",
        "process",
        "definition",
        "unit",
        "frequency",
        "direction",
        "target",
        "threshold",
        "owner",
        "site",
        "department",
        "due_date",
        "clauses",
    ]
    select_related = ["owner", "site", "department", "process"]
    clause_refs = ["9.1.1", "9.1.3"]
    detail_template = "planning/kpi_detail.html"
    actions = [RecordMeasurement]  # its own form on the page (offered = False)
    reminders = [
        Reminder(
            date_field="due_date",
            lead_days=(3,),
            to_owner=True,
            label="measurement due",
            skip_statuses=(Kpi.Status.RETIRED,),
        )
    ]
    task_label = "Measure"

    @classmethod
    def slug(cls) -> str:
        return "kpis"

    @classmethod
    def queryset_for(cls, person):
        return super().queryset_for(person).annotate(latest_value=latest_value())

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        from norma.planning.views import kpi_context

        return kpi_context(obj, person)


@registry.register
class ObjectiveRegister(Register):
    """6.2: quality objectives, measurable and planned, and how each stands today."""

    model = Objective
    nav_group = "Planning"
    description = (
        "Quality objectives: a measurable target, the plan to reach it, who and by when, and "
        "where each stands from its KPI's latest measurement."
    )
    list_columns = [
        "reference",
        "title",
        "target",
        "unit",
        "latest_value",
        "performance",
        "owner",
        "status",
        "due_date",
    ]
    export_columns = [*list_columns, "baseline", "direction", "kpi", "plan", "evaluation"]
    filter_fields = ["status", "owner", "kpi", "site"]
    search_fields = ["reference", "title", "plan"]
    form_fields = [
        "title",
        "kpi",
        "unit",
        "baseline",
        "target",
        "direction",
        "plan",
        "resources",
        "evaluation",
        "owner",
        "site",
        "department",
        "due_date",
        "clauses",
    ]
    select_related = ["owner", "site", "department", "kpi"]
    clause_refs = ["6.2", "6.2.1", "6.2.2"]
    detail_template = "planning/objective_detail.html"
    reminders = [
        Reminder(
            date_field="due_date",
            lead_days=(30, 7),
            to_owner=True,
            label="deadline",
            skip_statuses=(Objective.Status.ACHIEVED, Objective.Status.ABANDONED),
        )
    ]
    task_label = "Objective deadline"

    @classmethod
    def queryset_for(cls, person):
        return super().queryset_for(person).annotate(latest_value=latest_value("kpi"))

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        from norma.planning.views import objective_context

        return objective_context(obj, person)


@registry.register
class QmsScopeRegister(Register):
    """4.3: what the QMS covers; the statement itself is a controlled document."""

    model = QmsScope
    nav_group = "Context and leadership"
    description = (
        "Products and services, sites and boundaries of the QMS, with its controlled scope "
        "statement. Requirements judged not applicable are listed beside it."
    )
    list_columns = ["reference", "title", "statement", "status", "owner", "updated_at"]
    filter_fields = ["status", "owner"]
    search_fields = ["reference", "title", "products_services", "boundaries"]
    form_fields = [
        "title",
        "products_services",
        "covered_sites",
        "boundaries",
        "statement",
        "owner",
        "clauses",
    ]
    select_related = ["owner", "site", "department", "statement"]
    clause_refs = ["4.3"]


@registry.register
class NonApplicableRequirementRegister(Register):
    """4.3: each requirement judged not applicable, with its justification."""

    model = NonApplicableRequirement
    nav_group = "Context and leadership"
    description = (
        "Requirements of clauses 7 and 8 that cannot apply to the scope, each with why. They "
        "read “not applicable” on the readiness page."
    )
    list_columns = ["reference", "clause", "title", "owner", "created_at"]
    filter_fields = ["owner"]
    search_fields = ["reference", "title", "justification"]
    form_fields = ["title", "clause", "justification", "owner"]
    select_related = ["owner", "site", "department", "clause"]
    clause_refs = ["4.3"]


@registry.register
class PlannedChangeRegister(Register):
    """6.3: changes to the QMS, planned, approved, done."""

    model = PlannedChange
    nav_group = "Planning"
    description = (
        "Changes to the QMS planned before they are made: what for, what they may affect, "
        "how the QMS stays whole, with which resources and who is responsible."
    )
    list_columns = ["reference", "title", "owner", "status", "due_date"]
    filter_fields = ["status", "owner"]
    search_fields = ["reference", "title", "purpose"]
    form_fields = [
        "title",
        "purpose",
        "consequences",
        "integrity",
        "resources",
        "responsibilities",
        "owner",
        "due_date",
        "clauses",
    ]
    detail_fields = [*form_fields[1:-1], "outcome"]
    clause_refs = ["6.3"]
    actions = [actions.ApproveChange, actions.CompleteChange, actions.CancelChange]
    reminders = [
        Reminder(
            date_field="due_date",
            lead_days=(14, 1),
            to_owner=True,
            label="change planned",
            skip_statuses=(PlannedChange.Status.DONE, PlannedChange.Status.CANCELLED),
        )
    ]
    task_label = "Planned change"


@registry.register
class QmsRoleRegister(Register):
    """5.3: the roles of the QMS, who holds them, and the responsibility matrix."""

    model = QmsRole
    nav_group = "Context and leadership"
    description = (
        "Roles in the QMS with their responsibilities and authorities, who holds each, and "
        "what each is accountable, responsible, consulted or informed for, process by process."
    )
    list_columns = ["reference", "title", "holders", "owner", "status"]
    filter_fields = ["status", "owner"]
    search_fields = ["reference", "title", "duties", "authorities"]
    form_fields = [
        "title",
        "duties",
        "authorities",
        "holders",
        "accountable_for",
        "responsible_for",
        "consulted_on",
        "informed_of",
        "owner",
        "clauses",
    ]
    clause_refs = ["5.3"]
    nav_links = [("Responsibility matrix", "planning:responsibility_matrix", None)]
    list_links = [("Responsibility matrix", "planning:responsibility_matrix")]
