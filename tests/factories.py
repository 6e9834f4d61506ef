"""Factories for tests: people with roles, sites, departments and records."""

import datetime

import factory
from django.contrib.auth.models import Group

from norma.core.context import acting_as
from norma.core.models import Department, Person, Site, next_reference
from norma.planning.models import Process

PASSWORD = "correct-horse-battery-1"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"site{n}")
    name = factory.LazyAttribute(lambda o: f"Site {o.code}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"Department {n}")
    site = factory.SubFactory(SiteFactory)


class PersonFactory(factory.django.DjangoModelFactory):
    """A person; `roles=["employee", ...]` puts them in the built-in role groups."""

    class Meta:
        model = Person
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set(Group.objects.filter(role__code__in=extracted))

    @factory.post_generation
    def scope_sites(self, create, extracted, **kwargs):
        if create and extracted:
            self.scope_sites.set(extracted)


def make_process(actor, **fields):
    """A process created through the real Create action (so it is logged like any other)."""
    from norma.core.actions import CreateRecord

    data = {
        "title": "Process",
        "process_type": "core",
        "inputs": "Orders",
        "outputs": "Parts",
        **fields,
    }
    return CreateRecord(actor, Process, data=data).execute()


def bulk_processes(count: int, **fields):
    """Many processes at once, for query-count tests at 1,000 rows."""
    with acting_as(name="test bulk"):
        return Process.objects.bulk_create(
            Process(
                reference=next_reference("PRC", width=5),
                title=f"Bulk process {i}",
                status=Process.Status.DRAFT,
                **fields,
            )
            for i in range(count)
        )


def document_type(code: str = "procedure"):
    from norma.documents.models import DocumentType

    return DocumentType.objects.get(code=code)


def make_document(actor, **fields):
    """A document created through the real Create action; a procedure unless told otherwise."""
    from norma.core.actions import CreateRecord
    from norma.documents.models import Document

    data = {"title": "Document", "document_type": document_type(), **fields}
    if isinstance(data["document_type"], str):
        data["document_type"] = document_type(data["document_type"])
    return CreateRecord(actor, Document, data=data).execute()


def bulk_documents(count: int, sites=(), **fields):
    """Many documents at once, each with an effective revision, for query counts at 1,000."""
    from norma.documents.models import Document, Revision

    kind = document_type()
    with acting_as(name="test bulk"):
        documents = Document.objects.bulk_create(
            Document(
                reference=next_reference("BULK", width=5),
                title=f"Bulk document {i}",
                document_type=kind,
                status=Document.Status.EFFECTIVE,
                **fields,
            )
            for i in range(count)
        )
        Revision.objects.bulk_create(
            Revision(
                document=d,
                number=1,
                label="A",
                status=Revision.Status.EFFECTIVE,
                body="Bulk text",
                effective_date=datetime.date.today(),
            )
            for d in documents
        )
        links = Document.sites.through
        links.objects.bulk_create(links(document=d, site=s) for d in documents for s in sites)
        return documents


def make_planning_record(model, defaults: dict):
    """A maker for a planning register: the real Create action, with the given defaults."""

    def make(actor, **fields):
        from norma.core.actions import CreateRecord

        data = {key: value() if callable(value) else value for key, value in defaults.items()}
        return CreateRecord(actor, model, data={**data, **fields}).execute()

    return make


def bulk_planning_records(model, prefix: str, defaults: dict):
    """A bulk inserter for a planning register (query counts at 1,000 rows)."""

    def bulk(count: int, **fields):
        with acting_as(name="test bulk"):
            rows = []
            for i in range(count):
                data = {k: v() if callable(v) else v for k, v in defaults.items()}
                row = model(reference=next_reference(prefix, width=5), title=f"Bulk {i}")
                for key, value in {**data, **fields}.items():
                    setattr(row, key, value)
                if hasattr(row, "likelihood"):
                    row.score = row.likelihood * row.consequence
                rows.append(row)
            return model.objects.bulk_create(rows)

    return bulk


def measure_process(actor, process, value="97", **fields):
    """A KPI for the process with one result today, through the real actions (4.4.1 c)."""
    from norma.core.actions import CreateRecord
    from norma.planning.measuring import RecordMeasurement
    from norma.planning.models import Kpi

    data = {
        "title": f"{process.title} on time",
        "process": process,
        "unit": "%",
        "frequency": "monthly",
        "direction": "higher",
        "target": 95,
        **fields,
    }
    kpi = CreateRecord(actor, Kpi, data=data).execute()
    RecordMeasurement(actor, kpi, data={"value": value}).execute()
    return kpi
