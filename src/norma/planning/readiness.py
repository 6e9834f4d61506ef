"""Clause checks for the planning app."""

from django.db.models import Count, Q
from django.urls import reverse

from norma.planning.models import Process
from norma.standards.readiness import CheckResult, Evidence, Status, clause_check


@clause_check("4.4.1")
def processes_defined_and_owned(person):
    """4.4.1: the QMS processes are determined, each with an owner, and approved."""
    counts = Process.objects.live().aggregate(
        total=Count("pk"),
        approved=Count(
            "pk", filter=Q(status=Process.Status.APPROVED, owner__isnull=False)
        ),  # counted in the database: one query whatever the number of processes
    )
    total, approved = counts["total"], counts["approved"]
    list_url = reverse("planning:process_list")
    if not total:
        return CheckResult(Status.MISSING, "No QMS processes are defined yet.", [])
    evidence = [Evidence(f"Process register ({total})", list_url)]
    if approved == total:
        return CheckResult(
            Status.MET, f"All {total} processes have an owner and are approved.", evidence
        )
    return CheckResult(
        Status.PARTLY_MET,
        f"{approved} of {total} processes have an owner and are approved.",
        evidence,
    )
