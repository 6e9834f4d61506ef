"""`norma worker`: runs queued tasks and enqueues periodic jobs when they fall due."""

import signal
import time

from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from norma.jobs.periodic import enqueue_due


def drain(worker_id: str, max_tasks: int | None = None):
    """Run queued tasks until none is left (the database backend's own claiming and locking)."""
    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()


class Command(BaseCommand):
    help = "Run background tasks and periodic jobs until stopped (several may run side by side)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument("--once", action="store_true", help="run what is due, then exit")

    def handle(self, interval, once, **options):
        worker_id = get_random_string(32)
        self.running = True
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        self.stdout.write(f"Norma worker {worker_id[:8]} started.")
        while self.running:
            started = enqueue_due()
            if started:
                self.stdout.write(f"Enqueued periodic: {', '.join(started)}")
            drain(worker_id)
            if once:
                break
            time.sleep(interval)
        self.stdout.write("Norma worker stopped.")

    def stop(self, signum, frame):
        self.running = False
