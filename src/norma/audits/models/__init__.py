"""The audits app's models (9.2): the audit programme, each audit with its plan, meetings,
document review and report, its checklist and interviews, and the findings it grades."""

from norma.audits.models.audits import Audit, AuditProgramme
from norma.audits.models.fieldwork import ChecklistItem, Finding, Grade, Interview, Result

__all__ = [
    "Audit",
    "AuditProgramme",
    "ChecklistItem",
    "Finding",
    "Grade",
    "Interview",
    "Result",
]
