"""Pages of the people app beyond its registers: the competence matrix (with its gaps and
exports), awareness of the policy and objectives per department, a manager's team, and the
register of qualified auditors."""

from functools import lru_cache

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from norma.core.exports import neutralise, table_response
from norma.core.models import Department, Site
from norma.core.registers import DepartmentChoiceField
from norma.people import auditors, awareness, competence
from norma.people.competence import State
from norma.people.models import TrainingAssignment
from norma.people.registers import (
    AssessmentRegister,
    TrainingAssignmentRegister,
    TrainingRecordRegister,
)
from norma.reports.charts import bar_chart, status_chart

AUDITORS_PER_PAGE = 50
GAPS_SHOWN = 25  # names per requirement in "who needs what"; the exports hold them all
MATRIX_MOST = 1000  # people in one matrix; narrow it by department, site or job role
TONES = {State.MET: "ok", State.EXPIRING: "warn", State.EXPIRED: "bad", State.MISSING: "neutral"}


class MatrixFilter(forms.Form):
    department = DepartmentChoiceField(
        queryset=Department.objects.filter(is_active=True).select_related("site"),
        required=False,
        empty_label="Any",
    )
    site = forms.ModelChoiceField(
        queryset=Site.objects.filter(is_active=True), required=False, empty_label="Any"
    )
    job_role = forms.ModelChoiceField(
        queryset=competence.current_roles().order_by("title"),
        required=False,
        empty_label="Any",
        label="Job role",
    )
    gaps = forms.BooleanField(required=False, label="Only people with gaps")


@lru_cache(maxsize=4096)
def cell_html(state, until, planned) -> str:
    """One cell of the matrix as HTML. Cells repeat (met until the same day, missing…), so
    each distinct one is formatted once: a 500-person matrix has over 10,000 of them."""
    if state is None:
        return '<td class="cell-none">–</td>'
    return format_html(
        '<td class="cell-{}">{}{}{}</td>',
        state,
        State(state).label,
        format_html("<br><small>{}</small>", until.isoformat()) if until else "",
        format_html("<br><small>planned {}</small>", planned.isoformat()) if planned else "",
    )


def row_html(row, profile_url: str) -> str:  # profile_url: "/people/profile/"
    """A whole row of the matrix, built here rather than in the template: at 500 rows of 20
    columns the template engine's per-cell work would be most of the page's time."""
    person = row.person
    cells = "".join(
        cell_html(*((c.state, c.until, c.planned) if c else (None, None, None))) for c in row.cells
    )
    roles = ", ".join(role.title for role in row.roles)
    return format_html(
        '<tr><th scope="row"><a href="{}">{}</a><br><span class="muted">{}</span></th>'
        "<td>{}</td>{}</tr>",
        f"{profile_url}{person.pk}/",
        person.full_name,
        person.department.label if person.department else "",
        roles or mark_safe('<span class="muted">no job role</span>'),  # noqa: S308
        mark_safe(cells),  # noqa: S308  (each cell escaped by format_html)
    )


def gap_names(lacking, profile_url: str) -> str:
    """'Ann Lee (missing), Bo Chan (expired, planned 2027-01-14)', each name a link."""
    return format_html_join(
        ", ",
        '<a href="{}{}/">{}</a> <span class="muted">({}{})</span>',
        (
            (
                profile_url,
                person.pk,
                person.full_name,
                cell.label.lower(),
                f", planned {cell.planned.isoformat()}" if cell.planned else "",
            )
            for person, cell in lacking
        ),
    )


def _require(request, permission: str):
    if not request.user.has_perm(permission):
        raise PermissionDenied


def people_in_view(request):
    """The active people this person may see, narrowed by the matrix's filter."""
    form = MatrixFilter(request.GET or None)
    people = request.user.scope.filter(competence.staff())
    if form.is_valid():
        chosen = form.cleaned_data
        if chosen["department"]:
            people = people.filter(department=chosen["department"])
        if chosen["site"]:
            people = people.filter(site=chosen["site"])
        if chosen["job_role"]:
            people = people.filter(job_roles=chosen["job_role"])
    return form, people.order_by("full_name", "pk")


def _matrix(request):
    _require(request, "people.view_trainingrecord")
    form, people = people_in_view(request)
    shown = people.filter(pk__in=people.values("pk")[:MATRIX_MOST])
    found = competence.matrix(shown)
    if form.is_valid() and form.cleaned_data["gaps"]:
        found.rows = [row for row in found.rows if row.gaps]
    return form, found


