"""Demo and scale data. Each app adds its records in its own `seed.py`:

    def seed_demo(org: DemoOrganisation) -> None
    def seed_scale(org: ScaleOrganisation) -> dict[str, int]   # counts created

The platform builds the organisation (sites, departments, people, roles) first.
"""

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from norma.core.changelog import Change, record_change, record_changes, snapshot
from norma.core.context import acting_as
from norma.core.models import Department, Organisation, Person, RoleCode, Site
from norma.core.models.records import reserve_references

DEMO_PASSWORD = "norma-demo-2026"
SCALES = {"small": 100, "medium": 1000, "large": 5000}  # people

DEPARTMENTS = ["Management", "Quality", "Production", "Engineering", "Sales", "Purchasing", "HR"]

# (name, job title, department, site code, roles, scope limited to own site)
DEMO_PEOPLE = [
    ("Helen Ward", "Managing Director", "Management", "leeds", ["top_management"], False),
    ("Rui Costa", "Operations Director", "Management", "porto", ["top_management"], False),
    ("Amira Haddad", "Quality Manager", "Quality", "leeds", ["quality_manager"], False),
    (
        "Tom Fletcher",
        "Quality Engineer",
        "Quality",
        "leeds",
        ["internal_auditor", "employee"],
        False,
    ),
    (
        "Inês Moreira",
        "Quality Technician",
        "Quality",
        "porto",
        ["internal_auditor", "employee"],
        True,
    ),
    ("David Okafor", "Production Manager", "Production", "leeds", ["process_owner"], False),
    ("Sofia Lima", "Plant Manager", "Production", "porto", ["process_owner"], True),
    ("James Carter", "Engineering Manager", "Engineering", "leeds", ["process_owner"], False),
    ("Priya Nair", "Sales Manager", "Sales", "leeds", ["process_owner"], False),
    ("Marco Bianchi", "Purchasing Manager", "Purchasing", "leeds", ["process_owner"], False),
    ("Claire Dubois", "HR Manager", "HR", "leeds", ["process_owner"], False),
    ("Owen Price", "Lead Auditor", "Engineering", "leeds", ["internal_auditor", "employee"], False),
    ("Beatriz Sousa", "Buyer", "Purchasing", "porto", ["employee"], True),
    ("Liam Murphy", "Machinist", "Production", "leeds", ["employee"], False),
    ("Chloe Evans", "Assembler", "Production", "leeds", ["employee"], False),
    ("Pedro Alves", "Machinist", "Production", "porto", ["employee"], True),
    ("Ana Ferreira", "Inspector", "Quality", "porto", ["employee"], True),
    ("Noah Wilson", "Design Engineer", "Engineering", "leeds", ["employee"], False),
    ("Grace Taylor", "Customer Service", "Sales", "leeds", ["employee"], False),
    ("Ethan Hughes", "Maintenance Technician", "Production", "leeds", ["employee"], False),
    ("Joana Ribeiro", "Planner", "Production", "porto", ["employee"], True),
    ("Samuel Green", "Storekeeper", "Purchasing", "leeds", ["employee"], False),
    ("Maya Patel", "Trainee Engineer", "Engineering", "leeds", ["employee"], False),
    ("Frank Becker", "Registrar lead auditor", "", "", ["external_auditor"], False),
]


@dataclass
class DemoOrganisation:
    organisation: Organisation
    sites: dict[str, Site]
    departments: dict[tuple[str, str], Department]
    people: dict[str, Person] = field(default_factory=dict)  # by full name

    def person(self, name: str) -> Person:
        return self.people[name]


@dataclass
class ScaleOrganisation:
    rng: random.Random
    scale: str
    sites: list[Site]
    departments: list[Department]
    people: list[Person]
    progress: object = None


CHUNK = 5000


def write(model, objs):
    """Insert and log new records at scale, in chunks so memory stays flat: the import's fast
    writer, one change-log entry per record."""
    from norma.dataio.import_write import insert_objects, insert_rows

    for start in range(0, len(objs), CHUNK):
        chunk = objs[start : start + CHUNK]
        insert_objects(model, chunk)
        changes = [Change(o, "create", after=snapshot(o, new_rows=True)) for o in chunk]
        record_changes(changes, insert=insert_rows)


def with_references(model, objs, width=6):
    """Give new records consecutive reference codes in one step."""
    references = reserve_references(model.reference_prefix, len(objs), width=width)
    for obj, reference in zip(objs, references, strict=True):
        obj.reference = reference
    return objs


