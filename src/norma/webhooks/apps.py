from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "norma.webhooks"
    label = "webhooks"
    verbose_name = "Outgoing webhooks"
