"""Private iCalendar feeds: valid iCalendar, token only, and only what the person may see."""

import pytest
from django.test import Client
from icalendar import Calendar

from norma.core.actions import UpdateRecord
from norma.notifications.actions import StopCalendarLink
from tests.factories import PersonFactory, make_process
from tests.notifications.conftest import calendar_token, days_from_today


def events(response) -> dict[str, object]:
    """The feed parsed back with icalendar, as {SUMMARY: VEVENT}."""
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def feed(token, register=None):
    suffix = f"/{register}" if register else ""
    return Client().get(f"/notifications/calendar/{token}{suffix}.ics")


def test_the_feed_validates_as_icalendar_and_lists_the_item_due_tomorrow(
    process_due, quality_manager
):
    process = process_due(1)
    found = events(feed(calendar_token(quality_manager)))
    event = found[f"{process.reference} Purchasing"]
    assert event.decoded("DTSTART") == days_from_today(1)  # a date: an all-day event
    assert event.decoded("DTEND") == days_from_today(2)
    assert str(event["URL"]) == f"http://testserver/planning/processes/{process.reference}/"
    assert str(event["UID"]) == f"planning.process.{process.pk}.due_date@localhost"
    assert event.get("DTSTAMP") is not None
    assert "Next review" in str(event["DESCRIPTION"])


def test_a_moved_date_keeps_the_same_event(process_due, quality_manager):
    process = process_due(1)
    token = calendar_token(quality_manager)
    before = events(feed(token))[f"{process.reference} Purchasing"]["UID"]
    UpdateRecord(quality_manager, process, data={"due_date": days_from_today(30)}).execute()
    after = events(feed(token))[f"{process.reference} Purchasing"]
    assert after["UID"] == before
    assert after.decoded("DTSTART") == days_from_today(30)


def test_my_feed_holds_what_i_own_and_not_other_peoples_items(process_due, process_owner):
    mine = process_due(5, owner=process_owner, title="Mine")
    process_due(5, title="Someone else's")
    found = events(feed(calendar_token(process_owner)))
    assert list(found) == [f"{mine.reference} Mine"]


def test_a_register_feed_lists_every_dated_item_the_person_may_see(
    process_due, quality_manager, leeds, porto
):
    at_leeds = process_due(5, site=leeds, title="Leeds process")
    process_due(5, site=porto, title="Porto process")
    make_process(quality_manager, title="Undated process")
    leeds_reader = PersonFactory(roles=["internal_auditor"], scope_sites=[leeds])
    found = events(feed(calendar_token(leeds_reader), "planning/process"))
    assert f"{at_leeds.reference} Leeds process" in found
    assert not any("Porto" in summary or "Undated" in summary for summary in found)


def test_a_register_the_person_may_not_read_is_not_found(process_due, nobody):
    process_due(1)
    token = calendar_token(nobody)
    assert feed(token, "planning/process").status_code == 404
    assert events(feed(token)) == {}


def test_an_unknown_register_is_not_found(quality_manager):
    assert feed(calendar_token(quality_manager), "planning/nothing").status_code == 404


@pytest.mark.parametrize("token", ["0" * 64, "not-a-token-at-all", "short", "../../etc/passwd", ""])
def test_an_unknown_token_is_not_found(db, token):
    assert feed(token).status_code == 404


def test_a_signed_in_session_is_no_key_to_a_feed(quality_manager, client_for):
    calendar_token(quality_manager)
    assert (
        client_for(quality_manager).get(f"/notifications/calendar/{'a' * 64}.ics").status_code
        == 404
    )


def test_a_new_link_stops_the_old_one(quality_manager):
    old = calendar_token(quality_manager)
    new = calendar_token(quality_manager)
    assert new != old and len(new) == 64
    assert feed(old).status_code == 404
    assert feed(new).status_code == 200


def test_a_stopped_link_is_not_found(quality_manager):
    token = calendar_token(quality_manager)
    StopCalendarLink(quality_manager).execute()
    assert feed(token).status_code == 404


def test_the_link_of_someone_who_left_is_not_found(quality_manager):
    token = calendar_token(quality_manager)
    quality_manager.is_active = False
    quality_manager.save()
    assert feed(token).status_code == 404


def test_the_token_is_stored_only_as_a_hash(quality_manager):
    from norma.notifications.models import NotificationPreference

    token = calendar_token(quality_manager)
    stored = NotificationPreference.objects.filter(person=quality_manager).values().get()
    assert token not in {str(value) for value in stored.values()}


def test_the_preferences_page_shows_the_calendar_links_and_makes_new_ones(
    client_for, quality_manager
):
    client = client_for(quality_manager)
    assert "Make my calendar link" in client.get("/notifications/preferences/").content.decode()
    assert client.post("/notifications/preferences/calendar/").status_code == 302
    page = client.get("/notifications/preferences/").content.decode()
    token = quality_manager.notification_preference.feed_token()
    assert f"http://testserver/notifications/calendar/{token}.ics" in page
    assert f"http://testserver/notifications/calendar/{token}/planning/process.ics" in page
    client.post("/notifications/preferences/calendar/", {"stop": "1"})
    assert feed(token).status_code == 404
