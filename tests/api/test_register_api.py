"""The process register's generated endpoints: list, create, read, update, archive, actions."""

import re

import pytest

from norma.core.models import Signature
from norma.planning.actions import ApproveProcess
from norma.planning.models import Process
from tests.api import PROCESSES, VALID, assert_error, record_url, send, written
from tests.factories import PASSWORD, bulk_processes, make_process


@pytest.fixture
def api(api_for, quality_manager):
    return api_for(quality_manager)


@pytest.fixture
def draft(process_owner):
    """A draft process written and owned by the process owner, so others may approve it."""
    return make_process(process_owner, title="Sales", purpose="Win orders", owner=process_owner)


def listing(api, query=""):
    response = api.get(PROCESSES + query)
    assert response.status_code == 200, response.content
    return response.json()


def refs(api, query=""):
    return [r["reference"] for r in listing(api, query)["results"]]


def patch(api, record, body, etag=None):
    return send(api, "patch", record_url(record.reference), body, etag)


def archive(api, record, body, etag=None):
    return send(api, "post", record_url(record.reference, "/archive"), body, etag)


# -- list -------------------------------------------------------------------------------


def test_list_paginates_with_count_page_pages_and_results(api, db):
    bulk_processes(7)
    first = listing(api, "?page_size=3")
    assert (first["count"], first["page"], first["pages"]) == (7, 1, 3)
    assert len(first["results"]) == 3
    last = listing(api, "?page_size=3&page=3")
    assert (last["page"], len(last["results"])) == (3, 1)
    seen = {ref for p in (1, 2, 3) for ref in refs(api, f"?page_size=3&page={p}")}
    assert len(seen) == 7


def test_list_page_size_is_capped_at_200(api, db):
    bulk_processes(205)
    page = listing(api, "?page_size=1000")
    assert page["count"] == 205
    assert len(page["results"]) == 200
    assert page["pages"] == 2


def test_list_page_beyond_the_last_answers_the_last_page(api, db):
    bulk_processes(3)
    page = listing(api, "?page_size=2&page=99")
    assert (page["page"], page["pages"], len(page["results"])) == (2, 2, 1)


def test_list_filters_by_status(api, draft, top_manager):
    other = make_process(draft.created_by, title="Other")
    ApproveProcess(top_manager, draft, data={"password": PASSWORD}).execute()
    assert refs(api, "?status=approved") == [draft.reference]
    assert refs(api, "?status=draft") == [other.reference]


def test_list_filters_by_owner(api, draft, quality_manager, employee):
    make_process(quality_manager, title="Someone else's", owner=employee)
    assert refs(api, f"?owner={draft.owner_id}") == [draft.reference]


def test_list_filters_by_site(api, quality_manager, leeds, porto):
    in_leeds = make_process(quality_manager, title="Leeds", site=leeds)
    make_process(quality_manager, title="Porto", site=porto)
    assert refs(api, f"?site={leeds.pk}") == [in_leeds.reference]


def test_list_search_q_matches_title_reference_and_purpose(api, draft, quality_manager):
    make_process(quality_manager, title="Unrelated")
    for text in ("sAlEs", draft.reference, "win ORDERS"):
        assert refs(api, f"?q={text}") == [draft.reference]
    assert listing(api, "?q=nothing-like-this")["count"] == 0


def test_list_leaves_out_archived_records_unless_asked(api, draft):
    archive(api, draft, {"reason": "Merged"}, '"1"')
    assert listing(api)["count"] == 0
    assert listing(api, "?archived=1")["count"] == 1


# -- create and read ---------------------------------------------------------------------


