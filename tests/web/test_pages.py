"""The pages around the registers: who may open which page, home, search, clauses, readiness."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone

from norma.core.actions import ArchiveRecord
from norma.core.models import RoleCode
from norma.planning.actions import ApproveProcess
from norma.standards.models import Clause
from tests.conftest import PERSONAS
from tests.factories import PASSWORD, PersonFactory, make_process, measure_process

EVERYONE = set(PERSONAS)
READERS = EVERYONE - {"nobody"}
# core.view_person: every role reading everything; the registrar sees nothing about people.
PEOPLE_READERS = READERS - {"external_auditor"}
PROCESS_ADDERS = {"quality_manager", "process_owner"}

# page -> personas who get 200; everyone else gets 403. (Nobody here is staff: see admin test.)
PAGES = {
    "/": EVERYONE,
    "/search/?q=x": EVERYONE,
    "/people/": PEOPLE_READERS,
    "/standards/": READERS,
    "/standards/iso9001-2015/4.4/": READERS,
    "/standards/readiness/": READERS,
    "/planning/processes/": READERS,
    "/planning/processes/new/": PROCESS_ADDERS,
    "/account/security/": EVERYONE,
}


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_each_role_gets_the_pages_its_rights_allow(client_for, persona, request, page):
    persona_name = request.node.callspec.params["persona"]
    expected = 200 if persona_name in PAGES[page] else 403
    assert client_for(persona).get(page).status_code == expected


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_admin_site_is_only_for_staff(client_for, persona):
    response = client_for(persona).get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_quality_manager_opens_the_admin_site(client_for, db):
    staff = PersonFactory(roles=[RoleCode.QUALITY_MANAGER], is_staff=True)
    assert client_for(staff).get("/admin/").status_code == 200


@pytest.mark.parametrize("page", [*PAGES, "/account/password/", "/account/two-factor/"])
def test_anonymous_visitors_are_sent_to_sign_in(db, page):
    response = Client().get(page)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_anonymous_visitors_to_the_admin_are_sent_to_sign_in(db):
    response = Client().get("/admin/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# -- home: my tasks ------------------------------------------------------------------------
def test_home_lists_my_overdue_items_before_my_upcoming_ones(client_for, quality_manager, employee):
    today = timezone.localdate()
    later = make_process(quality_manager, title="Due later", owner=employee, due_date=today)
    late = make_process(
        quality_manager, title="Long overdue", owner=employee, due_date=today - timedelta(days=9)
    )
    response = client_for(employee).get("/")
    overdue = [task.reference for task in response.context["overdue"]]
    upcoming = [task.reference for task in response.context["upcoming"]]
    assert overdue == [late.reference]
    assert upcoming == [later.reference]
    page = response.content.decode()
    assert page.index(late.reference) < page.index(later.reference)


def test_home_leaves_out_other_peoples_items_and_undated_or_archived_ones(
    client_for, quality_manager, employee, process_owner
):
    soon = timezone.localdate() + timedelta(days=3)
    theirs = make_process(quality_manager, title="Theirs", owner=process_owner, due_date=soon)
    undated = make_process(quality_manager, title="Undated", owner=employee)
    archived = make_process(quality_manager, title="Archived", owner=employee, due_date=soon)
    ArchiveRecord(quality_manager, archived, reason="Duplicate").execute()
    page = client_for(employee).get("/").content.decode()
    for other in (theirs, undated, archived):
        assert other.reference not in page
    assert "Nothing overdue" in page


# -- global search -------------------------------------------------------------------------
def found(client, text: str) -> list[str]:
    """References of the search results (the query itself is echoed in the search box)."""
    response = client.get("/search/", {"q": text})
    assert response.status_code == 200
    return [obj.reference for _, obj in response.context["results"]]


def test_search_finds_a_record_by_its_exact_reference(client_for, quality_manager, employee):
    wanted = make_process(quality_manager, title="Sales")
    make_process(quality_manager, title="Design")
    client = client_for(employee)
    assert found(client, wanted.reference) == [wanted.reference]
    page = client.get("/search/", {"q": wanted.reference}).content.decode()
    assert f'href="/planning/processes/{wanted.reference}/"' in page


def test_search_finds_a_record_by_a_word_of_its_title(client_for, quality_manager, employee):
    wanted = make_process(quality_manager, title="Supplier selection and evaluation")
    make_process(quality_manager, title="Design")
    assert found(client_for(employee), "evaluation") == [wanted.reference]


def test_search_finds_a_record_by_several_words_of_its_title(client_for, quality_manager, employee):
    """The page invites 'words from a title': they need not be typed side by side."""
    wanted = make_process(quality_manager, title="Supplier selection and evaluation")
    assert found(client_for(employee), "supplier evaluation") == [wanted.reference]


def test_search_shows_nothing_from_registers_i_may_not_read(client_for, quality_manager, nobody):
    hidden = make_process(quality_manager, title="Confidential")
    assert found(client_for(nobody), hidden.reference) == []


def test_search_shows_nothing_outside_my_sites(client_for, quality_manager, leeds, porto):
    make_process(quality_manager, title="Porto machining", site=porto)
    here = make_process(quality_manager, title="Leeds machining", site=leeds)
    local = PersonFactory(roles=[RoleCode.EMPLOYEE], scope_sites=[leeds])
    assert found(client_for(local), "machining") == [here.reference]


# -- standards -----------------------------------------------------------------------------
def test_clause_page_lists_the_records_linked_to_it(client_for, quality_manager, employee):
    clause = Clause.objects.get(standard__slug="iso9001-2015", ref="4.4")
    linked = make_process(quality_manager, title="Process map", clauses=[clause])
    unlinked = make_process(quality_manager, title="Unrelated")
    page = client_for(employee).get("/standards/iso9001-2015/4.4/").content.decode()
    assert linked.reference in page
    assert unlinked.reference not in page


def test_readiness_page_shows_a_percentage_and_the_gaps(
    client_for, quality_manager, top_manager, employee
):
    make_process(quality_manager, title="Sales")  # a draft: 4.4.1 is only partly met
    response = client_for(employee).get("/standards/readiness/")
    page = response.content.decode()
    score = response.context["report"].score
    assert score is not None and 0 < score < 100
    assert f"<strong>{score}%</strong>" in page
    gaps = page.split("Gaps to close", 1)[1].split("Clause by clause", 1)[0]
    assert "4.4.1" in gaps
    assert "0 of 1 processes have an owner and are approved." in gaps


def test_readiness_gap_closes_when_the_process_is_approved(
    client_for, quality_manager, top_manager, process_owner, employee
):
    process = make_process(quality_manager, title="Sales", owner=process_owner)
    ApproveProcess(top_manager, process, data={"password": PASSWORD}).execute()
    measure_process(process_owner, process)
    page = client_for(employee).get("/standards/readiness/").content.decode()
    gaps = page.split("Gaps to close", 1)[1].split("Clause by clause", 1)[0]
    assert "4.4.1" not in gaps
    assert "All 1 processes have an owner and are approved." in page


# -- errors, health, security headers ------------------------------------------------------
def test_unknown_record_reference_gets_a_friendly_404(client_for, employee):
    response = client_for(employee).get("/planning/processes/PRC-1999-9999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "We could not find that" in page
    assert 'href="/"' in page


def test_healthz_answers_ok_without_signing_in(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize("page", ["/", "/planning/processes/", "/login/"])
def test_pages_send_a_csp_that_forbids_inline_scripts(client_for, employee, page):
    client = Client() if page == "/login/" else client_for(employee)
    policy = client.get(page)["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
    )
    assert "script-src" in directives
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]


class ScriptFinder(HTMLParser):
    """Collects every <script> tag's attributes and body, and inline event handlers."""

    def __init__(self):
        super().__init__()
        self.scripts, self.handlers, self._open = [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.handlers += [name for name in attrs if re.fullmatch(r"on[a-z]+", name)]
        if tag == "script":
            self._open = {"attrs": attrs, "body": ""}
            self.scripts.append(self._open)

    def handle_data(self, data):
        if self._open is not None:
            self._open["body"] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._open = None


@pytest.mark.parametrize("page", ["/", "/planning/processes/", "/login/"])
def test_layout_has_no_inline_scripts_or_event_handlers(client_for, employee, page):
    client = Client() if page == "/login/" else client_for(employee)
    finder = ScriptFinder()
    finder.feed(client.get(page).content.decode())
    assert finder.scripts, "the layout loads its scripts from files"
    for script in finder.scripts:
        assert script["attrs"].get("src"), script
        assert not script["body"].strip(), script
    assert finder.handlers == []
