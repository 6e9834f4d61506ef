"""Demo data for internal audits, made by the real actions: this year's programme, approved,
with two audits reported (one closed, one whose nonconformity is still being fixed), one in
progress on site, one planned with its plan sent, and one still to staff."""

from datetime import datetime, time, timedelta

from django.test.utils import override_settings
from django.utils import timezone

from norma.audits import findings as finding_actions
from norma.audits import workflow
from norma.audits.models import Audit, AuditProgramme, ChecklistItem, Finding
from norma.audits.programme import ApproveProgramme
from norma.core.actions import CreateRecord, UpdateRecord
from norma.core.seeding import DEMO_PASSWORD
from norma.documents.models import Document, add_months
from norma.planning.models import Process
from norma.standards.models import Clause


def at(day, hour=9):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def seed_demo(org):
    today = timezone.localdate()
    person = org.person
    amira = person("Amira Haddad")
    first = add_months(today.replace(day=1), -10)
    programme = CreateRecord(
        amira,
        AuditProgramme,
        data={
            "title": f"Internal audit programme {first.year}–{today.year + (today.month > 10)}",
            "period_start": first,
            "period_end": add_months(first, 12) - timedelta(days=1),
            "objectives": "Audit every process and every clause of ISO 9001 at least once "
            "within the certification cycle, the riskier processes every year; show the "
            "registrar a full audit of the scope before stage 2.",
            "risks_opportunities": "Risk: only two qualified lead auditors, so audits slip "
            "when production peaks. Opportunity: Inês Moreira qualifies as an internal auditor "
            "this year.",
            "owner": amira,
        },
    ).execute()
    processes = {p.title: p for p in Process.objects.all()}
    plan = Planner(org, programme, processes, today)
    # The demo's people have example.com addresses: plans are not mailed while seeding.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        plan.closed_training_audit()
        plan.reported_purchasing_audit()
        plan.machining_in_progress()
        plan.sales_planned()
        plan.design_to_staff()
    ApproveProgramme(person("Helen Ward"), programme, data={"password": DEMO_PASSWORD}).execute()


