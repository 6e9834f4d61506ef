from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "norma.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
