from django.apps import AppConfig


class ImprovementConfig(AppConfig):
    name = "norma.improvement"
    label = "improvement"
    verbose_name = "Improvement"

    def ready(self):
        from norma.improvement import registers  # noqa: F401  (they declare themselves)
