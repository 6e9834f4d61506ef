"""The notification jobs `norma worker` runs once a day (found by norma.jobs.periodic)."""

from datetime import timedelta

from norma.jobs.periodic import periodic
from norma.notifications.digest import send_digests
from norma.notifications.reminders import create_reminders


@periodic("reminders.daily", every=timedelta(days=1), title="Daily reminders")
def daily_reminders(job):
    """Notify owners and roles of records coming due or overdue (9.1.1: monitor on time)."""
    created = create_reminders()
    job.log(f"Created {created} notifications.")
    return {"notifications_created": created}


@periodic("notifications.digest", every=timedelta(days=1), title="Daily digest emails")
def daily_digest(job):
    """Send each person one email listing what they have not read or been sent yet."""
    return send_digests(log=job.log)
