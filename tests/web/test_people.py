"""The people directory pages through a large organisation at a fixed query cost."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from norma.core.models import RoleCode
from tests.factories import PersonFactory


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_people_page_costs_the_same_at_10_and_120_people(client_for, quality_manager):
    PersonFactory.create_batch(10, roles=[RoleCode.EMPLOYEE])
    client = client_for(quality_manager)
    client.get("/people/")
    few = queries_for(client, "/people/")
    PersonFactory.create_batch(110, roles=[RoleCode.EMPLOYEE])
    assert queries_for(client, "/people/") == few


def test_people_page_shows_50_a_page_and_finds_by_name(client_for, quality_manager):
    PersonFactory.create_batch(60)
    PersonFactory(full_name="Zelda Unique")
    client = client_for(quality_manager)
    page = client.get("/people/").content.decode()
    assert "page 1 of 2" in page
    found = client.get("/people/", {"q": "zelda"}).content.decode()
    assert "Zelda Unique" in found and "page 1 of 1" in found


def test_the_owner_filter_offers_only_people_who_own_records(client_for, quality_manager):
    from tests.factories import make_process

    owner = PersonFactory(full_name="Olga Owner")
    PersonFactory(full_name="Nora Noone")
    make_process(quality_manager, title="Owned", owner=owner)
    page = client_for(quality_manager).get("/planning/processes/").content.decode()
    assert "Olga Owner" in page
    assert "Nora Noone" not in page
