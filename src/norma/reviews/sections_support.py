"""The remaining inputs of a management review (9.3.2 c 4–6, d, e, f): monitoring and
measurement, audits, external providers, resources, risks and opportunities, improvement."""

from collections import Counter

from django.db.models import Avg, Count
from django.utils import timezone

from norma.reports import charts
from norma.reviews.sections import Period, Section, named, plural


def monitoring(review, period: Period) -> Section:
    from norma.operations.models import Calibration, Instrument
    from norma.planning.models import Kpi, Measurement

    measured = Measurement.objects.filter(period.moments("measured_at"))
    count = measured.count()
    kpis_measured = measured.values("kpi").distinct().count()
    active = Kpi.objects.live().filter(status="active")
    late = active.filter(due_date__lt=min(period.end, timezone.localdate())).count()
    results = Counter(
        Calibration.objects.live()
        .filter(period.days("performed_on"))
        .values_list("result", flat=True)
    )
    calibrations = sum(results.values())
    overdue_instruments = (
        Instrument.objects.live()
        .filter(status="in_service", due_date__lt=timezone.localdate())
        .count()
    )
    if not (count or calibrations):
        return Section(
            "No measurement and no calibration is recorded for the period (9.1.1, 7.1.5).",
            missing=True,
        )
    figures = [
        ("Measurements", count),
        ("KPIs measured", kpis_measured),
        ("KPIs not measured when due", late),
        ("Calibrations", calibrations),
        ("Out of tolerance", results.get("out_of_tolerance", 0)),
        ("Instruments overdue now", overdue_instruments),
    ]
    summary = (
        f"{plural(count, 'measurement')} of {plural(kpis_measured, 'KPI')}; "
        f"{plural(late, 'KPI')} past {'its' if late == 1 else 'their'} measurement date. "
        f"{plural(calibrations, 'calibration')}, {results.get('out_of_tolerance', 0):,} out of "
        f"tolerance; {plural(overdue_instruments, 'instrument')} in service overdue for "
        "calibration."
    )
    chart = charts.column_chart(
        period.counted_per_month(measured, "measured_at"), title="Measurements recorded per month"
    )
    details = named(
        Calibration.objects.live()
        .filter(period.days("performed_on"), result="out_of_tolerance")
        .select_related("instrument")
        .order_by("-performed_on"),
        lambda c: f"{c.instrument.title} out of tolerance on {c.performed_on:%Y-%m-%d}",
    )
    return Section(summary, figures, chart, details)


def audit_results(review, period: Period) -> Section:
    from norma.audits.models import Audit, Finding, Grade

    audits = Audit.objects.live().filter(period.days("reported_on"))
    reported = audits.count()
    if not reported:
        return Section(
            "No internal audit report was signed in the period (9.2), and no external audit "
            "result is recorded.",
            missing=True,
        )
    grades = Counter(
        Finding.objects.live()
        .filter(audit__in=audits)
        .exclude(status="withdrawn")
        .values_list("grade", flat=True)
    )
    unanswered = Finding.objects.live().filter(audit__in=audits, status="issued").count()
    planned = Audit.objects.live().filter(status="planned", target_month__lte=period.end).count()
    figures = [
        ("Audits reported", reported),
        *[(label, grades.get(value, 0)) for value, label in Grade.choices],
        ("Findings awaiting an answer", unanswered),
        ("Planned audits not started", planned),
    ]
    summary = (
        f"{plural(reported, 'internal audit')} reported: {grades.get('major', 0):,} major and "
        f"{grades.get('minor', 0):,} minor nonconformities, "
        f"{plural(grades.get('ofi', 0), 'opportunity', 'opportunities')} "
        f"for improvement and {plural(grades.get('strength', 0), 'strength')}. "
        f"{plural(planned, 'planned audit')} due by the end of the period not started. "
        "No external audit result is recorded."
    )
    tones = {
        "major": "bad",
        "minor": "warn",
        "ofi": "brand",
        "observation": "neutral",
        "strength": "ok",
    }
    chart = charts.bar_chart(
        [(label, grades.get(value, 0), tones[value]) for value, label in Grade.choices],
        title="Internal audit findings",
    )
    details = named(
        audits.select_related("owner").order_by("-reported_on"),
        lambda a: (
            f"{a.title}, reported {a.reported_on:%Y-%m-%d} ({a.get_fulfilment_display().lower()})"
        ),
    )
    return Section(summary, figures, chart, details)


