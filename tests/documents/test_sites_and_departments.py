"""A document applies at several sites and departments: who sees it, who must read it, how
the master list filters and exports it (core.scope with many-to-many places)."""

import pytest
from django.urls import reverse

from norma.core.actions import NotPermitted, UpdateRecord
from norma.core.models import RoleCode
from norma.documents import recipients, search
from norma.documents.actions import Distribute
from norma.documents.models import Document
from norma.documents.registers import DocumentRegister
from tests.documents.test_distribution_and_retention import bring_into_force
from tests.factories import DepartmentFactory, PersonFactory, SiteFactory, make_document

LIST = reverse("documents:document_list")


@pytest.fixture
def hull(db):
    return SiteFactory(code="hull", name="Hull depot")


@pytest.fixture
def shared(process_owner, quality_manager, leeds, porto):
    """A form in force at Leeds and Porto, not at Hull."""
    document = make_document(
        process_owner,
        title="Furnace start-up",
        document_type="form",
        sites=[leeds, porto],
        owner=process_owner,
    )
    bring_into_force(document, process_owner, quality_manager)
    return document


def worker_at(site, **fields):
    return PersonFactory(roles=[RoleCode.EMPLOYEE], scope_sites=[site], **fields)


def test_each_site_of_a_document_sees_it_and_no_other_does(shared, leeds, porto, hull):
    for site, sees in ((leeds, True), (porto, True), (hull, False)):
        person = worker_at(site)
        visible = DocumentRegister.queryset_for(person)
        assert visible.filter(pk=shared.pk).exists() is sees, site
        assert person.scope.allows(shared) is sees, site
        assert (shared.pk in {h.document.pk for h in search.search(person, "furnace")}) is sees


def test_a_document_at_no_site_is_for_the_whole_organisation(quality_manager, hull):
    everywhere = make_document(quality_manager, title="Quality manual")
    assert DocumentRegister.queryset_for(worker_at(hull)).filter(pk=everywhere.pk).exists()


def test_a_scoped_list_shows_a_shared_document_once(shared, leeds, client_for):
    reader = worker_at(leeds)
    reader.scope_sites.add(SiteFactory(code="york"))
    page = client_for(reader).get(LIST).content.decode()
    assert page.count(f">{shared.reference}<") == 1


def test_nobody_moves_a_document_away_from_all_their_sites(shared, leeds, porto, hull):
    editor = PersonFactory(roles=[RoleCode.QUALITY_MANAGER], scope_sites=[leeds])
    with pytest.raises(NotPermitted, match="sites and departments you work in"):
        UpdateRecord(editor, shared, data={"sites": [hull]}).execute()
    shared.refresh_from_db()
    assert set(shared.sites.all()) == {leeds, porto}
    UpdateRecord(editor, shared, data={"sites": [leeds, hull]}).execute()  # still one of theirs
    assert set(Document.objects.get(pk=shared.pk).sites.all()) == {leeds, hull}


def test_the_master_list_filters_by_site_and_by_department(
    quality_manager, leeds, porto, client_for
):
    machining = DepartmentFactory(name="Machining", site=porto)
    at_both = make_document(quality_manager, title="Both sites", sites=[leeds, porto])
    at_leeds = make_document(quality_manager, title="Leeds only", sites=[leeds])
    in_machining = make_document(quality_manager, title="Machining only", departments=[machining])
    client = client_for(quality_manager)

    def listed(query):
        page = client.get(f"{LIST}?{query}").content.decode()
        return {d.title for d in (at_both, at_leeds, in_machining) if d.reference in page}

    assert listed(f"sites={porto.pk}") == {"Both sites"}
    assert listed(f"sites={leeds.pk}") == {"Both sites", "Leeds only"}
    assert listed(f"departments={machining.pk}") == {"Machining only"}


def test_the_export_names_every_site_in_one_cell(shared, quality_manager, client_for):
    response = client_for(quality_manager).get(reverse("documents:document_export"))
    body = b"".join(response.streaming_content).decode()
    row = next(line for line in body.splitlines() if shared.reference in line)
    assert "Leeds works; Porto plant" in row or "Leeds; Porto" in row


def test_the_detail_page_names_the_sites(shared, quality_manager, client_for, leeds, porto):
    page = client_for(quality_manager).get(
        reverse("documents:document_detail", args=[shared.reference])
    )
    assert (
        f"{leeds}, {porto}" in page.content.decode() or f"{porto}, {leeds}" in page.content.decode()
    )


def test_distribution_reaches_only_readers_whose_sites_it_applies_at(
    shared, quality_manager, leeds, porto, hull
):
    at_porto, at_hull = worker_at(porto), worker_at(hull)
    Distribute(quality_manager, shared, data={"role": RoleCode.EMPLOYEE}).execute()
    reached = set(recipients.recipients_of(shared))
    assert at_porto in reached
    assert at_hull not in reached
    assert recipients.is_recipient(at_porto, shared)


def test_overdue_acknowledgements_count_the_same_readers(
    shared, quality_manager, porto, hull, clock
):
    worker_at(porto), worker_at(hull)
    Distribute(quality_manager, shared, data={"role": RoleCode.EMPLOYEE}).execute()
    expected = recipients.recipients_of(shared).count()
    clock(30)
    assert recipients.overdue_acknowledgements() == (expected, 1)
    assert expected == len([p for p in recipients.recipients_of(shared) if p.scope.allows(shared)])


def test_the_api_takes_and_gives_sites_as_ids(api_for, quality_manager, leeds, porto):
    from tests.factories import document_type

    created = api_for(quality_manager).post(
        "/api/v1/documents/documents/",
        {"title": "Shared", "document_type": document_type().pk, "sites": [leeds.pk, porto.pk]},
    )
    assert created.status_code == 201, created.content
    assert sorted(created.json()["sites"]) == sorted([leeds.pk, porto.pk])
    refused = api_for(quality_manager).post(
        "/api/v1/documents/documents/",
        {"title": "Nowhere", "document_type": document_type().pk, "sites": [99999]},
    )
    assert refused.status_code == 422
    assert "sites" in refused.json()["errors"]
