"""A revision's content: Markdown rendered safely, uploaded files checked and read for search,
and two revisions compared side by side."""

import difflib
import hashlib
import io
from dataclasses import dataclass
from pathlib import PurePosixPath

import nh3
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

from norma.core.actions import InvalidInput
from norma.core.attachments import check_upload
from norma.dataio.import_files import FileRefused, check_zip

# Raw HTML in Markdown is shown as text, never passed through; nh3 then keeps only plain
# formatting tags, so neither a <script> nor a javascript: link can reach the page.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
DOCUMENT_TYPES = ("pdf", "docx", "xlsx", "png", "jpg", "jpeg")
MAX_TEXT = 2_000_000  # characters of extracted text kept for search


def render_markdown(text: str) -> str:
    html = _markdown.render(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308  (sanitised just above)


@dataclass
class CheckedFile:
    name: str
    data: bytes
    sha256: str
    text: str


def refuse(message: str):
    raise InvalidInput(message, {"file": [message]})


def check_document_file(upload) -> CheckedFile:
    """Type, size and content checks, then the file's text; a bad file is refused whole."""
    limit = settings.NORMA_ATTACHMENT_MAX_BYTES
    if (upload.size or 0) > limit:
        refuse(f"The file is larger than the limit of {filesizeformat(limit)}.")
    data = upload.read(limit + 1)  # never more than the limit in memory
    name = PurePosixPath(upload.name.replace("\\", "/")).name[:255]
    extension = check_upload(name, data)
    if extension not in DOCUMENT_TYPES:
        refuse(f"A revision can be a PDF, DOCX, XLSX or image file, not .{extension}.")
    reader = {"pdf": pdf_text, "docx": docx_text, "xlsx": xlsx_text}.get(extension)
    text = reader(data) if reader else ""
    return CheckedFile(name, data, hashlib.sha256(data).hexdigest(), text[:MAX_TEXT])


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            refuse("This PDF is protected with a password; save it without one first.")
        if has_javascript(reader):
            refuse("This PDF carries JavaScript, which Norma does not store.")
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError):
        refuse("This PDF is damaged and cannot be read.")


def has_javascript(reader) -> bool:
    """Any object, compressed or not, that is a JavaScript action or names one. pypdf decodes
    escaped names (/J#61vaScript), so disguises do not hide it."""
    from pypdf.generic import DictionaryObject, IndirectObject

    numbers = [(n, g) for g, objects in reader.xref.items() for n in objects]
    numbers += [(n, 0) for n in reader.xref_objStm]
    for number, generation in numbers:
        obj = reader.get_object(IndirectObject(number, generation, reader))
        if isinstance(obj, DictionaryObject) and (
            "/JS" in obj or "/JavaScript" in obj or obj.get("/S") == "/JavaScript"
        ):
            return True
    return False


def docx_text(data: bytes) -> str:
    from docx import Document as WordDocument

    try:
        check_zip(data, "docx")
    except FileRefused as refused:
        refuse(str(refused))
    try:
        word = WordDocument(io.BytesIO(data))
    except Exception:  # python-docx raises many types for a damaged package
        refuse("This DOCX file is damaged and cannot be read.")
    lines = [p.text for p in word.paragraphs]
    for table in word.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def xlsx_text(data: bytes) -> str:
    from norma.dataio.import_files import read_xlsx

    try:
        table = read_xlsx(data)
        lines = [" ".join(table.header)]
        for _, cells in table.rows():
            lines.append(" ".join(str(c) for c in cells if c is not None))
            if sum(len(line) for line in lines) > MAX_TEXT:
                break
    except FileRefused as refused:
        refuse(str(refused))
    return "\n".join(lines)


@dataclass
class DiffRow:
    kind: str  # "same", "changed", "added", "removed"
    left: str
    right: str


def compare(old: str, new: str) -> list[DiffRow]:
    """Line by line, side by side: what stayed, what changed, what was added or removed."""
    left, right = old.splitlines(), new.splitlines()
    rows = []
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [DiffRow("same", a, b) for a, b in zip(left[i1:i2], right[j1:j2], strict=True)]
        elif tag == "delete":
            rows += [DiffRow("removed", a, "") for a in left[i1:i2]]
        elif tag == "insert":
            rows += [DiffRow("added", "", b) for b in right[j1:j2]]
        else:
            olds, news = left[i1:i2], right[j1:j2]
            for n in range(max(len(olds), len(news))):
                a = olds[n] if n < len(olds) else ""
                b = news[n] if n < len(news) else ""
                rows.append(DiffRow("changed" if a and b else ("removed" if a else "added"), a, b))
    return rows
