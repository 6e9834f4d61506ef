"""The controls a registrar relies on: nobody verifies a fix they carried out, nothing closes
with work still open, actions stay with their nonconformity, and readers see only their sites.

Unless a test says otherwise, Ellie Employee reports, Quinn (quality manager) triages, Owen
(process owner) owns the nonconformity and Ivy (internal auditor) verifies.
"""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from norma.core.actions import ActionRefused, InvalidInput, NotPermitted, UpdateRecord
from norma.improvement import actions as steps
from norma.improvement.analysis import AddCause, RecordEightDStep, RemoveCause
from norma.improvement.models import CorrectiveAction
from norma.improvement.readiness import nonconformities_closed_on_evidence
from tests.factories import PASSWORD, PersonFactory, make_process
from tests.improvement.helpers import add_action, fresh, make_nc, walk

NCS = "/improvement/nonconformities/"


def days(n: int) -> str:
    return (timezone.localdate() + timedelta(days=n)).isoformat()


def check_plan(verifier) -> dict:
    return {
        "verification_criteria": "No repeat in three batches",
        "verification_due": days(30),
        "verifier": verifier.pk,
    }


@pytest.fixture
def implementing(employee, quality_manager, process_owner):
    """A nonconformity whose corrective action (owned by Owen) is under way."""
    return walk(make_nc(employee), "implementation", triager=quality_manager, owner=process_owner)


def finish_actions(nc, actor):
    for action in nc.actions.filter(status="open"):
        steps.CompleteCorrectiveAction(actor, action, data={"evidence": "Done"}).execute()


# -- separation of duties -------------------------------------------------------------------
def test_whoever_carried_out_an_action_does_not_verify_it(
    implementing, process_owner, top_manager, quality_manager
):
    corrective = implementing.actions.get(kind="corrective")
    # Top management takes the action over, hands it back to Owen once it is done by them.
    UpdateRecord(quality_manager, corrective, data={"owner": top_manager}).execute()
    finish_actions(fresh(implementing), top_manager)
    with pytest.raises(NotPermitted, match="does not verify"):
        steps.MarkImplemented(
            process_owner, fresh(implementing), data=check_plan(top_manager)
        ).execute()
    assert fresh(implementing).status == "implementation"
    assert corrective.__class__.objects.get(pk=corrective.pk).completed_by == top_manager


def test_the_verifier_must_hold_the_right_and_work_where_the_nonconformity_is(
    employee, quality_manager, process_owner, leeds, porto
):
    nc = walk(
        make_nc(employee, site=leeds),
        "implementation",
        triager=quality_manager,
        owner=process_owner,
    )
    finish_actions(nc, process_owner)
    at_porto = PersonFactory(roles=["internal_auditor"], scope_sites=[porto])
    for verifier in (employee, at_porto):  # no right to verify; cannot see a Leeds record
        with pytest.raises(InvalidInput) as caught:
            steps.MarkImplemented(process_owner, fresh(nc), data=check_plan(verifier)).execute()
        assert caught.value.errors == {"verifier": [f"{verifier} may not verify {nc.reference}."]}
    assert fresh(nc).status == "implementation"


# -- nothing closes with work still open ------------------------------------------------------
def test_a_nonconformity_does_not_close_while_an_action_is_open(
    employee, quality_manager, process_owner, internal_auditor
):
    nc = walk(
        make_nc(employee),
        "verification",
        triager=quality_manager,
        owner=process_owner,
        verifier=internal_auditor,
    )
    with pytest.raises(InvalidInput) as caught:
        add_action(process_owner, nc, kind="correction")
    assert "new actions are planned if the check finds" in caught.value.errors["nonconformity"][0]
    # An action slipped in by an import or a script still blocks the closure.
    late = CorrectiveAction.objects.create(
        nonconformity=nc, kind="correction", title="Late", owner=process_owner, reference="CAR-X"
    )
    with pytest.raises(
        ActionRefused, match=f"Finish or cancel the open actions first: {late.reference}"
    ):
        steps.VerifyEffective(
            internal_auditor, fresh(nc), reason="Fine", data={"password": PASSWORD}
        ).execute()
    assert fresh(nc).status == "verification"


def test_an_open_nonconformity_or_action_is_cancelled_not_archived(
    implementing, quality_manager, client_for
):
    corrective = implementing.actions.get(kind="corrective")
    client = client_for(quality_manager)
    for url in (
        f"{NCS}{implementing.reference}/archive/",
        f"/improvement/corrective-actions/{corrective.reference}/archive/",
    ):
        response = client.post(url, {"reason": "Tidy up"})
        said = " ".join(str(m) for m in get_messages(response.wsgi_request))
        assert "still open: cancel it" in said
    assert not fresh(implementing).is_archived
    assert not CorrectiveAction.objects.get(pk=corrective.pk).is_archived


def test_an_action_stays_with_its_nonconformity(implementing, employee, process_owner):
    other = make_nc(employee, title="Another problem")
    corrective = implementing.actions.get(kind="corrective")
    with pytest.raises(InvalidInput) as caught:
        UpdateRecord(process_owner, corrective, data={"nonconformity": other}).execute()
    assert "stays with its nonconformity" in caught.value.errors["nonconformity"][0]
    assert CorrectiveAction.objects.get(pk=corrective.pk).nonconformity == implementing


