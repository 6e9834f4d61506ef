"""Clause checks for document control (7.5) and the documents other clauses ask for."""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from norma.documents.checklist import ChecklistItem
from norma.documents.models import Document, Revision
from norma.documents.recipients import coverage, overdue_acknowledgements
from norma.standards.readiness import CheckResult, Evidence, Status, clause_check

# The "maintain" items every QMS needs; 4.4.2, 8.1 and 8.5.1 are "to the extent necessary".
REQUIRED = [ChecklistItem.M1, ChecklistItem.M3, ChecklistItem.M4]


def _register(label="Document register"):
    return Evidence(label, reverse("documents:document_list"))


def _checklist():
    return Evidence("Mandatory documented information", reverse("documents:checklist"))


def _linked(item):
    """The live document answering a checklist item, effective ones first."""
    documents = Document.objects.live().filter(checklist_item=item).order_by("status", "-pk")
    return next((d for d in documents if d.status == Document.Status.EFFECTIVE), documents.first())


def _document_check(item, what: str) -> CheckResult:
    document = _linked(item)
    if document is None:
        return CheckResult(Status.MISSING, f"No document is marked as the {what}.", [_checklist()])
    evidence = [Evidence(document.reference, document_url(document))]
    if document.status != Document.Status.EFFECTIVE:
        state = document.get_status_display().lower()
        return CheckResult(
            Status.PARTLY_MET, f"The {what} {document.reference} is {state}.", evidence
        )
    return CheckResult(Status.MET, f"The {what} {document.reference} is in force.", evidence)


def document_url(document) -> str:
    return reverse("documents:document_detail", args=[document.reference])


@clause_check("4.3")
def scope_maintained(person):
    """4.3: the scope is available and maintained as documented information."""
    return _document_check(ChecklistItem.M1, "scope of the QMS")


@clause_check("5.2")
def policy_in_force_and_read(person):
    """5.2.2: the quality policy is maintained, communicated and understood."""
    result = _document_check(ChecklistItem.M3, "quality policy")
    if result.status != Status.MET:
        return result
    document = _linked(ChecklistItem.M3)
    revision = document.revisions.filter(status=Revision.Status.EFFECTIVE).first()
    total, _, _ = coverage(document, revision)
    if not total.expected:
        return CheckResult(
            Status.PARTLY_MET,
            f"The quality policy {document.reference} is in force but distributed to nobody.",
            result.evidence,
        )
    sentence = (
        f"The quality policy {document.reference} revision {revision.label} is in force; "
        f"{total.done} of {total.expected} readers acknowledged it ({total.percent}%)."
    )
    status = Status.MET if total.done == total.expected else Status.PARTLY_MET
    return CheckResult(status, sentence, result.evidence)


@clause_check("6.2")
def objectives_maintained(person):
    """6.2.1: the quality objectives are maintained as documented information."""
    return _document_check(ChecklistItem.M4, "quality objectives")


@clause_check("7.5.1")
def mandatory_documents_linked(person):
    """7.5.1 a: the documented information the standard requires exists and is in force."""
    effective = set(
        Document.objects.live()
        .filter(status=Document.Status.EFFECTIVE, checklist_item__in=REQUIRED)
        .values_list("checklist_item", flat=True)
    )
    missing = [ChecklistItem(i).label for i in REQUIRED if i not in effective]
    if not missing:
        return CheckResult(
            Status.MET, "Scope, quality policy and quality objectives are in force.", [_checklist()]
        )
    status = Status.MISSING if len(missing) == len(REQUIRED) else Status.PARTLY_MET
    return CheckResult(status, f"Not in force: {'; '.join(missing)}.", [_checklist()])


@clause_check("7.5.2")
def approved_by_another(person):
    """7.5.2 c: every revision in force was approved by someone other than its author."""
    # Counted from one index, whatever the number of revisions (each kept its verdict when
    # it was approved).
    counts = Revision.objects.filter(status=Revision.Status.EFFECTIVE).aggregate(
        total=Count("pk"), independent=Count("pk", filter=Q(approved_independently=True))
    )
    total = counts["total"]
    if not total:
        return CheckResult(Status.MISSING, "No document is in force yet.", [_register()])
    unapproved = total - counts["independent"]
    if not unapproved:
        return CheckResult(
            Status.MET,
            f"All {total} revisions in force were approved by someone other than their author.",
            [_register()],
        )
    return CheckResult(
        Status.PARTLY_MET,
        f"{unapproved} of {total} revisions in force lack an approval by someone other than "
        "their author.",
        [_register()],
    )


@clause_check("7.5.3")
def documents_controlled(person):
    """7.5.3: documents are reviewed on time and reach the people who use them."""
    today = timezone.localdate()
    if not Document.objects.live().filter(status=Document.Status.EFFECTIVE).exists():
        return CheckResult(Status.MISSING, "No document is in force yet.", [_register()])
    overdue_reviews = (
        Document.objects.live().filter(status=Document.Status.EFFECTIVE, due_date__lt=today).count()
    )
    late_readers, late_documents = overdue_acknowledgements(today)
    problems = []
    if overdue_reviews:
        problems.append(f"{overdue_reviews} documents are past their review date")
    if late_readers:
        problems.append(
            f"{late_readers} acknowledgements are overdue on {late_documents} documents"
        )
    evidence = [
        _register(),
        Evidence(
            "Overdue reviews",
            reverse("documents:document_list") + "?status=effective&sort=due_date",
        ),
    ]
    if not problems:
        return CheckResult(
            Status.MET, "No document is past its review date; no reading is overdue.", evidence
        )
    return CheckResult(Status.PARTLY_MET, "; ".join(problems) + ".", evidence)
