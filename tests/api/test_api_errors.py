"""Bad input: one error shape, the field named, nothing written, never a server error."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from norma.standards.models import Clause
from tests.api import PROCESSES, VALID, assert_error, record_url, send, written
from tests.factories import PASSWORD, PersonFactory, make_process


@pytest.fixture
def api(api_for, quality_manager):
    return api_for(quality_manager)


@pytest.fixture
def lenient(api):
    """The same client, answering a crash with a 500 response instead of raising it."""
    api.client.raise_request_exception = False
    return api


def test_malformed_json_is_400_in_the_error_shape_and_nothing_is_written(api):
    before = written()
    assert_error(send(api, "post", PROCESSES, '{"title": "Unclosed'), 400)
    assert written() == before


def test_malformed_json_on_patch_is_400_and_the_record_is_unchanged(api, quality_manager):
    process = make_process(quality_manager, title="Kept")
    assert_error(send(api, "patch", record_url(process.reference), "{title: x}", '"1"'), 400)
    process.refresh_from_db()
    assert (process.title, process.version) == ("Kept", 1)


BAD_CREATE_BODIES = [
    pytest.param({**VALID, "title": 42}, "title", id="title-as-number"),
    pytest.param({**VALID, "title": ["a"]}, "title", id="title-as-list"),
    pytest.param({"process_type": "core"}, "title", id="title-missing"),
    pytest.param({**VALID, "title": ""}, "title", id="title-empty"),
    pytest.param({**VALID, "title": "x" * 251}, "title", id="title-too-long"),
    pytest.param({**VALID, "title": "nul\x00byte"}, "title", id="title-with-nul"),
    pytest.param({**VALID, "owner": "abc"}, "owner", id="owner-not-an-id"),
    pytest.param({**VALID, "owner": 1.5}, "owner", id="owner-fractional"),
    pytest.param({**VALID, "owner": 987654}, "owner", id="owner-does-not-exist"),
    pytest.param({**VALID, "owner": 2**70}, "owner", id="owner-huge"),
    pytest.param({**VALID, "site": -1}, "site", id="site-does-not-exist"),
    pytest.param({**VALID, "due_date": "not-a-date"}, "due_date", id="due-date-not-a-date"),
    pytest.param({**VALID, "due_date": "2026-02-30"}, "due_date", id="due-date-impossible"),
    pytest.param({**VALID, "process_type": "weird"}, "process_type", id="unknown-choice"),
    pytest.param({**VALID, "clauses": ["iso9001-2015:99.9"]}, "clauses", id="clause-unknown"),
    pytest.param({**VALID, "clauses": "iso9001-2015:4.4"}, "clauses", id="clauses-not-a-list"),
    pytest.param({**VALID, "colour": "blue"}, "colour", id="unknown-field"),
]


@pytest.mark.parametrize("body, field", BAD_CREATE_BODIES)
def test_bad_create_input_is_422_naming_the_field_and_nothing_is_written(api, body, field):
    before = written()
    assert_error(send(api, "post", PROCESSES, body), 422, field)
    assert written() == before


def test_an_inactive_person_cannot_be_made_owner(api, db):
    gone = PersonFactory(is_active=False)
    before = written()
    assert_error(send(api, "post", PROCESSES, {**VALID, "owner": gone.pk}), 422, "owner")
    assert written() == before


@pytest.mark.parametrize("body", ["[1, 2]", "null", '"text"', "42"])
def test_a_body_that_is_not_an_object_is_refused_in_the_error_shape(api, body):
    before = written()
    response = send(api, "post", PROCESSES, body)
    assert response.status_code in (400, 422)
    assert_error(response, response.status_code)
    assert written() == before


@pytest.mark.parametrize(
    "body, field",
    [({"owner": "abc"}, "owner"), ({"due_date": "soon"}, "due_date"), ({"title": None}, "title")],
)
def test_bad_patch_input_is_422_naming_the_field_and_the_record_is_unchanged(
    api, quality_manager, body, field
):
    process = make_process(quality_manager, title="Kept")
    before = written()
    assert_error(send(api, "patch", record_url(process.reference), body, '"1"'), 422, field)
    process.refresh_from_db()
    assert (process.title, process.version) == ("Kept", 1)
    assert written() == before


@pytest.mark.parametrize(
    "query, field",
    [("status=zzz", "status"), ("owner=abc", "owner"), ("site=-1", "site"), ("page=x", "page")],
)
def test_bad_list_parameters_are_422_naming_them(api, query, field):
    assert_error(api.get(f"{PROCESSES}?{query}"), 422, field)


@pytest.mark.parametrize("method", ["delete", "put"])
def test_delete_and_put_on_a_record_are_405_and_the_record_stays(api, quality_manager, method):
    process = make_process(quality_manager, title="Kept")
    response = send(api, method, record_url(process.reference), {"title": "X"}, '"1"')
    assert_error(response, 405)
    process.refresh_from_db()
    assert (process.title, process.version, process.archived_at) == ("Kept", 1, None)


def test_archive_without_if_match_is_428_and_nothing_is_archived(api, quality_manager):
    process = make_process(quality_manager, title="Kept")
    path = record_url(process.reference, "/archive")
    assert_error(send(api, "post", path, {"reason": "Merged"}), 428)
    process.refresh_from_db()
    assert process.archived_at is None


@pytest.mark.parametrize("body", [{}, {"reason": ""}])
def test_archive_without_a_reason_is_422_naming_reason(api, quality_manager, body):
    process = make_process(quality_manager, title="Kept")
    path = record_url(process.reference, "/archive")
    assert_error(send(api, "post", path, body, '"1"'), 422, "reason")
    process.refresh_from_db()
    assert process.archived_at is None


@pytest.mark.parametrize("etag, status", [(None, 428), ('"5"', 412), ('"x"', 412)])
def test_approve_without_the_current_etag_is_refused(
    api_for, process_owner, top_manager, etag, status
):
    process = make_process(process_owner, title="Kept", owner=process_owner)
    path = record_url(process.reference, "/actions/approve")
    response = send(api_for(top_manager), "post", path, {"password": PASSWORD}, etag)
    assert_error(response, status)
    process.refresh_from_db()
    assert (process.status, process.version) == ("draft", 1)


# -- text a database cannot store ----------------------------------------------------------
# JSON may carry a lone surrogate ("\ud800"); it is not valid UTF-8 and must not reach SQL.

SURROGATE = '"\\ud800"'


def test_a_lone_surrogate_in_a_created_title_is_refused_not_a_server_error(lenient):
    before = written()
    body = '{"title": ' + SURROGATE + ', "process_type": "core"}'
    response = send(lenient, "post", PROCESSES, body)
    assert response.status_code < 500, response.status_code
    assert_error(response, response.status_code)
    assert written() == before


def test_a_lone_surrogate_in_a_patched_title_is_refused_not_a_server_error(
    lenient, quality_manager
):
    process = make_process(quality_manager, title="Kept")
    body = '{"title": ' + SURROGATE + "}"
    response = send(lenient, "patch", record_url(process.reference), body, '"1"')
    assert response.status_code < 500, response.status_code
    process.refresh_from_db()
    assert (process.title, process.version) == ("Kept", 1)


def test_a_lone_surrogate_in_an_archive_reason_is_refused_not_a_server_error(
    lenient, quality_manager
):
    process = make_process(quality_manager, title="Kept")
    path = record_url(process.reference, "/archive")
    response = send(lenient, "post", path, '{"reason": ' + SURROGATE + "}", '"1"')
    assert response.status_code < 500, response.status_code
    process.refresh_from_db()
    assert process.archived_at is None


# -- the published schema ------------------------------------------------------------------


def test_openapi_json_lists_the_process_and_standards_operations(api):
    response = api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/planning/processes/"])
    assert {"get", "patch"} <= set(paths["/api/v1/planning/processes/{reference}"])
    assert "post" in paths["/api/v1/planning/processes/{reference}/actions/{code}"]
    assert "get" in paths["/api/v1/standards/"]
    assert "get" in paths["/api/v1/standards/{slug}/clauses/{ref}"]
    assert "get" in paths["/api/v1/readiness"]
    assert schema["components"]["schemas"]["ProcessIn"]["additionalProperties"] is False


def test_api_docs_page_answers_200(api):
    response = api.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


# -- property: no body makes the create endpoint fail on the server -------------------------

# Any code point JSON can carry, with extra weight on characters that trip parsers and
# databases: NUL, lone surrogates ("\\ud800" is valid JSON, not valid UTF-8), BOM, quotes.
HOSTILE = ["\x00", "\ud800", "\udfff", "\u2028", "\ufeff", "'", '"', "\\", "="]
CHARS = st.sampled_from(HOSTILE) | st.characters(exclude_categories=())


def text(**kwargs):
    # st.text() would merge CHARS into one range of code points and lose the weighting.
    return st.lists(CHARS, **kwargs).map("".join)


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | text(max_size=30)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
CLAUSE_KEYS = ["iso9001-2015:4.4", "iso9001-2015:8.5.1", "iso9001-2015:0", ""]
FIELDS = {
    "title": text(max_size=300) | JSON,
    "process_type": st.sampled_from(["core", "management", "support", "CORE"]) | JSON,
    "owner": st.integers(min_value=-3, max_value=10) | st.integers() | JSON,
    "site": st.integers(min_value=-3, max_value=10) | JSON,
    "department": st.integers(min_value=-3, max_value=10) | JSON,
    "purpose": text() | JSON,
    "due_date": st.dates().map(lambda d: d.isoformat()) | text(max_size=12) | JSON,
    "clauses": st.lists(st.sampled_from(CLAUSE_KEYS) | text(max_size=20), max_size=4) | JSON,
}
OPTIONAL = {k: v for k, v in FIELDS.items() if k not in ("title", "process_type")}
NEARLY_VALID = st.fixed_dictionaries(
    {"title": text(min_size=1, max_size=250), "process_type": st.sampled_from(["core", "support"])},
    optional=OPTIONAL,
)
BODIES = (
    NEARLY_VALID
    | st.fixed_dictionaries({}, optional=FIELDS)
    | st.fixed_dictionaries({}, optional=FIELDS).flatmap(
        lambda known: st.dictionaries(text(max_size=12), JSON, max_size=3).map(
            lambda extra: {**extra, **known}
        )
    )
    | JSON
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=BODIES)
def test_random_json_bodies_never_make_create_answer_5xx(lenient, body):
    assert Clause.objects.exists()
    response = send(lenient, "post", PROCESSES, json.dumps(body))
    assert response.status_code < 500, (body, response.content)
    if response.status_code != 201:
        assert_error(response, response.status_code)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=st.binary(max_size=200))
def test_random_bytes_never_make_create_answer_5xx(lenient, raw):
    response = send(lenient, "post", PROCESSES, raw)
    assert response.status_code < 500, (raw, response.content)


def test_an_unknown_api_path_answers_404_in_the_error_shape(api):
    assert_error(api.get("/api/v1/no-such-register/"), 404)
