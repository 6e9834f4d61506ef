"""The register test kit: the generic tests every register must pass.

Every register built on `norma.core.registers.Register` gets the same pages (list, detail,
create, edit, archive, export) from the same generic views, so it gets the same tests. To test
a new register, subclass `RegisterKit` in `tests/<app>/test_<model>_register.py` and declare
what is particular to it:

    from tests.factories import bulk_processes, make_process
    from tests.kit import RegisterKit


    class TestProcessRegister(RegisterKit):
        register = ProcessRegister
        make_record = staticmethod(make_process)      # (actor, **fields) -> one saved record
        bulk_records = staticmethod(bulk_processes)   # (count, **fields) -> many rows, fast
        create_data = {"title": "Purchasing", "process_type": "support"}
        edit_data = {"title": "Purchasing and supplier control"}
        invalid_data = {"title": ""}                  # merged into create_data; must be refused
        viewers = ["quality_manager", "top_manager", ...]   # persona names from conftest
        adders = ["quality_manager", "process_owner"]
        editors = ["quality_manager", "process_owner"]
        archivers = ["quality_manager"]

That is all: pytest collects the inherited tests (list, detail, create, edit, stale edit,
invalid input, permission matrix per persona, change log, archive, scope, htmx fragment, CSV
export, and query counts pinned at 10 and 1,000 rows). Add the register's own rules (its
actions, separation of duties, state machine) as extra tests in the same class.

Contract for the declarations:
- `make_record(actor, **fields)` saves a record through the real Create action; it accepts at
  least `title`, the site field (`site`, or `sites` as a list) and `owner`, so the kit can
  vary them.
- `bulk_records(count, **fields)` inserts many rows quickly (bulk_create is fine); it accepts
  `owner` and `site`, so a page that reads them row by row shows up in the query counts.
- `create_data` / `edit_data` / `invalid_data` are form fields as a person types them (ids for
  people, sites and departments). The kit starts from the form's own initial values, so list
  only what you change. `edit_data` values must differ from what `make_record` gives.
- Persona lists name the conftest fixtures; anyone not in `viewers` must get 403. The first
  name in each list is the one the kit acts as (e.g. `adders[0]` makes the `record` fixture).

Helpers for the register's own tests: the `persona_named` and `record` fixtures, `self.url(role,
obj)`, `form_data(register, obj, **changes)` (a form POST body as the browser would send it),
`self.log_entries(obj, action)` and `self.assert_same_queries(client, url, grow)`.

`RegisterKit` itself has no `Test` prefix, so pytest only runs it through its subclasses.
"""

from collections.abc import Callable
from typing import ClassVar

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from norma.core.models import ChangeLogEntry
from norma.core.registers import Register
from norma.core.scope import placement_field
from tests.conftest import PERSONAS
from tests.factories import PersonFactory

HX = {"HX-Request": "true"}
MULTIPLE = forms.MultipleChoiceField | forms.ModelMultipleChoiceField


def form_data(register: type[Register], obj=None, **changes) -> dict:
    """The POST body of the register's form: the values it opens with, plus `changes`."""
    form = register.form_class()(instance=obj)
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            value = [] if isinstance(field, MULTIPLE) else ""
        data[name] = value
    data.update(changes)
    return data


def as_text(value):
    """Compare form values and model values the way the browser sends them: as text."""
    if isinstance(value, list | tuple | set):
        return sorted(str(v) for v in value)
    return "" if value is None else str(value)


