"""Changes to webhooks go through Actions, so each one reaches the change log.

The signing secret is never written to the log: entries carry its fingerprint instead, so a
rotation shows up without giving the secret away.
"""

from django.utils import timezone

from norma.core.actions import Action
from norma.core.changelog import snapshot
from norma.webhooks.delivery import create_delivery
from norma.webhooks.models import TEST_EVENT, Webhook, new_secret

EDITABLE = ("name", "url", "event_types", "active")


def logged(values: dict | None, webhook: Webhook) -> dict | None:
    if values is None:
        return None
    return {**values, "secret": webhook.secret_fingerprint}


class WebhookAction(Action):
    """Base for webhook actions: the secret is masked in what the change log keeps."""

    def __init__(self, actor, obj=None, **kwargs):
        super().__init__(actor, obj, **kwargs)
        self.old_fingerprint = obj.secret_fingerprint if obj is not None and obj.pk else None

    def logged_values(self, before):
        if before is not None:
            before = {**before, "secret": self.old_fingerprint}
        return before, logged(snapshot(self.obj), self.obj)

    def assign(self):
        for name in EDITABLE:
            if name in self.data:
                setattr(self.obj, name, self.data[name])


class CreateWebhook(WebhookAction):
    code = "create"
    label = "Add a webhook"
    permission = "webhooks.add_webhook"

    def __init__(self, actor, **kwargs):
        super().__init__(actor, Webhook(), **kwargs)

    def apply(self):
        self.assign()
        self.obj.created_by = self.actor
        self.obj.secret = new_secret()
        return self.save(self.obj)


class UpdateWebhook(WebhookAction):
    code = "update"
    label = "Edit the webhook"
    permission = "webhooks.change_webhook"

    def apply(self):
        self.assign()
        return self.save(self.obj)


class RotateWebhookSecret(WebhookAction):
    code = "rotate_secret"
    label = "Make a new signing secret"
    permission = "webhooks.change_webhook"

    def apply(self):
        self.obj.secret = new_secret()
        return self.save(self.obj)


class SendTestEvent(WebhookAction):
    """Queue a `webhook.test` delivery, whether or not the webhook is active."""

    code = "send_test"
    label = "Send a test event"
    permission = "webhooks.change_webhook"

    def apply(self):
        self.delivery = create_delivery(
            self.obj,
            {
                "type": TEST_EVENT,
                "action": "test",
                "object_type": "webhooks.webhook",
                "reference": None,
                "title": f"Test event for {self.obj.name}",
                "status": None,
                "previous_status": None,
                "actor": self.actor.full_name,
                "change_id": None,
                "timestamp": timezone.now().isoformat(),
            },
        )
        return self.delivery

    def logged_values(self, before):
        return None, {"delivery": str(self.delivery.uuid), "url": self.obj.url}
