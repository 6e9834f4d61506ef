"""Scale data for operations (`norma seed --scale large`: 5,000 instruments with 50,000
calibrations, 2,000 suppliers with 20,000 evaluations, 1,000 customers with 20,000
complaints, compliments and a survey each quarter). Each instrument's and supplier's
current state is that of its newest record, as the actions would leave it."""

from datetime import timedelta

from django.utils import timezone

from norma.core.seeding import with_references, write
from norma.documents.models import add_months
from norma.operations.feedback import satisfaction
from norma.operations.models import (
    Calibration,
    Complaint,
    Compliment,
    Customer,
    Instrument,
    Scar,
    Scorecard,
    Supplier,
    SupplierCertificate,
    SupplierEvaluation,
    Survey,
    SurveyResponse,
)
from norma.planning.models import Process

HISTORY = 10  # calibrations per instrument, evaluations per supplier
PRODUCTS = [f"Product line {letter}" for letter in "ABCDEFGHIJKL"]


def seed_operations(org) -> dict[str, int]:
    people = len(org.people)
    counts = {}
    counts["instruments"], counts["calibrations"] = _equipment(org, people)
    counts["suppliers"], counts["supplier evaluations"] = _suppliers(org, people * 2 // 5)
    counts["complaints"] = _feedback(org, people)
    return counts


def _owners(org):
    return org.people[::20]  # the process owners of the scale organisation


def _equipment(org, count):
    rng, today = org.rng, timezone.localdate()
    processes = list(Process.objects.values_list("pk", flat=True)[:200])
    owners = _owners(org)
    instruments = []
    for i in range(count):
        owner = owners[i % len(owners)]
        interval = rng.choice((3, 6, 12, 12, 12, 24))
        method = rng.choice(("external", "external", "internal", "verification"))
        instruments.append(
            Instrument(
                title=f"Instrument {i + 1}",
                asset_tag=f"EQ-{i + 1:06d}",
                equipment_type=rng.choice(("Micrometer", "Caliper", "Gauge", "Balance")),
                location=f"Cell {i % 40 + 1}",
                process_id=rng.choice(processes) if processes else None,
                interval_months=interval,
                method=method,
                traceability="recorded" if method == "verification" else "national",
                traceability_basis="Compared with the site master gauge.",
                owner=owner,
                site=owner.site,
                department=owner.department,
                status="in_service",
            )
        )
    write(Instrument, with_references(Instrument, instruments))
    calibrations = []
    for instrument in instruments:
        # The newest is mostly within its interval; about 3 % have lapsed.
        lapse = rng.random() < 0.03
        last = add_months(today, -instrument.interval_months) - timedelta(days=rng.randint(1, 60))
        if not lapse:
            last = today - timedelta(days=rng.randint(0, instrument.interval_months * 28))
        good_since = None
        for n in range(HISTORY - 1, -1, -1):
            day = add_months(last, -n * instrument.interval_months)
            out = rng.random() < 0.03
            adjusted = out and (n > 0 or rng.random() < 0.7)
            calibration = Calibration(
                title=f"Calibration {day:%Y-%m}",
                instrument=instrument,
                performed_on=day,
                performed_by="Accredited laboratory",
                result="out_of_tolerance" if out else "in_tolerance",
                adjusted=adjusted,
                certificate_number=f"C-{instrument.asset_tag}-{day:%y%m%d}",
                next_due=add_months(day, instrument.interval_months)
                if not out or adjusted
                else None,
                suspect_since=good_since if out else None,
                status=("impact_open" if n == 0 else "impact_assessed") if out else "recorded",
                impact_assessment="Results re-checked: none affected." if out and n else "",
                due_date=day + timedelta(days=14) if out and n == 0 else None,
                owner=instrument.owner,
                site=instrument.site,
                department=instrument.department,
            )
            calibrations.append(calibration)
            good_since = day if not out else good_since
        instrument.last_calibrated_on = last
        instrument.due_date = calibration.next_due
        if calibration.out_of_tolerance and not calibration.adjusted:
            instrument.status = "out_of_service"
        elif rng.random() < 0.01:
            instrument.status, instrument.due_date = "retired", None
    Instrument.objects.bulk_update(
        instruments, ["last_calibrated_on", "due_date", "status"], batch_size=2000
    )
    for start in range(0, len(calibrations), 10000):
        chunk = calibrations[start : start + 10000]
        write(Calibration, with_references(Calibration, chunk))
        if org.progress:
            org.progress(f"calibrations: {start + len(chunk)}")
    return len(instruments), len(calibrations)


def _suppliers(org, count):
    rng, today = org.rng, timezone.localdate()
    owners = _owners(org)
    card = Scorecard(
        title="Standard supplier scorecard",
        quality_weight=50,
        delivery_weight=30,
        responsiveness_weight=20,
        approve_at=80,
        conditional_at=60,
        status="active",
    )
    write(Scorecard, with_references(Scorecard, [card]))
    suppliers = []
    for i in range(count):
        owner = owners[i % len(owners)]
        suppliers.append(
            Supplier(
                title=f"Supplier {i + 1}",
                supplies="Parts and services",
                category=rng.choice(Supplier.Category.values),
                criticality=rng.choice(Supplier.Criticality.values),
                scorecard=card,
                evaluation_interval_months=12,
                owner=owner,
                site=owner.site,
                status="approved",
            )
        )
    write(Supplier, with_references(Supplier, suppliers))
    evaluations, certificates, scars = [], [], []
    for supplier in suppliers:
        newest = today - timedelta(days=rng.randint(0, 380))  # a few have lapsed
        for n in range(HISTORY - 1, -1, -1):
            day = add_months(newest, -12 * n)
            marks = [rng.randint(45, 100) for _ in range(3)]
            score = card.score(*marks)
            outcome = "approve" if score >= 80 else "conditional" if score >= 60 else "fail"
            evaluations.append(
                SupplierEvaluation(
                    title=f"Evaluation {day:%Y}",
                    supplier=supplier,
                    evaluated_on=day,
                    quality=marks[0],
                    delivery=marks[1],
                    responsiveness=marks[2],
                    weights="50/30/20",
                    score=score,
                    outcome=outcome,
                    owner=supplier.owner,
                    site=supplier.site,
                    status="recorded",
                )
            )
        supplier.last_score, supplier.last_evaluated_on = score, newest
        supplier.due_date = add_months(newest, 12)
        supplier.status = {"approve": "approved", "conditional": "conditional"}.get(
            outcome, "disqualified"
        )
        if rng.random() < 0.6:
            certificates.append(
                SupplierCertificate(
                    title="ISO 9001 certificate",
                    supplier=supplier,
                    standard="ISO 9001:2015",
                    certificate_number=f"Q-{supplier.pk}",
                    issued_by="Certification body",
                    expires_on=today + timedelta(days=rng.randint(-30, 1000)),
                    site=supplier.site,
                    status="valid",
                )
            )
        if rng.random() < 0.5:
            asked = today - timedelta(days=rng.randint(0, 700))
            done = asked < today - timedelta(days=60)
            scars.append(
                Scar(
                    title="Corrective action requested",
                    supplier=supplier,
                    problem="Parts out of specification.",
                    requested_on=asked,
                    due_date=None if done else asked + timedelta(days=30),
                    status="accepted" if done else "requested",
                    owner=supplier.owner,
                    site=supplier.site,
                )
            )
    Supplier.objects.bulk_update(
        suppliers, ["last_score", "last_evaluated_on", "due_date", "status"], batch_size=2000
    )
    write(SupplierEvaluation, with_references(SupplierEvaluation, evaluations))
    write(SupplierCertificate, with_references(SupplierCertificate, certificates))
    write(Scar, with_references(Scar, scars))
    if org.progress:
        org.progress(f"suppliers: {len(suppliers)}, evaluations: {len(evaluations)}")
    return len(suppliers), len(evaluations)


def _feedback(org, people):
    rng, today = org.rng, timezone.localdate()
    owners = _owners(org)
    customers = [
        Customer(title=f"Customer {i + 1}", segment="Industrial", status="active")
        for i in range(max(10, people // 5))
    ]
    write(Customer, with_references(Customer, customers))
    complaints, compliments = [], []
    for i in range(people * 4):
        owner = owners[i % len(owners)]
        received = today - timedelta(days=rng.randint(0, 3 * 365))
        severity = rng.choice(("minor", "minor", "major", "critical"))
        answered = received < today - timedelta(days=20)
        sent = received + timedelta(days=rng.randint(1, 14)) if answered else None
        complaints.append(
            Complaint(
                title=f"Complaint received {received}",
                customer=rng.choice(customers),
                received_on=received,
                product=rng.choice(PRODUCTS),
                order_reference=f"SO-{i + 1}",
                severity=severity,
                description="Synthetic complaint for benchmarks.",
                justified=rng.random() < 0.4 if answered else None,
                response="Answered." if answered else "",
                response_sent_on=sent,
                status="closed" if answered else "open",
                due_date=received + timedelta(days=10),
                owner=owner,
                site=owner.site,
                department=owner.department,
            )
        )
        if i % 10 == 0:
            compliments.append(
                Compliment(
                    title="Thanks for the quick delivery",
                    customer=rng.choice(customers),
                    received_on=received,
                    description="Synthetic compliment.",
                    owner=owner,
                    site=owner.site,
                    status="recorded",
                )
            )
    write(Complaint, with_references(Complaint, complaints))
    write(Compliment, with_references(Compliment, compliments))
    _surveys(org, customers, today)
    return len(complaints)


def _surveys(org, customers, today):
    rng = org.rng
    for quarter in range(12, 0, -1):
        end = today - timedelta(days=91 * quarter - 91)
        survey = Survey(
            title=f"Quarterly satisfaction survey to {end}",
            period_start=end - timedelta(days=90),
            period_end=end,
            status="closed" if quarter > 1 else "open",
            closed_on=end if quarter > 1 else None,
        )
        write(Survey, with_references(Survey, [survey]))
        SurveyResponse.objects.bulk_create(
            [
                SurveyResponse(
                    survey=survey,
                    customer=rng.choice(customers),
                    satisfaction=rng.choice((2, 3, 4, 4, 5, 5)),
                    recommend=rng.choice((4, 6, 7, 8, 9, 9, 10)),
                )
                for _ in range(200)
            ]
        )
        figures = satisfaction(survey.responses.all())
        Survey.objects.filter(pk=survey.pk).update(**figures)
