"""Customer feedback (ISO 9001 8.2.1, 9.1.2): customers, complaints, compliments and
satisfaction surveys.

The four registers go through the register kit (pages, rights per role, change log, scope,
query counts). Then the complaint's own rules: logging it (its response due date from the
severity), the API refusing a customer one may not name, the workflow (raise its
nonconformity, record the response, close, withdraw) on the page and through the API, role
by role, and the response-due reminders. Then surveys: responses entered on the survey's page,
imported from CSV or sent to the API, CSAT and NPS worked out exactly, and closing. Last, the
customer feedback dashboard and the 9.1.2 readiness check.

Unless a test says otherwise, Quinn Quality (quality manager) logs and handles complaints and
runs surveys; figures are read from what a person sees: the page, each chart's `<desc>`.
"""

import hashlib
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from norma.core.actions import ActionRefused, CreateRecord, InvalidInput, UpdateRecord
from norma.core.context import acting_as
from norma.core.models import Attachment, ChangeLogEntry, RoleCode
from norma.core.models.records import reserve_references
from norma.documents.models import add_months
from norma.improvement.models import Nonconformity
from norma.notifications.models import Notification, NotificationKind
from norma.notifications.reminders import create_reminders
from norma.operations import feedback
from norma.operations.models import Complaint, Compliment, Customer, Survey, SurveyResponse
from norma.operations.readiness import satisfaction_measured
from norma.operations.registers import (
    ComplaintRegister,
    ComplimentRegister,
    CustomerRegister,
    SurveyRegister,
)
from norma.standards.readiness import Status, evaluate, registered_checks
from tests.conftest import PERSONAS
from tests.factories import PersonFactory
from tests.kit import RegisterKit, count_queries, form_data
from tests.operations.helpers import (
    add_responses,
    bulk_complaints,
    days_ago,
    fresh,
    log_complaint,
    make_customer,
    make_survey,
    today,
)

EVERYONE = [p for p in PERSONAS if p != "nobody"]
CUSTOMER_TEAM = ["quality_manager", "top_manager", "process_owner"]
LOGGERS = [*CUSTOMER_TEAM, "employee"]  # anyone who takes a customer's call
REPORTERS = [*CUSTOMER_TEAM, "internal_auditor", "employee"]  # may report a nonconformity
QUALITY_TEAM = ["quality_manager"]

COMPLAINTS = "/operations/customer-complaints/"
SURVEYS = "/operations/satisfaction-surveys/"
FEEDBACK = "/operations/feedback/"
API = "/api/v1/operations/"
API_COMPLAINTS = f"{API}customer-complaints/"
API_SURVEYS = f"{API}satisfaction-surveys/"
SVG_NS = "{http://www.w3.org/2000/svg}"


# -- helpers ----------------------------------------------------------------------------------
def in_days(days: int) -> date:
    return today() + timedelta(days=days)


def month_start(back: int) -> date:
    """The first day of the month `back` months before this one."""
    day = today().replace(day=1)
    for _ in range(back):
        day = (day - timedelta(days=1)).replace(day=1)
    return day


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def charts_on(response) -> dict[str, ET.Element]:
    """The labelled charts of a page, by title, each parsed as XML."""
    found = {}
    for markup in re.findall(r"<svg\b.*?</svg>", response.content.decode(), flags=re.S):
        svg = ET.fromstring(markup)
        if svg.get("role") == "img":
            found[svg.find(f"{SVG_NS}title").text] = svg
    return found


def desc(svg) -> str:
    return svg.find(f"{SVG_NS}desc").text or ""


def figures(svg) -> dict[str, str]:
    """A bar or column chart's figures as its description gives them: {label: value}."""
    return dict(part.rsplit(": ", 1) for part in desc(svg).split("; ") if part)


def csv_file(text: str | bytes, name: str = "responses.csv") -> SimpleUploadedFile:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def complaint_url(complaint, tail: str = "") -> str:
    return f"{COMPLAINTS}{complaint.reference}/{tail}"


def survey_url(survey, tail: str = "") -> str:
    return f"{SURVEYS}{survey.reference}/{tail}"


def respond(actor, complaint, justified=False, **fields) -> Complaint:
    data = {
        "investigation": "Seal seats machined 0.2 mm oversize on the night shift.",
        "justified": justified,
        "response": "Replacement bodies sent; the seat bore is now checked on every part.",
        **fields,
    }
    return feedback.SendResponse(actor, fresh(complaint), data=data).execute()


def close_survey(actor, survey, **data) -> Survey:
    return feedback.CloseSurvey(actor, fresh(survey), data=data).execute()


def make_compliment(actor, customer=None, **fields) -> Compliment:
    data = {
        "customer": customer or make_customer(actor, title="Contoso Valves"),
        "title": "Delivered a day early",
        "description": "The buyer thanked the dispatch team for the early delivery.",
        **fields,
    }
    return CreateRecord(actor, Compliment, data=data).execute()


def complaint_row(customer, **fields) -> Complaint:
    """One complaint written as a row (old dates, archived ones: what only time could give)."""
    data = {
        "title": "Row complaint",
        "description": "Row",
        "severity": "minor",
        "status": "open",
        "received_on": today(),
        **fields,
    }
    with acting_as(name="test rows"):
        reference = reserve_references("CMP", 1, width=6)[0]
        return Complaint.objects.create(reference=reference, customer=customer, **data)


# -- bulk rows for the query counts (no actions: only rows) -------------------------------------
def a_customer() -> Customer:
    found = Customer.objects.filter(title="Bulk customer").first()
    if found is not None:
        return found
    with acting_as(name="test bulk"):
        reference = reserve_references("CUS", 1, width=6)[0]
        return Customer.objects.create(reference=reference, title="Bulk customer")


def _bulk(model, prefix, count, build):
    with acting_as(name="test bulk"):
        references = reserve_references(prefix, count, width=6)
        model.objects.bulk_create([build(i, ref) for i, ref in enumerate(references)])


def bulk_customers(count: int, **fields):
    _bulk(
        Customer,
        "CUS",
        count,
        lambda i, ref: Customer(reference=ref, title=f"Customer {i}", segment="OEM", **fields),
    )


def bulk_complaints_of_a_customer(count: int, **fields):
    bulk_complaints(count, a_customer(), **fields)


def bulk_compliments(count: int, **fields):
    customer = a_customer()
    _bulk(
        Compliment,
        "CPL",
        count,
        lambda i, ref: Compliment(
            reference=ref,
            title=f"Compliment {i}",
            customer=customer,
            description="Bulk",
            product=f"Product {i % 5}",
            received_on=days_ago(i % 300),
            **fields,
        ),
    )


def bulk_surveys(count: int, **fields):
    def build(i, ref):
        closed = i % 2 == 0
        return Survey(
            reference=ref,
            title=f"Survey {i}",
            period_start=days_ago(400 + i),
            period_end=days_ago(i),
            status="closed" if closed else "open",
            response_count=10 if closed else 0,
            csat=Decimal("80.0") if closed else None,
            nps=Decimal("-10.0") if closed else None,
            closed_on=days_ago(i) if closed else None,
            **fields,
        )

    _bulk(Survey, "SRV", count, build)


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture
def person_named(request, db):
    """person_named("employee") -> that persona (a conftest fixture)."""
    return request.getfixturevalue


@pytest.fixture
def customer(quality_manager):
    return make_customer(quality_manager, title="Northwind Pumps")


@pytest.fixture
def complaint(quality_manager, customer):
    return log_complaint(quality_manager, customer, severity="major")


@pytest.fixture
def survey(quality_manager):
    return make_survey(quality_manager, title="Customer survey 2025")


@pytest.fixture
def qm_client(quality_manager, client_for):
    return client_for(quality_manager)


@pytest.fixture
def leeds_manager(leeds):
    """A quality manager whose rights are limited to the Leeds site."""
    return PersonFactory(
        full_name="Lena Leeds", roles=[RoleCode.QUALITY_MANAGER], scope_sites=[leeds]
    )


# == the registers through the kit ============================================================
class TestCustomerRegister(RegisterKit):
    """The customer team keeps the customer list; everyone else reads it."""

    register = CustomerRegister
    make_record = staticmethod(make_customer)
    bulk_records = staticmethod(bulk_customers)
    create_data = {"title": "Contoso Valves", "segment": "Water utilities"}
    edit_data = {"title": "Contoso Valves Ltd", "segment": "Oil and gas"}
    invalid_data = {"contact_email": "not an address"}
    viewers = EVERYONE
    adders = CUSTOMER_TEAM
    editors = CUSTOMER_TEAM
    archivers = QUALITY_TEAM

    def test_a_customer_with_complaints_is_archived_and_keeps_them(
        self, client_for, quality_manager, customer
    ):
        log_complaint(quality_manager, customer)
        response = client_for(quality_manager).post(
            self.url("archive", customer), {"reason": "No longer trading"}
        )
        assert response.status_code == 302
        assert fresh(customer).is_archived
        assert Complaint.objects.filter(customer=customer).count() == 1


