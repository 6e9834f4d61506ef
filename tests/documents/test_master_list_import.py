"""Moving a master list into Norma: the register's own import numbers documents by type."""

from norma.documents.models import Document
from tests.dataio.test_import_kit import commit, csv_bytes, latest_batch, upload

URL = "/data/import/documents/document/"


def test_a_master_list_imports_with_numbers_from_each_documents_type(
    client_for, quality_manager, django_capture_on_commit_callbacks
):
    rows = [
        ["Title", "Type", "Owner", "Mandatory documented information", "Review period (months)"],
        ["Purchasing", "Procedure", quality_manager.email, "", "24"],
        ["Quality policy", "Policy", quality_manager.email, "5.2 Quality policy", ""],
        ["Goods-in inspection", "Work instruction", quality_manager.email, "", "12"],
    ]
    client = client_for(quality_manager)
    upload(client, django_capture_on_commit_callbacks, csv_bytes(rows), "master.csv", URL)
    batch = latest_batch()
    assert batch.rejected_count == 0, batch.rejected_sample
    commit(client, django_capture_on_commit_callbacks, batch)

    imported = {d.title: d for d in Document.objects.all()}
    assert imported["Purchasing"].reference == "QP-001"
    assert imported["Quality policy"].reference == "POL-001"
    assert imported["Quality policy"].checklist_item == "M3"
    assert imported["Goods-in inspection"].reference == "WI-001"
    assert imported["Goods-in inspection"].review_months == 12
    assert all(d.status == Document.Status.DRAFT for d in imported.values())


def test_a_master_list_row_with_an_unknown_type_is_rejected_naming_the_column(
    client_for, quality_manager, django_capture_on_commit_callbacks
):
    rows = [["Title", "Type"], ["Purchasing", "Memo"]]
    client = client_for(quality_manager)
    upload(client, django_capture_on_commit_callbacks, csv_bytes(rows), "master.csv", URL)
    batch = latest_batch()
    assert batch.rejected_count == 1
    assert "Type" in batch.rejected_sample[0]["errors"]
    assert not Document.objects.exists()


def test_a_master_list_names_the_sites_each_document_applies_at(
    client_for, quality_manager, leeds, porto, django_capture_on_commit_callbacks
):
    rows = [
        ["Title", "Type", "Sites"],
        ["Furnace start-up", "Procedure", f"{leeds.code}; {porto.code}"],
        ["Quality manual", "Procedure", ""],
    ]
    client = client_for(quality_manager)
    upload(client, django_capture_on_commit_callbacks, csv_bytes(rows), "master.csv", URL)
    batch = latest_batch()
    assert batch.rejected_count == 0, batch.rejected_sample
    commit(client, django_capture_on_commit_callbacks, batch)
    imported = {d.title: set(d.sites.all()) for d in Document.objects.all()}
    assert imported == {"Furnace start-up": {leeds, porto}, "Quality manual": set()}


def test_a_scoped_person_cannot_import_a_document_for_other_sites_only(
    client_for, leeds, porto, django_capture_on_commit_callbacks
):
    from norma.core.models import RoleCode
    from tests.factories import PersonFactory

    leeds_manager = PersonFactory(roles=[RoleCode.QUALITY_MANAGER], scope_sites=[leeds])
    rows = [["Title", "Type", "Sites"], ["Porto furnace", "Procedure", porto.code]]
    client = client_for(leeds_manager)
    upload(client, django_capture_on_commit_callbacks, csv_bytes(rows), "master.csv", URL)
    batch = latest_batch()
    assert batch.rejected_count == 1
    assert batch.rejected_sample[0]["errors"] == {"Sites": ["Unknown sites: porto."]}
    assert not Document.objects.exists()
