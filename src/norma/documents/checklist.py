"""The mandatory documented information of ISO 9001:2015, as a checklist.

"Maintain" items are documents (they are revised); "retain" items are records (evidence kept
unchanged). Clause numbers are facts; the descriptions are Norma's own short wording.
"""

from django.db import models


class ChecklistItem(models.TextChoices):
    # Documents to maintain
    M1 = "M1", "4.3 Scope of the QMS"
    M2 = "M2", "4.4.2 Information that supports running the processes"
    M3 = "M3", "5.2 Quality policy"
    M4 = "M4", "6.2 Quality objectives"
    M5 = "M5", "8.1 Operational planning information"
    M6 = "M6", "8.5.1 Characteristics of products and services, activities and results"
    # Records to retain
    R1 = "R1", "4.4.2 Processes carried out as planned"
    R2 = "R2", "7.1.5.1 Fitness of monitoring and measuring resources"
    R3 = "R3", "7.1.5.2 Basis of calibration where no national standard exists"
    R4 = "R4", "7.2 Evidence of competence"
    R5 = "R5", "8.1 Processes run as planned and outputs conform"
    R6 = "R6", "8.2.3.2 Results of the review of requirements"
    R7 = "R7", "8.3.2 Design and development requirements met"
    R8 = "R8", "8.3.3 Design and development inputs"
    R9 = "R9", "8.3.4 Design reviews, verification and validation"
    R10 = "R10", "8.3.5 Design and development outputs"
    R11 = "R11", "8.3.6 Design changes and their authorisation"
    R12 = "R12", "8.4.1 Evaluation and re-evaluation of external providers"
    R13 = "R13", "8.5.2 Traceability, where it is required"
    R14 = "R14", "8.5.3 Customer or provider property lost or damaged"
    R15 = "R15", "8.5.6 Review and authorisation of changes to production"
    R16 = "R16", "8.6 Release of products and services"
    R17 = "R17", "8.7.2 Nonconforming outputs and the decisions taken"
    R18 = "R18", "9.1.1 Results of monitoring and measurement"
    R19 = "R19", "9.2.2 Audit programme and audit results"
    R20 = "R20", "9.3.3 Results of management reviews"
    R21 = "R21", "10.2.2 Nonconformities and corrective action results"


def is_maintained(item: str) -> bool:
    return item.startswith("M")
