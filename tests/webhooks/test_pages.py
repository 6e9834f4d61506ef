"""The quality manager's webhook pages: who may open them, forms, secret, change log."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from norma.core.models import ChangeLogEntry
from norma.webhooks.models import Webhook, WebhookDelivery
from norma.webhooks.receivers import queue_deliveries
from tests.conftest import PERSONAS


@pytest.fixture(autouse=True)
def names(dns):
    dns["hooks.example.com"] = ["93.184.216.34"]
    return dns


@pytest.fixture
def webhook(make_webhook):
    return make_webhook("https://hooks.example.com/norma", name="ERP")


@pytest.fixture
def delivery(webhook):
    return queue_deliveries({"type": "record.created", "reference": "PRC-2026-0001"})[0]


def form(**changes):
    data = {
        "name": "ERP",
        "url": "https://hooks.example.com/norma",
        "event_types": ["record.created", "record.state_changed"],
        "active": "on",
    }
    return {**data, **changes}


def log_entries(webhook, action):
    return ChangeLogEntry.objects.filter(
        object_type="webhooks.webhook", object_id=str(webhook.pk), action=action
    )


GET_PAGES = ["/webhooks/", "/webhooks/new/", "/webhooks/{hook}/", "/webhooks/{hook}/edit/"]
GET_PAGES += ["/webhooks/deliveries/", "/webhooks/deliveries/{delivery}/"]
POST_PAGES = ["/webhooks/{hook}/test/", "/webhooks/{hook}/rotate-secret/"]


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_only_the_quality_manager_reaches_the_webhook_pages(
    client_for, persona, request, webhook, delivery
):
    allowed = request.node.callspec.params["persona"] == "quality_manager"
    client = client_for(persona)
    for page in GET_PAGES:
        url = page.format(hook=webhook.pk, delivery=delivery.pk)
        assert client.get(url).status_code == (200 if allowed else 403), url
    for page in POST_PAGES:
        url = page.format(hook=webhook.pk)
        assert client.post(url).status_code == (302 if allowed else 403), url
    response = client.post("/webhooks/new/", form(name="Sneaky"))
    assert response.status_code == (302 if allowed else 403)
    assert Webhook.objects.filter(name="Sneaky").exists() == allowed


def test_anonymous_visitors_are_sent_to_sign_in(webhook):
    for page in ["/webhooks/", f"/webhooks/{webhook.pk}/", "/webhooks/deliveries/"]:
        response = Client().get(page)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_the_form_offers_event_types_as_checkboxes(client_for, quality_manager):
    page = client_for(quality_manager).get("/webhooks/new/").content.decode()
    for code in ["record.created", "record.state_changed", "record.updated", "record.archived"]:
        assert f'type="checkbox" name="event_types" value="{code}"' in page


def test_creating_a_webhook_shows_its_secret_and_logs_it_without_the_secret(
    client_for, quality_manager
):
    client = client_for(quality_manager)
    response = client.post("/webhooks/new/", form())
    webhook = Webhook.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/webhooks/{webhook.pk}/"
    assert webhook.event_types == ["record.created", "record.state_changed"]
    assert webhook.created_by == quality_manager and webhook.active
    assert len(webhook.secret) > 40
    assert webhook.secret in client.get(response["Location"]).content.decode()
    entry = log_entries(webhook, "create").get()
    assert entry.actor_id == quality_manager.pk
    assert entry.after["url"] == "https://hooks.example.com/norma"
    assert entry.after["secret"] == webhook.secret_fingerprint
    assert webhook.secret not in str(entry.after)


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://127.0.0.1/", "loopback"),
        ("ftp://example.com/", "Only http:// and https://"),
        ("http://user:pass@example.com/", "user name or password"),
    ],
)
def test_an_unsafe_url_is_refused_on_the_form_with_a_field_error(
    client_for, quality_manager, url, message
):
    response = client_for(quality_manager).post("/webhooks/new/", form(url=url))
    assert response.status_code == 422
    errors = response.context["form"].errors["url"]
    assert message in errors[0]
    assert escape(errors[0]) in response.content.decode()
    assert not Webhook.objects.exists()
    assert not ChangeLogEntry.objects.filter(object_type="webhooks.webhook").exists()


def test_a_form_without_events_is_refused(client_for, quality_manager):
    data = form()
    del data["event_types"]
    response = client_for(quality_manager).post("/webhooks/new/", data)
    assert response.status_code == 422
    assert "Choose at least one event." in response.content.decode()


def test_editing_logs_before_and_after(client_for, quality_manager, webhook):
    client = client_for(quality_manager)
    data = form(name="ERP (prod)", event_types=["record.archived"], version=1)
    del data["active"]
    assert client.post(f"/webhooks/{webhook.pk}/edit/", data).status_code == 302
    webhook.refresh_from_db()
    assert (webhook.name, webhook.active, webhook.version) == ("ERP (prod)", False, 2)
    entry = log_entries(webhook, "update").get()
    changed = {name for name, _, _ in entry.changed_fields()}
    assert {"name", "active", "event_types", "version"} <= changed
    assert "secret" not in changed


def test_a_stale_edit_is_refused_and_overwrites_nothing(client_for, quality_manager, webhook):
    client = client_for(quality_manager)
    first = client.post(f"/webhooks/{webhook.pk}/edit/", form(name="First", version=1))
    assert first.status_code == 302
    response = client.post(f"/webhooks/{webhook.pk}/edit/", form(name="Second", version=1))
    assert response.status_code == 409
    assert "Your edit was not saved" in response.content.decode()
    webhook.refresh_from_db()
    assert (webhook.name, webhook.version) == ("First", 2)


def test_rotating_the_secret_replaces_it_and_logs_the_fingerprints(
    client_for, quality_manager, webhook
):
    old = webhook.secret_fingerprint
    client_for(quality_manager).post(f"/webhooks/{webhook.pk}/rotate-secret/")
    webhook.refresh_from_db()
    entry = log_entries(webhook, "rotate_secret").get()
    assert (entry.before["secret"], entry.after["secret"]) == (old, webhook.secret_fingerprint)
    assert old != webhook.secret_fingerprint


def test_the_test_button_queues_a_test_delivery(
    client_for, quality_manager, webhook, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(quality_manager).post(f"/webhooks/{webhook.pk}/test/", follow=True)
    assert "test event is on its way" in response.content.decode()
    assert WebhookDelivery.objects.get().event_type == "webhook.test"
    assert len(callbacks) >= 1  # the delivery is enqueued once the action commits
    assert log_entries(webhook, "send_test").exists()


def test_the_pages_show_deliveries_and_their_attempts(client_for, quality_manager, delivery, dns):
    from norma.webhooks.delivery import attempt_delivery

    dns["hooks.example.com"] = ["10.0.0.7"]  # refused before sending: nothing leaves
    attempt_delivery(delivery.pk, 1)
    client = client_for(quality_manager)
    listing = client.get("/webhooks/").content.decode()
    assert "ERP" in listing and "record.created" in listing
    log = client.get("/webhooks/deliveries/?state=failed").content.decode()
    assert f"/webhooks/deliveries/{delivery.pk}/" in log
    assert (
        f"/webhooks/deliveries/{delivery.pk}/"
        not in client.get("/webhooks/deliveries/?state=succeeded").content.decode()
    )
    detail = client.get(f"/webhooks/deliveries/{delivery.pk}/").content.decode()
    assert str(delivery.uuid) in detail and "PRC-2026-0001" in detail
    assert "resolves to 10.0.0.7, a private network address" in detail
    assert "No: refused" in detail


def count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/webhooks/", "/webhooks/deliveries/", "/webhooks/{hook}/"])
def test_page_queries_do_not_grow_with_deliveries(
    client_for, quality_manager, make_webhook, webhook, url
):
    client = client_for(quality_manager)
    url = url.format(hook=webhook.pk)
    event = {"type": "record.created", "reference": "PRC-2026-0001"}
    queue_deliveries(event)
    client.get(url)
    few = count_queries(client, url)
    make_webhook("https://hooks.example.com/other", name="Other")
    for _ in range(15):
        queue_deliveries(event)
    assert count_queries(client, url) == few
