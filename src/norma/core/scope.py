"""Rights limited by site or department: filter querysets before anything is read.

A record is placed at a site and in a department either by one link (`site`, `department`:
most records) or by several (`sites`, `departments`: a procedure that applies at two sites).
No link means organisation-wide. A person limited to some sites or departments sees a record
when it is organisation-wide or when one of its places is one of theirs.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q

KINDS = ("site", "department")


def placement_field(model, kind: str):
    """The field that places records of this model at a site (or in a department), if any."""
    for name in (kind, f"{kind}s"):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.is_relation and field.related_model._meta.model_name == kind:
            return field
    return None


def places_of(obj, kind: str, links: dict | None = None) -> frozenset:
    """The ids of the sites (or departments) a record is placed at; `links` gives the
    many-to-many values of a record not saved yet (a form's cleaned data)."""
    field = placement_field(type(obj), kind)
    if field is None:
        return frozenset()
    if not field.many_to_many:
        value = getattr(obj, field.attname)
        return frozenset() if value is None else frozenset({value})
    if links is not None and field.name in links:
        return frozenset(item.pk for item in links[field.name] or ())
    if obj.pk is None:
        return frozenset()
    return frozenset(item.pk for item in getattr(obj, field.name).all())


def admits(limits: frozenset, places: frozenset) -> bool:
    """No limit of this kind, an organisation-wide record, or one place in common."""
    return not limits or not places or bool(limits & places)


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

    @classmethod
    def for_people(cls, superusers: dict[int, bool]) -> dict[int, "Scope"]:
        """The scopes of many people at once, in two queries; `superusers` maps each person's
        id to whether they are a superuser."""
        from norma.core.models import Person

        limits = {kind: defaultdict(set) for kind in KINDS}
        for kind in KINDS:
            through = getattr(Person, f"scope_{kind}s").through
            rows = through.objects.filter(person_id__in=list(superusers))
            for person_id, target in rows.values_list("person_id", f"{kind}_id"):
                limits[kind][person_id].add(target)
        sites, departments = limits["site"], limits["department"]
        return {
            pk: cls(
                unlimited=is_superuser or not (sites[pk] or departments[pk]),
                site_ids=frozenset(sites[pk]),
                department_ids=frozenset(departments[pk]),
            )
            for pk, is_superuser in superusers.items()
        }

    def limits(self, kind: str) -> frozenset:
        return self.site_ids if kind == "site" else self.department_ids

    def filter(self, queryset):
        return queryset if self.unlimited else queryset.filter(self.condition(queryset.model))

    def condition(self, model, path: str = "") -> Q:
        """The scope as a condition on records of `model`; with `path`, on rows of another
        model that reach those records through it (causes of a nonconformity, joined on
        "nonconformity"), which a large table reads faster than an IN list of ids."""
        condition = Q()
        if self.unlimited:
            return condition
        for kind in KINDS:
            field = placement_field(model, kind)
            if field is not None and self.limits(kind):
                condition &= _prefixed(self._condition(field, self.limits(kind)), path)
        return condition

    @staticmethod
    def _condition(field, ids) -> Q:
        if not field.many_to_many:
            return Q(**{f"{field.name}__isnull": True}) | Q(**{f"{field.name}__in": ids})
        # Subqueries on the link table rather than a join, so no row comes back twice; as
        # IN lists, which the database reads once per query rather than once per row.
        links = field.remote_field.through.objects
        own = field.m2m_field_name()
        placed = links.values(own)
        shared = links.filter(**{f"{field.m2m_reverse_field_name()}__in": ids}).values(own)
        return ~Q(pk__in=placed) | Q(pk__in=shared)

    def allows(self, obj, links: dict | None = None) -> bool:
        return self.unlimited or all(
            admits(self.limits(kind), places_of(obj, kind, links)) for kind in KINDS
        )

    def allows_places(self, site_ids: frozenset, department_ids: frozenset) -> bool:
        return self.unlimited or (
            admits(self.site_ids, site_ids) and admits(self.department_ids, department_ids)
        )


def _prefixed(condition: Q, path: str) -> Q:
    """`condition` with every lookup read through the relation `path`."""
    if not path:
        return condition
    clone = Q()
    clone.connector, clone.negated = condition.connector, condition.negated
    clone.children = [
        _prefixed(child, path) if isinstance(child, Q) else (f"{path}__{child[0]}", child[1])
        for child in condition.children
    ]
    return clone
