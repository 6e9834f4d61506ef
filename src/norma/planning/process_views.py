"""The process approach made visible: a process page with everything linked to it, its
turtle diagram, and the map of how the processes hand work to each other (4.4)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from norma.core.registers import registry
from norma.planning.models import LETTERS, Process, ProcessType, QmsRole
from norma.planning.process_map import process_map_svg
from norma.planning.registers import ProcessRegister, QmsRoleRegister

LINKED_SHOWN = 10
MAP_MOST = 60


def _linked_registers():
    """Every register whose records name a process: KPIs, risks, documents, and whatever
    later registers add (audits, nonconformities), without this page knowing them."""
    for register in registry:
        field = next((f for f in register.model._meta.concrete_fields if f.name == "process"), None)
        if field is not None and field.related_model is Process:
            yield register


def linked_records(process, person) -> list[tuple]:
    """(register, total, first rows, list URL filtered to the process) per linked register
    the person may read; two queries per register, whatever the number of records."""
    sections = []
    for register in _linked_registers():
        if not person.has_perm(register.permission("view")):
            continue
        rows = register.queryset_for(person).live().filter(process=process)
        shown = list(rows.order_by("-pk")[:LINKED_SHOWN])
        total = rows.count()
        url = reverse(register.url_name("list")) + f"?process={process.pk}"
        sections.append((register, total, shown, url))
    return sections


def roles_of(process, person) -> list[tuple]:
    """(role, letters) for the roles with a part in this process: its row of the matrix."""
    if not person.has_perm(QmsRoleRegister.permission("view")):
        return []
    roles = (
        QmsRoleRegister.queryset_for(person)
        .live()
        .filter(status=QmsRole.Status.CURRENT)
        .prefetch_related("holders")
    )
    found = {}
    for name, letter in LETTERS.items():
        for role in roles.filter(**{name: process}).order_by("title"):
            found.setdefault(role.pk, [role, ""])[1] += letter
    return sorted(
        (tuple(entry) for entry in found.values()),
        key=lambda r: ("ARCI".index(r[1][0]), r[0].title),
    )


@login_required
def responsibility_matrix(request):
    """Processes down, roles across, A/R/C/I in the cells (5.3), in a fixed number of queries."""
    roles = list(
        QmsRoleRegister.readable_by(request.user)
        .live()
        .filter(status=QmsRole.Status.CURRENT)
        .order_by("title")
        .prefetch_related(*LETTERS)
    )
    processes = list(
        ProcessRegister.queryset_for(request.user)
        .live()
        .order_by("process_type", "title")[:MAP_MOST]
    )
    cells = {}
    for role in roles:
        for name, letter in LETTERS.items():
            for process in getattr(role, name).all():
                cells[(process.pk, role.pk)] = cells.get((process.pk, role.pk), "") + letter
    rows = [
        (
            process,
            [cells.get((process.pk, role.pk), "") for role in roles],
            any(cells.get((process.pk, role.pk), "").count("A") for role in roles),
        )
        for process in processes
    ]
    context = {"roles": roles, "rows": rows, "most": MAP_MOST}
    return render(request, "planning/responsibility_matrix.html", context)


def process_context(process, person) -> dict:
    visible = ProcessRegister.queryset_for(person).live().order_by("title")
    return {
        "roles": roles_of(process, person),
        "linked": linked_records(process, person),
        "hands_over_to": visible.filter(receives_from=process),
        "receives_from": visible.filter(hands_over_to=process),
    }


def _process(request, reference) -> Process:
    return get_object_or_404(ProcessRegister.readable_by(request.user), reference=reference)


@login_required
def turtle(request, reference):
    """The turtle diagram: what goes in and out, with what, with whom, how, and how well."""
    process = _process(request, reference)
    linked = {
        register.model._meta.model_name: rows
        for register, _, rows, _ in linked_records(process, request.user)
    }
    context = {
        "obj": process,
        "roles": roles_of(process, request.user),
        "kpis": linked.get("kpi", []),
        "documents": linked.get("document", []),
        "risks": linked.get("risk", []),
    }
    return render(request, "planning/process_turtle.html", context)


@login_required
def process_map(request):
    processes = list(
        ProcessRegister.readable_by(request.user)
        .live()
        .order_by("process_type", "title")
        .prefetch_related("hands_over_to")[: MAP_MOST + 1]
    )
    shown = processes[:MAP_MOST]
    detail = {p.pk: reverse("planning:process_detail", args=[p.reference]) for p in shown}
    svg = process_map_svg(shown, detail) if shown else None
    context = {
        "svg": svg,
        "more": len(processes) > MAP_MOST,
        "most": MAP_MOST,
        "types": ProcessType.choices,
        "count": len(shown),
    }
    return render(request, "planning/process_map.html", context)
