"""The daily digest: one email per person per day instead of one email per item.

It lists the person's unread notifications that no earlier digest carried: their own, and
those of the roles they hold today (within their site and department scope). People who turned
the digest off, who cannot sign in, or who already had today's digest get nothing. The reads
are a fixed number of queries; each email sent costs a claim, the email and one receipt write.
"""

import logging
import smtplib
from collections import defaultdict
from datetime import date, timedelta

from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from norma.core.models import Person
from norma.core.scope import Scope
from norma.notifications import conf
from norma.notifications.models import (
    DigestEmail,
    Notification,
    NotificationKind,
    NotificationPreference,
    NotificationReceipt,
)
from norma.notifications.reminders import create_reminders

logger = logging.getLogger(__name__)


def send_digests(today: date | None = None, log=logger.info) -> dict[str, int]:
    """Bring reminders up to date, then send each person their digest; return the counts.

    Creating reminders first (it is idempotent) means the digest never waits a day for the
    reminders job, whichever of the two the worker runs first.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    created = create_reminders(today)
    pending = pending_by_person(today, now)
    sent = failed = 0
    with get_connection() as connection:
        for person, items in pending.items():
            claim = _claim(person, today, len(items))
            if claim is None:
                continue  # another worker sent today's digest to this person
            try:
                digest_message(person, items, today, connection).send()
            except (smtplib.SMTPException, OSError) as error:
                claim.delete()
                failed += 1
                log(f"Digest to {person.email} not sent: {error}")
                continue
            _mark_emailed(person, items, now)
            sent += 1
    log(f"Sent {sent} digest emails; {created} new reminders today.")
    return {"digests_sent": sent, "digests_failed": failed, "reminders_created": created}


def pending_by_person(today: date, now) -> dict[Person, list[Notification]]:
    """Who gets a digest today, and which notifications it lists (overdue first, by date)."""
    since = now - timedelta(days=conf.digest_max_age_days())
    notifications = list(
        Notification.objects.filter(created_at__gte=since).order_by("due_date", "id")
    )
    if not notifications:
        return {}
    done = set(
        NotificationReceipt.objects.filter(notification__created_at__gte=since)
        .filter(Q(read_at__isnull=False) | Q(emailed_at__isnull=False))
        .values_list("notification_id", "person_id")
    )
    members = _role_members({n.recipient_role for n in notifications if n.recipient_role})
    candidates = {n.recipient_person_id for n in notifications if n.recipient_person_id}
    candidates.update(*members.values())
    people = {
        person.pk: person
        for person in Person.objects.filter(pk__in=candidates, is_active=True).exclude(email="")
        if not person.access_expired
    }
    people_ids = list(people)
    opted_out = set(
        NotificationPreference.objects.filter(
            person_id__in=people_ids, email_digest=False
        ).values_list("person_id", flat=True)
    )
    had_today = set(DigestEmail.objects.filter(sent_on=today).values_list("person_id", flat=True))
    receiving = set(people) - opted_out - had_today
    scopes = _scopes(people)
    pending = defaultdict(list)
    for notification in notifications:
        if notification.recipient_person_id:
            addressed = [notification.recipient_person_id]
        else:
            addressed = [
                pk
                for pk in members[notification.recipient_role]
                if pk in scopes and scopes[pk].allows(notification)
            ]
        for pk in addressed:
            if pk in receiving and (notification.pk, pk) not in done:
                pending[people[pk]].append(notification)
    return dict(pending)


def _role_members(codes: set[str]) -> dict[str, set[int]]:
    members = defaultdict(set)
    rows = Person.groups.through.objects.filter(group__role__code__in=codes).values_list(
        "person_id", "group__role__code"
    )
    for person_id, code in rows:
        members[code].add(person_id)
    return members


def _scopes(people: dict[int, Person]) -> dict[int, Scope]:
    """Each person's scope, read for everyone at once (two queries)."""
    return Scope.for_people({pk: person.is_superuser for pk, person in people.items()})


def _claim(person, today: date, count: int) -> DigestEmail | None:
    """Take today's one digest for this person; None when it was already taken."""
    try:
        with transaction.atomic():
            return DigestEmail.objects.create(person=person, sent_on=today, items=count)
    except IntegrityError:
        return None


def _mark_emailed(person, items: list[Notification], now):
    NotificationReceipt.objects.bulk_create(
        [NotificationReceipt(notification=n, person=person, emailed_at=now) for n in items],
        update_conflicts=True,
        unique_fields=["notification", "person"],
        update_fields=["emailed_at"],
    )


def digest_message(person, items, today: date, connection=None) -> EmailMessage:
    """The email: overdue items first, then those coming up, each once, with its link."""
    seen, unique = set(), []
    for item in items:
        identity = (item.object_type, item.reference, item.kind, item.due_date)
        if identity not in seen:
            seen.add(identity)
            unique.append(item)
    overdue = [n for n in unique if n.kind == NotificationKind.OVERDUE]
    coming = [n for n in unique if n.kind != NotificationKind.OVERDUE]
    base = conf.base_url()
    context = {
        "person": person,
        "today": today,
        "overdue": overdue,
        "coming": coming,
        "base_url": base,
        "centre_url": base + reverse("notifications:list"),
        "preferences_url": base + reverse("notifications:preferences"),
    }
    parts = []
    if overdue:
        parts.append(f"{len(overdue)} overdue")
    if coming:
        parts.append(f"{len(coming)} coming up")
    return EmailMessage(
        subject=f"Norma reminders for {today.isoformat()}: {', '.join(parts)}",
        body=render_to_string("notifications/email/digest.txt", context),
        to=[person.email],
        connection=connection,
    )