class TestComplaintRegister(RegisterKit):
    """Anyone who takes a customer's call logs the complaint; the customer team handles it;
    the registrar reads it."""

    register = ComplaintRegister
    make_record = staticmethod(log_complaint)
    bulk_records = staticmethod(bulk_complaints_of_a_customer)
    edit_data = {"title": "Valve bodies leaking at the seat", "severity": "critical"}
    viewers = EVERYONE
    adders = LOGGERS
    editors = CUSTOMER_TEAM
    archivers = QUALITY_TEAM

    @property
    def create_data(self):
        """Names a customer; made once per test, on first use."""
        if "_create_data" not in self.__dict__:
            self._create_data = {
                "customer": a_customer().pk,
                "title": "Pump seals leaking",
                "description": "Four of twelve seals leaked at commissioning.",
                "product": "Seal kit SK-4",
                "severity": "major",
            }
        return self._create_data

    @property
    def invalid_data(self):
        return {"received_on": in_days(1).isoformat()}  # not received tomorrow

    @pytest.fixture
    def archivable(self, record, quality_manager):
        """An open complaint is answered or withdrawn before it is archived."""
        return respond(quality_manager, record)

    def test_an_open_complaint_is_answered_or_withdrawn_not_archived(
        self, client_for, quality_manager, record
    ):
        response = client_for(quality_manager).post(
            self.url("archive", record), {"reason": "Not needed"}, follow=True
        )
        assert f"{record.reference} is still open: answer or withdraw it first." in (
            messages_of(response)
        )
        assert not fresh(record).is_archived
        assert not self.log_entries(record, "archive").exists()

    def test_an_employee_logs_a_complaint_on_the_page(self, client_for, employee, customer):
        before = Complaint.objects.count()
        data = form_data(self.register, **{**self.create_data, "customer": customer.pk})
        response = client_for(employee).post(self.url("create"), data)
        assert response.status_code == 302
        assert Complaint.objects.count() == before + 1
        logged = Complaint.objects.order_by("-id").first()
        assert logged.customer == customer
        assert logged.created_by == employee
        assert logged.status == "open"
        assert logged.due_date == today() + timedelta(days=5)  # major: 5 days by default
        assert self.log_entries(logged, "create").get().actor_name == "Eve Employee"

    @pytest.mark.parametrize("name", ["employee", "internal_auditor", "external_auditor"])
    def test_the_api_does_not_let_them_change_or_archive_a_complaint(
        self, api_for, person_named, record, name
    ):
        client = api_for(person_named(name))
        url = f"{API_COMPLAINTS}{record.reference}"
        assert client.get(url).status_code == 200
        patch = client.patch(url, {"title": "Changed"}, **{"If-Match": record.etag})
        assert patch.status_code == 403
        archive = client.post(f"{url}/archive", {"reason": "Tidy"}, **{"If-Match": record.etag})
        assert archive.status_code == 403
        saved = fresh(record)
        assert (saved.title, saved.version, saved.is_archived) == ("Kit sample record", 1, False)

    @pytest.mark.parametrize(
        ("status", "shown"),
        [("responded", "response sent"), ("closed", "closed"), ("withdrawn", "withdrawn")],
    )
    def test_only_an_open_complaint_can_be_edited(
        self, client_for, quality_manager, record, status, shown
    ):
        """Once answered, its dates and facts stay as they were answered."""
        if status == "withdrawn":
            record = feedback.WithdrawComplaint(
                quality_manager, record, reason="Customer's own fitting error"
            ).execute()
        else:
            record = respond(quality_manager, record)
        if status == "closed":
            record = feedback.CloseComplaint(quality_manager, record).execute()
        client = client_for(quality_manager)
        response = client.get(self.url("edit", record), follow=True)
        assert f"{record.reference} is {shown}." in messages_of(response)
        data = form_data(self.register, record, **self.edit_data)
        assert client.post(self.url("edit", record), data).status_code == 409
        assert fresh(record).title == "Kit sample record"
        assert not self.log_entries(record, "update").exists()


class TestComplimentRegister(RegisterKit):
    """Compliments are logged like complaints: by whoever hears them."""

    register = ComplimentRegister
    make_record = staticmethod(make_compliment)
    bulk_records = staticmethod(bulk_compliments)
    edit_data = {"title": "Delivered two days early", "product": "Valve body VB-20"}
    viewers = EVERYONE
    adders = LOGGERS
    editors = CUSTOMER_TEAM
    archivers = QUALITY_TEAM

    @property
    def create_data(self):
        if "_create_data" not in self.__dict__:
            self._create_data = {
                "customer": a_customer().pk,
                "title": "Helpful service engineer",
                "description": "Their engineer stayed late to get the line running.",
                "product": "Field service",
            }
        return self._create_data

    @property
    def invalid_data(self):
        return {"received_on": in_days(1).isoformat()}

    def test_a_compliment_received_tomorrow_is_refused_with_the_reason(self, quality_manager):
        with pytest.raises(InvalidInput) as refused:
            make_compliment(quality_manager, received_on=in_days(1))
        assert refused.value.errors["received_on"] == ["A compliment cannot be received tomorrow."]
        assert not Compliment.objects.exists()

    def test_an_employee_logs_a_compliment_through_the_api(self, api_for, employee):
        body = {
            "customer": a_customer().pk,
            "title": "Clear delivery notes",
            "description": "Goods-in found everything at once.",
            "received_on": today().isoformat(),
        }
        response = api_for(employee).post(f"{API}compliments/", body)
        assert response.status_code == 201, response.content
        assert Compliment.objects.get().created_by == employee


class TestSurveyRegister(RegisterKit):
    """Surveys are the customer team's; their page shows results and takes responses."""

    register = SurveyRegister
    make_record = staticmethod(make_survey)
    bulk_records = staticmethod(bulk_surveys)
    edit_data = {"title": "Spring satisfaction survey", "method": "Phone"}
    viewers = EVERYONE
    adders = CUSTOMER_TEAM
    editors = CUSTOMER_TEAM
    archivers = QUALITY_TEAM

    @property
    def create_data(self):
        return {
            "title": "Annual satisfaction survey",
            "period_start": days_ago(90).isoformat(),
            "period_end": days_ago(1).isoformat(),
            "method": "E-mail",
        }

    @property
    def invalid_data(self):
        return {"period_end": days_ago(120).isoformat()}  # ends before it starts

    def test_detail_query_count_does_not_grow_with_responses(
        self, client_for, quality_manager, record, customer
    ):
        client = client_for(quality_manager)
        url = self.url("detail", record)
        add_responses(quality_manager, record, [{"satisfaction": 5, "customer": customer}] * 3)
        client.get(url)
        self.assert_same_queries(
            client,
            url,
            lambda: add_responses(
                quality_manager,
                fresh(record),
                [
                    {"satisfaction": n % 5 + 1, "recommend": n % 11, "customer": customer}
                    for n in range(200)
                ],
            ),
            "3 responses",
            "203 responses",
        )


# == logging a complaint ======================================================================
class TestLogComplaint:
    @pytest.mark.parametrize(("severity", "days"), [("critical", 1), ("major", 3), ("minor", 8)])
    def test_the_response_is_due_the_days_its_severity_allows_after_it_came(
        self, quality_manager, customer, severity, days
    ):
        with override_settings(
            NORMA_COMPLAINT_RESPONSE_DAYS={"critical": 1, "major": 3, "minor": 8}
        ):
            logged = log_complaint(
                quality_manager, customer, severity=severity, received_on=days_ago(4)
            )
        assert fresh(logged).due_date == days_ago(4) + timedelta(days=days)

    @pytest.mark.parametrize(("severity", "days"), [("critical", 2), ("major", 5), ("minor", 10)])
    def test_default_response_days_per_severity(self, quality_manager, customer, severity, days):
        logged = log_complaint(quality_manager, customer, severity=severity)
        assert fresh(logged).due_date == today() + timedelta(days=days)

    def test_a_due_date_given_is_kept(self, quality_manager, customer):
        logged = log_complaint(quality_manager, customer, severity="minor", due_date=in_days(3))
        assert fresh(logged).due_date == in_days(3)

    def test_a_complaint_received_tomorrow_is_refused(self, quality_manager, customer):
        with pytest.raises(InvalidInput) as refused:
            log_complaint(quality_manager, customer, received_on=in_days(1))
        assert refused.value.errors["received_on"] == ["A complaint cannot be received tomorrow."]
        assert not Complaint.objects.exists()

    def test_a_response_due_before_the_complaint_came_is_refused(self, quality_manager, customer):
        with pytest.raises(InvalidInput) as refused:
            log_complaint(quality_manager, customer, received_on=days_ago(3), due_date=days_ago(4))
        assert refused.value.errors["due_date"] == ["The response is due after the complaint came."]
        assert not Complaint.objects.exists()

    def test_the_page_names_the_date_received_in_the_future(self, qm_client, customer):
        data = form_data(
            ComplaintRegister,
            customer=customer.pk,
            title="Leak",
            description="Leak",
            received_on=in_days(2).isoformat(),
        )
        response = qm_client.post(f"{COMPLAINTS}new/", data)
        assert response.status_code == 422
        assert response.context["form"].errors["received_on"] == [
            "A complaint cannot be received tomorrow."
        ]
        assert not Complaint.objects.exists()

    def test_the_complaint_is_placed_at_the_site_of_whoever_logs_it(self, customer, leeds):
        clerk = PersonFactory(roles=[RoleCode.EMPLOYEE], site=leeds)
        logged = log_complaint(clerk, customer)
        assert logged.site == leeds
        assert logged.created_by == clerk


class TestComplaintApiCreate:
    def body(self, customer_id, **fields):
        return {
            "customer": customer_id,
            "title": "Valve bodies leaking",
            "description": "Three of forty leaked at the customer's test.",
            "severity": "critical",
            "received_on": today().isoformat(),
            **fields,
        }

    def test_a_complaint_is_logged_with_its_due_date(self, api_for, employee, customer):
        response = api_for(employee).post(API_COMPLAINTS, self.body(customer.pk))
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["customer"] == customer.pk
        assert body["due_date"] == in_days(2).isoformat()
        assert body["status"] == "open"
        assert response["ETag"] == '"1"'
        assert Complaint.objects.get().created_by == employee

    def test_an_unknown_customer_is_refused_naming_the_field(self, api_for, quality_manager):
        response = api_for(quality_manager).post(API_COMPLAINTS, self.body(999_999))
        assert response.status_code == 422
        assert "customer" in response.json()["errors"]
        assert not Complaint.objects.exists()

    def test_a_customer_outside_my_sites_is_refused_as_if_unknown(
        self, api_for, quality_manager, leeds_manager, porto, leeds
    ):
        abroad = make_customer(quality_manager, title="Porto Bombas", site=porto)
        at_home = make_customer(quality_manager, title="Leeds Pumps", site=leeds)
        client = api_for(leeds_manager)

        response = client.post(API_COMPLAINTS, self.body(abroad.pk))

        assert response.status_code == 422
        assert "customer" in response.json()["errors"]
        assert not Complaint.objects.exists()
        assert client.post(API_COMPLAINTS, self.body(at_home.pk)).status_code == 201

    def test_a_complaint_received_tomorrow_is_refused_naming_the_field(
        self, api_for, quality_manager, customer
    ):
        body = self.body(customer.pk, received_on=in_days(1).isoformat())
        response = api_for(quality_manager).post(API_COMPLAINTS, body)
        assert response.status_code == 422
        assert response.json()["errors"]["received_on"] == [
            "A complaint cannot be received tomorrow."
        ]
        assert not Complaint.objects.exists()

    def test_a_due_date_before_the_complaint_is_refused_naming_the_field(
        self, api_for, quality_manager, customer
    ):
        body = self.body(
            customer.pk, received_on=days_ago(2).isoformat(), due_date=days_ago(5).isoformat()
        )
        response = api_for(quality_manager).post(API_COMPLAINTS, body)
        assert response.status_code == 422
        assert "due_date" in response.json()["errors"]
        assert not Complaint.objects.exists()

    def test_response_sent_on_cannot_be_written(self, api_for, quality_manager, customer):
        body = self.body(customer.pk, response_sent_on=today().isoformat())
        response = api_for(quality_manager).post(API_COMPLAINTS, body)
        assert response.status_code == 422
        assert response.json()["errors"]["response_sent_on"] == ["Unknown field."]
        assert not Complaint.objects.exists()

    @pytest.mark.parametrize("name", ["internal_auditor", "external_auditor", "nobody"])
    def test_who_may_not_log_complaints_is_refused(self, api_for, person_named, customer, name):
        response = api_for(person_named(name)).post(API_COMPLAINTS, self.body(customer.pk))
        assert response.status_code == 403
        assert not Complaint.objects.exists()


