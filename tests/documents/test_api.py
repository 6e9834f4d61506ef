"""The document-control API (7.5): the register endpoints for documents, and the endpoints of
their revisions, drafts, files, distribution, reading coverage and search.

Unless a test says otherwise, a procedure (reviewer: a process owner, approver: a quality
manager) is written by Tess Top, reviewed by Owen Owner and approved by Quinn Quality, each
through their own bearer token. Set-up goes through the Actions; what is under test goes
through the API only.
"""

import datetime
import hashlib
import re
from types import SimpleNamespace

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from norma.core.models import ChangeLogEntry, RoleCode, Signature
from norma.documents.actions import (
    ApproveRevision,
    Distribute,
    EditDraft,
    ObsoleteDocument,
    ReviewRevision,
    StartRevision,
    SubmitRevision,
)
from norma.documents.models import Document, Revision, RevisionDecision
from tests.api import assert_error, send
from tests.conftest import PERSONAS
from tests.factories import (
    PASSWORD,
    DepartmentFactory,
    PersonFactory,
    bulk_documents,
    document_type,
    make_document,
)
from tests.kit import count_queries

DOCUMENTS = "/api/v1/documents/documents/"
SEARCH = "/api/v1/documents/search"
BODY = "# Purpose\n\nKeep every torque wrench calibrated before use."
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CHANGERS = {"quality_manager", "top_manager", "process_owner"}
READERS = [p for p in PERSONAS if p != "nobody"]


# -- helpers ---------------------------------------------------------------------------------
def url(document, suffix: str = "") -> str:
    reference = getattr(document, "reference", document)
    return f"{DOCUMENTS}{reference}{suffix}"


def etag(document) -> str:
    """The document's ETag as the API would give it now."""
    document.refresh_from_db()
    return document.etag


def act(api, document, code: str, if_match, **body):
    return send(api, "post", url(document, f"/actions/{code}"), body, if_match)


def sign(api, document, code: str, if_match, reason="Fit for use", password=PASSWORD):
    return act(api, document, code, if_match, password=password, reason=reason)


def edit_draft(api, document, body: dict, if_match):
    return send(api, "patch", url(document, "/draft"), body, if_match)


def upload(api, document, if_match, name="torque-chart.png", data=PNG):
    headers = {"If-Match": if_match} if if_match is not None else {}
    files = {"file": SimpleUploadedFile(name, data)}
    return api.client.post(url(document, "/draft/file"), files, headers=headers)


def search(api, text: str, obsolete: bool = False):
    response = api.get(f"{SEARCH}?q={text}&obsolete={'true' if obsolete else 'false'}")
    assert response.status_code == 200, response.content
    return response.json()


def found(api, text: str, **options) -> list[str]:
    return [hit["reference"] for hit in search(api, text, **options)]


def listed(api, query: str = "") -> list[str]:
    response = api.get(DOCUMENTS + query)
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


def state(document) -> dict:
    """Everything a refused request must leave as it was."""
    document = Document.objects.get(pk=document.pk)
    return {
        "document": (
            document.title,
            document.status,
            document.version,
            document.legal_hold,
            document.created_by_id,
            document.archived_at,
        ),
        "revisions": list(
            document.revisions.values_list(
                "label",
                "status",
                "body",
                "change_summary",
                "effective_date",
                "file_sha256",
                "version",
                "review_round",
            )
        ),
        "distribution": list(document.distribution.values_list("pk", flat=True)),
        "decisions": RevisionDecision.objects.filter(revision__document=document).count(),
        "signatures": Signature.objects.count(),
        "documents": Document.objects.count(),
        "log": ChangeLogEntry.objects.count(),
    }


def write(person, document, **fields):
    StartRevision(person, document).execute()
    EditDraft(person, document, data={"body": BODY, **fields}).execute()


def review(person, document):
    ReviewRevision(person, document, data={"password": PASSWORD}, reason="Fit").execute()


def approve(person, document):
    ApproveRevision(person, document, data={"password": PASSWORD}, reason="Ok").execute()


# -- fixtures --------------------------------------------------------------------------------
@pytest.fixture
def draft(top_manager):
    """A procedure with revision A open as a draft with content, written by Tess Top."""
    document = make_document(top_manager, title="Calibration of torque wrenches")
    write(top_manager, document)
    document.refresh_from_db()
    return document


@pytest.fixture
def in_review(draft, top_manager):
    SubmitRevision(top_manager, draft).execute()
    draft.refresh_from_db()
    return draft


@pytest.fixture
def effective(in_review, process_owner, quality_manager):
    review(process_owner, in_review)
    approve(quality_manager, in_review)
    in_review.refresh_from_db()
    return in_review


@pytest.fixture
def author(db):
    """Writes the documents of the role tests, so no persona under test is their author."""
    return PersonFactory(full_name="Ann Author", roles=[RoleCode.PROCESS_OWNER])


