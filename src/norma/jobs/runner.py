"""Starting jobs and running them in the worker.

    job = start_job(person, "export", "Export processes", "myapp.jobs.export_processes",
                    {"site_id": 3})

The function receives a JobContext first, then the params:

    def export_processes(job, site_id):
        job.progress(0, total=rows)
        job.log("Checked 100 rows")
        job.save_result("rejected-rows.csv", data)
        return {"imported": 100}          # kept as the job's summary
"""

import logging
import time
import traceback

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from norma.core.context import acting_as
from norma.jobs.models import Job

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 0.5  # seconds between progress writes
LOG_LIMIT = 64 * 1024  # characters of log kept per job: the latest lines


class JobContext:
    def __init__(self, job: Job):
        self.job = job
        self._last_write = 0.0

    def progress(self, done: int, total: int | None = None, *, force=False):
        self.job.done = done
        if total is not None:
            self.job.total = total
        now = time.monotonic()
        if force or now - self._last_write >= PROGRESS_EVERY:
            self._last_write = now
            Job.objects.filter(pk=self.job.pk).update(done=self.job.done, total=self.job.total)

    def log(self, line: str):
        stamp = timezone.now().strftime("%H:%M:%S")
        self.job.log = (self.job.log + f"{stamp} {line}\n")[-LOG_LIMIT:]
        Job.objects.filter(pk=self.job.pk).update(log=self.job.log)

    def save_result(self, name: str, data: bytes):
        self.job.result_name = name
        self.job.result_file.save(name, ContentFile(data), save=False)
        Job.objects.filter(pk=self.job.pk).update(
            result_name=name, result_file=self.job.result_file.name
        )


def start_job(person, kind: str, title: str, function: str, params: dict | None = None) -> Job:
    """Create the job now; the worker picks it up once the surrounding transaction commits."""
    import_string(function)  # fail early on a typo, not in the worker
    job = Job.objects.create(
        kind=kind, title=title, function=function, params=params or {}, created_by=person
    )
    transaction.on_commit(lambda: run_job.enqueue(job.pk))
    return job


def execute(job: Job) -> Job:
    """Run a job here and now, as its creator (or as the named process for periodic jobs)."""
    claimed = Job.objects.filter(pk=job.pk, state=Job.State.QUEUED).update(
        state=Job.State.RUNNING, started_at=timezone.now()
    )
    if not claimed:  # another worker took it (a duplicate enqueue): run it once only
        return job
    job.refresh_from_db()
    context = JobContext(job)
    actor = {"person": job.created_by} if job.created_by else {"name": f"norma worker: {job.kind}"}
    try:
        with acting_as(**actor):
            summary = import_string(job.function)(context, **job.params)
    except Exception as error:  # the job failed; the worker keeps going
        logger.exception("job %s failed", job.pk)
        context.log(f"Failed: {error}")
        job.state = Job.State.FAILED
        job.summary = {"error": str(error), "trace": traceback.format_exc(limit=5)}
    else:
        job.state = Job.State.SUCCEEDED
        job.summary = summary or {}
        if job.total is not None:
            job.done = job.total
    job.finished_at = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        state=job.state,
        summary=job.summary,
        done=job.done,
        total=job.total,
        finished_at=job.finished_at,
    )
    return job


@task()
def run_job(job_id: int):
    job = Job.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.state != Job.State.QUEUED:
        return
    execute(job)