# == the complaint workflow ===================================================================
class TestRaiseComplaintNonconformity:
    def test_it_opens_a_nonconformity_from_the_complaint_linked_both_ways(
        self, quality_manager, complaint, leeds
    ):
        Complaint.objects.filter(pk=complaint.pk).update(site=leeds)
        raised = feedback.RaiseComplaintNonconformity(quality_manager, fresh(complaint)).execute()

        nc = Nonconformity.objects.get()
        assert raised.nonconformity == nc
        assert fresh(complaint).nonconformity_id == nc.pk
        assert fresh(complaint).status == "open"  # the complaint stays where it was
        assert fresh(complaint).version == 2
        assert nc.source == "customer_complaint"
        assert nc.origin == fresh(complaint)
        assert nc.title == "Complaint from Northwind Pumps: Valve bodies leaking"
        assert nc.description == "Three of forty leaked at the customer's test."
        assert nc.product == "Valve body VB-20"
        assert nc.site == leeds
        assert nc.status == "reported"
        assert nc.detected_by == quality_manager
        entry = ChangeLogEntry.objects.get(
            object_type="operations.complaint",
            object_id=str(complaint.pk),
            action="raise-nonconformity",
        )
        assert entry.after["nonconformity"] == str(nc)

    @pytest.mark.parametrize(
        ("severity", "nc_severity"), [("critical", "major"), ("major", "major"), ("minor", "minor")]
    )
    def test_the_nonconformity_is_major_for_critical_and_major_complaints(
        self, quality_manager, customer, severity, nc_severity
    ):
        logged = log_complaint(quality_manager, customer, severity=severity)
        feedback.RaiseComplaintNonconformity(quality_manager, logged).execute()
        assert Nonconformity.objects.get().severity == nc_severity

    def test_it_is_raised_only_once(self, quality_manager, complaint):
        feedback.RaiseComplaintNonconformity(quality_manager, complaint).execute()
        with pytest.raises(ActionRefused) as refused:
            feedback.RaiseComplaintNonconformity(quality_manager, fresh(complaint)).execute()
        assert refused.value.message == f"{complaint.reference} already has its nonconformity."
        assert Nonconformity.objects.count() == 1
        assert fresh(complaint).version == 2

    def test_it_may_be_raised_after_the_response_was_sent(self, quality_manager, complaint):
        respond(quality_manager, complaint, justified=True)
        feedback.RaiseComplaintNonconformity(quality_manager, fresh(complaint)).execute()
        assert fresh(complaint).status == "responded"
        assert fresh(complaint).nonconformity is not None

    @pytest.mark.parametrize("status", ["closed", "withdrawn"])
    def test_it_is_refused_for_a_closed_or_withdrawn_complaint(
        self, quality_manager, complaint, status
    ):
        Complaint.objects.filter(pk=complaint.pk).update(status=status)
        with pytest.raises(ActionRefused) as refused:
            feedback.RaiseComplaintNonconformity(quality_manager, fresh(complaint)).execute()
        assert refused.value.message == f"{complaint.reference} is {status}."
        assert not Nonconformity.objects.exists()

    def test_it_is_refused_on_an_archived_complaint(self, quality_manager, complaint):
        Complaint.objects.filter(pk=complaint.pk).update(archived_at=timezone.now())
        with pytest.raises(ActionRefused, match="is archived"):
            feedback.RaiseComplaintNonconformity(quality_manager, fresh(complaint)).execute()
        assert not Nonconformity.objects.exists()

    def test_the_api_raises_it_and_answers_with_the_new_etag(
        self, api_for, process_owner, complaint
    ):
        response = api_for(process_owner).post(
            f"{API_COMPLAINTS}{complaint.reference}/actions/raise-nonconformity",
            {},
            **{"If-Match": complaint.etag},
        )
        assert response.status_code == 200, response.content
        assert response["ETag"] == '"2"'
        assert fresh(complaint).nonconformity.source == "customer_complaint"

    def test_the_api_shows_when_the_response_was_sent(self, api_for, quality_manager, complaint):
        respond(quality_manager, complaint, justified=False)
        body = api_for(quality_manager).get(f"{API_COMPLAINTS}{complaint.reference}").json()
        assert body["response_sent_on"] == today().isoformat()
        assert body["justified"] is False

    def test_the_api_shows_which_nonconformity_was_raised(
        self, api_for, quality_manager, complaint
    ):
        feedback.RaiseComplaintNonconformity(quality_manager, complaint).execute()
        body = api_for(quality_manager).get(f"{API_COMPLAINTS}{complaint.reference}").json()
        assert body["nonconformity"] == fresh(complaint).nonconformity_id