@pytest.fixture
def approved(top_manager, process_owner, quality_manager):
    """Revision A approved, taking effect next week: no longer a draft, not yet in force."""
    document = make_document(top_manager, title="Handling of reference gauges")
    next_week = timezone.localdate() + datetime.timedelta(days=7)
    write(top_manager, document, effective_date=next_week)
    SubmitRevision(top_manager, document).execute()
    review(process_owner, document)
    approve(quality_manager, document)
    document.refresh_from_db()
    assert document.revisions.get().status == Revision.Status.APPROVED
    return document


# -- the whole lifecycle, through the API alone ----------------------------------------------
def test_a_document_is_created_written_reviewed_approved_and_in_force_through_the_api_alone(
    api_for, top_manager, process_owner, quality_manager, leeds
):
    writer, reviewer, approver = (api_for(p) for p in (top_manager, process_owner, quality_manager))
    created = send(
        writer,
        "post",
        DOCUMENTS,
        {
            "title": "Calibration of torque wrenches",
            "document_type": document_type("procedure").pk,
            "owner": top_manager.pk,
            "sites": [leeds.pk],
            "clauses": ["iso9001-2015:7.5"],
        },
    )
    assert created.status_code == 201, created.content
    reference = created.json()["reference"]
    assert re.fullmatch(r"QP-\d{3}", reference)
    assert (created.json()["status"], created.json()["clauses"]) == ("draft", ["iso9001-2015:7.5"])
    tags = [created.headers["ETag"]]

    revised = act(writer, reference, "revise", tags[-1])
    assert revised.status_code == 200, revised.content
    tags.append(revised.headers["ETag"])
    assert [r["label"] for r in writer.get(url(reference, "/revisions")).json()] == ["A"]

    written = edit_draft(
        writer, reference, {"body": BODY, "change_summary": "First issue"}, tags[-1]
    )
    assert written.status_code == 200, written.content
    assert (written.json()["body"], written.json()["status"]) == (BODY, "draft")
    tags.append(written.headers["ETag"])

    submitted = act(writer, reference, "submit", tags[-1])
    assert submitted.status_code == 200, submitted.content
    tags.append(submitted.headers["ETag"])

    reviewed = sign(reviewer, reference, "review", tags[-1])
    assert reviewed.status_code == 200, reviewed.content
    tags.append(reviewed.headers["ETag"])

    approved = sign(approver, reference, "approve", tags[-1], reason="Approved for use")
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "effective"
    tags.append(approved.headers["ETag"])
    assert len(set(tags)) == len(tags), f"every write answers a new ETag: {tags}"
    assert approver.get(url(reference)).headers["ETag"] == tags[-1]

    revision = approver.get(url(reference, "/revisions/A")).json()
    assert (revision["status"], revision["body"]) == ("effective", BODY)
    assert revision["effective_date"] == timezone.localdate().isoformat()
    assert [
        (d["step"], d["outcome"], d["person_name"], d["comment"], d["signature_holds"])
        for d in revision["decisions"]
    ] == [
        ("review", "approve", "Owen Owner", "Fit for use", True),
        ("approval", "approve", "Quinn Quality", "Approved for use", True),
    ]
    history = [e["action"] for e in approver.get(url(reference, "/history")).json()]
    assert history == ["approve", "review", "submit", "edit_draft", "revise", "create"]


def test_the_next_revision_supersedes_the_one_in_force_only_once_approved(
    api_for, effective, top_manager, process_owner, quality_manager
):
    writer = api_for(top_manager)
    revised = act(writer, effective, "revise", etag(effective))
    assert revised.status_code == 200, revised.content
    edited = edit_draft(
        writer,
        effective,
        {"body": "Calibrate every six months.", "change_summary": "Interval"},
        revised.headers["ETag"],
    )
    submitted = act(writer, effective, "submit", edited.headers["ETag"])
    reviewed = sign(api_for(process_owner), effective, "review", submitted.headers["ETag"])
    in_force = {r["label"]: r["status"] for r in writer.get(url(effective, "/revisions")).json()}
    assert in_force == {"A": "effective", "B": "in_review"}

    approved = sign(api_for(quality_manager), effective, "approve", reviewed.headers["ETag"])

    assert approved.status_code == 200, approved.content
    after = {r["label"]: r["status"] for r in writer.get(url(effective, "/revisions")).json()}
    assert after == {"A": "superseded", "B": "effective"}


def test_a_write_answers_the_next_etag_and_the_one_before_is_then_stale(
    api_for, top_manager, draft
):
    api = api_for(top_manager)
    first = etag(draft)
    response = edit_draft(api, draft, {"change_summary": "One"}, first)
    assert response.status_code == 200, response.content
    assert response.headers["ETag"] == etag(draft) != first
    before = state(draft)

    assert_error(edit_draft(api, draft, {"change_summary": "Two"}, first), 412)

    assert state(draft) == before


