"""Navigation grouped by the standard, built from the register declarations."""

from django.urls import reverse

from norma.core.registers import registry

NAV_GROUPS = [
    "Context and leadership",
    "Planning",
    "Support",
    "People and competence",
    "Operation",
    "Performance evaluation",
    "Improvement",
    "Certification",
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    groups = {name: [] for name in NAV_GROUPS}
    for register in registry:
        if user.has_perm(register.permission("view")):
            groups[register.nav_group].append(
                {"title": register.title(), "url": reverse(register.url_name("list"))}
            )
            groups[register.nav_group] += [
                {"title": title, "url": reverse(name)}
                for title, name, permission in register.nav_links
                if permission is None or user.has_perm(permission)
            ]
    certification = groups["Certification"]
    if user.has_perm("standards.view_clause"):
        certification.append({"title": "Readiness", "url": reverse("standards:readiness")})
        certification.append({"title": "ISO 9001 clauses", "url": reverse("standards:clauses")})
    if user.has_perm("webhooks.view_webhook"):
        certification.append({"title": "Webhooks", "url": reverse("webhooks:list")})
    if user.has_perm("core.view_person"):
        groups["Support"].insert(0, {"title": "People", "url": reverse("core:people")})
    return {"nav_groups": [(name, items) for name, items in groups.items() if items]}
