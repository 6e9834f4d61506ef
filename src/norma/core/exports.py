"""CSV and XLSX exports of a register, with spreadsheet formulas neutralised."""

import csv
import io

from django.core.exceptions import FieldDoesNotExist
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.text import capfirst
from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """A cell that a spreadsheet would run as a formula is prefixed with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell_value(obj, name: str) -> str:
    display = getattr(obj, f"get_{name}_display", None)
    value = display() if display else getattr(obj, name)
    if hasattr(value, "all"):  # a many-to-many column: its items, prefetched, in one cell
        value = "; ".join(sorted(str(item) for item in value.all()))
    return neutralise(value)


def column_title(model, name: str) -> str:
    """A field's verbose name, or for a computed column (an annotation) its name in words."""
    try:
        return capfirst(str(model._meta.get_field(name).verbose_name))  # "PESTLE" stays
    except FieldDoesNotExist:
        return name.replace("_", " ").capitalize()


def column_titles(model, names: list[str]) -> list[str]:
    return [column_title(model, n) for n in names]


class _Echo:
    def write(self, value):
        return value


def csv_response(filename: str, model, columns: list[str], rows) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # lets spreadsheet programs detect UTF-8
        yield writer.writerow(column_titles(model, columns))
        for obj in rows:
            yield writer.writerow([cell_value(obj, c) for c in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(filename: str, model, columns: list[str], rows) -> HttpResponse:
    lines = (column_titles(model, columns), *([cell_value(o, c) for c in columns] for o in rows))
    return table_response(filename, "xlsx", lines)


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_response(filename: str, fmt: str, lines) -> HttpResponse:
    """Rows of cells, the first the heading, as a CSV or XLSX download (a report that is not
    one register's rows, such as the competence matrix). Cells must be neutralised already."""
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # lets spreadsheet programs detect UTF-8
        csv.writer(buffer).writerows(lines)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=filename[:31])
        for line in lines:
            sheet.append(line)
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