# -- If-Match on every write -----------------------------------------------------------------
def _update(api, document, tag):
    return send(api, "patch", url(document), {"title": "Calibration of gauges"}, tag)


def _archive(api, document, tag):
    return send(api, "post", url(document, "/archive"), {"reason": "Merged"}, tag)


def _submit(api, document, tag):
    return act(api, document, "submit", tag)


def _edit_draft(api, document, tag):
    return edit_draft(api, document, {"body": "Calibrate monthly."}, tag)


def _upload(api, document, tag):
    return upload(api, document, tag)


def _distribute(api, document, tag):
    return send(api, "post", url(document, "/distribution"), {"role": "employee"}, tag)


def _undistribute(api, document, tag):
    entry = document.distribution.get()
    return send(api, "delete", url(document, f"/distribution/{entry.pk}"), None, tag)


WRITES = {
    "update": (_update, 200),
    "archive": (_archive, 200),
    "action": (_submit, 200),
    "draft": (_edit_draft, 200),
    "draft file": (_upload, 200),
    "distribute": (_distribute, 201),
    "undistribute": (_undistribute, 200),
}


@pytest.fixture
def distributed(draft, quality_manager):
    """The draft, distributed to internal auditors (one entry to remove)."""
    Distribute(quality_manager, draft, data={"role": RoleCode.INTERNAL_AUDITOR}).execute()
    draft.refresh_from_db()
    return draft


@pytest.mark.parametrize("write", WRITES)
def test_every_write_with_the_current_etag_is_done_and_answers_the_next_etag(
    api_for, quality_manager, distributed, write
):
    call, status = WRITES[write]
    before = etag(distributed)
    response = call(api_for(quality_manager), distributed, before)
    assert response.status_code == status, response.content
    assert response.headers["ETag"] == etag(distributed) != before


@pytest.mark.parametrize("write", WRITES)
def test_every_write_without_if_match_is_428_and_changes_nothing(
    api_for, quality_manager, distributed, write
):
    before = state(distributed)
    assert_error(WRITES[write][0](api_for(quality_manager), distributed, None), 428)
    assert state(distributed) == before


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("stale", ["older", "invalid"])
def test_every_write_with_a_stale_or_invalid_etag_is_412_and_changes_nothing(
    api_for, quality_manager, distributed, write, stale
):
    tag = f'"{distributed.version - 1}"' if stale == "older" else '"banana"'
    before = state(distributed)
    assert_error(WRITES[write][0](api_for(quality_manager), distributed, tag), 412)
    assert state(distributed) == before


# -- authentication --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "method, path",
    [
        ("get", DOCUMENTS),
        ("get", DOCUMENTS + "{ref}/revisions"),
        ("get", DOCUMENTS + "{ref}/revisions/A"),
        ("get", DOCUMENTS + "{ref}/coverage"),
        ("get", SEARCH + "?q=torque"),
        ("patch", DOCUMENTS + "{ref}/draft"),
        ("post", DOCUMENTS + "{ref}/draft/file"),
        ("post", DOCUMENTS + "{ref}/distribution"),
        ("post", DOCUMENTS + "{ref}/actions/submit"),
    ],
)
def test_a_request_without_a_token_is_401_and_changes_nothing(draft, method, path):
    before = state(draft)
    anonymous = SimpleNamespace(client=Client())
    path = path.format(ref=draft.reference)
    if method == "get":
        response = anonymous.client.get(path)
    else:
        response = send(anonymous, method, path, {}, etag(draft))
    assert_error(response, 401)
    assert state(draft) == before


