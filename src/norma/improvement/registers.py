"""The improvement registers: nonconformities, the actions on them, and improvements."""

from norma.core.models import RoleCode
from norma.core.registers import Register, Reminder, registry
from norma.improvement import actions
from norma.improvement.analysis import ANALYSIS_ACTIONS
from norma.improvement.models import CorrectiveAction, Improvement, Nonconformity

NAV = "Improvement"


def due(*finished, to_quality=False) -> Reminder:
    roles = (RoleCode.QUALITY_MANAGER,) if to_quality else ()
    return Reminder(date_field="due_date", to_roles=roles, skip_statuses=tuple(finished))


@registry.register
class NonconformityRegister(Register):
    """8.7, 10.2: nonconformities from any source, from report to verified fix."""

    model = Nonconformity
    nav_group = NAV
    description = (
        "Problems from audits, complaints, suppliers, processes and outputs: contained, their "
        "root cause found, the cause removed and the fix shown to work."
    )
    list_columns = [
        "reference",
        "title",
        "source",
        "kind",
        "severity",
        "process",
        "owner",
        "status",
        "detected_on",
        "due_date",
    ]
    filter_fields = ["status", "source", "kind", "severity", "process", "owner", "site"]
    search_fields = ["reference", "title", "description", "product"]
    form_fields = [
        "title",
        "source",
        "kind",
        "severity",
        "description",
        "detected_by",
        "detected_on",
        "process",
        "product",
        "quantity_affected",
        "owner",
        "site",
        "department",
        "due_date",
        "clauses",
    ]
    detail_fields = [
        "source",
        "kind",
        "severity",
        "description",
        "detected_by",
        "detected_on",
        "process",
        "product",
        "quantity_affected",
        "site",
        "department",
        "due_date",
    ]
    select_related = ["owner", "site", "department", "process"]
    clause_refs = ["8.7", "8.7.1", "8.7.2", "10.2", "10.2.1", "10.2.2"]
    actions = [*actions.NONCONFORMITY_ACTIONS, *ANALYSIS_ACTIONS]
    reminders = [due(Nonconformity.Status.CLOSED, Nonconformity.Status.CANCELLED, to_quality=True)]
    task_label = "Take a nonconformity to its next step"
    detail_template = "improvement/nonconformity_detail.html"
    nav_links = [
        ("Report a problem", "improvement:report", "improvement.add_nonconformity"),
        ("Improvement dashboard", "improvement:dashboard", "improvement.view_nonconformity"),
    ]

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        from norma.improvement.views import nonconformity_context

        return nonconformity_context(obj, person)


@registry.register
class CorrectiveActionRegister(Register):
    """10.2.1: corrections, containment and corrective actions, each with owner and date."""

    model = CorrectiveAction
    nav_group = NAV
    description = (
        "What is done about nonconformities: corrections, containment, and the corrective "
        "actions that remove their causes, with the documents, risks and QMS changes they touch."
    )
    list_columns = [
        "reference",
        "title",
        "kind",
        "nonconformity",
        "owner",
        "status",
        "due_date",
    ]
    filter_fields = ["status", "kind", "owner", "site", "department"]
    search_fields = ["reference", "title", "description"]
    form_fields = [
        "nonconformity",
        "kind",
        "title",
        "description",
        "owner",
        "due_date",
        "documents",
        "risks",
        "changes",
    ]
    detail_fields = [
        "nonconformity",
        "kind",
        "description",
        "due_date",
        "completed_on",
        "evidence",
        "documents",
        "risks",
        "changes",
    ]
    select_related = ["owner", "site", "department", "nonconformity"]
    clause_refs = ["10.2.1"]
    actions = [actions.CompleteCorrectiveAction, actions.CancelCorrectiveAction]
    reminders = [due(CorrectiveAction.Status.DONE, CorrectiveAction.Status.CANCELLED)]
    task_label = "Carry out an action on a nonconformity"
    searched_everywhere_by_reference = True  # 100,000 at the large scale; found via their NC


@registry.register
class ImprovementRegister(Register):
    """10.3: ideas and opportunities for improvement, and what came of them."""

    model = Improvement
    nav_group = NAV
    description = (
        "Ideas and opportunities for improvement from employees, audits, customers and "
        "management review: evaluated, decided, implemented and their benefit recorded."
    )
    list_columns = ["reference", "title", "source", "process", "owner", "status", "due_date"]
    filter_fields = ["status", "source", "process", "owner", "site"]
    search_fields = ["reference", "title", "description"]
    form_fields = [
        "title",
        "source",
        "description",
        "process",
        "expected_benefit",
        "site",
        "department",
        "clauses",
    ]
    detail_fields = [
        "source",
        "description",
        "process",
        "expected_benefit",
        "evaluation",
        "decided_on",
        "due_date",
        "realised_benefit",
        "implemented_on",
        "site",
        "department",
    ]
    select_related = ["owner", "site", "department", "process"]
    clause_refs = ["10.1", "10.3"]
    actions = [actions.AcceptImprovement, actions.RejectImprovement, actions.CompleteImprovement]
    reminders = [due(Improvement.Status.DONE, Improvement.Status.REJECTED)]
    task_label = "Implement an improvement"
