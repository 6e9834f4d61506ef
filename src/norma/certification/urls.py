from django.urls import path

from norma.certification import gap_views, registers, views  # noqa: F401  (registers declare)
from norma.core.registers import registry

app_name = "certification"
urlpatterns = [
    path("", views.cockpit_page, name="cockpit"),
    path("gap-assessments/<str:reference>/assess/", gap_views.assess, name="gap_assess"),
    path("gap-assessments/<str:reference>/report.pdf", gap_views.report_pdf, name="gap_report"),
    *(url for r in registry if r.app_label() == "certification" for url in r.urls()),
]
