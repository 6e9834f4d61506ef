"""The operations app's models: monitoring and measuring equipment and its calibrations
(7.1.5), external providers and their evaluations, certificates and corrective action
requests (8.4), and customer feedback: complaints, compliments and surveys (8.2.1, 9.1.2)."""

from norma.operations.models.customers import (
    Complaint,
    Compliment,
    Customer,
    Survey,
    SurveyResponse,
)
from norma.operations.models.equipment import Calibration, Instrument
from norma.operations.models.suppliers import (
    Scar,
    Scorecard,
    Supplier,
    SupplierCertificate,
    SupplierEvaluation,
)

__all__ = [
    "Calibration",
    "Complaint",
    "Compliment",
    "Customer",
    "Instrument",
    "Scar",
    "Scorecard",
    "Supplier",
    "SupplierCertificate",
    "SupplierEvaluation",
    "Survey",
    "SurveyResponse",
]
