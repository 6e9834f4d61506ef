"""Periodic jobs registered in code and enqueued by `norma worker` when they fall due.

@periodic("reminders.daily", every=timedelta(days=1), title="Daily reminders")
def send_reminders(job): ...
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from norma.jobs.models import PeriodicSchedule
from norma.jobs.runner import start_job


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta
    title: str
    function: str


_registry: dict[str, Periodic] = {}


def periodic(name: str, *, every: timedelta, title: str):
    def register(function):
        _registry[name] = Periodic(name, every, title, f"{function.__module__}.{function.__name__}")
        return function

    return register


def registered() -> dict[str, Periodic]:
    autodiscover_modules("periodic_jobs")
    return _registry


def enqueue_due(now=None) -> list[str]:
    """Start every periodic job whose interval has passed; safe with several workers."""
    now = now or timezone.now()
    started = []
    for item in registered().values():
        with transaction.atomic():
            PeriodicSchedule.objects.get_or_create(name=item.name)
            schedule = PeriodicSchedule.objects.select_for_update().get(name=item.name)
            last = schedule.last_enqueued_at
            if last is not None and now - last < item.every:
                continue
            schedule.last_enqueued_at = now
            schedule.save(update_fields=["last_enqueued_at"])
            start_job(None, item.name, item.title, item.function)
            started.append(item.name)
    return started
