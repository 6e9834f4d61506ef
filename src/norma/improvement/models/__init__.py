"""The improvement app's models: nonconformities and nonconforming outputs (8.7, 10.2), their
causes and 8D steps, corrective actions and verifications, and improvements (10.3)."""

from norma.improvement.models.analysis import Category, Cause, Discipline, EightDStep
from norma.improvement.models.corrective import CorrectiveAction, Verification
from norma.improvement.models.ideas import Improvement
from norma.improvement.models.nonconformities import Nonconformity, Source

__all__ = [
    "Category",
    "Cause",
    "CorrectiveAction",
    "Discipline",
    "EightDStep",
    "Improvement",
    "Nonconformity",
    "Source",
    "Verification",
]
