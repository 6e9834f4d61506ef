"""Data in and out: register imports (archive and backup are command-line tools)."""

from django.urls import path

from norma.dataio import views

app_name = "dataio"
urlpatterns = [
    path("import/<str:app_label>/<str:model_name>/", views.import_upload, name="import_upload"),
    path(
        "import/<str:app_label>/<str:model_name>/template.csv",
        views.import_template,
        name="import_template",
    ),
    path("imports/<int:pk>/", views.import_report, name="import_report"),
    path("imports/<int:pk>/commit/", views.import_commit, name="import_commit"),
    path("imports/<int:pk>/rejected.csv", views.import_rejected, name="import_rejected"),
]
