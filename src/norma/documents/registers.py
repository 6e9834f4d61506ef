from django.db.models import OuterRef, Subquery

from norma.core.models import RoleCode
from norma.core.registers import Register, Reminder, registry
from norma.documents import actions
from norma.documents.models import Document, Revision


def _in_force(field: str):
    return Subquery(
        Revision.objects.filter(
            document=OuterRef("pk"),
            status__in=[Revision.Status.EFFECTIVE, Revision.Status.OBSOLETE],
        )
        .order_by("-number")
        .values(field)[:1]
    )


@registry.register
class DocumentRegister(Register):
    """7.5: the document master list, one row per controlled document or record."""

    model = Document
    nav_group = "Support"
    description = (
        "Policies, procedures, instructions, forms, external documents and records: "
        "the right revision, approved, in the right hands."
    )
    list_columns = [
        "reference",
        "title",
        "document_type",
        "revision",
        "effective_date",
        "status",
        "owner",
        "due_date",
    ]
    export_columns = [*list_columns, "process", "sites", "departments", "checklist_item"]
    filter_fields = ["status", "document_type", "owner", "process", "sites", "departments"]
    search_fields = ["reference", "title"]
    form_fields = [
        "title",
        "document_type",
        "owner",
        "process",
        "sites",
        "departments",
        "checklist_item",
        "review_months",
        "retention_years",
        "disposal_method",
        "reviewers",
        "approvers",
        "clauses",
    ]
    detail_fields = [
        "document_type",
        "process",
        "sites",
        "departments",
        "checklist_item",
        "review_months",
        "due_date",
        "retention_years",
        "disposal_method",
    ]
    select_related = ["owner", "document_type", "process"]
    clause_refs = ["7.5", "7.5.1", "7.5.2", "7.5.3", "7.5.3.1", "7.5.3.2"]
    actions = actions.DOCUMENT_ACTIONS
    detail_template = "documents/document_detail.html"
    task_label = "Periodic review"
    nav_links = [
        ("Search documents", "documents:search", None),
        ("Mandatory documents", "documents:checklist", None),
        ("Disposal log", "documents:disposal_log", "documents.view_disposal"),
        ("Import document files", "documents:import_files", "documents.change_document"),
    ]
    list_links = [("PDF", "documents:master_list_pdf")]
    reminders = [
        Reminder(
            date_field="due_date",
            lead_days=(30, 7),
            to_owner=True,
            to_roles=(RoleCode.QUALITY_MANAGER,),
            label="periodic review due",
            skip_statuses=(Document.Status.OBSOLETE, Document.Status.DISPOSED),
        )
    ]

    @classmethod
    def queryset_for(cls, person):
        return (
            super()
            .queryset_for(person)
            .annotate(revision=_in_force("label"), effective_date=_in_force("effective_date"))
        )

    @classmethod
    def detail_context(cls, obj, person) -> dict:
        from norma.documents.views import document_context

        return document_context(obj, person)
