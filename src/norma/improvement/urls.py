from django.urls import path

from norma.core.registers import registry
from norma.improvement import registers, views  # noqa: F401  (registers declare themselves)

app_name = "improvement"
urlpatterns = [
    path("report/", views.report, name="report"),
    path("dashboard/", views.dashboard_page, name="dashboard"),
    *(
        url
        for register in registry
        if register.app_label() == "improvement"
        for url in register.urls()
    ),
]
