"""Background jobs run in the real worker, as their creator, with progress and a result."""

from datetime import timedelta

import pytest
from django.utils import timezone

from norma.core.models import ChangeLogEntry
from norma.jobs.management.commands.worker import drain
from norma.jobs.models import Job, PeriodicSchedule
from norma.jobs.periodic import Periodic, _registry, enqueue_due
from norma.jobs.runner import start_job
from tests.factories import make_process


def counting_job(job, count):
    job.progress(0, total=count)
    for done in range(1, count + 1):
        job.progress(done)
    job.log(f"counted to {count}")
    job.save_result("count.txt", str(count).encode())
    return {"counted": count}


def writing_job(job):
    make_process(job.job.created_by, title="Made by a job")
    return {}


def failing_job(job):
    raise ValueError("the input file has no header row")


def run(person, function, params=None, *, capture):
    with capture(execute=True):
        job = start_job(person, "test", "Test job", f"tests.jobs.test_jobs.{function}", params)
    drain("test-worker")
    job.refresh_from_db()
    return job


def test_a_job_runs_in_the_worker_with_progress_log_and_result(
    quality_manager, django_capture_on_commit_callbacks
):
    job = run(
        quality_manager, "counting_job", {"count": 5}, capture=django_capture_on_commit_callbacks
    )
    assert job.state == Job.State.SUCCEEDED
    assert (job.done, job.total, job.percent) == (5, 5, 100)
    assert "counted to 5" in job.log
    assert job.summary == {"counted": 5}
    assert job.result_file.read() == b"5"


def test_a_job_writes_as_its_creator_so_the_change_log_names_them(
    quality_manager, django_capture_on_commit_callbacks
):
    run(quality_manager, "writing_job", capture=django_capture_on_commit_callbacks)
    entry = ChangeLogEntry.objects.filter(action="create").latest("id")
    assert (entry.actor_id, entry.actor_name) == (quality_manager.pk, quality_manager.full_name)


def test_a_failing_job_is_marked_failed_with_the_reason(
    quality_manager, django_capture_on_commit_callbacks
):
    job = run(quality_manager, "failing_job", capture=django_capture_on_commit_callbacks)
    assert job.state == Job.State.FAILED
    assert "no header row" in job.log
    assert job.finished_at is not None


def test_a_job_is_not_enqueued_when_its_transaction_rolls_back(quality_manager):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    with pytest.raises(RuntimeError), transaction.atomic():
        start_job(quality_manager, "test", "Doomed", "tests.jobs.test_jobs.failing_job")
        raise RuntimeError("rolled back")
    assert not DBTaskResult.objects.exists()
    assert not Job.objects.exists()


def test_an_unknown_job_function_is_refused_when_started(quality_manager):
    with pytest.raises(ImportError):
        start_job(quality_manager, "test", "Typo", "tests.jobs.test_jobs.no_such_function")


@pytest.fixture
def daily_test_job():
    _registry["test.daily"] = Periodic(
        "test.daily", timedelta(days=1), "Daily test", "tests.jobs.test_jobs.counting_job"
    )
    yield
    del _registry["test.daily"]


def test_periodic_jobs_are_enqueued_once_per_interval(db, daily_test_job):
    now = timezone.now()
    assert "test.daily" in enqueue_due(now)
    assert "test.daily" not in enqueue_due(now + timedelta(hours=23))
    assert "test.daily" in enqueue_due(now + timedelta(days=1, minutes=1))
    assert Job.objects.filter(kind="test.daily").count() == 2
    assert PeriodicSchedule.objects.get(name="test.daily").last_enqueued_at > now


def test_the_job_page_shows_progress_only_to_its_owner_and_the_quality_manager(
    client_for, process_owner, employee, quality_manager
):
    job = Job.objects.create(
        kind="t", title="Mine", function="x.y", created_by=process_owner, total=4, done=1
    )
    page = client_for(process_owner).get(f"/jobs/{job.pk}/")
    assert page.status_code == 200
    assert "1 of 4" in page.content.decode()
    assert 'hx-trigger="every 1s"' in page.content.decode()
    assert client_for(employee).get(f"/jobs/{job.pk}/").status_code == 404
    assert client_for(quality_manager).get(f"/jobs/{job.pk}/").status_code == 200


def test_a_job_claimed_by_another_worker_is_not_run_twice(quality_manager):
    from norma.jobs.runner import execute

    job = Job.objects.create(
        kind="t",
        title="Once",
        function="tests.jobs.test_jobs.counting_job",
        params={"count": 1},
        created_by=quality_manager,
        state=Job.State.RUNNING,
    )
    execute(job)
    job.refresh_from_db()
    assert job.state == Job.State.RUNNING
    assert job.summary == {}


def test_the_job_log_keeps_only_the_latest_lines(quality_manager):
    from norma.jobs.runner import LOG_LIMIT, JobContext

    job = Job.objects.create(kind="t", title="Chatty", function="x.y", created_by=quality_manager)
    context = JobContext(job)
    for n in range(LOG_LIMIT // 20 + 100):
        context.log(f"line {n:08d}")
    job.refresh_from_db()
    assert len(job.log) <= LOG_LIMIT
    assert job.log.rstrip().endswith(f"line {LOG_LIMIT // 20 + 99:08d}")
