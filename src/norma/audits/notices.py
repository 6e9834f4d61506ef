"""What an audit tells people: the audit plan as a calendar invitation with a notification,
and the signed report, distributed to top management and the auditees."""

from datetime import datetime, time, timedelta

from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress

from norma.core.models import Person, RoleCode
from norma.notifications import conf, sending
from norma.notifications.feeds import PRODID, _uid_domain


def _link(audit) -> str:
    return reverse("audits:audit_detail", args=[audit.reference])


def notify(audit, people, title: str, message: str, key: str, roles=()):
    """One notification per person (and per role), once for each key."""
    sending.notify(audit, people, title, message, key, roles=roles, due_date=audit.start_date)


def invitation(audit, attendees, method="REQUEST") -> bytes:
    """The audit plan as an iCalendar request (or, with method CANCEL, its withdrawal): one
    event from the first to the last day; the UID stays with the audit, so a plan sent again
    updates the event."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    if method == "CANCEL":
        event.add("status", "CANCELLED")
    event.add("uid", f"audits.audit.{audit.pk}@{_uid_domain()}")
    event.add("dtstamp", timezone.now())
    event.add("sequence", audit.version)
    event.add("dtstart", audit.start_date)
    event.add("dtend", (audit.end_date or audit.start_date) + timedelta(days=1))
    event.add("summary", f"Internal audit {audit.reference}: {audit.title}")
    event.add("description", f"{audit.agenda}\n\n{conf.base_url()}{_link(audit)}")
    if audit.owner_id and audit.owner.email:
        organiser = vCalAddress(f"mailto:{audit.owner.email}")
        organiser.params["cn"] = audit.owner.full_name
        event.add("organizer", organiser)
    for person in attendees:
        if person.email:
            address = vCalAddress(f"mailto:{person.email}")
            address.params["cn"] = person.full_name
            address.params["role"] = "REQ-PARTICIPANT"
            address.params["rsvp"] = "TRUE"
            event.add("attendee", address, encode=0)
    calendar.add_component(event)
    return calendar.to_ical()


def send_plan(audit, attendees):
    """Email the plan with its invitation to each auditee and auditor."""
    addresses = [p.email for p in attendees if p.email]
    if not addresses:
        return
    start = datetime.combine(audit.start_date, time(9))
    message = EmailMessage(
        subject=f"Audit plan: {audit.reference} {audit.title} from {start:%Y-%m-%d}",
        body=(
            f"{audit.owner.full_name if audit.owner_id else 'The audit team'} sends the plan "
            f"of internal audit {audit.reference}, {audit.title}, from "
            f"{audit.start_date:%Y-%m-%d} to {(audit.end_date or audit.start_date):%Y-%m-%d}."
            f"\n\n{audit.agenda}\n\n{conf.base_url()}{_link(audit)}\n"
        ),
        to=addresses,
    )
    message.attach("invite.ics", invitation(audit, attendees), "text/calendar; method=REQUEST")
    message.send(fail_silently=True)


def distribution(audit) -> list[str]:
    """Who the report goes to, as the report states it."""
    auditees = list(audit.auditees.all())
    names = [str(RoleCode.TOP_MANAGEMENT.label)] + [p.full_name for p in auditees]
    return names


def auditees_and_team(audit) -> list[Person]:
    people = {p.pk: p for p in audit.auditees.all()}
    people.update({p.pk: p for p in audit.team.all()})
    if audit.owner_id:
        people[audit.owner_id] = audit.owner
    return list(people.values())


def send_cancellation(audit, attendees, reason: str):
    """Tell everyone the plan went to that the audit will not take place."""
    addresses = [p.email for p in attendees if p.email]
    if not addresses or not audit.start_date:
        return
    message = EmailMessage(
        subject=f"Audit cancelled: {audit.reference} {audit.title}",
        body=f"Internal audit {audit.reference}, {audit.title}, is cancelled: {reason}\n",
        to=addresses,
    )
    message.attach(
        "cancel.ics", invitation(audit, attendees, "CANCEL"), "text/calendar; method=CANCEL"
    )
    message.send(fail_silently=True)
