"""Headers map to form fields by name or label; cells to values by natural key; no query per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from norma.dataio.import_mapping import ROW
from norma.dataio.import_rows import RowChecker
from norma.dataio.models import ImportBatch
from norma.planning.registers import ProcessRegister
from tests.dataio.test_import_kit import csv_bytes, upload
from tests.factories import DepartmentFactory, PersonFactory


def checker(person, header):
    return RowChecker(ProcessRegister, person, header)


def fields(check):
    return {c.header: c.field for c in check.columns}


def test_headers_match_field_names_and_labels_in_any_case(quality_manager):
    header = ["TITLE", "process_type", " Next  Review ", "Owner", "CLAUSES", "Purpose"]
    check = checker(quality_manager, header)
    assert check.problems == []
    assert fields(check) == {
        "TITLE": "title",
        "process_type": "process_type",
        " Next  Review ": "due_date",  # the label (verbose name) of due_date
        "Owner": "owner",
        "CLAUSES": "clauses",
        "Purpose": "purpose",
    }
    assert fields(checker(quality_manager, ["title", "Due Date"])) == {
        "title": "title",
        "Due Date": "due_date",
    }


def test_a_missing_required_column_is_named(quality_manager):
    check = checker(quality_manager, ["Purpose", "Owner"])
    assert check.problems == ["Missing required columns: 'Title' (title)."]


def test_unknown_columns_are_named_and_server_fields_refused(quality_manager):
    check = checker(quality_manager, ["Title", "Colour", "Reference", "Status", "Size"])
    assert check.problems[0].startswith("Unknown columns: 'Colour', 'Size'. The columns Norma")
    assert "Title, Process type, Owner" in check.problems[0]
    assert check.problems[1] == "Norma sets 'Reference', 'Status' itself; remove these columns."


def test_duplicate_and_unnamed_columns_are_problems(quality_manager):
    check = checker(quality_manager, ["Title", "", "title", "Purpose", "", ""])
    assert check.problems == [
        "Column 2 has no header; name it or delete the column.",
        "The columns 'Title' and 'title' both fill 'title'.",
    ]


def test_unknown_and_missing_columns_are_reported_at_upload_before_any_job(
    client_for, quality_manager, django_capture_on_commit_callbacks
):
    data = csv_bytes([["Purpose", "Colour"], ["x", "red"]])
    response = upload(client_for(quality_manager), django_capture_on_commit_callbacks, data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "Unknown columns: &#x27;Colour&#x27;" in page
    assert "Missing required columns: &#x27;Title&#x27; (title)." in page
    assert not ImportBatch.objects.exists()


def test_natural_keys_choices_and_their_errors(quality_manager, leeds, porto):
    PersonFactory(full_name="Sam Same", email="sam1@example.com")
    PersonFactory(full_name="Sam Same", email="sam2@example.com")
    DepartmentFactory(name="Quality", site=leeds)
    DepartmentFactory(name="Quality", site=porto)
    header = ["Title", "Owner", "Site", "Department", "Process type", "Clauses"]
    check = checker(quality_manager, header)
    good = check.check(2, ["A", "SAM1@example.com", "Porto", "quality", "support", "4.4"])
    assert good.errors == {}
    assert (good.obj.owner.email, good.obj.site, good.obj.department.site) == (
        "sam1@example.com",
        porto,
        porto,
    )
    assert [c.ref for c in good.many["clauses"]] == ["4.4"]
    bad = check.check(3, ["B", "Sam Same", "nowhere", "Quality", "Magic", "4.4;;x.y, 7.5"])
    assert bad.errors["Owner"] == [
        "'Sam Same' matches 2 people (Sam Same, Sam Same); give the email instead."
    ]
    assert bad.errors["Site"][0].startswith("No site 'nowhere' among those you may choose")
    assert bad.errors["Department"][0].startswith("'Quality' matches 2 departments")
    assert bad.errors["Process type"] == [
        "'Magic' is not one of: Core (realises products or services), Management, Support."
    ]
    assert bad.errors["Clauses"] == ["Unknown clauses: x.y."]


def test_a_person_limited_to_one_site_cannot_import_into_another(db, leeds, porto):
    from norma.core.models import RoleCode

    limited = PersonFactory(roles=[RoleCode.PROCESS_OWNER], scope_sites=[leeds])
    check = checker(limited, ["Title", "Site"])
    assert check.check(2, ["Here", "leeds"]).errors == {}
    refused = check.check(3, ["There", "porto"])
    assert refused.errors["Site"][0].startswith("No site 'porto' among those you may choose")


def test_cells_beyond_the_header_and_inactive_owners_are_rejected(quality_manager):
    gone = PersonFactory(email="gone@example.com", is_active=False)
    check = checker(quality_manager, ["Title", "Owner"])
    row = check.check(2, ["A", gone.email, "surprise"])
    assert row.errors[ROW] == ["This row has values to the right of the last column header."]
    assert row.errors["Owner"][0].startswith("No person 'gone@example.com'")
    assert check.check(3, ["B", "", None, ""]).errors == {}


def test_checking_rows_runs_no_query_per_row(quality_manager, leeds):
    owner = PersonFactory(email="o@example.com")
    header = ["Title", "Owner", "Site", "Next review", "Clauses", "Process type"]
    check = checker(quality_manager, header)
    with CaptureQueriesContext(connection) as queries:
        rows = [
            check.check(n, [f"P{n}", owner.email, "leeds", "2027-01-01", "4.4.1; 8.5", "core"])
            for n in range(2, 202)
        ]
    assert all(r.errors == {} for r in rows)
    assert len(queries) == 0, [q["sql"] for q in queries][:3]


@pytest.mark.parametrize(
    ("value", "message"),
    [("2027-02-30", "Enter a valid date. Write dates as YYYY-MM-DD, e.g. 2026-03-31."),
     ("soon", "Enter a valid date. Write dates as YYYY-MM-DD, e.g. 2026-03-31.")],
)  # fmt: skip
def test_invalid_dates_say_how_to_write_them(quality_manager, value, message):
    row = checker(quality_manager, ["Title", "Next review"]).check(2, ["A", value])
    assert row.errors == {"Next review": [message]}


def test_locale_dates_the_web_form_accepts_are_accepted_too(quality_manager):
    row = checker(quality_manager, ["Title", "Next review"]).check(2, ["A", "31/03/2027"])
    assert row.errors == {} and row.obj.due_date.isoformat() == "2027-03-31"
