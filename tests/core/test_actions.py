"""Actions: the one write path, with its rules on versions, state, rights and duties."""

import contextlib
import datetime
from unittest import mock

import pytest
from django.utils import timezone

from norma.core.actions import (
    ActionRefused,
    ArchiveRecord,
    CreateRecord,
    InvalidInput,
    NotPermitted,
    StaleEdit,
    UpdateRecord,
)
from norma.core.models import ChangeLogEntry, RoleCode, Signature
from norma.planning.actions import ApproveProcess, ReviseProcess
from norma.planning.models import Process
from tests.factories import PASSWORD, PersonFactory, make_process


@pytest.fixture
def process(quality_manager, process_owner):
    """A draft created by the quality manager and owned by the process owner."""
    return make_process(quality_manager, title="Sales", owner=process_owner)


def approve(actor, process, password=PASSWORD):
    return ApproveProcess(actor, process, data={"password": password}).execute()


# -- no lost updates -------------------------------------------------------------------------


def test_a_stale_edit_is_refused_and_overwrites_nothing(process, quality_manager, process_owner):
    opened_at = process.version
    UpdateRecord(process_owner, process, data={"title": "Sales and quotes"}).execute()
    count = ChangeLogEntry.objects.count()
    with pytest.raises(StaleEdit):
        UpdateRecord(
            quality_manager, process, data={"title": "Selling"}, expected_version=opened_at
        ).execute()
    process.refresh_from_db()
    assert (process.title, process.version) == ("Sales and quotes", 2)
    assert ChangeLogEntry.objects.count() == count


def test_a_stale_edit_message_names_who_changed_what(process, quality_manager, process_owner):
    UpdateRecord(process_owner, process, data={"purpose": "Win orders"}).execute()
    with pytest.raises(StaleEdit) as refused:
        UpdateRecord(
            quality_manager, process, data={"title": "Selling"}, expected_version=1
        ).execute()
    message = refused.value.message
    assert "Owen Owner" in message
    assert "purpose" in message
    assert process.reference in message
    assert refused.value.status_code == 412


def test_an_edit_from_the_current_version_is_saved(process, quality_manager):
    UpdateRecord(quality_manager, process, data={"title": "Selling"}, expected_version=1).execute()
    process.refresh_from_db()
    assert (process.title, process.version) == ("Selling", 2)


# -- archived and approved records ----------------------------------------------------------


def test_archived_records_refuse_edits(process, quality_manager):
    ArchiveRecord(quality_manager, process, reason="Merged into sales").execute()
    with pytest.raises(ActionRefused, match="archived"):
        UpdateRecord(quality_manager, process, data={"title": "Revived"}).execute()
    process.refresh_from_db()
    assert process.title == "Sales"
    assert process.archive_reason == "Merged into sales"


@pytest.mark.parametrize("reason", ["", "   "])
def test_archive_needs_a_reason(process, quality_manager, reason):
    with pytest.raises(InvalidInput) as refused:
        ArchiveRecord(quality_manager, process, reason=reason).execute()
    assert "reason" in refused.value.errors
    process.refresh_from_db()
    assert process.archived_at is None


def test_a_record_cannot_be_archived_twice(process, quality_manager):
    ArchiveRecord(quality_manager, process, reason="Merged").execute()
    with pytest.raises(ActionRefused, match="already archived"):
        ArchiveRecord(quality_manager, process, reason="Again").execute()


def test_approved_records_refuse_edits_until_revised(process, quality_manager, top_manager):
    approve(top_manager, process)
    with pytest.raises(ActionRefused, match="revision"):
        UpdateRecord(quality_manager, process, data={"purpose": "Changed"}).execute()
    ReviseProcess(quality_manager, process).execute()
    UpdateRecord(quality_manager, process, data={"purpose": "Changed"}).execute()
    process.refresh_from_db()
    assert (process.status, process.purpose) == ("draft", "Changed")


# -- rights ------------------------------------------------------------------------------------


def test_a_person_without_the_add_right_cannot_create(employee):
    with pytest.raises(NotPermitted):
        CreateRecord(employee, Process, data={"title": "Mine", "process_type": "core"}).execute()
    assert not Process.objects.filter(title="Mine").exists()


@pytest.mark.parametrize("persona", ["employee", "external_auditor", "nobody"], indirect=True)
def test_a_person_without_the_change_right_cannot_edit(process, persona):
    with pytest.raises(NotPermitted):
        UpdateRecord(persona, process, data={"title": "Hijacked"}).execute()
    process.refresh_from_db()
    assert process.title == "Sales"


def test_a_process_owner_cannot_archive(process, process_owner):
    with pytest.raises(NotPermitted):
        ArchiveRecord(process_owner, process, reason="Tidying up").execute()


