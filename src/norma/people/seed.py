"""Demo and scale data for the people app: job roles with their requirements, the course
catalogue, training records with real gaps and expiring certificates, a training plan, a
new revision that re-assigns its course, and the audit experience behind the auditors."""

import contextlib
from datetime import timedelta

from django.utils import timezone

from norma.core.actions import ActionRefused, CreateRecord
from norma.documents.models import Document
from norma.people.actions import IssuePlan, JudgeEffective
from norma.people.models import (
    Assessment,
    AuditExperience,
    Course,
    JobRole,
    Level,
    Requirement,
    TrainingPlan,
    TrainingRecord,
)

# title, delivery, provider, hours, valid months, max score, pass, qualifies, linked document
COURSES = [
    (
        "ISO 9001:2015 Internal Auditor",
        "external",
        "Bureau Training Ltd",
        16,
        36,
        100,
        70,
        "internal_auditor",
        None,
    ),
    (
        "ISO 9001:2015 Lead Auditor",
        "external",
        "Bureau Training Ltd",
        40,
        36,
        100,
        70,
        "lead_auditor",
        None,
    ),
    ("ISO 9001 Foundation", "external", "Bureau Training Ltd", 8, None, 100, 65, "", None),
    ("QMS awareness", "internal", "Quality team", 2, 24, None, None, "", None),
    (
        "CNC machining set-up",
        "internal",
        "Production",
        4,
        24,
        None,
        None,
        "",
        "CNC machining set-up",
    ),
    (
        "Document control for authors",
        "internal",
        "Quality team",
        2,
        None,
        None,
        None,
        "",
        "Control of documented information",
    ),
]

# job role, holders, requirements: (kind, title or course, level)
ROLES = [
    (
        "Machinist",
        ["Liam Murphy", "Pedro Alves", "Ethan Hughes"],
        [
            ("course", "QMS awareness", 0),
            ("course", "CNC machining set-up", 0),
            ("experience", "Two years of CNC machining", Level.INDEPENDENT),
        ],
    ),
    (
        "Assembler",
        ["Chloe Evans"],
        [
            ("course", "QMS awareness", 0),
            ("skill", "Reading engineering drawings", Level.SUPERVISED),
        ],
    ),
    (
        "Inspector",
        ["Ana Ferreira"],
        [
            ("course", "QMS awareness", 0),
            ("skill", "Use of measuring instruments", Level.INDEPENDENT),
            ("skill", "Reading engineering drawings", Level.INDEPENDENT),
        ],
    ),
    (
        "Quality engineer",
        ["Tom Fletcher", "Inês Moreira"],
        [
            ("course", "ISO 9001 Foundation", 0),
            ("course", "ISO 9001:2015 Internal Auditor", 0),
            ("course", "Document control for authors", 0),
            ("education", "Degree or diploma in engineering", Level.INDEPENDENT),
        ],
    ),
    (
        "Production manager",
        ["David Okafor", "Sofia Lima"],
        [
            ("course", "QMS awareness", 0),
            ("course", "Document control for authors", 0),
            ("experience", "Five years leading a production team", Level.INDEPENDENT),
        ],
    ),
    (
        "Buyer",
        ["Beatriz Sousa", "Marco Bianchi"],
        [("course", "QMS awareness", 0), ("skill", "Supplier evaluation", Level.INDEPENDENT)],
    ),
    ("Planner", ["Joana Ribeiro"], [("course", "QMS awareness", 0)]),
    (
        "Design engineer",
        ["Noah Wilson", "Maya Patel", "James Carter"],
        [
            ("course", "QMS awareness", 0),
            ("education", "Degree in mechanical engineering", Level.INDEPENDENT),
        ],
    ),
]

