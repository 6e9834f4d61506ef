"""Clause checks for the planning app."""

from django.urls import reverse

from norma.planning.models import Process
from norma.standards.readiness import CheckResult, Evidence, Status, clause_check


@clause_check("4.4.1")
def processes_defined_and_owned(person):
    """4.4.1: the QMS processes are determined, each with an owner, and approved."""
    processes = list(Process.objects.live().select_related("owner"))
    list_url = reverse("planning:process_list")
    if not processes:
        return CheckResult(Status.MISSING, "No QMS processes are defined yet.", [])
    approved = [p for p in processes if p.status == Process.Status.APPROVED and p.owner_id]
    evidence = [Evidence(f"Process register ({len(processes)})", list_url)]
    if len(approved) == len(processes):
        return CheckResult(
            Status.MET, f"All {len(processes)} processes have an owner and are approved.", evidence
        )
    return CheckResult(
        Status.PARTLY_MET,
        f"{len(approved)} of {len(processes)} processes have an owner and are approved.",
        evidence,
    )
