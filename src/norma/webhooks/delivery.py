"""Delivering webhooks: create a delivery, then attempt it until it succeeds or gives up.

Each attempt claims the delivery under a row lock (so a duplicate task does nothing), checks
the URL again (DNS may have changed since the webhook was saved), POSTs the signed body with
no database transaction open, and records the outcome as a WebhookAttempt. A failed attempt
schedules the next one after the configured backoff; after the last one the delivery gives up.
"""

import hashlib
import hmac
import http.client
import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from norma.webhooks import conf, safety, transport
from norma.webhooks.models import TEST_EVENT, Webhook, WebhookAttempt, WebhookDelivery

logger = logging.getLogger(__name__)
State = WebhookDelivery.State


def body_bytes(payload: dict) -> bytes:
    """The exact bytes that are sent and signed; the same in every attempt."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the webhook's secret."""
    message = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def headers_for(delivery: WebhookDelivery, timestamp: str, body: bytes) -> dict:
    return {
        "Content-Type": "application/json",
        "User-Agent": transport.USER_AGENT,
        "X-Norma-Event": delivery.event_type,
        "X-Norma-Delivery": str(delivery.uuid),
        "X-Norma-Timestamp": timestamp,
        "X-Norma-Signature": sign(delivery.webhook.secret, timestamp, body),
    }


def create_delivery(webhook: Webhook, event: dict) -> WebhookDelivery:
    """Store the delivery and enqueue its first attempt once the transaction commits."""
    event = json.loads(json.dumps(event, default=str))
    delivery = WebhookDelivery(webhook=webhook, event_type=str(event.get("type", "")))
    delivery.payload = {**event, "delivery_id": str(delivery.uuid), "webhook_id": webhook.pk}
    delivery.save()
    transaction.on_commit(partial(schedule, delivery.pk, 1))
    return delivery


def schedule(delivery_id: int, number: int, when=None):
    """Enqueue attempt `number`; `when` delays it (the task backend honours run_after)."""
    from norma.webhooks.tasks import deliver_webhook

    task = deliver_webhook.using(run_after=when) if when is not None else deliver_webhook
    task.enqueue(delivery_id, number)


def delay_after(attempt: int) -> timedelta:
    """How long to wait after failed attempt number `attempt` (1-based)."""
    delays = conf.retry_delays()
    return timedelta(seconds=delays[min(attempt - 1, len(delays) - 1)])


@dataclass(frozen=True)
class Outcome:
    sent: bool
    status_code: int | None = None
    error: str = ""
    excerpt: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def send(delivery: WebhookDelivery, now) -> Outcome:
    """Check the URL again, then POST; never raises for network or HTTP trouble."""
    try:
        target = safety.resolve(delivery.webhook.url)
    except safety.UnsafeURL as refused:
        return Outcome(sent=False, error=f"Not sent: {refused}")
    body = body_bytes(delivery.payload)
    timestamp = str(int(now.timestamp()))
    try:
        response = transport.post(
            target, body, headers_for(delivery, timestamp, body), conf.timeout()
        )
    except (OSError, http.client.HTTPException, ValueError) as error:
        return Outcome(sent=True, error=f"{type(error).__name__}: {error}"[:1000])
    status, excerpt = response.status, response.excerpt
    if 200 <= status < 300:
        return Outcome(sent=True, status_code=status, excerpt=excerpt)
    if 300 <= status < 400:
        where = response.location or "no Location header"
        error = f"HTTP {status} redirect ({where[:300]}) not followed: redirects count as failures."
        return Outcome(sent=True, status_code=status, error=error, excerpt=excerpt)
    return Outcome(sent=True, status_code=status, error=f"HTTP {status}", excerpt=excerpt)


def attempt_delivery(delivery_id: int, number: int, *, now=None) -> WebhookDelivery | None:
    """Make attempt `number` of a delivery; None when it is not due (done, or a duplicate).

    `now` is the clock (tests pass a fake one): it stamps the attempt and the signature and
    sets when the next attempt is due.
    """
    now = now or timezone.now()
    delivery = _claim(delivery_id, number, now)
    if delivery is None:
        return None
    started = time.monotonic()
    outcome = send(delivery, now)
    duration_ms = int((time.monotonic() - started) * 1000)
    return _record(delivery, outcome, now, duration_ms)


def _claim(delivery_id: int, number: int, now) -> WebhookDelivery | None:
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("webhook")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.finished or delivery.attempts != number - 1:
            return None
        if not delivery.webhook.active and delivery.event_type != TEST_EVENT:
            delivery.state = State.GAVE_UP
            delivery.last_error = "The webhook was made inactive before this event was delivered."
            delivery.next_attempt_at = None
            delivery.finished_at = now
            delivery.save()
            return None
        delivery.attempts = number
        delivery.last_attempt_at = now
        delivery.save(update_fields=["attempts", "last_attempt_at", "updated_at"])
        return delivery


def _record(delivery: WebhookDelivery, outcome: Outcome, now, duration_ms: int):
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            started_at=now,
            duration_ms=duration_ms,
            sent=outcome.sent,
            status_code=outcome.status_code,
            error=outcome.error,
            response_excerpt=outcome.excerpt,
        )
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        delivery.response_excerpt = outcome.excerpt
        delivery.next_attempt_at = None
        if outcome.ok:
            delivery.state, delivery.finished_at = State.SUCCEEDED, now
        elif delivery.attempts >= conf.max_attempts():
            delivery.state, delivery.finished_at = State.GAVE_UP, now
        else:
            delivery.state = State.FAILED
            delivery.next_attempt_at = now + delay_after(delivery.attempts)
            retry = partial(schedule, delivery.pk, delivery.attempts + 1, delivery.next_attempt_at)
            transaction.on_commit(retry)
        delivery.save()
    log = logger.info if outcome.ok else logger.warning
    log(
        "webhook %s delivery %s attempt %s: %s",
        delivery.webhook_id,
        delivery.uuid,
        delivery.attempts,
        outcome.status_code or outcome.error,
    )
    return delivery
