"""The webhooks app's settings, read at call time so tests and operators can change them.

NORMA_WEBHOOK_ALLOW_PRIVATE     bool, default False: allow loopback and private targets at all
NORMA_WEBHOOK_ALLOWED_HOSTS     list of host names allowed even when they resolve privately
NORMA_WEBHOOK_RETRY_DELAYS      seconds to wait before each retry (1 min, 5 min, 30 min, 2 h, 12 h)
NORMA_WEBHOOK_MAX_ATTEMPTS      attempts in all, the first included (default: one more than delays)
NORMA_WEBHOOK_TIMEOUT           seconds for connecting and for each read (default 10)
"""

from django.conf import settings

DEFAULT_RETRY_DELAYS = [60, 5 * 60, 30 * 60, 2 * 3600, 12 * 3600]


def allow_private() -> bool:
    return bool(getattr(settings, "NORMA_WEBHOOK_ALLOW_PRIVATE", False))


def allowed_hosts() -> set[str]:
    hosts = getattr(settings, "NORMA_WEBHOOK_ALLOWED_HOSTS", []) or []
    return {normalise_host(host) for host in hosts}


def normalise_host(host: str) -> str:
    """Lower case, no trailing dot, no IPv6 brackets: how host names are compared."""
    return host.strip().lower().rstrip(".").strip("[]")


def retry_delays() -> list[float]:
    delays = getattr(settings, "NORMA_WEBHOOK_RETRY_DELAYS", DEFAULT_RETRY_DELAYS)
    return [float(d) for d in delays] or [0.0]


def max_attempts() -> int:
    default = len(retry_delays()) + 1
    return max(1, int(getattr(settings, "NORMA_WEBHOOK_MAX_ATTEMPTS", default)))


def timeout() -> float:
    return float(getattr(settings, "NORMA_WEBHOOK_TIMEOUT", 10))