def providers(review, period: Period) -> Section:
    from norma.operations.models import Scar, Supplier, SupplierEvaluation

    evaluations = SupplierEvaluation.objects.live().filter(period.days("evaluated_on"))
    outcomes = Counter(evaluations.values_list("outcome", flat=True))
    evaluated = sum(outcomes.values())
    if not evaluated:
        return Section("No external provider was evaluated in the period (8.4.1).", missing=True)
    average = evaluations.aggregate(score=Avg("score"))["score"] or 0
    statuses = Counter(Supplier.objects.live().values_list("status", flat=True))
    scars = Scar.objects.live().filter(period.days("requested_on"))
    open_scars = Scar.objects.live().filter(status__in=("requested", "responded")).count()
    figures = [
        ("Evaluations", evaluated),
        ("Average score", round(average, 1)),
        ("Below the conditional mark", outcomes.get("fail", 0)),
        ("Approved suppliers", statuses.get("approved", 0)),
        ("Conditionally approved", statuses.get("conditional", 0)),
        ("Disqualified", statuses.get("disqualified", 0)),
        ("Corrective action requests", scars.count()),
        ("Requests still open", open_scars),
    ]
    summary = (
        f"{plural(evaluated, 'evaluation')} with an average score of {figures[1][1]:,}; "
        f"{outcomes.get('fail', 0):,} below the conditional mark. "
        f"{plural(scars.count(), 'corrective action request')} "
        f"sent to suppliers, {open_scars:,} still open."
    )
    chart = charts.status_chart(
        [
            ("Meets approval", outcomes.get("approve", 0), "ok"),
            ("Conditional", outcomes.get("conditional", 0), "warn"),
            ("Below", outcomes.get("fail", 0), "bad"),
        ],
        title="Supplier evaluations",
    )
    details = named(
        evaluations.filter(outcome="fail").select_related("supplier").order_by("-evaluated_on"),
        lambda e: f"{e.supplier.title} scored {e.score}",
    )
    return Section(summary, figures, chart, details)


def resources(review, period: Period) -> Section:
    from norma.core.models import Person
    from norma.operations.models import Instrument
    from norma.people.models import TrainingAssignment, TrainingRecord
    from norma.planning.models import Objective

    trained = TrainingRecord.objects.live().filter(period.days("completed_on"))
    due = (
        TrainingAssignment.objects.live()
        .filter(period.days("due_date"))
        .exclude(status="cancelled")
    )
    states = Counter(due.values_list("status", flat=True))
    overdue = TrainingAssignment.objects.live().filter(
        status="open", due_date__lt=timezone.localdate()
    )
    if not (trained.exists() or due.exists()):
        return Section(
            "No training was recorded or due in the period (7.2): the competence of the "
            "people doing the work cannot be judged.",
            missing=True,
        )
    people = Person.objects.filter(is_active=True, access_expires_at__isnull=True).count()
    out_of_service = Instrument.objects.live().filter(status="out_of_service").count()
    asked = Objective.objects.live().filter(status="active").exclude(resources="").count()
    figures = [
        ("People", people),
        ("Training completed", trained.count()),
        ("Training due in the period", sum(states.values())),
        ("Done", states.get("done", 0)),
        ("Overdue now", overdue.count()),
        ("Instruments out of service", out_of_service),
        ("Objectives naming resources", asked),
    ]
    summary = (
        f"{plural(people, 'person', 'people')} in the organisation. "
        f"{plural(trained.count(), 'training record')}; "
        + (
            f"{states.get('done', 0):,} of {sum(states.values()):,} training assignments due in "
            "the period done, "
            if states
            else "no training assignment fell due in the period; "
        )
        + f"{overdue.count():,} overdue now. {plural(out_of_service, 'instrument')} out of service."
    )
    chart = charts.status_chart(
        [("Done", states.get("done", 0), "ok"), ("Not done", states.get("open", 0), "bad")],
        title="Training due in the period",
    )
    details = named(
        overdue.select_related("person", "course").order_by("due_date"),
        lambda a: f"{a.course.title} for {a.person.full_name}, due {a.due_date:%Y-%m-%d}",
    )
    return Section(summary, figures, chart, details)


