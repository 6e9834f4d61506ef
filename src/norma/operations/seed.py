"""Demo data for operations, made by the real actions: instruments calibrated, due soon,
overdue, out of service and found out of tolerance (with its impact assessment and
nonconformity); suppliers approved, conditional, pending, overdue for evaluation and
disqualified, with certificates and corrective action requests; customers with complaints
at every step, compliments, and three satisfaction surveys."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.html import escape

from norma.core.actions import CreateRecord
from norma.operations import equipment, feedback, suppliers
from norma.operations.models import (
    Compliment,
    Customer,
    Instrument,
    Scorecard,
    Supplier,
    SupplierCertificate,
    Survey,
)
from norma.planning.models import Process


def ago(today, days):
    return today - timedelta(days=days)


def certificate(number: str, text: str) -> SimpleUploadedFile:
    """A real one-page PDF certificate, as a laboratory would send it."""
    from weasyprint import HTML

    html = f"<h1>Calibration certificate {escape(number)}</h1><p>{escape(text)}</p>"
    return SimpleUploadedFile(f"{number}.pdf", HTML(string=html).write_pdf())


def seed_demo(org):
    today = timezone.localdate()
    _equipment(org, today)
    _suppliers(org, today)
    _feedback(org, today)


def create(actor, model, **data):
    return CreateRecord(actor, model, data=data).execute()


# (title, tag, type, site, owner, method, interval, days since calibrated or None, range, accuracy)
INSTRUMENTS = [
    (
        "Outside micrometer",
        "MIC-014",
        "Micrometer",
        "leeds",
        "David Okafor",
        "external",
        12,
        95,
        "0–25 mm",
        "±2 µm",
    ),
    (
        "Height gauge",
        "HG-003",
        "Height gauge",
        "leeds",
        "David Okafor",
        "external",
        12,
        350,
        "0–600 mm",
        "±10 µm",
    ),
    (
        "Torque wrench 20–100 N·m",
        "TW-021",
        "Torque wrench",
        "leeds",
        "David Okafor",
        "internal",
        6,
        200,
        "20–100 N·m",
        "±4 %",
    ),
    (
        "Coordinate measuring machine",
        "CMM-01",
        "CMM",
        "leeds",
        "David Okafor",
        "external",
        12,
        None,
        "700×1000×600 mm",
        "1.8 + L/300 µm",
    ),
    (
        "Line pressure gauge",
        "PG-112",
        "Pressure gauge",
        "porto",
        "Sofia Lima",
        "verification",
        3,
        40,
        "0–16 bar",
        "class 1.0",
    ),
    (
        "Bench balance",
        "BAL-02",
        "Balance",
        "porto",
        "Sofia Lima",
        "external",
        12,
        300,
        "0–6 kg",
        "±0.1 g",
    ),
]


def _equipment(org, today):
    processes = {p.title: p for p in Process.objects.all()}
    made = {}
    for title, tag, kind, site, owner, method, interval, days, span, accuracy in INSTRUMENTS:
        porto = site == "porto"
        traceability = "recorded" if method == "verification" else "national"
        made[tag] = create(
            org.person(owner),
            Instrument,
            title=title,
            asset_tag=tag,
            equipment_type=kind,
            location="Porto press line" if porto else "Leeds machining cell",
            process=processes["Machining (Porto)" if porto else "Machining and assembly"],
            measuring_range=span,
            accuracy=accuracy,
            interval_months=interval,
            method=method,
            traceability=traceability,
            traceability_basis="Compared each quarter with the master gauge PG-M1, itself "
            "calibrated by an accredited laboratory."
            if traceability == "recorded"
            else "UKAS-accredited calibration, traceable to the national length standard.",
            owner=org.person(owner),
            site=org.sites[site],
        )
        if days is not None:
            _calibrate(org, made[tag], ago(today, days))
    # The CMM was good a year ago and found out of tolerance at its last calibration.
    cmm = made["CMM-01"]
    _calibrate(org, cmm, ago(today, 380))
    found = _calibrate(org, cmm, ago(today, 12), result="out_of_tolerance", adjusted=True)
    found = equipment.RaiseCalibrationNonconformity(org.person("David Okafor"), found).execute()
    equipment.AssessImpact(
        org.person("David Okafor"),
        found,
        data={
            "impact_assessment": "Re-measured the 14 first-article reports since the last good "
            "calibration; two bores were within 2 µm of the limit and were re-inspected.",
            "products_affected": True,
        },
    ).execute()
    balance = made["BAL-02"]
    equipment.TakeOutOfService(
        org.person("Sofia Lima"), balance, reason="Display fault: sent for repair."
    ).execute()


def _calibrate(org, instrument, day, result="in_tolerance", adjusted=False):
    number = f"{instrument.asset_tag}-{day:%y%m%d}"
    lab = instrument.method == Instrument.Method.EXTERNAL
    data = {
        "instrument": instrument,
        "title": f"{instrument.get_method_display()} {day:%Y}",
        "performed_on": day,
        "performed_by": "Northern Calibration Services" if lab else "Tom Fletcher",
        "result": result,
        "adjusted": adjusted,
        "certificate_number": number if lab else "",
    }
    if lab:
        data["certificate"] = certificate(number, f"{instrument} calibrated on {day}: {result}.")
    calibration = equipment.RecordCalibration(instrument.owner, data=data).execute()
    instrument.refresh_from_db()
    return calibration


# (name, supplies, category, criticality, evaluations as (days ago, Q, D, R), status)
SUPPLIERS = [
    (
        "Castwell Foundry Ltd",
        "Valve body and pump housing castings",
        "materials",
        "high",
        [(400, 84, 80, 85), (60, 88, 82, 90)],
        "approved",
    ),
    (
        "Precision Heat Treat",
        "Through-hardening and nitriding of shafts",
        "outsourced",
        "high",
        [(45, 62, 70, 75)],
        "conditional",
    ),
    (
        "Northern Calibration Services",
        "Accredited calibration of measuring equipment",
        "calibration",
        "medium",
        [(120, 95, 90, 92)],
        "approved",
    ),
    (
        "FastFreight Logistics",
        "Road freight to UK and EU customers",
        "logistics",
        "low",
        [(340, 85, 88, 80)],
        "approved",
    ),
    (
        "Brightpack Packaging",
        "Returnable crates and foam inserts",
        "materials",
        "low",
        [],
        "pending",
    ),
    (
        "Acme Fasteners",
        "Stainless fasteners",
        "materials",
        "medium",
        [(200, 40, 55, 50)],
        "disqualified",
    ),
]


def _suppliers(org, today):
    quality, buyer = org.person("Amira Haddad"), org.person("Marco Bianchi")
    card = create(
        quality,
        Scorecard,
        title="Standard supplier scorecard",
        quality_weight=50,
        delivery_weight=30,
        responsiveness_weight=20,
        approve_at=80,
        conditional_at=60,
        criteria="Quality: accepted lots and PPM. Delivery: on time in full. Responsiveness: "
        "answers to queries and corrective action requests on time.",
    )
    made = {}
    for name, supplies, category, criticality, evaluations, status in SUPPLIERS:
        supplier = made[name] = create(
            buyer,
            Supplier,
            title=name,
            supplies=supplies,
            category=category,
            criticality=criticality,
            scorecard=card,
            evaluation_interval_months=12,
            selection_criteria="Capability shown on samples, ISO 9001 certified or audited "
            "by us, price and lead time.",
            contact_name="Account manager",
            requirements_communicated="Drawings and specification at the current revision, "
            "material certificates with each lot, first-article inspection, notice of any "
            "change of process or site, and our right to audit.",
            information_sent_on=ago(today, 500),
            owner=buyer,
            site=org.sites["leeds"],
        )
        for days, q, d, r in evaluations:
            suppliers.RecordEvaluation(
                buyer,
                data={
                    "supplier": supplier,
                    "title": f"Evaluation {ago(today, days):%Y-%m}",
                    "evaluated_on": ago(today, days),
                    "period": f"12 months to {ago(today, days):%b %Y}",
                    "quality": q,
                    "delivery": d,
                    "responsiveness": r,
                },
            ).execute()
        supplier.refresh_from_db()
        if status == "approved":
            suppliers.ApproveSupplier(quality, supplier).execute()
        elif status == "conditional":
            suppliers.ApproveConditionally(
                quality, supplier, reason="Hardness checked on every lot until the SCAR is closed."
            ).execute()
        elif status == "disqualified":
            suppliers.DisqualifySupplier(
                quality, supplier, reason="Three late deliveries and a failed salt-spray test."
            ).execute()
    for name, standard, body, days_left in [
        ("Castwell Foundry Ltd", "ISO 9001:2015", "BSI", 300),
        ("Precision Heat Treat", "ISO 9001:2015", "Lloyd's Register", 20),
        ("Northern Calibration Services", "ISO/IEC 17025:2017", "UKAS", 500),
    ]:
        create(
            buyer,
            SupplierCertificate,
            supplier=made[name],
            title=f"{standard} certificate",
            standard=standard,
            certificate_number=f"{body[:3].upper()}-{days_left * 37}",
            issued_by=body,
            issued_on=ago(today, 3 * 365 - days_left),
            expires_on=today + timedelta(days=days_left),
            site=org.sites["leeds"],
        )
    answered = suppliers.IssueScar(
        buyer,
        data={
            "supplier": made["Precision Heat Treat"],
            "title": "Shafts below hardness after nitriding",
            "problem": "Lot 2231: 6 of 20 shafts measured 52 HRC against 58–62 HRC.",
            "requested_on": ago(today, 30),
            "due_date": ago(today, 16),
            "owner": buyer,
        },
    ).execute()
    suppliers.RecordScarResponse(
        buyer,
        answered,
        data={
            "root_cause": "Furnace thermocouple drifted; the daily check was skipped.",
            "corrective_action": "Thermocouple replaced, the daily check added to the shift "
            "start sheet and audited weekly.",
            "responded_on": ago(today, 18),
        },
    ).execute()
    suppliers.IssueScar(
        buyer,
        data={
            "supplier": made["Castwell Foundry Ltd"],
            "title": "Porosity on sealing faces",
            "problem": "Three pump housings leaked at test from porosity on the sealing face.",
            "requested_on": ago(today, 4),
            "due_date": today + timedelta(days=10),
            "owner": buyer,
        },
    ).execute()


CUSTOMERS = ["Northwind Pumps", "Baltic Valves", "Iberia Water", "Helix Hydraulics", "Orion Marine"]


def _feedback(org, today):
    sales, service = org.person("Priya Nair"), org.person("Grace Taylor")
    customers = [
        create(sales, Customer, title=name, segment="Industrial OEM", owner=sales)
        for name in CUSTOMERS
    ]
    complaints = [
        ("Valve bodies leaking at test", "Valve body VB-20", "major", 150, "closed", True),
        ("Late delivery of order 5521", "Pump housing PH-7", "minor", 120, "closed", False),
        ("Wrong labels on crates", "Manifold M-3", "minor", 75, "responded", False),
        ("Burrs in the bore of VB-20", "Valve body VB-20", "major", 35, "responded", True),
        ("Paint chipped on arrival", "Pump housing PH-7", "minor", 12, "open", None),
        ("Certificate of conformity missing", "Manifold M-3", "critical", 1, "open", None),
        ("Duplicate invoice", "", "minor", 60, "withdrawn", None),
    ]
    for i, (title, product, severity, days, status, justified) in enumerate(complaints):
        complaint = feedback.LogComplaint(
            service,
            data={
                "customer": customers[i % len(customers)],
                "title": title,
                "description": f"{title}, reported by the customer's incoming inspection.",
                "product": product,
                "order_reference": f"SO-{5400 + i * 17}",
                "severity": severity,
                "received_on": ago(today, days),
                "owner": sales,
                "site": org.sites["leeds"],
            },
        ).execute()
        if status == "withdrawn":
            feedback.WithdrawComplaint(
                sales, complaint, reason="The customer found it was their own error."
            ).execute()
            continue
        if justified:
            complaint = feedback.RaiseComplaintNonconformity(sales, complaint).execute()
        if status in ("responded", "closed"):
            complaint = feedback.SendResponse(
                sales,
                complaint,
                data={
                    "investigation": "Checked the lot records and the returned parts.",
                    "justified": justified,
                    "response": "Our findings and the actions taken, with replacement parts.",
                    "response_sent_on": ago(today, max(days - 6 - i, 0)),
                },
            ).execute()
        if status == "closed":
            feedback.CloseComplaint(sales, complaint).execute()
    for i, (what, product) in enumerate(
        [
            ("Fast turnaround on the urgent PH-7 order", "Pump housing PH-7"),
            ("First-article report was clear and complete", "Valve body VB-20"),
            ("Helpful visit from the Porto team", ""),
        ]
    ):
        create(
            service,
            Compliment,
            customer=customers[i],
            title=what,
            description=what,
            product=product,
            received_on=ago(today, 20 + 40 * i),
            owner=sales,
        )
    _surveys(org, today, customers)


def _surveys(org, today, customers):
    sales = org.person("Priya Nair")
    # (title, period from and to, and closed, in days ago; None while still open)
    plans = [
        ("Customer satisfaction survey, spring last year", 540, 360, 350, [4, 5, 3, 4, 5, 4]),
        ("Customer satisfaction survey, autumn last year", 360, 180, 170, [5, 4, 4, 5, 5, 3]),
        ("Customer satisfaction survey, this half-year", 180, 0, None, [4, 5, 5]),
    ]
    for title, start_days, end_days, closed_days, scores in plans:
        survey = create(
            sales,
            Survey,
            title=title,
            period_start=ago(today, start_days),
            period_end=ago(today, end_days),
            method="E-mail questionnaire to each customer's buyer and quality contact",
            owner=sales,
        )
        rows = [
            {
                "satisfaction": score,
                "recommend": min(10, score * 2 + (i % 3) - 1),
                "customer": customers[i % len(customers)].reference,
                "comment": "",
            }
            for i, score in enumerate(scores * 4)
        ]
        survey = feedback.AddSurveyResponses(sales, survey, data={"rows": rows}).execute()
        if closed_days is not None:
            survey = feedback.CloseSurvey(
                sales,
                survey,
                data={
                    "conclusions": "Delivery and documentation are what customers mention most.",
                    "closed_on": ago(today, closed_days),
                },
            ).execute()


def seed_scale(org) -> dict[str, int]:
    from norma.operations.seed_scale import seed_operations

    return seed_operations(org)
