"""Registrar access: a guest account for the registrar's auditor, read-only and limited to
one evidence pack or one external audit, ending by itself on its expiry date. The guest
sets a password from an emailed link; every page the guest opens is written to the change
log; any other page is refused."""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from norma.certification.models import EvidencePack, ExternalAudit, RegistrarAccess
from norma.certification.models.evidence import end_guest_access
from norma.core.actions import ActionRefused, CreateRecord, Transition
from norma.core.changelog import record_change
from norma.core.models import Person
from norma.notifications.conf import base_url

GUEST_PREFIX = "/certification/guest/"
# Pages a guest may open besides their own: leaving, and setting their password.
GUEST_OPEN = ("/static/", "/logout/", "/account/set-password/", "/healthz")


class GrantRegistrarAccess(CreateRecord):
    """Create the guest account, time-boxed to the expiry date, and email the invitation."""

    def __init__(self, actor, model=RegistrarAccess, **kwargs):
        super().__init__(actor, model, **kwargs)

    def check_rules(self):
        email = (self.data.get("guest_email") or "").strip().lower()
        if email and Person.objects.filter(email__iexact=email).exists():
            raise ActionRefused(
                "Someone with this email already has an account: give the guest their own address.",
                {"guest_email": ["This email already belongs to an account."]},
            )

    def apply(self):
        access = super().apply()
        guest = Person.objects.create_user(
            email=access.guest_email.lower(),
            password=None,
            full_name=access.guest_name,
            access_expires_at=access.expires_at,
        )
        access.guest = guest
        access.save(update_fields=["guest"])
        return access

    def after_commit(self):
        invite(self.obj)


def invite(access: RegistrarAccess):
    guest = access.guest
    link = base_url() + reverse(
        "password_set",
        args=[
            urlsafe_base64_encode(force_bytes(guest.pk)),
            default_token_generator.make_token(guest),
        ],
    )
    send_mail(
        f"Access to {access.evidence_pack or access.external_audit}",
        f"Hello {guest.full_name},\n\nYou have read-only access to "
        f"{access.evidence_pack or access.external_audit} until "
        f"{access.expires_on:%-d %B %Y}. Set your password here, then sign in:\n\n{link}\n",
        None,
        [guest.email],
    )


class RevokeRegistrarAccess(Transition):
    code = "revoke"
    label = "Revoke the access"
    permission = "certification.change_registraraccess"
    reason_required = True
    sources = (RegistrarAccess.Status.ACTIVE,)
    target = RegistrarAccess.Status.REVOKED

    def prepare(self):
        self.change_related(self.obj.guest, end_guest_access, "guest.access-ended")


ACCESS_ACTIONS = [RevokeRegistrarAccess]


def grant_of(person) -> RegistrarAccess | None:
    """The registrar access a signed-in person is a guest of; only time-boxed accounts are
    looked up, so other people's requests cost no query."""
    if not person.is_authenticated or person.access_expires_at is None:
        return None
    return (
        RegistrarAccess.objects.filter(guest=person)
        .select_related("evidence_pack", "external_audit")
        .first()
    )


class RegistrarGuestMiddleware:
    """Keeps a guest to their own pages and logs every page they open."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        access = grant_of(request.user) if hasattr(request, "user") else None
        if access is None:
            return self.get_response(request)
        if request.path.startswith(GUEST_OPEN):
            return self.get_response(request)
        if request.path == "/":  # where signing in leads
            return redirect(GUEST_PREFIX)
        if not access.is_open or not request.path.startswith(GUEST_PREFIX):
            record_change(access, "guest.refused", after={"path": request.path})
            raise PermissionDenied
        request.registrar_access = access
        response = self.get_response(request)
        record_change(
            access,
            "guest.view",
            after={"path": request.path, "method": request.method, "status": response.status_code},
        )
        return response


# -- the guest's pages ---------------------------------------------------------------------
def _access(request) -> RegistrarAccess:
    access = getattr(request, "registrar_access", None)
    if access is None:
        raise PermissionDenied
    return access


@login_required
def guest_home(request):
    access = _access(request)
    audit = access.external_audit
    return render(
        request,
        "certification/guest_home.html",
        {
            "access": access,
            "pack": access.evidence_pack,
            "audit": audit,
            "findings": list(audit.findings.live().order_by("pk")) if audit else [],
            "attachments": list(audit.attachments.all()) if audit else [],
        },
    )


@login_required
def guest_pack(request, reference):
    access = _access(request)
    pack = access.evidence_pack
    if pack is None or pack.reference != reference or pack.status != EvidencePack.Status.BUILT:
        raise Http404
    return FileResponse(pack.file.open("rb"), as_attachment=True, filename=f"{reference}.zip")


@login_required
def guest_file(request, pk):
    access = _access(request)
    audit: ExternalAudit | None = access.external_audit
    if audit is None:
        raise Http404
    attachment = get_object_or_404(audit.attachments.all(), pk=pk)
    return FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.filename
    )