class TestSendResponse:
    def test_it_records_the_investigation_and_response_and_the_day_sent(
        self, quality_manager, complaint
    ):
        answered = respond(quality_manager, complaint, justified=True)
        saved = fresh(answered)
        assert saved.status == "responded"
        assert saved.justified is True
        assert saved.investigation.startswith("Seal seats machined")
        assert saved.response.startswith("Replacement bodies sent")
        assert saved.response_sent_on == today()
        assert saved.version == 2
        entry = ChangeLogEntry.objects.get(
            object_type="operations.complaint", object_id=str(complaint.pk), action="respond"
        )
        assert entry.after["status"] == "responded"
        assert entry.actor_name == "Quinn Quality"

    @pytest.mark.parametrize("missing", ["investigation", "response"])
    def test_the_investigation_and_the_response_are_required(
        self, quality_manager, complaint, missing
    ):
        with pytest.raises(InvalidInput) as refused:
            respond(quality_manager, complaint, **{missing: ""})
        assert missing in refused.value.errors
        saved = fresh(complaint)
        assert saved.status == "open"
        assert saved.response_sent_on is None
        assert saved.version == 1

    def test_whether_it_was_justified_must_be_said(self, quality_manager, complaint):
        with pytest.raises(InvalidInput) as refused:
            respond(quality_manager, complaint, justified=None)
        assert refused.value.errors == {"justified": ["Answer yes or no."]}
        assert fresh(complaint).status == "open"

    def test_the_page_asks_whether_it_was_justified(self, qm_client, complaint):
        response = qm_client.post(
            complaint_url(complaint, "do/respond/"),
            {"version": 1, "investigation": "Checked", "justified": "unknown", "response": "Ok"},
            follow=True,
        )
        assert "Justified: Answer yes or no." in messages_of(response)
        assert fresh(complaint).status == "open"

    def test_the_day_sent_may_be_given_but_not_tomorrow_nor_before_it_came(
        self, quality_manager, customer
    ):
        late = log_complaint(quality_manager, customer, received_on=days_ago(10))
        with pytest.raises(InvalidInput) as refused:
            respond(quality_manager, late, response_sent_on=in_days(1))
        assert refused.value.errors == {"response_sent_on": ["A response cannot be sent tomorrow."]}
        with pytest.raises(InvalidInput) as refused:
            respond(quality_manager, late, response_sent_on=days_ago(11))
        assert refused.value.errors == {
            "response_sent_on": ["The response was sent before the complaint came."]
        }
        assert fresh(late).status == "open"
        respond(quality_manager, late, response_sent_on=days_ago(2))
        assert fresh(late).response_sent_on == days_ago(2)

    def test_a_complaint_answered_cannot_be_edited_through_the_api(
        self, api_for, quality_manager, complaint
    ):
        respond(quality_manager, complaint)
        response = api_for(quality_manager).patch(
            f"{API_COMPLAINTS}{complaint.reference}",
            {"due_date": in_days(30).isoformat()},
            **{"If-Match": '"2"'},
        )
        assert response.status_code == 409
        assert response.json()["detail"] == f"{complaint.reference} is response sent."
        assert fresh(complaint).due_date == in_days(5)

    def test_the_api_names_the_missing_fields(self, api_for, quality_manager, complaint):
        response = api_for(quality_manager).post(
            f"{API_COMPLAINTS}{complaint.reference}/actions/respond",
            {"justified": False},
            **{"If-Match": complaint.etag},
        )
        assert response.status_code == 422
        assert {"investigation", "response"} <= set(response.json()["errors"])
        assert fresh(complaint).status == "open"

    def test_the_api_records_the_response(self, api_for, process_owner, complaint):
        response = api_for(process_owner).post(
            f"{API_COMPLAINTS}{complaint.reference}/actions/respond",
            {"investigation": "Checked", "justified": True, "response": "Replaced"},
            **{"If-Match": complaint.etag},
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["status"] == "responded"
        assert body["justified"] is True
        assert fresh(complaint).response_sent_on == today()

    def test_the_api_needs_if_match_and_the_current_version(
        self, api_for, quality_manager, complaint
    ):
        url = f"{API_COMPLAINTS}{complaint.reference}/actions/respond"
        body = {"investigation": "Checked", "justified": False, "response": "Replaced"}
        client = api_for(quality_manager)
        assert client.post(url, body).status_code == 428
        assert client.post(url, body, **{"If-Match": '"7"'}).status_code == 412
        assert fresh(complaint).status == "open"

    def test_a_response_already_sent_is_not_sent_again(self, quality_manager, complaint):
        respond(quality_manager, complaint)
        with pytest.raises(ActionRefused) as refused:
            respond(quality_manager, complaint)
        assert refused.value.message == (
            f"{complaint.reference} is response sent: “Record the response sent” does not apply "
            "now."
        )
        assert fresh(complaint).version == 2

    def test_the_page_records_the_response(self, qm_client, complaint):
        response = qm_client.post(
            complaint_url(complaint, "do/respond/"),
            {
                "version": complaint.version,
                "investigation": "Seat bore checked",
                "justified": "false",
                "response": "Not our part: another supplier's seal",
            },
            follow=True,
        )
        assert f"{complaint.reference}: done." in messages_of(response)
        saved = fresh(complaint)
        assert saved.status == "responded"
        assert saved.justified is False
        assert saved.response == "Not our part: another supplier's seal"

    def test_the_page_names_a_missing_response(self, qm_client, complaint):
        response = qm_client.post(
            complaint_url(complaint, "do/respond/"),
            {"version": 1, "investigation": "Checked", "justified": "true", "response": ""},
            follow=True,
        )
        assert "Response to the customer: This field is required." in messages_of(response)
        assert fresh(complaint).status == "open"


class TestCloseComplaint:
    def test_a_justified_complaint_without_its_nonconformity_is_refused(
        self, quality_manager, complaint
    ):
        respond(quality_manager, complaint, justified=True)
        with pytest.raises(ActionRefused) as refused:
            feedback.CloseComplaint(quality_manager, fresh(complaint)).execute()
        assert refused.value.message == (
            f"{complaint.reference} was found justified: raise its nonconformity first."
        )
        saved = fresh(complaint)
        assert saved.status == "responded"
        assert saved.version == 2

    def test_the_page_and_the_api_give_the_same_refusal(
        self, qm_client, api_for, quality_manager, complaint
    ):
        respond(quality_manager, complaint, justified=True)
        expected = f"{complaint.reference} was found justified: raise its nonconformity first."
        page = qm_client.post(complaint_url(complaint, "do/close/"), {"version": 2}, follow=True)
        assert expected in messages_of(page)
        api = api_for(quality_manager).post(
            f"{API_COMPLAINTS}{complaint.reference}/actions/close", {}, **{"If-Match": '"2"'}
        )
        assert api.status_code == 409
        assert api.json()["detail"] == expected
        assert fresh(complaint).status == "responded"

    def test_a_justified_complaint_closes_once_its_nonconformity_is_raised(
        self, quality_manager, complaint
    ):
        respond(quality_manager, complaint, justified=True)
        feedback.RaiseComplaintNonconformity(quality_manager, fresh(complaint)).execute()
        closed = feedback.CloseComplaint(quality_manager, fresh(complaint)).execute()
        assert fresh(closed).status == "closed"
        assert fresh(closed).due_date == in_days(5)  # kept: was it answered on time?

    def test_a_complaint_never_judged_justified_or_not_is_refused(self, quality_manager, complaint):
        respond(quality_manager, complaint)
        Complaint.objects.filter(pk=complaint.pk).update(justified=None)  # as an old row
        with pytest.raises(ActionRefused) as refused:
            feedback.CloseComplaint(quality_manager, fresh(complaint)).execute()
        assert refused.value.message == f"Say whether {complaint.reference} was justified first."
        assert fresh(complaint).status == "responded"

    def test_an_unjustified_complaint_closes_without_a_nonconformity(
        self, quality_manager, complaint
    ):
        respond(quality_manager, complaint, justified=False)
        feedback.CloseComplaint(quality_manager, fresh(complaint)).execute()
        assert fresh(complaint).status == "closed"
        assert not Nonconformity.objects.exists()

    def test_an_open_complaint_is_answered_before_it_closes(self, quality_manager, complaint):
        with pytest.raises(ActionRefused) as refused:
            feedback.CloseComplaint(quality_manager, complaint).execute()
        assert refused.value.message == (
            f"{complaint.reference} is open: “Close” does not apply now."
        )
        assert fresh(complaint).status == "open"


class TestWithdrawComplaint:
    def test_it_needs_a_reason_and_keeps_it_in_the_change_log(self, quality_manager, complaint):
        with pytest.raises(InvalidInput) as refused:
            feedback.WithdrawComplaint(quality_manager, complaint, reason="  ").execute()
        assert refused.value.errors == {"reason": ["Give a reason."]}
        assert fresh(complaint).status == "open"

        feedback.WithdrawComplaint(
            quality_manager, fresh(complaint), reason="Customer found their own fitting error"
        ).execute()

        saved = fresh(complaint)
        assert saved.status == "withdrawn"
        assert saved.due_date == in_days(5)
        entry = ChangeLogEntry.objects.get(
            object_type="operations.complaint", object_id=str(complaint.pk), action="withdraw"
        )
        assert entry.reason == "Customer found their own fitting error"

    def test_the_api_names_the_missing_reason(self, api_for, quality_manager, complaint):
        response = api_for(quality_manager).post(
            f"{API_COMPLAINTS}{complaint.reference}/actions/withdraw",
            {},
            **{"If-Match": complaint.etag},
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {"reason": ["Give a reason."]}
        assert fresh(complaint).status == "open"

    def test_an_answered_complaint_cannot_be_withdrawn(self, quality_manager, complaint):
        respond(quality_manager, complaint)
        with pytest.raises(ActionRefused) as refused:
            feedback.WithdrawComplaint(
                quality_manager, fresh(complaint), reason="Changed their mind"
            ).execute()
        assert refused.value.message == (
            f"{complaint.reference} is response sent: “Withdrawn by the customer” does not "
            "apply now."
        )
        assert fresh(complaint).status == "responded"

    def test_the_page_offers_the_actions_of_the_state(self, qm_client, quality_manager, complaint):
        page = qm_client.get(complaint_url(complaint)).content.decode()
        for code in ["raise-nonconformity", "respond", "withdraw"]:
            assert f"do/{code}/" in page
        assert "do/close/" not in page
        respond(quality_manager, complaint)
        page = qm_client.get(complaint_url(complaint)).content.decode()
        assert "do/close/" in page
        assert "do/respond/" not in page and "do/withdraw/" not in page


# -- the workflow, role by role, on the page and through the API --------------------------------
ACTION_RIGHTS = {
    # 10.2: raising the complaint's own nonconformity links it to the complaint, so it needs
    # the right to report one and to change the complaint; answering, closing and
    # withdrawing are the customer team's.
    "raise-nonconformity": CUSTOMER_TEAM,
    "respond": CUSTOMER_TEAM,
    "close": CUSTOMER_TEAM,
    "withdraw": CUSTOMER_TEAM,
}
ACTION_LABELS = {
    "raise-nonconformity": "raise a nonconformity",
    "respond": "record the response sent",
    "close": "close",
    "withdraw": "withdrawn by the customer",
}
STATUS_AFTER = {"respond": "responded", "close": "closed", "withdraw": "withdrawn"}
MATRIX = [(code, name) for code in ACTION_RIGHTS for name in PERSONAS]


class TestComplaintActionsPerRole:
    @pytest.fixture
    def ready(self, quality_manager, complaint):
        """ready(code) -> a complaint in the state the action starts from."""

        def make(code):
            return respond(quality_manager, complaint) if code == "close" else complaint

        return make

    def web_data(self, code, version):
        data = {"version": version}
        if code == "respond":
            data.update(investigation="Checked", justified="false", response="Replaced")
        if code == "withdraw":
            data["reason"] = "Customer's own fitting error"
        return data

    def api_data(self, code):
        if code == "respond":
            return {"investigation": "Checked", "justified": False, "response": "Replaced"}
        if code == "withdraw":
            return {"reason": "Customer's own fitting error"}
        return {}

    def done(self, code, complaint) -> bool:
        saved = fresh(complaint)
        if code == "raise-nonconformity":
            return saved.nonconformity_id is not None
        return saved.status == STATUS_AFTER[code]

    @pytest.mark.parametrize(("code", "name"), MATRIX)
    def test_on_the_page(self, client_for, person_named, ready, code, name):
        complaint = ready(code)
        version = fresh(complaint).version
        ncs = Nonconformity.objects.count()

        response = client_for(person_named(name)).post(
            complaint_url(complaint, f"do/{code}/"), self.web_data(code, version), follow=True
        )

        if name in ACTION_RIGHTS[code]:
            assert f"{complaint.reference}: done." in messages_of(response)
            assert self.done(code, complaint)
            assert fresh(complaint).version == version + 1
        else:
            if name == "nobody":
                assert response.status_code == 403
            else:
                assert f"You do not have the right to {ACTION_LABELS[code]}." in (
                    messages_of(response)
                )
            assert not self.done(code, complaint)
            assert fresh(complaint).version == version
            assert Nonconformity.objects.count() == ncs

    @pytest.mark.parametrize(("code", "name"), MATRIX)
    def test_through_the_api(self, api_for, person_named, ready, code, name):
        complaint = ready(code)
        version = fresh(complaint).version
        ncs = Nonconformity.objects.count()

        response = api_for(person_named(name)).post(
            f"{API_COMPLAINTS}{complaint.reference}/actions/{code}",
            self.api_data(code),
            **{"If-Match": f'"{version}"'},
        )

        if name in ACTION_RIGHTS[code]:
            assert response.status_code == 200, response.content
            assert response["ETag"] == f'"{version + 1}"'
            assert self.done(code, complaint)
        else:
            assert response.status_code == 403
            assert not self.done(code, complaint)
            assert fresh(complaint).version == version
            assert Nonconformity.objects.count() == ncs

    def test_a_person_outside_the_complaints_site_cannot_act_on_it(
        self, api_for, quality_manager, customer, leeds_manager, porto
    ):
        abroad = log_complaint(quality_manager, customer, site=porto)
        response = api_for(leeds_manager).post(
            f"{API_COMPLAINTS}{abroad.reference}/actions/respond",
            self.api_data("respond"),
            **{"If-Match": abroad.etag},
        )
        assert response.status_code == 404
        assert fresh(abroad).status == "open"

    def test_an_unknown_action_is_not_found(self, api_for, quality_manager, complaint):
        response = api_for(quality_manager).post(
            f"{API_COMPLAINTS}{complaint.reference}/actions/reopen", {}, **{"If-Match": '"1"'}
        )
        assert response.status_code == 404
        assert fresh(complaint).version == 1


# -- response-due reminders ------------------------------------------------------------------
class TestComplaintReminders:
    def reminders(self):
        return Notification.objects.filter(object_type="operations.complaint")

    def test_a_response_due_in_two_days_reminds_the_owner_and_the_quality_team(
        self, quality_manager, process_owner, customer
    ):
        due = log_complaint(quality_manager, customer, severity="critical", owner=process_owner)
        assert create_reminders() == 2
        to_owner = self.reminders().get(recipient_person=process_owner)
        to_role = self.reminders().get(recipient_role=RoleCode.QUALITY_MANAGER)
        for notification in (to_owner, to_role):
            assert notification.kind == NotificationKind.DUE
            assert notification.reference == due.reference
            assert notification.message == f"Response due in 2 days ({in_days(2).isoformat()})."
            assert notification.link == complaint_url(due)

    def test_due_today_reminds_again_and_later_ones_wait(self, quality_manager, customer):
        log_complaint(quality_manager, customer, severity="minor", due_date=today())
        log_complaint(quality_manager, customer, severity="minor")  # 10 days out: nothing yet
        assert create_reminders() == 1
        assert self.reminders().get().message == f"Response due today ({today().isoformat()})."

    def test_an_overdue_response_is_reminded_once(self, quality_manager, customer):
        late = log_complaint(quality_manager, customer, severity="minor")
        Complaint.objects.filter(pk=late.pk).update(due_date=days_ago(3))
        assert create_reminders() == 1
        overdue = self.reminders().get()
        assert overdue.kind == NotificationKind.OVERDUE
        assert overdue.message == f"Overdue: response due {days_ago(3).isoformat()}, 3 days ago."
        assert create_reminders() == 0

    @pytest.mark.parametrize("step", ["respond", "withdraw", "archive"])
    def test_an_answered_withdrawn_or_archived_complaint_stops_reminding(
        self, quality_manager, customer, step
    ):
        due = log_complaint(quality_manager, customer, severity="critical")
        if step == "respond":
            respond(quality_manager, due)
        elif step == "withdraw":
            feedback.WithdrawComplaint(quality_manager, due, reason="Their error").execute()
        else:
            Complaint.objects.filter(pk=due.pk).update(archived_at=timezone.now())
        assert create_reminders() == 0
        assert not self.reminders().exists()


# == surveys ==================================================================================
class TestSatisfactionFigures:
    """CSAT: % of satisfaction scores of 4 or 5 among those who gave one. NPS: % of promoters
    (9–10) less % of detractors (0–6) among those who rated the recommendation."""

    @pytest.mark.parametrize(
        ("rows", "count", "csat", "nps"),
        [
            (
                [
                    {"satisfaction": s, "recommend": r}
                    for s, r in zip([5, 4, 3, 2, 1], [10, 9, 8, 7, 6], strict=True)
                ],
                5,
                Decimal("40.0"),
                Decimal("20.0"),
            ),
            # Only one of the two scores: each figure counts only those who gave its score.
            (
                [{"satisfaction": 5}, {"satisfaction": 2}, {"recommend": 10}],
                3,
                Decimal("50.0"),
                Decimal("100.0"),
            ),
            (
                [{"satisfaction": 5}, {"satisfaction": 4}, {"satisfaction": 1}],
                3,
                Decimal("66.7"),
                None,
            ),
            ([{"recommend": 10}, {"recommend": 0}, {"recommend": 3}], 3, None, Decimal("-33.3")),
            ([{"recommend": 6}, {"recommend": 0}], 2, None, Decimal("-100.0")),
            # Passives (7–8) count among those rated but are neither promoters nor detractors.
            ([{"recommend": 7}, {"recommend": 8}, {"recommend": 9}], 3, None, Decimal("33.3")),
            # 3 is not satisfied; 4 is.
            (
                [{"satisfaction": 3}, {"satisfaction": 3}, {"satisfaction": 4}],
                3,
                Decimal("33.3"),
                None,
            ),
        ],
    )
    def test_figures_on_small_sets(self, quality_manager, survey, rows, count, csat, nps):
        saved = fresh(add_responses(quality_manager, survey, rows))
        assert saved.response_count == count
        assert saved.csat == csat
        assert saved.nps == nps
        assert feedback.satisfaction(saved.responses.all()) == {
            "response_count": count,
            "csat": csat,
            "nps": nps,
        }

    def test_figures_are_worked_out_again_over_every_response(self, quality_manager, survey):
        add_responses(quality_manager, survey, [{"satisfaction": 5, "recommend": 10}])
        assert (fresh(survey).csat, fresh(survey).nps) == (Decimal("100.0"), Decimal("100.0"))
        add_responses(
            quality_manager, fresh(survey), [{"satisfaction": 2, "recommend": 2}, {"recommend": 8}]
        )
        saved = fresh(survey)
        assert saved.response_count == 3
        assert saved.csat == Decimal("50.0")  # 1 of the 2 who scored satisfaction
        assert saved.nps == Decimal("0.0")  # 1 promoter, 1 detractor, 1 passive
        assert saved.version == 3

    def test_no_responses_give_no_figures(self, survey):
        assert feedback.satisfaction(survey.responses.all()) == {
            "response_count": 0,
            "csat": None,
            "nps": None,
        }

    def test_a_response_with_neither_score_is_refused(self, quality_manager, survey):
        with pytest.raises(InvalidInput) as refused:
            add_responses(quality_manager, survey, [{"comment": "Nice people"}])
        assert refused.value.errors == {
            "__all__": ["Row 1: A response needs a satisfaction or a recommendation score."]
        }
        assert not SurveyResponse.objects.exists()
        assert fresh(survey).version == 1

    def test_the_change_log_says_how_many_were_added(self, quality_manager, survey):
        add_responses(quality_manager, survey, [{"satisfaction": 5}, {"satisfaction": 4}])
        entry = ChangeLogEntry.objects.get(
            object_type="operations.survey", object_id=str(survey.pk), action="add-responses"
        )
        assert entry.after["responses_added"] == 2
        assert entry.after["response_count"] == 2
        assert entry.before["response_count"] == 0
        assert Decimal(str(entry.after["csat"])) == Decimal("100.0")


class TestSurveyResponsesPage:
    """The survey page's own form and CSV import (POST .../responses/)."""

    def post(self, client, survey, data, **extra):
        return client.post(
            survey_url(survey, "responses/"), {"version": fresh(survey).version, **data}, **extra
        )

    def test_one_response_is_added_from_the_form(self, qm_client, survey, customer):
        response = self.post(
            qm_client,
            survey,
            {"satisfaction": "4", "recommend": "9", "customer": "Northwind Pumps", "comment": "Ok"},
            follow=True,
        )
        assert "1 response added." in messages_of(response)
        answer = SurveyResponse.objects.get()
        assert (answer.satisfaction, answer.recommend, answer.customer) == (4, 9, customer)
        assert answer.comment == "Ok"
        saved = fresh(survey)
        assert (saved.response_count, saved.csat, saved.nps) == (
            1,
            Decimal("100.0"),
            Decimal("100.0"),
        )
        assert response.redirect_chain[-1][0] == survey_url(survey)

    def test_a_customer_is_named_by_reference_or_left_out(self, qm_client, survey, customer):
        self.post(qm_client, survey, {"satisfaction": "5", "customer": customer.reference})
        self.post(qm_client, survey, {"recommend": "3"})
        assert list(SurveyResponse.objects.values_list("customer", flat=True)) == [
            customer.pk,
            None,
        ]
        assert fresh(survey).nps == Decimal("-100.0")

    def test_a_score_out_of_range_is_refused_naming_the_field(self, qm_client, survey):
        response = self.post(qm_client, survey, {"satisfaction": "6"}, follow=True)
        assert "Satisfaction: Ensure this value is less than or equal to 5." in messages_of(
            response
        )
        assert not SurveyResponse.objects.exists()
        assert fresh(survey).version == 1

    def test_an_empty_response_is_refused(self, qm_client, survey):
        response = self.post(qm_client, survey, {"comment": "No scores"}, follow=True)
        assert "A response needs a satisfaction or a recommendation score." in messages_of(response)
        assert not SurveyResponse.objects.exists()

    def test_an_unknown_customer_is_refused(self, qm_client, survey):
        response = self.post(
            qm_client, survey, {"satisfaction": "5", "customer": "Globex"}, follow=True
        )
        assert "No customer you may see is called 'Globex'." in messages_of(response)
        assert not SurveyResponse.objects.exists()
        assert not Customer.objects.filter(title="Globex").exists()  # refused, not created

    def test_a_stale_form_is_refused(self, qm_client, quality_manager, survey):
        add_responses(quality_manager, survey, [{"satisfaction": 5}])
        response = qm_client.post(
            survey_url(survey, "responses/"), {"version": 1, "satisfaction": "1"}, follow=True
        )
        assert "was changed by Quinn Quality" in messages_of(response)
        assert SurveyResponse.objects.count() == 1

    # -- CSV import -------------------------------------------------------------------------
    def test_a_csv_file_is_imported_and_the_figures_worked_out(self, qm_client, survey, customer):
        text = (
            "Satisfaction,Recommend,Customer,Comment\n"
            "5,10,Northwind Pumps,Great\n"
            "2,,,\n"
            ",6,,Slow answers\n"
        )
        response = self.post(qm_client, survey, {"file": csv_file(text)}, follow=True)
        assert "3 responses added." in messages_of(response)
        saved = fresh(survey)
        assert saved.response_count == 3
        assert saved.csat == Decimal("50.0")
        assert saved.nps == Decimal("0.0")
        assert SurveyResponse.objects.filter(customer=customer).count() == 1

    def test_a_file_with_a_byte_order_mark_is_read(self, qm_client, survey):
        text = "\ufeffsatisfaction\n5\n"
        self.post(qm_client, survey, {"file": csv_file(text)})
        assert fresh(survey).response_count == 1

    def test_one_bad_row_and_none_is_added(self, qm_client, quality_manager, survey):
        add_responses(quality_manager, survey, [{"satisfaction": 5}])
        text = "satisfaction,recommend\n5,10\n7,9\n4,8\n"
        response = self.post(qm_client, survey, {"file": csv_file(text)}, follow=True)
        message = messages_of(response)
        assert "Row 2: Ensure this value is less than or equal to 5." in message
        assert SurveyResponse.objects.count() == 1
        saved = fresh(survey)
        assert (saved.response_count, saved.version) == (1, 2)

    def test_the_import_message_names_the_row_and_the_field(self, qm_client, survey):
        text = "satisfaction,recommend\n5,10\n5,12\n"
        response = self.post(qm_client, survey, {"file": csv_file(text)}, follow=True)
        message = messages_of(response)
        assert "Row 2" in message
        assert re.search(r"recommend", message, re.I)
        assert not SurveyResponse.objects.exists()

    def test_a_score_that_is_not_a_number_is_refused_naming_the_row(self, qm_client, survey):
        text = "satisfaction,recommend\n5,10\nvery good,9\n"
        response = self.post(qm_client, survey, {"file": csv_file(text)}, follow=True)
        assert "Row 2: 'very good' is not a whole number." in messages_of(response)
        assert not SurveyResponse.objects.exists()

    def test_an_unknown_customer_name_in_the_file_is_refused(self, qm_client, survey, customer):
        text = "satisfaction,customer\n5,Northwind Pumps\n4,Globex\n"
        response = self.post(qm_client, survey, {"file": csv_file(text)}, follow=True)
        assert "Row 2: No customer you may see is called 'Globex'." in messages_of(response)
        assert not SurveyResponse.objects.exists()
        assert not Customer.objects.filter(title="Globex").exists()

    def test_a_customer_outside_my_sites_is_refused_like_an_unknown_one(
        self, client_for, quality_manager, leeds_manager, porto
    ):
        make_customer(quality_manager, title="Porto Bombas", site=porto)
        survey = make_survey(leeds_manager)
        text = "satisfaction,customer\n5,Porto Bombas\n"
        response = self.post(
            client_for(leeds_manager), survey, {"file": csv_file(text)}, follow=True
        )
        assert "Row 1: No customer you may see is called 'Porto Bombas'." in messages_of(response)
        assert not SurveyResponse.objects.exists()

    def test_a_name_two_customers_share_is_refused_asking_for_the_reference(
        self, qm_client, quality_manager, survey
    ):
        first = make_customer(quality_manager, title="Acme")
        make_customer(quality_manager, title="Acme")
        text = "satisfaction,customer\n5,Acme\n"
        response = self.post(qm_client, survey, {"file": csv_file(text)}, follow=True)
        assert "Row 1: Several customers are called 'Acme': give the reference." in (
            messages_of(response)
        )
        assert not SurveyResponse.objects.exists()
        self.post(
            qm_client, survey, {"file": csv_file(f"satisfaction,customer\n5,{first.reference}\n")}
        )
        assert SurveyResponse.objects.get().customer == first

    def test_an_archived_customer_is_not_named(self, qm_client, quality_manager, survey, customer):
        Customer.objects.filter(pk=customer.pk).update(archived_at=timezone.now())
        response = self.post(
            qm_client, survey, {"satisfaction": "5", "customer": "Northwind Pumps"}, follow=True
        )
        assert "No customer you may see is called 'Northwind Pumps'." in messages_of(response)
        assert not SurveyResponse.objects.exists()

    def test_the_imported_file_is_kept_with_the_survey(self, qm_client, survey):
        text = "satisfaction,recommend\n5,10\n4,6\n"
        self.post(qm_client, survey, {"file": csv_file(text, name="spring.csv")})
        (kept,) = Attachment.objects.filter(content_type__model="survey", object_id=str(survey.pk))
        assert kept.filename == "spring.csv"
        assert kept.sha256 == hashlib.sha256(text.encode()).hexdigest()
        assert fresh(survey).response_count == 2

    def test_a_refused_import_keeps_no_file(self, qm_client, survey):
        self.post(qm_client, survey, {"file": csv_file("satisfaction\n5\n9\n")})
        assert not Attachment.objects.filter(content_type__model="survey").exists()
        assert not SurveyResponse.objects.exists()

    def test_too_many_rows_at_once_are_refused(self, qm_client, survey):
        with override_settings(NORMA_IMPORT_MAX_ROWS=2):
            response = self.post(
                qm_client, survey, {"file": csv_file("satisfaction\n5\n4\n3\n")}, follow=True
            )
        assert "At most 2 responses at once." in messages_of(response)
        assert not SurveyResponse.objects.exists()

    BAD_CSV = "satisfaction,comment\n5,ok\n4," + "x" * 140_000 + "\n"  # over csv's field limit

    def test_a_file_that_is_not_valid_csv_is_refused(self, qm_client, survey):
        response = self.post(qm_client, survey, {"file": csv_file(self.BAD_CSV)}, follow=True)
        assert "The file is not valid CSV" in messages_of(response)
        assert "field larger than field limit (131072)" in messages_of(response)
        assert not SurveyResponse.objects.exists()
        assert fresh(survey).version == 1

    def test_the_message_names_the_line_that_is_not_valid_csv(self, qm_client, survey):
        response = self.post(qm_client, survey, {"file": csv_file(self.BAD_CSV)}, follow=True)
        assert "The file is not valid CSV (line 3)" in messages_of(response)

    @pytest.mark.parametrize("header", ["score,comment", "customer,comment", ""])
    def test_a_file_without_a_score_column_is_refused(self, qm_client, survey, header):
        text = f"{header}\n5,Good\n" if header else "\n\n"
        response = self.post(qm_client, survey, {"file": csv_file(text)}, follow=True)
        assert "The file needs a 'satisfaction' or a 'recommend' column." in messages_of(response)
        assert not SurveyResponse.objects.exists()

    def test_a_file_that_is_not_utf8_is_refused(self, qm_client, survey):
        data = "satisfaction,customer\n5,Müller Armaturen\n".encode("latin-1")
        response = self.post(qm_client, survey, {"file": csv_file(data)}, follow=True)
        assert "The file is not UTF-8 text." in messages_of(response)
        assert not SurveyResponse.objects.exists()

    def test_a_file_with_a_header_only_adds_nothing(self, qm_client, survey):
        response = self.post(
            qm_client, survey, {"file": csv_file("satisfaction,recommend\n")}, follow=True
        )
        assert "There are no responses to add." in messages_of(response)
        assert fresh(survey).version == 1

    def test_a_file_of_another_type_is_refused(self, qm_client, survey):
        response = self.post(
            qm_client, survey, {"file": csv_file("satisfaction\n5\n", name="r.exe")}, follow=True
        )
        assert "Files of type '.exe' are not accepted." in messages_of(response)
        assert not SurveyResponse.objects.exists()

    # -- who may add them -------------------------------------------------------------------
    @pytest.mark.parametrize("name", PERSONAS)
    def test_only_the_customer_team_adds_responses(self, client_for, person_named, survey, name):
        client = client_for(person_named(name))
        response = self.post(client, survey, {"satisfaction": "5"}, follow=True)
        if name in CUSTOMER_TEAM:
            assert "1 response added." in messages_of(response)
            assert SurveyResponse.objects.count() == 1
        else:
            if name == "nobody":
                assert response.status_code == 403
            else:
                assert "You do not have the right to add responses." in messages_of(response)
            assert not SurveyResponse.objects.exists()
            assert fresh(survey).version == 1

    @pytest.mark.parametrize("name", EVERYONE)
    def test_the_page_offers_the_forms_only_to_who_may_use_them(
        self, client_for, person_named, survey, name
    ):
        page = client_for(person_named(name)).get(survey_url(survey)).content.decode()
        offered = "Add the response" in page and "Import a CSV file" in page
        assert offered == (name in CUSTOMER_TEAM)

    def test_a_survey_outside_my_sites_is_not_found(
        self, client_for, quality_manager, leeds_manager, porto
    ):
        abroad = make_survey(quality_manager, site=porto)
        response = self.post(client_for(leeds_manager), abroad, {"satisfaction": "5"})
        assert response.status_code == 404
        assert not SurveyResponse.objects.exists()

    def test_the_results_and_charts_show_on_the_survey_page(
        self, qm_client, quality_manager, survey
    ):
        add_responses(
            quality_manager,
            survey,
            [
                {"satisfaction": 5, "recommend": 10},
                {"satisfaction": 3, "recommend": 5},
                {"satisfaction": 4, "recommend": 7},
            ],
        )
        response = qm_client.get(survey_url(survey))
        charts = charts_on(response)
        assert figures(charts["Satisfaction scores"]) == {
            "5 of 5": "1",
            "4 of 5": "1",
            "3 of 5": "1",
            "2 of 5": "0",
            "1 of 5": "0",
        }
        assert figures(charts["Likelihood to recommend"]) == {
            "Detractors (0–6)": "1",
            "Passives (7–8)": "1",
            "Promoters (9–10)": "1",
        }
        text = text_of(response)
        assert "66.7 % scored 4 or 5 out of 5" in text
        assert "0 (promoters less detractors" in text


class TestSurveyResponsesApi:
    def url(self, survey):
        return f"{API_SURVEYS}{survey.reference}/responses"

    def test_responses_are_added_and_the_figures_returned(
        self, api_for, quality_manager, survey, customer
    ):
        rows = [
            {"satisfaction": 5, "recommend": 9, "customer": customer.reference},
            {"satisfaction": 1},
            {"recommend": 3, "customer": "Northwind Pumps", "comment": "Late twice"},
        ]
        response = api_for(quality_manager).post(
            self.url(survey), {"responses": rows}, **{"If-Match": survey.etag}
        )
        assert response.status_code == 200, response.content
        assert response.json() == {
            "reference": survey.reference,
            "status": "open",
            "response_count": 3,
            "csat": 50.0,
            "nps": 0.0,
            "added": 3,
        }
        assert response["ETag"] == '"2"'
        assert SurveyResponse.objects.filter(customer=customer).count() == 2

    def test_if_match_is_required(self, api_for, quality_manager, survey):
        client = api_for(quality_manager)
        body = {"responses": [{"satisfaction": 5}]}
        assert client.post(self.url(survey), body).status_code == 428
        assert client.post(self.url(survey), body, **{"If-Match": '"9"'}).status_code == 412
        assert not SurveyResponse.objects.exists()

    def test_one_bad_row_and_none_is_added_the_row_and_field_named(
        self, api_for, quality_manager, survey
    ):
        rows = [{"satisfaction": 5}, {"satisfaction": 4, "recommend": 11}, {"satisfaction": 3}]
        response = api_for(quality_manager).post(
            self.url(survey), {"responses": rows}, **{"If-Match": survey.etag}
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {
            "recommend": ["Row 2: Ensure this value is less than or equal to 10."]
        }
        assert not SurveyResponse.objects.exists()
        assert fresh(survey).version == 1

    def test_an_unknown_customer_is_refused_naming_the_row(self, api_for, quality_manager, survey):
        rows = [{"satisfaction": 5, "customer": "Globex"}]
        response = api_for(quality_manager).post(
            self.url(survey), {"responses": rows}, **{"If-Match": survey.etag}
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {
            "customer": ["Row 1: No customer you may see is called 'Globex'."]
        }
        assert not SurveyResponse.objects.exists()

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"responses": []}, "responses"),
            ({"responses": [{"score": 5}]}, "responses.0.score"),
            ({"responses": [{"satisfaction": "very"}]}, "responses.0.satisfaction"),
            ({}, "responses"),
        ],
    )
    def test_a_malformed_body_is_refused_naming_the_field(
        self, api_for, quality_manager, survey, body, field
    ):
        response = api_for(quality_manager).post(
            self.url(survey), body, **{"If-Match": survey.etag}
        )
        assert response.status_code == 422
        assert field in response.json()["errors"]
        assert not SurveyResponse.objects.exists()

    @pytest.mark.parametrize("name", PERSONAS)
    def test_only_the_customer_team_adds_responses(self, api_for, person_named, survey, name):
        response = api_for(person_named(name)).post(
            self.url(survey), {"responses": [{"satisfaction": 5}]}, **{"If-Match": survey.etag}
        )
        assert response.status_code == (200 if name in CUSTOMER_TEAM else 403)
        assert SurveyResponse.objects.count() == (1 if name in CUSTOMER_TEAM else 0)

    def test_the_generic_action_endpoint_points_to_the_own_one(
        self, api_for, quality_manager, survey
    ):
        response = api_for(quality_manager).post(
            f"{API_SURVEYS}{survey.reference}/actions/add-responses",
            {},
            **{"If-Match": survey.etag},
        )
        assert response.status_code == 404
        assert "has an endpoint of its own" in response.json()["detail"]

    def test_reading_a_survey_gives_its_results(self, api_for, quality_manager, survey):
        add_responses(quality_manager, survey, [{"satisfaction": 5, "recommend": 10}])
        body = api_for(quality_manager).get(f"{API_SURVEYS}{survey.reference}").json()
        assert body["response_count"] == 1
        assert body["csat"] == 100.0
        assert body["nps"] == 100.0