def risks(review, period: Period) -> Section:
    from norma.planning.models import Risk, RiskAction

    registered = Risk.objects.live()
    if not registered.exists():
        return Section("No risks or opportunities are recorded (6.1).", missing=True)
    open_risks = registered.filter(status="open")
    kinds = Counter(open_risks.values_list("kind", flat=True))
    lowered = open_risks.filter(kind="risk", residual_score__isnull=False).aggregate(
        n=Count("id"), before=Avg("score"), after=Avg("residual_score")
    )
    actions = RiskAction.objects.live()
    completed = actions.filter(period.days("completed_on"), status="done")
    results = Counter(completed.values_list("effectiveness", flat=True))
    late = actions.filter(status="open", due_date__lt=timezone.localdate()).count()
    overdue_reviews = open_risks.filter(due_date__lt=timezone.localdate()).count()
    figures = [
        ("Open risks", kinds.get("risk", 0)),
        ("Open opportunities", kinds.get("opportunity", 0)),
        ("Actions completed", sum(results.values())),
        ("Judged effective", results.get("effective", 0)),
        ("Judged not effective", results.get("not_effective", 0)),
        ("Actions overdue", late),
        ("Reviews overdue", overdue_reviews),
    ]
    summary = (
        f"{kinds.get('risk', 0):,} open risks and {kinds.get('opportunity', 0):,} opportunities. "
        f"{plural(sum(results.values()), 'action')} completed: {results.get('effective', 0):,} "
        f"judged effective, {results.get('not_effective', 0):,} not. {late:,} overdue."
    )
    if lowered["n"]:
        summary += (
            f" Treatment lowered the average score of {lowered['n']:,} treated risks from "
            f"{lowered['before']:.1f} to {lowered['after']:.1f}."
        )
    chart = charts.status_chart(
        [
            ("Effective", results.get("effective", 0), "ok"),
            ("Not yet judged", results.get("", 0), "neutral"),
            ("Not effective", results.get("not_effective", 0), "bad"),
            ("Overdue", late, "warn"),
        ],
        title="Actions on risks and opportunities",
    )
    details = named(
        completed.filter(effectiveness="not_effective").select_related("risk"),
        lambda a: f"{a.title} (on {a.risk.reference})",
    )
    return Section(summary, figures, chart, details)


def improvement(review, period: Period) -> Section:
    from norma.audits.models import Finding
    from norma.improvement.models import Improvement

    ideas = Improvement.objects.live()
    proposed = ideas.filter(period.moments("created_at"))
    sources = Counter(proposed.values_list("source", flat=True))
    done = ideas.filter(period.days("implemented_on")).count()
    waiting = ideas.filter(status="proposed").count()
    audit_ofis = (
        Finding.objects.live()
        .filter(period.days("audit__reported_on"), grade="ofi")
        .exclude(status="withdrawn")
        .count()
    )
    if not (sum(sources.values()) or done):
        return Section(
            "No opportunity for improvement was proposed or implemented in the period (10.1).",
            missing=True,
        )
    labels = dict(Improvement.Source.choices)
    figures = [
        ("Proposed", sum(sources.values())),
        ("Implemented", done),
        ("Awaiting a decision", waiting),
        ("Opportunities from audits", audit_ofis),
    ]
    summary = (
        f"{plural(sum(sources.values()), 'improvement')} proposed and {done:,} implemented; "
        f"{waiting:,} await a decision. Audits found "
        f"{plural(audit_ofis, 'opportunity', 'opportunities')}."
    )
    chart = charts.bar_chart(
        [(labels.get(k, k), n) for k, n in sources.most_common()], title="Improvements by source"
    )
    details = named(ideas.filter(status="proposed").order_by("created_at"))
    return Section(summary, figures, chart, details)
