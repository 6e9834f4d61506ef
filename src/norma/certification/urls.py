from norma.certification import registers  # noqa: F401  (registers declare themselves)
from norma.core.registers import registry

app_name = "certification"
urlpatterns = [
    *(url for r in registry if r.app_label() == "certification" for url in r.urls()),
]
