"""The notification centre: unread first, read per person, the header bell kept cheap."""

import pytest
from django.template.loader import render_to_string

from norma.core.models import ChangeLogEntry, RoleCode
from norma.notifications.models import Notification
from norma.notifications.reminders import create_reminders
from tests.factories import PersonFactory
from tests.notifications.conftest import leave_role


def unread(person) -> int:
    return Notification.objects.addressed_to(person).unread_by(person).count()


@pytest.fixture
def reminded(process_due, process_owner):
    """Two processes due: one overdue, one tomorrow, owned by the process owner."""
    processes = [process_due(-2, owner=process_owner, title="Sales"), process_due(1, owner=None)]
    create_reminders()
    return processes


def test_the_centre_lists_my_own_and_my_roles_notifications(
    reminded, client_for, quality_manager, process_owner, employee
):
    sales, purchasing = reminded
    page = client_for(quality_manager).get("/notifications/").content.decode()
    assert sales.reference in page and purchasing.reference in page
    own = client_for(process_owner).get("/notifications/").content.decode()
    assert sales.reference in own and purchasing.reference not in own
    assert "No notifications." in client_for(employee).get("/notifications/").content.decode()


def test_the_header_shows_the_unread_count(reminded, client_for, quality_manager):
    page = client_for(quality_manager).get("/").content.decode()
    assert 'aria-label="Notifications, 2 unread"' in page
    assert '<span class="count danger">2</span>' in page


def test_marking_one_read_is_for_me_alone_even_on_a_role_notification(
    reminded, client_for, quality_manager, second_quality_manager
):
    notification = Notification.objects.filter(recipient_role=RoleCode.QUALITY_MANAGER).first()
    response = client_for(quality_manager).post(f"/notifications/{notification.pk}/read/")
    assert response.status_code == 302
    assert unread(quality_manager) == 1
    assert unread(second_quality_manager) == 2


def test_read_notifications_move_below_the_unread_ones(reminded, client_for, quality_manager):
    newest = Notification.objects.addressed_to(quality_manager).order_by("-id").first()
    client = client_for(quality_manager)
    client.post(f"/notifications/{newest.pk}/read/")
    page = client.get("/notifications/").content.decode()
    older = Notification.objects.addressed_to(quality_manager).exclude(pk=newest.pk).get()
    assert page.index(older.title) < page.index(newest.title)
    assert page.count("Mark read</button>") == 1


def test_mark_all_read_clears_the_count(reminded, client_for, process_owner, quality_manager):
    client_for(quality_manager).post("/notifications/read-all/")
    assert unread(quality_manager) == 0
    assert unread(process_owner) == 1


def test_marking_read_with_htmx_returns_the_list_and_the_new_count(
    reminded, client_for, quality_manager
):
    notification = Notification.objects.addressed_to(quality_manager).first()
    response = client_for(quality_manager).post(
        f"/notifications/{notification.pk}/read/", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div id="notification-list">')
    assert "<html" not in html
    assert 'id="notification-bell" href="/notifications/" hx-swap-oob="true"' in html
    assert '<span class="count danger">1</span>' in html


def test_someone_elses_notification_cannot_be_marked_read(reminded, client_for, employee):
    notification = Notification.objects.filter(recipient_role=RoleCode.QUALITY_MANAGER).first()
    assert client_for(employee).post(f"/notifications/{notification.pk}/read/").status_code == 404


def test_marking_read_needs_a_post(reminded, client_for, quality_manager):
    notification = Notification.objects.addressed_to(quality_manager).first()
    client = client_for(quality_manager)
    assert client.get(f"/notifications/{notification.pk}/read/").status_code == 405
    assert unread(quality_manager) == 2


def test_a_role_notification_follows_the_role_not_the_people_who_held_it(reminded, quality_manager):
    leave_role(quality_manager, RoleCode.QUALITY_MANAGER)
    assert unread(quality_manager) == 0
    newcomer = PersonFactory(roles=[RoleCode.QUALITY_MANAGER])
    assert unread(newcomer) == 2


def test_a_role_member_limited_to_another_site_does_not_see_it(
    process_due, leeds, porto, client_for
):
    process = process_due(1, site=leeds)
    create_reminders()
    porto_manager = PersonFactory(roles=[RoleCode.QUALITY_MANAGER], scope_sites=[porto])
    assert unread(porto_manager) == 0
    assert (
        process.reference not in client_for(porto_manager).get("/notifications/").content.decode()
    )


def test_the_bell_costs_one_query_however_many_notifications(
    process_due, quality_manager, django_assert_num_queries
):
    def bell():
        with django_assert_num_queries(1):
            return render_to_string("notifications/_bell.html", {"user": quality_manager})

    process_due(1)
    create_reminders()
    assert 'count danger">1<' in bell()
    for days in range(2, 12):
        process_due(-days, title=f"Late {days}")
    create_reminders()
    assert 'count danger">11<' in bell()


def test_the_centre_needs_signing_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_turning_the_digest_off_is_saved_and_logged(client_for, process_owner):
    client = client_for(process_owner)
    page = client.get("/notifications/preferences/").content.decode()
    assert 'name="email_digest"' in page and "checked" in page
    response = client.post("/notifications/preferences/", {})
    assert response.status_code == 302
    assert process_owner.notification_preference.email_digest is False
    assert ChangeLogEntry.objects.filter(
        action="notifications.digest", actor_id=process_owner.pk
    ).exists()
