"""The people app's models: job roles and their competence requirements (7.1.2, 7.2), the
course catalogue, training records, plans and assignments, assessments and audit experience."""

from norma.people.models.competence import Assessment, AuditExperience
from norma.people.models.roles import JobRole, Level, Requirement
from norma.people.models.training import (
    COUNTS,
    Course,
    Result,
    TrainingAssignment,
    TrainingPlan,
    TrainingRecord,
)

__all__ = [
    "COUNTS",
    "Assessment",
    "AuditExperience",
    "Course",
    "JobRole",
    "Level",
    "Requirement",
    "Result",
    "TrainingAssignment",
    "TrainingPlan",
    "TrainingRecord",
]
