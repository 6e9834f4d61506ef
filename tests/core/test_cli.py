"""The `norma` commands: verify, createadmin and token."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from norma import cli
from norma.core.models import ApiToken, ChangeLogEntry, Person, RoleCode
from norma.core.models.tokens import hash_token
from tests.core.test_changelog import append_only_triggers_dropped
from tests.factories import make_process

STRONG = "Tangerine-Harbour-73"


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def logged(quality_manager):
    for title in ("Sales", "Purchasing", "Design"):
        make_process(quality_manager, title=title)
    return list(ChangeLogEntry.objects.order_by("id"))


@pytest.fixture
def tampered(logged):
    target = logged[1]
    with append_only_triggers_dropped():
        ChangeLogEntry.objects.filter(id=target.id).update(actor_name="Mallory")
    return target


# -- verify ------------------------------------------------------------------------------------


def test_verify_reports_an_intact_chain(logged):
    output = run("verify")
    assert "intact" in output
    assert f"{len(logged)} entries" in output


def test_verify_exits_1_naming_the_altered_entry(tampered):
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("verify", stdout=out)
    assert exited.value.code == 1
    assert f"#{tampered.id}" in out.getvalue()
    assert "BROKEN" in out.getvalue()


def test_norma_verify_exits_0_on_an_intact_chain(logged, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["verify"])
    assert exited.value.code == 0
    assert "intact" in capsys.readouterr().out


def test_norma_verify_exits_1_naming_the_altered_entry(tampered, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["verify"])
    assert exited.value.code == 1
    assert f"#{tampered.id}" in capsys.readouterr().out


# -- createadmin ---------------------------------------------------------------------------------


def test_createadmin_creates_a_quality_manager_superuser(db):
    output = run("createadmin", "--email", "Admin@Example.com", "--password", STRONG)
    admin = Person.objects.get(email="admin@example.com")
    assert "admin@example.com" in output
    assert admin.is_superuser and admin.is_staff and admin.is_active
    assert admin.has_role(RoleCode.QUALITY_MANAGER)
    assert admin.check_password(STRONG)


def test_createadmin_is_logged_without_the_password(db):
    run("createadmin", "--email", "admin@example.com", "--password", STRONG, "--name", "Ann Admin")
    entry = ChangeLogEntry.objects.order_by("-id").first()
    assert (entry.action, entry.actor_name) == ("person.create", "norma createadmin")
    assert entry.after["email"] == "admin@example.com"
    assert "password" not in entry.after
    assert STRONG not in str(entry.after)


@pytest.mark.parametrize("weak", ["password", "12345678901", "short", "admin@example.com"])
def test_createadmin_refuses_a_weak_password(db, weak):
    with pytest.raises(CommandError, match="Password refused"):
        run("createadmin", "--email", "admin@example.com", "--password", weak)
    assert not Person.objects.filter(email="admin@example.com").exists()


def test_createadmin_refuses_a_duplicate_email(quality_manager):
    with pytest.raises(CommandError, match="already exists"):
        run("createadmin", "--email", quality_manager.email.upper(), "--password", STRONG)
    assert Person.objects.filter(email__iexact=quality_manager.email).count() == 1


# -- tokens --------------------------------------------------------------------------------------


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_token_create_prints_a_working_token_as_the_last_line(quality_manager):
    output = run("token", "create", "--user", quality_manager.email, "--name", "ci")
    raw = output.strip().splitlines()[-1]
    assert raw.startswith("norma_")
    assert bearer(raw).get("/api/v1/standards/").status_code == 200


def test_token_create_stores_only_a_hash_and_logs_the_issue(quality_manager):
    raw = run("token", "create", "--user", quality_manager.email).strip().splitlines()[-1]
    token = ApiToken.objects.get(person=quality_manager)
    assert token.token_hash == hash_token(raw) != raw
    entry = ChangeLogEntry.objects.order_by("-id").first()
    assert entry.action == "token.create"
    assert raw not in str(entry.after)


def test_norma_token_create_prints_the_token_last(quality_manager, capsys):
    cli.main(["token", "create", "--user", quality_manager.email])
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    assert bearer(raw).get("/api/v1/standards/").status_code == 200


def test_a_wrong_token_is_refused(quality_manager):
    run("token", "create", "--user", quality_manager.email)
    assert bearer("norma_not-a-real-token").get("/api/v1/standards/").status_code == 401


def test_token_revoke_stops_the_token_working(quality_manager):
    raw = run("token", "create", "--user", quality_manager.email, "--name", "ci")
    raw = raw.strip().splitlines()[-1]
    output = run("token", "revoke", "--user", quality_manager.email, "--name", "ci")
    assert "Revoked 1" in output
    assert ApiToken.objects.get(person=quality_manager).revoked_at is not None
    assert bearer(raw).get("/api/v1/standards/").status_code == 401
    assert ChangeLogEntry.objects.order_by("-id").first().action == "token.revoke"


def test_token_revoke_leaves_other_tokens_alone(quality_manager):
    run("token", "create", "--user", quality_manager.email, "--name", "ci")
    keep = run("token", "create", "--user", quality_manager.email, "--name", "laptop")
    run("token", "revoke", "--user", quality_manager.email, "--name", "ci")
    assert bearer(keep.strip().splitlines()[-1]).get("/api/v1/standards/").status_code == 200


def test_token_for_an_unknown_person_is_refused(db):
    with pytest.raises(CommandError, match="No person"):
        run("token", "create", "--user", "ghost@example.com")


def test_token_create_refuses_zero_expiry_days(quality_manager):
    with pytest.raises(CommandError, match="1 or more"):
        run("token", "create", "--user", quality_manager.email, "--expires-days", "0")
    assert not ApiToken.objects.exists()


def test_norma_token_create_refuses_zero_expiry_days(quality_manager, capsys):
    """`norma token create --expires-days 0` must not quietly make a token that never expires."""
    with pytest.raises((CommandError, SystemExit)):
        cli.main(["token", "create", "--user", quality_manager.email, "--expires-days", "0"])
    assert not ApiToken.objects.filter(expires_at__isnull=True).exists()
