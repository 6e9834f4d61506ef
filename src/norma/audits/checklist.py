"""The checklist an audit starts from: the audit questions of the clauses in scope (from the
standards library) and questions about the documents, KPIs and risks of the processes in
scope. Generating again adds only what is not on the checklist yet."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Max

from norma.audits.models import ChecklistItem
from norma.core.changelog import Change, record_changes, snapshot
from norma.core.models.records import reserve_references
from norma.documents.models import Document
from norma.planning.models import Kpi, Risk
from norma.standards.models import Clause

PER_PROCESS = 20  # documents, KPIs and risks asked about, each, per process

Source = ChecklistItem.Source


def clauses_in_scope(audit) -> list[Clause]:
    """The clauses named and every clause beneath them; the processes' own clauses when
    the audit names none."""
    chosen = list(audit.clauses.all())
    if not chosen:
        chosen = list(Clause.objects.filter(process_clauses_of(audit)).distinct())
    if not chosen:
        return []
    keys = [c.sort_key for c in chosen]
    standards = {c.standard_id for c in chosen}
    everything = Clause.objects.filter(standard__in=standards).order_by("sort_key")
    return [
        c
        for c in everything
        if any(c.sort_key == k or c.sort_key.startswith(k + ".") for k in keys)
    ]


def process_clauses_of(audit):
    from django.db.models import Q

    return Q(planning_process_records__in=audit.processes.all())


def _questions_from_standard(audit) -> list[dict]:
    return [
        {"clause": clause, "source": Source.STANDARD, "title": question}
        for clause in clauses_in_scope(audit)
        for question in clause.audit_questions
    ]


def _questions_about_processes(audit) -> list[dict]:
    asked = []
    for process in audit.processes.all():
        documents = Document.objects.live().filter(
            process=process, status=Document.Status.EFFECTIVE
        )
        for doc in documents.order_by("reference")[:PER_PROCESS]:
            asked.append(
                {
                    "source": Source.DOCUMENT,
                    "subject": doc,
                    "title": f"Is {doc.reference} “{doc.title}” followed as written, and do "
                    "its records show it? Sample them.",
                }
            )
        kpis = Kpi.objects.live().filter(process=process, status=Kpi.Status.ACTIVE)
        for kpi in kpis.order_by("reference")[:PER_PROCESS]:
            asked.append(
                {
                    "source": Source.KPI,
                    "subject": kpi,
                    "title": f"Is {kpi.reference} “{kpi.title}” measured "
                    f"{kpi.get_frequency_display().lower()} as planned, and are results off "
                    "target acted on?",
                }
            )
        risks = Risk.objects.live().filter(process=process, status=Risk.Status.OPEN)
        for risk in risks.order_by("reference")[:PER_PROCESS]:
            asked.append(
                {
                    "source": Source.RISK,
                    "subject": risk,
                    "title": f"Are the actions on {risk.reference} “{risk.title}” carried out, "
                    "and have they worked?",
                }
            )
    return asked


def _already_asked(audit) -> set:
    rows = audit.checklist.live().values_list("clause_id", "subject_type_id", "subject_id", "title")
    return {(c, t, s, q if t is None else "") for c, t, s, q in rows}


def generate_checklist(audit, owner=None) -> list[ChecklistItem]:
    """Add the questions not yet on the checklist, numbered after the last item; the
    caller's action logs the audit and runs this inside its transaction."""
    asked = _already_asked(audit)
    position = audit.checklist.aggregate(last=Max("position"))["last"] or 0
    items = []
    for question in _questions_from_standard(audit) + _questions_about_processes(audit):
        subject = question.get("subject")
        subject_type = ContentType.objects.get_for_model(subject) if subject else None
        clause = question.get("clause")
        key = (
            clause.pk if clause else None,
            subject_type.pk if subject_type else None,
            str(subject.pk) if subject else "",
            "" if subject else question["title"],
        )
        if key in asked:
            continue
        asked.add(key)
        position += 1
        items.append(
            ChecklistItem(
                audit=audit,
                position=position,
                clause=clause,
                source=question["source"],
                subject_type=subject_type,
                subject_id=str(subject.pk) if subject else "",
                title=question["title"][:250],
                owner=owner,
                site=audit.site,
                department=audit.department,
                created_by=owner,
            )
        )
    for item, reference in zip(
        items, reserve_references(ChecklistItem.reference_prefix, len(items)), strict=True
    ):
        item.reference = reference
    ChecklistItem.objects.bulk_create(items)
    created = list(audit.checklist.filter(reference__in=[i.reference for i in items]))
    record_changes([Change(i, "create", after=snapshot(i, new_rows=True)) for i in created])
    return created
