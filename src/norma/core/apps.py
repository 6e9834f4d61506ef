from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "norma.core"
    label = "core"
    verbose_name = "Norma platform"

    def ready(self):
        from django.db.models.signals import post_migrate

        from norma.core.roles import sync_roles

        post_migrate.connect(sync_roles, dispatch_uid="norma_sync_roles")
