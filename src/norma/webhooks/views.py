"""Pages for the quality manager: webhooks, their secret, test events and the delivery log."""

import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from norma.core.actions import ActionRefused, InvalidInput, StaleEdit
from norma.core.events import EVENT_TYPES
from norma.webhooks.actions import CreateWebhook, RotateWebhookSecret, SendTestEvent, UpdateWebhook
from norma.webhooks.forms import WebhookForm
from norma.webhooks.models import Webhook, WebhookDelivery

State = WebhookDelivery.State
RECENT = 20
PER_PAGE = 50


def needs(permission: str):
    """Signed in and holding `permission`, or 403."""

    def decorate(view):
        @login_required
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return guarded

    return decorate


@needs("webhooks.view_webhook")
def webhook_list(request):
    failing = Q(deliveries__state__in=[State.FAILED, State.GAVE_UP])
    webhooks = Webhook.objects.annotate(
        delivery_count=Count("deliveries"),
        failing_count=Count("deliveries", filter=failing),
        last_delivery_at=Max("deliveries__created_at"),
    )
    recent = WebhookDelivery.objects.select_related("webhook")[:RECENT]
    return render(
        request,
        "webhooks/webhook_list.html",
        {
            "webhooks": webhooks,
            "recent": recent,
            "can_add": request.user.has_perm("webhooks.add_webhook"),
        },
    )


@needs("webhooks.view_webhook")
def webhook_detail(request, pk):
    webhook = get_object_or_404(Webhook.objects.select_related("created_by"), pk=pk)
    return render(
        request,
        "webhooks/webhook_detail.html",
        {
            "webhook": webhook,
            "recent": webhook.deliveries.select_related("webhook")[:RECENT],
            "can_change": request.user.has_perm("webhooks.change_webhook"),
        },
    )


def run_form_action(request, form, make_action, webhook=None):
    """Validate, execute the action, and answer as the register forms do (422, 409, redirect)."""
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                saved = make_action(form).execute()
            except StaleEdit as refused:
                messages.error(request, refused.message)
                status = 409
            except InvalidInput as refused:
                for field, errors in refused.errors.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            except ActionRefused as refused:
                messages.error(request, refused.message)
                status = refused.status_code
            else:
                messages.success(request, f"Webhook “{saved.name}” saved.")
                return redirect("webhooks:detail", saved.pk)
    context = {"form": form, "webhook": webhook, "event_types": EVENT_TYPES}
    return render(request, "webhooks/webhook_form.html", context, status=status)


@needs("webhooks.add_webhook")
def webhook_create(request):
    form = WebhookForm(request.POST or None)
    return run_form_action(
        request, form, lambda f: CreateWebhook(request.user, data=f.action_data())
    )


@needs("webhooks.change_webhook")
def webhook_edit(request, pk):
    webhook = get_object_or_404(Webhook, pk=pk)
    form = WebhookForm(request.POST or None, instance=webhook)

    def make_action(f):
        version = f.cleaned_data.get("version")
        return UpdateWebhook(request.user, webhook, data=f.action_data(), expected_version=version)

    return run_form_action(request, form, make_action, webhook)


def _run_button(request, action, done: str):
    try:
        action.execute()
    except ActionRefused as refused:
        messages.error(request, refused.message)
        if refused.status_code == 403:
            raise PermissionDenied from None
    else:
        messages.success(request, done)


@require_POST
@needs("webhooks.change_webhook")
def webhook_test(request, pk):
    webhook = get_object_or_404(Webhook, pk=pk)
    _run_button(
        request,
        SendTestEvent(request.user, webhook),
        "A test event is on its way; its result appears in the delivery log below.",
    )
    return redirect("webhooks:detail", webhook.pk)


@require_POST
@needs("webhooks.change_webhook")
def webhook_rotate_secret(request, pk):
    webhook = get_object_or_404(Webhook, pk=pk)
    _run_button(
        request,
        RotateWebhookSecret(request.user, webhook),
        "A new signing secret was made. Give it to the receiver: the old one no longer works.",
    )
    return redirect("webhooks:detail", webhook.pk)


@needs("webhooks.view_webhook")
def delivery_list(request):
    deliveries = WebhookDelivery.objects.select_related("webhook")
    webhook = None
    if (webhook_id := request.GET.get("webhook", "")).isdigit():
        webhook = get_object_or_404(Webhook, pk=webhook_id)
        deliveries = deliveries.filter(webhook=webhook)
    state = request.GET.get("state", "")
    if state in State.values:
        deliveries = deliveries.filter(state=state)
    page = Paginator(deliveries, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "webhooks/delivery_list.html",
        {
            "page": page,
            "webhook": webhook,
            "state": state,
            "states": State.choices,
            "webhooks": Webhook.objects.all(),
            "query": query.urlencode(),
        },
    )


@needs("webhooks.view_webhook")
def delivery_detail(request, pk):
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("webhook"), pk=pk)
    return render(
        request,
        "webhooks/delivery_detail.html",
        {
            "delivery": delivery,
            "attempts": delivery.tries.all(),
            "payload": json.dumps(delivery.payload, indent=2, sort_keys=True),
        },
    )
