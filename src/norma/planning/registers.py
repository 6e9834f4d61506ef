from norma.core.models import RoleCode
from norma.core.registers import Register, Reminder, registry
from norma.planning.actions import ApproveProcess, ReviseProcess
from norma.planning.models import Process


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
        "inputs",
        "outputs",
        "criteria",
        "due_date",
        "clauses",
    ]
    clause_refs = ["4.4", "4.4.1", "4.4.2"]
    actions = [ApproveProcess, ReviseProcess]
    reminders = [
        Reminder(
            date_field="due_date",
            lead_days=(14, 1),
            to_owner=True,
            to_roles=(RoleCode.QUALITY_MANAGER,),
            label="review due",
        )
    ]