def test_the_next_step_is_due_when_the_last_corrective_action_is(
    employee, quality_manager, process_owner
):
    nc = walk(make_nc(employee), "action_plan", triager=quality_manager, owner=process_owner)
    add_action(process_owner, nc, days=10)
    add_action(process_owner, nc, days=45)
    nc = steps.StartImplementation(process_owner, fresh(nc)).execute()
    assert nc.due_date.isoformat() == days(45)


# -- the analysis ------------------------------------------------------------------------------
def test_d0_to_d4_are_closed_once_the_analysis_is_and_reopened_when_the_fix_fails(
    employee, quality_manager, process_owner, internal_auditor
):
    nc = walk(
        make_nc(employee),
        "verification",
        triager=quality_manager,
        owner=process_owner,
        verifier=internal_auditor,
        method="eight_d",
    )
    with pytest.raises(ActionRefused, match="D0 to D4 are the analysis"):
        RecordEightDStep(process_owner, fresh(nc), data={"discipline": "2", "notes": "x"}).execute()
    RecordEightDStep(
        process_owner, fresh(nc), data={"discipline": "6", "notes": "Validated", "done": "1"}
    ).execute()
    nc = steps.VerifyNotEffective(internal_auditor, fresh(nc), reason="Came back").execute()
    undone = nc.eight_d_steps.filter(done_on__isnull=True).values_list("discipline", flat=True)
    assert sorted(undone) == [4, 5, 6, 7, 8]


def test_a_new_why_follows_the_last_even_after_one_was_removed(
    employee, quality_manager, process_owner
):
    nc = walk(make_nc(employee), "analysis", triager=quality_manager, owner=process_owner)
    for text in ("first", "second", "third"):
        AddCause(process_owner, fresh(nc), data={"statement": text}).execute()
    second = nc.causes.get(statement="second")
    RemoveCause(process_owner, fresh(nc), data={"cause": str(second.pk)}).execute()
    AddCause(process_owner, fresh(nc), data={"statement": "fourth"}).execute()
    positions = dict(nc.causes.values_list("statement", "position"))
    assert positions == {"first": 1, "third": 3, "fourth": 4}


# -- bad input and scope ----------------------------------------------------------------------
def test_a_step_posted_with_a_garbled_version_is_refused_not_a_server_error(
    implementing, process_owner, client_for
):
    response = client_for(process_owner).post(
        f"{NCS}{implementing.reference}/do/implement/", {"version": "x"}
    )
    assert response.status_code == 302
    said = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "reload the page" in said


def test_readiness_names_only_nonconformities_the_reader_may_see(
    employee, quality_manager, process_owner, leeds, porto
):
    nc = walk(
        make_nc(employee, site=leeds), "containment", triager=quality_manager, owner=process_owner
    )
    nc.__class__.objects.filter(pk=nc.pk).update(
        status="closed", due_date=None
    )  # closed by an import, without its evidence
    at_porto = PersonFactory(roles=["employee"], scope_sites=[porto])
    assert nc.reference in nonconformities_closed_on_evidence(quality_manager).sentence
    sentence = nonconformities_closed_on_evidence(at_porto).sentence
    assert nc.reference not in sentence and "at sites outside yours" in sentence


def test_an_edit_keeps_a_link_to_a_process_outside_the_editors_sites(
    employee, quality_manager, leeds, porto, client_for
):
    porto_process = make_process(quality_manager, title="Porto machining", site=porto)
    nc = make_nc(employee, process=porto_process)  # organisation-wide, made at Porto's process
    at_leeds = PersonFactory(roles=["process_owner"], scope_sites=[leeds])
    make_process(quality_manager, title="Porto packing", site=porto)  # not linked: not offered
    page = client_for(at_leeds).get(f"{NCS}{nc.reference}/edit/").content.decode()
    choices = page.split('name="process"')[1].split("</select>")[0]
    assert "Porto machining" in choices and "Porto packing" not in choices


def test_every_record_page_offers_to_raise_a_nonconformity_from_it(
    quality_manager, employee, external_auditor, client_for
):
    process = make_process(quality_manager, title="Machining")
    url = f"/planning/processes/{process.reference}/"
    link = f"/improvement/report/?origin=planning.process:{process.reference}"
    assert link in client_for(employee).get(url).content.decode()
    assert link not in client_for(external_auditor).get(url).content.decode()


def test_an_action_left_open_in_an_earlier_round_still_blocks_the_closure(
    employee, quality_manager, process_owner, internal_auditor
):
    people = {"triager": quality_manager, "owner": process_owner, "verifier": internal_auditor}
    nc = walk(make_nc(employee), "verification", **people)
    nc = steps.VerifyNotEffective(internal_auditor, nc, reason="It came back").execute()
    left = CorrectiveAction.objects.create(
        nonconformity=nc,
        kind="containment",
        title="Sort stock",
        owner=process_owner,
        reference="CAR-Y",
    )
    CorrectiveAction.objects.filter(pk=left.pk).update(analysis_round=1)
    nc = walk(nc, "verification", **people)
    with pytest.raises(ActionRefused, match="Finish or cancel the open actions first: CAR-Y"):
        steps.VerifyEffective(
            internal_auditor, fresh(nc), reason="Fine", data={"password": PASSWORD}
        ).execute()
