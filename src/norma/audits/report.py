"""The audit report (ISO 19011 6.5) as PDF and DOCX: objectives, scope, client, team and
participants, dates and places, criteria, findings with their evidence, conclusions, the
degree of fulfilment, diverging opinions, strengths, weaknesses and areas for improvement,
the note that audits sample, the distribution and the lead auditor's signature."""

import io

from django.db.models import Count
from docx import Document as WordDocument

from norma.audits.models import Finding, Grade, Result
from norma.core.signatures import signatures_with_status
from norma.reports.frame import print_context
from norma.reports.word import add_table, clean, page_frame

SAMPLING_NOTE = (
    "An audit looks at a sample of the information available, at a point in time. Findings "
    "rest on that sample; areas not sampled may hold nonconformities that were not found."
)
ORDER = [Grade.MAJOR, Grade.MINOR, Grade.OFI, Grade.OBSERVATION, Grade.STRENGTH]


def report_context(audit) -> dict:
    """Everything the report shows, read in a fixed number of queries."""
    findings = list(
        audit.findings.live()
        .exclude(status=Finding.Status.WITHDRAWN)
        .select_related("clause", "process", "nonconformity", "acknowledged_by")
        .order_by("pk")
    )
    findings.sort(key=lambda f: ORDER.index(f.grade))
    results = dict(audit.checklist.live().values_list("result").annotate(n=Count("pk")).order_by())
    tally = [(label, results.get(value, 0)) for value, label in Result.choices]
    disputed = [f for f in findings if f.status == Finding.Status.DISPUTED]
    revision = f"version {audit.version}"
    return {
        **print_context(
            reference=audit.reference, revision=revision, title=f"Audit report: {audit.title}"
        ),
        "audit": audit,
        "team": audit.auditors,
        "auditees": list(audit.auditees.all()),
        "processes": list(audit.processes.all()),
        "sites": list(audit.sites.all()),
        "clauses": list(audit.clauses.all()),
        "opening_attendees": list(audit.opening_attendees.all()),
        "closing_attendees": list(audit.closing_attendees.all()),
        "interviews": list(audit.interviews.live().select_related("interviewee")),
        "findings": findings,
        "counts": [(g.label, sum(1 for f in findings if f.grade == g)) for g in ORDER],
        "tally": tally,
        "checked": sum(n for label, n in tally if label != Result.NOT_AUDITED.label),
        "disputed": disputed,
        "sampling_note": SAMPLING_NOTE,
        "signatures": signatures_with_status(audit),
    }


def report_pdf(audit) -> bytes:
    from norma.reports.pdf import render_pdf  # WeasyPrint is loaded only to print

    return render_pdf("audits/report_print.html", report_context(audit))


def _names(people) -> str:
    return ", ".join(p.full_name for p in people) or "—"


def report_docx(audit) -> bytes:
    """The same report as an editable Word document."""
    c = report_context(audit)
    document = WordDocument()
    document.core_properties.title = clean(c["doc_title"])
    document.core_properties.author = clean(c["organisation"])
    page_frame(document, c)
    document.add_heading(clean(c["doc_title"]), level=0)
    dates = f"{audit.start_date or '—'} to {audit.end_date or audit.start_date or '—'}"
    add_table(
        document,
        ["", ""],
        [
            ["Audit", f"{audit.reference} · {audit.get_kind_display()}"],
            ["Objectives", audit.objectives],
            ["Criteria", audit.criteria],
            ["Processes", ", ".join(p.title for p in c["processes"]) or "Whole system"],
            ["Clauses", ", ".join(cl.ref for cl in c["clauses"]) or "—"],
            ["Sites", ", ".join(s.name for s in c["sites"]) or "—"],
            ["Client", c["organisation"]],
            ["Lead auditor", audit.owner.full_name if audit.owner_id else "—"],
            ["Audit team", _names(c["team"])],
            ["Auditees", _names(c["auditees"])],
            ["Dates", dates],
            ["Opening meeting", _names(c["opening_attendees"])],
            ["Closing meeting", _names(c["closing_attendees"])],
        ],
        [4, 13],
    )
    document.add_heading("Findings", level=1)
    if c["findings"]:
        add_table(
            document,
            ["Finding", "Grade", "Clause", "Statement and evidence"],
            [
                [
                    f.reference,
                    f.get_grade_display(),
                    f.clause.ref,
                    f"{f.title}\nRequirement: {f.requirement}\nEvidence: {f.evidence}",
                ]
                for f in c["findings"]
            ],
            [2.6, 3, 1.6, 9.8],
        )
    else:
        document.add_paragraph("No findings.")
    document.add_heading("Conclusions", level=1)
    document.add_paragraph(clean(audit.get_fulfilment_display() or "Not yet concluded."))
    document.add_paragraph(clean(audit.conclusions))
    for title, text in (
        ("Strengths", audit.strengths),
        ("Weaknesses", audit.weaknesses),
        ("Areas for improvement", audit.improvement_areas),
        ("Unresolved diverging opinions", audit.diverging_opinions),
    ):
        document.add_heading(title, level=2)
        document.add_paragraph(clean(text or "None."))
    for f in c["disputed"]:
        document.add_paragraph(clean(f"{f.reference}: {f.auditee_response}"), style="List Bullet")
    document.add_heading("About this audit", level=1)
    document.add_paragraph(SAMPLING_NOTE)
    document.add_paragraph(clean(f"Distributed to: {', '.join(audit.distributed_to) or '—'}"))
    for signature, holds in c["signatures"]:
        state = "" if holds else " (content changed since signing)"
        document.add_paragraph(clean(f"{signature}{state}"))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
