"""Deliveries: signed POSTs through the real worker, retries with backoff, no redirects."""

import hashlib
import hmac
import json
import socket
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from norma.core.events import record_event
from norma.core.models import ChangeLogEntry
from norma.jobs.management.commands.worker import drain
from norma.webhooks.actions import SendTestEvent, UpdateWebhook
from norma.webhooks.delivery import attempt_delivery
from norma.webhooks.models import WebhookAttempt, WebhookDelivery
from norma.webhooks.receivers import queue_deliveries
from tests.factories import make_process

State = WebhookDelivery.State


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def event(kind="record.created", **extra):
    return {"type": kind, "reference": "PRC-2026-0001", "title": "Purchasing", **extra}


@pytest.fixture
def run_worker(django_capture_on_commit_callbacks):
    """Drain the real worker; what a task enqueues on commit runs in the next round."""

    def run():
        for _ in range(20):
            with django_capture_on_commit_callbacks(execute=True) as callbacks:
                drain("webhook-test-worker")
            if not callbacks:
                return
        raise AssertionError("the worker kept finding new work")

    return run


def test_a_created_record_reaches_the_receiver_with_a_valid_signature(
    run_worker, receiver, make_webhook, quality_manager, django_capture_on_commit_callbacks
):
    webhook = make_webhook(receiver.url + "/hooks/norma?team=qa")
    with django_capture_on_commit_callbacks(execute=True):
        process = make_process(quality_manager, title="Purchasing")
    run_worker()

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers = {name.lower(): value for name, value in request.headers.items()}
    assert (request.method, request.path) == ("POST", "/hooks/norma?team=qa")
    assert headers["content-type"] == "application/json"
    assert headers["x-norma-event"] == "record.created"
    timestamp = headers["x-norma-timestamp"]
    assert abs(int(timestamp) - time.time()) < 120
    assert hmac.compare_digest(
        headers["x-norma-signature"], expected_signature(webhook.secret, timestamp, request.body)
    )
    assert headers["x-norma-signature"] != expected_signature("wrong", timestamp, request.body)
    body = request.json()
    delivery = WebhookDelivery.objects.get()
    assert body["type"] == "record.created"
    assert body["reference"] == process.reference
    assert body["actor"] == quality_manager.full_name
    assert body["delivery_id"] == headers["x-norma-delivery"] == str(delivery.uuid)
    assert body["webhook_id"] == webhook.pk
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (
        State.SUCCEEDED,
        1,
        200,
    )
    attempt = delivery.tries.get()
    assert attempt.sent and attempt.status_code == 200 and '"ok"' in attempt.response_excerpt


def test_the_connection_goes_to_the_checked_address_with_the_host_name_in_the_header(
    receiver, make_webhook, dns, settings, connections
):
    dns["receiver.test"] = ["127.0.0.1"]
    settings.NORMA_WEBHOOK_ALLOWED_HOSTS = ["receiver.test"]
    port = receiver.url.rsplit(":", 1)[1]
    webhook = make_webhook(f"http://receiver.test:{port}/in")
    delivery = queue_deliveries(event())[0]
    attempt_delivery(delivery.pk, 1)
    assert connections == [("127.0.0.1", int(port))]
    assert receiver.requests[0].headers["Host"] == f"receiver.test:{port}"
    assert receiver.requests[0].json()["webhook_id"] == webhook.pk


def test_only_subscribed_event_types_are_delivered(
    run_worker, receiver, make_webhook, quality_manager, django_capture_on_commit_callbacks
):
    on_create = make_webhook(receiver.url + "/created", events=["record.created"], name="A")
    on_state = make_webhook(receiver.url + "/state", events=["record.state_changed"], name="B")
    with django_capture_on_commit_callbacks(execute=True):
        make_process(quality_manager, title="Purchasing")
        record_event.send(sender=None, event=event("record.state_changed", status="approved"))
        record_event.send(sender=None, event=event("record.updated"))
    run_worker()

    assert sorted((d.webhook_id, d.event_type) for d in WebhookDelivery.objects.all()) == [
        (on_create.pk, "record.created"),
        (on_state.pk, "record.state_changed"),
    ]
    seen = sorted((r.path, r.headers["X-Norma-Event"]) for r in receiver.requests)
    assert seen == [("/created", "record.created"), ("/state", "record.state_changed")]


