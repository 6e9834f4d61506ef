"""Helpers for the notification tests: processes coming due, and the real worker."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from norma.core.models import RoleCode
from norma.jobs.management.commands.worker import drain
from norma.jobs.periodic import enqueue_due
from norma.notifications.actions import ResetCalendarLink, preference_of
from tests.factories import PersonFactory, make_process


def days_from_today(days: int):
    return timezone.localdate() + timedelta(days=days)


@pytest.fixture
def process_due(quality_manager):
    """make(days, **fields): a process whose next review is `days` from today."""

    def make(days, **fields):
        fields.setdefault("title", "Purchasing")
        return make_process(quality_manager, due_date=days_from_today(days), **fields)

    return make


@pytest.fixture
def second_quality_manager(db):
    return PersonFactory(full_name="Quentin Second", roles=[RoleCode.QUALITY_MANAGER])


@pytest.fixture
def run_periodic_jobs(django_capture_on_commit_callbacks):
    """Enqueue the periodic jobs that are due and run them in the real worker."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            started = enqueue_due()
        drain("notifications-test")
        return started

    return run


def leave_role(person, code):
    person.groups.remove(Group.objects.get(role__code=code))


def calendar_token(person) -> str:
    ResetCalendarLink(person).execute()
    return preference_of(person).feed_token()
