"""Registrar access: a guest account for the registrar's auditor, read-only and limited to
one evidence pack or one external audit, ending by itself on its expiry date. The guest
sets a password from an emailed link; every page the guest opens is written to the change
log; any other page is refused."""

import logging
import smtplib

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from norma.certification.models import EvidencePack, ExternalAudit, RegistrarAccess
from norma.core.actions import Action, ActionRefused, CreateRecord, NotPermitted, Transition
from norma.core.changelog import record_change, snapshot
from norma.core.models import Person
from norma.notifications.conf import base_url

logger = logging.getLogger(__name__)

GUEST_PREFIX = "/certification/guest/"
# Pages a guest may open besides their own: leaving, and setting their password.
GUEST_OPEN = ("/static/", "/logout/", "/account/set-password/", "/healthz")


class GrantRegistrarAccess(CreateRecord):
    """Give a registrar's auditor access: a guest account made for them (or theirs from an
    earlier audit), time-boxed to the expiry date, and an emailed invitation."""

    def __init__(self, actor, model=RegistrarAccess, **kwargs):
        super().__init__(actor, model, **kwargs)

    def check_rules(self):
        if self.data.get("evidence_pack") and not self.actor.scope.unlimited:
            raise NotPermitted(
                "A pack holds every site's records: someone who sees them all shares it."
            )
        email = (self.data.get("guest_email") or "").strip().lower()
        person = Person.objects.filter(email__iexact=email).first() if email else None
        if person is not None and not person.registrar_accesses.exists():
            raise ActionRefused(
                "Someone of the organisation has this email: a guest account is for the "
                "registrar's auditor alone.",
                {"guest_email": ["This email belongs to an account of the organisation."]},
            )

    def apply(self):
        access = super().apply()
        guest = Person.objects.filter(email__iexact=access.guest_email).first()
        if guest is None:
            guest = Person.objects.create_user(
                email=access.guest_email.lower(),
                password=None,
                full_name=access.guest_name,
                access_expires_at=access.expires_at,
            )
            record_change(guest, "create", after=snapshot(guest), reason=str(access))
        access.guest = guest
        access.save(update_fields=["guest"])  # and the guest's sign-in follows its dates
        return access

    def after_commit(self):
        invite(self.obj)


class ResendInvitation(Action):
    """Send the invitation again (a lost email, or a link more than three days old)."""

    code = "resend"
    label = "Send the invitation again"
    permission = "certification.change_registraraccess"

    def check_rules(self):
        if not self.obj.is_open:
            raise ActionRefused(f"{self.obj.reference} has ended: grant a new access.")

    def apply(self):
        return self.obj

    def logged_values(self, before):
        return None, {"invited": self.obj.guest_email}

    def after_commit(self):
        invite(self.obj)


def invite(access: RegistrarAccess):
    """Email the guest a link to set their password; a mail server that refuses is logged,
    and the invitation can be sent again from the access's page."""
    guest = access.guest
    uid = urlsafe_base64_encode(force_bytes(guest.pk))
    link = base_url() + reverse(
        "password_set", args=[uid, default_token_generator.make_token(guest)]
    )
    what = access.evidence_pack or access.external_audit
    try:
        send_mail(
            f"Access to {what}",
            f"Hello {guest.full_name},\n\nYou have read-only access to {what} until "
            f"{access.expires_on:%-d %B %Y}. Set your password here, then sign in:\n\n"
            f"{link}\n\nThe link works for {settings.PASSWORD_RESET_TIMEOUT // 86400} days.\n",
            None,
            [guest.email],
        )
    except (smtplib.SMTPException, OSError):
        logger.exception("The invitation for %s could not be sent", access.reference)


class RevokeRegistrarAccess(Transition):
    code = "revoke"
    label = "Revoke the access"
    permission = "certification.change_registraraccess"
    reason_required = True
    sources = (RegistrarAccess.Status.ACTIVE,)
    target = RegistrarAccess.Status.REVOKED


ACCESS_ACTIONS = [ResendInvitation, RevokeRegistrarAccess]


def grants_of(person) -> list[RegistrarAccess] | None:
    """The accesses of a guest, newest first; None for anyone who is not a guest. Only
    time-boxed accounts are looked up, so other people's requests cost no query."""
    if not person.is_authenticated or person.access_expires_at is None:
        return None
    grants = list(
        RegistrarAccess.objects.filter(guest=person)
        .select_related("evidence_pack", "external_audit")
        .order_by("-pk")
    )
    return grants or None


class RegistrarGuestMiddleware:
    """Keeps a guest to their own pages and logs every page they open or are refused."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        grants = grants_of(request.user) if hasattr(request, "user") else None
        if grants is None:
            return self.get_response(request)
        path = request.path_info
        request.registrar_guest = True  # the page, even a refusal, is laid out for a guest
        if path.startswith(GUEST_OPEN):
            return self.get_response(request)
        if path == "/":  # where signing in leads
            return redirect(reverse("certification:guest_home"))
        open_grants = [grant for grant in grants if grant.is_open]
        if not open_grants or not path.startswith(GUEST_PREFIX):
            record_change(grants[0], "guest.refused", after={"path": path})
            raise PermissionDenied
        request.registrar_accesses = open_grants
        response = self.get_response(request)
        record_change(
            open_grants[0],
            "guest.view",
            after={"path": path, "method": request.method, "status": response.status_code},
        )
        return response


# -- the guest's pages ---------------------------------------------------------------------
def _grants(request) -> list[RegistrarAccess]:
    grants = getattr(request, "registrar_accesses", None)
    if not grants:
        raise PermissionDenied
    return grants


@login_required
def guest_home(request):
    grants = _grants(request)
    audits = [g.external_audit for g in grants if g.external_audit]
    return render(
        request,
        "certification/guest_home.html",
        {
            "grants": grants,
            "packs": [g.evidence_pack for g in grants if g.evidence_pack],
            "audits": [
                (
                    audit,
                    list(audit.findings.live().order_by("pk")),
                    list(audit.attachments.all()),
                )
                for audit in audits
            ],
            "until": max(g.expires_on for g in grants),
        },
    )


@login_required
def guest_pack(request, reference):
    packs = [g.evidence_pack for g in _grants(request) if g.evidence_pack]
    pack = next((p for p in packs if p.reference == reference), None)
    if pack is None or pack.status != EvidencePack.Status.BUILT:
        raise Http404
    return FileResponse(pack.file.open("rb"), as_attachment=True, filename=f"{reference}.zip")


@login_required
def guest_file(request, pk):
    audits: list[ExternalAudit] = [g.external_audit for g in _grants(request) if g.external_audit]
    for audit in audits:
        attachment = audit.attachments.filter(pk=pk).first()
        if attachment is not None:
            return FileResponse(
                attachment.file.open("rb"), as_attachment=True, filename=attachment.filename
            )
    raise Http404
