"""Telling people about a record from inside an Action: one notification per person (and per
role), written in the action's transaction and never twice for the same key."""

from norma.notifications.models import Notification, NotificationKind


def notify(obj, people, title: str, message: str, key: str, *, roles=(), kind=None, due_date=None):
    from norma.core.templatetags.norma import record_url

    about = {
        "kind": kind or NotificationKind.INFO,
        "title": title[:300],
        "message": message[:500],
        "link": record_url(obj),
        "object_type": obj._meta.label_lower,
        "reference": obj.reference,
        "due_date": due_date,
        "site": obj.site,
        "department": obj.department,
    }
    rows = [
        Notification(recipient_person=person, recipient_role="", **about) for person in people
    ] + [Notification(recipient_role=role, **about) for role in roles]
    for row in rows:
        who = row.recipient_person_id or row.recipient_role
        row.key = Notification.make_key(obj._meta.model_name, obj.pk, key, who)
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
