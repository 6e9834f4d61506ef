from django.urls import path, re_path

from norma.notifications import views

app_name = "notifications"
TOKEN = r"(?P<token>[A-Za-z0-9_-]{16,128})"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/calendar/", views.calendar_link, name="calendar_link"),
    re_path(rf"^calendar/{TOKEN}\.ics$", views.calendar, name="calendar"),
    re_path(
        rf"^calendar/{TOKEN}/(?P<app_label>[a-z0-9_]+)/(?P<model_name>[a-z0-9_]+)\.ics$",
        views.register_calendar,
        name="register_calendar",
    ),
]
