"""The notification centre, the person's preferences, and the private calendar feeds.

The centre and preferences need a signed-in person. The feeds are read by calendar programs
that cannot sign in: the private token in the URL is the only key, and an unknown, stopped or
replaced token (or a person who can no longer sign in) gets 404, as does a register the person
may not read.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from norma.core.actions import ActionRefused
from norma.core.htmx import render_page
from norma.core.registers import registry
from norma.notifications import feeds
from norma.notifications.actions import (
    ResetCalendarLink,
    SetEmailDigest,
    StopCalendarLink,
    preference_of,
)
from norma.notifications.forms import PreferenceForm
from norma.notifications.models import Notification, NotificationPreference, NotificationReceipt

PAGE_SIZE = 50


def _centre(request):
    person = request.user
    notifications = (
        Notification.objects.addressed_to(person)
        .with_read_state(person)
        .order_by("is_read", "-created_at", "-id")
    )
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(
        request,
        "notifications/notification_list.html",
        {"page": page},
        fragment="notifications/_list.html",
    )


@login_required
@require_GET
def notification_list(request):
    """Unread first, newest first; each member of a role reads a role notification alone."""
    return _centre(request)


def _mark_read(person, notifications):
    now = timezone.now()
    NotificationReceipt.objects.bulk_create(
        [
            NotificationReceipt(notification_id=pk, person=person, read_at=now)
            for pk in notifications
        ],
        update_conflicts=True,
        unique_fields=["notification", "person"],
        update_fields=["read_at"],
        batch_size=500,
    )


def _after_marking(request):
    if getattr(request, "htmx", False):
        return _centre(request)
    return redirect("notifications:list")


@login_required
@require_POST
def mark_read(request, pk):
    """Mark one notification read for me; the first time it was read is kept."""
    person = request.user
    mine = Notification.objects.addressed_to(person).with_read_state(person)
    notification = get_object_or_404(mine, pk=pk)
    if not notification.is_read:
        _mark_read(person, [notification.pk])
    return _after_marking(request)


@login_required
@require_POST
def mark_all_read(request):
    person = request.user
    unread = Notification.objects.addressed_to(person).unread_by(person)
    _mark_read(person, list(unread.values_list("pk", flat=True)))
    return _after_marking(request)


def feed_urls(request, person, token) -> list[tuple[str, str]]:
    """(label, absolute URL) of every feed this person may subscribe to."""
    own = reverse("notifications:calendar", args=[token])
    urls = [("All my dated items", request.build_absolute_uri(own))]
    for register in registry:
        if person.has_perm(register.permission("view")):
            path = reverse(
                "notifications:register_calendar",
                args=[token, register.app_label(), register.model_name()],
            )
            urls.append((register.title(), request.build_absolute_uri(path)))
    return urls


@login_required
def preferences(request):
    preference = preference_of(request.user)
    # An unticked box sends nothing at all, so bind on the method, not on the data.
    data = request.POST if request.method == "POST" else None
    form = PreferenceForm(data, initial={"email_digest": preference.email_digest})
    if form.is_bound and form.is_valid():
        SetEmailDigest(request.user, data=form.cleaned_data).execute()
        on = form.cleaned_data["email_digest"]
        messages.success(request, "The daily digest is on." if on else "The daily digest is off.")
        return redirect("notifications:preferences")
    token = preference.feed_token()
    context = {
        "form": form,
        "preference": preference,
        "feeds": feed_urls(request, request.user, token) if token else [],
    }
    return render(request, "notifications/preferences.html", context)


@login_required
@require_POST
def calendar_link(request):
    """Make a new private calendar link (the old one stops), or stop it altogether."""
    action = StopCalendarLink if request.POST.get("stop") else ResetCalendarLink
    try:
        action(request.user).execute()
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            "Your calendar link is stopped."
            if action is StopCalendarLink
            else "Your new calendar link is ready. Links you shared before no longer work.",
        )
    return redirect("notifications:preferences")


def _person_for(token):
    preference = NotificationPreference.for_feed_token(token)
    if preference is None:
        raise Http404
    return preference.person


@require_GET
def calendar(request, token):
    person = _person_for(token)
    return feeds.calendar_response(request, f"Norma: {person}", feeds.person_items(person))


@require_GET
def register_calendar(request, token, app_label, model_name):
    person = _person_for(token)
    register = feeds.find_register(app_label, model_name)
    if register is None or not person.has_perm(register.permission("view")):
        raise Http404
    return feeds.calendar_response(
        request, f"Norma: {register.title()}", feeds.register_items(register, person)
    )