def _app_seeders(function_name: str):
    for config in apps.get_app_configs():
        if config.name.startswith("norma.") and config.label != "core":
            try:
                yield import_string(f"{config.name}.seed.{function_name}")
            except ImportError:
                continue


def _email(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return ascii_name.lower().replace(" ", ".") + "@example.com"


@transaction.atomic
def _demo_organisation() -> DemoOrganisation:
    organisation = Organisation.objects.create(
        name="Northbridge Precision Ltd",
        scope_statement="Design and manufacture of precision machined components "
        "at Leeds (UK) and Porto (Portugal).",
    )
    sites = {
        "leeds": Site.objects.create(code="leeds", name="Leeds works", address="Leeds, UK"),
        "porto": Site.objects.create(code="porto", name="Porto plant", address="Porto, Portugal"),
    }
    departments = {}
    for code, site in sites.items():
        for name in DEPARTMENTS:
            departments[(name, code)] = Department.objects.create(name=name, site=site)
    org = DemoOrganisation(organisation, sites, departments)
    groups = {
        g.role.code: g for g in Group.objects.select_related("role").filter(role__isnull=False)
    }
    password = make_password(DEMO_PASSWORD)
    for name, title, department, site, roles, limited in DEMO_PEOPLE:
        person = Person.objects.create(
            email=_email(name),
            full_name=name,
            job_title=title,
            site=sites.get(site),
            department=departments.get((department, site)),
            password=password,
            is_staff="quality_manager" in roles,
            access_expires_at=timezone.now() + timedelta(days=30)
            if "external_auditor" in roles
            else None,
        )
        person.groups.set([groups[r] for r in roles])
        if limited:
            person.scope_sites.set([sites[site]])
        record_change(person, "person.create", after=snapshot(person))
        org.people[name] = person
    for person in org.people.values():
        if person.department and person.department.name != "Management":
            person.manager = org.people["Helen Ward"]
            person.save(update_fields=["manager"])
    return org


def seed_demo() -> list[tuple[str, str]]:
    """Build the demo organisation; return (role, email) for one login per role."""
    with acting_as(name="norma demo"):
        org = _demo_organisation()
        for seeder in _app_seeders("seed_demo"):
            seeder(org)
    logins = []
    for code, label in RoleCode.choices:
        holders = [p for p in org.people.values() if p.has_role(code)]
        person = min(holders, key=lambda p: len(p.role_codes))
        logins.append((label, person.email))
    return logins


def seed_scale(scale: str, seed: int = 1, progress=None) -> dict[str, int]:
    """A synthetic organisation of SCALES[scale] people on up to 20 sites."""
    rng = random.Random(seed)  # noqa: S311  (repeatable test data, not secrets)
    people_count = SCALES[scale]
    site_count = min(20, max(2, people_count // 250))
    counts = {}
    with acting_as(name=f"norma seed --scale {scale}"), transaction.atomic():
        sites = [
            Site.objects.create(code=f"s{seed}-{i:02d}", name=f"Site {i:02d}")
            for i in range(1, site_count + 1)
        ]
        departments = [
            Department.objects.create(name=f"{name} {site.code}", site=site)
            for site in sites
            for name in DEPARTMENTS
        ]
        groups = {g.role.code: g for g in Group.objects.filter(role__isnull=False)}
        password = make_password(DEMO_PASSWORD)
        people = Person.objects.bulk_create(
            Person(
                email=f"person{seed}-{i:05d}@example.com",
                full_name=f"Person {i:05d}",
                job_title=rng.choice(["Operator", "Engineer", "Inspector", "Manager"]),
                site=(department := rng.choice(departments)).site,
                department=department,
                password=password,
            )
            for i in range(1, people_count + 1)
        )
        memberships = Person.groups.through
        memberships.objects.bulk_create(
            memberships(
                person_id=p.pk,
                group_id=groups[RoleCode.PROCESS_OWNER if i % 20 == 0 else RoleCode.EMPLOYEE].pk,
            )
            for i, p in enumerate(people)
        )
        record_changes(
            [Change(p, "person.create", after=snapshot(p, new_rows=True)) for p in people]
        )
        counts.update(sites=len(sites), departments=len(departments), people=len(people))
        if progress:
            progress(f"organisation: {len(people)} people on {len(sites)} sites")
        org = ScaleOrganisation(rng, scale, sites, departments, people, progress)
        for seeder in _app_seeders("seed_scale"):
            counts.update(seeder(org))
    return counts
