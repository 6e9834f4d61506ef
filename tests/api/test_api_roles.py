"""Who may call the API: bearer tokens, the role × operation matrix, and site scope."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from norma.core.models import ApiToken, RoleCode
from norma.core.models.tokens import hash_token
from norma.planning.models import Process
from tests.api import PROCESSES, VALID, assert_error, record_url, send, written
from tests.conftest import PERSONAS
from tests.factories import PASSWORD, PersonFactory, make_process

READERS = [p for p in PERSONAS if p != "nobody"]


def matrix(*allowed):
    return [(p, p in allowed) for p in PERSONAS]


@pytest.fixture
def author(db):
    """Writes and owns the process under test, so no persona is its author or owner."""
    return PersonFactory(full_name="Ann Author", roles=[RoleCode.PROCESS_OWNER])


@pytest.fixture
def process(author):
    return make_process(author, title="Sales", owner=author)


# -- bearer tokens -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/standards/"),
        ("get", "/api/v1/readiness"),
        ("get", PROCESSES),
        ("post", PROCESSES),
    ],
)
def test_a_request_without_a_token_is_401_in_the_error_shape(client, db, method, path):
    before = written()
    response = getattr(client, method)(path, content_type="application/json")
    assert_error(response, 401)
    assert written() == before


@pytest.mark.parametrize(
    "header",
    ["Bearer norma_not-a-real-token", "Bearer ", "Token {raw}", "Basic {raw}", "{raw}"],
)
def test_a_wrong_or_malformed_authorization_header_is_401(client, employee, header):
    _, raw = ApiToken.issue(employee)
    response = client.get(PROCESSES, headers={"Authorization": header.format(raw=raw)})
    assert_error(response, 401)


def token_for(person, **fields):
    token, raw = ApiToken.issue(person)
    ApiToken.objects.filter(pk=token.pk).update(**fields)
    return raw


def get_with(client, raw):
    return client.get(PROCESSES, headers={"Authorization": f"Bearer {raw}"})


def test_a_revoked_token_is_401(client, employee):
    assert_error(get_with(client, token_for(employee, revoked_at=timezone.now())), 401)


def test_an_expired_token_is_401_and_an_unexpired_one_works(client, employee):
    past, future = timezone.now() - timedelta(seconds=1), timezone.now() + timedelta(hours=1)
    assert_error(get_with(client, token_for(employee, expires_at=past)), 401)
    assert get_with(client, token_for(employee, expires_at=future)).status_code == 200


def test_the_token_of_an_inactive_person_is_401(client, employee):
    raw = token_for(employee)
    employee.is_active = False
    employee.save()
    assert_error(get_with(client, raw), 401)


def test_the_token_of_a_person_whose_access_has_expired_is_401(client, external_auditor):
    raw = token_for(external_auditor)
    assert get_with(client, raw).status_code == 200
    external_auditor.access_expires_at = timezone.now() - timedelta(minutes=1)
    external_auditor.save()
    assert_error(get_with(client, raw), 401)


def test_a_token_is_stored_only_as_its_hash(employee):
    token, raw = ApiToken.issue(employee)
    token.refresh_from_db()
    assert token.token_hash == hash_token(raw)
    assert raw not in token.token_hash
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                assert not any(isinstance(v, str) and raw in v for v in row), table


def test_using_a_token_records_when_it_was_last_used(client, employee):
    token, raw = ApiToken.issue(employee)
    assert get_with(client, raw).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


# -- the role matrix ---------------------------------------------------------------------


@pytest.mark.parametrize("persona, allowed", matrix(*READERS), indirect=["persona"])
def test_who_may_list_and_read_processes(api_for, persona, allowed, process):
    api = api_for(persona)
    for path in (
        PROCESSES,
        record_url(process.reference),
        record_url(process.reference, "/history"),
    ):
        response = api.get(path)
        if allowed:
            assert response.status_code == 200, (path, response.content)
        else:
            assert_error(response, 403)


@pytest.mark.parametrize("persona, allowed", matrix(*READERS), indirect=["persona"])
def test_who_may_read_the_standards_and_readiness(api_for, persona, allowed):
    api = api_for(persona)
    for path in (
        "/api/v1/standards/",
        "/api/v1/standards/iso9001-2015/clauses/4.4",
        "/api/v1/readiness",
    ):
        response = api.get(path)
        if allowed:
            assert response.status_code == 200, (path, response.content)
        else:
            assert_error(response, 403)


def test_nobody_gets_403_for_an_unknown_reference_too(api_for, nobody):
    assert_error(api_for(nobody).get(record_url("PRC-1999-9999")), 403)


@pytest.mark.parametrize(
    "persona, allowed", matrix("quality_manager", "process_owner"), indirect=["persona"]
)
def test_who_may_create_a_process(api_for, persona, allowed):
    before = written()
    response = send(api_for(persona), "post", PROCESSES, VALID)
    if allowed:
        assert response.status_code == 201, response.content
        assert Process.objects.get(reference=response.json()["reference"]).created_by == persona
    else:
        assert_error(response, 403)
        assert written() == before


@pytest.mark.parametrize(
    "persona, allowed", matrix("quality_manager", "process_owner"), indirect=["persona"]
)
def test_who_may_edit_a_process(api_for, persona, allowed, process):
    response = send(api_for(persona), "patch", record_url(process.reference), {"title": "X"}, '"1"')
    process.refresh_from_db()
    if allowed:
        assert response.status_code == 200, response.content
        assert process.title == "X"
    else:
        assert_error(response, 403)
        assert (process.title, process.version) == ("Sales", 1)


@pytest.mark.parametrize("persona, allowed", matrix("quality_manager"), indirect=["persona"])
def test_who_may_archive_a_process(api_for, persona, allowed, process):
    path = record_url(process.reference, "/archive")
    response = send(api_for(persona), "post", path, {"reason": "Merged"}, '"1"')
    process.refresh_from_db()
    if allowed:
        assert response.status_code == 200, response.content
        assert process.archived_at is not None
    else:
        assert_error(response, 403)
        assert process.archived_at is None


@pytest.mark.parametrize(
    "persona, allowed", matrix("top_manager", "quality_manager"), indirect=["persona"]
)
def test_who_may_approve_a_process(api_for, persona, allowed, process):
    path = record_url(process.reference, "/actions/approve")
    response = send(api_for(persona), "post", path, {"password": PASSWORD}, '"1"')
    process.refresh_from_db()
    if allowed:
        assert response.status_code == 200, response.content
        assert process.status == "approved"
    else:
        assert_error(response, 403)
        assert (process.status, process.version) == ("draft", 1)


# -- site scope --------------------------------------------------------------------------


@pytest.fixture
def leeds_manager(leeds):
    return PersonFactory(
        full_name="Lee Leeds",
        roles=[RoleCode.QUALITY_MANAGER, RoleCode.TOP_MANAGEMENT],
        scope_sites=[leeds],
    )


@pytest.fixture
def sited(author, leeds, porto):
    return {
        "leeds": make_process(author, title="Leeds line", site=leeds),
        "porto": make_process(author, title="Porto line", site=porto),
        "everywhere": make_process(author, title="Company-wide"),
    }


def test_a_site_scoped_person_reads_their_site_and_company_wide_records(
    api_for, leeds_manager, sited
):
    api = api_for(leeds_manager)
    for key in ("leeds", "everywhere"):
        assert api.get(record_url(sited[key].reference)).status_code == 200


def test_a_site_scoped_person_gets_404_for_a_record_on_another_site(api_for, leeds_manager, sited):
    api, other = api_for(leeds_manager), sited["porto"]
    before = written()
    assert_error(api.get(record_url(other.reference)), 404)
    assert_error(api.get(record_url(other.reference, "/history")), 404)
    assert_error(send(api, "patch", record_url(other.reference), {"title": "X"}, '"1"'), 404)
    path = record_url(other.reference, "/archive")
    assert_error(send(api, "post", path, {"reason": "Gone"}, '"1"'), 404)
    path = record_url(other.reference, "/actions/approve")
    assert_error(send(api, "post", path, {"password": PASSWORD}, '"1"'), 404)
    other.refresh_from_db()
    assert (other.title, other.status, other.version, other.archived_at) == (
        "Porto line",
        "draft",
        1,
        None,
    )
    assert written() == before


def test_a_site_scoped_person_does_not_see_other_sites_in_lists_or_search(
    api_for, leeds_manager, sited, porto
):
    api = api_for(leeds_manager)
    refs = {r["reference"] for r in api.get(PROCESSES).json()["results"]}
    assert refs == {sited["leeds"].reference, sited["everywhere"].reference}
    assert api.get(f"{PROCESSES}?q={sited['porto'].reference}").json()["count"] == 0
    by_site = api.get(f"{PROCESSES}?site={porto.pk}")
    assert by_site.status_code == 422 or by_site.json()["count"] == 0


def test_a_site_scoped_person_cannot_create_a_record_on_another_site(api_for, leeds_manager, porto):
    before = written()
    response = send(api_for(leeds_manager), "post", PROCESSES, {**VALID, "site": porto.pk})
    assert response.status_code in (403, 422), response.content
    assert_error(response, response.status_code)
    assert written() == before


def test_a_site_scoped_person_cannot_move_a_record_to_another_site(
    api_for, leeds_manager, sited, porto
):
    mine = sited["leeds"]
    response = send(
        api_for(leeds_manager), "patch", record_url(mine.reference), {"site": porto.pk}, '"1"'
    )
    assert response.status_code in (403, 422), response.content
    mine.refresh_from_db()
    assert mine.site_id != porto.pk
    assert mine.version == 1
