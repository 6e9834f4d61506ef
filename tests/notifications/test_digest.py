"""The daily digest: one email per person per day, to whoever holds the role that day."""

import smtplib
from collections import Counter

from django.core.mail.backends.base import BaseEmailBackend

from norma.core.models import ChangeLogEntry, RoleCode
from norma.notifications.actions import SetEmailDigest
from norma.notifications.digest import send_digests
from norma.notifications.models import DigestEmail, Notification, NotificationReceipt
from norma.notifications.reminders import create_reminders
from tests.factories import PersonFactory
from tests.notifications.conftest import days_from_today, leave_role


def emails_to(mailoutbox) -> Counter:
    return Counter(address for message in mailoutbox for address in message.to)


def test_a_reminder_due_tomorrow_reaches_the_role_members_in_one_digest_from_the_worker(
    process_due,
    process_owner,
    quality_manager,
    second_quality_manager,
    run_periodic_jobs,
    mailoutbox,
):
    process = process_due(1, owner=process_owner)
    assert {"reminders.daily", "notifications.digest"} <= set(run_periodic_jobs())
    sent = emails_to(mailoutbox)
    assert sent[quality_manager.email] == sent[second_quality_manager.email] == 1
    assert sent[process_owner.email] == 1
    body = next(m.body for m in mailoutbox if quality_manager.email in m.to)
    assert process.reference in body
    assert "Review due tomorrow" in body
    assert f"http://localhost:8000/planning/processes/{process.reference}/" in body
    assert "(to you as Quality manager)" in body


def test_the_digest_is_one_email_per_person_even_with_several_items(
    process_due, process_owner, mailoutbox
):
    references = [
        process_due(days, owner=process_owner, title=f"Process {days}").reference
        for days in (-5, 1, 10)
    ]
    send_digests()
    to_owner = [m for m in mailoutbox if m.to == [process_owner.email]]
    assert len(to_owner) == 1
    assert all(reference in to_owner[0].body for reference in references)
    assert to_owner[0].subject.endswith("1 overdue, 2 coming up")
    assert to_owner[0].body.index("OVERDUE") < to_owner[0].body.index("COMING UP")


def test_an_item_for_both_the_owner_and_their_role_is_listed_once(
    process_due, quality_manager, mailoutbox
):
    process = process_due(1, owner=quality_manager)
    send_digests()
    [message] = [m for m in mailoutbox if m.to == [quality_manager.email]]
    assert message.body.count(f"- {process.reference} ") == 1


def test_no_digest_when_the_person_turned_it_off(
    process_due, process_owner, quality_manager, mailoutbox
):
    process_due(1, owner=process_owner)
    SetEmailDigest(process_owner, data={"email_digest": False}).execute()
    send_digests()
    assert emails_to(mailoutbox)[process_owner.email] == 0
    assert emails_to(mailoutbox)[quality_manager.email] == 1
    entry = ChangeLogEntry.objects.filter(action="notifications.digest").latest("id")
    assert entry.actor_id == process_owner.pk
    assert entry.after == {"email_digest": False, "calendar_link": "off"}


def test_a_second_run_the_same_day_sends_nothing_and_items_are_not_emailed_twice(
    process_due, process_owner, quality_manager, mailoutbox
):
    process_due(1, owner=process_owner)
    send_digests()
    assert len(mailoutbox) == 2
    process_due(2, owner=process_owner, title="Sales")
    send_digests()
    assert len(mailoutbox) == 2  # one digest a day, even with something new
    send_digests(days_from_today(1))
    new = {m.to[0]: m for m in mailoutbox[2:]}
    assert set(new) == {process_owner.email, quality_manager.email}
    assert "Sales" in new[process_owner.email].body
    assert "Purchasing" not in new[process_owner.email].body
    assert DigestEmail.objects.filter(person=process_owner).count() == 2


def test_read_notifications_are_not_emailed(process_due, process_owner, mailoutbox):
    process_due(1, owner=process_owner)
    create_reminders()
    notification = Notification.objects.get(recipient_person=process_owner)
    NotificationReceipt.objects.create(
        notification=notification, person=process_owner, read_at=notification.created_at
    )
    send_digests()
    assert emails_to(mailoutbox)[process_owner.email] == 0


def test_someone_who_leaves_the_role_stops_getting_it_and_a_new_member_gets_it(
    process_due, quality_manager, mailoutbox
):
    process_due(1)
    create_reminders()
    leave_role(quality_manager, RoleCode.QUALITY_MANAGER)
    newcomer = PersonFactory(full_name="Nina New", roles=[RoleCode.QUALITY_MANAGER])
    send_digests()
    assert emails_to(mailoutbox) == Counter({newcomer.email: 1})


def test_a_role_member_limited_to_another_site_is_not_told(process_due, leeds, porto, mailoutbox):
    process_due(1, site=leeds)
    porto_manager = PersonFactory(roles=[RoleCode.QUALITY_MANAGER], scope_sites=[porto])
    leeds_manager = PersonFactory(roles=[RoleCode.QUALITY_MANAGER], scope_sites=[leeds])
    send_digests()
    sent = emails_to(mailoutbox)
    assert sent[porto_manager.email] == 0
    assert sent[leeds_manager.email] == 1


def test_people_who_cannot_sign_in_get_no_digest(process_due, process_owner, mailoutbox):
    process_due(1, owner=process_owner)
    create_reminders()
    process_owner.is_active = False
    process_owner.save()
    send_digests()
    assert emails_to(mailoutbox)[process_owner.email] == 0


class RefusingBackend(BaseEmailBackend):
    """An SMTP server that refuses every message."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({})


def test_a_digest_that_could_not_be_sent_is_sent_on_the_next_run(
    process_due, process_owner, settings, mailoutbox
):
    process_due(1, owner=process_owner)
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    assert send_digests()["digests_failed"] == 2
    assert not DigestEmail.objects.exists()
    assert not NotificationReceipt.objects.filter(emailed_at__isnull=False).exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_digests()["digests_sent"] == 2
    assert emails_to(mailoutbox)[process_owner.email] == 1
