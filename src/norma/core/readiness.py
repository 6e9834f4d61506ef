"""Clause checks for the platform itself."""

from django.urls import reverse

from norma.core.models import Person, RoleCode
from norma.standards.readiness import CheckResult, Evidence, Status, clause_check


@clause_check("5.3")
def roles_assigned(person):
    """5.3: responsibility for the QMS is assigned, to top management and a quality manager."""
    needed = {
        RoleCode.TOP_MANAGEMENT: "top management",
        RoleCode.QUALITY_MANAGER: "a quality manager",
    }
    held = set(
        Person.objects.filter(is_active=True, groups__role__code__in=list(needed))
        .values_list("groups__role__code", flat=True)
        .distinct()
    )
    missing = [label for code, label in needed.items() if code not in held]
    evidence = [Evidence("People and roles", reverse("core:people"))]
    if not missing:
        return CheckResult(
            Status.MET, "Top management and a quality manager are named in Norma.", evidence
        )
    status = Status.PARTLY_MET if len(missing) < len(needed) else Status.MISSING
    return CheckResult(status, f"Nobody active holds the role of {' or '.join(missing)}.", evidence)
