"""Shared helpers for the API tests: paths, JSON requests with If-Match, the error shape."""

import json

from norma.core.models import ChangeLogEntry
from norma.planning.models import Process

PROCESSES = "/api/v1/planning/processes/"
VALID = {"title": "Calibration", "process_type": "support"}


def record_url(reference: str, suffix: str = "") -> str:
    return f"{PROCESSES}{reference}{suffix}"


def send(api, method: str, path: str, body=None, if_match: str | None = None):
    """A JSON request through the ApiClient's token, with an optional If-Match header."""
    headers = {"If-Match": if_match} if if_match is not None else {}
    data = body if isinstance(body, str | bytes) else json.dumps({} if body is None else body)
    return getattr(api.client, method)(path, data, content_type="application/json", headers=headers)


def assert_error(response, status: int, field: str | None = None) -> dict:
    """The response has this status and the API's one error shape (naming `field`, if given)."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"}, body
    assert isinstance(body["detail"], str) and body["detail"], body
    assert isinstance(body["errors"], dict), body
    if field is not None:
        assert field in body["errors"], body
        assert all(isinstance(m, str) and m for m in body["errors"][field]), body
    return body


def written() -> tuple[int, int]:
    """What a refused request must leave alone: process rows and change-log entries."""
    return Process.objects.count(), ChangeLogEntry.objects.count()
