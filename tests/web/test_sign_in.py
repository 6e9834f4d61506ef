"""Signing in and out, lockout, time-boxed access, password change, second factor, API tokens."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from norma.core.models import ApiToken, Role, RoleCode
from norma.core.models.tokens import hash_token
from tests.factories import PASSWORD

NEW_PASSWORD = "a-much-longer-secret-42"
TWO_FACTOR = "/account/two-factor/"


def sign_in(person, password=PASSWORD, client=None, **kwargs):
    client = client or Client()
    response = client.post("/login/", {"username": person.email, "password": password}, **kwargs)
    return client, response


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def code_for(device, drift=0) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift)
    return f"{value:0{device.digits}d}"


def wrong_code_for(device) -> str:
    valid = {code_for(device, drift) for drift in range(-2, 3)}
    return next(c for c in ("000000", "123456", "999999", "424242") if c not in valid)


# -- password sign-in ----------------------------------------------------------------------
def test_email_and_password_sign_in(employee):
    client, response = sign_in(employee)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_as(client) == str(employee.pk)
    assert client.get("/").status_code == 200


def test_email_is_not_case_sensitive(employee):
    client = Client()
    client.post("/login/", {"username": employee.email.upper(), "password": PASSWORD})
    assert signed_in_as(client) == str(employee.pk)


def test_wrong_password_shows_an_error(employee):
    client, response = sign_in(employee, "not-the-password")
    assert response.status_code == 200
    assert signed_in_as(client) is None
    assert 'class="errors" role="alert"' in response.content.decode()


def test_repeated_failures_lock_the_account_even_with_the_right_password(employee):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(employee, "not-the-password", client)
    client, response = sign_in(employee, client=client)
    assert response.status_code in (403, 429)
    assert "Too many failed sign-ins" in response.content.decode()
    assert signed_in_as(client) is None


def test_failures_below_the_limit_do_not_lock(employee):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(employee, "not-the-password", client)
    client, response = sign_in(employee, client=client)
    assert response.status_code == 302
    assert signed_in_as(client) == str(employee.pk)


def test_person_whose_access_expired_cannot_sign_in(external_auditor):
    external_auditor.access_expires_at = timezone.now() - timedelta(minutes=1)
    external_auditor.save()
    client, response = sign_in(external_auditor)
    assert response.status_code == 200
    assert signed_in_as(client) is None
    assert 'role="alert"' in response.content.decode()


def test_open_session_ends_when_access_expires(client_for, external_auditor):
    client = client_for(external_auditor)
    assert client.get("/planning/processes/").status_code == 200
    external_auditor.access_expires_at = timezone.now() - timedelta(seconds=1)
    external_auditor.save()
    response = client.get("/planning/processes/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_person_with_future_expiry_can_sign_in(external_auditor):
    external_auditor.access_expires_at = timezone.now() + timedelta(days=5)
    external_auditor.save()
    client, _ = sign_in(external_auditor)
    assert signed_in_as(client) == str(external_auditor.pk)


def test_sign_out_ends_the_session(employee):
    client, _ = sign_in(employee)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert signed_in_as(client) is None
    assert client.get("/").status_code == 302


def test_password_change_keeps_me_signed_in_and_replaces_the_old_password(client_for, employee):
    client = client_for(employee)
    response = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/password/done/"
    assert client.get("/").status_code == 200
    employee.refresh_from_db()
    assert employee.check_password(NEW_PASSWORD)
    assert signed_in_as(sign_in(employee, PASSWORD)[0]) is None
    assert signed_in_as(sign_in(employee, NEW_PASSWORD)[0]) == str(employee.pk)


def test_password_change_needs_the_current_password(client_for, employee):
    response = client_for(employee).post(
        "/account/password/",
        {"old_password": "wrong-one", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    employee.refresh_from_db()
    assert employee.check_password(PASSWORD)


@pytest.mark.parametrize(
    "page, heading",
    [
        ("/account/password/", "Change your password"),
        ("/account/password/done/", "Password changed"),
    ],
)
def test_password_pages_are_norma_pages_not_the_admin_site(client_for, employee, page, heading):
    body = client_for(employee).get(page).content.decode()
    assert "Django site admin" not in body
    assert f"<h1>{heading}</h1>" in body
    assert 'href="/account/security/"' in body  # Norma's own top bar


# -- second factor -------------------------------------------------------------------------
@pytest.fixture
def device(employee):
    return TOTPDevice.objects.create(user=employee, name="Phone", confirmed=True)


def test_person_with_an_authenticator_is_asked_for_a_code_after_sign_in(employee, device):
    client, response = sign_in(employee, follow=True)
    assert response.redirect_chain[-1][0].startswith(TWO_FACTOR)
    assert "Enter your code" in response.content.decode()
    assert client.get("/planning/processes/")["Location"].startswith(TWO_FACTOR)


def test_a_valid_code_lets_them_in(employee, device):
    client, _ = sign_in(employee)
    response = client.post(TWO_FACTOR, {"otp_token": code_for(device), "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_wrong_code_keeps_them_out(employee, device):
    client, _ = sign_in(employee)
    response = client.post(TWO_FACTOR, {"otp_token": wrong_code_for(device), "next": "/"})
    assert response.status_code == 200
    assert "That code is not valid" in response.content.decode()
    assert client.get("/")["Location"].startswith(TWO_FACTOR)


def test_session_without_the_code_cannot_create_api_tokens(employee, device):
    """Otherwise a stolen password alone would mint a token that skips the second factor."""
    client, _ = sign_in(employee)
    response = client.post("/account/security/", {"name": "Backdoor", "expires_in_days": ""})
    assert response.status_code == 302
    assert response["Location"].startswith(TWO_FACTOR)
    assert not ApiToken.objects.filter(person=employee).exists()


def test_role_that_requires_two_factor_sends_a_person_without_a_device_to_enrol(employee):
    Role.objects.filter(code=RoleCode.EMPLOYEE).update(require_two_factor=True)
    client, response = sign_in(employee, follow=True)
    assert response.redirect_chain[-1][0].startswith(TWO_FACTOR)
    page = response.content.decode()
    assert "Set up your authenticator app" in page
    assert 'src="data:image/svg+xml;base64,' in page

    pending = TOTPDevice.objects.get(user=employee, confirmed=False)
    response = client.post(TWO_FACTOR, {"otp_token": code_for(pending), "next": "/"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.confirmed
    assert client.get("/").status_code == 200


def test_role_without_the_requirement_does_not_ask_for_a_code(employee):
    client, _ = sign_in(employee)
    assert client.get("/").status_code == 200


# -- API tokens ----------------------------------------------------------------------------
def create_token(client, name="CI pipeline", days="30"):
    response = client.post("/account/security/", {"name": name, "expires_in_days": days})
    assert response.status_code == 200
    match = re.search(r"<code>(norma_[\w-]+)</code>", response.content.decode())
    assert match, "the new token is shown"
    return match.group(1)


def api_status(raw: str) -> int:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/planning/processes/").status_code


def test_security_page_shows_a_new_token_once_and_stores_only_its_hash(client_for, employee):
    client = client_for(employee)
    raw = create_token(client)
    token = ApiToken.objects.get(person=employee)
    assert token.name == "CI pipeline"
    assert token.token_hash == hash_token(raw)
    assert raw not in {token.name, token.prefix, token.token_hash}
    assert raw.startswith(token.prefix)
    assert token.expires_at > timezone.now() + timedelta(days=29)
    page = client.get("/account/security/").content.decode()
    assert raw not in page
    assert token.prefix in page
    assert api_status(raw) == 200


def test_revoking_a_token_stops_it_working(client_for, employee):
    client = client_for(employee)
    raw = create_token(client)
    token = ApiToken.objects.get(person=employee)
    response = client.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert response["Location"] == "/account/security/"
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_status(raw) == 401
    assert "Revoked" in client.get("/account/security/").content.decode()


def test_nobody_can_revoke_another_persons_token(client_for, employee, process_owner):
    raw = create_token(client_for(employee))
    token = ApiToken.objects.get(person=employee)
    client_for(process_owner).post(f"/account/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is None
    assert api_status(raw) == 200


def test_revoking_needs_a_post(client_for, employee):
    create_token(client_for(employee))
    token = ApiToken.objects.get(person=employee)
    assert client_for(employee).get(f"/account/tokens/{token.pk}/revoke/").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None
