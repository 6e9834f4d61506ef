from django.urls import path

from norma.core.registers import registry
from norma.planning import process_views, registers, views  # noqa: F401  (registers declare themselves)

app_name = "planning"
urlpatterns = [
    path("risks/heat-map/", views.risk_heat_map, name="risk_heat_map"),
    path("process-map/", process_views.process_map, name="process_map"),
    path(
        "kpis/<str:reference>/import/",
        views.ImportResults.as_view(register=registers.KpiRegister),
        name="kpi_import",
    ),
    path(
        "responsibility-matrix/",
        process_views.responsibility_matrix,
        name="responsibility_matrix",
    ),
    path("processes/<str:reference>/turtle/", process_views.turtle, name="process_turtle"),
    *(
        url
        for register in registry
        if register.app_label() == "planning"
        for url in register.urls()
    ),
]