# -- who may do what: every persona ----------------------------------------------------------
@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_reading_the_list_revisions_and_search_needs_the_view_right(
    api_for, persona, effective, request
):
    api = api_for(persona)
    paths = [DOCUMENTS, url(effective, "/revisions"), url(effective, "/revisions/A")]
    responses = [api.get(path) for path in paths] + [api.get(f"{SEARCH}?q=torque")]
    if request.node.callspec.params["persona"] in READERS:
        assert [r.status_code for r in responses] == [200, 200, 200, 200]
        assert effective.reference in [row["reference"] for row in responses[0].json()["results"]]
        assert [h["reference"] for h in responses[3].json()] == [effective.reference]
    else:
        for response in responses:
            assert_error(response, 403)


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_creating_a_document_needs_the_add_right(api_for, persona, request):
    before = Document.objects.count(), ChangeLogEntry.objects.count()
    body = {"title": "Handling of gauges", "document_type": document_type("procedure").pk}
    response = send(api_for(persona), "post", DOCUMENTS, body)
    if request.node.callspec.params["persona"] in CHANGERS:
        assert response.status_code == 201, response.content
        assert Document.objects.get(reference=response.json()["reference"]).created_by == persona
    else:
        assert_error(response, 403)
        assert (Document.objects.count(), ChangeLogEntry.objects.count()) == before


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_editing_the_draft_needs_the_change_right(api_for, persona, author, request):
    document = make_document(author, title="Handling of gauges")
    write(author, document)
    before = state(document)
    response = edit_draft(api_for(persona), document, {"body": "Rewritten"}, etag(document))
    if request.node.callspec.params["persona"] in CHANGERS:
        assert response.status_code == 200, response.content
        assert document.revisions.get().body == "Rewritten"
    else:
        assert_error(response, 403)
        assert state(document) == before


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_approving_needs_the_approve_right(api_for, persona, author, request):
    """A form has no review step; the persona is its one named approver."""
    document = make_document(author, title="Gauge check form", document_type="form")
    document.approvers.set([persona])
    write(author, document)
    SubmitRevision(author, document).execute()
    before = state(document)
    response = sign(api_for(persona), document, "approve", etag(document))
    if request.node.callspec.params["persona"] in CHANGERS:
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "effective"
    else:
        assert_error(response, 403)
        assert state(document) == before


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_disposing_needs_the_dispose_right(api_for, persona, author, request):
    """An obsolete form kept for 0 years: its retention has ended today."""
    document = make_document(
        author, title="Old gauge form", document_type="form", retention_years=0
    )
    write(author, document)
    SubmitRevision(author, document).execute()
    approve(PersonFactory(full_name="Val Approver", roles=[RoleCode.QUALITY_MANAGER]), document)
    ObsoleteDocument(
        PersonFactory(roles=[RoleCode.QUALITY_MANAGER]), document, reason="Replaced"
    ).execute()
    before = state(document)
    response = sign(api_for(persona), document, "dispose", etag(document), reason="Retention over")
    if request.node.callspec.params["persona"] == "quality_manager":
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "disposed"
    else:
        assert_error(response, 403)
        assert state(document) == before


# -- site scope ------------------------------------------------------------------------------
@pytest.fixture
def porto_document(top_manager, process_owner, quality_manager, porto):
    """A Porto procedure: revision A in force with a file, revision B open as a draft, and one
    distribution entry."""
    document = make_document(top_manager, title="Porto furnace procedure", sites=[porto])
    StartRevision(top_manager, document).execute()
    EditDraft(
        top_manager, document, data={"body": BODY, "file": SimpleUploadedFile("f.png", PNG)}
    ).execute()
    SubmitRevision(top_manager, document).execute()
    review(process_owner, document)
    approve(quality_manager, document)
    StartRevision(top_manager, document).execute()
    Distribute(quality_manager, document, data={"role": RoleCode.EMPLOYEE}).execute()
    document.refresh_from_db()
    return document


SCOPED = {
    "read": ("get", ""),
    "history": ("get", "/history"),
    "revisions": ("get", "/revisions"),
    "revision": ("get", "/revisions/A"),
    "file": ("get", "/revisions/A/file"),
    "coverage": ("get", "/coverage"),
    "distribution": ("get", "/distribution"),
    "update": ("patch", "", {"title": "Moved"}),
    "archive": ("post", "/archive", {"reason": "Gone"}),
    "action": ("post", "/actions/obsolete", {"reason": "Gone"}),
    "draft": ("patch", "/draft", {"body": "Changed"}),
    "draft file": ("upload",),
    "distribute": ("post", "/distribution", {"role": "internal_auditor"}),
    "undistribute": ("delete", "/distribution/{entry}", None),
}


def call_scoped(api, document, endpoint):
    method, *rest = SCOPED[endpoint]
    if method == "upload":
        return upload(api, document, etag(document))
    suffix = rest[0].format(entry=document.distribution.values_list("pk", flat=True).first())
    if method == "get":
        return api.get(url(document, suffix))
    return send(api, method, url(document, suffix), rest[1], etag(document))


@pytest.mark.parametrize("endpoint", SCOPED)
def test_a_leeds_only_person_gets_404_for_a_porto_document_on_every_endpoint(
    api_for, porto_document, leeds, quality_manager, endpoint
):
    """A Leeds-only quality manager holds every right, so only scope can refuse; the same
    request from an unlimited quality manager is not a 404."""
    leeds_only = PersonFactory(roles=[RoleCode.QUALITY_MANAGER], scope_sites=[leeds])
    before = state(porto_document)

    assert_error(call_scoped(api_for(leeds_only), porto_document, endpoint), 404)

    assert state(porto_document) == before
    assert call_scoped(api_for(quality_manager), porto_document, endpoint).status_code != 404


def test_a_leeds_only_person_does_not_see_a_porto_document_in_the_list_or_search(
    api_for, porto_document, effective, leeds
):
    leeds_only = api_for(PersonFactory(roles=[RoleCode.EMPLOYEE], scope_sites=[leeds]))
    assert listed(leeds_only) == [effective.reference]
    assert found(leeds_only, "torque") == [effective.reference]
    assert found(leeds_only, "porto", obsolete=True) == []


