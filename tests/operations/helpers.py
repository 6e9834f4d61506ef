"""Operations records for tests, made by the real actions; `bulk_*` write many rows at once
for query counts and dashboards (no actions: only rows)."""

import datetime
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from norma.core.actions import CreateRecord
from norma.core.context import acting_as
from norma.core.models.records import reserve_references
from norma.operations import equipment, feedback, suppliers
from norma.operations.models import (
    Calibration,
    Complaint,
    Customer,
    Instrument,
    Scar,
    Scorecard,
    Supplier,
    SupplierEvaluation,
    Survey,
)

PDF = b"%PDF-1.4\n% a certificate\n"


def today() -> datetime.date:
    return timezone.localdate()


def days_ago(days: int) -> datetime.date:
    return today() - timedelta(days=days)


def pdf(name="certificate.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def make_instrument(actor, **fields) -> Instrument:
    data = {
        "title": "Outside micrometer",
        "asset_tag": f"MIC-{Instrument.objects.count() + 1:04d}",
        "equipment_type": "Micrometer",
        "interval_months": 12,
        "method": "internal",
        "traceability": "national",
        **fields,
    }
    return CreateRecord(actor, Instrument, data=data).execute()


def calibrate(actor, instrument, *, on=None, result="in_tolerance", **fields) -> Calibration:
    data = {
        "instrument": instrument,
        "title": "Annual calibration",
        "performed_on": on or days_ago(1),
        "performed_by": "Northern Calibration Services",
        "result": result,
        **fields,
    }
    if instrument.certificate_required and "certificate" not in data:
        data["certificate"] = pdf()
    return equipment.RecordCalibration(actor, data=data).execute()


def make_scorecard(actor, **fields) -> Scorecard:
    data = {
        "title": "Standard scorecard",
        "quality_weight": 50,
        "delivery_weight": 30,
        "responsiveness_weight": 20,
        "approve_at": 80,
        "conditional_at": 60,
        **fields,
    }
    return CreateRecord(actor, Scorecard, data=data).execute()


def make_supplier(actor, scorecard=None, **fields) -> Supplier:
    card = scorecard or Scorecard.objects.filter(status="active").first()
    if card is None:
        with acting_as(name="test"):
            card = Scorecard.objects.create(
                reference=reserve_references("SC", 1)[0],
                title="Standard scorecard",
                status="active",
                quality_weight=50,
                delivery_weight=30,
                responsiveness_weight=20,
            )
    data = {
        "title": "Castwell Foundry",
        "supplies": "Castings",
        "category": "materials",
        "criticality": "high",
        "scorecard": card,
        **fields,
    }
    return CreateRecord(actor, Supplier, data=data).execute()


def evaluate(actor, supplier, q=90, d=85, r=80, on=None, **fields) -> SupplierEvaluation:
    data = {
        "supplier": supplier,
        "title": "Annual evaluation",
        "evaluated_on": on or days_ago(1),
        "quality": q,
        "delivery": d,
        "responsiveness": r,
        **fields,
    }
    return suppliers.RecordEvaluation(actor, data=data).execute()


def issue_scar(actor, supplier, **fields) -> Scar:
    data = {
        "supplier": supplier,
        "title": "Shafts below hardness",
        "problem": "6 of 20 shafts at 52 HRC against 58–62.",
        "due_date": today() + timedelta(days=14),
        **fields,
    }
    return suppliers.IssueScar(actor, data=data).execute()


def make_customer(actor, **fields) -> Customer:
    data = {"title": "Northwind Pumps", **fields}
    return CreateRecord(actor, Customer, data=data).execute()


def log_complaint(actor, customer=None, **fields) -> Complaint:
    data = {
        "customer": customer or make_customer(actor),
        "title": "Valve bodies leaking",
        "description": "Three of forty leaked at the customer's test.",
        "product": "Valve body VB-20",
        "severity": "major",
        **fields,
    }
    return feedback.LogComplaint(actor, data=data).execute()


def make_survey(actor, **fields) -> Survey:
    data = {
        "title": "Satisfaction survey",
        "period_start": days_ago(180),
        "period_end": today(),
        **fields,
    }
    return CreateRecord(actor, Survey, data=data).execute()


def add_responses(actor, survey, rows) -> Survey:
    return feedback.AddSurveyResponses(actor, survey, data={"rows": rows}).execute()


def _bulk(model, prefix, count, build):
    with acting_as(name="test bulk"):
        references = reserve_references(prefix, count, width=6)
        rows = [build(i, reference) for i, reference in enumerate(references)]
        model.objects.bulk_create(rows)


def bulk_instruments(count: int, **fields):
    _bulk(
        Instrument,
        "EQ",
        count,
        lambda i, ref: Instrument(
            reference=ref,
            title=f"Gauge {i}",
            asset_tag=f"BULK-{ref}",
            equipment_type="Gauge",
            interval_months=12,
            method="internal",
            traceability="national",
            status="in_service",
            due_date=today() + timedelta(days=i % 400 - 30),
            **fields,
        ),
    )


def bulk_suppliers(count: int, **fields):
    card = Scorecard.objects.filter(status="active").first()
    _bulk(
        Supplier,
        "SUP",
        count,
        lambda i, ref: Supplier(
            reference=ref,
            title=f"Supplier {i}",
            supplies="Parts",
            category="materials",
            criticality="low",
            scorecard=card,
            status="approved",
            **fields,
        ),
    )


def bulk_complaints(count: int, customer, **fields):
    _bulk(
        Complaint,
        "CMP",
        count,
        lambda i, ref: Complaint(
            reference=ref,
            title=f"Complaint {i}",
            customer=customer,
            description="Bulk",
            product=f"Product {i % 7}",
            severity=("minor", "major", "critical")[i % 3],
            received_on=days_ago(i % 300),
            status="open",
            **fields,
        ),
    )
