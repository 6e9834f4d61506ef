"""Document types are set up in the admin: numbering, revision labels, approval and retention."""

from django.contrib import admin

from norma.core.admin import LoggedAdmin
from norma.documents.models import DocumentType


@admin.register(DocumentType)
class DocumentTypeAdmin(LoggedAdmin):
    list_display = [
        "name",
        "number_prefix",
        "revision_style",
        "review_months",
        "reviewer_role",
        "approver_role",
        "is_record",
        "retention_years",
        "disposal_method",
    ]

    def has_delete_permission(self, request, obj=None):
        return False  # documents refer to their type for good
