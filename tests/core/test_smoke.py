from norma.standards.models import Clause


def test_it_loads_the_iso_9001_library_on_migrate(db):
    assert Clause.objects.filter(standard__slug="iso9001-2015").count() == 91


def test_it_shows_the_process_register(client_for, quality_manager):
    response = client_for(quality_manager).get("/planning/processes/")
    assert response.status_code == 200
