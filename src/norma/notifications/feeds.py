"""iCalendar feeds that Outlook and Google Calendar subscribe to, through a private link.

Two feeds share a person's token:
- the person's own feed: the dated records they own, plus every dated record of a register whose
  reminders are addressed to a role they hold (the quality manager sees every process review);
- one register's feed: every dated record of that register the person may see.
Both read through `Register.queryset_for(person)`, so rights and site scope apply as on screen.
Each record date is an all-day event whose UID stays the same for the life of the record, so a
moved date moves the event instead of adding a second one. Queries: a fixed few for the person,
then one per register and dated field.
"""

from datetime import timedelta
from urllib.parse import urlparse

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from norma.core.registers import registry
from norma.notifications import conf

PRODID = "-//Norma//Norma quality management system//EN"


def dated_fields(register) -> dict[str, list]:
    """The register's dated fields and their reminders; `due_date` when it declares none."""
    fields: dict[str, list] = {}
    for reminder in register.reminders:
        fields.setdefault(reminder.date_field, []).append(reminder)
    return fields or {"due_date": []}


def _dated(register, person, field, **only):
    """Live records dated from a while ago onwards, soonest first, capped; `only` narrows."""
    since = timezone.localdate() - timedelta(days=conf.calendar_past_days())
    return (
        register.queryset_for(person)
        .live()
        .filter(**{f"{field}__gte": since}, **only)
        .order_by(field, "pk")[: conf.calendar_max_events()]
    )


def person_items(person) -> list[tuple]:
    """(register, field, record) for the person's own feed."""
    roles = {str(code) for code in person.role_codes}
    items = []
    for register in registry:
        if not person.has_perm(register.permission("view")):
            continue
        for field, reminders in dated_fields(register).items():
            for_my_role = any(roles & {str(role) for role in r.to_roles} for r in reminders)
            records = _dated(register, person, field, **({} if for_my_role else {"owner": person}))
            items.extend((register, field, record) for record in records)
    return items


def register_items(register, person) -> list[tuple]:
    """(register, field, record) for one register's feed; the caller checked the view right."""
    return [
        (register, field, record)
        for field in dated_fields(register)
        for record in _dated(register, person, field)
    ]


def find_register(app_label: str, model_name: str):
    return next(
        (r for r in registry if r.app_label() == app_label and r.model_name() == model_name),
        None,
    )


def _uid_domain() -> str:
    return urlparse(conf.base_url()).hostname or "norma"


def record_event(request, register, field: str, record, domain: str) -> Event:
    day = getattr(record, field)
    url = request.build_absolute_uri(reverse(register.url_name("detail"), args=[record.reference]))
    label = str(record._meta.get_field(field).verbose_name).capitalize()
    status = record.get_status_display() if hasattr(record, "get_status_display") else record.status
    owner = record.owner or "no owner"
    event = Event()
    event.add("uid", f"{record._meta.label_lower}.{record.pk}.{field}@{domain}")
    event.add("dtstamp", getattr(record, "updated_at", None) or timezone.now())
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", f"{record.reference} {record.title}")
    event.add("description", f"{label} · {register.title()} · {status} · {owner}\n{url}")
    event.add("url", url)
    event.add("categories", [register.title()])
    event.add("transp", "TRANSPARENT")
    return event


def calendar_response(request, name: str, items: list[tuple]) -> HttpResponse:
    """The feed as `text/calendar`, refreshed hourly by clients that honour the hint."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    domain = _uid_domain()
    for register, field, record in items:
        calendar.add_component(record_event(request, register, field, record, domain))
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="norma.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
