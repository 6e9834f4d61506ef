"""Reading uploaded CSV and XLSX files safely: type and size checks, and a zip-bomb guard.

A file becomes a `Table`: its header row and an iterator over the rows below it, each with
the row number a person sees in a spreadsheet (the header is row 1). Nothing here knows about
registers; `import_mapping` turns the cells into form data.
"""

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.template.defaultfilters import filesizeformat

FORMATS = ("csv", "xlsx")
# Leading bytes of binary formats people might rename to .csv by mistake.
BINARY_SIGNATURES = {
    b"PK\x03\x04": "a ZIP archive (perhaps an XLSX workbook renamed .csv)",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\xd0\xcf\x11\xe0": "an old Office file (.xls or .doc)",
    b"\x7fELF": "a program",
    b"MZ": "a program",
}
CONTROL_CHARACTERS = {chr(c) for c in range(32)} - {"\t", "\n", "\r"}
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_RATIO = 100  # uncompressed / compressed, for members over 1 MB
RATIO_CHECK_FROM = 1024 * 1024
XML_ENTITIES = "This file holds XML entity declarations, which Norma refuses to read."


class FileRefused(Exception):
    """The file cannot be imported; `message` tells the person why, in their words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def limit(name: str, default: int) -> int:
    """An import limit: a setting when the deployment sets one, else Norma's default."""
    return int(getattr(settings, name, default))


def max_bytes() -> int:
    return limit("NORMA_IMPORT_MAX_BYTES", 50 * 1024 * 1024)


def max_rows() -> int:
    return limit("NORMA_IMPORT_MAX_ROWS", 200_000)


def max_expanded_bytes() -> int:
    return limit("NORMA_IMPORT_MAX_EXPANDED_BYTES", 500 * 1024 * 1024)


def safe_filename(name: str) -> str:
    return PurePosixPath((name or "").replace("\\", "/")).name[:255] or "upload"


def file_format(name: str, size: int) -> str:
    """'csv' or 'xlsx' from the file's name, or FileRefused naming what is accepted."""
    extension = safe_filename(name).rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in FORMATS:
        raise FileRefused("Choose a .csv or .xlsx file; other types cannot be imported.")
    if size > max_bytes():
        raise FileRefused(f"The file is larger than the limit of {filesizeformat(max_bytes())}.")
    if size == 0:
        raise FileRefused("The file is empty.")
    return extension


@dataclass
class Table:
    """A header row and the rows below it; `total` may be an estimate for XLSX."""

    header: list[str]
    total: int
    rows: Callable[[], Iterator[tuple[int, list]]]


def open_table(data: bytes, kind: str) -> Table:
    """Read the header and count the rows, or raise FileRefused saying what is wrong."""
    table = read_csv(data) if kind == "csv" else read_xlsx(data)
    if not any(table.header):
        raise FileRefused("The first row must hold the column headers; it is empty.")
    if table.total > max_rows():
        raise FileRefused(
            f"The file has {table.total:,} rows; at most {max_rows():,} can be imported at once. "
            "Split it into several files."
        )
    return table


# -- CSV -----------------------------------------------------------------------------------
def decode_text(data: bytes) -> str:
    for signature, what in BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise FileRefused(f"This file is not a CSV text file: it is {what}.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    elif b"\x00" in data[:65536]:
        raise FileRefused("This file is not a CSV text file: it holds binary data.")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    if any(char in CONTROL_CHARACTERS for char in text[:65536]):
        raise FileRefused("This file is not a CSV text file: it holds control characters.")
    return text.lstrip("\ufeff")


def read_csv(data: bytes) -> Table:
    text = decode_text(data)
    first_line = text.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","

    def records() -> Iterator[list[str]]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            yield from reader
        except csv.Error as error:
            raise FileRefused(
                f"Row {reader.line_num} cannot be read as CSV ({error}). Check its quotes."
            ) from None

    iterator = records()
    header = [cell.strip() for cell in next(iterator, [])]
    total = sum(1 for cells in iterator if any(c.strip() for c in cells))

    def rows() -> Iterator[tuple[int, list]]:
        for number, cells in enumerate(records(), start=1):
            if number > 1:
                yield number, cells

    return Table(header=header, total=total, rows=rows)


PROLOG_LIMIT = 1024 * 1024
COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)
START_TAG = re.compile(rb"<[A-Za-z_]")


