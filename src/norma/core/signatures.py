"""Electronic signatures: re-authenticate, then bind signer, meaning and time to a content hash."""

import hashlib

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django_otp import devices_for_user

from norma.core.actions import InvalidInput, NotPermitted
from norma.core.changelog import canonical_json, snapshot
from norma.core.models import Signature

# Workflow bookkeeping that changes when a record is signed; the signed content excludes it.
WORKFLOW_FIELDS = {"status", "version", "archived_at", "archive_reason", "created_by"}


def signed_content(obj) -> dict:
    if hasattr(obj, "signed_content"):
        return obj.signed_content()
    return {k: v for k, v in snapshot(obj).items() if k not in WORKFLOW_FIELDS}


def content_hash(obj) -> str:
    return hashlib.sha256(canonical_json(signed_content(obj)).encode()).hexdigest()


def confirm_identity(person, password: str, otp_token: str = "", *, impersonated=False):
    """Signing asks for the password again, and the second factor when the person has one."""
    if impersonated:
        raise NotPermitted("An impersonated session cannot sign.")
    if not password or not person.check_password(password):
        raise InvalidInput(
            "Your signature was not recorded.", {"password": ["The password is not correct."]}
        )
    devices = [d for d in devices_for_user(person, confirmed=True)]
    if devices and not any(d.verify_token(otp_token) for d in devices if otp_token):
        raise InvalidInput(
            "Your signature was not recorded.",
            {"otp_token": ["Enter the current code from your authenticator app."]},
        )


def add_signature(obj, person, meaning: str, comment: str = "") -> Signature:
    """Record the signature; call inside the Action that the signature authorises."""
    return Signature.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        record_version=obj.version,
        signer=person,
        signer_name=person.full_name,
        meaning=meaning,
        signed_at=timezone.now(),
        content_hash=content_hash(obj),
        comment=comment,
    )


def signature_holds(signature: Signature, obj) -> bool:
    """True while the record is the one signed and its content is unchanged since."""
    same_record = signature.content_type_id == ContentType.objects.get_for_model(
        obj
    ).pk and signature.object_id == str(obj.pk)
    return same_record and signature.content_hash == content_hash(obj)


def signatures_for(obj):
    return Signature.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).order_by("signed_at")


def signatures_with_status(obj) -> list[tuple[Signature, bool]]:
    """Each signature on the record and whether it still holds (content hashed once)."""
    current = content_hash(obj)
    return [(signature, signature.content_hash == current) for signature in signatures_for(obj)]
