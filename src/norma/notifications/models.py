"""Reminders and notifications: what falls due, who is told, and what each person has read.

A notification is addressed to ONE person or to ONE role; a role notification is never copied
into one row per member. What each person did with it (read it, got it by email) is kept per
person in `NotificationReceipt`, created when it happens. So a notification addressed to a role
reaches whoever holds the role at the moment it is shown or emailed: someone who leaves the
role stops seeing it, a newcomer sees it, and each member marks it read for themselves.
Copying it to the members of the day would freeze that day's membership (5.3: responsibilities
follow the role, not the person who held it).

Notifications and receipts are not controlled records: they are derived from the registers
and are not written to the change log. Preference changes are (they go through actions).
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from norma.core.models import Person, Role, RoleCode

FEED_SALT = "norma.notifications.calendar-feed"


class NotificationKind(models.TextChoices):
    DUE = "due", "Due soon"
    OVERDUE = "overdue", "Overdue"
    INFO = "info", "For your information"


def role_codes_of(person):
    """The codes of the roles the person holds now, as a subquery (no query of its own)."""
    return Role.objects.filter(group__user=person).values("code")


def scope_condition(person) -> Q:
    """`core.scope.Scope` written as SQL, so a role notification is shown in one query.

    No site (or department) on the notification, or no limit of that kind on the person,
    means it is visible; superusers are never limited.
    """
    if person.is_superuser:
        return Q()
    sites = Person.scope_sites.through.objects.filter(person_id=person.pk).values("site_id")
    departments = Person.scope_departments.through.objects.filter(person_id=person.pk).values(
        "department_id"
    )
    site_ok = Q(site__isnull=True) | Q(site__in=sites) | ~Exists(sites)
    department_ok = (
        Q(department__isnull=True) | Q(department__in=departments) | ~Exists(departments)
    )
    return site_ok & department_ok


class NotificationQuerySet(models.QuerySet):
    def addressed_to(self, person):
        """The person's own notifications, and those of the roles they hold now, in scope."""
        via_role = Q(recipient_role__in=role_codes_of(person)) & scope_condition(person)
        return self.filter(Q(recipient_person=person) | via_role)

    def _read_by(self, person):
        return Exists(
            NotificationReceipt.objects.filter(
                notification=OuterRef("pk"), person=person, read_at__isnull=False
            )
        )

    def unread_by(self, person):
        return self.filter(~self._read_by(person))

    def with_read_state(self, person):
        """Annotate `is_read` for this person, without a query per row."""
        return self.annotate(is_read=self._read_by(person))


class Notification(models.Model):
    """A reminder that a record's date is coming up or has passed, for one person or one role."""

    recipient_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    recipient_role = models.CharField(
        max_length=40, choices=RoleCode.choices, blank=True, db_index=True
    )
    kind = models.CharField(max_length=12, choices=NotificationKind.choices)
    title = models.CharField(max_length=300)
    message = models.CharField(max_length=500)
    link = models.CharField(max_length=300, blank=True, help_text="Path of the record's page.")
    object_type = models.CharField(max_length=100, help_text="app_label.model_name")
    reference = models.CharField(max_length=32)
    due_date = models.DateField(null=True, blank=True)
    # Copied from the record so role notifications respect the members' site and department scope.
    site = models.ForeignKey(
        "core.Site", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(
        "core.Department", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(
        max_length=64, unique=True, help_text="Hash of what makes it unique; rerunning adds none."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "reference"], name="notification_record")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(recipient_person__isnull=False) & Q(recipient_role=""))
                | (Q(recipient_person__isnull=True) & ~Q(recipient_role="")),
                name="notification_one_recipient",
            )
        ]

    def __str__(self):
        return f"{self.title}: {self.message}"

    @staticmethod
    def make_key(*parts) -> str:
        return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


class NotificationReceipt(models.Model):
    """What one person did with one notification: read it in Norma, received it by email."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="receipts"
    )
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "person"], name="notification_receipt_once"
            )
        ]

    def __str__(self):
        return f"{self.person_id} · {self.notification_id}"


def hash_feed_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class NotificationPreference(models.Model):
    """How a person wants to be told: the daily digest email, and their private calendar link.

    The feed token is derived from a random key and the server's secret, and only its SHA-256
    is stored and looked up: a copy of the database alone does not open anyone's calendar.
    """

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_digest = models.BooleanField(
        default=True, help_text="One email a day listing what is due, overdue and unread."
    )
    feed_key = models.CharField(max_length=64, blank=True, editable=False)
    feed_token_hash = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )
    feed_created_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self):
        return f"Notification preferences of {self.person}"

    def feed_token(self) -> str | None:
        """The token in the calendar URLs, or None when there is no link (or the server's
        secret key changed since it was made: then a new link must be made to show it)."""
        if not self.feed_key or not self.feed_token_hash:
            return None
        token = salted_hmac(FEED_SALT, self.feed_key, algorithm="sha256").hexdigest()
        return (
            token if secrets.compare_digest(hash_feed_token(token), self.feed_token_hash) else None
        )

    def new_feed(self):
        """A new random key and token; the previous calendar URLs stop working at once."""
        self.feed_key = secrets.token_urlsafe(32)
        token = salted_hmac(FEED_SALT, self.feed_key, algorithm="sha256").hexdigest()
        self.feed_token_hash = hash_feed_token(token)
        self.feed_created_at = timezone.now()

    def stop_feed(self):
        self.feed_key, self.feed_token_hash, self.feed_created_at = "", None, None

    @classmethod
    def for_feed_token(cls, raw: str):
        """The preference whose link this is, if its person may still sign in; else None."""
        found = (
            cls.objects.select_related("person")
            .filter(feed_token_hash=hash_feed_token(raw), person__is_active=True)
            .first()
        )
        if found is None or found.person.access_expired:
            return None
        return found


class DigestEmail(models.Model):
    """One digest sent to one person on one day; the unique day stops a second one."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    items = models.PositiveIntegerField()

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["person", "sent_on"], name="digest_once_a_day")
        ]

    def __str__(self):
        return f"Digest to {self.person_id} on {self.sent_on}"
