"""A delivery whose worker died mid-attempt is resumed by the periodic job, exactly once."""

from datetime import timedelta

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from norma.jobs.management.commands.worker import drain
from norma.jobs.models import Job
from norma.webhooks.models import WebhookDelivery
from norma.webhooks.periodic_jobs import stuck_deliveries
from tests.factories import make_process


def run_worker(capture):
    for _ in range(10):
        with capture(execute=True) as callbacks:
            drain("resume-test-worker")
        if not callbacks:
            return


def test_a_stuck_delivery_is_resumed_and_delivered_once(
    receiver, make_webhook, quality_manager, django_capture_on_commit_callbacks
):
    make_webhook(receiver.url + "/hooks")
    with django_capture_on_commit_callbacks(execute=True):
        make_process(quality_manager, title="Lost in a crash")
    DBTaskResult.objects.all().delete()  # the queued task was lost with its worker
    delivery = WebhookDelivery.objects.get()
    long_ago = timezone.now() - timedelta(hours=1)
    # The worker claimed attempt 1 and died before sending or recording anything.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=1, last_attempt_at=long_ago, created_at=long_ago
    )
    assert list(stuck_deliveries(timezone.now())) == [delivery]

    from norma.webhooks.periodic_jobs import resume_stuck_deliveries

    job = Job.objects.create(kind="t", title="Resume", function="x.y")
    from norma.jobs.runner import JobContext

    with django_capture_on_commit_callbacks(execute=True):
        summary = resume_stuck_deliveries(JobContext(job))
    assert summary == {"resumed": 1}
    run_worker(django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.SUCCEEDED
    assert len(receiver.requests) == 1
    assert not stuck_deliveries(timezone.now()).exists()


def test_a_recent_or_scheduled_delivery_is_left_alone(make_webhook, quality_manager, receiver):
    make_webhook(receiver.url + "/hooks")
    make_process(quality_manager, title="Fresh")
    assert not stuck_deliveries(timezone.now()).exists()
    later = timezone.now() + timedelta(minutes=30)
    WebhookDelivery.objects.update(
        state=WebhookDelivery.State.FAILED, attempts=1, next_attempt_at=later
    )
    assert not stuck_deliveries(timezone.now() + timedelta(minutes=20)).exists()
