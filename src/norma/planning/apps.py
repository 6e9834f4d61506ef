from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "norma.planning"
    label = "planning"
    verbose_name = "Planning"

    def ready(self):
        from norma.planning import registers  # noqa: F401  (registers declare themselves)
