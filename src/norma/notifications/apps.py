from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "norma.notifications"
    label = "notifications"
    verbose_name = "Reminders and notifications"