@pytest.mark.parametrize("persona", ["process_owner", "internal_auditor"], indirect=True)
def test_only_people_with_the_approve_right_can_approve(quality_manager, persona):
    process = make_process(quality_manager)
    with pytest.raises(NotPermitted):
        approve(persona, process)
    process.refresh_from_db()
    assert process.status == "draft"


def test_a_person_cannot_act_outside_their_sites(quality_manager, leeds, porto):
    process = make_process(quality_manager, site=leeds)
    porto_owner = PersonFactory(roles=[RoleCode.PROCESS_OWNER], scope_sites=[porto])
    with pytest.raises(NotPermitted, match="outside"):
        UpdateRecord(porto_owner, process, data={"title": "Hijacked"}).execute()


def test_an_inactive_person_cannot_act(process):
    gone = PersonFactory(roles=[RoleCode.QUALITY_MANAGER], is_active=False)
    with pytest.raises(NotPermitted):
        UpdateRecord(gone, process, data={"title": "Ghost edit"}).execute()


# -- separation of duties ----------------------------------------------------------------------


def test_author_cannot_approve_own_process(quality_manager):
    process = make_process(quality_manager)
    with pytest.raises(NotPermitted, match="own work"):
        approve(quality_manager, process)
    process.refresh_from_db()
    assert process.status == "draft"
    assert not Signature.objects.exists()


def test_process_owner_cannot_approve_own_process(quality_manager, top_manager):
    process = make_process(quality_manager, owner=top_manager)
    with pytest.raises(NotPermitted, match="own work"):
        approve(top_manager, process)
    process.refresh_from_db()
    assert process.status == "draft"


def test_another_person_may_approve(process, top_manager):
    approve(top_manager, process)
    process.refresh_from_db()
    assert process.status == "approved"


def test_self_approval_is_allowed_when_separation_of_duties_is_off(settings, quality_manager):
    settings.NORMA_SEPARATION_OF_DUTIES = False
    process = make_process(quality_manager, owner=quality_manager)
    approve(quality_manager, process)
    process.refresh_from_db()
    assert process.status == "approved"


# -- approval -----------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["", "wrong-password-123"])
def test_approve_needs_the_correct_password(process, top_manager, password):
    count = ChangeLogEntry.objects.count()
    with pytest.raises(InvalidInput) as refused:
        approve(top_manager, process, password=password)
    assert "password" in refused.value.errors
    process.refresh_from_db()
    assert (process.status, process.version) == ("draft", 1)
    assert not Signature.objects.exists()
    assert ChangeLogEntry.objects.count() == count


def test_only_drafts_can_be_approved(process, top_manager):
    approve(top_manager, process)
    other_manager = PersonFactory(roles=[RoleCode.TOP_MANAGEMENT])
    with pytest.raises(ActionRefused, match="Only a draft"):
        approve(other_manager, process)
    assert Signature.objects.count() == 1


# -- reference codes ----------------------------------------------------------------------------


def test_reference_codes_are_sequential_per_prefix_and_year(quality_manager):
    year = timezone.now().year
    references = [make_process(quality_manager, title=f"P{i}").reference for i in range(3)]
    assert references == [f"PRC-{year}-0001", f"PRC-{year}-0002", f"PRC-{year}-0003"]


def test_a_refused_create_does_not_use_up_a_reference(quality_manager):
    year = timezone.now().year
    with pytest.raises(InvalidInput):
        make_process(quality_manager, title="Bad", process_type="not-a-type")
    assert make_process(quality_manager).reference == f"PRC-{year}-0001"


def test_reference_codes_start_again_in_a_new_year(quality_manager):
    eve = datetime.datetime(2030, 12, 31, 23, 59, tzinfo=datetime.UTC)
    with mock.patch("django.utils.timezone.now", return_value=eve):
        assert make_process(quality_manager).reference == "PRC-2030-0001"
        assert make_process(quality_manager).reference == "PRC-2030-0002"
    new_year = eve + datetime.timedelta(minutes=2)
    with mock.patch("django.utils.timezone.now", return_value=new_year):
        assert make_process(quality_manager).reference == "PRC-2031-0001"


def test_reference_and_creator_are_set_by_the_server(quality_manager, process_owner):
    """CreateRecord promises it: a caller's reference or creator is ignored or refused."""
    data = {"title": "Forged", "process_type": "core", "reference": "PRC-1999-9999"}
    with contextlib.suppress(ActionRefused):
        CreateRecord(quality_manager, Process, data={**data, "created_by": process_owner}).execute()
    assert not Process.objects.filter(reference="PRC-1999-9999").exists()
    assert not Process.objects.filter(created_by=process_owner).exists()


def test_an_edit_cannot_skip_the_approval_workflow(process, quality_manager):
    """Status and version are server-controlled: an edit ignores or refuses them."""
    with contextlib.suppress(ActionRefused):
        UpdateRecord(quality_manager, process, data={"status": "approved", "version": 99}).execute()
    process.refresh_from_db()
    assert process.status == "draft"
    assert process.version in (1, 2)
