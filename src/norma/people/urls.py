from django.urls import path

from norma.core.registers import registry
from norma.people import registers, views  # noqa: F401  (registers declare themselves)

app_name = "people"
urlpatterns = [
    path("competence-matrix/", views.competence_matrix, name="matrix"),
    path("competence-matrix/export.<str:fmt>", views.matrix_export, name="matrix_export"),
    path("awareness/", views.awareness_page, name="awareness"),
    path("my-team/", views.my_team, name="team"),
    path("profile/<int:pk>/", views.profile, name="profile"),
    path("qualified-auditors/", views.auditors_page, name="auditors"),
    *(url for register in registry if register.app_label() == "people" for url in register.urls()),
]
