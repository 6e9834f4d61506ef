"""Outgoing webhooks: signed JSON POSTs when records are created or change state."""

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "norma.webhooks"
    label = "webhooks"
    verbose_name = "Outgoing webhooks"

    def ready(self):
        from norma.core.events import record_event
        from norma.webhooks.receivers import on_record_event

        record_event.connect(on_record_event, dispatch_uid="norma.webhooks.on_record_event")