def count_queries(client, url: str) -> tuple[int, list[str]]:
    """Queries run to answer one GET, including a streamed body."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200, url
        if response.streaming:
            b"".join(response.streaming_content)
    return len(captured.captured_queries), [q["sql"] for q in captured.captured_queries]


class RegisterKit:
    """Generic tests for one register; subclasses declare the attributes below."""

    register: ClassVar[type[Register]]
    make_record: ClassVar[Callable]
    bulk_records: ClassVar[Callable]
    create_data: ClassVar[dict] = {}
    edit_data: ClassVar[dict] = {}
    invalid_data: ClassVar[dict] = {"title": ""}
    viewers: ClassVar[list[str]] = []
    adders: ClassVar[list[str]] = []
    editors: ClassVar[list[str]] = []
    archivers: ClassVar[list[str]] = []

    # -- fixtures and helpers ----------------------------------------------------------
    @pytest.fixture
    def persona_named(self, request, db):
        """persona_named("employee") -> that persona (a conftest fixture)."""
        return request.getfixturevalue

    @pytest.fixture
    def record(self, persona_named):
        return self.make_record(persona_named(self.adders[0]), title="Kit sample record")

    def url(self, role: str, obj=None) -> str:
        args = [obj.reference] if obj is not None else []
        return reverse(self.register.url_name(role), args=args)

    def colleague_of(self, person, **fields):
        """Another person holding the same roles."""
        other = PersonFactory(**fields)
        other.groups.set(person.groups.all())
        return other

    def log_entries(self, obj, action: str):
        return ChangeLogEntry.objects.filter(
            object_type=self.register.model._meta.label_lower, object_id=str(obj.pk), action=action
        )

    def assert_same_queries(self, client, url, grow, few="10 rows", many="1,000 rows"):
        """GET url, call grow() to add data, GET again: both must run the same queries."""
        small, _ = count_queries(client, url)
        grow()
        large, sql = count_queries(client, url)
        assert large == small, f"{url}: {small} queries with {few}, {large} with {many}:\n" + (
            "\n".join(sql)
        )

    # -- reading -------------------------------------------------------------------------
    def test_list_shows_the_record(self, client_for, persona_named, record):
        response = client_for(persona_named(self.viewers[0])).get(self.url("list"))
        assert response.status_code == 200
        assert record.reference in response.content.decode()
        assert "Kit sample record" in response.content.decode()

    def test_detail_shows_the_record(self, client_for, persona_named, record):
        response = client_for(persona_named(self.viewers[0])).get(self.url("detail", record))
        assert response.status_code == 200
        assert record.reference in response.content.decode()
        assert "Kit sample record" in response.content.decode()

    @pytest.mark.parametrize("persona_name", PERSONAS)
    def test_list_and_detail_need_the_view_right(
        self, client_for, persona_named, record, persona_name
    ):
        client = client_for(persona_named(persona_name))
        expected = 200 if persona_name in self.viewers else 403
        assert client.get(self.url("list")).status_code == expected
        assert client.get(self.url("detail", record)).status_code == expected
        assert client.get(self.url("export") + "?format=csv").status_code == expected

    def at(self, site) -> dict:
        """Fields placing a record at a site, by one link or by several (core.scope)."""
        field = placement_field(self.register.model, "site")
        return {field.name: [site] if field.many_to_many else site}

    def test_list_and_detail_hide_records_outside_my_sites(
        self, client_for, persona_named, leeds, porto
    ):
        author = persona_named(self.adders[0])
        here = self.make_record(author, title="Kept in Leeds", **self.at(leeds))
        there = self.make_record(author, title="Kept in Porto", **self.at(porto))
        viewer = self.colleague_of(persona_named(self.viewers[0]), scope_sites=[leeds])
        client = client_for(viewer)
        page = client.get(self.url("list")).content.decode()
        assert here.reference in page
        assert there.reference not in page
        assert client.get(self.url("detail", there)).status_code == 404

    def test_htmx_list_request_returns_only_the_rows(self, client_for, persona_named, record):
        response = client_for(persona_named(self.viewers[0])).get(self.url("list"), headers=HX)
        body = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in body
        assert "<table" in body
        assert record.reference in body

    def test_csv_export_neutralises_spreadsheet_formulas(self, client_for, persona_named):
        self.make_record(persona_named(self.adders[0]), title="=HYPERLINK(evil)")
        response = client_for(persona_named(self.viewers[0])).get(
            self.url("export") + "?format=csv"
        )
        body = b"".join(response.streaming_content).decode()
        assert "'=HYPERLINK(evil)" in body
        assert ",=HYPERLINK" not in body

    # -- writing -------------------------------------------------------------------------
    @pytest.mark.parametrize("persona_name", PERSONAS)
    def test_create_page_needs_the_add_right(self, client_for, persona_named, persona_name):
        response = client_for(persona_named(persona_name)).get(self.url("create"))
        assert response.status_code == (200 if persona_name in self.adders else 403)

    @pytest.mark.parametrize("persona_name", PERSONAS)
    def test_edit_needs_the_change_right(self, client_for, persona_named, record, persona_name):
        client = client_for(persona_named(persona_name))
        assert client.get(self.url("edit", record)).status_code == (
            200 if persona_name in self.editors else 403
        )
        if persona_name not in self.editors:
            response = client.post(self.url("edit", record), form_data(self.register, record))
            assert response.status_code == 403
            record.refresh_from_db()
            assert record.version == 1

    def test_create_makes_a_record_and_redirects_to_it(self, client_for, persona_named):
        model = self.register.model
        before = model.objects.count()
        response = client_for(persona_named(self.adders[0])).post(
            self.url("create"), form_data(self.register, **self.create_data)
        )
        assert model.objects.count() == before + 1
        created = model.objects.order_by("-id").first()
        assert response.status_code == 302
        assert response["Location"] == self.url("detail", created)
        saved = form_data(self.register, created)
        for name, value in self.create_data.items():
            assert as_text(saved[name]) == as_text(value), name

    def test_create_with_invalid_data_is_refused_naming_the_field(self, client_for, persona_named):
        model = self.register.model
        before = model.objects.count()
        data = form_data(self.register, **{**self.create_data, **self.invalid_data})
        response = client_for(persona_named(self.adders[0])).post(self.url("create"), data)
        assert response.status_code == 422
        assert model.objects.count() == before
        errors = response.context["form"].errors
        for name in self.invalid_data:
            assert name in errors
            assert escape(errors[name][0]) in response.content.decode()

    def test_edit_changes_the_record(self, client_for, persona_named, record):
        response = client_for(persona_named(self.editors[0])).post(
            self.url("edit", record), form_data(self.register, record, **self.edit_data)
        )
        assert response.status_code == 302
        assert response["Location"] == self.url("detail", record)
        record.refresh_from_db()
        assert record.version == 2
        saved = form_data(self.register, record)
        for name, value in self.edit_data.items():
            assert as_text(saved[name]) == as_text(value), name

    def test_stale_edit_is_refused_naming_who_changed_what(self, client_for, persona_named, record):
        me = persona_named(self.editors[0])
        colleague = self.colleague_of(me, full_name="Cleo Colleague")
        opened = form_data(self.register, record)  # my form, loaded at version 1
        theirs = form_data(self.register, record, **self.edit_data)
        assert client_for(colleague).post(self.url("edit", record), theirs).status_code == 302

        response = client_for(me).post(self.url("edit", record), opened)

        assert response.status_code == 409
        message = response.context["stale"].message
        assert "Cleo Colleague" in message
        for name in self.edit_data:
            assert name in message
        assert escape(message) in response.content.decode()
        record.refresh_from_db()
        assert record.version == 2
        saved = form_data(self.register, record)
        for name, value in self.edit_data.items():
            assert as_text(saved[name]) == as_text(value), f"{name} was overwritten"
        assert self.log_entries(record, "update").count() == 1

    # -- change log ----------------------------------------------------------------------
    def test_create_writes_a_change_log_entry(self, client_for, persona_named):
        author = persona_named(self.adders[0])
        client_for(author).post(self.url("create"), form_data(self.register, **self.create_data))
        created = self.register.model.objects.order_by("-id").first()
        entry = self.log_entries(created, "create").get()
        assert entry.actor_id == author.pk
        assert entry.actor_name == author.full_name
        assert entry.before is None
        assert entry.after["reference"] == created.reference

    def test_edit_writes_a_change_log_entry_with_before_and_after(
        self, client_for, persona_named, record
    ):
        editor = persona_named(self.editors[0])
        client_for(editor).post(
            self.url("edit", record), form_data(self.register, record, **self.edit_data)
        )
        entry = self.log_entries(record, "update").get()
        assert entry.actor_name == editor.full_name
        changed = {name for name, _, _ in entry.changed_fields()}
        assert set(self.edit_data) | {"version"} <= changed

    # -- archive -------------------------------------------------------------------------
    @pytest.fixture
    def archivable(self, record):
        """A record in a state it may be archived in; registers whose open records are
        cancelled rather than archived (nonconformities) bring theirs to an end first."""
        return record

    def test_archive_without_a_reason_is_refused(self, client_for, persona_named, record):
        client = client_for(persona_named(self.archivers[0]))
        response = client.post(self.url("archive", record), {"reason": "  "}, follow=True)
        record.refresh_from_db()
        assert not record.is_archived
        assert "reason is required" in response.content.decode()
        assert not self.log_entries(record, "archive").exists()

    def test_archived_record_stays_readable_but_leaves_the_default_list(
        self, client_for, persona_named, archivable
    ):
        record = archivable
        client = client_for(persona_named(self.archivers[0]))
        response = client.post(self.url("archive", record), {"reason": "Merged into another"})
        assert response.status_code == 302
        record.refresh_from_db()
        assert record.is_archived
        assert self.log_entries(record, "archive").get().reason == "Merged into another"
        detail = client.get(self.url("detail", record))
        assert detail.status_code == 200
        assert "Merged into another" in detail.content.decode()
        assert record.reference not in client.get(self.url("list")).content.decode()
        assert record.reference in client.get(self.url("list") + "?archived=1").content.decode()

    def test_archived_record_cannot_be_edited(self, client_for, persona_named, archivable):
        record = archivable
        client_for(persona_named(self.archivers[0])).post(
            self.url("archive", record), {"reason": "Superseded"}
        )
        client = client_for(persona_named(self.editors[0]))
        response = client.get(self.url("edit", record), follow=True)
        assert response.redirect_chain[-1][0] == self.url("detail", record)
        assert "archived and can no longer be edited" in response.content.decode()
        data = form_data(self.register, record, **self.edit_data)
        assert client.post(self.url("edit", record), data).status_code == 409
        record.refresh_from_db()
        assert not self.log_entries(record, "update").exists()

    @pytest.mark.parametrize("persona_name", PERSONAS)
    def test_archive_needs_the_delete_right(
        self, client_for, persona_named, archivable, persona_name
    ):
        record = archivable
        client = client_for(persona_named(persona_name))
        response = client.post(self.url("archive", record), {"reason": "Not needed"})
        record.refresh_from_db()
        if persona_name in self.archivers:
            assert response.status_code == 302
            assert record.is_archived
        else:
            assert response.status_code == 403
            assert not record.is_archived

    # -- query counts: a page costs the same at 10 rows and at 1,000 ---------------------
    @pytest.fixture
    def rows(self, persona_named, leeds):
        """rows(n): n more bulk rows, owned and sited, so row-by-row reads would show."""
        owner = persona_named(self.viewers[0])
        return lambda count: self.bulk_records(count, owner=owner, **self.at(leeds))

    @pytest.mark.parametrize("page", ["list", "export"])
    def test_page_query_count_does_not_grow_with_rows(self, client_for, persona_named, rows, page):
        rows(10)
        client = client_for(persona_named(self.viewers[0]))
        url = self.url(page) + ("?format=csv" if page == "export" else "")
        client.get(url)  # warm per-process caches (content types) before counting
        self.assert_same_queries(client, url, lambda: rows(990))

    def test_detail_query_count_does_not_grow_with_comments(
        self, client_for, persona_named, record
    ):
        client = client_for(persona_named(self.viewers[0]))
        url = self.url("detail", record)

        def comment(count):
            for n in range(count):
                client.post(self.url("comment", record), {"text": f"Comment {n}"})

        comment(1)
        client.get(url)
        self.assert_same_queries(client, url, lambda: comment(5), "1 comment", "6 comments")
        assert record.comments.count() == 6

    @pytest.mark.parametrize("endpoint", ["list", "read"])
    def test_api_query_count_does_not_grow_with_rows(self, persona_named, rows, endpoint):
        from tests.conftest import ApiClient

        rows(10)
        api = ApiClient(persona_named(self.viewers[0])).client
        register = self.register
        base = f"/api/v1/{register.app_label()}/{register.slug()}/"
        first = register.model.objects.order_by("id").first()
        url = f"{base}?page_size=50" if endpoint == "list" else f"{base}{first.reference}"
        api.get(url)
        self.assert_same_queries(api, url, lambda: rows(990))

    def test_detail_query_count_does_not_grow_with_rows(self, client_for, persona_named, rows):
        rows(10)
        record = self.register.model.objects.order_by("id").first()
        client = client_for(persona_named(self.viewers[0]))
        url = self.url("detail", record)
        client.get(url)
        self.assert_same_queries(client, url, lambda: rows(990))