def test_a_document_cannot_be_created_in_a_site_outside_my_scope(api_for, leeds, porto):
    leeds_only = PersonFactory(roles=[RoleCode.QUALITY_MANAGER], scope_sites=[leeds])
    before = Document.objects.count(), ChangeLogEntry.objects.count()
    body = {"title": "Furnace", "document_type": document_type().pk, "site": porto.pk}
    assert_error(send(api_for(leeds_only), "post", DOCUMENTS, body), 422, "site")
    assert (Document.objects.count(), ChangeLogEntry.objects.count()) == before


# -- signatures and the rules of the workflow ------------------------------------------------
def test_the_author_cannot_approve_their_own_revision_through_the_api(
    api_for, quality_manager, process_owner
):
    document = make_document(quality_manager, title="Control of records")
    write(quality_manager, document)
    SubmitRevision(quality_manager, document).execute()
    review(process_owner, document)
    before = state(document)

    body = assert_error(sign(api_for(quality_manager), document, "approve", etag(document)), 403)

    assert "your own work" in body["detail"]
    assert state(document) == before


def test_approving_when_no_revision_is_in_review_is_409_and_changes_nothing(
    api_for, quality_manager, draft
):
    before = state(draft)
    assert_error(sign(api_for(quality_manager), draft, "approve", etag(draft)), 409)
    assert state(draft) == before


def test_a_wrong_password_is_422_naming_the_password_and_signs_nothing(
    api_for, process_owner, in_review
):
    before = state(in_review)
    response = sign(api_for(process_owner), in_review, "review", etag(in_review), password="no")
    assert_error(response, 422, "password")
    assert state(in_review) == before


def test_request_changes_needs_a_reason_and_returns_the_revision_to_draft_with_it(
    api_for, process_owner, in_review
):
    api = api_for(process_owner)
    before = state(in_review)
    assert_error(sign(api, in_review, "request_changes", etag(in_review), reason=""), 422, "reason")
    assert state(in_review) == before

    response = sign(api, in_review, "request_changes", etag(in_review), reason="Say which wrench")

    assert response.status_code == 200, response.content
    revision = api.get(url(in_review, "/revisions/A")).json()
    assert revision["status"] == "draft"
    assert [(d["outcome"], d["comment"]) for d in revision["decisions"]] == [
        ("request_changes", "Say which wrench")
    ]


def test_starting_a_revision_while_one_is_open_is_409(api_for, top_manager, draft):
    before = state(draft)
    assert_error(act(api_for(top_manager), draft, "revise", etag(draft)), 409)
    assert state(draft) == before


def test_revision_b_is_not_submitted_without_saying_what_changed(api_for, top_manager, effective):
    api = api_for(top_manager)
    revised = act(api, effective, "revise", etag(effective))
    before = state(effective)

    assert_error(act(api, effective, "submit", revised.headers["ETag"]), 422, "change_summary")

    assert state(effective) == before
    said = edit_draft(api, effective, {"change_summary": "Interval shortened"}, etag(effective))
    assert act(api, effective, "submit", said.headers["ETag"]).status_code == 200


@pytest.mark.parametrize("code", ["edit_draft", "distribute", "undistribute", "publish"])
def test_actions_with_endpoints_of_their_own_and_unknown_actions_are_404_on_the_action_route(
    api_for, quality_manager, distributed, code
):
    before = state(distributed)
    body = {"reason": "x", "password": PASSWORD}
    response = send(
        api_for(quality_manager),
        "post",
        url(distributed, f"/actions/{code}"),
        body,
        etag(distributed),
    )
    assert_error(response, 404)
    assert state(distributed) == before


# -- the draft: only a draft is ever edited --------------------------------------------------
def test_a_signature_stops_holding_once_the_text_it_vouched_for_is_changed(
    api_for, top_manager, process_owner, quality_manager, in_review
):
    review(process_owner, in_review)
    sent_back = sign(
        api_for(quality_manager), in_review, "request_changes", etag(in_review), reason="Unclear"
    )
    reader = api_for(top_manager)
    holds = [
        d["signature_holds"] for d in reader.get(url(in_review, "/revisions/A")).json()["decisions"]
    ]
    assert holds == [True, True]

    edited = edit_draft(reader, in_review, {"body": "Clearer text."}, sent_back.headers["ETag"])

    assert edited.status_code == 200, edited.content
    assert [d["signature_holds"] for d in edited.json()["decisions"]] == [False, False]


@pytest.mark.parametrize("stage", ["in_review", "approved", "effective"])
def test_a_revision_past_draft_cannot_be_edited_or_given_a_file_through_the_api(
    api_for, quality_manager, request, stage
):
    document = request.getfixturevalue(stage)
    api = api_for(quality_manager)
    before = state(document)

    assert_error(edit_draft(api, document, {"body": "Quietly changed"}, etag(document)), 409)
    assert_error(upload(api, document, etag(document)), 409)

    assert state(document) == before
    for decision in api.get(url(document, "/revisions/A")).json()["decisions"]:
        assert decision["signature_holds"]


