"""The minutes and the input pack of a management review, as PDF (with the charts) and DOCX
(for editing a copy): the meeting, every input with its figures and management's comment,
the decisions, the conclusions and the chair's signature."""

from django.utils.safestring import mark_safe
from docx import Document as WordDocument

from norma.core.signatures import signatures_with_status
from norma.reports.frame import download, print_context
from norma.reports.word import DOCX_TYPE, add_signatures, add_table, as_bytes, clean, page_frame


def report_context(review) -> dict:
    inputs = list(review.inputs.order_by("position"))
    for item in inputs:
        item.chart_markup = mark_safe(item.chart)  # noqa: S308  built and escaped by reports.charts
    return {
        **print_context(
            reference=review.reference,
            revision=f"version {review.version}",
            title=f"{review.title}: minutes and input pack",
        ),
        "review": review,
        "attendees": list(review.attendees.all()),
        "inputs": inputs,
        "decisions": list(review.decisions.live().select_related("owner").order_by("pk")),
        "signatures": signatures_with_status(review),
    }


def download_minutes(review, kind: str):
    """The minutes as a download: "docx" for Word, anything else for PDF."""
    name = f"{review.reference}-management-review"
    if kind == "docx":
        return download(report_docx(review), f"{name}.docx", DOCX_TYPE)
    return download(report_pdf(review), f"{name}.pdf", "application/pdf")


def report_pdf(review) -> bytes:
    from norma.reports.pdf import render_pdf  # WeasyPrint is loaded only to print

    return render_pdf("reviews/review_print.html", report_context(review))


def _meeting_rows(c) -> list[list[str]]:
    review = c["review"]
    return [
        ["Review", f"{review.reference} · {review.get_status_display()}"],
        ["Period covered", f"{review.period_start:%Y-%m-%d} to {review.period_end:%Y-%m-%d}"],
        ["Planned for", f"{review.planned_date:%Y-%m-%d}"],
        ["Held on", f"{review.held_on:%Y-%m-%d}" if review.held_on else "Not held yet"],
        ["Location", review.location or "—"],
        ["Chair", review.chair.full_name],
        ["Attendees", ", ".join(p.full_name for p in c["attendees"]) or "—"],
        ["Agenda", review.agenda or "—"],
    ]


def report_docx(review) -> bytes:
    c = report_context(review)
    document = WordDocument()
    document.core_properties.title = clean(c["doc_title"])
    document.core_properties.author = clean(c["organisation"])
    page_frame(document, c)
    document.add_heading(clean(c["doc_title"]), level=0)
    document.add_heading("The meeting", level=1)
    add_table(document, ["", ""], _meeting_rows(c), [4, 13])
    document.add_heading("Inputs (9.3.2)", level=1)
    for item in c["inputs"]:
        document.add_heading(clean(item.title), level=2)
        if item.data_missing:
            note = "acknowledged" if item.missing_acknowledged else "not acknowledged"
            document.add_paragraph(clean(f"Data missing ({note})."))
        document.add_paragraph(clean(item.summary))
        if item.figures:
            add_table(document, ["Figure", "Value"], [[str(k), str(v)] for k, v in item.figures])
        for text, _reference in item.details:
            document.add_paragraph(clean(text), style="List Bullet")
        document.add_paragraph(clean(f"Management's comment: {item.comment or '—'}"))
    document.add_heading("Decisions (9.3.3)", level=1)
    if c["decisions"]:
        add_table(
            document,
            ["Decision", "Kind", "What was decided", "Owner", "Due"],
            [
                [
                    d.reference,
                    d.get_kind_display(),
                    f"{d.title}\n{d.description}",
                    d.owner.full_name,
                    f"{d.due_date:%Y-%m-%d}",
                ]
                for d in c["decisions"]
            ],
            [2.6, 3, 6.8, 3, 2.2],
        )
    else:
        document.add_paragraph("No decisions recorded.")
    document.add_heading("Minutes", level=1)
    document.add_paragraph(clean(review.minutes or "—"))
    document.add_heading("Conclusions on the QMS", level=1)
    document.add_paragraph(clean(review.conclusions or "Not yet concluded."))
    document.add_heading("Signature", level=1)
    add_signatures(document, c["signatures"], "Not signed: these minutes are a draft.")
    return as_bytes(document)
