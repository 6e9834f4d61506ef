"""The planning app's models: processes (4.4), context and interested parties (4.1, 4.2),
risks and opportunities (6.1), KPIs and objectives (9.1.1, 6.2)."""

from norma.planning.models.changes import PlannedChange
from norma.planning.models.context import (
    ClimateDecision,
    ContextIssue,
    InterestedParty,
    Origin,
    PartyKind,
    PartyRequirement,
    Pestle,
    Swot,
)
from norma.planning.models.measures import (
    Direction,
    Frequency,
    Kpi,
    Measurement,
    Objective,
    Standing,
)
from norma.planning.models.processes import Process, ProcessType
from norma.planning.models.risks import Consequence, Likelihood, Risk, RiskAction
from norma.planning.models.roles import LETTERS, QmsRole
from norma.planning.models.scope import NonApplicableRequirement, QmsScope

__all__ = [
    "ClimateDecision",
    "Consequence",
    "ContextIssue",
    "Direction",
    "Frequency",
    "InterestedParty",
    "Kpi",
    "LETTERS",
    "Likelihood",
    "Measurement",
    "NonApplicableRequirement",
    "Objective",
    "Origin",
    "PartyKind",
    "PartyRequirement",
    "PlannedChange",
    "Pestle",
    "Process",
    "ProcessType",
    "QmsRole",
    "QmsScope",
    "Risk",
    "RiskAction",
    "Standing",
    "Swot",
]