def test_an_effective_date_in_the_past_is_422_naming_it(api_for, top_manager, draft):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    before = state(draft)
    body = {"body": "Changed too", "effective_date": yesterday.isoformat()}
    assert_error(edit_draft(api_for(top_manager), draft, body, etag(draft)), 422, "effective_date")
    assert state(draft) == before


def test_an_effective_date_that_is_not_a_date_is_422_naming_it(api_for, top_manager, draft):
    before = state(draft)
    body = {"effective_date": "next Tuesday"}
    assert_error(edit_draft(api_for(top_manager), draft, body, etag(draft)), 422, "effective_date")
    assert state(draft) == before


@pytest.mark.parametrize("field", ["status", "version", "author", "title"])
def test_a_draft_edit_with_a_field_it_does_not_take_is_422_naming_it(
    api_for, top_manager, draft, field
):
    before = state(draft)
    body = {"body": "Changed", field: "approved"}
    assert_error(edit_draft(api_for(top_manager), draft, body, etag(draft)), 422, field)
    assert state(draft) == before


def test_a_draft_body_that_is_not_text_is_422_naming_body(api_for, top_manager, draft):
    before = state(draft)
    assert_error(edit_draft(api_for(top_manager), draft, {"body": 42}, etag(draft)), 422, "body")
    assert state(draft) == before


def test_a_draft_edit_sets_the_effective_date_and_keeps_what_was_not_sent(
    api_for, top_manager, draft
):
    next_month = timezone.localdate() + datetime.timedelta(days=30)
    response = edit_draft(
        api_for(top_manager), draft, {"effective_date": next_month.isoformat()}, etag(draft)
    )
    assert response.status_code == 200, response.content
    assert response.json()["effective_date"] == next_month.isoformat()
    assert response.json()["body"] == BODY


# -- the document's own fields ---------------------------------------------------------------
@pytest.mark.parametrize(
    "field, value",
    [
        ("status", "effective"),
        ("version", 99),
        ("reference", "QP-999"),
        ("legal_hold", False),
        ("created_by", 1),
        pytest.param(
            "body",
            "Revision text through the back door",
        ),
    ],
)
def test_a_document_patch_refuses_server_controlled_and_revision_fields_naming_them(
    api_for, quality_manager, effective, field, value
):
    before = state(effective)
    response = send(
        api_for(quality_manager), "patch", url(effective), {field: value}, etag(effective)
    )
    assert_error(response, 422, field)
    assert state(effective) == before


def test_a_legal_hold_cannot_be_lifted_by_a_document_patch(api_for, quality_manager, effective):
    api = api_for(quality_manager)
    held = act(api, effective, "hold", etag(effective), reason="Customer claim 42")
    assert held.status_code == 200, held.content
    before = state(effective)
    body = {"title": "Renamed", "legal_hold": False}
    assert_error(send(api, "patch", url(effective), body, held.headers["ETag"]), 422, "legal_hold")
    assert state(effective) == before
    effective.refresh_from_db()
    assert effective.legal_hold


def test_an_obsolete_document_cannot_be_patched(api_for, top_manager, quality_manager, effective):
    obsoleted = act(api_for(top_manager), effective, "obsolete", etag(effective), reason="Gone")
    assert obsoleted.status_code == 200, obsoleted.content
    before = state(effective)
    body = {"title": "Revived"}
    api = api_for(quality_manager)
    assert_error(send(api, "patch", url(effective), body, obsoleted.headers["ETag"]), 409)
    assert state(effective) == before


# -- not found -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "QP-999",
        "QP-999/revisions",
        "{ref}/revisions/Z",
        "{ref}/revisions/Z/file",
        "{ref}/revisions/A/file",  # revision A has no file
        "QP-999/coverage",
        "QP-999/distribution",
    ],
)
def test_an_unknown_document_revision_or_file_is_404_in_the_error_shape(
    api_for, employee, draft, path
):
    assert_error(api_for(employee).get(DOCUMENTS + path.format(ref=draft.reference)), 404)


# -- files -----------------------------------------------------------------------------------
def test_an_uploaded_file_is_kept_with_its_sha256_and_downloads_unchanged(
    api_for, top_manager, employee, draft
):
    response = upload(api_for(top_manager), draft, etag(draft))
    assert response.status_code == 200, response.content
    revision = response.json()
    assert (revision["file_name"], revision["file_size"]) == ("torque-chart.png", len(PNG))
    assert revision["file_sha256"] == hashlib.sha256(PNG).hexdigest()
    assert response.headers["ETag"] == etag(draft)

    download = api_for(top_manager).get(url(draft, "/revisions/A/file"))
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="torque-chart.png"'
    assert download["Content-Type"] == "application/octet-stream"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PNG