# -- XLSX ----------------------------------------------------------------------------------
# The part that makes a ZIP an Office package of each kind, and what people call it.
PACKAGES = {
    "xlsx": ("xl/workbook.xml", "XLSX workbook", "an"),
    "docx": ("word/document.xml", "DOCX file", "a"),
}


def check_zip(data: bytes, kind: str = "xlsx") -> None:
    """Refuse what is not an Office package of this kind, and archives that expand far beyond
    their size (zip bombs) or declare XML entities."""
    main_part, what, article = PACKAGES[kind]
    if not data.startswith(b"PK\x03\x04"):
        raise FileRefused(f"This file is not {article} {what}.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FileRefused(f"This file is not a valid {what} (the ZIP is damaged).") from None
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or main_part not in names:
        raise FileRefused(f"This ZIP file is not {article} {what}.")
    if len(members) > MAX_ZIP_MEMBERS:
        raise FileRefused(f"This {what} holds too many parts to be read safely.")
    if any(m.flag_bits & 0x1 for m in members):
        raise FileRefused(f"This {what} is encrypted; save it without a password first.")
    expanded = sum(m.file_size for m in members)
    if expanded > max_expanded_bytes():
        raise FileRefused(
            f"This {what} expands to {filesizeformat(expanded)}, more than the "
            f"{filesizeformat(max_expanded_bytes())} Norma reads; it may be a zip bomb."
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_CHECK_FROM and ratio > MAX_ZIP_RATIO:
            raise FileRefused(
                f"This {what} is compressed {ratio:,.0f} times, far more than a real "
                "file; it looks like a zip bomb and was not opened."
            )
    for member in members:
        if member.filename.endswith((".xml", ".rels")) and has_dtd(archive, member, what):
            raise FileRefused(XML_ENTITIES)


def has_dtd(archive: zipfile.ZipFile, member: zipfile.ZipInfo, what: str = "XLSX workbook") -> bool:
    """A DOCTYPE comes before the first element; Office files never need one. Comments in
    the prolog are skipped, however long; a prolog longer than PROLOG_LIMIT counts as one."""
    try:
        with archive.open(member) as handle:
            head = handle.read(PROLOG_LIMIT)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
        raise FileRefused(f"This file is not a valid {what} (the ZIP is damaged).") from None
    prolog = COMMENT.sub(b"", head)
    first_element = START_TAG.search(prolog)
    if first_element is None:
        return len(head) == PROLOG_LIMIT  # no element in the first megabyte: not a real part
    prolog = prolog[: first_element.start()]
    return b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog


def xlsx_error(error: BaseException | None) -> FileRefused:
    """What to tell the person; defusedxml's refusals are often wrapped by openpyxl."""
    while error is not None:
        name = type(error).__name__
        if "Entities" in name or "DTD" in name or "External" in name:
            return FileRefused(XML_ENTITIES)
        error = error.__cause__ or error.__context__
    return FileRefused("This file could not be read as an XLSX workbook.")


def read_xlsx(data: bytes) -> Table:
    """The first worksheet, read-only and with the values Excel last calculated."""
    from openpyxl import load_workbook  # parses XML with defusedxml when it is installed

    check_zip(data)

    def open_sheet():
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
        except Exception as error:  # openpyxl raises many types for a broken file
            raise xlsx_error(error) from None
        estimate = (sheet.max_row or 1) - 1
        sheet.reset_dimensions()  # a wrong <dimension> must not cut rows off
        return workbook, sheet, estimate

    def rows() -> Iterator[tuple[int, list]]:
        workbook, sheet, _ = open_sheet()
        try:
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number > 1:
                    yield number, list(cells)
        except FileRefused:
            raise
        except Exception as error:
            raise xlsx_error(error) from None
        finally:
            workbook.close()

    workbook, sheet, estimate = open_sheet()
    try:
        first = next(sheet.iter_rows(max_row=1, values_only=True), ())
    except Exception as error:
        raise xlsx_error(error) from None
    finally:
        workbook.close()
    header = ["" if cell is None else str(cell).strip() for cell in first]
    return Table(header=header, total=max(estimate, 0), rows=rows)