class TestCloseSurvey:
    def test_a_survey_without_responses_cannot_close(self, quality_manager, survey):
        with pytest.raises(ActionRefused) as refused:
            close_survey(quality_manager, survey)
        assert refused.value.message == f"{survey.reference} has no responses yet."
        assert fresh(survey).status == "open"
        assert fresh(survey).closed_on is None

    def test_closing_keeps_the_results_and_the_conclusions(self, quality_manager, survey):
        add_responses(quality_manager, survey, [{"satisfaction": 5, "recommend": 10}])
        close_survey(quality_manager, survey, conclusions="Keep the delivery promise.")
        saved = fresh(survey)
        assert saved.status == "closed"
        assert saved.closed_on == today()
        assert saved.conclusions == "Keep the delivery promise."
        assert (saved.csat, saved.nps, saved.response_count) == (
            Decimal("100.0"),
            Decimal("100.0"),
            1,
        )

    def test_the_day_it_closed_may_be_given_within_its_period_and_not_tomorrow(
        self, quality_manager, survey
    ):
        add_responses(quality_manager, survey, [{"satisfaction": 4}])
        for day, error in [
            (in_days(1), "A survey cannot be closed tomorrow."),
            (days_ago(181), "It closes after its period starts."),
        ]:
            with pytest.raises(InvalidInput) as refused:
                close_survey(quality_manager, survey, closed_on=day)
            assert refused.value.errors == {"closed_on": [error]}
            assert fresh(survey).status == "open"
        close_survey(quality_manager, survey, closed_on=days_ago(3))
        assert fresh(survey).closed_on == days_ago(3)

    def test_the_page_and_the_api_refuse_closing_an_empty_survey(
        self, qm_client, api_for, quality_manager, survey
    ):
        page = qm_client.post(survey_url(survey, "do/close/"), {"version": 1}, follow=True)
        assert f"{survey.reference} has no responses yet." in messages_of(page)
        api = api_for(quality_manager).post(
            f"{API_SURVEYS}{survey.reference}/actions/close", {}, **{"If-Match": '"1"'}
        )
        assert api.status_code == 409
        assert api.json()["detail"] == f"{survey.reference} has no responses yet."
        assert fresh(survey).status == "open"

    @pytest.mark.parametrize("name", PERSONAS)
    def test_only_the_customer_team_closes_a_survey(
        self, api_for, person_named, quality_manager, survey, name
    ):
        add_responses(quality_manager, survey, [{"satisfaction": 4}])
        response = api_for(person_named(name)).post(
            f"{API_SURVEYS}{survey.reference}/actions/close", {}, **{"If-Match": '"2"'}
        )
        allowed = name in CUSTOMER_TEAM
        assert response.status_code == (200 if allowed else 403)
        assert fresh(survey).status == ("closed" if allowed else "open")

    @pytest.fixture
    def closed(self, quality_manager, survey):
        add_responses(quality_manager, survey, [{"satisfaction": 4, "recommend": 9}])
        return close_survey(quality_manager, survey)

    def test_a_closed_survey_takes_no_more_responses(
        self, qm_client, api_for, quality_manager, closed
    ):
        expected = f"{closed.reference} is closed: no more responses."
        with pytest.raises(ActionRefused, match=re.escape(expected)):
            add_responses(quality_manager, fresh(closed), [{"satisfaction": 1}])
        page = TestSurveyResponsesPage().post(
            qm_client, closed, {"file": csv_file("satisfaction\n1\n")}, follow=True
        )
        assert expected in messages_of(page)
        api = api_for(quality_manager).post(
            f"{API_SURVEYS}{closed.reference}/responses",
            {"responses": [{"satisfaction": 1}]},
            **{"If-Match": fresh(closed).etag},
        )
        assert api.status_code == 409
        assert api.json()["detail"] == expected
        assert SurveyResponse.objects.count() == 1
        assert fresh(closed).csat == Decimal("100.0")
        assert "Add the response" not in qm_client.get(survey_url(closed)).content.decode()

    def test_a_closed_survey_cannot_be_edited(self, qm_client, api_for, quality_manager, closed):
        expected = f"{closed.reference} is closed: its results are a record now."
        with pytest.raises(ActionRefused, match=re.escape(expected)):
            UpdateRecord(quality_manager, fresh(closed), data={"title": "Renamed"}).execute()
        page = qm_client.get(survey_url(closed, "edit/"), follow=True)
        assert expected in messages_of(page)
        data = form_data(SurveyRegister, fresh(closed), title="Renamed")
        assert qm_client.post(survey_url(closed, "edit/"), data).status_code == 409
        api = api_for(quality_manager).patch(
            f"{API_SURVEYS}{closed.reference}",
            {"title": "Renamed"},
            **{"If-Match": fresh(closed).etag},
        )
        assert api.status_code == 409
        assert fresh(closed).title == "Customer survey 2025"

    def test_a_closed_survey_cannot_close_again(self, quality_manager, closed):
        with pytest.raises(ActionRefused, match="is closed: “Close and keep the results”"):
            close_survey(quality_manager, closed)


