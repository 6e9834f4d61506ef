"""API endpoints of the audits app beyond its registers, mounted at /api/v1/audits/: the
audit report as PDF or DOCX, a programme's coverage of the cycle, and the processes the
risks suggest auditing."""

from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from norma.audits import programme as programmes
from norma.audits.registers import AuditProgrammeRegister, AuditRegister
from norma.audits.report import report_docx, report_pdf
from norma.reports.frame import download
from norma.reports.word import DOCX_TYPE

router = Router(tags=["Audit reports and coverage"])


@router.get("/audit-reports/{reference}")
def audit_report(request, reference: str, format: Literal["pdf", "docx"] = "pdf"):  # noqa: A002
    """The audit report (ISO 19011 6.5), signed or still a draft, as PDF or DOCX."""
    audit = get_object_or_404(AuditRegister.readable_by(request.user), reference=reference)
    name = f"{audit.reference}-audit-report"
    if format == "docx":
        return download(report_docx(audit), f"{name}.docx", DOCX_TYPE)
    return download(report_pdf(audit), f"{name}.pdf", "application/pdf")


class CellOut(Schema):
    clause: str
    process: str | None  # a process reference; null for audits of the whole system
    state: Literal["done", "planned"]


class CoverageOut(Schema):
    programme: str
    cycle_start: str
    cycle_end: str
    cells: list[CellOut]
    clause_gaps: list[str]
    process_gaps: list[str]


@router.get("/coverage/{reference}", response=CoverageOut)
def coverage(request, reference: str):
    """What the cycle ending with the programme has audited (done) or plans (planned), per
    clause and process; the clauses and processes not covered at all."""
    found = get_object_or_404(AuditProgrammeRegister.readable_by(request.user), reference=reference)
    matrix = programmes.coverage(found, request.user)
    clauses = {c.pk: c.ref for c in matrix.clauses}
    processes = {p.pk: p.reference for p in matrix.processes}
    return {
        "programme": found.reference,
        "cycle_start": programmes.cycle_start(found).isoformat(),
        "cycle_end": found.period_end.isoformat(),
        "cells": [
            {"clause": clauses[c], "process": processes.get(p), "state": state}
            for (c, p), state in sorted(matrix.cells.items())
        ],
        "clause_gaps": [c.ref for c in matrix.clause_gaps],
        "process_gaps": [p.reference for p in matrix.process_gaps],
    }


class SuggestionOut(Schema):
    process: str
    title: str
    reasons: list[str]
    last_audited: str | None


@router.get("/suggestions", response=list[SuggestionOut])
def suggestions(request):
    """Processes the risks suggest auditing earlier or more often, most reasons first."""
    AuditProgrammeRegister.readable_by(request.user)  # the programme's readers see them
    return [
        {
            "process": s.process.reference,
            "title": s.process.title,
            "reasons": s.reasons,
            "last_audited": s.last_audited.isoformat() if s.last_audited else None,
        }
        for s in programmes.suggestions(request.user)
    ]
