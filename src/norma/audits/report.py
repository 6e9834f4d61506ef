"""The audit report (ISO 19011 6.5) as PDF and DOCX: objectives, scope, client, team and
participants, dates and places, criteria, findings with their evidence, conclusions, the
degree of fulfilment, diverging opinions, strengths, weaknesses and areas for improvement,
the note that audits sample, the distribution and the lead auditor's signature."""

from django.utils import timezone
from docx import Document as WordDocument

from norma.audits.models import Finding, Grade, Result
from norma.core.signatures import signatures_with_status
from norma.reports.frame import print_context
from norma.reports.word import add_signatures, add_table, as_bytes, clean, page_frame

SAMPLING_NOTE = (
    "An audit looks at a sample of the information available, at a point in time. Findings "
    "rest on that sample; areas not sampled may hold nonconformities that were not found."
)
PLAIN = (Result.CONFORMING, Result.NOT_AUDITED)  # left out of the PDF's annex, kept in DOCX
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
    checklist = list(audit.checklist.live().select_related("clause").order_by("position", "pk"))
    tally = [
        (label, sum(1 for item in checklist if item.result == value))
        for value, label in Result.choices
    ]
    signatures = signatures_with_status(audit)
    signed_at = signatures[0][0].signed_at if signatures else None
    for finding in findings:  # answers given after signing are not part of what was signed
        finding.answered_later = bool(
            signed_at and finding.acknowledged_at and finding.acknowledged_at > signed_at
        )
    return {
        **print_context(
            reference=audit.reference,
            revision=f"version {audit.version}",
            title=f"Audit report: {audit.title}",
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
        "checklist": checklist,
        "noted": [item for item in checklist if item.result not in PLAIN],
        "plain_count": sum(1 for item in checklist if item.result in PLAIN),
        "counts": [(g.label, sum(1 for f in findings if f.grade == g)) for g in ORDER],
        "tally": tally,
        "checked": sum(n for label, n in tally if label != Result.NOT_AUDITED.label),
        "disputed": [f for f in findings if f.status == Finding.Status.DISPUTED],
        "sampling_note": SAMPLING_NOTE,
        "signatures": signatures,
    }


def report_pdf(audit) -> bytes:
    from norma.reports.pdf import render_pdf  # WeasyPrint is loaded only to print

    return render_pdf("audits/report_print.html", report_context(audit))


def _names(people) -> str:
    return ", ".join(p.full_name for p in people) or "—"


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _scope_rows(c) -> list[list[str]]:
    audit = c["audit"]
    dates = f"{audit.start_date or '—'} to {audit.end_date or audit.start_date or '—'}"
    lead = audit.owner.full_name if audit.owner_id else "—"
    if audit.supervisor_id:
        lead += f" (supervised by {audit.supervisor.full_name})"
    rows = [
        ["Audit", f"{audit.reference} · {audit.get_kind_display()} · {audit.get_status_display()}"],
        ["Objectives", audit.objectives],
        ["Processes", ", ".join(p.title for p in c["processes"]) or "Whole system"],
        ["Clauses", ", ".join(cl.ref for cl in c["clauses"]) or "Those of the processes"],
        ["Sites", ", ".join(s.name for s in c["sites"]) or "—"],
        ["Criteria", audit.criteria],
        ["Client", c["organisation"]],
        ["Lead auditor", lead],
        ["Audit team", _names(c["team"])],
        ["Auditees", _names(c["auditees"])],
        ["Dates", dates],
        ["Opening meeting", f"{_when(audit.opening_meeting_at)}: {_names(c['opening_attendees'])}"],
        ["Closing meeting", f"{_when(audit.closing_meeting_at)}: {_names(c['closing_attendees'])}"],
    ]
    if audit.supplier_id:
        rows.insert(5, ["Supplier", audit.supplier.title])
    return rows


def _finding_text(f) -> str:
    text = f"{f.title}\nRequirement: {f.requirement}\nEvidence: {f.evidence}"
    if f.nonconformity_id:
        text += f"\nNonconformity opened: {f.nonconformity.reference}"
    if f.auditee_response:
        later = ", after the report was signed" if f.answered_later else ""
        text += (
            f"\nAuditee's answer ({f.get_status_display().lower()}{later}): {f.auditee_response}"
        )
    return text


def report_docx(audit) -> bytes:
    """The same report as an editable Word document, section for section."""
    c = report_context(audit)
    document = WordDocument()
    document.core_properties.title = clean(c["doc_title"])
    document.core_properties.author = clean(c["organisation"])
    page_frame(document, c)
    document.add_heading(clean(c["doc_title"]), level=0)
    document.add_heading("The audit", level=1)
    add_table(document, ["", ""], _scope_rows(c), [4, 13])
    if audit.reviewed_revisions:
        document.add_heading("Documents reviewed", level=2)
        for row in audit.reviewed_revisions:
            line = f"{row['document']} {row['title']}, revision {row['revision']}"
            document.add_paragraph(clean(line), style="List Bullet")
    document.add_heading("What was audited", level=1)
    interviews = len(c["interviews"])
    document.add_paragraph(
        f"{c['checked']} checklist questions answered, {interviews} interviews held."
    )
    add_table(document, [label for label, _ in c["tally"]], [[str(n) for _, n in c["tally"]]])
    for interview in c["interviews"]:
        line = (
            f"{interview.reference} {interview.interviewee.full_name}"
            f" ({interview.interviewee_role or 'no role given'}), {_when(interview.held_at)}"
        )
        document.add_paragraph(clean(line), style="List Bullet")
    document.add_heading("Findings", level=1)
    document.add_paragraph(" · ".join(f"{label}: {n}" for label, n in c["counts"]))
    if c["findings"]:
        add_table(
            document,
            ["Finding", "Grade", "Clause", "Statement and evidence"],
            [
                [f.reference, f.get_grade_display(), f.clause.ref, _finding_text(f)]
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
        document.add_paragraph(clean(text or "None stated."))
    for f in c["disputed"]:
        document.add_paragraph(clean(f"{f.reference}: {f.auditee_response}"), style="List Bullet")
    document.add_heading("About this audit", level=1)
    document.add_paragraph(SAMPLING_NOTE)
    document.add_paragraph(clean(f"Distributed to: {', '.join(audit.distributed_to) or '—'}."))
    add_signatures(document, c["signatures"], "Not signed: this report is a draft.")
    document.add_heading("Annex: the checklist", level=1)
    add_table(
        document,
        ["#", "Clause", "Question", "Result", "Evidence"],
        [
            [
                str(item.position),
                item.clause.ref if item.clause_id else "",
                item.title,
                item.get_result_display(),
                item.evidence,
            ]
            for item in c["checklist"]
        ],
        [0.9, 1.5, 7, 2.6, 5],
    )
    return as_bytes(document)
