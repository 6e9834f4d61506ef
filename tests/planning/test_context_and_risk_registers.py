"""The registers of 4.1, 4.2 and 6.1 through the register kit: pages, rights per role, scope,
stale edits, exports, API and query counts, for each one."""

import pytest

from norma.planning.models import (
    ClimateDecision,
    ContextIssue,
    InterestedParty,
    NonApplicableRequirement,
    PartyRequirement,
    QmsScope,
    Risk,
    RiskAction,
)
from norma.planning.registers import (
    ClimateDecisionRegister,
    ContextIssueRegister,
    InterestedPartyRegister,
    NonApplicableRequirementRegister,
    PartyRequirementRegister,
    QmsScopeRegister,
    RiskActionRegister,
    RiskRegister,
)
from tests.conftest import PERSONAS
from tests.factories import bulk_planning_records, make_planning_record
from tests.kit import RegisterKit

EVERYONE = [p for p in PERSONAS if p != "nobody"]
SETTERS = ["quality_manager", "top_manager"]  # context and parties are top management's
RISK_PEOPLE = ["quality_manager", "top_manager", "process_owner"]


def _party():
    return InterestedParty.objects.create(reference="IP-TEST", title="Customers", kind="customer")


def _risk():
    return Risk.objects.create(
        reference="RSK-TEST", title="Late deliveries", likelihood=3, consequence=3, score=9
    )


def party():
    return InterestedParty.objects.filter(reference="IP-TEST").first() or _party()


def risk():
    return Risk.objects.filter(reference="RSK-TEST").first() or _risk()


class Lazy:
    """An id the form needs, made when the request is built (after the database is ready)."""

    def __init__(self, make):
        self.make = make

    def __str__(self):
        return str(self.make().pk)


ISSUE = {"origin": "external", "swot": "threat", "pestle": "economic"}
PARTY = {"kind": "customer"}
RISK = {"likelihood": 3, "consequence": 4}


class TestContextIssueRegister(RegisterKit):
    register = ContextIssueRegister
    make_record = staticmethod(make_planning_record(ContextIssue, ISSUE))
    bulk_records = staticmethod(bulk_planning_records(ContextIssue, "CTX", ISSUE))
    create_data = {"title": "Energy prices", **ISSUE}
    edit_data = {"title": "Energy prices in Europe", "swot": "weakness"}
    invalid_data = {"title": "", "swot": "maybe"}
    viewers = EVERYONE
    adders = SETTERS
    editors = SETTERS
    archivers = ["quality_manager"]


class TestClimateDecisionRegister(RegisterKit):
    register = ClimateDecisionRegister
    decision = {"relevant": "yes", "reasoning": "Customers ask for footprints."}
    make_record = staticmethod(make_planning_record(ClimateDecision, decision))
    bulk_records = staticmethod(bulk_planning_records(ClimateDecision, "CLM", decision))
    create_data = {"title": "Climate change, 2026", **decision}
    edit_data = {"title": "Climate change, 2027", "relevant": "no"}
    invalid_data = {"relevant": "", "reasoning": ""}
    viewers = EVERYONE
    adders = SETTERS
    editors = SETTERS
    archivers = ["quality_manager"]


class TestInterestedPartyRegister(RegisterKit):
    register = InterestedPartyRegister
    make_record = staticmethod(make_planning_record(InterestedParty, PARTY))
    bulk_records = staticmethod(bulk_planning_records(InterestedParty, "IP", PARTY))
    create_data = {"title": "Regulators", "kind": "regulator"}
    edit_data = {"title": "Customs authorities", "kind": "other"}
    invalid_data = {"title": "", "kind": "aliens"}
    viewers = EVERYONE
    adders = SETTERS
    editors = SETTERS
    archivers = ["quality_manager"]