# == the customer feedback dashboard ==========================================================
class TestFeedbackDashboard:
    def open(self, client, **query):
        response = client.get(FEEDBACK, query)
        assert response.status_code == 200
        return response, charts_on(response)

    @pytest.mark.parametrize("name", PERSONAS)
    def test_who_may_see_it(self, client_for, person_named, name):
        response = client_for(person_named(name)).get(FEEDBACK)
        assert response.status_code == (403 if name == "nobody" else 200)

    def test_it_needs_a_sign_in(self, client, db):
        response = client.get(FEEDBACK)
        assert response.status_code == 302
        assert "login" in response["Location"]

    def test_the_charts_show_the_complaints_by_product_and_severity(
        self, qm_client, quality_manager, customer
    ):
        for product, severity in [
            ("Valve body VB-20", "critical"),
            ("Valve body VB-20", "major"),
            ("Pump seal PS-1", "major"),
            ("", "minor"),
        ]:
            log_complaint(quality_manager, customer, product=product, severity=severity)
        complaint_row(customer, product="Old part", received_on=month_start(13))  # out of period
        complaint_row(customer, product="Archived", archived_at=timezone.now())

        response, charts = self.open(qm_client)

        assert set(charts) == {
            "Complaints received per month",
            "Complaints per product",
            "Complaints by severity",
            "Compliments received per month",
        }
        assert figures(charts["Complaints per product"]) == {
            "Valve body VB-20": "2",
            "Pump seal PS-1": "1",
        }
        assert figures(charts["Complaints by severity"]) == {
            "Critical": "1",
            "Major": "2",
            "Minor": "1",
        }
        per_month = figures(charts["Complaints received per month"])
        assert per_month[month_start(0).strftime("%b %y")] == "4"
        assert sum(int(n) for n in per_month.values()) == 4
        text = text_of(response)
        assert f"4 complaints and 0 compliments since {month_start(11):%Y-%m-%d}" in text
        assert "No survey has been closed yet: satisfaction is not measured (9.1.2)." in text

    def test_the_figures_at_a_glance(self, qm_client, quality_manager, customer):
        on_time = log_complaint(quality_manager, customer, severity="major")
        respond(quality_manager, on_time, justified=True)
        late = log_complaint(quality_manager, customer, severity="minor", received_on=days_ago(20))
        respond(quality_manager, late, justified=False)
        log_complaint(quality_manager, customer, severity="critical", received_on=days_ago(5))
        log_complaint(quality_manager, customer, severity="minor")

        text = text_of(self.open(qm_client)[0])

        assert "Open 2, 1 past the date to answer" in text
        assert "Answered on time 50 % (1 of 2)" in text
        assert "Found justified 1" in text

    def test_a_complaint_answered_on_time_stays_on_time_once_closed(
        self, qm_client, quality_manager, customer
    ):
        answered = respond(quality_manager, log_complaint(quality_manager, customer))
        feedback.CloseComplaint(quality_manager, answered).execute()
        late = log_complaint(quality_manager, customer, severity="minor", received_on=days_ago(20))
        respond(quality_manager, late, response_sent_on=days_ago(1))
        assert "Answered on time 50 % (1 of 2)" in text_of(self.open(qm_client)[0])

    def test_compliments_per_month(self, qm_client, quality_manager, customer):
        make_compliment(quality_manager, customer)
        make_compliment(quality_manager, customer, received_on=month_start(2))
        make_compliment(quality_manager, customer, received_on=month_start(2) + timedelta(days=3))

        response, charts = self.open(qm_client, months="3")

        assert figures(charts["Compliments received per month"]) == {
            month_start(2).strftime("%b %y"): "2",
            month_start(1).strftime("%b %y"): "0",
            month_start(0).strftime("%b %y"): "1",
        }
        assert "0 complaints and 3 compliments" in text_of(response)

    def test_csat_and_nps_survey_by_survey(self, qm_client, quality_manager):
        earlier = make_survey(
            quality_manager, title="Autumn", period_start=days_ago(400), period_end=days_ago(200)
        )
        add_responses(
            quality_manager,
            earlier,
            [
                {"satisfaction": 5, "recommend": 10},
                {"satisfaction": 2, "recommend": 3},
                {"satisfaction": 4, "recommend": 4},
            ],
        )
        close_survey(quality_manager, earlier)
        later = make_survey(
            quality_manager, title="Spring", period_start=days_ago(150), period_end=days_ago(10)
        )
        add_responses(
            quality_manager,
            later,
            [
                {"satisfaction": 5, "recommend": 6},
                {"satisfaction": 1, "recommend": 2},
                {"satisfaction": 2, "recommend": 10},
                {"satisfaction": 3},
                {"recommend": 0},
            ],
        )
        close_survey(quality_manager, later)
        still_open = make_survey(quality_manager, title="Running")
        add_responses(quality_manager, still_open, [{"satisfaction": 1, "recommend": 0}])

        _, charts = self.open(qm_client)

        span = f"2 values from {days_ago(200):%Y-%m-%d} to {days_ago(10):%Y-%m-%d}"
        assert desc(charts["CSAT per survey"]) == f"{span}; latest 25%"
        assert desc(charts["NPS per survey"]) == f"{span}; latest -50; 0 0"
        assert fresh(earlier).csat == Decimal("66.7")
        assert fresh(later).nps == Decimal("-50.0")

    @pytest.mark.parametrize(
        ("months", "shown", "total"), [("3", 3, 3), ("6", 6, 4), ("12", 12, 4), ("24", 24, 5)]
    )
    def test_the_period_asked(self, qm_client, customer, months, shown, total):
        for back in [0, 0, 1, 4, 13, 30]:
            complaint_row(customer, received_on=month_start(back))
        complaint_row(customer, received_on=today(), archived_at=timezone.now())

        response, charts = self.open(qm_client, months=months)

        per_month = figures(charts["Complaints received per month"])
        labels = [month_start(back).strftime("%b %y") for back in reversed(range(shown))]
        assert list(per_month) == labels
        assert per_month[labels[-1]] == "2"
        assert sum(int(n) for n in per_month.values()) == total
        assert f"{total} complaints and 0 compliments since {month_start(shown - 1):%Y-%m-%d}" in (
            text_of(response)
        )
        assert f'<option value="{months}" selected>' in response.content.decode()

    @pytest.mark.parametrize("months", ["7", "0", "-3", "abc", "", "1e9"])
    def test_a_bad_period_falls_back_to_twelve_months(self, qm_client, customer, months):
        for back in [0, 4, 13]:
            complaint_row(customer, received_on=month_start(back))
        response, charts = self.open(qm_client, months=months)
        per_month = figures(charts["Complaints received per month"])
        assert len(per_month) == 12
        assert sum(int(n) for n in per_month.values()) == 2
        assert '<option value="12" selected>' in response.content.decode()

    def test_a_person_limited_to_a_site_sees_only_its_complaints(
        self, client_for, quality_manager, leeds_manager, customer, leeds, porto
    ):
        log_complaint(quality_manager, customer, product="Leeds pump", site=leeds)
        log_complaint(quality_manager, customer, product="Leeds pump", site=leeds)
        log_complaint(quality_manager, customer, product="Porto valve", site=porto)
        make_compliment(quality_manager, customer, site=porto)

        response, charts = self.open(client_for(leeds_manager))

        assert figures(charts["Complaints per product"]) == {"Leeds pump": "2"}
        assert figures(charts["Complaints by severity"])["Major"] == "2"
        assert "2 complaints and 0 compliments" in text_of(response)
        assert "Porto valve" not in response.content.decode()
        everyone = text_of(self.open(client_for(quality_manager))[0])
        assert "3 complaints and 1 compliment " in everyone

    def test_the_page_runs_the_same_queries_whatever_the_number_of_complaints(
        self, qm_client, quality_manager, customer
    ):
        def grow(count):
            bulk_complaints(count, customer)
            bulk_compliments(count)
            bulk_surveys(max(2, count // 20))

        grow(10)
        qm_client.get(FEEDBACK)  # warm per-process caches before counting
        few, _ = count_queries(qm_client, FEEDBACK)
        grow(190)
        many, sql = count_queries(qm_client, FEEDBACK)
        assert Complaint.objects.count() == 200
        assert many == few, "\n".join(sql)


# == readiness: 9.1.2 =========================================================================
class TestSatisfactionReadiness:
    def test_it_is_the_check_registered_for_9_1_2(self):
        checks = registered_checks()["9.1.2"]
        assert satisfaction_measured in checks
        assert f"{satisfaction_measured.__module__}.{satisfaction_measured.__name__}" == (
            "norma.operations.readiness.satisfaction_measured"
        )

    def test_missing_without_any_survey_closed(self, quality_manager, survey):
        add_responses(quality_manager, survey, [{"satisfaction": 5}])  # open: not yet a measure
        result = satisfaction_measured(quality_manager)
        assert result.status == Status.MISSING
        assert result.sentence == (
            "Customer satisfaction has not been measured in the last 12 months."
        )
        assert [e.url for e in result.evidence] == [SURVEYS, FEEDBACK]

    def test_missing_when_the_last_survey_closed_before_the_period(self, quality_manager, survey):
        add_responses(quality_manager, survey, [{"satisfaction": 5}])
        close_survey(quality_manager, survey)
        long_ago = add_months(today(), -13)
        Survey.objects.filter(pk=survey.pk).update(closed_on=long_ago)
        result = satisfaction_measured(quality_manager)
        assert result.status == Status.MISSING
        assert result.sentence == (
            "Customer satisfaction has not been measured in the last 12 months "
            f"(the last closed on {long_ago})."
        )

    def test_the_period_comes_from_the_settings(self, quality_manager, survey):
        add_responses(quality_manager, survey, [{"satisfaction": 5}])
        close_survey(quality_manager, survey)
        Survey.objects.filter(pk=survey.pk).update(closed_on=add_months(today(), -4))
        assert satisfaction_measured(quality_manager).status == Status.MET
        with override_settings(NORMA_SATISFACTION_PERIOD_MONTHS=3):
            result = satisfaction_measured(quality_manager)
        assert result.status == Status.MISSING
        assert "in the last 3 months" in result.sentence

    def test_met_naming_the_survey_and_its_figures(self, quality_manager, survey):
        add_responses(
            quality_manager,
            survey,
            [
                {"satisfaction": 5, "recommend": 10},
                {"satisfaction": 4, "recommend": 9},
                {"satisfaction": 4, "recommend": 3},
                {"satisfaction": 1},
            ],
        )
        close_survey(quality_manager, survey)
        result = satisfaction_measured(quality_manager)
        assert result.status == Status.MET
        assert result.sentence == (
            f"Satisfaction measured by {survey.reference}, closed on {today()}: "
            "4 responses, CSAT 75.0 %, NPS 33.3."
        )

    def test_the_latest_closed_survey_is_named_and_only_the_figures_it_has(self, quality_manager):
        older = make_survey(quality_manager, title="Older")
        add_responses(quality_manager, older, [{"satisfaction": 5}, {"satisfaction": 5}])
        close_survey(quality_manager, older)
        Survey.objects.filter(pk=older.pk).update(closed_on=days_ago(30))
        newer = make_survey(quality_manager, title="Newer")
        add_responses(quality_manager, newer, [{"recommend": 0}, {"recommend": 10}])
        close_survey(quality_manager, newer)
        result = satisfaction_measured(quality_manager)
        assert result.sentence == (
            f"Satisfaction measured by {newer.reference}, closed on {today()}: "
            "2 responses, NPS 0.0."
        )

    def test_a_survey_at_sites_outside_mine_counts_but_is_not_named(
        self, quality_manager, leeds_manager, porto
    ):
        abroad = make_survey(quality_manager, title="Porto survey", site=porto)
        add_responses(quality_manager, abroad, [{"satisfaction": 5}, {"satisfaction": 3}])
        close_survey(quality_manager, abroad)
        result = satisfaction_measured(leeds_manager)
        assert result.status == Status.MET
        assert result.sentence == (
            f"Satisfaction was measured by a survey closed on {today()}, at sites outside yours."
        )
        assert abroad.reference not in result.sentence
        assert abroad.reference in satisfaction_measured(quality_manager).sentence

    def test_an_archived_survey_does_not_count(self, quality_manager, survey):
        add_responses(quality_manager, survey, [{"satisfaction": 5}, {"satisfaction": 4}])
        close_survey(quality_manager, survey)
        Survey.objects.filter(pk=survey.pk).update(archived_at=timezone.now())
        assert satisfaction_measured(quality_manager).status == Status.MISSING

    def test_one_response_is_said_in_the_singular(self, quality_manager, survey):
        add_responses(quality_manager, survey, [{"satisfaction": 5}])
        close_survey(quality_manager, survey)
        assert ": 1 response, CSAT 100.0 %." in satisfaction_measured(quality_manager).sentence

    def test_the_readiness_report_reads_9_1_2_from_it(self, quality_manager, survey):
        def row_9_1_2():
            rows = evaluate(quality_manager).rows
            return next(r for r in rows if r.clause.ref == "9.1.2")

        assert row_9_1_2().status == Status.MISSING
        add_responses(quality_manager, survey, [{"satisfaction": 5}, {"satisfaction": 4}])
        close_survey(quality_manager, survey)
        row = row_9_1_2()
        assert row.status == Status.MET
        assert any(survey.reference in r.sentence for r in row.results)