# person, course, days ago, result, score (records older than the validity have expired)
TRAINING = [
    ("Liam Murphy", "QMS awareness", 200, "attended", None),
    ("Liam Murphy", "CNC machining set-up", 690, "passed", None),  # expiring
    ("Pedro Alves", "QMS awareness", 800, "attended", None),  # expired
    ("Pedro Alves", "CNC machining set-up", 300, "passed", None),
    ("Ethan Hughes", "QMS awareness", 90, "attended", None),
    ("Chloe Evans", "QMS awareness", 400, "attended", None),
    ("Ana Ferreira", "QMS awareness", 100, "attended", None),
    ("Tom Fletcher", "ISO 9001 Foundation", 900, "passed", None),
    ("Tom Fletcher", "ISO 9001:2015 Internal Auditor", 600, "passed", 84),
    ("Tom Fletcher", "Document control for authors", 120, "attended", None),
    ("Inês Moreira", "ISO 9001 Foundation", 500, "passed", None),
    ("Inês Moreira", "ISO 9001:2015 Internal Auditor", 150, "passed", 76),
    ("Owen Price", "ISO 9001:2015 Internal Auditor", 1000, "passed", 88),
    ("Owen Price", "ISO 9001:2015 Lead Auditor", 400, "passed", 81),
    ("David Okafor", "QMS awareness", 300, "attended", None),
    ("David Okafor", "Document control for authors", 60, "attended", None),
    ("Sofia Lima", "QMS awareness", 710, "attended", None),  # expiring
    ("Marco Bianchi", "QMS awareness", 50, "attended", None),
    ("Noah Wilson", "QMS awareness", 30, "attended", None),
    ("James Carter", "QMS awareness", 120, "attended", None),
    ("Maya Patel", "ISO 9001 Foundation", 20, "failed", 48),
]

# person, requirement title, level, days ago
ASSESSMENTS = [
    ("Liam Murphy", "Two years of CNC machining", Level.EXPERT, 400),
    ("Pedro Alves", "Two years of CNC machining", Level.SUPERVISED, 200),
    ("Ana Ferreira", "Use of measuring instruments", Level.INDEPENDENT, 150),
    ("Ana Ferreira", "Reading engineering drawings", Level.INDEPENDENT, 150),
    ("Chloe Evans", "Reading engineering drawings", Level.SUPERVISED, 60),
    ("Tom Fletcher", "Degree or diploma in engineering", Level.INDEPENDENT, 900),
    ("David Okafor", "Five years leading a production team", Level.EXPERT, 1000),
    ("Sofia Lima", "Five years leading a production team", Level.INDEPENDENT, 700),
    ("Marco Bianchi", "Supplier evaluation", Level.EXPERT, 500),
    ("Noah Wilson", "Degree in mechanical engineering", Level.INDEPENDENT, 800),
    ("James Carter", "Degree in mechanical engineering", Level.EXPERT, 1100),
]

# auditor, audit, days ago, role, supervisor
AUDITS = [
    ("Owen Price", "Internal audit: purchasing (2024)", 700, "team_member", None),
    ("Owen Price", "Internal audit: design and development (2024)", 640, "team_member", None),
    (
        "Owen Price",
        "Internal audit: production, Leeds (2025)",
        420,
        "lead_supervised",
        "Amira Haddad",
    ),
    ("Owen Price", "Internal audit: document control (2025)", 300, "lead", None),
    ("Owen Price", "Supplier audit: Castings Iberia (2025)", 250, "lead", None),
    ("Owen Price", "Internal audit: sales and customer service (2026)", 90, "lead", None),
    ("Tom Fletcher", "Internal audit: production, Leeds (2025)", 420, "team_member", None),
    ("Tom Fletcher", "Internal audit: document control (2025)", 300, "team_member", None),
    ("Tom Fletcher", "Internal audit: sales and customer service (2026)", 90, "team_member", None),
    ("Inês Moreira", "Internal audit: sales and customer service (2026)", 90, "team_member", None),
]


def seed_demo(org):
    today = timezone.localdate()
    person = org.person
    amira = person("Amira Haddad")
    documents = {d.title: d for d in Document.objects.filter(title__in=[c[8] for c in COURSES])}
    courses = {}
    for title, delivery, provider, hours, months, top, mark, qualifies, document in COURSES:
        data = {
            "title": title,
            "delivery": delivery,
            "provider": provider,
            "duration_hours": hours,
            "validity_months": months,
            "max_score": top,
            "pass_score": mark,
            "qualifies": qualifies,
            "owner": amira,
            "documents": [documents[document]] if document in documents else [],
        }
        courses[title] = CreateRecord(amira, Course, data=data).execute()
    requirements = {}
    for title, holders, needs in ROLES:
        role = CreateRecord(
            amira,
            JobRole,
            data={
                "title": title,
                "owner": amira,
                "holders": [person(name) for name in holders],
            },
        ).execute()
        for kind, what, level in needs:
            data = {"job_role": role, "kind": kind, "level": level or Level.INDEPENDENT}
            if kind == "course":
                data["course"] = courses[what]
            else:
                data["title"] = what
            requirement = CreateRecord(amira, Requirement, data=data).execute()
            requirements.setdefault(requirement.title, requirement)
    for name, course, days, result, score in TRAINING:
        data = {
            "person": person(name),
            "course": courses[course],
            "completed_on": today - timedelta(days=days),
            "result": result,
            "score": score,
            "trainer": courses[course].provider,
        }
        CreateRecord(amira, TrainingRecord, data=data).execute()
    _judge_older_training(org, today)
    for name, requirement, level, days in ASSESSMENTS:
        data = {
            "person": person(name),
            "requirement": requirements[requirement],
            "level": level,
            "assessed_on": today - timedelta(days=days),
            "basis": "Seen at work by the manager; record on the personnel file.",
            "owner": amira,
        }
        CreateRecord(amira, Assessment, data=data).execute()
    for name, title, days, role, supervisor in AUDITS:
        data = {
            "title": title,
            "auditor": person(name),
            "role": role,
            "audited_on": today - timedelta(days=days),
            "supervisor": person(supervisor) if supervisor else None,
            "owner": amira,
        }
        CreateRecord(amira, AuditExperience, data=data).execute()
    _plan_and_revise(org, courses, today)
    _acknowledge_policy_and_objectives(org)