class TestPartyRequirementRegister(RegisterKit):
    register = PartyRequirementRegister
    make_record = staticmethod(make_planning_record(PartyRequirement, {"party": party}))
    bulk_records = staticmethod(bulk_planning_records(PartyRequirement, "IPR", {"party": party}))
    create_data = {"title": "Certificates of conformity", "party": Lazy(party)}
    edit_data = {"title": "Certificates with each delivery", "addressed": "yes"}
    invalid_data = {"title": "", "party": "999999"}
    viewers = EVERYONE
    adders = SETTERS
    editors = SETTERS
    archivers = ["quality_manager"]


class TestRiskRegister(RegisterKit):
    register = RiskRegister
    make_record = staticmethod(make_planning_record(Risk, RISK))
    bulk_records = staticmethod(bulk_planning_records(Risk, "RSK", RISK))
    create_data = {"title": "Spindle failure", "likelihood": "3", "consequence": "5"}
    edit_data = {"title": "Spindle failure on old machines", "likelihood": "4"}
    invalid_data = {"likelihood": "6", "consequence": "0"}
    viewers = EVERYONE
    adders = RISK_PEOPLE
    editors = RISK_PEOPLE
    archivers = ["quality_manager"]


class TestRiskActionRegister(RegisterKit):
    register = RiskActionRegister
    make_record = staticmethod(make_planning_record(RiskAction, {"risk": risk}))
    bulk_records = staticmethod(bulk_planning_records(RiskAction, "RA", {"risk": risk}))
    create_data = {"title": "Preventive maintenance", "risk": Lazy(risk)}
    edit_data = {"title": "Preventive maintenance every month"}
    invalid_data = {"title": "", "risk": ""}
    viewers = EVERYONE
    adders = RISK_PEOPLE
    editors = RISK_PEOPLE
    archivers = ["quality_manager"]


@pytest.mark.parametrize("model", [ContextIssue, InterestedParty, Risk, RiskAction])
def test_every_register_names_its_clause(model):
    from norma.core.registers import registry

    assert registry.for_model(model).clause_refs


def free_clause():
    """A clause of 7 or 8 not yet judged not applicable (each may be judged once)."""
    from norma.planning.models import NonApplicableRequirement
    from norma.standards.models import Clause

    taken = NonApplicableRequirement.objects.live().values("clause_id")
    return (
        Clause.objects.filter(standard__slug="iso9001-2015", ref__startswith="8.")
        .exclude(pk__in=taken)
        .exclude(ref="8.5.5")  # kept for create_data
        .order_by("sort_key")
        .first()
    )


def post_delivery():
    from norma.standards.models import Clause

    return Clause.objects.get(standard__slug="iso9001-2015", ref="8.5.5")


SCOPE = {"products_services": "Machined parts"}
JUDGED = {"clause": free_clause, "justification": "Nothing is serviced after delivery."}


class TestQmsScopeRegister(RegisterKit):
    register = QmsScopeRegister
    make_record = staticmethod(make_planning_record(QmsScope, SCOPE))
    bulk_records = staticmethod(bulk_planning_records(QmsScope, "SCP", SCOPE))
    create_data = {"title": "Scope 2027", **SCOPE}
    edit_data = {"title": "Scope 2027, Porto added", "boundaries": "Plating is outsourced."}
    invalid_data = {"products_services": ""}
    viewers = EVERYONE
    adders = SETTERS
    editors = SETTERS
    archivers = ["quality_manager"]


class TestNonApplicableRequirementRegister(RegisterKit):
    register = NonApplicableRequirementRegister
    make_record = staticmethod(make_planning_record(NonApplicableRequirement, JUDGED))
    bulk_records = staticmethod(
        bulk_planning_records(NonApplicableRequirement, "NA", {"clause": free_clause})
    )
    create_data = {
        "title": "No design",
        "clause": Lazy(post_delivery),
        "justification": "Parts are made to customers' drawings.",
    }
    edit_data = {"title": "No design work", "justification": "Build to print only."}
    invalid_data = {"justification": ""}
    viewers = EVERYONE
    adders = SETTERS
    editors = SETTERS
    archivers = ["quality_manager"]
