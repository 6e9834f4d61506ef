from django.apps import AppConfig


class StandardsConfig(AppConfig):
    name = "norma.standards"
    label = "standards"
    verbose_name = "Standards library"

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(load_libraries, sender=self, dispatch_uid="norma_load_standards")


def load_libraries(sender, using="default", **kwargs):
    """`migrate` keeps the standards libraries current, so a new instance is ready to use."""
    from norma.core.context import acting_as
    from norma.standards.library import load_all

    with acting_as(name="norma migrate"):
        load_all()
