"""External providers (ISO 9001 8.4): scorecards, suppliers, their evaluations, approval,
certificates and corrective action requests (SCARs), the supplier's page and the 8.4.1
readiness check.

Each register goes through the generic kit (pages, rights per persona, change log, archive,
query counts), then its own rules: weights that add up to 100, scores worked out on the
supplier's scorecard, approval resting on a current evaluation recorded by someone else, the
SCAR workflow with its nonconformity, and certificate expiry reminders.

Unless a test says otherwise, Owen Owner (a process owner) buys from and evaluates the
supplier, Quinn Quality (the quality manager) sets the scorecards, and Quinn or Tess Top
(top management) approve.
"""

import datetime
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from norma.core.actions import (
    ActionRefused,
    ArchiveRecord,
    CreateRecord,
    InvalidInput,
    NotPermitted,
    UpdateRecord,
)
from norma.core.context import acting_as
from norma.core.models import ChangeLogEntry, RoleCode
from norma.core.models.records import reserve_references
from norma.core.registers import registry
from norma.documents.models import add_months
from norma.improvement.models import Nonconformity
from norma.notifications.models import Notification, NotificationKind
from norma.notifications.reminders import create_reminders
from norma.operations import readiness
from norma.operations import suppliers as steps
from norma.operations.models import (
    Scar,
    Scorecard,
    Supplier,
    SupplierCertificate,
    SupplierEvaluation,
)
from norma.operations.registers import (
    ScarRegister,
    ScorecardRegister,
    SupplierCertificateRegister,
    SupplierEvaluationRegister,
    SupplierRegister,
)
from norma.standards.readiness import Status, registered_checks
from norma.standards.readiness import evaluate as readiness_report
from tests.conftest import PERSONAS
from tests.factories import PersonFactory, SiteFactory
from tests.improvement.helpers import bulk_ncs, make_nc
from tests.kit import RegisterKit, count_queries, form_data
from tests.operations.helpers import (
    bulk_suppliers,
    days_ago,
    evaluate,
    fresh,
    issue_scar,
    make_scorecard,
    make_supplier,
    today,
)

EVERYONE = [p for p in PERSONAS if p != "nobody"]
# Process owners and top management buy, evaluate and chase suppliers (OPERATIONS_RIGHTS).
BUYERS = ["quality_manager", "top_manager", "process_owner"]
APPROVERS = ["quality_manager", "top_manager"]
QUALITY_TEAM = ["quality_manager"]
READERS_ONLY = ["internal_auditor", "employee", "external_auditor"]

RESPONSE = {
    "root_cause": "Furnace thermocouple drifted 20 °C low",
    "corrective_action": "Thermocouples replaced; checked every 3 months",
}


# -- small helpers ------------------------------------------------------------------------
def in_days(days: int) -> datetime.date:
    return today() + timedelta(days=days)


def page_of(record, role="detail") -> str:
    register = registry.for_model(type(record))
    return reverse(register.url_name(role), args=[record.reference])


def api_base(model) -> str:
    register = registry.for_model(model)
    return f"/api/v1/{register.app_label()}/{register.slug()}/"


def api_of(record) -> str:
    return f"{api_base(type(record))}{record.reference}"


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def do(client, record, code, **fields):
    """POST an action's form on the record's page, as the browser sends it."""
    record = fresh(record)
    return client.post(f"{page_of(record)}do/{code}/", {"version": record.version, **fields})


def api_do(api, record, code, **body):
    record = fresh(record)
    return api.post(f"{api_of(record)}/actions/{code}", body, **{"If-Match": record.etag})


def state(record) -> tuple:
    """What a refused action must leave as it was: status, version and the change log."""
    record = fresh(record)
    entries = ChangeLogEntry.objects.filter(
        object_type=record._meta.label_lower, object_id=str(record.pk)
    ).count()
    return record.status, record.version, entries


def log_of(record, action=None):
    entries = ChangeLogEntry.objects.filter(
        object_type=record._meta.label_lower, object_id=str(record.pk)
    )
    return entries.filter(action=action) if action else entries


def chart_of(html: str) -> str:
    charts = re.findall(r"<svg .*?</svg>", html, re.S)
    assert len(charts) == 1, f"{len(charts)} charts on the page"
    return charts[0]


def evaluator(**fields):
    """Paula Purchaser, a second process owner, who records evaluations nobody else
    approves on in these tests."""
    return PersonFactory(full_name="Paula Purchaser", roles=[RoleCode.PROCESS_OWNER], **fields)


class Lazy:
    """An id the form needs, made when the request is built (after the database is ready)."""

    def __init__(self, make):
        self.make = make

    def __str__(self):
        return str(self.make().pk)


# -- makers of this file's own ----------------------------------------------------------------
def kit_scorecard() -> Scorecard:
    card = Scorecard.objects.filter(status="active").order_by("id").first()
    if card is None:
        with acting_as(name="test"):
            card = Scorecard.objects.create(
                reference=reserve_references("SC", 1)[0],
                title="Kit scorecard",
                status="active",
                quality_weight=50,
                delivery_weight=30,
                responsiveness_weight=20,
            )
    return card


def kit_supplier() -> Supplier:
    supplier = Supplier.objects.filter(title="Kit supplier").first()
    if supplier is None:
        with acting_as(name="test"):
            supplier = Supplier.objects.create(
                reference=reserve_references("SUP", 1)[0],
                title="Kit supplier",
                supplies="Bar stock",
                category="materials",
                criticality="medium",
                scorecard=kit_scorecard(),
                status="pending",
            )
    return supplier


def supplier_for_the_kit(actor, **fields) -> Supplier:
    kit_scorecard()
    return make_supplier(actor, **fields)


def evaluation_for_the_kit(actor, title="Annual evaluation", site=None, owner=None, **fields):
    """An evaluation of a supplier of the same name, at the same site: the evaluation list
    shows the supplier, not the evaluation's own title."""
    supplier = supplier_for_the_kit(actor, title=title, site=site)
    return evaluate(actor, supplier, title=title, site=site, owner=owner, **fields)


def make_certificate(actor, supplier=None, **fields) -> SupplierCertificate:
    data = {
        "supplier": supplier or supplier_for_the_kit(actor),
        "title": "ISO 9001 certificate",
        "standard": "ISO 9001:2015",
        "certificate_number": "Q-10442",
        "issued_on": days_ago(300),
        "expires_on": in_days(800),
        **fields,
    }
    return CreateRecord(actor, SupplierCertificate, data=data).execute()


def certificate_for_the_kit(actor, title="ISO 9001 certificate", site=None, **fields):
    supplier = supplier_for_the_kit(actor, title=title, site=site)
    return make_certificate(actor, supplier, title=title, site=site, **fields)


def scar_for_the_kit(actor, title="Shafts below hardness", site=None, **fields):
    supplier = supplier_for_the_kit(actor, title=f"Supplier of {title}", site=site)
    return issue_scar(actor, supplier, title=title, site=site, **fields)


def _bulk(model, count, build):
    with acting_as(name="test bulk"):
        references = reserve_references(model.reference_prefix, count, width=6)
        return model.objects.bulk_create(build(i, ref) for i, ref in enumerate(references))


def bulk_scorecards(count: int, **fields):
    return _bulk(
        Scorecard,
        count,
        lambda i, ref: Scorecard(
            reference=ref,
            title=f"Scorecard {i}",
            status="active",
            quality_weight=50,
            delivery_weight=30,
            responsiveness_weight=20,
            **fields,
        ),
    )


def bulk_suppliers_for_the_kit(count: int, **fields):
    kit_scorecard()
    bulk_suppliers(count, **fields)


def suppliers_in(status: str, count: int = 1, **fields):
    """Supplier rows in `status` (bulk_suppliers writes approved ones)."""
    card = kit_scorecard()
    return _bulk(
        Supplier,
        count,
        lambda i, ref: Supplier(
            reference=ref,
            title=f"{status.capitalize()} supplier {i}",
            supplies="Parts",
            category="materials",
            criticality="low",
            scorecard=card,
            status=status,
            **fields,
        ),
    )


def bulk_evaluations(count: int, supplier=None, **fields):
    supplier = supplier or kit_supplier()
    return _bulk(
        SupplierEvaluation,
        count,
        lambda i, ref: SupplierEvaluation(
            reference=ref,
            title=f"Evaluation {i}",
            supplier=supplier,
            status="recorded",
            evaluated_on=days_ago(i % 700 + 2),
            quality=80 + i % 20,
            delivery=70 + i % 30,
            responsiveness=75,
            weights="50/30/20",
            score=Decimal("80.0"),
            outcome="approve",
            **fields,
        ),
    )


def bulk_certificates(count: int, supplier=None, **fields):
    supplier = supplier or kit_supplier()
    return _bulk(
        SupplierCertificate,
        count,
        lambda i, ref: SupplierCertificate(
            reference=ref,
            title=f"Certificate {i}",
            supplier=supplier,
            status="valid",
            standard="ISO 9001:2015",
            certificate_number=f"Q-{i}",
            expires_on=in_days(i % 900 - 30),
            **fields,
        ),
    )


def bulk_scars(count: int, supplier=None, **fields):
    supplier = supplier or kit_supplier()
    (nc,) = bulk_ncs(1)
    return _bulk(
        Scar,
        count,
        lambda i, ref: Scar(
            reference=ref,
            title=f"Request {i}",
            supplier=supplier,
            nonconformity=nc,
            status="requested",
            problem="Bulk",
            requested_on=days_ago(i % 90),
            due_date=in_days(i % 30),
            **fields,
        ),
    )


# -- fixtures -------------------------------------------------------------------------------
@pytest.fixture
def card(quality_manager):
    """The standard scorecard: 50/30/20, approved from 80, conditional from 60."""
    return make_scorecard(quality_manager)


@pytest.fixture
def supplier(process_owner, card):
    return make_supplier(process_owner, card)


@pytest.fixture
def paula(db):
    return evaluator()


@pytest.fixture
def evaluated(supplier, paula):
    """A supplier that scored 86.1 yesterday (50/30/20 of 90, 85, 78), evaluated by Paula."""
    evaluate(paula, supplier, q=90, d=85, r=78)
    return fresh(supplier)


@pytest.fixture
def approved(evaluated, quality_manager):
    return steps.ApproveSupplier(quality_manager, evaluated).execute()


