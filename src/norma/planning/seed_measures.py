"""Demo and scale data for KPIs, their results and the objectives they measure."""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from norma.core.actions import CreateRecord
from norma.core.changelog import Change, record_changes, snapshot
from norma.core.models.records import reserve_references
from norma.planning.measuring import RecordMeasurement
from norma.planning.models import Kpi, Measurement, Objective, Process

KPIS = [
    # title, process, owner, unit, frequency, direction, target, threshold, (start, end) values
    (
        "On-time delivery",
        "Machining and assembly",
        "David Okafor",
        "%",
        "weekly",
        "higher",
        95,
        90,
        (86, 93),
    ),
    (
        "Right first time",
        "Machining and assembly",
        "David Okafor",
        "%",
        "monthly",
        "higher",
        98,
        95,
        (96.5, 98.6),
    ),
    (
        "Customer complaints",
        "Sales and contract review",
        "Priya Nair",
        "complaints",
        "monthly",
        "lower",
        2,
        4,
        (5, 2),
    ),
    (
        "Supplier on-time delivery",
        "Purchasing and supplier control",
        "Marco Bianchi",
        "%",
        "monthly",
        "higher",
        92,
        85,
        (84, 88),
    ),
    (
        "Training plan completion",
        "Training and competence",
        "Claire Dubois",
        "%",
        "quarterly",
        "higher",
        100,
        90,
        (70, 92),
    ),
]

OBJECTIVES = [
    # title, KPI, owner, baseline, target, days to deadline, plan
    (
        "Deliver 95 % of orders on time",
        "On-time delivery",
        "Helen Ward",
        86,
        95,
        390,
        "Weekly capacity review; a second shift on the two bottleneck machines.",
    ),
    (
        "Halve customer complaints",
        "Customer complaints",
        "Helen Ward",
        5,
        2,
        300,
        "Contract review checklist; a call to every complaining customer within two days.",
    ),
    (
        "Every operator trained on two machines",
        "Training plan completion",
        "Claire Dubois",
        70,
        100,
        200,
        "Cross-training plan per cell, tracked in the training records.",
    ),
]


def _history(frequency: str, today) -> list:
    """Two years of measurement days, oldest first, the last one period ago at most."""
    step = {"weekly": 7, "monthly": 30, "quarterly": 91}[frequency]
    days = list(range(730 - 730 % step, -1, -step))
    return [today - timedelta(days=d + step // 2) for d in days]


def seed_demo(org, author):
    today = timezone.localdate()
    rng = random.Random(9)  # noqa: S311  (repeatable demo data)
    processes = {p.title: p for p in Process.objects.all()}
    kpis = {}
    for title, process, owner, unit, frequency, direction, target, alert, trend in KPIS:
        kpi = CreateRecord(
            author,
            Kpi,
            data={
                "title": title,
                "process": processes.get(process),
                "owner": org.person(owner),
                "unit": unit,
                "frequency": frequency,
                "direction": direction,
                "target": target,
                "threshold": alert,
                "definition": f"{title}, counted at the end of each {frequency[:-2] or 'period'}.",
            },
        ).execute()
        kpis[title] = kpi
        days = _history(frequency, today)
        start, end = trend
        rows = [
            Measurement(
                kpi=kpi,
                measured_at=timezone.make_aware(datetime.combine(day, time(8))),
                value=Decimal(
                    str(round(start + (end - start) * i / len(days) + rng.uniform(-1, 1), 1))
                ),
                source=Measurement.Source.IMPORT,
                entered_by=org.person(owner),
            )
            for i, day in enumerate(days[:-1])
        ]
        Measurement.objects.bulk_create(rows)
        record_changes([Change(kpi, "import", after={"measurements": len(rows)})])
        if title != "Supplier on-time delivery":  # its latest result is overdue, on purpose
            data = {"value": str(end), "measured_at": days[-1].isoformat()}
            RecordMeasurement(org.person(owner), kpi, data=data).execute()
        else:
            Kpi.objects.filter(pk=kpi.pk).update(due_date=today - timedelta(days=12))
    for title, kpi, owner, baseline, target, days_left, plan in OBJECTIVES:
        CreateRecord(
            author,
            Objective,
            data={
                "title": title,
                "kpi": kpis[kpi],
                "unit": kpis[kpi].unit,
                "baseline": baseline,
                "target": target,
                "direction": kpis[kpi].direction,
                "plan": plan,
                "resources": "Within the approved budget for the year.",
                "evaluation": "Monthly at the operations meeting; yearly at management review.",
                "owner": org.person(owner),
                "due_date": today + timedelta(days=days_left),
            },
        ).execute()


def seed_scale(org) -> dict[str, int]:
    """500 KPIs with 200 weekly results each (100,000) and 1,000 objectives at large scale."""
    rng, today = org.rng, timezone.localdate()
    processes = list(Process.objects.values_list("pk", flat=True))
    owners = [p for i, p in enumerate(org.people) if i % 20 == 0] or org.people
    count = len(org.people) // 10
    references = reserve_references(Kpi.reference_prefix, count, width=5)
    kpis = []
    for i in range(count):
        owner = rng.choice(owners)
        kpis.append(
            Kpi(
                reference=references[i],
                title=f"KPI {i + 1:05d}",
                process_id=processes[i % len(processes)] if processes else None,
                owner=owner,
                site=owner.site,
                unit="%",
                frequency="weekly",
                direction="higher",
                target=Decimal(95),
                threshold=Decimal(90),
                due_date=today + timedelta(days=rng.randint(-7, 7)),
            )
        )
    Kpi.objects.bulk_create(kpis, batch_size=1000)
    record_changes([Change(k, "create", after=snapshot(k, new_rows=True)) for k in kpis])
    start = timezone.make_aware(datetime.combine(today - timedelta(weeks=200), time(8)))
    measurements = 0
    for kpi in kpis:
        rows = [
            Measurement(
                kpi=kpi,
                measured_at=start + timedelta(weeks=week),
                value=Decimal(rng.randint(850, 1000)) / 10,
                source=Measurement.Source.API,
            )
            for week in range(200)
        ]
        Measurement.objects.bulk_create(rows, batch_size=2000)
        measurements += len(rows)
    # One entry per KPI, as an import of its results logs it.
    record_changes([Change(k, "import", after={"measurements": 200}) for k in kpis])
    objectives = _scale_objectives(org, kpis, today)
    if org.progress:
        org.progress(f"KPIs: {len(kpis)} with {measurements:,} results; objectives: {objectives}")
    return {"kpis": len(kpis), "measurements": measurements, "objectives": objectives}


def _scale_objectives(org, kpis, today) -> int:
    count = len(org.people) // 5
    references = reserve_references(Objective.reference_prefix, count, width=5)
    objectives = [
        Objective(
            reference=references[i],
            title=f"Objective {i + 1:05d}",
            kpi=kpis[i % len(kpis)] if kpis else None,
            owner=kpis[i % len(kpis)].owner if kpis else None,
            unit="%",
            baseline=Decimal(88),
            target=Decimal(95),
            direction="higher",
            plan="Planned in the process review.",
            due_date=today + timedelta(days=org.rng.randint(30, 700)),
        )
        for i in range(count)
    ]
    Objective.objects.bulk_create(objectives, batch_size=1000)
    record_changes([Change(o, "create", after=snapshot(o, new_rows=True)) for o in objectives])
    return len(objectives)
