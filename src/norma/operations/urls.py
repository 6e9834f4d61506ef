from django.urls import path

from norma.core.registers import registry
from norma.operations import registers, views  # noqa: F401  (registers declare themselves)

app_name = "operations"
urlpatterns = [
    path("feedback/", views.feedback_dashboard, name="feedback"),
    path(
        "satisfaction-surveys/<str:reference>/responses/",
        views.survey_responses,
        name="survey_responses",
    ),
    *(
        url
        for register in registry
        if register.app_label() == "operations"
        for url in register.urls()
    ),
]
