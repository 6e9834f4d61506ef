"""Electronic signatures: bound to signer, meaning, version and the exact content signed."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from norma.core.actions import InvalidInput, UpdateRecord
from norma.core.models import Signature, SignatureMeaning
from norma.core.signatures import content_hash, signature_holds, signatures_for
from norma.planning.actions import ApproveProcess, ReviseProcess
from norma.planning.models import Process
from tests.factories import PASSWORD, make_process


@pytest.fixture
def approved(quality_manager, process_owner, top_manager):
    process = make_process(
        quality_manager, title="Sales", owner=process_owner, purpose="Win orders"
    )
    ApproveProcess(top_manager, process, data={"password": PASSWORD}, reason="Fit").execute()
    process.refresh_from_db()
    return process


@pytest.fixture
def signature(approved):
    return signatures_for(approved).get()


def test_approval_records_a_signature(approved, signature, top_manager):
    assert signature.meaning == SignatureMeaning.APPROVED
    assert (signature.signer, signature.signer_name) == (top_manager, "Tess Top")
    assert signature.record_version == approved.version == 2
    assert signature.content_hash == content_hash(approved)
    assert re.fullmatch(r"[0-9a-f]{64}", signature.content_hash)
    assert signature.comment == "Fit"
    assert signature.content_type == ContentType.objects.get_for_model(Process)
    assert signature.object_id == str(approved.pk)


def test_the_signature_holds_after_approval(approved, signature):
    assert signature_holds(signature, approved)


def test_the_signature_stops_holding_when_the_signed_content_changes(
    approved, signature, quality_manager
):
    ReviseProcess(quality_manager, approved).execute()
    approved.refresh_from_db()
    assert signature_holds(signature, approved), "a revision alone does not change the content"
    UpdateRecord(quality_manager, approved, data={"purpose": "Win any order"}).execute()
    approved.refresh_from_db()
    assert not signature_holds(signature, approved)


def test_the_signature_stops_holding_when_content_is_edited_behind_the_app(approved, signature):
    Process.objects.filter(pk=approved.pk).update(outputs="Quietly changed")
    approved.refresh_from_db()
    assert not signature_holds(signature, approved)


def test_a_signature_does_not_hold_for_another_record(signature, quality_manager):
    other = make_process(quality_manager, title="Sales", purpose="Win orders")
    assert not signature_holds(signature, other)


def test_a_signature_moved_to_another_record_does_not_hold(signature, quality_manager):
    other = make_process(quality_manager, title="Sales", purpose="Win orders")
    Signature.objects.filter(pk=signature.pk).update(object_id=str(other.pk))
    signature.refresh_from_db()
    assert not signature_holds(signature, other)


def test_a_signature_is_not_shown_on_another_record(signature, quality_manager):
    other = make_process(quality_manager, title="Other")
    assert not signatures_for(other).exists()


def test_the_record_page_shows_the_signature(approved, client_for, quality_manager):
    page = client_for(quality_manager).get(f"/planning/processes/{approved.reference}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Approved</strong> by Tess Top" in text
    assert "version 2" in text
    assert "Content changed since signing" not in text


def test_the_record_page_flags_a_broken_signature(approved, client_for, quality_manager):
    Process.objects.filter(pk=approved.pk).update(purpose="Changed behind the app")
    page = client_for(quality_manager).get(f"/planning/processes/{approved.reference}/")
    assert "Content changed since signing" in page.content.decode()


def test_signing_asks_for_the_second_factor_when_the_signer_has_one(
    quality_manager, process_owner, top_manager
):
    device = TOTPDevice.objects.create(user=top_manager, name="phone", confirmed=True)
    process = make_process(quality_manager, owner=process_owner)
    with pytest.raises(InvalidInput) as refused:
        ApproveProcess(top_manager, process, data={"password": PASSWORD}).execute()
    assert "otp_token" in refused.value.errors
    assert not signatures_for(process).exists()

    code = f"{totp(device.bin_key, device.step, device.t0, device.digits):0{device.digits}d}"
    data = {"password": PASSWORD, "otp_token": code}
    ApproveProcess(top_manager, process, data=data).execute()
    assert signatures_for(process).count() == 1
