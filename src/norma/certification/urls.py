from django.urls import path

from norma.certification import access, gap_views, packs, registers, views  # noqa: F401
from norma.core.registers import registry

app_name = "certification"
urlpatterns = [
    path("", views.cockpit_page, name="cockpit"),
    path("gap-assessments/<str:reference>/assess/", gap_views.assess, name="gap_assess"),
    path("evidence-packs/<str:reference>/build-status/", packs.pack_status, name="pack_status"),
    path("evidence-packs/<str:reference>/download.zip", packs.download, name="pack_download"),
    path("guest/", access.guest_home, name="guest_home"),
    path("guest/packs/<str:reference>.zip", access.guest_pack, name="guest_pack"),
    path("guest/files/<int:pk>/", access.guest_file, name="guest_file"),
    path("gap-assessments/<str:reference>/report.pdf", gap_views.report_pdf, name="gap_report"),
    *(url for r in registry if r.app_label() == "certification" for url in r.urls()),
]
