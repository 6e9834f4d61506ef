"""Demo data for the improvement app: nonconformities at every step of the workflow, each
taken there by the real actions (so their history and signatures are real), one analysed
with a fishbone and one as an 8D, a fix that failed and was redone, and improvements."""

from datetime import timedelta

from django.utils import timezone

from norma.core.actions import CreateRecord
from norma.core.seeding import DEMO_PASSWORD
from norma.improvement import actions as steps
from norma.improvement.analysis import AddCause, RecordEightDStep
from norma.improvement.models import CorrectiveAction, Improvement
from norma.planning.models import Process
from norma.standards.models import Clause

SIGNED = {"password": DEMO_PASSWORD}


class Story:
    """One nonconformity taken through the workflow by the people who would do each step."""

    def __init__(self, org, today, reporter, **fields):
        self.org, self.today = org, today
        self.quality = org.person("Amira Haddad")
        clauses = fields.pop("clauses", [])
        fields["clauses"] = list(
            Clause.objects.filter(standard__slug="iso9001-2015", ref__in=clauses)
        )
        fields.setdefault("description", fields["title"])
        self.nc = steps.ReportNonconformity(org.person(reporter), data=fields).execute()

    def run(self, action_class, actor, **data):
        self.nc = action_class(actor, self.nc, data=data, reason=data.pop("reason", "")).execute()
        return self

    def triage(self, owner, kind, severity, process):
        self.owner = self.org.person(owner)
        return self.run(
            steps.Triage,
            self.quality,
            owner=self.owner.pk,
            kind=kind,
            severity=severity,
            process=Process.objects.get(title=process).pk,
            due_date=self.today + timedelta(days=7),
        )

    def action(self, kind, title, owner=None, days=14, done=""):
        who = self.org.person(owner) if owner else self.owner
        data = {
            "nonconformity": self.nc,
            "kind": kind,
            "title": title,
            "owner": who,
            "due_date": self.today + timedelta(days=days),
        }
        action = CreateRecord(self.owner, CorrectiveAction, data=data).execute()
        if done:
            steps.CompleteCorrectiveAction(who, action, data={"evidence": done}).execute()
        return self

    def analyse(self, method, causes=()):
        self.run(steps.StartAnalysis, self.owner, method=method)
        for statement, category, evidence, root in causes:
            data = {"statement": statement, "category": category, "evidence": evidence}
            flags = {"verified": "1" if evidence else "", "is_root": "1" if root else ""}
            self.run(AddCause, self.owner, **data, **flags)
        return self

    def eight_d(self, *notes):
        for discipline, text in notes:
            self.run(RecordEightDStep, self.owner, discipline=discipline, notes=text, done="1")
        return self

    def plan(self, elsewhere, action, owner=None, approve=True):
        self.run(steps.CompleteAnalysis, self.owner, elsewhere=elsewhere)
        self.action("corrective", action, owner=owner, days=30)
        return self.run(steps.StartImplementation, self.owner) if approve else self

    def implemented(self, evidence, criteria, verifier):
        for action in self.nc.actions.filter(status="open", kind="corrective"):
            steps.CompleteCorrectiveAction(
                action.owner, action, data={"evidence": evidence}
            ).execute()
        return self.run(
            steps.MarkImplemented,
            self.owner,
            verification_criteria=criteria,
            verification_due=self.today + timedelta(days=21),
            verifier=self.org.person(verifier).pk,
        )

    def verify(self, verifier, evidence, effective=True):
        step = steps.VerifyEffective if effective else steps.VerifyNotEffective
        return self.run(step, self.org.person(verifier), reason=evidence, **SIGNED)


def seed_demo(org):
    today = timezone.localdate()
    _reported(org, today)
    _output_in_containment(org, today)
    _five_whys_in_analysis(org, today)
    _fishbone_planned(org, today)
    _eight_d_in_implementation(org, today)
    _waiting_for_its_check(org, today)
    _closed(org, today)
    _failed_once_then_closed(org, today)
    _cancelled(org, today)
    _improvements(org, today)


def ago(today, days):
    return today - timedelta(days=days)


def _reported(org, today):
    """A report waiting for triage."""
    Story(
        org,
        today,
        "Liam Murphy",
        title="Coolant leaking from CNC 3 onto finished parts",
        source="process",
        detected_on=ago(today, 1),
        product="Valve body VB-20",
    )


def _output_in_containment(org, today):
    """A nonconforming output contained, its disposition decided."""
    output = Story(
        org,
        today,
        "Ana Ferreira",
        title="Batch 4471: bores 0.03 mm oversize",
        description="Final inspection found 40 of 200 valve bodies with bores above tolerance.",
        source="output",
        detected_on=ago(today, 3),
        product="Valve body VB-20",
        quantity_affected=40,
        clauses=["8.7.1"],
    ).triage("David Okafor", "output", "major", "Machining and assembly")
    output.action("containment", "Quarantine batch 4471 and check the WIP", days=2)
    output.run(
        steps.DecideDisposition,
        output.owner,
        disposition="rework",
        segregated="1",
        customer_notified="",
    )


