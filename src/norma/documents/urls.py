from django.urls import path

from norma.documents import views
from norma.documents.registers import DocumentRegister

app_name = "documents"
urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("checklist/", views.checklist, name="checklist"),
    path("disposals/", views.disposal_log, name="disposal_log"),
    path("master-list.pdf", views.master_list_pdf, name="master_list_pdf"),
    path("import-files/", views.import_files, name="import_files"),
    path("documents/<str:reference>/draft/", views.edit_draft, name="draft_edit"),
    path("documents/<str:reference>/compare/", views.compare, name="compare"),
    path(
        "documents/<str:reference>/revisions/<str:label>/",
        views.revision_detail,
        name="revision_detail",
    ),
    path(
        "documents/<str:reference>/revisions/<str:label>/file/",
        views.revision_file,
        name="revision_file",
    ),
    path(
        "documents/<str:reference>/revisions/<str:label>.pdf",
        views.revision_pdf,
        name="revision_pdf",
    ),
    *DocumentRegister.urls(),
]
