"""Tests of norma.reports: charts, PDF, DOCX. Helpers shared by these tests live here."""

import io

from pypdf import PdfReader


def pdf_text(content: bytes) -> str:
    """All text pypdf extracts from a PDF, whitespace collapsed to single spaces."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def fake_render(template_name, context, request=None) -> bytes:
    """Stands in for WeasyPrint in tests about rights: renders the template, returns a stub PDF."""
    from django.template.loader import render_to_string

    render_to_string(template_name, context, request=request)
    return b"%PDF-1.7 stub"
