"""6.3: changes to the QMS are planned in full, approved by top management (not by whoever
planned them), then made or cancelled, and stay as history."""

import pytest

from norma.core.actions import ActionRefused, NotPermitted, UpdateRecord
from norma.core.models import Signature
from norma.planning.actions import ApproveChange, CancelChange, CompleteChange
from norma.planning.models import PlannedChange
from norma.planning.registers import PlannedChangeRegister
from norma.standards.readiness import Status, evaluate
from tests.conftest import PERSONAS
from tests.factories import PASSWORD, bulk_planning_records, make_planning_record
from tests.kit import RegisterKit

FULL = {
    "purpose": "One certificate for both sites.",
    "consequences": "Procedures replaced.",
    "resources": "Two auditors.",
    "responsibilities": "The quality manager leads.",
}
make_change = make_planning_record(PlannedChange, FULL)
SIGN = {"password": PASSWORD}


class TestPlannedChangeRegister(RegisterKit):
    register = PlannedChangeRegister
    make_record = staticmethod(make_change)
    bulk_records = staticmethod(bulk_planning_records(PlannedChange, "CHG", FULL))
    create_data = {"title": "New ERP", **FULL}
    edit_data = {"title": "New ERP, phase 2", "resources": "A consultant."}
    invalid_data = {"purpose": ""}
    viewers = [p for p in PERSONAS if p != "nobody"]
    adders = ["quality_manager", "top_manager", "process_owner"]
    editors = ["quality_manager", "top_manager", "process_owner"]
    archivers = ["quality_manager"]


def status_6_3(person):
    row = next(r for r in evaluate(person).rows if r.clause.ref == "6.3")
    return row.status, row.results[0].sentence


def test_a_change_is_approved_signed_then_done_with_its_outcome(process_owner, top_manager):
    change = make_change(process_owner, title="Porto joins the QMS")
    ApproveChange(top_manager, change, data=SIGN, reason="Agreed").execute()
    change.refresh_from_db()
    assert change.status == PlannedChange.Status.APPROVED
    signature = Signature.objects.get(object_id=str(change.pk), meaning="approved")
    assert signature.signer_name == top_manager.full_name
    CompleteChange(process_owner, change, reason="Both sites audited in June.").execute()
    change.refresh_from_db()
    assert (change.status, change.outcome) == ("done", "Both sites audited in June.")


def test_a_change_not_planned_in_full_cannot_be_approved(process_owner, top_manager):
    change = make_change(process_owner, title="Vague", resources="")
    with pytest.raises(ActionRefused, match="potential consequences, resources"):
        ApproveChange(top_manager, change, data=SIGN).execute()
    assert PlannedChange.objects.get(pk=change.pk).status == PlannedChange.Status.PLANNED


def test_whoever_planned_a_change_does_not_approve_it(top_manager):
    change = make_change(top_manager, title="Own idea")
    with pytest.raises(NotPermitted, match="approve your own"):
        ApproveChange(top_manager, change, data=SIGN).execute()


def test_a_process_owner_cannot_approve(process_owner, quality_manager):
    change = make_change(quality_manager, title="Somebody else's")
    with pytest.raises(NotPermitted):
        ApproveChange(process_owner, change, data=SIGN).execute()


def test_only_an_approved_change_is_done_and_a_done_one_is_history(
    process_owner, top_manager, quality_manager
):
    change = make_change(process_owner, title="Porto")
    with pytest.raises(ActionRefused, match="Only an approved change"):
        CompleteChange(process_owner, change, reason="Done?").execute()
    CancelChange(process_owner, change, reason="Porto is sold.").execute()
    with pytest.raises(ActionRefused, match="already cancelled"):
        CancelChange(process_owner, change, reason="Again").execute()
    with pytest.raises(ActionRefused, match="history now"):
        UpdateRecord(quality_manager, change, data={"title": "Changed later"}).execute()


def test_6_3_is_missing_then_partly_then_met(process_owner, top_manager, quality_manager):
    assert status_6_3(quality_manager)[0] == Status.MISSING
    vague = make_change(process_owner, title="Vague", consequences="")
    status, sentence = status_6_3(quality_manager)
    assert status == Status.PARTLY_MET
    assert sentence.startswith("1 change lacks")
    CancelChange(process_owner, vague, reason="Replaced by a better plan.").execute()
    make_change(process_owner, title="Porto")
    assert status_6_3(quality_manager) == (Status.MET, "1 change planned in full, 0 made.")


def test_the_approval_still_holds_once_the_change_is_done(process_owner, top_manager):
    from norma.core.signatures import signature_holds

    change = make_change(process_owner, title="Porto joins the QMS")
    ApproveChange(top_manager, change, data=SIGN, reason="Agreed").execute()
    CompleteChange(process_owner, change, reason="Both sites audited.").execute()
    change.refresh_from_db()
    signature = Signature.objects.get(object_id=str(change.pk), meaning="approved")
    assert signature_holds(signature, change)