def test_inactive_webhooks_get_nothing(
    run_worker, receiver, make_webhook, quality_manager, django_capture_on_commit_callbacks
):
    make_webhook(receiver.url, events=["record.created"], active=False)
    with django_capture_on_commit_callbacks(execute=True):
        make_process(quality_manager, title="Purchasing")
    run_worker()
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_a_webhook_made_inactive_before_delivery_gives_up_without_a_request(
    receiver, make_webhook, quality_manager
):
    webhook = make_webhook(receiver.url)
    delivery = queue_deliveries(event())[0]
    UpdateWebhook(quality_manager, webhook, data={"active": False}).execute()
    assert attempt_delivery(delivery.pk, 1) is None
    delivery.refresh_from_db()
    assert delivery.state == State.GAVE_UP
    assert "inactive" in delivery.last_error
    assert receiver.requests == []


def test_a_failing_receiver_is_retried_by_the_worker_then_given_up(
    run_worker, receiver, make_webhook, settings, django_capture_on_commit_callbacks
):
    settings.NORMA_WEBHOOK_RETRY_DELAYS = [0, 0]
    settings.NORMA_WEBHOOK_MAX_ATTEMPTS = 3
    receiver.statuses = [500, 500, 500, 500]
    make_webhook(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        record_event.send(sender=None, event=event())
    run_worker()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (State.GAVE_UP, 3, 500)
    assert delivery.finished_at is not None and delivery.next_attempt_at is None
    assert list(delivery.tries.values_list("number", "status_code", "error")) == [
        (1, 500, "HTTP 500"),
        (2, 500, "HTTP 500"),
        (3, 500, "HTTP 500"),
    ]
    assert "receiver says no" in delivery.response_excerpt
    assert len(receiver.requests) == 3
    assert len({r.body for r in receiver.requests}) == 1  # the same body every time
    assert len({r.headers["X-Norma-Delivery"] for r in receiver.requests}) == 1
    assert DBTaskResult.objects.count() == 3


def test_retries_back_off_on_the_configured_schedule(
    run_worker, receiver, make_webhook, django_capture_on_commit_callbacks
):
    receiver.statuses = [500] * 10
    make_webhook(receiver.url)
    delivery = queue_deliveries(event())[0]
    clock = timezone.now()
    waits = []
    for number in range(1, 7):
        with django_capture_on_commit_callbacks(execute=True):
            delivery = attempt_delivery(delivery.pk, number, now=clock)
        if delivery.next_attempt_at is None:
            break
        waits.append(delivery.next_attempt_at - clock)
        queued = DBTaskResult.objects.order_by("-enqueued_at").first()
        assert queued.run_after == delivery.next_attempt_at
        assert queued.args_kwargs["args"] == [delivery.pk, number + 1]
        clock = delivery.next_attempt_at
    minutes = [wait / timedelta(minutes=1) for wait in waits]
    assert minutes == [1, 5, 30, 120, 720]
    assert (delivery.state, delivery.attempts) == (State.GAVE_UP, 6)
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 6
    assert len(receiver.requests) == 6
    run_worker()  # the retries are not due yet on the real clock: nothing more is sent
    assert len(receiver.requests) == 6


def test_a_retry_waits_for_its_time_in_the_worker(
    run_worker, receiver, make_webhook, django_capture_on_commit_callbacks
):
    receiver.statuses = [503]
    make_webhook(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        record_event.send(sender=None, event=event())
    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == (State.FAILED, 1)
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert len(receiver.requests) == 1


def test_a_duplicate_attempt_does_nothing(receiver, make_webhook):
    make_webhook(receiver.url)
    delivery = queue_deliveries(event())[0]
    assert attempt_delivery(delivery.pk, 1) is not None
    assert attempt_delivery(delivery.pk, 1) is None
    assert attempt_delivery(delivery.pk, 2) is None  # already delivered
    assert len(receiver.requests) == 1


def test_redirects_are_not_followed_and_count_as_failures(receiver, make_webhook, connections):
    receiver.statuses = [302]
    receiver.location = "http://169.254.169.254/latest/meta-data"
    make_webhook(receiver.url + "/moved")
    delivery = queue_deliveries(event())[0]
    delivery = attempt_delivery(delivery.pk, 1)
    assert [r.path for r in receiver.requests] == ["/moved"]
    assert len(connections) == 1
    assert (delivery.state, delivery.last_status_code) == (State.FAILED, 302)
    assert "not followed" in delivery.last_error
    assert "169.254.169.254" in delivery.tries.get().error


def test_a_private_address_after_a_dns_change_is_refused_at_delivery(
    make_webhook, dns, connections
):
    dns["hooks.example.com"] = ["93.184.216.34"]
    make_webhook("https://hooks.example.com/norma")
    delivery = queue_deliveries(event())[0]
    dns["hooks.example.com"] = ["10.0.0.7"]
    delivery = attempt_delivery(delivery.pk, 1)
    assert connections == []
    attempt = delivery.tries.get()
    assert not attempt.sent and attempt.status_code is None
    assert "10.0.0.7" in attempt.error and "private" in attempt.error
    assert delivery.state == State.FAILED
    assert delivery.last_error.startswith("Not sent")


def test_an_unreachable_receiver_is_logged_as_a_failed_attempt(make_webhook, settings):
    settings.NORMA_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    make_webhook(f"http://127.0.0.1:{port}/")
    delivery = attempt_delivery(queue_deliveries(event())[0].pk, 1)
    assert delivery.state == State.FAILED
    assert "Connection" in delivery.tries.get().error


def test_a_receiver_error_never_breaks_the_change_that_triggered_it(
    make_webhook, monkeypatch, quality_manager, django_capture_on_commit_callbacks, dns
):
    dns["hooks.example.com"] = ["93.184.216.34"]
    make_webhook("https://hooks.example.com/")

    def broken(*args, **kwargs):
        raise RuntimeError("queue is down")

    monkeypatch.setattr("norma.webhooks.receivers.create_delivery", broken)
    with django_capture_on_commit_callbacks(execute=True):
        process = make_process(quality_manager, title="Still saved")
    assert process.pk and not WebhookDelivery.objects.exists()


def test_the_test_event_is_signed_and_logged(
    run_worker, receiver, make_webhook, quality_manager, django_capture_on_commit_callbacks
):
    webhook = make_webhook(receiver.url, active=False)
    with django_capture_on_commit_callbacks(execute=True):
        SendTestEvent(quality_manager, webhook).execute()
    run_worker()
    request = receiver.requests[0]
    assert request.headers["X-Norma-Event"] == "webhook.test"
    timestamp = request.headers["X-Norma-Timestamp"]
    assert request.headers["X-Norma-Signature"] == expected_signature(
        webhook.secret, timestamp, request.body
    )
    assert json.loads(request.body)["actor"] == quality_manager.full_name
    entry = ChangeLogEntry.objects.filter(action="send_test").get()
    assert entry.object_type == "webhooks.webhook" and entry.actor_id == quality_manager.pk


@pytest.mark.parametrize("status", [200, 201, 204])
def test_any_2xx_answer_is_a_success(receiver, make_webhook, status):
    receiver.statuses = [status]
    make_webhook(receiver.url)
    delivery = attempt_delivery(queue_deliveries(event())[0].pk, 1)
    assert delivery.state == State.SUCCEEDED