def test_a_file_changed_on_disk_after_upload_is_409_and_not_served(
    api_for, top_manager, employee, draft
):
    upload(api_for(top_manager), draft, etag(draft))
    with open(default_storage.path(draft.revisions.get().file.name), "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n someone else's picture")

    response = api_for(top_manager).get(url(draft, "/revisions/A/file"))

    body = assert_error(response, 409)
    assert "SHA-256" in body["detail"]
    assert b"someone else" not in response.content


@pytest.mark.parametrize(
    "name, data",
    [
        ("torque.exe", b"MZ\x90\x00 a program"),
        ("torque.pdf", b"MZ\x90\x00 a program posing as a PDF"),
        ("torque.pdf", b"%PDF-1.4 damaged beyond reading"),
        ("torque.txt", b"plain text is not a revision"),
    ],
)
def test_a_refused_file_is_422_naming_file_and_keeps_the_earlier_one(
    api_for, top_manager, draft, name, data
):
    api = api_for(top_manager)
    assert upload(api, draft, etag(draft)).status_code == 200
    before = state(draft)

    assert_error(upload(api, draft, etag(draft), name=name, data=data), 422, "file")

    assert state(draft) == before
    assert draft.revisions.get().file_sha256 == hashlib.sha256(PNG).hexdigest()


def test_an_upload_without_a_file_is_422_naming_file(api_for, top_manager, draft):
    before = state(draft)
    response = api_for(top_manager).client.post(
        url(draft, "/draft/file"), {}, headers={"If-Match": etag(draft)}
    )
    assert_error(response, 422, "file")
    assert state(draft) == before


def test_remove_file_takes_the_file_off_the_draft(api_for, top_manager, draft):
    api = api_for(top_manager)
    upload(api, draft, etag(draft))
    response = edit_draft(api, draft, {"remove_file": True}, etag(draft))
    assert response.status_code == 200, response.content
    assert (response.json()["file_name"], response.json()["file_sha256"]) == ("", "")
    assert response.json()["body"] == BODY
    assert_error(api.get(url(draft, "/revisions/A/file")), 404)


# -- distribution and reading coverage -------------------------------------------------------
def test_distribution_takes_a_role_a_department_and_a_person_by_email_and_drops_one(
    api_for, quality_manager, employee, draft
):
    metrology = DepartmentFactory(name="Metrology")
    api = api_for(quality_manager)
    tag = etag(draft)
    for body in ({"role": "employee"}, {"department": metrology.pk}, {"person": employee.email}):
        response = send(api, "post", url(draft, "/distribution"), body, tag)
        assert response.status_code == 201, response.content
        tag = response.headers["ETag"]
    entries = response.json()
    assert [(e["role"], e["department"], e["person"]) for e in entries] == [
        ("employee", None, None),
        ("", metrology.pk, None),
        ("", None, employee.pk),
    ]

    dropped = send(api, "delete", url(draft, f"/distribution/{entries[1]['id']}"), None, tag)

    assert dropped.status_code == 200, dropped.content
    assert [e["id"] for e in dropped.json()] == [entries[0]["id"], entries[2]["id"]]
    assert api.get(url(draft, "/distribution")).json() == dropped.json()
    actions = [e["action"] for e in api.get(url(draft, "/history")).json()]
    assert actions[:4] == ["undistribute", "distribute", "distribute", "distribute"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "__all__"),
        ({"role": "employee", "person": "person@example.com"}, "__all__"),
        ({"role": "chief_wizard"}, "role"),
        ({"department": 999999}, "department"),
        ({"person": "ghost@example.com"}, "person"),
        ({"team": "metrology"}, "team"),
    ],
)
def test_a_distribution_without_exactly_one_known_target_is_422_naming_the_field(
    api_for, quality_manager, draft, body, field
):
    before = state(draft)
    response = send(
        api_for(quality_manager), "post", url(draft, "/distribution"), body, etag(draft)
    )
    assert_error(response, 422, field)
    assert state(draft) == before


def test_distributing_twice_to_the_same_role_is_409(api_for, quality_manager, distributed):
    before = state(distributed)
    body = {"role": "internal_auditor"}
    path = url(distributed, "/distribution")
    assert_error(send(api_for(quality_manager), "post", path, body, etag(distributed)), 409)
    assert state(distributed) == before


def test_a_person_can_be_given_by_their_numeric_id(api_for, quality_manager, employee, draft):
    body = {"person": employee.pk}
    response = send(
        api_for(quality_manager), "post", url(draft, "/distribution"), body, etag(draft)
    )
    assert response.status_code == 201, response.content
    assert response.json()[0]["person"] == employee.pk


def test_removing_an_unknown_distribution_entry_is_404(api_for, quality_manager, distributed):
    before = state(distributed)
    path = url(distributed, "/distribution/999999")
    assert_error(send(api_for(quality_manager), "delete", path, None, etag(distributed)), 404)
    assert state(distributed) == before


