"""The daily reminders job: who is told, when, and never twice for the same thing."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from norma.core.actions import ArchiveRecord, UpdateRecord
from norma.core.models import RoleCode
from norma.jobs.models import Job
from norma.notifications.models import Notification, NotificationKind
from norma.notifications.reminders import create_reminders
from tests.factories import PersonFactory, bulk_processes
from tests.notifications.conftest import days_from_today


def test_an_item_due_tomorrow_reminds_its_owner_and_the_declared_role(process_due, process_owner):
    process = process_due(1, owner=process_owner)
    assert create_reminders() == 2
    to_owner = Notification.objects.get(recipient_person=process_owner)
    to_role = Notification.objects.get(recipient_role=RoleCode.QUALITY_MANAGER)
    for notification in (to_owner, to_role):
        assert notification.kind == NotificationKind.DUE
        assert notification.reference == process.reference
        assert notification.object_type == "planning.process"
        assert notification.due_date == days_from_today(1)
        assert notification.link == f"/planning/processes/{process.reference}/"
        assert notification.message.startswith("Review due tomorrow")


def test_rerunning_on_the_same_day_creates_nothing_new(process_due, process_owner):
    process_due(1, owner=process_owner)
    process_due(-2, owner=process_owner, title="Sales")
    first = create_reminders()
    assert first == 4
    assert create_reminders() == 0
    assert Notification.objects.count() == first


def test_the_tighter_lead_time_reminds_again_but_a_day_later_in_the_same_window_does_not(
    process_due,
):
    process_due(10)
    assert create_reminders(days_from_today(0)) == 1  # inside the 14-day lead time
    assert create_reminders(days_from_today(1)) == 0  # 9 days out: still the 14-day reminder
    assert create_reminders(days_from_today(9)) == 1  # due tomorrow: the 1-day reminder
    assert Notification.objects.filter(kind=NotificationKind.DUE).count() == 2


def test_an_item_beyond_every_lead_time_does_not_remind(process_due):
    process_due(20)
    assert create_reminders() == 0


def test_an_overdue_item_produces_one_overdue_notification(process_due):
    process_due(-3)
    assert create_reminders() == 1
    overdue = Notification.objects.get()
    assert overdue.kind == NotificationKind.OVERDUE
    assert overdue.message == f"Overdue: review due {days_from_today(-3).isoformat()}, 3 days ago."
    assert create_reminders(days_from_today(1)) == 0  # not repeated every day


def test_archived_records_do_not_remind(process_due, quality_manager):
    process = process_due(1)
    ArchiveRecord(quality_manager, process, reason="Process merged into Sales").execute()
    assert create_reminders() == 0


def test_a_moved_date_reminds_again(process_due, quality_manager):
    process = process_due(1)
    create_reminders()
    UpdateRecord(quality_manager, process, data={"due_date": days_from_today(0)}).execute()
    assert create_reminders() == 1


def test_an_owner_who_has_left_is_not_reminded_but_the_role_still_is(process_due):
    leaver = PersonFactory(full_name="Lee Left", roles=[RoleCode.PROCESS_OWNER])
    process_due(1, owner=leaver)
    leaver.is_active = False
    leaver.save()
    create_reminders()
    assert not Notification.objects.filter(recipient_person=leaver).exists()
    assert Notification.objects.filter(recipient_role=RoleCode.QUALITY_MANAGER).count() == 1


def test_reminders_read_with_the_same_queries_for_ten_or_five_hundred_records(db, process_owner):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            create_reminders()
        sql = [q["sql"].lstrip().upper() for q in captured]
        return [s for s in sql if s.startswith("SELECT")], [s for s in sql if "INSERT" in s]

    bulk_processes(10, owner=process_owner, due_date=days_from_today(1))
    few_reads, _ = queries()
    bulk_processes(490, owner=process_owner, due_date=days_from_today(-1))
    many_reads, inserts = queries()
    assert len(many_reads) == len(few_reads)
    assert Notification.objects.count() == 1000
    assert len(inserts) <= 1000 // 50  # batched inserts, never one per record


def test_the_daily_job_runs_in_the_worker_and_reports_what_it_created(
    process_due, run_periodic_jobs
):
    process_due(1)
    assert "reminders.daily" in run_periodic_jobs()
    job = Job.objects.get(kind="reminders.daily")
    assert job.state == Job.State.SUCCEEDED
    assert job.summary == {"notifications_created": 1}
    assert run_periodic_jobs() == []  # not again within the day