@login_required
def competence_matrix(request):
    form, found = _matrix(request)
    profile_prefix = reverse("people:profile", args=[0]).removesuffix("0/")
    counts = found.counts()
    chart = status_chart(
        [(State(s).label, n, TONES[s]) for s, n in counts.items()],
        title="Requirements of the people shown",
    )
    context = {
        "form": form,
        "matrix": found,
        "rows": [row_html(row, profile_prefix) for row in found.rows],
        "profile_prefix": profile_prefix,
        "chart": chart if any(counts.values()) else None,
        "gaps": [
            (column.label, len(lacking), gap_names(lacking[:GAPS_SHOWN], profile_prefix))
            for column, lacking in found.gaps()
        ],
        "gaps_shown": GAPS_SHOWN,
        "gaps_hidden": -GAPS_SHOWN,
        "most": MATRIX_MOST,
        "query": request.GET.urlencode(),
        "expiring_days": settings.NORMA_EXPIRING_DAYS,
    }
    return render(request, "people/competence_matrix.html", context)


def matrix_table(found) -> list[list[str]]:
    """The matrix as rows of text: a heading row, then one row per person."""
    rows = [["Person", "Department", "Job roles", *(c.label for c in found.columns)]]
    for row in found.rows:
        cells = []
        for cell in row.cells:
            if cell is None:
                cells.append("")
                continue
            text = cell.label + (f" until {cell.until}" if cell.until else "")
            if cell.planned:
                text += f" (planned by {cell.planned})"
            cells.append(text)
        department = row.person.department.label if row.person.department else ""
        roles = "; ".join(role.title for role in row.roles)
        rows.append([row.person.full_name, department, roles, *cells])
    return [[neutralise(value) for value in line] for line in rows]


@login_required
def matrix_export(request, fmt: str):
    """The matrix as CSV or XLSX, as filtered on the page."""
    if fmt not in ("csv", "xlsx"):
        raise PermissionDenied
    _, found = _matrix(request)
    name = f"competence-matrix-{timezone.localdate():%Y-%m-%d}"
    return table_response(name, fmt, matrix_table(found))


@login_required
def awareness_page(request):
    """7.3: per department, the share of people who acknowledged the policy and objectives."""
    _require(request, "people.view_trainingrecord")
    people = request.user.scope.filter(competence.staff())
    revisions = awareness.revisions_in_force()
    groups = awareness.by_department(people) if revisions else []
    threshold = settings.NORMA_AWARENESS_THRESHOLD
    chart = bar_chart(
        [(g.label, g.percent, "ok" if g.percent >= threshold else "bad") for g in groups],
        title="Acknowledged the policy and objectives in force",
        unit="%",
        max_value=100,
    )
    context = {
        "groups": groups,
        "revisions": revisions,
        "threshold": threshold,
        "chart": chart if groups else None,
    }
    return render(request, "people/awareness.html", context)


@login_required
def my_team(request):
    """A manager's people: their competence gaps, training to take, and whether they have
    acknowledged the policy and objectives (7.3)."""
    team = competence.staff().filter(manager=request.user).order_by("full_name")
    found = competence.matrix(team)
    standing = {s.person.pk: s for s in awareness.standings(team)}
    rows = [
        (
            row,
            standing[row.person.pk],
            [
                (c.label, cell)
                for c, cell in zip(found.columns, row.cells, strict=True)
                if cell and cell.is_gap
            ],
        )
        for row in found.rows
    ]
    return render(request, "people/my_team.html", {"rows": rows})


@login_required
def auditors_page(request):
    """The qualified internal and lead auditors, with the evidence for each; the list the
    audit programme draws its auditors from."""
    _require(request, "people.view_auditexperience")
    found = auditors.qualifications(people=request.user.scope.filter(competence.staff()))
    page = Paginator(found, AUDITORS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "qualifications": page.object_list,
        "page": page,
        "qualified": sum(1 for q in found if q.level != auditors.IN_TRAINING),
        "criteria": auditors.criteria(),
    }
    return render(request, "people/auditors.html", context)


@login_required
def profile(request, pk: int):
    """One person's competence, as an auditor samples it: their job roles and where they stand
    against each requirement, with the training records, assessments and assignments behind it."""
    viewer = request.user
    people = competence.staff().filter(pk=pk)
    if viewer.pk != pk:
        _require(request, "people.view_trainingrecord")
        people = viewer.scope.filter(people)
    person = get_object_or_404(people.select_related("department__site", "site", "manager"))
    found = competence.matrix(competence.staff().filter(pk=pk))
    row = found.rows[0]
    mine = {"person": person}
    context = {
        "person": person,
        "roles": row.roles,
        "standing": list(zip(found.columns, row.cells, strict=True)),
        "records": TrainingRecordRegister.queryset_for(viewer)
        .filter(**mine)
        .order_by("-completed_on", "-pk"),
        "assessments": AssessmentRegister.queryset_for(viewer)
        .filter(**mine)
        .order_by("-assessed_on", "-pk"),
        "assignments": TrainingAssignmentRegister.queryset_for(viewer)
        .filter(**mine, status=TrainingAssignment.Status.OPEN)
        .order_by("due_date"),
        "awareness": awareness.standings([person])[0],
    }
    return render(request, "people/profile.html", context)
