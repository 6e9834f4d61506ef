"""HR import: people from CSV or XLSX through the platform's dry-run import."""

from norma.core.models import Person, RoleCode
from norma.dataio.models import ImportBatch
from tests.dataio.test_import_kit import commit, csv_bytes, latest_batch, upload, xlsx_bytes
from tests.factories import PersonFactory

URL = "/data/import/core/person/"
HEADER = ["Email", "Full name", "Job title", "Site", "Department", "Manager", "Roles"]


def rows(*people):
    return [HEADER, *[list(p) for p in people]]


def test_people_are_imported_after_a_dry_run_and_cannot_sign_in_yet(
    client_for, quality_manager, leeds, django_capture_on_commit_callbacks
):
    boss = PersonFactory(full_name="Bea Boss", email="bea@example.com")
    client = client_for(quality_manager)
    assert client.get(URL).status_code == 200
    data = rows(
        ["Ann.Lee@Example.com", "Ann Lee", "Machinist", "leeds", "", "bea@example.com", "Employee"],
        ["bo@example.com", "Bo Chan", "Buyer", "Leeds", "", "Bea Boss", "Employee; Process owner"],
    )
    upload(client, django_capture_on_commit_callbacks, xlsx_bytes(data), name="staff.xlsx", url=URL)
    batch = latest_batch()
    assert batch.rejected_count == 0, (batch.problems, batch.rejected_sample)
    assert not Person.objects.filter(email="ann.lee@example.com").exists()  # a dry run
    commit(client, django_capture_on_commit_callbacks, batch)
    ann = Person.objects.get(email="ann.lee@example.com")
    assert (ann.full_name, ann.site, ann.manager) == ("Ann Lee", leeds, boss)
    assert not ann.has_usable_password()
    assert Person.objects.get(email="bo@example.com").role_codes == {
        RoleCode.EMPLOYEE,
        RoleCode.PROCESS_OWNER,
    }


def test_a_file_with_a_duplicate_or_an_unknown_manager_stores_nobody(
    client_for, quality_manager, leeds, django_capture_on_commit_callbacks
):
    PersonFactory(email="taken@example.com")
    client = client_for(quality_manager)
    data = rows(
        ["new@example.com", "New One", "", "leeds", "", "", "Employee"],
        ["NEW@example.com", "New Again", "", "leeds", "", "", "Employee"],
        ["taken@example.com", "Taken", "", "leeds", "", "", "Employee"],
        ["other@example.com", "Other", "", "leeds", "", "nobody@example.com", "Employee"],
    )
    upload(client, django_capture_on_commit_callbacks, csv_bytes(data), url=URL)
    batch = latest_batch()
    problems = {r["row"]: r["errors"] for r in batch.rejected_sample}
    assert set(problems) == {3, 4, 5}
    assert "Row 2 has the same value" in problems[3]["Email"][0]
    assert "already exists" in problems[4]["Email"][0]
    assert "nobody@example.com" in problems[5]["Manager"][0]
    response = commit(client, django_capture_on_commit_callbacks, batch)
    assert response.status_code in (200, 302, 400, 409)
    assert not Person.objects.filter(email__in=["new@example.com", "other@example.com"]).exists()


def test_only_who_may_add_people_may_import_them(client_for, process_owner, employee):
    for person in (process_owner, employee):
        assert client_for(person).get(URL).status_code == 403
    assert not ImportBatch.objects.exists()
