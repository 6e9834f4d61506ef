"""Certification: the registrar and the certificate's cycle (registrar.py), and the gap
analysis that prepares for it (gaps.py)."""

from norma.certification.models.evidence import EvidencePack, EvidenceSample, RegistrarAccess
from norma.certification.models.gaps import GapAction, GapAnswer, GapAssessment
from norma.certification.models.registrar import (
    CertificationBody,
    CertificationCycle,
    ExternalAudit,
    ExternalFinding,
    accreditation_bodies,
    known_accreditation_body,
)

__all__ = [
    "CertificationBody",
    "CertificationCycle",
    "EvidencePack",
    "EvidenceSample",
    "RegistrarAccess",
    "ExternalAudit",
    "ExternalFinding",
    "GapAction",
    "GapAnswer",
    "GapAssessment",
    "accreditation_bodies",
    "known_accreditation_body",
]
