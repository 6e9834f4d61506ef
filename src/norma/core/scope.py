"""Rights limited by site or department: filter querysets before anything is read."""

from dataclasses import dataclass

from django.db.models import Q


@dataclass(frozen=True)
class Scope:
    unlimited: bool
    site_ids: frozenset = frozenset()
    department_ids: frozenset = frozenset()

    @classmethod
    def for_person(cls, person) -> "Scope":
        if not person.is_authenticated or not person.is_active:
            return cls(unlimited=False, site_ids=frozenset({-1}), department_ids=frozenset({-1}))
        site_ids = frozenset(person.scope_sites.values_list("pk", flat=True))
        department_ids = frozenset(person.scope_departments.values_list("pk", flat=True))
        if person.is_superuser or not (site_ids or department_ids):
            return cls(unlimited=True)
        return cls(unlimited=False, site_ids=site_ids, department_ids=department_ids)

    def filter(self, queryset):
        """Records with no site (or department) are organisation-wide and visible to all."""
        if self.unlimited:
            return queryset
        fields = {f.name for f in queryset.model._meta.get_fields()}
        if self.site_ids and "site" in fields:
            queryset = queryset.filter(Q(site__isnull=True) | Q(site__in=self.site_ids))
        if self.department_ids and "department" in fields:
            queryset = queryset.filter(
                Q(department__isnull=True) | Q(department__in=self.department_ids)
            )
        return queryset

    def allows(self, obj) -> bool:
        if self.unlimited:
            return True
        site_id = getattr(obj, "site_id", None)
        department_id = getattr(obj, "department_id", None)
        if self.site_ids and site_id is not None and site_id not in self.site_ids:
            return False
        return not (
            self.department_ids
            and department_id is not None
            and department_id not in self.department_ids
        )
