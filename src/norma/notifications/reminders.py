"""Turning the registers' reminder declarations into notifications.

A register declares `Reminder(date_field, lead_days, to_owner, to_roles, label)`. Once a day,
every live record whose date is within a lead time, or has passed, gets one notification per
recipient: its owner, and each declared role (so the reminder survives when a person leaves).
Each notification has a unique key (record, field, date, kind, lead time, recipient), so a
second run on the same day adds nothing; a moved date reminds again.
"""

from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone

from norma.core.registers import Reminder, registry
from norma.core.scope import KINDS, placement_field
from norma.notifications.models import Notification, NotificationKind

BATCH_SIZE = 500


def create_reminders(today: date | None = None) -> int:
    """Create the notifications due today for every register; return how many are new.

    Two queries per reminder declaration (read the records, insert the notifications in
    batches), whatever the number of records.
    """
    today = today or timezone.localdate()
    before = Notification.objects.count()
    for register in registry:
        for reminder in register.reminders:
            notifications = list(notifications_for(register, reminder, today))
            Notification.objects.bulk_create(
                notifications, ignore_conflicts=True, batch_size=BATCH_SIZE
            )
    return Notification.objects.count() - before


def _placed_by_one(model, kind: str) -> bool:
    """A record at one site (department) passes it on to its notifications; one placed at
    several leaves them organisation-wide, seen by every holder of the role."""
    field = placement_field(model, kind)
    return field is not None and not field.many_to_many


def notifications_for(register, reminder: Reminder, today: date):
    """The notifications one reminder declaration asks for today (unsaved; duplicates included)."""
    field = reminder.date_field
    leads = sorted(reminder.lead_days)
    horizon = today + timedelta(days=leads[-1] if leads else -1)
    records = register.model.objects.live().filter(
        **{f"{field}__isnull": False, f"{field}__lte": horizon}
    )
    # A register may stop reminding once a record is done (e.g. a closed nonconformity).
    if skip := getattr(reminder, "skip_statuses", ()):
        records = records.exclude(status__in=skip)
    places = [f"{kind}_id" for kind in KINDS if _placed_by_one(register.model, kind)]
    rows = records.values("reference", "title", "owner_id", "owner__is_active", *places, field)
    object_type = register.model._meta.label_lower
    detail = register.url_name("detail")
    for row in rows:
        due = row[field]
        days_left = (due - today).days
        if days_left < 0:
            kind, lead, message = (
                NotificationKind.OVERDUE,
                "overdue",
                overdue_message(reminder.label, due, -days_left),
            )
        else:
            lead = next((days for days in leads if days >= days_left), None)
            if lead is None:
                continue
            kind, message = NotificationKind.DUE, due_message(reminder.label, due, days_left)
        common = {
            "kind": kind,
            "title": f"{row['reference']} {row['title']}"[:300],
            "message": message[:500],
            "link": reverse(detail, args=[row["reference"]]),
            "object_type": object_type,
            "reference": row["reference"],
            "due_date": due,
            "site_id": row.get("site_id"),
            "department_id": row.get("department_id"),
        }
        identity = (object_type, row["reference"], field, due, kind, lead)
        if reminder.to_owner and row["owner_id"] and row["owner__is_active"]:
            key = Notification.make_key(*identity, "person", row["owner_id"])
            yield Notification(recipient_person_id=row["owner_id"], key=key, **common)
        for role in reminder.to_roles:
            key = Notification.make_key(*identity, "role", role)
            yield Notification(recipient_role=str(role), key=key, **common)


def due_message(label: str, due: date, days_left: int) -> str:
    when = {0: "today", 1: "tomorrow"}.get(days_left, f"in {days_left} days")
    return f"{label.capitalize()} {when} ({due.isoformat()})."


def overdue_message(label: str, due: date, days_late: int) -> str:
    days = "1 day" if days_late == 1 else f"{days_late} days"
    return f"Overdue: {label} {due.isoformat()}, {days} ago."
