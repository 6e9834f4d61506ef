"""Settings the notifications app reads, each with a safe default.

Read through functions (not at import) so tests and operators can change them at run time.
"""

from django.conf import settings

from norma.env import env_int, env_str


def _setting(name: str, default):
    return getattr(settings, name, default)


def base_url() -> str:
    """Where people reach Norma, for the links in digest emails (e.g. https://qms.example.com)."""
    value = _setting("NORMA_BASE_URL", None) or env_str("NORMA_BASE_URL", "http://localhost:8000")
    return value.rstrip("/")


def digest_max_age_days() -> int:
    """Notifications older than this are left out of the digest (they stay in the centre)."""
    return int(_setting("NORMA_DIGEST_MAX_AGE_DAYS", env_int("NORMA_DIGEST_MAX_AGE_DAYS", 14)))


def calendar_past_days() -> int:
    """How far back a calendar feed reaches, so overdue items stay visible but feeds stay small."""
    return int(_setting("NORMA_CALENDAR_PAST_DAYS", env_int("NORMA_CALENDAR_PAST_DAYS", 90)))


def calendar_max_events() -> int:
    """The most events one feed holds (per dated field of a register), soonest first."""
    return int(_setting("NORMA_CALENDAR_MAX_EVENTS", env_int("NORMA_CALENDAR_MAX_EVENTS", 2000)))
