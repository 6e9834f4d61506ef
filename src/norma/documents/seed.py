"""Demo and scale data for document control."""

from django.core.files.uploadedfile import SimpleUploadedFile

from norma.core.actions import CreateRecord, UpdateRecord
from norma.core.changelog import Change, record_changes, snapshot
from norma.core.models import RoleCode
from norma.core.seeding import DEMO_PASSWORD
from norma.documents import actions
from norma.documents.models import Document, DocumentText, DocumentType, Revision
from norma.planning.models import Process, QmsScope
from norma.standards.models import Clause

SIGN = {"password": DEMO_PASSWORD}

POLICY_A = """# Quality policy

Northbridge Precision makes machined parts that customers can build on.

- We meet our customers' requirements and the law, first time and on time.
- We set quality objectives every year and review them each quarter.
- Every employee may stop work when quality is at risk.
"""
POLICY_B = POLICY_A.replace(
    "- Every employee may stop work when quality is at risk.",
    "- Every employee may stop work when quality is at risk.\n"
    "- We improve the QMS continually, using audit results, customer feedback and data.\n"
    "- We consider how climate change affects our supply chain and our customers.",
)
SCOPE = """# Scope of the quality management system

**Products and services:** design and manufacture of precision machined components in metals
and engineering plastics, to customer drawings and our own designs.

**Sites:** Leeds works (UK), Porto plant (Portugal).

| Requirement | Applies? | Why |
|---|---|---|
| 7.1.5.2 Measurement traceability | Yes | Parts are accepted against measured dimensions |
| 8.3 Design and development | Yes, Leeds only | Porto builds to Leeds designs |
"""
OBJECTIVES = """# Quality objectives 2026

| Objective | Target | Owner |
|---|---|---|
| On-time delivery | at least 96 % | Sales Manager |
| Right first time at final inspection | at least 98.5 % | Production Manager |
| Customer complaints | at most 6 a year | Quality Manager |
"""
DOC_CONTROL = """# Control of documented information

1. Anyone may draft a document; its owner keeps it current.
2. A reviewer who did not write it checks it; an approver signs it.
3. The approved revision takes effect on its effective date and replaces the one before.
4. Readers confirm they have read and understood it.
"""
DOC_CONTROL_B = DOC_CONTROL.replace(
    "4. Readers confirm they have read and understood it.",
    "4. Readers confirm they have read and understood it within 14 days.\n"
    "5. Documents are reviewed at least every two years.",
)
SETUP = """# CNC machining set-up

1. Check the job card and drawing revision against the master list.
2. Load the program; confirm the tool offsets with the setter.
3. Machine the first part and have it inspected before the run.
"""


def _issue(document, author, body, summary, reviewer, approver, file=None, effective=None):
    """Draft, submit, review and approve one revision, as the people who would."""
    actions.StartRevision(author, document).execute()
    data = {"body": body, "change_summary": summary, "effective_date": effective}
    if file is not None:
        data["file"] = file
    actions.EditDraft(author, document, data=data).execute()
    actions.SubmitRevision(author, document).execute()
    if reviewer is not None:
        actions.ReviewRevision(reviewer, document, data=SIGN, reason="Reads well.").execute()
    if approver is not None:
        actions.ApproveRevision(approver, document, data=SIGN).execute()


def _pdf(title: str, text: str) -> SimpleUploadedFile:
    from weasyprint import HTML

    html = f"<h1>{title}</h1><p>{text}</p>"
    return SimpleUploadedFile(f"{title}.pdf", HTML(string=html).write_pdf(), "application/pdf")