class Planner:
    def __init__(self, org, programme, processes, today):
        self.org, self.programme, self.processes, self.today = org, programme, processes, today
        self.amira = org.person("Amira Haddad")
        self.owen = org.person("Owen Price")
        self.tom = org.person("Tom Fletcher")

    def audit(self, title, process, lead, team, auditees, start, clauses=(), **extra):
        data = {
            "title": title,
            "programme": self.programme,
            "kind": Audit.Kind.PROCESS,
            "objectives": f"Check that {process.title.lower()} meets ISO 9001 and its own "
            "procedures, and that its risks are addressed.",
            "processes": [process],
            "clauses": list(Clause.objects.filter(ref__in=clauses)),
            "sites": [self.org.sites["leeds"]],
            "owner": lead,
            "team": team,
            "auditees": auditees,
            "target_month": start.replace(day=1),
            "start_date": start,
            "end_date": start + timedelta(days=1),
            "agenda": "09:00 opening meeting\n09:30 process walk-through and records\n"
            "13:30 interviews\n15:30 auditors' review\n16:00 closing meeting",
            "site": self.org.sites["leeds"],
            **extra,
        }
        return CreateRecord(self.amira, Audit, data=data).execute()

    def run(self, action, actor, obj, **data):
        reason = data.pop("reason", "")
        return action(actor, obj, data=data, reason=reason).execute()

    def answer(self, audit, results: dict[int, tuple[str, str]]):
        """Answer checklist items by position: (result, evidence)."""
        for item in audit.checklist.filter(position__in=results):
            result, seen = results[item.position]
            UpdateRecord(self.owen, item, data={"result": result, "evidence": seen}).execute()

    def finding(self, audit, grade, title, clause, requirement, seen, process=None, item=None):
        return finding_actions.AddFinding(
            self.owen,
            data={
                "audit": audit,
                "grade": grade,
                "title": title,
                "clause": Clause.objects.get(ref=clause),
                "process": process,
                "requirement": requirement,
                "evidence": seen,
                "checklist_item": item,
            },
        ).execute()

    def fieldwork(self, audit, lead, attendees, day):
        self.run(workflow.GenerateChecklist, lead, audit)
        self.run(
            workflow.HoldOpeningMeeting,
            lead,
            audit,
            opening_meeting_at=at(day),
            opening_attendees=[p.pk for p in attendees],
        )

    def report(self, audit, lead, attendees, day, conclusions, fulfilment, **report):
        self.run(
            workflow.HoldClosingMeeting,
            lead,
            audit,
            closing_meeting_at=at(day, 16),
            closing_attendees=[p.pk for p in attendees],
        )
        self.run(
            workflow.SignReport,
            lead,
            audit,
            conclusions=conclusions,
            fulfilment=fulfilment,
            password=DEMO_PASSWORD,
            **report,
        )

    def closed_training_audit(self):
        claire = self.org.person("Claire Dubois")
        day = self.today - timedelta(days=150)
        audit = self.audit(
            "Training and competence",
            self.processes["Training and competence"],
            self.owen,
            [self.tom],
            [claire],
            day,
            clauses=["7.2", "7.3"],
        )
        self.fieldwork(audit, self.owen, [self.owen, self.tom, claire], day)
        count = audit.checklist.count()
        self.answer(
            audit,
            {
                n: ("conforming", "Training records of five machinists sampled; all complete.")
                for n in range(1, count + 1)
            },
        )
        observation = self.finding(
            audit,
            "observation",
            "Course evaluations are filed a month after the course",
            "7.2",
            "The effectiveness of training is evaluated.",
            "Three of five evaluations sampled were signed 4–6 weeks after the course.",
            self.processes["Training and competence"],
        )
        strength = self.finding(
            audit,
            "strength",
            "The competence matrix is kept current for every job role",
            "7.2",
            "Competence is determined for people whose work affects quality.",
            "Matrix reviewed with the HR manager; every role in scope has its requirements.",
            self.processes["Training and competence"],
        )
        for found in (observation, strength):
            self.run(finding_actions.IssueFinding, self.owen, found)
            self.run(finding_actions.AcknowledgeFinding, claire, found)
        self.report(
            audit,
            self.owen,
            [self.owen, self.tom, claire],
            day + timedelta(days=1),
            "Training and competence is effective. Records are complete and the competence "
            "matrix is a strength; course evaluations could be filed sooner.",
            Audit.Fulfilment.FULL,
            strengths="Competence matrix kept current.",
            improvement_areas="File course evaluations within two weeks.",
        )
        self.run(workflow.CloseAudit, self.amira, audit)

    def reported_purchasing_audit(self):
        marco = self.org.person("Marco Bianchi")
        process = self.processes["Purchasing and supplier control"]
        day = self.today - timedelta(days=60)
        audit = self.audit(
            "Purchasing and supplier control",
            process,
            self.owen,
            [self.tom],
            [marco, self.org.person("Beatriz Sousa")],
            day,
            clauses=["8.4"],
        )
        self.run(
            workflow.ReviewDocuments,
            self.owen,
            audit,
            reviewed_documents=[d.pk for d in documents_in_force(process)],
            document_review_notes="Purchasing procedure and approved supplier list read "
            "before the audit; the procedure matches the process map.",
        )
        self.fieldwork(audit, self.owen, [self.owen, self.tom, marco], day)
        items = list(audit.checklist.order_by("position"))
        results = {item.position: ("conforming", "Purchase orders sampled.") for item in items}
        late = items[1] if len(items) > 1 else items[0]
        results[late.position] = (
            "minor",
            "Two of six approved suppliers sampled were past their re-evaluation date.",
        )
        self.answer(audit, results)
        minor = self.finding(
            audit,
            "minor",
            "Approved suppliers used past their re-evaluation date",
            "8.4.1",
            "External providers are re-evaluated against the criteria the organisation set.",
            "Two of six approved suppliers sampled (castings, heat treatment) were 3 and 5 "
            "months past re-evaluation; orders were still placed with both.",
            process,
            ChecklistItem.objects.get(pk=late.pk),
        )
        ofi = self.finding(
            audit,
            "ofi",
            "Share supplier scorecards with the suppliers each quarter",
            "8.4.3",
            "Providers are told how their performance is monitored.",
            "Suppliers learn their scores only at the yearly review.",
            process,
        )
        strength = self.finding(
            audit,
            "strength",
            "Clear supplier scorecards with weights agreed by the quality team",
            "8.4.1",
            "Criteria for evaluation and selection are set.",
            "Scorecard weights documented and applied to every evaluation sampled.",
            process,
        )
        for found in (minor, ofi, strength):
            self.run(finding_actions.IssueFinding, self.owen, found)
            self.run(
                finding_actions.AcknowledgeFinding,
                marco,
                found,
                auditee_response="Agreed." if found is minor else "",
            )
        self.run(finding_actions.OpenImprovement, self.owen, Finding.objects.get(pk=ofi.pk))
        self.report(
            audit,
            self.owen,
            [self.owen, self.tom, marco],
            day + timedelta(days=1),
            "Supplier control is largely effective; re-evaluations are not kept to their "
            "interval, which a minor nonconformity records.",
            Audit.Fulfilment.LARGELY,
            strengths="Supplier scorecards.",
            weaknesses="Re-evaluation dates slip.",
            improvement_areas="Share scorecards with suppliers quarterly.",
        )

    def machining_in_progress(self):
        david = self.org.person("David Okafor")
        liam = self.org.person("Liam Murphy")
        process = self.processes["Machining and assembly"]
        day = self.today - timedelta(days=1)
        audit = self.audit(
            "Machining and assembly, Leeds",
            process,
            self.owen,
            [self.tom, self.org.person("Inês Moreira")],
            [david, liam],
            day,
            clauses=["8.5.1", "8.5.2", "7.1.5"],
        )
        self.run(workflow.SendPlan, self.owen, audit, **plan_dates(audit))
        self.fieldwork(audit, self.owen, [self.owen, self.tom, david], day)
        self.answer(
            audit,
            {
                1: ("conforming", "Work orders 4411–4418 carry the drawing revision in force."),
                2: ("conforming", "First-off inspection records present for each batch."),
                3: ("observation", "One set-up sheet handwritten; legible and signed."),
            },
        )
        CreateRecord(
            self.owen,
            audit.interviews.model,
            data={
                "audit": audit,
                "interviewee": liam,
                "interviewee_role": "Machinist, cell 3",
                "held_at": at(day, 11),
                "notes": "Shows how he checks the drawing revision before the first cut and "
                "where he records first-off results.",
                "checklist_items": list(audit.checklist.filter(position__in=[1, 2])),
            },
        ).execute()
        self.finding(
            audit,
            "minor",
            "A micrometer in use past its calibration date",
            "7.1.5.2",
            "Measuring equipment is calibrated at specified intervals before use.",
            "At cell 2 a micrometer was in use 9 days past its calibration due date.",
            process,
        )

    def sales_planned(self):
        priya = self.org.person("Priya Nair")
        start = self.today + timedelta(days=21)
        audit = self.audit(
            "Sales and contract review",
            self.processes["Sales and contract review"],
            self.owen,
            [self.tom],
            [priya, self.org.person("Grace Taylor")],
            start,
            clauses=["8.2"],
        )
        self.run(workflow.SendPlan, self.owen, audit, **plan_dates(audit))

    def design_to_staff(self):
        CreateRecord(
            self.amira,
            Audit,
            data={
                "title": "Design and development",
                "programme": self.programme,
                "kind": Audit.Kind.PROCESS,
                "objectives": "Check design planning, reviews, verification and validation.",
                "processes": [self.processes["Design and development"]],
                "clauses": list(Clause.objects.filter(ref="8.3")),
                "target_month": add_months(self.today.replace(day=1), 1),
                "site": self.org.sites["leeds"],
            },
        ).execute()


def documents_in_force(process) -> list:
    effective = Document.objects.live().filter(status=Document.Status.EFFECTIVE)
    return list(effective.filter(process=process)[:3]) or list(effective.order_by("pk")[:2])


def plan_dates(audit) -> dict:
    return {"start_date": audit.start_date, "end_date": audit.end_date, "agenda": audit.agenda}


def seed_scale(org) -> dict[str, int]:
    from norma.audits.seed_scale import seed_audits

    return seed_audits(org)
