"""Background work of the webhooks app, run by `norma worker`."""

from django_tasks import task

from norma.webhooks.delivery import attempt_delivery


@task()
def deliver_webhook(delivery_id: int, number: int):
    """Attempt `number` of one delivery; the next attempt is scheduled if this one fails."""
    attempt_delivery(delivery_id, number)