def seed_demo(org):
    types = {t.code: t for t in DocumentType.objects.all()}
    clauses = {c.ref: c for c in Clause.objects.filter(standard__slug="iso9001-2015")}
    processes = {p.title: p for p in Process.objects.all()}
    person = org.person
    amira, helen, rui = person("Amira Haddad"), person("Helen Ward"), person("Rui Costa")
    david, james = person("David Okafor"), person("James Carter")

    def create(author, kind, title, owner, refs, **fields):
        data = {"title": title, "document_type": types[kind], "owner": owner, **fields}
        data["clauses"] = [clauses[r] for r in refs]
        return CreateRecord(author, Document, data=data).execute()

    def distribute(document, **target):
        actions.Distribute(amira, document, data=target).execute()

    policy = create(helen, "policy", "Quality policy", helen, ["5.2"], checklist_item="M3")
    _issue(policy, helen, POLICY_A, "First issue.", amira, rui)
    _issue(policy, helen, POLICY_B, "Adds improvement and climate change.", amira, rui)
    distribute(policy, role=RoleCode.EMPLOYEE)
    distribute(policy, role=RoleCode.PROCESS_OWNER)
    for name in ("Liam Murphy", "Chloe Evans", "Tom Fletcher", "David Okafor", "Priya Nair"):
        actions.AcknowledgeRevision(person(name), policy).execute()

    scope = create(helen, "manual", "Scope of the QMS", amira, ["4.3"], checklist_item="M1")
    _issue(scope, helen, SCOPE, "First issue.", amira, rui)
    for record in QmsScope.objects.live():  # the planning record of 4.3 rests on it
        UpdateRecord(helen, record, data={"statement": scope}).execute()

    objectives = create(
        helen, "plan", "Quality objectives 2026", helen, ["6.2"], checklist_item="M4"
    )
    _issue(objectives, helen, OBJECTIVES, "First issue.", amira, rui)
    distribute(objectives, role=RoleCode.PROCESS_OWNER)

    control = create(david, "procedure", "Control of documented information", amira, ["7.5"])
    _issue(control, david, DOC_CONTROL, "First issue.", james, amira)
    _issue(control, david, DOC_CONTROL_B, "Reading deadline; review period.", james, None)
    distribute(control, role=RoleCode.PROCESS_OWNER)

    setup = create(
        david,
        "work-instruction",
        "CNC machining set-up",
        david,
        ["8.5.1"],
        process=processes.get("Machining and assembly"),
        sites=[org.sites["leeds"]],
        departments=[org.departments[("Production", "leeds")]],
        checklist_item="M2",
    )
    _issue(setup, david, SETUP, "First issue.", james, amira)
    distribute(setup, department=org.departments[("Production", "leeds")].pk)
    actions.AcknowledgeRevision(person("Liam Murphy"), setup).execute()

    production = [org.departments[("Production", site)] for site in ("leeds", "porto")]
    nonconforming = create(
        amira,
        "procedure",
        "Control of nonconforming outputs",
        david,
        ["8.7"],
        sites=list(org.sites.values()),
        departments=production,
    )
    actions.StartRevision(amira, nonconforming).execute()
    draft = {"body": "# Control of nonconforming outputs\n\n1. Stop, tag and segregate.\n"}
    actions.EditDraft(amira, nonconforming, data=draft).execute()

    drawing = create(james, "external", "Customer drawing standard DS-100", james, ["8.2.2"])
    text = "Tolerances, surface finish and marking rules that our customers' drawings refer to."
    upload = _pdf("Customer drawing standard DS-100", text)
    _issue(drawing, james, "", "Received from the customer.", None, amira, file=upload)

    form = create(david, "form", "Calibration record form", amira, ["7.1.5.1"])
    table = "| Instrument | Date | Result | By |\n|---|---|---|---|\n"
    _issue(form, david, table, "First issue.", None, amira)

    minutes = create(
        helen, "record", "Management review minutes 2025", helen, ["9.3.3"], checklist_item="R20"
    )
    body = "# Management review, December 2025\n\nAll inputs reviewed; three actions agreed."
    _issue(minutes, helen, body, "Minutes as agreed.", None, amira)
    actions.PlaceLegalHold(amira, minutes, reason="Customer dispute 2026-114").execute()

    legacy = create(david, "procedure", "Inspection procedure (before 2026)", amira, ["8.6"])
    _issue(legacy, david, "# Inspection\n\nInspect one part in ten.", "First issue.", james, amira)
    reason = "Replaced by the inspection steps in the work instructions."
    actions.ObsoleteDocument(amira, legacy, reason=reason).execute()