def _five_whys_in_analysis(org, today):
    """A complaint in analysis: a 5-Whys chain half answered."""
    Story(
        org,
        today,
        "Grace Taylor",
        title="Customer received drawings of the wrong revision",
        description="Kestrel Pumps complained they were sent revision B of drawing 1102.",
        source="customer_complaint",
        detected_on=ago(today, 12),
        clauses=["7.5.3"],
    ).triage("James Carter", "process", "minor", "Design and development").action(
        "correction", "Send revision C and withdraw B from the customer", days=3
    ).analyse(
        "five_whys",
        [
            ("Revision B was attached from the shared drive", "", "Email of 12 Nov", False),
            ("The shared drive still holds superseded drawings", "method", "Folder listing", False),
        ],
    )


def _fishbone_planned(org, today):
    """A fishbone with a verified root cause; the plan waits for approval."""
    fishbone = Story(
        org,
        today,
        "Tom Fletcher",
        title="Surface finish out of specification on shafts",
        source="process",
        detected_on=ago(today, 25),
        product="Shaft SH-8",
        clauses=["8.5.1"],
    ).triage("David Okafor", "process", "minor", "Machining and assembly")
    fishbone.action("correction", "Re-polish the 12 shafts affected", done="Re-polished, inspected")
    fishbone.analyse(
        "ishikawa",
        [
            ("Worn insert used past its life", "machine", "Tool log shows 240 % of life", True),
            ("No insert change interval in the set-up sheet", "method", "Set-up sheet rev 4", True),
            ("New operator on night shift", "man", "", False),
            ("Bar stock from a new mill", "material", "", False),
            ("Roughness gauge out of calibration", "measurement", "Checked: in date", False),
            ("Shop temperature swings at night", "environment", "", False),
        ],
    ).plan(
        "Checked the Porto lathes: the same set-up sheet is used there; added to the action.",
        "Add insert change intervals to every set-up sheet, both sites",
        owner="Sofia Lima",
        approve=False,
    )


def _eight_d_in_implementation(org, today):
    """An 8D with D0 to D4 done, its corrective action under way."""
    eight_d = Story(
        org,
        today,
        "Priya Nair",
        title="Kestrel Pumps: 3 pump housings cracked in the field",
        source="customer_complaint",
        detected_on=ago(today, 40),
        severity="major",
        product="Pump housing PH-3",
        quantity_affected=3,
        clauses=["8.5.1", "8.6"],
    ).triage("James Carter", "output", "major", "Design and development")
    eight_d.action("containment", "Stop shipment; 100 % dye-penetrant test on stock", days=2)
    eight_d.run(
        steps.DecideDisposition,
        eight_d.owner,
        disposition="scrap",
        segregated="1",
        customer_notified="1",
    )
    eight_d.analyse("eight_d").eight_d(
        (0, "Customer safety risk: emergency stop of shipments."),
        (1, "Team: J. Carter (leader), D. Okafor, A. Ferreira, supplier quality."),
        (2, "3 housings cracked at the boss after 200 h; all from heat lot 77."),
        (3, "Stock tested: 6 cracked of 410; quarantined and scrapped."),
        (4, "Root cause: quench delay at the heat treater; escape: no hardness test on receipt."),
    )
    eight_d.run(
        AddCause,
        eight_d.owner,
        statement="Quench delay at the heat treater",
        category="material",
        evidence="Furnace chart of lot 77",
        verified="1",
        is_root="1",
    )
    eight_d.plan(
        "Other parts from the same heat treater checked: two part numbers, no cracks found.",
        "Hardness test on receipt of every heat-treated lot",
        owner="Marco Bianchi",
    )


def _waiting_for_its_check(org, today):
    """Actions done; the effectiveness check is planned."""
    Story(
        org,
        today,
        "Owen Price",
        title="Internal audit: calibration records missing for two gauges",
        source="internal_audit",
        detected_on=ago(today, 50),
        clauses=["7.1.5.2"],
        site=org.sites["porto"],
    ).triage("Sofia Lima", "system", "minor", "Machining (Porto)").action(
        "correction", "Calibrate gauges G-14 and G-15", done="Certificates 2211, 2212"
    ).analyse(
        "five_whys",
        [
            ("The gauges were not in the calibration list", "", "List of 1 Oct", True),
            (
                "Gauges bought by production are not announced to quality",
                "method",
                "Purchase orders 881, 902",
                True,
            ),
        ],
    ).plan(
        "Porto and Leeds both buy gauges this way; the fix covers both.",
        "Purchasing adds new gauges to the calibration list on receipt",
        owner="Marco Bianchi",
    ).implemented(
        "Procedure P-07 revision 3 issued",
        "No gauge in use missing from the list in 3 months",
        verifier="Tom Fletcher",
    )


