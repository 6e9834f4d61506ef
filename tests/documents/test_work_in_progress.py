"""Work in progress stays with those who write, sign or approve documents; readers, the
registrar included, see what is or was in force."""

import pytest

from norma.core.actions import UpdateRecord
from norma.documents.actions import (
    ApproveRevision,
    EditDraft,
    ReviewRevision,
    StartRevision,
    SubmitRevision,
)
from tests.conftest import ApiClient
from tests.factories import PASSWORD, make_document

SIGN = {"password": PASSWORD}
DRAFT_TEXT = "Unapproved idea: skip the inspection."


@pytest.fixture
def revised(top_manager, process_owner, quality_manager):
    """Revision A in force, revision B a draft."""
    document = make_document(quality_manager, title="Inspection")
    for body in ("Inspect every tenth part.", DRAFT_TEXT):
        StartRevision(top_manager, document).execute()
        EditDraft(top_manager, document, data={"body": body, "change_summary": "x"}).execute()
        if body != DRAFT_TEXT:
            SubmitRevision(top_manager, document).execute()
            ReviewRevision(process_owner, document, data=SIGN).execute()
            ApproveRevision(quality_manager, document, data=SIGN).execute()
    return document


@pytest.mark.parametrize("persona", ["employee", "internal_auditor", "external_auditor"])
def test_readers_see_the_revision_in_force_but_not_the_draft(revised, client_for, persona, request):
    person = request.getfixturevalue(persona)
    client = client_for(person)
    base = f"/documents/documents/{revised.reference}/"
    page = client.get(base).content.decode()
    assert "Inspect every tenth part." in page
    assert DRAFT_TEXT not in page
    assert client.get(f"{base}revisions/A/").status_code == 200
    for path in ("revisions/B/", "revisions/B.pdf"):
        assert client.get(base + path).status_code == 404, path
    compared = client.get(f"{base}compare/?from=A&to=B", follow=True)
    assert DRAFT_TEXT not in compared.content.decode()
    api = ApiClient(person).client
    listed = api.get(f"/api/v1/documents/documents/{revised.reference}/revisions").json()
    assert [r["label"] for r in listed] == ["A"]
    assert (
        api.get(f"/api/v1/documents/documents/{revised.reference}/revisions/B").status_code == 404
    )


def test_authors_and_approvers_see_the_draft(revised, client_for, top_manager, quality_manager):
    for person in (top_manager, quality_manager):
        page = client_for(person).get(f"/documents/documents/{revised.reference}/revisions/B/")
        assert page.status_code == 200
        assert DRAFT_TEXT in page.content.decode()


def test_a_named_reviewer_without_other_rights_sees_what_they_are_asked_to_sign(
    revised, client_for, top_manager, employee, quality_manager
):
    UpdateRecord(quality_manager, revised, data={"reviewers": [employee]}).execute()
    SubmitRevision(top_manager, revised).execute()
    page = client_for(employee).get(f"/documents/documents/{revised.reference}/revisions/B/")
    assert page.status_code == 200
    assert DRAFT_TEXT in page.content.decode()
