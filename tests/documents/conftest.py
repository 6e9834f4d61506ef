"""Fixtures shared by the document tests."""

import datetime
from datetime import timedelta

import pytest
from django.utils import timezone


@pytest.fixture
def clock(monkeypatch):
    """Move Norma's clock (django.utils.timezone.now, and so localdate) some days ahead."""
    real_now = timezone.now

    def move(days: int) -> datetime.date:
        monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(days=days))
        return timezone.localdate()

    return move
