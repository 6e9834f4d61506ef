"""The person's own security: second factor and API tokens."""

import base64
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from norma.core.account import ConfirmAuthenticator, IssueApiToken, RevokeApiToken
from norma.core.actions import ActionRefused


class CodeForm(forms.Form):
    otp_token = forms.CharField(
        label="Code from your authenticator app",
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _qr_data_uri(device: TOTPDevice) -> str:
    import segno

    svg = segno.make(device.config_url, error="m").svg_inline(scale=4)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    return target if url_has_allowed_host_and_scheme(target, {request.get_host()}) else "/"


@login_required
def two_factor(request):
    """Verify the second factor, or enrol an authenticator app when there is none yet."""
    confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    device = confirmed or TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="Authenticator", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["otp_token"]):
            if not device.confirmed:
                ConfirmAuthenticator(request.user, device).execute()
                messages.success(request, "Your authenticator app is set up.")
            otp_login(request, device)
            return redirect(_safe_next(request))
        form.add_error(
            "otp_token", "That code is not valid. Check your device's clock and try again."
        )
    return render(
        request,
        "registration/two_factor.html",
        {
            "form": form,
            "enrolling": not device.confirmed,
            "qr": None if device.confirmed else _qr_data_uri(device),
            "secret": None if device.confirmed else base64.b32encode(device.bin_key).decode(),
            "next": _safe_next(request),
        },
    )


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, initial="API token")
    expires_in_days = forms.IntegerField(
        min_value=1, max_value=3650, required=False, help_text="Leave empty for no expiry."
    )


@login_required
def security(request):
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["expires_in_days"]
        expires = timezone.now() + timedelta(days=days) if days else None
        action = IssueApiToken(request.user, name=form.cleaned_data["name"], expires_at=expires)
        action.execute()
        new_token = action.raw
        form = TokenForm()
    return render(
        request,
        "registration/security.html",
        {
            "form": form,
            "new_token": new_token,
            "tokens": request.user.api_tokens.all(),
            "has_device": TOTPDevice.objects.filter(user=request.user, confirmed=True).exists(),
        },
    )


@login_required
@require_POST
def revoke_token(request, pk):
    token = get_object_or_404(request.user.api_tokens, pk=pk)
    try:
        RevokeApiToken(request.user, token).execute()
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "The token was revoked.")
    return redirect("security")
