from django.urls import path

from norma.certification import registers, views  # noqa: F401  (registers declare themselves)
from norma.core.registers import registry

app_name = "certification"
urlpatterns = [
    path("", views.cockpit_page, name="cockpit"),
    *(url for r in registry if r.app_label() == "certification" for url in r.urls()),
]
