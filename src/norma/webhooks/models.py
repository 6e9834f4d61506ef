"""Outgoing webhooks: subscriptions, their deliveries, and every attempt to deliver."""

import hashlib
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from norma.core.events import EVENT_TYPES
from norma.webhooks.safety import validate_webhook_url

TEST_EVENT = "webhook.test"


def new_secret() -> str:
    """The signing secret, made by the server; 32 random bytes, URL-safe."""
    return "whsec_" + secrets.token_urlsafe(32)


class Webhook(models.Model):
    """A URL that receives a signed JSON POST when a subscribed event happens."""

    name = models.CharField(max_length=100)
    url = models.URLField(
        "URL",
        max_length=500,
        validators=[validate_webhook_url],
        help_text="An https:// address on the public internet that accepts POST requests.",
    )
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    event_types = models.JSONField(
        default=list,
        blank=True,  # clean() says "choose at least one event" instead of "cannot be blank"
        help_text="The events this webhook receives (codes from the event list).",
    )
    active = models.BooleanField(default=True, help_text="Inactive webhooks receive nothing.")
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def clean(self):
        if not isinstance(self.event_types, list):
            raise ValidationError({"event_types": "Choose events from the list."})
        unknown = sorted({str(code) for code in self.event_types} - set(EVENT_TYPES))
        if unknown:
            raise ValidationError({"event_types": f"Unknown event types: {', '.join(unknown)}."})
        if not self.event_types:
            raise ValidationError({"event_types": "Choose at least one event."})

    def subscribes_to(self, event_type: str) -> bool:
        return self.active and event_type in (self.event_types or [])

    def event_labels(self) -> list[str]:
        return [EVENT_TYPES.get(code, code) for code in self.event_types or []]

    @property
    def secret_fingerprint(self) -> str:
        """Names the secret in the change log without giving it away."""
        return "sha256:" + hashlib.sha256(self.secret.encode()).hexdigest()[:12]


class WebhookDelivery(models.Model):
    """One event to deliver to one webhook, retried with backoff until it succeeds or gives up."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed, will retry"
        GAVE_UP = "gave_up", "Gave up"

    uuid = models.UUIDField("delivery id", default=uuid.uuid4, unique=True, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=60)
    payload = models.JSONField(help_text="The JSON body, identical in every attempt.")
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_excerpt = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["webhook", "-created_at"], name="webhooks_delivery_hook"),
            models.Index(fields=["state", "next_attempt_at"], name="webhooks_delivery_due"),
        ]

    def __str__(self):
        return f"{self.event_type} → {self.webhook_id} ({self.get_state_display()})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.SUCCEEDED, self.State.GAVE_UP)

    @property
    def badge_class(self) -> str:
        """A badge style the core stylesheet already has."""
        return {
            self.State.SUCCEEDED: "job-succeeded",
            self.State.FAILED: "job-failed",
            self.State.GAVE_UP: "job-failed",
        }.get(self.state, "job-running")


class WebhookAttempt(models.Model):
    """One try at a delivery: what was sent when, and what came back (or why nothing was sent)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    sent = models.BooleanField(default=False, help_text="False when refused before sending.")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    response_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhooks_attempt_once")
        ]

    def __str__(self):
        return f"attempt {self.number} of delivery {self.delivery_id}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
