from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "norma.audits"
    label = "audits"
    verbose_name = "Internal audits"

    def ready(self):
        from norma.audits import registers  # noqa: F401  (they declare themselves)
