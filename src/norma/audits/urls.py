from django.urls import path

from norma.audits import registers, views  # noqa: F401  (registers declare themselves)
from norma.core.registers import registry

app_name = "audits"
urlpatterns = [
    path("calendar/", views.calendar, name="calendar"),
    path("audits/<str:reference>/checklist/", views.checklist, name="checklist"),
    path("checklist-items/<str:reference>/answer/", views.answer, name="answer"),
    path(
        "audits/<str:reference>/report.pdf",
        views.report,
        {"kind": "pdf"},
        name="report_pdf",
    ),
    path(
        "audits/<str:reference>/report.docx",
        views.report,
        {"kind": "docx"},
        name="report_docx",
    ),
    *(url for register in registry if register.app_label() == "audits" for url in register.urls()),
]
