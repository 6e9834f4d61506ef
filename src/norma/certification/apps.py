from django.apps import AppConfig


class CertificationConfig(AppConfig):
    name = "norma.certification"
    label = "certification"
    verbose_name = "Certification"

    def ready(self):
        from norma.certification import registers  # noqa: F401  (they declare themselves)
