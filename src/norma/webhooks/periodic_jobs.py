"""Deliveries whose worker died mid-attempt are picked up again, so no event is silently lost."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from norma.jobs.periodic import periodic
from norma.webhooks.models import WebhookDelivery

STUCK_AFTER = timedelta(minutes=10)


def stuck_deliveries(now):
    """Unfinished deliveries with no attempt due in the future and none started lately."""
    quiet = now - STUCK_AFTER
    return WebhookDelivery.objects.filter(
        state__in=[WebhookDelivery.State.PENDING, WebhookDelivery.State.FAILED],
        created_at__lt=quiet,
    ).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=quiet),
        Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=quiet),
    )


@periodic("webhooks.resume", every=timedelta(minutes=15), title="Resume stuck webhook deliveries")
def resume_stuck_deliveries(job):
    """Enqueue the next attempt; the attempt number makes a duplicate task a no-op."""
    from norma.webhooks.tasks import deliver_webhook

    resumed = 0
    for delivery_id, attempts in stuck_deliveries(timezone.now()).values_list("pk", "attempts"):
        deliver_webhook.enqueue(delivery_id, attempts + 1)
        resumed += 1
    if resumed:
        job.log(f"Resumed {resumed} delivery(ies).")
    return {"resumed": resumed}