def _closed(org, today):
    """Closed: verified effective and signed."""
    closed = Story(
        org,
        today,
        "Owen Price",
        title="Internal audit: training records not signed by trainers",
        source="internal_audit",
        detected_on=ago(today, 120),
        clauses=["7.2"],
    ).triage("Claire Dubois", "system", "minor", "Training and competence")
    closed.action("correction", "Trainers sign the 8 records found", done="Signed")
    closed.analyse(
        "five_whys",
        [
            ("The form has no trainer signature field", "method", "Form HR-04 rev 1", True),
        ],
    ).plan("Other HR forms checked: none needs a signature.", "Add a signature field to HR-04")
    closed.implemented("HR-04 rev 2 issued", "Next 10 records signed", verifier="Owen Price")
    closed.verify("Owen Price", "Sampled 10 records of November: all signed.")


def _failed_once_then_closed(org, today):
    """A fix judged not effective, analysed again, then closed."""
    redone = Story(
        org,
        today,
        "Beatriz Sousa",
        title="Supplier delivered bar stock without certificates",
        source="supplier",
        detected_on=ago(today, 150),
        clauses=["8.4.2"],
    ).triage("Marco Bianchi", "process", "minor", "Purchasing and supplier control")
    redone.action("correction", "Obtain the missing certificates", done="Received 3 certificates")
    redone.analyse(
        "five_whys",
        [
            ("Certificates not asked for on the purchase order", "method", "PO 1201", True),
        ],
    ).plan(
        "Checked other raw material suppliers: same order template.", "Add the request to the PO"
    )
    redone.implemented(
        "PO template changed",
        "No delivery without certificate for 2 months",
        verifier="Tom Fletcher",
    )
    redone.verify(
        "Tom Fletcher", "Two deliveries in December came without certificates.", effective=False
    )
    redone.run(
        AddCause,
        redone.owner,
        statement="Goods-in accepts deliveries without checking",
        category="method",
        evidence="Goods-in log",
        verified="1",
        is_root="1",
    )
    redone.plan(
        "Porto goods-in works the same way.",
        "Goods-in holds deliveries until the certificate is checked",
        owner="Samuel Green",
    )
    redone.implemented(
        "Goods-in checklist rev 2",
        "No delivery without certificate for 2 months",
        verifier="Tom Fletcher",
    )
    redone.verify("Tom Fletcher", "All 14 deliveries since had certificates checked at goods-in.")


def _cancelled(org, today):
    """Not a nonconformity after all: cancelled with a signed reason."""
    cancelled = Story(
        org,
        today,
        "Chloe Evans",
        title="Assembly jig missing",
        source="process",
        detected_on=ago(today, 5),
    )
    cancelled.run(
        steps.CancelNonconformity,
        cancelled.quality,
        reason="The jig was at calibration; not a nonconformity.",
        **SIGNED,
    )


def _improvements(org, today):
    person = org.person
    ideas = [
        (
            "Noah Wilson",
            "Use QR codes on travellers to open the drawing",
            "employee",
            "Fewer wrong revisions at the machines",
            None,
        ),
        (
            "Owen Price",
            "Share audit findings across both sites each month",
            "audit",
            "The same finding is not repeated at the other site",
            "accept",
        ),
        (
            "Helen Ward",
            "Quarterly supplier quality day",
            "management_review",
            "Better supplier performance",
            "done",
        ),
        (
            "Ethan Hughes",
            "Buy a second coolant skimmer",
            "employee",
            "Longer coolant life",
            "reject",
        ),
    ]
    for author, title, source, benefit, outcome in ideas:
        idea = CreateRecord(
            person(author),
            Improvement,
            data={
                "title": title,
                "source": source,
                "description": title,
                "expected_benefit": benefit,
            },
        ).execute()
        quality = person("Amira Haddad")
        if outcome in ("accept", "done"):
            idea = steps.AcceptImprovement(
                quality,
                idea,
                reason="Cheap and worth it.",
                data={
                    "owner": person("Tom Fletcher").pk,
                    "due_date": today + timedelta(days=60),
                },
            ).execute()
        if outcome == "done":
            steps.CompleteImprovement(
                person("Tom Fletcher"),
                idea,
                data={"realised_benefit": "Supplier on-time delivery up from 86 % to 93 %."},
            ).execute()
        if outcome == "reject":
            steps.RejectImprovement(
                quality, idea, reason="The current skimmer is enough once serviced monthly."
            ).execute()


def seed_scale(org) -> dict[str, int]:
    from norma.improvement.seed_scale import seed_improvement

    return seed_improvement(org)
