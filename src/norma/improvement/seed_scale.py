"""Scale data for the improvement app (`norma seed --scale large`: 50,000 nonconformities over
three years, each with its clause, two causes, a correction and a corrective action, and for
the closed ones the verification that closed them)."""

from datetime import timedelta

from django.utils import timezone

from norma.core.seeding import with_references, write
from norma.improvement.models import (
    Category,
    Cause,
    CorrectiveAction,
    Improvement,
    Nonconformity,
    Source,
    Verification,
)
from norma.planning.models import Process
from norma.standards.models import Clause

PER_PERSON = {"small": 2, "medium": 5, "large": 10}  # 5,000 people: 50,000 nonconformities
CHUNK = 10000
DAYS = 3 * 365
OPEN_STEPS = list(Nonconformity.OPEN)


def seed_improvement(org) -> dict[str, int]:
    rng, today = org.rng, timezone.localdate()
    total = PER_PERSON[org.scale] * len(org.people)
    processes = list(Process.objects.values_list("pk", flat=True)[:200])
    clauses = list(
        Clause.objects.filter(
            standard__slug="iso9001-2015", ref__regex=r"^(7|8|9|10)\."
        ).values_list("pk", flat=True)
    )
    counts = {"nonconformities": 0, "corrective actions": 0}
    for start in range(0, total, CHUNK):
        size = min(CHUNK, total - start)
        ncs = _nonconformities(org, size, processes, today)
        write(Nonconformity, with_references(Nonconformity, ncs))
        _clauses(ncs, clauses, rng)
        _causes(ncs, rng)
        counts["corrective actions"] += _actions(ncs, today)
        _verifications(ncs, rng)
        counts["nonconformities"] += size
        if org.progress:
            org.progress(f"nonconformities: {counts['nonconformities']}")
    counts["improvements"] = _improvements(org, today)
    return counts


def _nonconformities(org, size, processes, today):
    rng = org.rng
    rows = []
    owners = org.people[::20]  # the process owners of the scale organisation
    for _ in range(size):
        person = rng.choice(org.people)
        k = rng.randrange(len(owners))
        owner, checker = owners[k], owners[(k + 1) % len(owners)]  # never the owner
        detected = today - timedelta(days=rng.randint(0, DAYS))
        age = (today - detected).days
        if age > 120:
            status = "cancelled" if rng.random() < 0.03 else "closed"
        else:
            status = rng.choice(OPEN_STEPS + ["closed"])
        output = rng.random() < 0.3
        rows.append(
            Nonconformity(
                title=f"Nonconformity found on {detected.isoformat()}",
                description="Synthetic nonconformity for benchmarks.",
                status=status,
                source=rng.choice(Source.values),
                kind="output" if output else rng.choice(["process", "system"]),
                severity="major" if rng.random() < 0.1 else "minor",
                detected_by=person,
                detected_on=detected,
                process_id=rng.choice(processes) if processes else None,
                owner=owner,
                site=person.site,  # objects: the change log names them without a query
                department=person.department,
                due_date=None
                if status in ("closed", "cancelled")
                else today + timedelta(days=rng.randint(-60, 60)),
                method="five_whys" if status not in ("reported", "containment") else "",
                disposition="rework" if output and status not in ("reported",) else "",
                disposition_by=person if output and status != "reported" else None,
                disposition_on=detected if output and status != "reported" else None,
                closed_on=detected + timedelta(days=rng.randint(20, 110))
                if status == "closed"
                else None,
                verifier=checker if status in ("verification", "closed") else None,
                verification_criteria="No repeat in three months"
                if status in ("verification", "closed")
                else "",
            )
        )
    return rows


def _clauses(ncs, clauses, rng):
    link = Nonconformity.clauses.through
    link.objects.bulk_create(
        [link(nonconformity_id=nc.pk, clause_id=rng.choice(clauses)) for nc in ncs],
        batch_size=5000,
    )


def _causes(ncs, rng):
    analysed = [nc for nc in ncs if nc.method]
    Cause.objects.bulk_create(
        [
            Cause(
                nonconformity_id=nc.pk,
                position=position,
                category=rng.choice(Category.values),
                statement="Why it happened",
                evidence="Records sampled",
                verified=True,
                is_root=position == 2,
            )
            for nc in analysed
            for position in (1, 2)
        ],
        batch_size=5000,
    )


def _actions(ncs, today) -> int:
    rows = []
    for nc in ncs:
        if nc.status == "reported":
            continue
        finished = nc.status in ("closed", "verification")
        for kind in ("correction", "corrective"):
            if kind == "corrective" and nc.status in ("containment", "analysis"):
                continue
            done = finished or kind == "correction"
            rows.append(
                CorrectiveAction(
                    title=f"{kind.capitalize()} of {nc.reference}",
                    nonconformity=nc,
                    kind=kind,
                    status="cancelled" if nc.status == "cancelled" else "done" if done else "open",
                    owner=nc.owner,
                    site=nc.site,
                    department=nc.department,
                    due_date=nc.detected_on + timedelta(days=30),
                    completed_on=nc.detected_on + timedelta(days=20) if done else None,
                    evidence="Done" if done else "",
                )
            )
    write(CorrectiveAction, with_references(CorrectiveAction, rows))
    return len(rows)


def _verifications(ncs, rng):
    """The effective check that closed each closed one, by someone other than its owner; one
    in ten failed a first check and closed in a second round."""
    rows = []
    for nc in ncs:
        if nc.status != "closed":
            continue
        if rng.random() < 0.1:
            rows.append(_verification(nc, 1, "not_effective", nc.closed_on - timedelta(days=30)))
            nc.analysis_round = 2
        rows.append(_verification(nc, nc.analysis_round, "effective", nc.closed_on))
    Verification.objects.bulk_create(rows, batch_size=5000)
    Nonconformity.objects.bulk_update(
        [nc for nc in ncs if nc.analysis_round == 2], ["analysis_round"]
    )


def _verification(nc, analysis_round, result, day):
    return Verification(
        nonconformity_id=nc.pk,
        analysis_round=analysis_round,
        criteria="No repeat in three months",
        result=result,
        evidence="Sampled records",
        verified_by_id=nc.verifier_id,
        verified_on=day,
    )


def _improvements(org, today) -> int:
    rng = org.rng
    rows = [
        Improvement(
            title=f"Idea {i:05d}",
            description="Synthetic improvement idea.",
            status=rng.choice(Improvement.Status.values),
            source=rng.choice(Improvement.Source.values),
            owner=(person := rng.choice(org.people)),
            site=person.site,
            department=person.department,
        )
        for i in range(len(org.people))
    ]
    write(Improvement, with_references(Improvement, rows))
    return len(rows)