VOCABULARY = """
calibration inspection supplier customer drawing tolerance measurement record training audit
corrective action nonconformity process review approval release batch material machine setup
operator torque surface finish thread gauge micrometer sample acceptance criteria risk objective
competence awareness maintenance cleaning packaging label traceability shipment delivery
complaint feedback design verification validation change control document revision procedure
instruction form report quality safety environment planning capacity schedule purchase order
contract requirement specification test result deviation concession rework scrap containment
root cause effectiveness monitoring
"""
WORDS = VOCABULARY.split()
SCALE_SHARE = {"procedure": 30, "work-instruction": 40, "form": 15, "specification": 5,
               "external": 5, "record": 5}  # fmt: skip
BATCH = 2000


def _text(rng, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _place(documents, places):
    """Each document at its owner's site and in their department (the links, in bulk)."""
    for kind, column in (("site", 0), ("department", 1)):
        links = getattr(Document, f"{kind}s").through
        rows = [
            links(document_id=d.pk, **{f"{kind}_id": place[column]})
            for d, place in zip(documents, places, strict=True)
            if place[column]
        ]
        links.objects.bulk_create(rows, batch_size=BATCH)


def seed_scale(org) -> dict[str, int]:
    """About one document per tenth of a person at each scale: 50,000 at large, each with three
    revisions (two superseded, one effective, or obsolete for one document in ten)."""
    from datetime import timedelta

    from django.utils import timezone

    from norma.dataio.import_write import insert_objects, insert_rows
    from norma.documents.models import add_months

    rng, today = org.rng, timezone.localdate()
    count = len(org.people) * 10
    types = {t.code: t for t in DocumentType.objects.all()}
    owners = [p for i, p in enumerate(org.people) if i % 20 == 0] or org.people
    plan = [code for code, share in SCALE_SHARE.items() for _ in range(share)]
    kinds = [types[rng.choice(plan)] for _ in range(count)]
    numbers = _reserve_numbers(kinds)
    owners_place = {p.pk: (p.site_id, p.department_id) for p in owners}
    documents = []
    for i, kind in enumerate(kinds):
        owner = rng.choice(owners)
        obsolete = i % 10 == 9
        effective = today - timedelta(days=rng.randint(0, 700))
        months = kind.review_months
        documents.append(
            Document(
                reference=numbers[i],
                title=f"{kind.name} {i + 1:05d}: {_text(rng, 4)[:-1].lower()}",
                document_type=kind,
                owner=owner,
                status=Document.Status.OBSOLETE if obsolete else Document.Status.EFFECTIVE,
                due_date=None if obsolete or not months else add_months(effective, months),
                retained_from=effective if obsolete or kind.is_record else None,
            )
        )
    revisions, texts = 0, 0
    for start in range(0, count, BATCH):
        batch = documents[start : start + BATCH]
        insert_objects(Document, batch)
        _place(batch, [owners_place[d.owner_id] for d in batch])
        rows, index = [], []
        for document in batch:
            last = Revision.Status.OBSOLETE if document.status == "obsolete" else "effective"
            body = _text(rng, 45)
            for number, status in enumerate(["superseded", "superseded", last], start=1):
                rows.append(
                    Revision(
                        document=document,
                        number=number,
                        label=document.document_type.revision_label(number),
                        status=status,
                        body=body if number == 3 else _text(rng, 12),
                        change_summary="Periodic update." if number > 1 else "First issue.",
                        effective_date=today - timedelta(days=rng.randint(0, 700)),
                    )
                )
            index.append(
                DocumentText(
                    document=document,
                    title=f"{document.reference} {document.title}",
                    body=body,
                    obsolete=document.status == Document.Status.OBSOLETE,
                )
            )
        insert_objects(Revision, rows)
        insert_rows(index)  # keyed by their document: ids already set
        changes = [Change(d, "create", after=snapshot(d, new_rows=True)) for d in batch]
        record_changes(changes, insert=insert_rows)
        revisions, texts = revisions + len(rows), texts + len(index)
        if org.progress and (start // BATCH) % 5 == 4:
            org.progress(f"documents: {start + len(batch):,} of {count:,}")
    if org.progress:
        org.progress(f"documents: {count:,} with {revisions:,} revisions")
    return {"documents": count, "document_revisions": revisions}


def _reserve_numbers(kinds) -> list[str]:
    """Every document's number, each type's counter moved once."""
    counts: dict = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    numbers = {kind: iter(kind.reserve_numbers(n)) for kind, n in counts.items()}
    return [next(numbers[kind]) for kind in kinds]
