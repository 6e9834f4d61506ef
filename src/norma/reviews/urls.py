from django.urls import path

from norma.core.registers import registry
from norma.reviews import registers, views  # noqa: F401  (registers declare themselves)

app_name = "reviews"
urlpatterns = [
    path("management-reviews/<str:reference>/pack-status/", views.pack_status, name="pack_status"),
    path(
        "management-reviews/<str:reference>/minutes.pdf",
        views.minutes,
        {"kind": "pdf"},
        name="minutes_pdf",
    ),
    path(
        "management-reviews/<str:reference>/minutes.docx",
        views.minutes,
        {"kind": "docx"},
        name="minutes_docx",
    ),
    *(url for register in registry if register.app_label() == "reviews" for url in register.urls()),
]