def test_create_returns_201_with_a_server_assigned_reference_draft_status_and_version_1(
    api, quality_manager
):
    response = send(api, "post", PROCESSES, {**VALID, "purpose": "Keep gauges true"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert re.fullmatch(r"PRC-\d{4}-\d{4}", body["reference"])
    assert (body["status"], body["version"], body["title"]) == ("draft", 1, VALID["title"])
    assert response.headers["ETag"] == '"1"'
    saved = Process.objects.get(reference=body["reference"])
    assert saved.created_by == quality_manager
    assert saved.purpose == "Keep gauges true"


def test_create_is_written_to_the_change_log(api):
    reference = send(api, "post", PROCESSES, VALID).json()["reference"]
    history = api.get(record_url(reference, "/history")).json()
    assert [e["action"] for e in history] == ["create"]
    assert history[0]["actor_name"] == "Quinn Quality"


@pytest.mark.parametrize(
    "field, value",
    [
        ("status", "approved"),
        ("version", 7),
        ("reference", "PRC-1999-0001"),
        ("created_by", 1),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("approved_by", 1),
        ("archived_at", "2020-01-01T00:00:00Z"),
    ],
)
def test_create_refuses_server_controlled_fields_naming_them(api, field, value):
    before = written()
    response = send(api, "post", PROCESSES, {**VALID, field: value})
    assert_error(response, 422, field)
    assert written() == before


def test_read_returns_the_record_with_its_etag(api, draft):
    response = api.get(record_url(draft.reference))
    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    assert response.json()["reference"] == draft.reference
    assert response.json()["owner"] == draft.owner_id


def test_read_of_an_unknown_reference_is_404_in_the_error_shape(api, db):
    assert_error(api.get(record_url("PRC-1999-9999")), 404)


# -- update with If-Match ----------------------------------------------------------------


def test_patch_without_if_match_is_428_and_changes_nothing(api, draft):
    before = written()
    assert_error(patch(api, draft, {"title": "New"}), 428)
    draft.refresh_from_db()
    assert (draft.title, draft.version) == ("Sales", 1)
    assert written() == before


@pytest.mark.parametrize("etag", ['"0"', '"2"', '"banana"'])
def test_patch_with_a_stale_or_invalid_etag_is_412_and_changes_nothing(api, draft, etag):
    before = written()
    assert_error(patch(api, draft, {"title": "New"}, etag), 412)
    draft.refresh_from_db()
    assert (draft.title, draft.version) == ("Sales", 1)
    assert written() == before


def test_patch_with_the_current_etag_saves_only_the_fields_sent_and_bumps_the_etag(
    api, draft, process_owner
):
    response = patch(api, draft, {"title": "Sales v2"}, '"1"')
    assert response.status_code == 200, response.content
    assert response.headers["ETag"] == '"2"'
    draft.refresh_from_db()
    assert (draft.title, draft.purpose, draft.version) == ("Sales v2", "Win orders", 2)
    assert draft.owner == process_owner


def test_patch_accepts_a_weak_etag(api, draft):
    response = patch(api, draft, {"title": "Weak"}, 'W/"1"')
    assert response.status_code == 200, response.content


def test_second_writer_with_the_same_etag_gets_412_and_the_first_write_survives(
    api_for, quality_manager, process_owner, draft
):
    first, second = api_for(quality_manager), api_for(process_owner)
    etag = first.get(record_url(draft.reference)).headers["ETag"]
    assert second.get(record_url(draft.reference)).headers["ETag"] == etag
    ok = patch(first, draft, {"title": "First"}, etag)
    assert ok.status_code == 200, ok.content
    stale = patch(second, draft, {"title": "Second"}, etag)
    assert_error(stale, 412)
    current = first.get(record_url(draft.reference))
    assert current.json()["title"] == "First"
    assert current.headers["ETag"] == '"2"'


def test_patch_of_an_approved_process_is_409_and_changes_nothing(api, draft, top_manager):
    ApproveProcess(top_manager, draft, data={"password": PASSWORD}).execute()
    assert_error(patch(api, draft, {"title": "X"}, '"2"'), 409)
    draft.refresh_from_db()
    assert (draft.title, draft.status, draft.version) == ("Sales", "approved", 2)


# -- archive -----------------------------------------------------------------------------


def test_archive_keeps_the_record_readable_with_its_reason_and_refuses_edits(api, draft):
    response = archive(api, draft, {"reason": "Merged"}, '"1"')
    assert response.status_code == 200, response.content
    assert response.json()["archive_reason"] == "Merged"
    assert response.json()["archived_at"] is not None
    assert api.get(record_url(draft.reference)).status_code == 200
    assert_error(patch(api, draft, {"title": "X"}, '"2"'), 409)
    again = archive(api, draft, {"reason": "Twice"}, '"2"')
    assert_error(again, 409)


# -- actions -----------------------------------------------------------------------------


def approve(api, reference, etag='"1"', password=PASSWORD):
    path = record_url(reference, "/actions/approve")
    return send(api, "post", path, {"password": password}, etag)


def test_top_manager_approves_a_draft_with_password_and_if_match(api_for, top_manager, draft):
    response = approve(api_for(top_manager), draft.reference)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert response.headers["ETag"] == '"2"'
    signature = Signature.objects.get(object_id=str(draft.pk))
    assert (signature.signer, signature.meaning) == (top_manager, "approved")


def test_approve_with_a_wrong_password_is_422_on_password_and_changes_nothing(
    api_for, top_manager, draft
):
    before = written()
    assert_error(approve(api_for(top_manager), draft.reference, password="wrong"), 422, "password")
    draft.refresh_from_db()
    assert (draft.status, draft.version) == ("draft", 1)
    assert written() == before
    assert not Signature.objects.exists()


def test_the_owner_cannot_approve_their_own_process(api_for, quality_manager, top_manager):
    process = make_process(quality_manager, title="Mine", owner=top_manager)
    assert_error(approve(api_for(top_manager), process.reference), 403)
    process.refresh_from_db()
    assert process.status == "draft"


def test_the_author_cannot_approve_their_own_process(api, api_for, quality_manager):
    reference = send(api, "post", PROCESSES, VALID).json()["reference"]
    assert_error(approve(api_for(quality_manager), reference), 403)
    assert Process.objects.get(reference=reference).status == "draft"


def test_approving_an_approved_process_is_409(api_for, top_manager, draft):
    assert approve(api_for(top_manager), draft.reference).status_code == 200
    assert_error(approve(api_for(top_manager), draft.reference, etag='"2"'), 409)


def test_revise_reopens_an_approved_process_for_editing(api, api_for, top_manager, draft):
    approve(api_for(top_manager), draft.reference)
    response = send(api, "post", record_url(draft.reference, "/actions/revise"), {}, '"2"')
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "draft"
    edit = patch(api, draft, {"title": "Sales v2"}, '"3"')
    assert edit.status_code == 200, edit.content


def test_unknown_action_is_404_in_the_error_shape(api, draft):
    path = record_url(draft.reference, "/actions/publish")
    assert_error(send(api, "post", path, {}, '"1"'), 404)
    draft.refresh_from_db()
    assert (draft.status, draft.version) == ("draft", 1)


# -- history ---------------------------------------------------------------------------


def test_history_lists_every_change_newest_first(api, draft):
    patch(api, draft, {"title": "Sales v2"}, '"1"')
    response = api.get(record_url(draft.reference, "/history"))
    assert response.status_code == 200
    entries = response.json()
    assert [e["action"] for e in entries] == ["update", "create"]
    assert entries[0]["before"]["title"] == "Sales"
    assert entries[0]["after"]["title"] == "Sales v2"
    assert entries[0]["actor_name"] == "Quinn Quality"
