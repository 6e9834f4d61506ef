"""A person's own notification settings; changes are logged like every other write.

The change log keeps what changed (digest on or off, calendar link made or stopped), never the
calendar key or its hash.
"""

from norma.core.actions import Action, NotPermitted
from norma.notifications.models import NotificationPreference


def preference_of(person) -> NotificationPreference:
    """The saved preference, or the defaults (digest on, no calendar link) unsaved."""
    found = NotificationPreference.objects.filter(person=person).first()
    return found or NotificationPreference(person=person)


class PreferenceAction(Action):
    """Base: only the person themself changes their preferences."""

    def __init__(self, actor, **kwargs):
        super().__init__(actor, preference_of(actor), **kwargs)

    def check_rules(self):
        if self.obj.person_id != self.actor.pk:
            raise NotPermitted("You can only change your own notification preferences.")

    def logged_values(self, before):
        calendar = "on" if self.obj.feed_token_hash else "off"
        return None, {"email_digest": self.obj.email_digest, "calendar_link": calendar}


class SetEmailDigest(PreferenceAction):
    """Turn the daily digest email on or off."""

    code = "notifications.digest"
    label = "Change the digest email"

    def apply(self):
        self.obj.email_digest = bool(self.data["email_digest"])
        return self.save(self.obj)


class ResetCalendarLink(PreferenceAction):
    """Make a new private calendar link; the previous one stops working at once."""

    code = "notifications.calendar_link"
    label = "Make a new calendar link"

    def apply(self):
        self.obj.new_feed()
        return self.save(self.obj)


class StopCalendarLink(PreferenceAction):
    """Stop the private calendar link: subscribed calendars no longer update."""

    code = "notifications.calendar_stop"
    label = "Stop the calendar link"

    def apply(self):
        self.obj.stop_feed()
        return self.save(self.obj)
