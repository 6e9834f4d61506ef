"""Turns committed changes (core.events.record_event) into webhook deliveries."""

import logging

from django.db import transaction

from norma.webhooks.delivery import create_delivery
from norma.webhooks.models import Webhook, WebhookDelivery

logger = logging.getLogger(__name__)


def queue_deliveries(event: dict) -> list[WebhookDelivery]:
    """One delivery per active webhook subscribed to the event's type, enqueued on commit."""
    event_type = event.get("type")
    # Few webhooks exist, and JSON containment is not portable to SQLite: filter here.
    hooks = [hook for hook in Webhook.objects.filter(active=True) if hook.subscribes_to(event_type)]
    if not hooks:
        return []
    with transaction.atomic():
        return [create_delivery(hook, event) for hook in hooks]


def on_record_event(sender, event, **kwargs):
    """Signal receiver: it must never raise, or the change that was committed would look failed."""
    try:
        queue_deliveries(event)
    except Exception:  # a broken webhook must not break the change that triggered it
        logger.exception("could not queue webhook deliveries for %s", event.get("type"))