# ============================================================================================
# Scorecards
# ============================================================================================
class TestScorecardRegister(RegisterKit):
    register = ScorecardRegister
    make_record = staticmethod(make_scorecard)
    bulk_records = staticmethod(bulk_scorecards)
    create_data = {
        "title": "Machined parts scorecard",
        "quality_weight": "40",
        "delivery_weight": "40",
        "responsiveness_weight": "20",
        "approve_at": "85",
        "conditional_at": "70",
    }
    edit_data = {"title": "Castings scorecard", "approve_at": "85"}
    invalid_data = {"quality_weight": "60"}  # 60 + 30 + 20 = 110
    viewers = EVERYONE
    adders = QUALITY_TEAM
    editors = QUALITY_TEAM
    archivers = QUALITY_TEAM

    # -- weights and marks ------------------------------------------------------------------
    def test_weights_not_adding_up_to_100_are_refused_on_the_web_naming_each_weight(
        self, client_for, quality_manager
    ):
        data = form_data(
            ScorecardRegister,
            title="Lopsided",
            quality_weight="50",
            delivery_weight="30",
            responsiveness_weight="30",
        )
        response = client_for(quality_manager).post(self.url("create"), data)
        assert response.status_code == 422
        errors = response.context["form"].errors
        message = "The three weights add up to 110 %; they must add up to 100 %."
        for name in Scorecard.WEIGHTS:
            assert errors[name] == [message]
        assert message in response.content.decode()
        assert not Scorecard.objects.exists()

    def test_weights_not_adding_up_to_100_are_refused_by_the_api_naming_each_weight(
        self, api_for, quality_manager
    ):
        body = {
            "title": "Light",
            "quality_weight": 40,
            "delivery_weight": 30,
            "responsiveness_weight": 20,
            "approve_at": 80,
            "conditional_at": 60,
        }
        response = api_for(quality_manager).post(api_base(Scorecard), body)
        assert response.status_code == 422
        errors = response.json()["errors"]
        for name in Scorecard.WEIGHTS:
            assert errors[name] == ["The three weights add up to 90 %; they must add up to 100 %."]
        assert not Scorecard.objects.exists()

    def test_an_edit_that_breaks_the_weights_is_refused_and_keeps_the_old_ones(
        self, client_for, quality_manager, card
    ):
        data = form_data(ScorecardRegister, card, delivery_weight="10")
        response = client_for(quality_manager).post(self.url("edit", card), data)
        assert response.status_code == 422
        assert "add up to 80 %" in response.context["form"].errors["delivery_weight"][0]
        card = fresh(card)
        assert (card.delivery_weight, card.version) == (30, 1)

    def test_weights_that_add_up_to_100_are_stored(self, api_for, quality_manager):
        body = {
            "title": "Delivery first",
            "quality_weight": 30,
            "delivery_weight": 60,
            "responsiveness_weight": 10,
            "approve_at": 75,
            "conditional_at": 50,
        }
        response = api_for(quality_manager).post(api_base(Scorecard), body)
        assert response.status_code == 201, response.json()
        card = Scorecard.objects.get(reference=response.json()["reference"])
        assert (card.quality_weight, card.delivery_weight, card.responsiveness_weight) == (
            30,
            60,
            10,
        )
        assert (card.approve_at, card.conditional_at, card.status) == (75, 50, "active")

    def test_a_conditional_mark_above_the_approval_mark_is_refused(
        self, client_for, api_for, quality_manager
    ):
        data = form_data(ScorecardRegister, **{**self.create_data, "conditional_at": "90"})
        response = client_for(quality_manager).post(self.url("create"), data)
        assert response.status_code == 422
        message = "The conditional mark must not be above the approval mark."
        assert response.context["form"].errors["conditional_at"] == [message]
        body = {
            "title": "Upside down",
            "quality_weight": 50,
            "delivery_weight": 30,
            "responsiveness_weight": 20,
            "approve_at": 70,
            "conditional_at": 71,
        }
        answer = api_for(quality_manager).post(api_base(Scorecard), body)
        assert answer.status_code == 422
        assert answer.json()["errors"] == {"conditional_at": [message]}
        assert not Scorecard.objects.exists()

    def test_equal_marks_are_accepted(self, quality_manager):
        card = make_scorecard(quality_manager, approve_at=70, conditional_at=70)
        assert (card.approve_at, card.conditional_at) == (70, 70)

    @pytest.mark.parametrize("field,value", [("quality_weight", 101), ("approve_at", 101)])
    def test_weights_and_marks_above_100_are_refused_naming_the_field(
        self, api_for, quality_manager, field, value
    ):
        body = {
            "title": "Too much",
            "quality_weight": 50,
            "delivery_weight": 30,
            "responsiveness_weight": 20,
            "approve_at": 80,
            "conditional_at": 60,
            field: value,
        }
        response = api_for(quality_manager).post(api_base(Scorecard), body)
        assert response.status_code == 422
        assert "less than or equal to 100" in response.json()["errors"][field][0]
        assert not Scorecard.objects.exists()

    # -- who sets the scorecards --------------------------------------------------------------
    @pytest.mark.parametrize("persona_name", PERSONAS)
    def test_only_the_quality_manager_creates_scorecards_through_the_api(
        self, api_for, persona_named, persona_name
    ):
        body = {
            "title": "Services scorecard",
            "quality_weight": 60,
            "delivery_weight": 20,
            "responsiveness_weight": 20,
            "approve_at": 80,
            "conditional_at": 60,
        }
        response = api_for(persona_named(persona_name)).post(api_base(Scorecard), body)
        if persona_name == "quality_manager":
            assert response.status_code == 201
            assert Scorecard.objects.get().title == "Services scorecard"
        else:
            assert response.status_code == 403
            assert not Scorecard.objects.exists()

    @pytest.mark.parametrize("persona_name", PERSONAS)
    def test_only_the_quality_manager_changes_a_scorecard_through_the_api(
        self, api_for, persona_named, persona_name, card
    ):
        response = api_for(persona_named(persona_name)).patch(
            api_of(card), {"approve_at": 85}, **{"If-Match": card.etag}
        )
        if persona_name == "quality_manager":
            assert response.status_code == 200
            assert fresh(card).approve_at == 85
        else:
            assert response.status_code == 403
            assert (fresh(card).approve_at, fresh(card).version) == (80, 1)

    # -- retiring ---------------------------------------------------------------------------
    @pytest.mark.parametrize("persona_name", PERSONAS)
    def test_only_the_quality_manager_retires_a_scorecard_on_the_web(
        self, client_for, persona_named, persona_name, card
    ):
        before = state(card)
        response = do(client_for(persona_named(persona_name)), card, "retire", reason="Replaced")
        if persona_name == "quality_manager":
            assert response.status_code == 302
            assert fresh(card).status == "retired"
            assert log_of(card, "retire").get().reason == "Replaced"
        elif persona_name == "nobody":
            assert response.status_code == 403
            assert state(card) == before
        else:
            assert response.status_code == 302
            assert messages_of(response) == "You do not have the right to retire."
            assert state(card) == before

    @pytest.mark.parametrize("persona_name", ["top_manager", "process_owner", "external_auditor"])
    def test_others_cannot_retire_a_scorecard_through_the_api(
        self, api_for, persona_named, persona_name, card
    ):
        before = state(card)
        response = api_do(api_for(persona_named(persona_name)), card, "retire", reason="Old")
        assert response.status_code == 403
        assert response.json()["detail"] == "You do not have the right to retire."
        assert state(card) == before

    def test_retiring_needs_a_reason_and_happens_once(self, api_for, quality_manager, card):
        api = api_for(quality_manager)
        refused = api_do(api, card, "retire")
        assert refused.status_code == 422
        assert refused.json()["errors"] == {"reason": ["Give a reason."]}
        assert fresh(card).status == "active"
        assert api_do(api, card, "retire", reason="Replaced by SC-2").status_code == 200
        again = api_do(api, card, "retire", reason="Twice")
        assert again.status_code == 409
        assert "is retired" in again.json()["detail"]
        assert log_of(card, "retire").count() == 1

    def test_a_retired_scorecard_is_not_chosen_for_a_new_supplier(
        self, client_for, quality_manager, process_owner, card
    ):
        steps.RetireScorecard(quality_manager, card, reason="Replaced").execute()
        data = form_data(
            SupplierRegister,
            title="Brightline Plating",
            supplies="Zinc plating",
            category="outsourced",
            criticality="high",
            scorecard=str(card.pk),
        )
        response = client_for(process_owner).post(reverse("operations:supplier_create"), data)
        assert response.status_code == 422
        assert response.context["form"].errors["scorecard"] == ["That scorecard is retired."]
        assert not Supplier.objects.exists()

    def test_a_retired_scorecard_is_not_moved_to_by_an_edit(
        self, api_for, quality_manager, process_owner, card, supplier
    ):
        old = make_scorecard(quality_manager, title="Old scorecard")
        steps.RetireScorecard(quality_manager, old, reason="Replaced").execute()
        response = api_for(process_owner).patch(
            api_of(supplier), {"scorecard": old.pk}, **{"If-Match": supplier.etag}
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {"scorecard": ["That scorecard is retired."]}
        assert (fresh(supplier).scorecard, fresh(supplier).version) == (card, 1)

    def test_suppliers_on_a_retired_scorecard_can_still_be_edited_and_evaluated(
        self, client_for, quality_manager, process_owner, paula, supplier, card
    ):
        steps.RetireScorecard(quality_manager, card, reason="Replaced").execute()
        data = form_data(SupplierRegister, supplier, contact_name="Jo Castwell")
        response = client_for(process_owner).post(page_of(supplier, "edit"), data)
        assert response.status_code == 302
        assert (fresh(supplier).contact_name, fresh(supplier).scorecard) == ("Jo Castwell", card)
        assert evaluate(paula, fresh(supplier), 90, 90, 90).weights == "50/30/20"

    def test_an_evaluation_keeps_the_weights_of_its_day_when_the_scorecard_changes(
        self, quality_manager, supplier, paula, card
    ):
        first = evaluate(paula, supplier, q=90, d=70, r=60)
        UpdateRecord(
            quality_manager,
            card,
            data={"quality_weight": 20, "delivery_weight": 60, "responsiveness_weight": 20},
        ).execute()
        second = evaluate(paula, fresh(supplier), q=90, d=70, r=60)
        first = fresh(first)
        assert (first.weights, first.score) == ("50/30/20", Decimal("78.0"))
        assert (second.weights, second.score) == ("20/60/20", Decimal("72.0"))


# ============================================================================================
# Suppliers
# ============================================================================================
class TestSupplierRegister(RegisterKit):
    register = SupplierRegister
    make_record = staticmethod(supplier_for_the_kit)
    bulk_records = staticmethod(bulk_suppliers_for_the_kit)
    edit_data = {"title": "Castwell Foundry Ltd", "criticality": "medium"}
    viewers = EVERYONE
    adders = BUYERS
    editors = BUYERS
    archivers = QUALITY_TEAM

    @property
    def create_data(self):
        return {
            "title": "Brightline Plating",
            "supplies": "Zinc-nickel plating of brackets",
            "category": "outsourced",
            "criticality": "high",
            "scorecard": Lazy(kit_scorecard),
            "evaluation_interval_months": "6",
            "contact_email": "quality@brightline.example",
            "information_sent_on": days_ago(3).isoformat(),
        }

    @property
    def invalid_data(self):
        return {"information_sent_on": in_days(1).isoformat()}

    def test_a_new_supplier_waits_for_its_evaluation(self, process_owner, card):
        supplier = make_supplier(process_owner, card)
        assert (supplier.status, supplier.last_score, supplier.last_evaluated_on) == (
            "pending",
            None,
            None,
        )

    @pytest.mark.parametrize("status", ["approved", "conditional"])
    def test_an_approved_supplier_cannot_be_archived(
        self, client_for, api_for, quality_manager, approved, status
    ):
        supplier = approved
        if status == "conditional":
            supplier = steps.ApproveConditionally(
                quality_manager, supplier, reason="Second source only"
            ).execute()
        before = state(supplier)
        response = client_for(quality_manager).post(
            page_of(supplier, "archive"), {"reason": "No longer used"}
        )
        assert response.status_code == 302
        message = f"{supplier.reference} is still approved: disqualify it, with a reason, first."
        assert messages_of(response) == message
        answer = api_for(quality_manager).post(
            f"{api_of(supplier)}/archive",
            {"reason": "No longer used"},
            **{"If-Match": fresh(supplier).etag},
        )
        assert answer.status_code == 409
        assert answer.json()["detail"] == message
        assert not fresh(supplier).is_archived
        assert state(supplier) == before

    def test_a_disqualified_supplier_can_be_archived(self, client_for, quality_manager, approved):
        supplier = steps.DisqualifySupplier(
            quality_manager, approved, reason="Closed its plant"
        ).execute()
        response = client_for(quality_manager).post(
            page_of(supplier, "archive"), {"reason": "Gone"}
        )
        assert response.status_code == 302
        assert fresh(supplier).is_archived
        assert log_of(supplier, "archive").get().reason == "Gone"

    def test_the_information_given_cannot_have_been_sent_tomorrow(
        self, api_for, process_owner, card
    ):
        body = {
            "title": "Brightline Plating",
            "supplies": "Plating",
            "category": "outsourced",
            "criticality": "low",
            "scorecard": card.pk,
            "evaluation_interval_months": 12,
            "information_sent_on": in_days(1).isoformat(),
        }
        response = api_for(process_owner).post(api_base(Supplier), body)
        assert response.status_code == 422
        assert response.json()["errors"] == {
            "information_sent_on": ["The information cannot have been sent tomorrow."]
        }
        assert not Supplier.objects.exists()

    def test_the_interval_is_at_least_a_month(self, client_for, process_owner, card):
        data = form_data(
            SupplierRegister,
            **{**self.create_data, "scorecard": str(card.pk), "evaluation_interval_months": "0"},
        )
        response = client_for(process_owner).post(self.url("create"), data)
        assert response.status_code == 422
        assert "evaluation_interval_months" in response.context["form"].errors
        assert not Supplier.objects.exists()

    def test_the_reevaluation_date_is_not_typed_in(self, api_for, quality_manager, evaluated):
        assert "due_date" not in SupplierRegister.form_class()().fields
        response = api_for(quality_manager).patch(
            api_of(evaluated),
            {"due_date": in_days(900).isoformat()},
            **{"If-Match": evaluated.etag},
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {"due_date": ["Unknown field."]}
        assert fresh(evaluated).due_date == add_months(days_ago(1), 12)

    def test_a_new_interval_moves_the_reevaluation_date(self, quality_manager, evaluated):
        supplier = UpdateRecord(
            quality_manager, evaluated, data={"evaluation_interval_months": 3}
        ).execute()
        assert fresh(supplier).due_date == add_months(days_ago(1), 3)

    def test_an_overdue_reevaluation_is_flagged_on_the_page(
        self, client_for, quality_manager, approved
    ):
        Supplier.objects.filter(pk=approved.pk).update(due_date=days_ago(2))
        html = client_for(quality_manager).get(page_of(approved)).content.decode()
        assert f"The re-evaluation was due on {days_ago(2).isoformat()}." in html

    def test_the_reevaluation_reminder_goes_to_the_quality_manager(self, evaluated):
        create_reminders(add_months(evaluated.last_evaluated_on, 12) - timedelta(days=7))
        reminder = Notification.objects.get(object_type="operations.supplier")
        assert reminder.recipient_role == RoleCode.QUALITY_MANAGER
        assert reminder.kind == NotificationKind.DUE
        assert reminder.message.startswith("Re-evaluation due in 7 days")


# ============================================================================================
# Evaluations: the register, the score, and what the newest one does to the supplier
# ============================================================================================
class TestSupplierEvaluationRegister(RegisterKit):
    register = SupplierEvaluationRegister
    make_record = staticmethod(evaluation_for_the_kit)
    bulk_records = staticmethod(bulk_evaluations)
    invalid_data = {"quality": "101"}
    viewers = EVERYONE
    adders = BUYERS
    editors = BUYERS  # they hold the change right, yet an evaluation is never edited
    archivers = QUALITY_TEAM

    # Evaluations are never edited: the kit's edit tests give way to the ones below.
    test_edit_needs_the_change_right = None
    test_edit_changes_the_record = None
    test_stale_edit_is_refused_naming_who_changed_what = None
    test_edit_writes_a_change_log_entry_with_before_and_after = None

    @property
    def create_data(self):
        return {
            "supplier": Lazy(kit_supplier),
            "title": "First-half review",
            "evaluated_on": days_ago(2).isoformat(),
            "period": "2026 H2",
            "quality": "90",
            "delivery": "80",
            "responsiveness": "70",
            "remarks": "Two late deliveries in October.",
        }

    def test_csv_export_neutralises_spreadsheet_formulas(self, client_for, persona_named):
        """The evaluation's title is not a column; the typed text that begins a cell of the
        export is its period."""
        evaluation_for_the_kit(persona_named(self.adders[0]), period="=HYPERLINK(evil)")
        response = client_for(persona_named(self.viewers[0])).get(
            self.url("export") + "?format=csv"
        )
        body = b"".join(response.streaming_content).decode()
        assert "'=HYPERLINK(evil)" in body
        assert ",=HYPERLINK" not in body

    # -- never edited -----------------------------------------------------------------------
    @pytest.mark.parametrize("persona_name", PERSONAS)
    def test_nobody_edits_an_evaluation_on_the_web(
        self, client_for, persona_named, record, persona_name
    ):
        client = client_for(persona_named(persona_name))
        opened = client.get(self.url("edit", record))
        posted = client.post(
            self.url("edit", record), form_data(self.register, record, quality="10")
        )
        if persona_name in self.editors:
            assert opened.status_code == 302
            assert opened["Location"] == self.url("detail", record)
            message = f"{record.reference} is a record of an evaluation: record a new one instead."
            assert messages_of(opened) == message
            assert posted.status_code == 409
        else:
            assert (opened.status_code, posted.status_code) == (403, 403)
        record = fresh(record)
        assert (record.quality, record.version) == (90, 1)
        assert not log_of(record, "update").exists()

    def test_nobody_edits_an_evaluation_through_the_api(self, api_for, quality_manager, record):
        response = api_for(quality_manager).patch(
            api_of(record), {"quality": 10}, **{"If-Match": record.etag}
        )
        assert response.status_code == 409
        assert "record a new one instead" in response.json()["detail"]
        assert (fresh(record).quality, fresh(record).score) == (90, record.score)

    def test_the_edit_action_refuses_an_evaluation(self, quality_manager, record):
        with pytest.raises(ActionRefused, match="is a record of an evaluation"):
            UpdateRecord(quality_manager, record, data={"remarks": "Changed my mind"}).execute()
        assert fresh(record).remarks == ""

    # -- who records them -------------------------------------------------------------------
    @pytest.mark.parametrize("persona_name", PERSONAS)
    def test_who_records_an_evaluation_through_the_api(
        self, api_for, persona_named, persona_name, supplier
    ):
        body = {
            "supplier": supplier.pk,
            "title": "Quarterly review",
            "evaluated_on": days_ago(1).isoformat(),
            "quality": 90,
            "delivery": 80,
            "responsiveness": 70,
        }
        response = api_for(persona_named(persona_name)).post(api_base(SupplierEvaluation), body)
        if persona_name in self.adders:
            assert response.status_code == 201, response.json()
            assert response.json()["score"] == 83.0  # 45 + 24 + 14
            assert fresh(supplier).last_score == Decimal("83.0")
        else:
            assert response.status_code == 403
            assert not SupplierEvaluation.objects.exists()
            assert fresh(supplier).version == 1


class TestEvaluationScore:
    """The score is the weighted sum of the three marks on the supplier's own scorecard,
    rounded to one decimal; the outcome follows the scorecard's marks."""

    @pytest.mark.parametrize(
        "weights,marks,expected",
        [
            ((50, 30, 20), (90, 85, 75), Decimal("85.5")),
            ((45, 35, 20), (91, 85, 77), Decimal("86.1")),  # 86.10 exactly
            ((33, 33, 34), (90, 85, 77), Decimal("83.9")),  # 83.93 rounds down
            ((33, 33, 34), (91, 85, 77), Decimal("84.3")),  # 84.26 rounds up
            ((45, 35, 20), (91, 84, 77), Decimal("85.8")),  # 85.75: half up and half even agree
            ((100, 0, 0), (73, 0, 0), Decimal("73.0")),
            ((34, 33, 33), (0, 0, 0), Decimal("0.0")),
            ((34, 33, 33), (100, 100, 100), Decimal("100.0")),
        ],
    )
    def test_the_score_is_the_weighted_sum_to_one_decimal(
        self, quality_manager, process_owner, weights, marks, expected
    ):
        card = make_scorecard(
            quality_manager,
            quality_weight=weights[0],
            delivery_weight=weights[1],
            responsiveness_weight=weights[2],
        )
        supplier = make_supplier(process_owner, card)
        evaluation = evaluate(process_owner, supplier, *marks)
        stored = fresh(evaluation)
        assert stored.score == expected
        assert str(stored.score) == str(expected)  # one decimal, as stored
        assert stored.weights == "/".join(str(w) for w in weights)
        assert fresh(supplier).last_score == expected

    def test_a_score_halfway_between_two_tenths_rounds_up(self, quality_manager, process_owner):
        card = make_scorecard(
            quality_manager, quality_weight=45, delivery_weight=35, responsiveness_weight=20
        )
        supplier = make_supplier(process_owner, card)
        evaluation = evaluate(process_owner, supplier, 91, 86, 77)  # 4095 + 3010 + 1540 = 86.45
        assert fresh(evaluation).score == Decimal("86.5")

    @pytest.mark.parametrize(
        "marks,score,outcome",
        [
            ((80, 80, 80), "80.0", "approve"),  # on the approval mark
            ((100, 100, 100), "100.0", "approve"),
            ((79, 80, 82), "79.9", "conditional"),  # just below it
            ((60, 60, 60), "60.0", "conditional"),  # on the conditional mark
            ((59, 60, 62), "59.9", "fail"),  # just below it
            ((0, 0, 0), "0.0", "fail"),
        ],
    )
    def test_the_outcome_follows_the_scorecards_marks(self, supplier, paula, marks, score, outcome):
        evaluation = fresh(evaluate(paula, supplier, *marks))
        assert (str(evaluation.score), evaluation.outcome) == (score, outcome)

    def test_the_marks_are_the_suppliers_own_scorecards(self, quality_manager, process_owner):
        strict = make_scorecard(quality_manager, title="Strict", approve_at=95, conditional_at=90)
        supplier = make_supplier(process_owner, strict)
        evaluation = evaluate(process_owner, supplier, 92, 92, 92)
        assert (evaluation.score, evaluation.outcome) == (Decimal("92.0"), "conditional")

    def test_a_score_recorded_on_the_web_is_worked_out_by_norma(
        self, client_for, process_owner, supplier
    ):
        data = form_data(
            SupplierEvaluationRegister,
            supplier=str(supplier.pk),
            title="Annual evaluation",
            evaluated_on=days_ago(1).isoformat(),
            quality="70",
            delivery="60",
            responsiveness="50",
            score="99.9",  # not a field of the form: never taken from the browser
            outcome="approve",
        )
        response = client_for(process_owner).post(
            reverse("operations:supplierevaluation_create"), data
        )
        assert response.status_code == 302
        evaluation = SupplierEvaluation.objects.get()
        assert (evaluation.score, evaluation.outcome, evaluation.weights) == (
            Decimal("63.0"),
            "conditional",
            "50/30/20",
        )
        assert evaluation.created_by == process_owner

    def test_the_api_refuses_a_score_sent_with_the_evaluation(
        self, api_for, process_owner, supplier
    ):
        body = {
            "supplier": supplier.pk,
            "title": "Annual evaluation",
            "evaluated_on": days_ago(1).isoformat(),
            "quality": 70,
            "delivery": 60,
            "responsiveness": 50,
            "score": 99.9,
        }
        response = api_for(process_owner).post(api_base(SupplierEvaluation), body)
        assert response.status_code == 422
        assert response.json()["errors"] == {"score": ["Unknown field."]}
        assert not SupplierEvaluation.objects.exists()

    def test_the_api_shows_the_score_and_what_it_means(self, api_for, quality_manager, evaluated):
        evaluation = evaluated.evaluations.get()
        answer = api_for(quality_manager).get(api_of(evaluation)).json()
        assert (answer["score"], answer["weights"], answer["outcome"]) == (
            86.1,
            "50/30/20",
            "approve",
        )
        supplier = api_for(quality_manager).get(api_of(evaluated)).json()
        assert supplier["last_score"] == 86.1
        assert supplier["last_evaluated_on"] == evaluation.evaluated_on.isoformat()


class TestEvaluationInput:
    """Bad marks and dates are refused naming the field, and leave nothing behind."""

    def nothing_stored(self, supplier):
        assert not SupplierEvaluation.objects.exists()
        supplier = fresh(supplier)
        assert (supplier.version, supplier.last_score, supplier.due_date) == (1, None, None)
        assert log_of(supplier).count() == 1  # its creation only

    def test_an_evaluation_cannot_be_dated_tomorrow(
        self, client_for, api_for, process_owner, supplier
    ):
        message = "An evaluation cannot be dated tomorrow."
        with pytest.raises(InvalidInput) as caught:
            evaluate(process_owner, supplier, on=in_days(1))
        assert caught.value.errors == {"evaluated_on": [message]}
        data = form_data(
            SupplierEvaluationRegister,
            supplier=str(supplier.pk),
            title="Early",
            evaluated_on=in_days(1).isoformat(),
            quality="90",
            delivery="90",
            responsiveness="90",
        )
        web = client_for(process_owner).post(reverse("operations:supplierevaluation_create"), data)
        assert web.status_code == 422
        assert web.context["form"].errors["evaluated_on"] == [message]
        body = {
            "supplier": supplier.pk,
            "title": "Early",
            "evaluated_on": in_days(1).isoformat(),
            "quality": 90,
            "delivery": 90,
            "responsiveness": 90,
        }
        api = api_for(process_owner).post(api_base(SupplierEvaluation), body)
        assert api.status_code == 422
        assert api.json()["errors"] == {"evaluated_on": [message]}
        self.nothing_stored(supplier)

    def test_an_evaluation_dated_today_is_accepted(self, process_owner, supplier):
        evaluation = evaluate(process_owner, supplier, on=today())
        assert fresh(supplier).last_evaluated_on == evaluation.evaluated_on == today()

    @pytest.mark.parametrize(
        "field,value,message",
        [
            ("quality", 101, "less than or equal to 100"),
            ("delivery", -1, "greater than or equal to 0"),
            ("responsiveness", 250, "less than or equal to 100"),
        ],
    )
    def test_a_mark_outside_0_to_100_is_refused_naming_it(
        self, client_for, api_for, process_owner, supplier, field, value, message
    ):
        marks = {"quality": 90, "delivery": 90, "responsiveness": 90, field: value}
        with pytest.raises(InvalidInput) as caught:
            evaluate(
                process_owner,
                supplier,
                marks["quality"],
                marks["delivery"],
                marks["responsiveness"],
            )
        assert list(caught.value.errors) == [field]
        assert message in caught.value.errors[field][0]

        data = form_data(
            SupplierEvaluationRegister,
            supplier=str(supplier.pk),
            title="Annual",
            evaluated_on=days_ago(1).isoformat(),
            **{name: str(mark) for name, mark in marks.items()},
        )
        web = client_for(process_owner).post(reverse("operations:supplierevaluation_create"), data)
        assert web.status_code == 422
        assert list(web.context["form"].errors) == [field]
        assert message in web.content.decode()

        body = {
            "supplier": supplier.pk,
            "title": "Annual",
            "evaluated_on": days_ago(1).isoformat(),
            **marks,
        }
        api = api_for(process_owner).post(api_base(SupplierEvaluation), body)
        assert api.status_code == 422
        assert list(api.json()["errors"]) == [field]
        assert message in api.json()["errors"][field][0]
        self.nothing_stored(supplier)

    def test_a_missing_mark_is_refused_naming_it(self, api_for, process_owner, supplier):
        body = {
            "supplier": supplier.pk,
            "title": "Annual",
            "evaluated_on": days_ago(1).isoformat(),
            "quality": 90,
            "delivery": 90,
        }
        response = api_for(process_owner).post(api_base(SupplierEvaluation), body)
        assert response.status_code == 422
        assert response.json()["errors"] == {"responsiveness": ["This field is required."]}
        self.nothing_stored(supplier)

    def test_a_supplier_outside_my_sites_cannot_be_evaluated(self, process_owner, card):
        leeds, porto = SiteFactory(code="leeds"), SiteFactory(code="porto")
        supplier = make_supplier(process_owner, card, site=porto)
        buyer = PersonFactory(roles=[RoleCode.PROCESS_OWNER], scope_sites=[leeds])
        with pytest.raises(NotPermitted, match="outside the sites or departments you work in"):
            evaluate(buyer, supplier, site=leeds)
        self.nothing_stored(supplier)


class TestNewestEvaluation:
    """The newest evaluation moves the supplier's score and re-evaluation date, logged on
    the supplier; an older one entered late is kept but moves nothing."""

    def test_the_newest_evaluation_sets_the_suppliers_score_and_next_due_date(
        self, process_owner, quality_manager, card
    ):
        supplier = make_supplier(process_owner, card, evaluation_interval_months=6)
        evaluation = evaluate(process_owner, supplier, 90, 70, 60, on=datetime.date(2025, 8, 31))
        supplier = fresh(supplier)
        assert supplier.last_score == evaluation.score == Decimal("78.0")
        assert supplier.last_evaluated_on == datetime.date(2025, 8, 31)
        assert supplier.due_date == datetime.date(2026, 2, 28)  # six months on, at month end
        assert supplier.version == 2
        assert supplier.status == "pending"  # scoring is not approving

    def test_the_move_is_logged_on_the_supplier_by_whoever_recorded_it(
        self, process_owner, supplier
    ):
        evaluate(process_owner, supplier, 90, 85, 78, on=datetime.date(2026, 3, 15))
        supplier = fresh(supplier)
        entry = log_of(supplier).order_by("-id").first()
        assert (entry.action, entry.actor_id) == ("evaluated", process_owner.pk)
        changed = {name: (before, after) for name, before, after in entry.changed_fields()}
        assert changed["last_score"][1] == "86.1"
        assert changed["last_evaluated_on"] == (None, "2026-03-15")
        assert changed["due_date"] == (None, "2027-03-15")
        assert log_of(supplier).count() == 2

    def test_an_older_evaluation_entered_late_moves_nothing(self, process_owner, supplier):
        newest = evaluate(process_owner, supplier, 90, 85, 78, on=days_ago(10))
        moved = fresh(supplier)
        late = evaluate(process_owner, moved, 40, 40, 40, on=days_ago(100))
        supplier = fresh(supplier)
        assert (supplier.last_score, supplier.last_evaluated_on, supplier.due_date) == (
            newest.score,
            days_ago(10),
            add_months(days_ago(10), 12),
        )
        assert supplier.version == moved.version
        assert log_of(supplier).count() == 2  # created, then the newest evaluation
        assert (fresh(late).score, fresh(late).outcome) == (Decimal("40.0"), "fail")

    def test_a_second_evaluation_on_the_same_day_is_the_newest(self, process_owner, supplier):
        evaluate(process_owner, supplier, 90, 85, 78, on=days_ago(1))
        evaluate(process_owner, fresh(supplier), 50, 50, 50, on=days_ago(1))
        assert fresh(supplier).last_score == Decimal("50.0")

    def test_a_later_evaluation_moves_the_due_date_again(self, process_owner, supplier):
        evaluate(process_owner, supplier, 90, 85, 78, on=days_ago(200))
        evaluate(process_owner, fresh(supplier), 70, 70, 70, on=days_ago(5))
        supplier = fresh(supplier)
        assert (supplier.last_score, supplier.due_date) == (
            Decimal("70.0"),
            add_months(days_ago(5), 12),
        )
        assert log_of(supplier).count() == 3

    def test_recording_an_evaluation_keeps_a_decision_taken_meanwhile(
        self, quality_manager, paula, evaluated
    ):
        """The supplier is read again under a lock: a copy read before an approval does not
        put it back to pending."""
        read_earlier = Supplier.objects.get(pk=evaluated.pk)
        steps.ApproveSupplier(quality_manager, evaluated).execute()
        evaluate(paula, read_earlier, 95, 95, 95, on=today())
        supplier = fresh(evaluated)
        assert (supplier.status, supplier.last_score) == ("approved", Decimal("95.0"))

    def test_the_suppliers_history_calls_it_an_evaluation_not_a_creation(
        self, process_owner, supplier
    ):
        evaluate(process_owner, supplier)
        assert log_of(supplier, "create").count() == 1
        assert log_of(supplier, "evaluated").count() == 1


# ============================================================================================
# Approval: ApproveSupplier, ApproveConditionally, DisqualifySupplier
# ============================================================================================
DECISIONS = {
    "approve": ({}, "approved"),
    "approve-conditionally": ({"reason": "Only with 100 % incoming inspection"}, "conditional"),
    "disqualify": ({"reason": "Lost its ISO 9001 certificate"}, "disqualified"),
}
DECISION_LABELS = {
    "approve": "approve",
    "approve-conditionally": "approve on conditions",
    "disqualify": "disqualify",
}


class TestSupplierApproval:
    @pytest.mark.parametrize("code", DECISIONS)
    @pytest.mark.parametrize("persona_name", PERSONAS)
    def test_who_decides_on_the_web(self, client_for, request, evaluated, code, persona_name):
        fields, target = DECISIONS[code]
        before = state(evaluated)
        response = do(client_for(request.getfixturevalue(persona_name)), evaluated, code, **fields)
        if persona_name in APPROVERS:
            assert response.status_code == 302
            assert messages_of(response) == f"{evaluated.reference}: done."
            assert fresh(evaluated).status == target
            assert log_of(evaluated, code).count() == 1
        elif persona_name == "nobody":
            assert response.status_code == 403
            assert state(evaluated) == before
        else:
            assert response.status_code == 302
            assert messages_of(response) == f"You do not have the right to {DECISION_LABELS[code]}."
            assert state(evaluated) == before

    @pytest.mark.parametrize("code", DECISIONS)
    @pytest.mark.parametrize("persona_name", PERSONAS)
    def test_who_decides_through_the_api(self, api_for, request, evaluated, code, persona_name):
        fields, target = DECISIONS[code]
        before = state(evaluated)
        response = api_do(api_for(request.getfixturevalue(persona_name)), evaluated, code, **fields)
        if persona_name in APPROVERS:
            assert response.status_code == 200, response.json()
            assert response.json()["status"] == target
            assert fresh(evaluated).status == target
        else:
            assert response.status_code == 403
            assert response.json()["detail"] == (
                f"You do not have the right to {DECISION_LABELS[code]}."
            )
            assert state(evaluated) == before

    def test_the_process_owner_is_not_offered_the_decisions(
        self, client_for, process_owner, evaluated
    ):
        html = client_for(process_owner).get(page_of(evaluated)).content.decode()
        assert "/do/approve/" not in html
        assert "/do/disqualify/" not in html

    def test_the_decision_reason_is_logged(self, quality_manager, evaluated):
        steps.ApproveConditionally(
            quality_manager, evaluated, reason="Only with 100 % incoming inspection"
        ).execute()
        entry = log_of(evaluated, "approve-conditionally").get()
        assert entry.reason == "Only with 100 % incoming inspection"
        assert entry.actor_id == quality_manager.pk
        assert (entry.before["status"], entry.after["status"]) == ("pending", "conditional")

    @pytest.mark.parametrize("code", ["approve-conditionally", "disqualify"])
    def test_conditions_and_disqualification_need_a_reason(
        self, client_for, api_for, quality_manager, evaluated, code
    ):
        before = state(evaluated)
        web = do(client_for(quality_manager), evaluated, code, reason="  ")
        assert messages_of(web) == "A reason is required. Give a reason."
        api = api_do(api_for(quality_manager), evaluated, code)
        assert api.status_code == 422
        assert api.json()["errors"] == {"reason": ["Give a reason."]}
        assert state(evaluated) == before

    # -- on what evidence ---------------------------------------------------------------------
    def test_no_approval_without_an_evaluation(
        self, client_for, api_for, quality_manager, supplier
    ):
        message = (
            f"{supplier.reference} has no evaluation within its 12-month interval: "
            "evaluate it first."
        )
        for code in ("approve", "approve-conditionally"):
            with pytest.raises(ActionRefused) as caught:
                action = {
                    "approve": steps.ApproveSupplier,
                    "approve-conditionally": steps.ApproveConditionally,
                }[code]
                action(quality_manager, supplier, reason="Trial order").execute()
            assert caught.value.message == message
        web = do(client_for(quality_manager), supplier, "approve")
        assert messages_of(web) == message
        api = api_do(api_for(quality_manager), supplier, "approve")
        assert (api.status_code, api.json()["detail"]) == (409, message)
        assert state(supplier) == ("pending", 1, 1)

    def test_no_approval_on_an_evaluation_older_than_the_interval(
        self, quality_manager, paula, supplier
    ):
        evaluate(paula, supplier, 95, 95, 95, on=days_ago(400))
        with pytest.raises(ActionRefused, match="no evaluation within its 12-month interval"):
            steps.ApproveSupplier(quality_manager, fresh(supplier)).execute()
        assert fresh(supplier).status == "pending"

    def test_a_shorter_interval_asks_for_a_more_recent_evaluation(
        self, quality_manager, paula, card, process_owner
    ):
        supplier = make_supplier(process_owner, card, evaluation_interval_months=3)
        evaluate(paula, supplier, 95, 95, 95, on=days_ago(120))
        with pytest.raises(ActionRefused, match="within its 3-month interval"):
            steps.ApproveSupplier(quality_manager, fresh(supplier)).execute()
        evaluate(paula, fresh(supplier), 95, 95, 95, on=days_ago(30))
        assert (
            steps.ApproveSupplier(quality_manager, fresh(supplier)).execute().status == "approved"
        )

    def test_an_archived_evaluation_is_no_evidence(self, quality_manager, evaluated):
        ArchiveRecord(
            quality_manager, evaluated.evaluations.get(), reason="Wrong supplier"
        ).execute()
        with pytest.raises(ActionRefused, match="has no evaluation within"):
            steps.ApproveSupplier(quality_manager, fresh(evaluated)).execute()

    def test_the_newest_evaluation_decides_even_when_an_older_one_was_better(
        self, quality_manager, paula, supplier
    ):
        evaluate(paula, supplier, 95, 95, 95, on=days_ago(30))
        late = evaluate(paula, fresh(supplier), 40, 40, 40, on=days_ago(60))  # older, entered late
        assert late.outcome == "fail"
        assert (
            steps.ApproveSupplier(quality_manager, fresh(supplier)).execute().status == "approved"
        )
        evaluate(paula, fresh(supplier), 65, 65, 65, on=days_ago(1))  # newest: conditional
        supplier = steps.ApproveConditionally(
            quality_manager, fresh(supplier), reason="Watch"
        ).execute()
        assert supplier.status == "conditional"
        with pytest.raises(ActionRefused) as caught:
            steps.ApproveSupplier(quality_manager, supplier).execute()
        newest = supplier.evaluations.get(evaluated_on=days_ago(1))
        assert caught.value.message == (
            f"The latest evaluation, {newest.reference}, scored 65.0: meets the conditional mark."
        )

    def test_a_conditional_score_is_not_enough_for_full_approval(
        self, client_for, quality_manager, paula, supplier
    ):
        evaluation = evaluate(paula, supplier, 70, 70, 70)
        response = do(client_for(quality_manager), supplier, "approve")
        assert messages_of(response) == (
            f"The latest evaluation, {evaluation.reference}, scored 70.0: "
            "meets the conditional mark."
        )
        assert fresh(supplier).status == "pending"
        conditional = do(
            client_for(quality_manager), supplier, "approve-conditionally", reason="Watch"
        )
        assert messages_of(conditional) == f"{supplier.reference}: done."
        assert fresh(supplier).status == "conditional"

    def test_a_failing_score_is_refused_even_conditional_approval(
        self, api_for, quality_manager, paula, supplier
    ):
        evaluation = evaluate(paula, supplier, 50, 50, 50)
        for code, fields in (("approve", {}), ("approve-conditionally", {"reason": "Trial"})):
            response = api_do(api_for(quality_manager), supplier, code, **fields)
            assert response.status_code == 409
            assert response.json()["detail"] == (
                f"The latest evaluation, {evaluation.reference}, scored 50.0: "
                "below the conditional mark."
            )
        assert state(supplier)[0] == "pending"
        disqualified = api_do(api_for(quality_manager), supplier, "disqualify", reason="Failed")
        assert disqualified.json()["status"] == "disqualified"

    def test_a_disqualified_supplier_is_approved_again_on_a_new_evaluation(
        self, quality_manager, paula, approved
    ):
        supplier = steps.DisqualifySupplier(quality_manager, approved, reason="Late").execute()
        with pytest.raises(ActionRefused, match="is disqualified"):
            steps.DisqualifySupplier(quality_manager, supplier, reason="Again").execute()
        evaluate(paula, supplier, 92, 92, 92, on=today())
        assert (
            steps.ApproveSupplier(quality_manager, fresh(supplier)).execute().status == "approved"
        )

    @pytest.mark.parametrize("code", ["approve", "approve-conditionally"])
    def test_a_disqualified_supplier_needs_an_evaluation_made_since(
        self, client_for, quality_manager, top_manager, paula, supplier, code
    ):
        evaluate(paula, supplier, 92, 92, 92, on=days_ago(3))
        steps.ApproveSupplier(quality_manager, fresh(supplier)).execute()
        disqualified = steps.DisqualifySupplier(
            top_manager, fresh(supplier), reason="Certificate withdrawn"
        ).execute()
        assert timezone.localtime(disqualified.decided_at).date() == today()
        before = state(supplier)
        response = do(client_for(quality_manager), supplier, code, reason="Back on conditions")
        assert messages_of(response) == (
            f"{supplier.reference} was disqualified on {today().isoformat()}: it needs an "
            "evaluation recorded since then."
        )
        assert state(supplier) == before

    def test_an_evaluation_recorded_before_the_disqualification_does_not_count_the_same_day(
        self, quality_manager, top_manager, paula, supplier
    ):
        evaluate(paula, supplier, 92, 92, 92, on=today())
        steps.ApproveSupplier(quality_manager, fresh(supplier)).execute()
        steps.DisqualifySupplier(
            top_manager, fresh(supplier), reason="Certificate withdrawn"
        ).execute()
        with pytest.raises(ActionRefused, match="needs an evaluation recorded since then"):
            steps.ApproveSupplier(quality_manager, fresh(supplier)).execute()

    def test_each_decision_records_its_day(self, quality_manager, evaluated):
        assert evaluated.decided_at is None
        supplier = steps.ApproveSupplier(quality_manager, evaluated).execute()
        assert timezone.localtime(fresh(supplier).decided_at).date() == today()

    def test_an_approved_supplier_is_not_approved_twice(self, quality_manager, approved):
        with pytest.raises(ActionRefused, match="“Approve” does not apply now"):
            steps.ApproveSupplier(quality_manager, approved).execute()

    def test_an_archived_supplier_cannot_be_decided(self, quality_manager, approved):
        supplier = steps.DisqualifySupplier(quality_manager, approved, reason="Gone").execute()
        ArchiveRecord(quality_manager, supplier, reason="Closed").execute()
        with pytest.raises(ActionRefused, match="is archived"):
            steps.ApproveSupplier(quality_manager, fresh(supplier)).execute()

    # -- separation of duties ---------------------------------------------------------------
    @pytest.mark.parametrize("persona_name", APPROVERS)
    def test_whoever_recorded_the_evaluation_does_not_approve_on_it(
        self, client_for, api_for, request, supplier, persona_name
    ):
        person = request.getfixturevalue(persona_name)
        evaluate(person, supplier, 90, 90, 90)
        before = state(supplier)
        message = "You cannot approve your own work: another person must approve it."
        for action in (steps.ApproveSupplier, steps.ApproveConditionally):
            with pytest.raises(NotPermitted) as caught:
                action(person, fresh(supplier), reason="Conditions").execute()
            assert caught.value.message == message
        assert messages_of(do(client_for(person), supplier, "approve")) == message
        api = api_do(api_for(person), supplier, "approve")
        assert (api.status_code, api.json()["detail"]) == (403, message)
        assert state(supplier) == before

    def test_the_page_says_why_the_evaluator_cannot_approve(
        self, client_for, quality_manager, supplier
    ):
        evaluate(quality_manager, supplier, 90, 90, 90)
        html = client_for(quality_manager).get(page_of(supplier)).content.decode()
        assert (
            "<strong>Approve</strong>: You cannot approve your own work: another person must "
            "approve it." in html
        )

    def test_another_approver_may_approve_on_it(self, top_manager, quality_manager, supplier):
        evaluate(quality_manager, supplier, 90, 90, 90)
        assert steps.ApproveSupplier(top_manager, fresh(supplier)).execute().status == "approved"
        assert log_of(supplier, "approve").get().actor_id == top_manager.pk

    def test_only_the_evaluation_that_decides_counts(self, quality_manager, paula, supplier):
        """An old evaluation of mine does not bar me once someone else has evaluated since."""
        evaluate(quality_manager, supplier, 90, 90, 90, on=days_ago(20))
        evaluate(paula, fresh(supplier), 90, 90, 90, on=days_ago(2))
        assert (
            steps.ApproveSupplier(quality_manager, fresh(supplier)).execute().status == "approved"
        )

    def test_disqualifying_on_my_own_evaluation_is_allowed(self, quality_manager, supplier):
        evaluate(quality_manager, supplier, 30, 30, 30)
        supplier = steps.DisqualifySupplier(
            quality_manager, fresh(supplier), reason="Failed"
        ).execute()
        assert supplier.status == "disqualified"

    def test_with_separation_of_duties_off_the_evaluator_may_approve(
        self, settings, quality_manager, supplier
    ):
        settings.NORMA_SEPARATION_OF_DUTIES = False
        evaluate(quality_manager, supplier, 90, 90, 90)
        assert (
            steps.ApproveSupplier(quality_manager, fresh(supplier)).execute().status == "approved"
        )
        assert log_of(supplier, "approve").get().actor_id == quality_manager.pk


# ============================================================================================
# Certificates
# ============================================================================================
class TestSupplierCertificateRegister(RegisterKit):
    register = SupplierCertificateRegister
    make_record = staticmethod(certificate_for_the_kit)
    bulk_records = staticmethod(bulk_certificates)
    edit_data = {"certificate_number": "Q-99001", "issued_by": "Lloyd's Register"}
    viewers = EVERYONE
    adders = BUYERS
    editors = BUYERS
    archivers = QUALITY_TEAM

    @property
    def create_data(self):
        return {
            "supplier": Lazy(kit_supplier),
            "title": "ISO 9001 certificate",
            "standard": "ISO 9001:2015",
            "certificate_number": "FM 55012",
            "issued_by": "BSI",
            "issued_on": days_ago(100).isoformat(),
            "expires_on": in_days(995).isoformat(),
        }

    @property
    def invalid_data(self):
        return {"expires_on": days_ago(200).isoformat()}  # before it was issued

    def test_csv_export_neutralises_spreadsheet_formulas(self, client_for, persona_named):
        """The certificate's title is not a column; the typed text that begins a cell of the
        export is its standard."""
        certificate_for_the_kit(persona_named(self.adders[0]), standard="=HYPERLINK(evil)")
        response = client_for(persona_named(self.viewers[0])).get(
            self.url("export") + "?format=csv"
        )
        body = b"".join(response.streaming_content).decode()
        assert "'=HYPERLINK(evil)" in body
        assert ",=HYPERLINK" not in body

    # -- dates --------------------------------------------------------------------------------
    @pytest.mark.parametrize("expires", [0, -1])  # on the day it was issued, or before
    def test_a_certificate_expires_after_it_was_issued(self, api_for, process_owner, expires):
        issued = days_ago(10)
        body = {
            "supplier": kit_supplier().pk,
            "title": "Certificate",
            "standard": "ISO 9001:2015",
            "certificate_number": "Q-1",
            "issued_on": issued.isoformat(),
            "expires_on": (issued + timedelta(days=expires)).isoformat(),
        }
        response = api_for(process_owner).post(api_base(SupplierCertificate), body)
        assert response.status_code == 422
        assert response.json()["errors"] == {"expires_on": ["It must expire after it was issued."]}
        assert not SupplierCertificate.objects.exists()

    def test_a_certificate_cannot_be_issued_tomorrow(self, client_for, process_owner):
        data = form_data(
            SupplierCertificateRegister,
            **{**self.create_data, "issued_on": in_days(1).isoformat()},
        )
        response = client_for(process_owner).post(self.url("create"), data)
        assert response.status_code == 422
        assert response.context["form"].errors["issued_on"] == [
            "A certificate cannot be issued tomorrow."
        ]
        assert not SupplierCertificate.objects.exists()

    def test_an_expired_certificate_may_be_recorded_and_shows_as_expired(
        self, client_for, quality_manager, process_owner, supplier
    ):
        make_certificate(process_owner, supplier, issued_on=days_ago(1200), expires_on=days_ago(5))
        html = client_for(quality_manager).get(page_of(supplier)).content.decode()
        assert f'class="date overdue">{days_ago(5).isoformat()}</td><td>Expired</td>' in html

    # -- withdrawn ------------------------------------------------------------------------------
    @pytest.mark.parametrize("persona_name", PERSONAS)
    def test_who_marks_a_certificate_withdrawn(self, client_for, persona_named, persona_name):
        certificate = make_certificate(persona_named("process_owner"))
        before = state(certificate)
        response = do(
            client_for(persona_named(persona_name)),
            certificate,
            "withdraw",
            reason="Suspended by the certification body",
        )
        if persona_name in self.editors:
            assert response.status_code == 302
            assert fresh(certificate).status == "withdrawn"
            assert log_of(certificate, "withdraw").get().reason == (
                "Suspended by the certification body"
            )
        elif persona_name == "nobody":
            assert response.status_code == 403
            assert state(certificate) == before
        else:
            assert (
                messages_of(response) == "You do not have the right to mark withdrawn or suspended."
            )
            assert state(certificate) == before

    def test_withdrawing_needs_a_reason_and_happens_once(self, api_for, process_owner):
        certificate = make_certificate(process_owner)
        api = api_for(process_owner)
        refused = api_do(api, certificate, "withdraw")
        assert (refused.status_code, refused.json()["errors"]) == (
            422,
            {"reason": ["Give a reason."]},
        )
        assert (
            api_do(api, certificate, "withdraw", reason="Suspended").json()["status"] == "withdrawn"
        )
        again = api_do(api, certificate, "withdraw", reason="Again")
        assert again.status_code == 409
        assert "is withdrawn or suspended" in again.json()["detail"]

    # -- the expiry reminder ------------------------------------------------------------------
    def certificate_notes(self):
        return Notification.objects.filter(object_type="operations.suppliercertificate")

    def test_the_expiry_reminder_goes_to_the_quality_manager_60_days_before(self, process_owner):
        certificate = make_certificate(process_owner, expires_on=in_days(45))
        create_reminders()
        reminder = self.certificate_notes().get()
        assert reminder.recipient_role == RoleCode.QUALITY_MANAGER
        assert reminder.recipient_person is None
        assert reminder.kind == NotificationKind.DUE
        assert reminder.reference == certificate.reference
        assert reminder.due_date == in_days(45)
        assert reminder.message == f"Certificate expires in 45 days ({in_days(45).isoformat()})."
        assert reminder.link == f"/operations/supplier-certificates/{certificate.reference}/"

    def test_the_owner_is_reminded_too(self, process_owner):
        make_certificate(process_owner, expires_on=in_days(20), owner=process_owner)
        create_reminders()
        assert {(n.recipient_role, n.recipient_person_id) for n in self.certificate_notes()} == {
            (RoleCode.QUALITY_MANAGER, None),
            ("", process_owner.pk),
        }

    def test_reminded_at_60_and_at_30_days_then_when_it_has_expired(self, process_owner):
        make_certificate(process_owner, expires_on=in_days(90))
        assert self.run_on(0) == 0  # 90 days out
        assert self.run_on(29) == 0  # 61 days out
        assert self.run_on(30) == 1  # 60 days out
        assert self.run_on(31) == 0  # 59: still the 60-day reminder
        assert self.run_on(59) == 0  # 31
        assert self.run_on(60) == 1  # 30 days out
        assert self.run_on(89) == 0  # due tomorrow: no third reminder
        assert self.run_on(91) == 1  # expired
        assert self.run_on(92) == 0
        kinds = list(self.certificate_notes().order_by("id").values_list("kind", "message"))
        assert [kind for kind, _ in kinds] == ["due", "due", "overdue"]
        assert kinds[1][1].startswith("Certificate expires in 30 days")
        assert kinds[2][1] == f"Overdue: certificate expires {in_days(90).isoformat()}, 1 day ago."

    def run_on(self, day: int) -> int:
        before = self.certificate_notes().count()
        create_reminders(in_days(day))
        return self.certificate_notes().count() - before

    def test_a_withdrawn_or_archived_certificate_does_not_remind(
        self, quality_manager, process_owner
    ):
        withdrawn = make_certificate(process_owner, expires_on=in_days(10))
        steps.WithdrawCertificate(process_owner, withdrawn, reason="Suspended").execute()
        archived = make_certificate(process_owner, expires_on=in_days(10))
        ArchiveRecord(quality_manager, archived, reason="Entered twice").execute()
        create_reminders()
        assert not self.certificate_notes().exists()


# ============================================================================================
# Corrective action requests (SCARs)
# ============================================================================================
def scar_at(status: str, actor, supplier=None) -> Scar:
    """A SCAR taken to `status` by the real actions."""
    scar = issue_scar(actor, supplier or supplier_for_the_kit(actor))
    if status in ("responded", "accepted"):
        data = {**RESPONSE, "responded_on": days_ago(1).isoformat()}
        scar = steps.RecordScarResponse(actor, scar, data=data).execute()
    if status == "accepted":
        scar = steps.AcceptScarResponse(
            actor, scar, data={"review_notes": "Evidence seen"}
        ).execute()
    if status == "cancelled":
        scar = steps.CancelScar(actor, scar, reason="Raised in error").execute()
    return fresh(scar)


SCAR_STEPS = {
    # code: (from, to, fields, label)
    "record-response": (
        "requested",
        "responded",
        {**RESPONSE, "responded_on": "yesterday"},
        "record the supplier's response",
    ),
    "accept": (
        "responded",
        "accepted",
        {"review_notes": "8D report checked"},
        "accept the response",
    ),
    "reject": (
        "responded",
        "requested",
        {"reason": "No evidence of the new check", "due_date": "in 10 days"},
        "send the response back",
    ),
    "cancel": ("requested", "cancelled", {"reason": "Raised against the wrong supplier"}, "cancel"),
}


def scar_request(supplier, **fields) -> dict:
    """The API body of a new SCAR (the API needs requested_on: see the xfail below)."""
    return {
        "supplier": supplier.pk,
        "title": "Burrs",
        "problem": "Burrs on lot 12.",
        "requested_on": today().isoformat(),
        **fields,
    }


def scar_body(fields: dict) -> dict:
    dates = {"yesterday": days_ago(1).isoformat(), "in 10 days": in_days(10).isoformat()}
    return {k: dates.get(v, v) for k, v in fields.items()}


class TestScarRegister(RegisterKit):
    register = ScarRegister
    make_record = staticmethod(scar_for_the_kit)
    bulk_records = staticmethod(bulk_scars)
    edit_data = {"title": "Shafts below hardness, lot 44", "problem": "8 of 20 shafts at 50 HRC."}
    viewers = EVERYONE
    adders = BUYERS
    editors = BUYERS
    archivers = QUALITY_TEAM

    @property
    def create_data(self):
        return {
            "supplier": Lazy(kit_supplier),
            "title": "Burrs on bracket edges",
            "problem": "Burrs found on 30 % of lot 12 at incoming inspection.",
            "due_date": in_days(14).isoformat(),
        }

    @property
    def invalid_data(self):
        return {"due_date": days_ago(1).isoformat()}  # before the request is sent today

    @pytest.fixture
    def archivable(self, record, quality_manager):
        """An open request is cancelled, with a reason, before it is archived."""
        return steps.CancelScar(quality_manager, record, reason="Duplicate").execute()

    def test_an_open_request_is_cancelled_not_archived(self, client_for, quality_manager, record):
        response = client_for(quality_manager).post(
            self.url("archive", record), {"reason": "Not needed"}
        )
        assert messages_of(response) == (
            f"{record.reference} is still open: cancel it, with a reason, instead."
        )
        assert not fresh(record).is_archived

    # -- issuing one --------------------------------------------------------------------------
    def test_a_request_without_a_nonconformity_raises_a_supplier_nonconformity(
        self, process_owner, card
    ):
        """The nonconformity comes from the request (its origin), which names the supplier."""
        porto = SiteFactory(code="porto")
        supplier = make_supplier(process_owner, card, site=porto)
        scar = issue_scar(process_owner, supplier)
        nc = Nonconformity.objects.get()
        assert scar.nonconformity == nc
        assert fresh(scar).nonconformity_id == nc.pk
        assert nc.source == "supplier"
        assert nc.origin == scar
        assert nc.origin.supplier == supplier
        assert nc.origin_type == ContentType.objects.get_for_model(Scar)
        assert nc.title == "Castwell Foundry: Shafts below hardness"
        assert nc.description == "6 of 20 shafts at 52 HRC against 58–62."
        assert (nc.site, scar.site) == (porto, porto)
        assert (nc.status, nc.detected_by) == ("reported", process_owner)

    def test_the_web_form_raises_the_nonconformity_too(self, client_for, process_owner, supplier):
        data = form_data(
            ScarRegister,
            supplier=str(supplier.pk),
            title="Burrs on bracket edges",
            problem="Burrs on lot 12.",
            due_date=in_days(14).isoformat(),
        )
        response = client_for(process_owner).post(self.url("create"), data)
        scar = Scar.objects.get()
        assert response.status_code == 302
        assert response["Location"] == self.url("detail", scar)
        assert scar.nonconformity.source == "supplier"
        assert scar.nonconformity.origin == scar
        assert (scar.supplier, scar.status) == (supplier, "requested")

    def test_a_request_on_an_open_nonconformity_links_it_and_raises_none(
        self, api_for, process_owner, supplier
    ):
        nc = make_nc(process_owner, source="supplier")
        body = scar_request(supplier, nonconformity=nc.pk)
        response = api_for(process_owner).post(api_base(Scar), body)
        assert response.status_code == 201, response.json()
        assert response.json()["nonconformity"] == nc.pk
        assert Nonconformity.objects.count() == 1

    @pytest.mark.parametrize("ending", ["closed", "cancelled"])
    def test_a_request_on_a_nonconformity_no_longer_open_is_refused_naming_it(
        self, client_for, api_for, process_owner, supplier, ending
    ):
        nc = make_nc(process_owner, source="supplier")
        Nonconformity.objects.filter(pk=nc.pk).update(status=ending)
        message = f"{nc.reference} is no longer open."
        data = form_data(
            ScarRegister,
            supplier=str(supplier.pk),
            title="Burrs",
            problem="Burrs on lot 12.",
            nonconformity=str(nc.pk),
        )
        web = client_for(process_owner).post(self.url("create"), data)
        assert web.status_code == 422
        assert web.context["form"].errors["nonconformity"] == [message]
        assert message in web.content.decode()
        body = scar_request(supplier, nonconformity=nc.pk)
        api = api_for(process_owner).post(api_base(Scar), body)
        assert api.status_code == 422
        assert api.json()["errors"] == {"nonconformity": [message]}
        with pytest.raises(InvalidInput):
            issue_scar(process_owner, supplier, nonconformity=fresh(nc))
        assert not Scar.objects.exists()
        assert Nonconformity.objects.count() == 1

    def test_a_refused_request_raises_no_nonconformity(self, api_for, process_owner, supplier):
        body = scar_request(supplier, problem="")
        response = api_for(process_owner).post(api_base(Scar), body)
        assert response.status_code == 422
        assert "problem" in response.json()["errors"]
        assert not Scar.objects.exists()
        assert not Nonconformity.objects.exists()

    @pytest.mark.parametrize("persona_name", PERSONAS)
    def test_who_requests_corrective_action_through_the_api(
        self, api_for, persona_named, persona_name
    ):
        body = scar_request(kit_supplier())
        response = api_for(persona_named(persona_name)).post(api_base(Scar), body)
        if persona_name in self.adders:
            assert response.status_code == 201
            assert Scar.objects.get().nonconformity.source == "supplier"
        else:
            assert response.status_code == 403
            assert not Scar.objects.exists()
            assert not Nonconformity.objects.exists()

    def test_the_api_dates_a_request_today_when_no_date_is_sent(
        self, api_for, process_owner, supplier
    ):
        body = scar_request(supplier)
        del body["requested_on"]
        response = api_for(process_owner).post(api_base(Scar), body)
        assert response.status_code == 201, response.json()
        assert response.json()["requested_on"] == today().isoformat()

    @pytest.mark.parametrize("field", ["nonconformity", "supplier"])
    def test_an_edit_cannot_take_its_nonconformity_or_supplier_away(
        self, client_for, quality_manager, record, field
    ):
        other = {
            "nonconformity": lambda: make_nc(quality_manager).pk,
            "supplier": lambda: kit_supplier().pk,
        }[field]()
        emptied = {
            "nonconformity": "This cannot change once the record exists.",
            "supplier": "This field is required.",
        }[field]
        for value, message in (
            ("", emptied),
            (str(other), "This cannot change once the record exists."),
        ):
            data = form_data(ScarRegister, record, **{field: value})
            response = client_for(quality_manager).post(self.url("edit", record), data)
            assert response.status_code == 422
            assert response.context["form"].errors[field] == [message]
        stored = fresh(record)
        assert (stored.nonconformity_id, stored.supplier_id, stored.version) == (
            record.nonconformity_id,
            record.supplier_id,
            1,
        )

    # -- the workflow ---------------------------------------------------------------------------
    def test_the_response_is_recorded_then_accepted(self, client_for, process_owner):
        scar = scar_at("requested", process_owner)
        client = client_for(process_owner)
        response = do(
            client, scar, "record-response", **scar_body(SCAR_STEPS["record-response"][2])
        )
        assert messages_of(response) == f"{scar.reference}: done."
        scar = fresh(scar)
        assert (scar.status, scar.root_cause, scar.corrective_action, scar.responded_on) == (
            "responded",
            RESPONSE["root_cause"],
            RESPONSE["corrective_action"],
            days_ago(1),
        )
        do(client, scar, "accept", review_notes="8D report checked; hardness records seen")
        scar = fresh(scar)
        assert (scar.status, scar.review_notes) == (
            "accepted",
            "8D report checked; hardness records seen",
        )
        assert [e.action for e in log_of(scar).order_by("id")] == [
            "create",
            "record-response",
            "accept",
        ]

    def test_an_accepted_request_can_no_longer_be_edited(self, client_for, process_owner):
        scar = scar_at("accepted", process_owner)
        response = client_for(process_owner).get(self.url("edit", scar))
        assert response.status_code == 302
        assert messages_of(response) == f"{scar.reference} is response accepted."

    def test_a_response_needs_cause_action_and_date(self, api_for, process_owner):
        scar = scar_at("requested", process_owner)
        before = state(scar)
        response = api_do(api_for(process_owner), scar, "record-response")
        assert response.status_code == 422
        assert set(response.json()["errors"]) == {"root_cause", "corrective_action", "responded_on"}
        assert state(scar) == before

    def test_a_response_cannot_arrive_tomorrow(self, api_for, process_owner):
        scar = scar_at("requested", process_owner)
        response = api_do(
            api_for(process_owner),
            scar,
            "record-response",
            **RESPONSE,
            responded_on=in_days(1).isoformat(),
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {"responded_on": ["A response cannot arrive tomorrow."]}
        assert fresh(scar).status == "requested"

    def test_accepting_needs_review_notes(self, api_for, process_owner):
        scar = scar_at("responded", process_owner)
        response = api_do(api_for(process_owner), scar, "accept")
        assert response.status_code == 422
        assert response.json()["errors"] == {"review_notes": ["This field is required."]}
        assert fresh(scar).status == "responded"

    def test_a_rejected_response_goes_back_with_the_reason_and_a_new_date(
        self, api_for, process_owner
    ):
        scar = scar_at("responded", process_owner)
        response = api_do(
            api_for(process_owner),
            scar,
            "reject",
            reason="No evidence of the new check",
            due_date=in_days(10).isoformat(),
        )
        assert response.status_code == 200, response.json()
        scar = fresh(scar)
        assert (scar.status, scar.due_date, scar.review_notes) == (
            "requested",
            in_days(10),
            "No evidence of the new check",
        )
        assert log_of(scar, "reject").get().reason == "No evidence of the new check"
        again = steps.RecordScarResponse(
            process_owner, scar, data={**RESPONSE, "responded_on": today().isoformat()}
        ).execute()
        assert again.status == "responded"

    @pytest.mark.parametrize(
        "body,field",
        [
            ({"due_date": "in 10 days"}, "reason"),
            ({"reason": "No evidence"}, "due_date"),
        ],
    )
    def test_a_rejection_needs_a_reason_and_a_new_date(self, api_for, process_owner, body, field):
        scar = scar_at("responded", process_owner)
        before = state(scar)
        response = api_do(api_for(process_owner), scar, "reject", **scar_body(body))
        assert response.status_code == 422
        assert field in response.json()["errors"]
        assert state(scar) == before

    def test_the_new_date_is_not_before_the_request(self, api_for, process_owner):
        scar = scar_at("responded", process_owner)
        Scar.objects.filter(pk=scar.pk).update(requested_on=days_ago(5))
        response = api_do(
            api_for(process_owner),
            scar,
            "reject",
            reason="Incomplete",
            due_date=days_ago(6).isoformat(),
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {
            "due_date": ["The response is due after the request is sent."]
        }

    def test_cancelling_clears_the_due_date_and_needs_a_reason(self, client_for, process_owner):
        scar = scar_at("requested", process_owner)
        refused = do(client_for(process_owner), scar, "cancel", reason="")
        assert messages_of(refused) == "A reason is required. Give a reason."
        assert fresh(scar).status == "requested"
        do(client_for(process_owner), scar, "cancel", reason="Wrong supplier")
        scar = fresh(scar)
        assert (scar.status, scar.due_date) == ("cancelled", None)
        assert log_of(scar, "cancel").get().reason == "Wrong supplier"

    def test_a_responded_request_can_be_cancelled(self, process_owner):
        scar = scar_at("responded", process_owner)
        assert steps.CancelScar(process_owner, scar, reason="Supplier closed").execute().status == (
            "cancelled"
        )

    @pytest.mark.parametrize(
        "code,status",
        [
            ("record-response", "responded"),
            ("record-response", "accepted"),
            ("record-response", "cancelled"),
            ("accept", "requested"),
            ("accept", "accepted"),
            ("accept", "cancelled"),
            ("reject", "requested"),
            ("reject", "accepted"),
            ("reject", "cancelled"),
            ("cancel", "accepted"),
            ("cancel", "cancelled"),
        ],
    )
    def test_a_step_from_the_wrong_state_is_refused(self, api_for, process_owner, code, status):
        scar = scar_at(status, process_owner)
        before = state(scar)
        response = api_do(api_for(process_owner), scar, code, **scar_body(SCAR_STEPS[code][2]))
        assert response.status_code == 409
        label = scar.get_status_display().lower()
        assert response.json()["detail"].startswith(f"{scar.reference} is {label}: “")
        assert response.json()["detail"].endswith("” does not apply now.")
        assert state(scar) == before

    @pytest.mark.parametrize("code", SCAR_STEPS)
    @pytest.mark.parametrize("persona_name", PERSONAS)
    def test_who_takes_each_step_on_the_web(
        self, client_for, persona_named, process_owner, code, persona_name
    ):
        source, target, fields, label = SCAR_STEPS[code]
        scar = scar_at(source, process_owner)
        before = state(scar)
        response = do(client_for(persona_named(persona_name)), scar, code, **scar_body(fields))
        if persona_name in BUYERS:
            assert messages_of(response) == f"{scar.reference}: done."
            assert fresh(scar).status == target
        elif persona_name == "nobody":
            assert response.status_code == 403
            assert state(scar) == before
        else:
            assert messages_of(response) == f"You do not have the right to {label}."
            assert state(scar) == before

    @pytest.mark.parametrize("code", SCAR_STEPS)
    @pytest.mark.parametrize("persona_name", ["top_manager", *READERS_ONLY, "nobody"])
    def test_who_takes_each_step_through_the_api(
        self, api_for, persona_named, process_owner, code, persona_name
    ):
        source, target, fields, label = SCAR_STEPS[code]
        scar = scar_at(source, process_owner)
        before = state(scar)
        response = api_do(api_for(persona_named(persona_name)), scar, code, **scar_body(fields))
        if persona_name in BUYERS:
            assert response.status_code == 200, response.json()
            assert response.json()["status"] == target
        else:
            assert response.status_code == 403
            assert response.json()["detail"] == f"You do not have the right to {label}."
            assert state(scar) == before

    def test_the_response_reminder_stops_once_the_supplier_has_answered(self, process_owner):
        owned = scar_at("requested", process_owner)
        Scar.objects.filter(pk=owned.pk).update(owner=process_owner)
        answered = scar_at("responded", process_owner)
        Scar.objects.filter(pk=answered.pk).update(owner=process_owner)
        create_reminders(in_days(13))
        reminders = Notification.objects.filter(object_type="operations.scar")
        assert [n.reference for n in reminders] == [owned.reference]
        assert reminders.get().recipient_person == process_owner


# ============================================================================================
# The supplier's page
# ============================================================================================
class TestSupplierPage:
    def test_the_page_shows_evaluations_certificates_and_requests(
        self, client_for, employee, process_owner, paula, supplier
    ):
        first = evaluate(paula, supplier, 90, 85, 78, on=days_ago(200))  # 86.1
        second = evaluate(paula, fresh(supplier), 70, 65, 60, on=days_ago(20))  # 66.5
        certificate = make_certificate(process_owner, supplier, certificate_number="FM 55012")
        scar = issue_scar(process_owner, fresh(supplier))
        html = client_for(employee).get(page_of(supplier)).content.decode()
        for text in (
            first.reference,
            second.reference,
            "<td>90</td><td>85</td><td>78</td><td><strong>86.1</strong></td>",
            "<td>70</td><td>65</td><td>60</td><td><strong>66.5</strong></td>",
            '<span class="badge outcome-approve">Meets the approval mark</span>',
            '<span class="badge outcome-conditional">Meets the conditional mark</span>',
            certificate.reference,
            "FM 55012",
            scar.reference,
            f"{scar.nonconformity.reference}</a> (reported)",
        ):
            assert text in html, text
        assert html.index(second.reference) < html.index(first.reference)  # newest first
        assert "Record an evaluation" not in html  # the employee may only read

    def test_the_buyer_gets_the_links_to_add_to_it(self, client_for, process_owner, supplier):
        html = client_for(process_owner).get(page_of(supplier)).content.decode()
        assert f"/operations/supplier-evaluations/new/?supplier={supplier.pk}" in html
        assert f"/operations/supplier-certificates/new/?supplier={supplier.pk}" in html
        assert (
            f"/operations/supplier-corrective-action-requests/new/?supplier={supplier.pk}" in html
        )
        form = client_for(process_owner).get(
            f"/operations/supplier-evaluations/new/?supplier={supplier.pk}"
        )
        assert form.context["form"].initial["supplier"] == str(supplier.pk)

    def test_a_supplier_never_evaluated_says_so_and_draws_no_chart(
        self, client_for, quality_manager, supplier
    ):
        html = client_for(quality_manager).get(page_of(supplier)).content.decode()
        assert "Not evaluated yet." in html
        assert "Under evaluation: not yet approved for use." in html
        assert "<svg" not in html

    def test_the_score_chart_draws_the_latest_scores_out_of_100_coloured_by_outcome(
        self, client_for, quality_manager, paula, supplier
    ):
        evaluate(paula, supplier, 90, 85, 78, on=days_ago(200))  # 86.1, approved
        evaluate(paula, fresh(supplier), 60, 60, 60, on=days_ago(100))  # 60, conditional
        evaluate(paula, fresh(supplier), 40, 40, 40, on=days_ago(50))  # 40, fail
        evaluate(paula, fresh(supplier), 100, 100, 100, on=days_ago(10))  # 100, approved
        svg = chart_of(client_for(quality_manager).get(page_of(supplier)).content.decode())
        assert 'role="img"' in svg
        assert "Latest evaluation scores of Castwell Foundry</title>" in svg
        assert (
            f"{days_ago(10).isoformat()}: 100; {days_ago(50).isoformat()}: 40; "
            f"{days_ago(100).isoformat()}: 60; {days_ago(200).isoformat()}: 86.1</desc>"
        ) in svg
        bars = re.findall(r'<rect class="chart-bar"[^>]*width="([\d.]+)"[^>]*fill="([^"]+)"', svg)
        widths = [float(width) for width, _ in bars]
        assert [fill for _, fill in bars] == ["#1c7c4a", "#b3261e", "#a86400", "#1c7c4a"]
        assert widths[0] == pytest.approx(widths[1] * 100 / 40)  # out of 100, not of the best
        assert widths[0] > widths[3] > widths[2] > widths[1] > 0
        for day in (10, 50, 100, 200):
            assert f">{days_ago(day).isoformat()}</text>" in svg  # each bar's date, whole
        assert "<script" not in svg

    def test_the_chart_shows_the_latest_8_and_the_table_the_latest_24(
        self, client_for, quality_manager, supplier
    ):
        bulk_evaluations(30, supplier=supplier)
        html = client_for(quality_manager).get(page_of(supplier)).content.decode()
        assert chart_of(html).count('<rect class="chart-bar"') == 8
        assert html.count('<span class="badge outcome-approve">') == 24
        newest = supplier.evaluations.order_by("-evaluated_on").first()
        oldest = supplier.evaluations.order_by("evaluated_on").first()
        assert newest.reference in html
        assert oldest.reference not in html

    def test_the_chart_escapes_the_suppliers_name(self, client_for, quality_manager, card, paula):
        supplier = make_supplier(quality_manager, card, title='<script>alert(1)</script>"')
        evaluate(paula, supplier)
        svg = chart_of(client_for(quality_manager).get(page_of(supplier)).content.decode())
        assert "<script>" not in svg
        assert "&lt;script&gt;" in svg

    def test_an_archived_evaluation_leaves_the_page(
        self, client_for, quality_manager, paula, supplier
    ):
        kept = evaluate(paula, supplier, on=days_ago(30))
        gone = evaluate(paula, fresh(supplier), on=days_ago(3))
        ArchiveRecord(quality_manager, gone, reason="Wrong supplier").execute()
        html = client_for(quality_manager).get(page_of(supplier)).content.decode()
        assert kept.reference in html
        assert gone.reference not in html

    def test_records_about_a_supplier_are_placed_with_it(
        self, client_for, process_owner, paula, card
    ):
        leeds, porto = SiteFactory(code="leeds"), SiteFactory(code="porto")
        supplier = make_supplier(process_owner, card, site=porto)
        evaluation = evaluate(paula, supplier, site=leeds)  # the site asked for is not taken
        certificate = make_certificate(process_owner, supplier)
        scar = issue_scar(process_owner, fresh(supplier))
        for record in (evaluation, certificate, scar, scar.nonconformity):
            assert fresh(record).site == porto, record
        reader = PersonFactory(roles=[RoleCode.EMPLOYEE], scope_sites=[leeds])
        client = client_for(reader)
        for record in (supplier, evaluation, certificate, scar):
            assert client.get(page_of(record)).status_code == 404, record

    def test_a_nonconformity_at_another_site_is_not_named_on_the_page(
        self, client_for, process_owner, card
    ):
        leeds, porto = SiteFactory(code="leeds"), SiteFactory(code="porto")
        supplier = make_supplier(process_owner, card)  # organisation-wide
        nc = make_nc(process_owner, source="supplier", site=porto)
        scar = issue_scar(process_owner, supplier, nonconformity=nc)
        reader = PersonFactory(roles=[RoleCode.EMPLOYEE], scope_sites=[leeds])
        html = client_for(reader).get(page_of(supplier)).content.decode()
        assert scar.reference in html
        assert nc.reference not in html
        assert "At a site outside yours" in html

    def test_the_page_runs_the_same_queries_for_10_or_200_evaluations(
        self, client_for, quality_manager, process_owner, supplier
    ):
        bulk_evaluations(10, supplier=supplier, owner=process_owner)
        bulk_certificates(2, supplier=supplier, owner=process_owner)
        issue_scar(process_owner, supplier)
        issue_scar(process_owner, supplier, title="Late delivery")
        client = client_for(quality_manager)
        url = page_of(supplier)
        client.get(url)  # warm the per-process caches
        few, _ = count_queries(client, url)
        bulk_evaluations(190, supplier=supplier, owner=process_owner)
        bulk_certificates(30, supplier=supplier, owner=process_owner)
        bulk_scars(30, supplier=supplier, owner=process_owner)
        many, sql = count_queries(client, url)
        assert many == few, f"{few} queries with 10 evaluations, {many} with 200:\n" + "\n".join(
            sql
        )
        assert "<svg" in client.get(url).content.decode()


# ============================================================================================
# Readiness: 8.4.1
# ============================================================================================
def supplier_check(person):
    """What the 8.4.1 supplier check says in the readiness report."""
    row = next(r for r in readiness_report(person).rows if r.clause.ref == "8.4.1")
    return row.results[registered_checks()["8.4.1"].index(readiness.suppliers_evaluated)]


class TestSuppliersEvaluatedReadiness:
    def test_it_is_a_check_of_8_4_1(self):
        assert readiness.suppliers_evaluated in registered_checks()["8.4.1"]

    def test_missing_without_an_approved_supplier(
        self, quality_manager, evaluated, card, process_owner
    ):
        steps.DisqualifySupplier(
            quality_manager, make_supplier(process_owner, card, title="Gone"), reason="Closed"
        ).execute()
        result = supplier_check(quality_manager)  # one pending, one disqualified
        assert result.status == Status.MISSING
        assert result.sentence == (
            "No approved supplier is recorded, so nothing shows how external providers are "
            "chosen and monitored."
        )
        assert result.evidence[0].url == "/operations/suppliers/?sort=due_date"

    def test_met_when_every_approved_supplier_is_evaluated_within_its_interval(
        self, quality_manager, approved, paula, card, process_owner
    ):
        other = make_supplier(process_owner, card, title="Brightline Plating")
        evaluate(paula, other, 70, 70, 70)
        steps.ApproveConditionally(quality_manager, fresh(other), reason="Watch").execute()
        result = readiness.suppliers_evaluated(quality_manager)
        assert result.status == Status.MET
        assert result.sentence == (
            "2 approved suppliers are evaluated within their re-evaluation intervals."
        )
        assert supplier_check(quality_manager).status == Status.MET

    def test_partly_met_naming_the_approved_supplier_whose_evaluation_lapsed(
        self, quality_manager, approved
    ):
        bulk_suppliers(1, due_date=days_ago(3), last_evaluated_on=add_months(days_ago(3), -12))
        lapsed = Supplier.objects.get(status="approved", due_date=days_ago(3))
        suppliers_in("pending", due_date=days_ago(30))  # not approved: not named
        result = readiness.suppliers_evaluated(quality_manager)
        assert result.status == Status.PARTLY_MET
        assert result.sentence == (
            f"1 approved supplier is not evaluated within their interval: {lapsed.reference}."
        )
        assert approved.reference not in result.sentence

    def test_an_approved_supplier_never_evaluated_counts_as_lapsed(self, quality_manager, approved):
        bulk_suppliers(2)  # approved rows, with no evaluation
        never = list(Supplier.objects.filter(last_evaluated_on__isnull=True).order_by("id"))
        result = readiness.suppliers_evaluated(quality_manager)
        assert result.status == Status.PARTLY_MET
        assert result.sentence.startswith("2 approved suppliers are not evaluated")
        for supplier in never:
            assert supplier.reference in result.sentence

    def test_pending_disqualified_and_archived_suppliers_are_not_counted(
        self, quality_manager, approved
    ):
        suppliers_in("pending")
        suppliers_in("disqualified", due_date=days_ago(40))
        bulk_suppliers(1, archived_at=timezone.now(), archive_reason="Closed")
        result = readiness.suppliers_evaluated(quality_manager)
        assert (result.status, result.sentence) == (
            Status.MET,
            "1 approved supplier is evaluated within their re-evaluation intervals.",
        )

    def test_a_reader_is_not_told_references_outside_their_sites(self, quality_manager, approved):
        leeds, porto = SiteFactory(code="leeds"), SiteFactory(code="porto")
        bulk_suppliers(1, site=porto)
        lapsed = Supplier.objects.get(site=porto)
        reader = PersonFactory(roles=[RoleCode.INTERNAL_AUDITOR], scope_sites=[leeds])
        result = readiness.suppliers_evaluated(reader)
        assert result.status == Status.PARTLY_MET
        assert lapsed.reference not in result.sentence
        assert result.sentence.endswith("at sites outside yours.")

    def test_a_new_evaluation_brings_it_back_to_met(self, quality_manager, approved, paula):
        Supplier.objects.filter(pk=approved.pk).update(due_date=days_ago(1))
        assert readiness.suppliers_evaluated(quality_manager).status == Status.PARTLY_MET
        evaluate(paula, fresh(approved), on=today())
        assert readiness.suppliers_evaluated(quality_manager).status == Status.MET

    def test_partly_met_naming_an_approved_supplier_that_failed_its_latest_evaluation(
        self, client_for, quality_manager, approved, paula
    ):
        evaluate(paula, approved, 40, 40, 40, on=today())
        result = readiness.suppliers_evaluated(quality_manager)
        assert result.status == Status.PARTLY_MET
        assert result.sentence == (
            "1 approved supplier scored below the conditional mark at their latest "
            f"evaluation: {approved.reference}."
        )
        html = client_for(quality_manager).get(page_of(approved)).content.decode()
        assert (
            "The latest evaluation scored 40, below the conditional mark of 60: decide whether "
            "it may still be used." in html
        )

    def test_a_lapsed_and_a_failing_supplier_are_both_named(self, quality_manager, approved, paula):
        evaluate(paula, approved, 40, 40, 40, on=today())
        bulk_suppliers(1, due_date=days_ago(3), last_evaluated_on=add_months(days_ago(3), -12))
        lapsed = Supplier.objects.exclude(pk=approved.pk).get()
        sentence = readiness.suppliers_evaluated(quality_manager).sentence
        assert sentence == (
            f"1 approved supplier is not evaluated within their interval: {lapsed.reference}; "
            "1 approved supplier scored below the conditional mark at their latest "
            f"evaluation: {approved.reference}."
        )

    def test_an_archived_evaluation_no_longer_counts_for_readiness(self, quality_manager, approved):
        evaluation = approved.evaluations.get()
        ArchiveRecord(
            quality_manager, evaluation, reason="Recorded for the wrong supplier"
        ).execute()
        assert steps.current_evaluation(fresh(approved)) is None  # the approvals' view
        assert readiness.suppliers_evaluated(quality_manager).status == Status.PARTLY_MET

    def test_a_shorter_interval_shows_a_lapsed_evaluation(self, quality_manager, paula, supplier):
        """The re-evaluation date follows the interval: readiness and the approval actions
        agree that the evaluation has lapsed."""
        evaluate(paula, supplier, 90, 90, 90, on=days_ago(250))
        supplier = steps.ApproveSupplier(quality_manager, fresh(supplier)).execute()
        UpdateRecord(quality_manager, supplier, data={"evaluation_interval_months": 6}).execute()
        assert steps.current_evaluation(fresh(supplier)) is None  # the approvals' view
        assert readiness.suppliers_evaluated(quality_manager).status == Status.PARTLY_MET
