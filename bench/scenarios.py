"""The fixed list of scenarios measured at every run."""

import json
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from bench.load import Request


@dataclass
class Scenario:
    name: str
    make: Callable[[int], Request]


def _api_get(base, token, path):
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def build(base: str, cookie: str, token: str, department=None) -> list[Scenario]:
    """Scenarios use real references from the seeded data, found through the API."""
    page = _api_get(base, token, "/api/v1/planning/processes/?page_size=1&status=approved")
    first = page["results"][0]
    reference, site = first["reference"], first["site"]
    web = {"Cookie": cookie}
    api = {"Authorization": f"Bearer {token}"}

    def get(path, headers=web):
        return lambda n: Request("GET", path, headers)

    def create(n):
        body = json.dumps({"title": f"Bench process {n}", "process_type": "support"}).encode()
        return Request(
            "POST",
            "/api/v1/planning/processes/",
            {**api, "Content-Type": "application/json"},
            body,
            expect=201,
        )

    scenarios = [
        Scenario("process list", get("/planning/processes/")),
        Scenario(
            "process list, filtered",
            get(f"/planning/processes/?status=approved&site={site or ''}&sort=due_date"),
        ),
        Scenario("process detail", get(f"/planning/processes/{reference}/")),
        Scenario("search", get("/search/?q=Process+0004")),
        Scenario("readiness", get("/standards/readiness/")),
        Scenario("home (my tasks)", get("/")),
        Scenario("clause browser", get("/standards/")),
        Scenario("API list", get("/api/v1/planning/processes/?page_size=50", api)),
        Scenario("API read", get(f"/api/v1/planning/processes/{reference}", api)),
        Scenario("API create", create),
    ]
    documents = _api_get(base, token, "/api/v1/documents/documents/?page_size=1&status=effective")
    if documents["results"]:
        document = documents["results"][0]["reference"]
        scenarios += [
            Scenario("document list", get("/documents/documents/")),
            Scenario("document detail", get(f"/documents/documents/{document}/")),
            Scenario("document full-text search", get("/documents/search/?q=calibration+gauge")),
            Scenario("API document search", get("/api/v1/documents/search?q=torque+surf", api)),
        ]
    kpis = _api_get(base, token, "/api/v1/planning/kpis/?page_size=1")
    if kpis["results"]:
        kpi = kpis["results"][0]["reference"]

        def push(n):  # a result pushed by another system, as a live KPI gets them
            body = json.dumps({"value": 90 + n % 10}).encode()
            path = f"/api/v1/planning/kpis/{kpi}/measurements"
            headers = {**api, "Content-Type": "application/json"}
            return Request("POST", path, headers, body, expect=201)

        scenarios += [
            Scenario("risk list", get("/planning/risks-and-opportunities/")),
            Scenario("risk heat map", get("/planning/risks/heat-map/")),
            Scenario("KPI page (200 weekly results)", get(f"/planning/kpis/{kpi}/")),
            Scenario("objective list", get("/planning/quality-objectives/")),
            Scenario("API KPI push", push),
        ]
    if department:
        pk, headcount = department
        scenarios += [
            Scenario(
                f"competence matrix ({headcount} people)",
                get(f"/people/competence-matrix/?department={pk}"),
            ),
            Scenario("training record list", get("/people/training-records/")),
            Scenario("qualified auditors", get("/people/qualified-auditors/")),
            Scenario("awareness", get("/people/awareness/")),
        ]
    ncs = _api_get(base, token, "/api/v1/improvement/nonconformities/?page_size=1")
    if ncs["results"]:
        nc = ncs["results"][0]["reference"]
        scenarios += [
            Scenario("nonconformity list", get("/improvement/nonconformities/")),
            Scenario(
                "nonconformity list, open, filtered",
                get("/improvement/nonconformities/?status=analysis&source=supplier"),
            ),
            Scenario("nonconformity detail", get(f"/improvement/nonconformities/{nc}/")),
            Scenario("improvement dashboard (12 months)", get("/improvement/dashboard/")),
            Scenario("corrective action list", get("/improvement/corrective-actions/")),
        ]
    instruments = _api_get(base, token, "/api/v1/operations/measuring-instruments/?page_size=1")
    suppliers = _api_get(base, token, "/api/v1/operations/suppliers/?page_size=1")
    if instruments["results"] and suppliers["results"]:
        instrument = instruments["results"][0]["reference"]
        supplier = suppliers["results"][0]["reference"]
        scenarios += [
            Scenario("instrument list", get("/operations/measuring-instruments/")),
            Scenario(
                "instrument list, in service, by due date",
                get("/operations/measuring-instruments/?status=in_service&sort=due_date"),
            ),
            Scenario("instrument detail", get(f"/operations/measuring-instruments/{instrument}/")),
            Scenario("calibration list", get("/operations/calibrations/")),
            Scenario("supplier list", get("/operations/suppliers/")),
            Scenario("supplier detail", get(f"/operations/suppliers/{supplier}/")),
            Scenario("complaint list", get("/operations/customer-complaints/")),
            Scenario("customer feedback dashboard (12 months)", get("/operations/feedback/")),
        ]
    # The scale seed's first audit, AUD-<year>-000001, has 300 checklist items.
    audits = _api_get(base, token, "/api/v1/audits/audits/?q=000001&page_size=50")
    big = [a["reference"] for a in audits["results"] if a["title"] == "Audit 1"]
    if big:
        scenarios += [
            Scenario("audit list", get("/audits/audits/")),
            Scenario("audit detail (300 checklist items)", get(f"/audits/audits/{big[0]}/")),
            Scenario(
                "audit checklist page (300 items)", get(f"/audits/audits/{big[0]}/checklist/")
            ),
            Scenario("audit report PDF (300 items)", get(f"/audits/audits/{big[0]}/report.pdf")),
            Scenario("audit finding list", get("/audits/findings/")),
        ]
    reviews = _api_get(base, token, "/api/v1/reviews/management-reviews/?page_size=1")
    if reviews["results"]:
        review = reviews["results"][0]["reference"]
        scenarios += [
            Scenario(
                "management review (stored pack)",
                get(f"/reviews/management-reviews/{review}/"),
            ),
            Scenario(
                "management review minutes PDF",
                get(f"/reviews/management-reviews/{review}/minutes.pdf"),
            ),
        ]
    scenarios += [  # reads every clause check, whatever the certification data
        Scenario("certification cockpit (roadmap, stage 1 and 2)", get("/certification/")),
        Scenario("certification cycle list", get("/certification/certification-cycles/")),
    ]
    pdf = f"/reports/record/planning/process/{reference}.pdf"
    if _exists(base, pdf, cookie):
        scenarios.append(Scenario("PDF report", get(pdf)))
    return scenarios


def _exists(base, path, cookie) -> bool:
    request = urllib.request.Request(base + path, headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status == 200
    except OSError:
        return False