def test_reading_coverage_counts_acknowledgements_made_through_the_api(
    api_for, quality_manager, employee, effective
):
    api = api_for(quality_manager)
    assert api.get(url(effective, "/coverage")).json()["expected"] == 0
    send(api, "post", url(effective, "/distribution"), {"role": "employee"}, etag(effective))
    assert api.get(url(effective, "/coverage")).json() | {"by_department": None} == {
        "revision": "A",
        "expected": 1,
        "acknowledged": 0,
        "percent": 0,
        "by_department": None,
    }
    reader = api_for(employee)

    read = act(reader, effective, "acknowledge", reader.get(url(effective)).headers["ETag"])

    assert read.status_code == 200, read.content
    coverage = api.get(url(effective, "/coverage")).json()
    assert (coverage["expected"], coverage["acknowledged"], coverage["percent"]) == (1, 1, 100)
    before = state(effective)
    assert_error(act(reader, effective, "acknowledge", etag(effective)), 409)
    assert state(effective) == before


def test_coverage_of_a_document_not_yet_in_force_is_empty(api_for, employee, draft):
    coverage = api_for(employee).get(url(draft, "/coverage")).json()
    assert coverage == {
        "revision": None,
        "expected": 0,
        "acknowledged": 0,
        "percent": 0,
        "by_department": {},
    }


# -- search ----------------------------------------------------------------------------------
def test_search_finds_the_text_in_force_highlighted_and_not_the_next_draft(
    api_for, top_manager, employee, effective
):
    writer = api_for(top_manager)
    revised = act(writer, effective, "revise", etag(effective))
    body = {"body": "Use the laser tracker instead.", "change_summary": "Tracker"}
    assert edit_draft(writer, effective, body, revised.headers["ETag"]).status_code == 200
    api = api_for(employee)

    hits = search(api, "torque")

    assert [(h["reference"], h["status"], h["obsolete"]) for h in hits] == [
        (effective.reference, "effective", False)
    ]
    assert "<mark>torque</mark>" in hits[0]["snippet_html"].lower()
    assert found(api, "wrenc") == [effective.reference]  # the last word matches as a prefix
    assert found(api, "laser") == []


def test_search_finds_an_obsolete_document_only_when_asked(
    api_for, top_manager, employee, effective
):
    obsoleted = act(api_for(top_manager), effective, "obsolete", etag(effective), reason="Gone")
    assert obsoleted.status_code == 200, obsoleted.content
    api = api_for(employee)
    assert found(api, "torque") == []
    hits = search(api, "torque", obsolete=True)
    assert [(h["reference"], h["obsolete"]) for h in hits] == [(effective.reference, True)]


def test_search_text_over_500_characters_is_422(api_for, employee, db):
    assert_error(api_for(employee).get(f"{SEARCH}?q={'a' * 501}"), 422)


# -- query counts ----------------------------------------------------------------------------
@pytest.mark.parametrize("endpoint", ["list", "revisions", "revision"])
def test_reads_run_the_same_queries_at_10_and_200_documents(
    api_for, internal_auditor, leeds, endpoint
):
    bulk_documents(10, owner=internal_auditor, sites=[leeds])
    first = Document.objects.order_by("pk").first()
    path = {
        "list": DOCUMENTS + "?page_size=200",
        "revisions": url(first, "/revisions"),
        "revision": url(first, "/revisions/A"),
    }[endpoint]
    client = api_for(internal_auditor).client
    client.get(path)  # warm per-process caches and the token's last use
    few, _ = count_queries(client, path)

    bulk_documents(190, owner=internal_auditor, sites=[leeds])

    many, sql = count_queries(client, path)
    assert many == few, f"{few} queries at 10 documents, {many} at 200:\n" + "\n".join(sql)
    if endpoint == "list":
        assert len(client.get(path).json()["results"]) == 200


def test_a_revision_read_costs_the_same_with_one_decision_as_with_two(
    api_for, employee, in_review, process_owner, quality_manager
):
    review(process_owner, in_review)
    client = api_for(quality_manager).client  # work in progress: for those who sign it
    path = url(in_review, "/revisions/A")
    client.get(path)
    one, _ = count_queries(client, path)
    approve(quality_manager, in_review)
    two, sql = count_queries(client, path)
    assert two == one, "\n".join(sql)
    assert len(client.get(path).json()["decisions"]) == 2


# -- the schema ------------------------------------------------------------------------------
def test_the_openapi_schema_lists_the_document_control_endpoints(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    base = "/api/v1/documents/documents/{reference}"
    expected = {
        f"{base}/revisions": {"get"},
        f"{base}/revisions/{{label}}": {"get"},
        f"{base}/revisions/{{label}}/file": {"get"},
        f"{base}/draft": {"patch"},
        f"{base}/draft/file": {"post"},
        f"{base}/distribution": {"get", "post"},
        f"{base}/distribution/{{entry_id}}": {"delete"},
        f"{base}/coverage": {"get"},
        "/api/v1/documents/search": {"get"},
        f"{base}/actions/{{code}}": {"post"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
