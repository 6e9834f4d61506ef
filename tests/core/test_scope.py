"""Site scope: a person limited to a site sees that site and organisation-wide records only."""

import pytest

from norma.core.models import RoleCode
from norma.planning.models import Process
from tests.factories import DepartmentFactory, PersonFactory, make_process


@pytest.fixture
def records(quality_manager, leeds, porto):
    return {
        "leeds": make_process(quality_manager, title="Machining Leeds", site=leeds),
        "porto": make_process(quality_manager, title="Machining Porto", site=porto),
        "everywhere": make_process(quality_manager, title="Machining everywhere", site=None),
    }


@pytest.fixture
def porto_person(porto):
    return PersonFactory(
        full_name="Sofia Porto", roles=[RoleCode.PROCESS_OWNER], scope_sites=[porto]
    )


@pytest.fixture
def porto_client(client_for, porto_person):
    return client_for(porto_person)


def detail_url(process, suffix=""):
    return f"/planning/processes/{process.reference}/{suffix}"


def test_the_list_shows_own_site_and_organisation_wide_records(records, porto_client):
    text = porto_client.get("/planning/processes/").content.decode()
    assert records["porto"].reference in text
    assert records["everywhere"].reference in text
    assert records["leeds"].reference not in text
    assert "Machining Leeds" not in text


def test_an_unlimited_person_sees_every_site(records, client_for, quality_manager):
    text = client_for(quality_manager).get("/planning/processes/").content.decode()
    assert all(p.reference in text for p in records.values())


def test_the_list_cannot_be_filtered_into_another_site(records, porto_client, leeds):
    response = porto_client.get("/planning/processes/", {"site": leeds.pk})
    assert records["leeds"].reference not in response.content.decode()


@pytest.mark.parametrize("name", ["porto", "everywhere"])
def test_the_detail_page_of_a_visible_record_opens(records, porto_client, name):
    assert porto_client.get(detail_url(records[name])).status_code == 200


@pytest.mark.parametrize("suffix", ["", "history/", "edit/"])
def test_pages_of_another_sites_record_are_not_found(records, porto_client, suffix):
    assert porto_client.get(detail_url(records["leeds"], suffix)).status_code == 404


@pytest.mark.parametrize("suffix", ["edit/", "archive/", "comments/", "do/approve/"])
def test_writes_to_another_sites_record_are_not_found(records, client_for, porto, suffix):
    """A person with every right, limited to Porto: Leeds records do not exist for them."""
    porto_manager = PersonFactory(roles=[RoleCode.QUALITY_MANAGER], scope_sites=[porto])
    leeds_process = records["leeds"]
    response = client_for(porto_manager).post(
        detail_url(leeds_process, suffix),
        {"title": "Hijacked", "process_type": "core", "reason": "x", "text": "hello"},
    )
    assert response.status_code == 404
    leeds_process.refresh_from_db()
    assert (leeds_process.title, leeds_process.archived_at) == ("Machining Leeds", None)
    assert not leeds_process.comments.exists()


def test_search_finds_only_visible_records(records, porto_client):
    text = porto_client.get("/search/", {"q": "Machining"}).content.decode()
    assert "Machining Porto" in text
    assert "Machining everywhere" in text
    assert "Machining Leeds" not in text


def test_search_by_reference_does_not_reveal_another_site(records, porto_client):
    leeds_process = records["leeds"]
    text = porto_client.get("/search/", {"q": leeds_process.reference}).content.decode()
    assert "Machining Leeds" not in text
    assert f"{leeds_process.reference}/" not in text


def test_the_api_list_returns_only_visible_records(records, api_for, porto_person):
    response = api_for(porto_person).get("/api/v1/planning/processes/")
    assert response.status_code == 200
    body = response.json()
    references = {row["reference"] for row in body["results"]}
    assert references == {records["porto"].reference, records["everywhere"].reference}
    assert body["count"] == 2


def test_the_api_read_of_another_sites_record_is_not_found(records, api_for, porto_person):
    response = api_for(porto_person).get(f"/api/v1/planning/processes/{records['leeds'].reference}")
    assert response.status_code == 404


def test_the_export_leaves_out_other_sites(records, porto_client):
    response = porto_client.get("/planning/processes/export/", {"format": "csv"})
    text = b"".join(response.streaming_content).decode()
    assert records["porto"].reference in text
    assert records["everywhere"].reference in text
    assert records["leeds"].reference not in text


def test_a_person_limited_to_a_department_sees_it_and_department_less_records(
    quality_manager, client_for, leeds
):
    welding, painting = DepartmentFactory(site=leeds), DepartmentFactory(site=leeds)
    own = make_process(quality_manager, title="Weld seams", department=welding)
    other = make_process(quality_manager, title="Paint frames", department=painting)
    shared = make_process(quality_manager, title="Housekeeping")
    welder = PersonFactory(roles=[RoleCode.EMPLOYEE])
    welder.scope_departments.set([welding])
    visible = set(Process.objects.visible_to(welder))
    assert visible == {own, shared}
    client = client_for(welder)
    assert client.get(detail_url(own)).status_code == 200
    assert client.get(detail_url(other)).status_code == 404
