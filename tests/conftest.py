"""Shared fixtures: one persona per built-in role, signed-in clients and API clients."""

import pytest
from django.test import Client

from norma.core.models import ApiToken, RoleCode
from tests.factories import PersonFactory, SiteFactory


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    """Uploaded files go to a temporary folder for each test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "files"},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _worker_keeps_the_test_connection(monkeypatch):
    """The real worker closes "old" connections between tasks; inside a test's transaction that
    would drop the transaction itself (PostgreSQL), so tests keep the connection open."""
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )


@pytest.fixture
def leeds(db):
    return SiteFactory(code="leeds", name="Leeds")


@pytest.fixture
def porto(db):
    return SiteFactory(code="porto", name="Porto")


@pytest.fixture
def quality_manager(db):
    return PersonFactory(full_name="Quinn Quality", roles=[RoleCode.QUALITY_MANAGER])


@pytest.fixture
def top_manager(db):
    return PersonFactory(full_name="Tess Top", roles=[RoleCode.TOP_MANAGEMENT])


@pytest.fixture
def process_owner(db):
    return PersonFactory(full_name="Owen Owner", roles=[RoleCode.PROCESS_OWNER])


@pytest.fixture
def internal_auditor(db):
    return PersonFactory(full_name="Ada Auditor", roles=[RoleCode.INTERNAL_AUDITOR])


@pytest.fixture
def employee(db):
    return PersonFactory(full_name="Eve Employee", roles=[RoleCode.EMPLOYEE])


@pytest.fixture
def external_auditor(db):
    return PersonFactory(full_name="Rex Registrar", roles=[RoleCode.EXTERNAL_AUDITOR])


@pytest.fixture
def nobody(db):
    """Signed in, but holding no role at all."""
    return PersonFactory(full_name="No Role")


PERSONAS = [
    "quality_manager",
    "top_manager",
    "process_owner",
    "internal_auditor",
    "employee",
    "external_auditor",
    "nobody",
]


@pytest.fixture
def persona(request):
    """Use with @pytest.mark.parametrize("persona", [...], indirect=True)."""
    return request.getfixturevalue(request.param)


def signed_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def client_for():
    return signed_in


class ApiClient:
    """A test client that sends a bearer token and JSON."""

    def __init__(self, person):
        _, self.token = ApiToken.issue(person)
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {self.token}")

    def get(self, path, **headers):
        return self.client.get(path, headers=headers)

    def post(self, path, data=None, **headers):
        return self._send("post", path, data, headers)

    def patch(self, path, data=None, **headers):
        return self._send("patch", path, data, headers)

    def delete(self, path, **headers):
        return self.client.delete(path, headers=headers)

    def _send(self, method, path, data, headers):
        import json

        body = data if isinstance(data, str | bytes) else json.dumps(data or {})
        return getattr(self.client, method)(
            path, body, content_type="application/json", headers=headers
        )


@pytest.fixture
def api_for(db):
    return ApiClient
