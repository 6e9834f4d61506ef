from django.urls import path

from norma.core import lookups
from norma.core.views import pages

app_name = "core"
urlpatterns = [
    path("people/", pages.people, name="people"),
    path("attachments/<int:pk>/", pages.download_attachment, name="attachment_download"),
    path("lookup/<str:model_label>/", lookups.suggestions, name="lookup"),
]
