"""Report downloads under /reports/."""

from django.urls import path

from norma.reports import views

app_name = "reports"
urlpatterns = [
    path(
        "record/<slug:app_label>/<slug:model_name>/<str:reference>.pdf",
        views.record_pdf,
        name="record_pdf",
    ),
    path("readiness.pdf", views.readiness_pdf, name="readiness_pdf"),
    path("readiness.docx", views.readiness_docx, name="readiness_docx"),
]
