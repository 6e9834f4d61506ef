from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "norma.operations"
    label = "operations"
    verbose_name = "Operations"

    def ready(self):
        from norma.operations import registers  # noqa: F401  (they declare themselves)
