"""4.4 process register: the generic register kit, plus approval, revision and list tools."""

from functools import partial

import pytest
from django.urls import reverse

from norma.planning.actions import ApproveProcess, ReviseProcess
from norma.planning.models import Process
from norma.planning.registers import ProcessRegister
from tests.conftest import PERSONAS
from tests.factories import PASSWORD, bulk_processes, make_process
from tests.kit import RegisterKit, form_data

LIST = "/planning/processes/"


def detail(process) -> str:
    return reverse("planning:process_detail", args=[process.reference])


def do(process, code: str) -> str:
    return f"/planning/processes/{process.reference}/do/{code}/"


def approve(process, approver):
    return ApproveProcess(approver, process, data={"password": PASSWORD}).execute()


class TestProcessRegister(RegisterKit):
    register = ProcessRegister
    make_record = staticmethod(make_process)
    bulk_records = staticmethod(bulk_processes)
    create_data = {"title": "Purchasing", "process_type": "support", "purpose": "Buy well."}
    edit_data = {"title": "Purchasing and supplier control", "process_type": "management"}
    invalid_data = {"title": "", "process_type": "magic"}
    viewers = [p for p in PERSONAS if p != "nobody"]
    adders = ["quality_manager", "process_owner"]
    editors = ["quality_manager", "process_owner"]
    archivers = ["quality_manager"]

    # -- approval with an electronic signature ---------------------------------------------
    def test_top_manager_approves_from_the_detail_page_and_the_signature_shows(
        self, client_for, top_manager, record
    ):
        client = client_for(top_manager)
        page = client.get(detail(record)).content.decode()
        assert f'action="{do(record, "approve")}"' in page
        assert 'name="password"' in page

        response = client.post(do(record, "approve"), {"password": PASSWORD, "version": "1"})

        assert response.status_code == 302
        assert response["Location"] == detail(record)
        record.refresh_from_db()
        assert record.status == Process.Status.APPROVED
        page = client.get(detail(record)).content.decode()
        assert "<strong>Approved</strong> by Tess Top" in page
        assert "Content changed since signing" not in page

    def test_approval_with_a_wrong_password_signs_nothing(self, client_for, top_manager, record):
        response = client_for(top_manager).post(
            do(record, "approve"), {"password": "not-my-password", "version": "1"}, follow=True
        )
        record.refresh_from_db()
        assert record.status == Process.Status.DRAFT
        page = response.content.decode()
        assert "The password is not correct." in page
        assert "Not signed." in page

    def test_owner_cannot_approve_their_own_process(self, client_for, quality_manager, top_manager):
        process = make_process(quality_manager, title="Leadership", owner=top_manager)
        client = client_for(top_manager)
        assert (
            f'action="{do(process, "approve")}"' not in client.get(detail(process)).content.decode()
        )

        response = client.post(do(process, "approve"), {"password": PASSWORD}, follow=True)

        process.refresh_from_db()
        assert process.status == Process.Status.DRAFT
        assert "You cannot approve your own work" in response.content.decode()

    def test_only_top_management_may_approve(self, client_for, process_owner, record):
        response = client_for(process_owner).post(do(record, "approve"), {"password": PASSWORD})
        assert response.status_code == 302
        record.refresh_from_db()
        assert record.status == Process.Status.DRAFT

    def test_approved_process_edit_page_redirects_with_a_message(
        self, client_for, quality_manager, top_manager, record
    ):
        approve(record, top_manager)
        response = client_for(quality_manager).get(
            reverse("planning:process_edit", args=[record.reference]), follow=True
        )
        assert response.redirect_chain[-1][0] == detail(record)
        assert "approved and signed: start a revision" in response.content.decode()

    def test_approved_process_cannot_be_changed_by_posting_the_form(
        self, client_for, quality_manager, top_manager, record
    ):
        approve(record, top_manager)
        record.refresh_from_db()
        data = form_data(ProcessRegister, record, title="Changed behind the signature")
        response = client_for(quality_manager).post(
            reverse("planning:process_edit", args=[record.reference]), data
        )
        assert response.status_code in (403, 409)
        record.refresh_from_db()
        assert record.title != "Changed behind the signature"
        assert record.status == Process.Status.APPROVED

    def test_revise_returns_an_approved_process_to_draft(
        self, client_for, quality_manager, top_manager, record
    ):
        approve(record, top_manager)
        record.refresh_from_db()
        client = client_for(quality_manager)
        response = client.post(do(record, "revise"), {"version": str(record.version)})
        assert response.status_code == 302
        record.refresh_from_db()
        assert record.status == Process.Status.DRAFT
        edit = reverse("planning:process_edit", args=[record.reference])
        assert client.get(edit).status_code == 200

    def test_a_draft_cannot_be_revised(self, client_for, quality_manager, record):
        client_for(quality_manager).post(do(record, "revise"), {"version": "1"})
        record.refresh_from_db()
        assert record.status == Process.Status.DRAFT
        assert record.version == 1

    # -- list: filter, search, sort, buttons -----------------------------------------------
    def test_list_filters_by_status(self, client_for, quality_manager, top_manager):
        approved = make_process(quality_manager, title="Sales")
        approve(approved, top_manager)
        draft = make_process(quality_manager, title="Design")
        client = client_for(quality_manager)
        page = client.get(f"{LIST}?status=approved").content.decode()
        assert approved.reference in page
        assert draft.reference not in page
        page = client.get(f"{LIST}?status=draft").content.decode()
        assert draft.reference in page
        assert approved.reference not in page

    def test_list_searches_titles(self, client_for, quality_manager):
        wanted = make_process(quality_manager, title="Calibration of gauges")
        other = make_process(quality_manager, title="Customer complaints")
        page = client_for(quality_manager).get(f"{LIST}?q=gauges").content.decode()
        assert wanted.reference in page
        assert other.reference not in page

    @pytest.mark.parametrize("sort, order", [("title", "ABC"), ("-title", "CBA")])
    def test_list_sorts_by_a_column(self, client_for, quality_manager, sort, order):
        for title in ("Bravo", "Alpha", "Charlie"):
            make_process(quality_manager, title=f"{title} process")
        page = client_for(quality_manager).get(f"{LIST}?sort={sort}").content.decode()
        positions = {t[0]: page.index(f"{t} process") for t in ("Alpha", "Bravo", "Charlie")}
        assert "".join(sorted(positions, key=positions.get)) == order

    def test_sorted_column_header_offers_the_reverse_order(self, client_for, quality_manager):
        make_process(quality_manager)
        page = client_for(quality_manager).get(f"{LIST}?sort=title").content.decode()
        assert "sort=-title" in page

    @pytest.mark.parametrize("persona_name", [p for p in PERSONAS if p != "nobody"])
    def test_new_process_button_is_shown_only_to_people_who_may_add(
        self, client_for, persona_named, persona_name
    ):
        page = client_for(persona_named(persona_name)).get(LIST).content.decode()
        assert ("New process" in page) == (persona_name in self.adders)

    def test_detail_query_count_does_not_grow_with_signatures(
        self, client_for, quality_manager, top_manager, record
    ):
        def approve_and_revise(times):
            for _ in range(times):
                record.refresh_from_db()
                approve(record, top_manager)
                record.refresh_from_db()
                ReviseProcess(quality_manager, record).execute()

        client = client_for(quality_manager)
        approve_and_revise(1)
        client.get(detail(record))
        four_more = partial(approve_and_revise, 4)
        self.assert_same_queries(client, detail(record), four_more, "1 signature", "5 signatures")
