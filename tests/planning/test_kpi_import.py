"""A KPI's results imported from CSV or XLSX: all rows checked first, all kept or none."""

import io

from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from norma.core.models import ChangeLogEntry
from norma.planning.models import Kpi, Measurement
from tests.factories import make_planning_record

KPI = {"unit": "%", "frequency": "monthly", "direction": "higher", "target": 95}
make_kpi = make_planning_record(Kpi, KPI)


def csv_file(text: str, name="results.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def post(client, kpi, upload):
    response = client.post(f"/planning/kpis/{kpi.reference}/import/", {"file": upload})
    return response, " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_a_csv_of_results_is_imported_and_logged_once(process_owner, client_for):
    kpi = make_kpi(process_owner, title="On-time delivery")
    text = "date,value,note\n2026-09-30,91.5,\n2026-10-31,93,late truck\n2026-11-30,96.25,\n"
    response, said = post(client_for(process_owner), kpi, csv_file(text))
    assert response.status_code == 302 and "results imported" in said
    values = list(kpi.measurements.order_by("measured_at").values_list("value", "note", "source"))
    assert [(str(v), n, s) for v, n, s in values] == [
        ("91.5000", "", "import"),
        ("93.0000", "late truck", "import"),
        ("96.2500", "", "import"),
    ]
    kpi.refresh_from_db()
    assert kpi.due_date.isoformat() == "2026-12-31"  # a month (31 days) after the latest
    entry = ChangeLogEntry.objects.get(object_id=str(kpi.pk), action="import-results")
    assert entry.after["imported"] == 3 and entry.after["file"] == "results.csv"


def test_an_xlsx_with_dates_and_numbers_is_imported(process_owner, client_for):
    import datetime

    kpi = make_kpi(process_owner, title="Right first time")
    book = Workbook()
    sheet = book.active
    sheet.append(["Measured on", "Value"])
    sheet.append([datetime.date(2026, 10, 1), 97.5])
    sheet.append([datetime.datetime(2026, 11, 1, 8, 0), 98])
    data = io.BytesIO()
    book.save(data)
    upload = SimpleUploadedFile("results.xlsx", data.getvalue())
    response, said = post(client_for(process_owner), kpi, upload)
    assert "results imported" in said, said
    assert kpi.measurements.count() == 2


def test_bad_rows_are_named_and_nothing_is_imported(process_owner, client_for):
    kpi = make_kpi(process_owner, title="On-time delivery")
    text = 'date,value\n2026-09-30,91.5\n2026-10-31,abc\n2026-13-45,90\n2026-11-30,"1,5"\n'
    response, said = post(client_for(process_owner), kpi, csv_file(text))
    assert "3 rows cannot be read; nothing was imported." in said
    assert "Row 3: 'abc' is not a number." in said
    assert "Row 4: '2026-13-45' is not a date or time" in said
    assert "Row 5: '1,5': write decimals with a point" in said
    assert not Measurement.objects.exists()
    kpi.refresh_from_db()
    assert kpi.due_date is None


def test_a_file_without_the_columns_or_of_another_type_is_refused(process_owner, client_for):
    kpi = make_kpi(process_owner, title="On-time delivery")
    client = client_for(process_owner)
    _, said = post(client, kpi, csv_file("when,how much\n2026-09-30,91\n"))
    assert "needs a 'date' (or 'measured_at') column and a 'value' column" in said
    _, said = post(client, kpi, csv_file("date,value\n2026-09-30,91\n", name="results.txt"))
    assert "Choose a .csv or .xlsx file" in said
    assert not Measurement.objects.exists()


def test_someone_without_the_right_to_measure_imports_nothing(process_owner, employee, client_for):
    kpi = make_kpi(process_owner, title="On-time delivery")
    _, said = post(client_for(employee), kpi, csv_file("date,value\n2026-09-30,91\n"))
    assert "You do not have the right" in said
    assert not Measurement.objects.exists()
    page = client_for(employee).get(f"/planning/kpis/{kpi.reference}/").content.decode()
    assert 'name="file"' not in page.split("Latest results")[0]
