"""URL safety: only public http(s) targets, checked on every address the host resolves to."""

import pytest
from django.core.exceptions import ValidationError

from norma.core.actions import InvalidInput
from norma.core.models import ChangeLogEntry
from norma.webhooks.actions import CreateWebhook, UpdateWebhook
from norma.webhooks.models import Webhook
from norma.webhooks.safety import UnsafeURL, forbidden_reason, resolve, validate_webhook_url

REFUSED = {
    "http://127.0.0.1/": "loopback",
    "http://localhost/": "loopback",
    "http://10.0.0.5/": "private",
    "http://192.168.1.1/": "private",
    "http://172.16.4.2:8080/hook": "private",
    "http://169.254.169.254/latest/meta-data": "169.254.169.254",
    "http://[::1]/": "loopback",
    "http://[::ffff:127.0.0.1]/": "loopback",
    "http://[::ffff:a9fe:a9fe]/": "link-local",
    "http://[64:ff9b::a00:1]/": "private",
    "http://[fd00::1]/": "private",
    "http://[fe80::1]/": "link-local",
    "http://0.0.0.0/": "unspecified",
    "http://2130706433/": "loopback",
    "http://0x7f.1/": "loopback",
    "http://224.0.0.1/": "multicast",
    "http://240.0.0.1/": "reserved",
    "http://100.64.0.1/": "not a public",
    "ftp://example.com/": "Only http:// and https://",
    "file:///etc/passwd": "Only http:// and https://",
    "http://user:pass@example.com/": "user name or password",
    "http://user@example.com/": "user name or password",
    "http://intranet.example.com/": "resolves to 10.1.2.3, a private network address",
    "http://mixed.example.com/": "resolves to 10.9.9.9",
    "http://nowhere.example.com/": "could not be resolved",
    "http://example.com:99999/": "not a valid URL",
}


@pytest.fixture(autouse=True)
def names(dns):
    dns["intranet.example.com"] = ["10.1.2.3"]
    dns["mixed.example.com"] = ["93.184.216.34", "10.9.9.9"]
    dns["hooks.example.com"] = ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]
    return dns


@pytest.mark.parametrize("url", list(REFUSED))
def test_unsafe_urls_are_refused_with_a_clear_reason(url):
    with pytest.raises(UnsafeURL) as refused:
        resolve(url)
    assert REFUSED[url] in str(refused.value)


@pytest.mark.parametrize("url", list(REFUSED))
def test_unsafe_urls_are_refused_when_a_webhook_is_saved(quality_manager, url):
    data = {"name": "Bad", "url": url, "event_types": ["record.created"]}
    with pytest.raises(InvalidInput) as refused:
        CreateWebhook(quality_manager, data=data).execute()
    assert "url" in refused.value.errors
    assert not Webhook.objects.exists()
    assert not ChangeLogEntry.objects.filter(object_type="webhooks.webhook").exists()


def test_a_public_host_is_accepted_and_pinned_to_its_addresses():
    target = resolve("https://hooks.example.com/in?x=1#frag")
    assert (target.scheme, target.host, target.port, target.path) == (
        "https",
        "hooks.example.com",
        443,
        "/in?x=1",
    )
    assert [sockaddr[0] for _, sockaddr in target.addresses] == [
        "93.184.216.34",
        "2606:2800:220:1:248:1893:25c8:1946",
    ]


def test_public_addresses_have_no_forbidden_reason():
    assert forbidden_reason("93.184.216.34") is None
    assert forbidden_reason("2606:4700:4700::1111") is None
    assert "metadata" in forbidden_reason("169.254.169.254")


def test_private_targets_are_allowed_only_when_the_settings_say_so(settings, quality_manager):
    data = {
        "name": "Internal",
        "url": "http://intranet.example.com/",
        "event_types": ["record.created"],
    }
    settings.NORMA_WEBHOOK_ALLOWED_HOSTS = ["Intranet.Example.com."]
    CreateWebhook(quality_manager, data=data).execute()
    with pytest.raises(ValidationError):
        validate_webhook_url("http://10.0.0.5/")  # only the named host is allowed
    settings.NORMA_WEBHOOK_ALLOWED_HOSTS = []
    settings.NORMA_WEBHOOK_ALLOW_PRIVATE = True
    validate_webhook_url("http://10.0.0.5/")
    validate_webhook_url("http://[::1]:8000/")
    with pytest.raises(ValidationError):
        validate_webhook_url("ftp://10.0.0.5/")  # the scheme rule still holds


def test_an_edit_to_a_private_address_is_refused_and_nothing_changes(quality_manager):
    data = {"name": "Hook", "url": "https://hooks.example.com/", "event_types": ["record.created"]}
    webhook = CreateWebhook(quality_manager, data=data).execute()
    with pytest.raises(InvalidInput) as refused:
        UpdateWebhook(quality_manager, webhook, data={"url": "http://192.168.1.1/"}).execute()
    assert "private" in refused.value.errors["url"][0]
    webhook.refresh_from_db()
    assert (webhook.url, webhook.version) == ("https://hooks.example.com/", 1)


def test_unknown_or_missing_event_types_are_refused(quality_manager):
    for events, message in [(["record.exploded"], "Unknown"), ([], "at least one")]:
        data = {"name": "Hook", "url": "https://hooks.example.com/", "event_types": events}
        with pytest.raises(InvalidInput) as refused:
            CreateWebhook(quality_manager, data=data).execute()
        assert message in refused.value.errors["event_types"][0]