def _judge_older_training(org, today):
    """Training whose effectiveness check fell due over a month ago has been judged; the
    recent ones wait in their manager's tasks."""
    amira = org.person("Amira Haddad")
    due = TrainingRecord.objects.filter(due_date__lt=today - timedelta(days=30))
    for record in due.select_related("person__manager"):
        judge = record.person.manager or amira
        JudgeEffective(judge, record, reason="Applied at work as the course intended.").execute()


def _plan_and_revise(org, courses, today):
    """A plan for the Porto plant's production people, one judged effective training, and a
    new revision of the set-up instruction re-assigning its course."""
    from norma.documents.seed import _issue

    person = org.person
    amira, david = person("Amira Haddad"), person("David Okafor")
    plan = CreateRecord(
        amira,
        TrainingPlan,
        data={
            "title": "QMS awareness refresher, Porto production",
            "course": courses["QMS awareness"],
            "departments_trained": [org.departments[("Production", "porto")]],
            "due_date": today + timedelta(days=45),
            "owner": amira,
        },
    ).execute()
    IssuePlan(amira, plan).execute()
    judged = TrainingRecord.objects.filter(
        person=person("David Okafor"), course=courses["Document control for authors"]
    ).first()
    if judged is not None:  # David's manager judges his training
        JudgeEffective(
            person("Helen Ward"),
            judged,
            reason="Wrote and submitted two procedures correctly since the course.",
        ).execute()
    setup = Document.objects.filter(title="CNC machining set-up").first()
    if setup is not None:
        body = (
            "# CNC machining set-up\n\n1. Check the job card and drawing revision.\n"
            "2. Load the program; confirm tool offsets with the setter.\n"
            "3. Record the first-off inspection on the job card before the run.\n"
        )
        _issue(setup, david, body, "First-off inspection recorded.", person("James Carter"), amira)


def seed_scale(org) -> dict[str, int]:
    from norma.people.seed_scale import seed_people

    return seed_people(org)


AWARE = [
    "Helen Ward",
    "Rui Costa",
    "Amira Haddad",
    "Tom Fletcher",
    "Inês Moreira",
    "David Okafor",
    "Sofia Lima",
    "James Carter",
    "Priya Nair",
    "Marco Bianchi",
    "Claire Dubois",
    "Owen Price",
    "Liam Murphy",
    "Chloe Evans",
    "Ana Ferreira",
    "Noah Wilson",
    "Grace Taylor",
]  # the rest have not acknowledged yet: the Porto production team among them


def _acknowledge_policy_and_objectives(org):
    """7.3: the policy and the objectives go to everyone; most have acknowledged both."""
    from norma.core.models import RoleCode
    from norma.documents.actions import AcknowledgeRevision, Distribute
    from norma.documents.recipients import is_recipient

    amira = org.person("Amira Haddad")
    documents = Document.objects.filter(checklist_item__in=["M3", "M4"], status="effective")
    for document in documents:
        for role in RoleCode.values:
            if role == RoleCode.EXTERNAL_AUDITOR:
                continue
            with contextlib.suppress(ActionRefused):  # already distributed to the role
                Distribute(amira, document, data={"role": role}).execute()
    for name in AWARE:
        reader = org.person(name)
        for document in documents:
            revision = document.revisions.get(status="effective")
            if (
                is_recipient(reader, document)
                and not revision.acknowledgements.filter(person=reader).exists()
            ):
                AcknowledgeRevision(reader, document).execute()
