"""Concurrent writers against a real `norma serve` on SQLite: nothing lost, nothing 500."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

WRITERS = 8


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _request(method, url, token, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"{}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("serve")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(NORMA_DATA_DIR=str(tmp_path), NORMA_HTTPS="false", NORMA_DEBUG="false")
    env["NORMA_MANIFEST_STATIC"] = "false"  # skip compressing static files: the API is under test
    norma = [sys.executable, "-m", "norma.cli"]
    run = dict(env=env, check=True, capture_output=True, text=True, timeout=120)
    subprocess.run([*norma, "migrate", "--quiet"], **run)
    subprocess.run(
        [*norma, "createadmin", "--email", "qm@example.com", "--password", "a-long-pass-phrase"],
        **run,
    )
    out = subprocess.run([*norma, "token", "create", "--user", "qm@example.com"], **run).stdout
    port = _free_port()
    process = subprocess.Popen(
        [*norma, "serve", "--port", str(port), "--workers", "4"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("norma serve did not start within 90 s")
            time.sleep(0.2)
    try:
        yield base, out.strip().splitlines()[-1]
    finally:
        process.terminate()
        process.wait(timeout=30)
        # `norma serve` is the server itself: stopping it leaves nothing behind serving.
        with pytest.raises(OSError):
            urllib.request.urlopen(f"{base}/healthz", timeout=1)


@pytest.mark.slow
def test_concurrent_stale_writers_lose_nothing_and_never_get_500(server):
    base, token = server
    url = f"{base}/api/v1/planning/processes/"
    status, _, created = _request("POST", url, token, {"title": "Shared", "process_type": "core"})
    assert status == 201
    record = f"{url}{created['reference']}"
    _, headers, _ = _request("GET", record, token)
    etag = headers["ETag"]

    def write(n):
        return _request("PATCH", record, token, {"purpose": f"writer {n}"}, {"If-Match": etag})

    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(pool.map(write, range(WRITERS)))
    statuses = sorted(status for status, _, _ in results)
    assert statuses.count(200) == 1, statuses
    assert statuses.count(412) == WRITERS - 1, statuses
    winner = next(body for status, _, body in results if status == 200)
    _, _, final = _request("GET", record, token)
    assert final["purpose"] == winner["purpose"]
    assert final["version"] == 2


@pytest.mark.slow
def test_concurrent_fresh_writers_are_serialised_without_database_locked_errors(server):
    base, token = server
    url = f"{base}/api/v1/planning/processes/"

    def create(n):
        return _request("POST", url, token, {"title": f"Parallel {n}", "process_type": "core"})

    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(pool.map(create, range(WRITERS * 4)))
    assert sorted({status for status, _, _ in results}) == [201]
    references = {body["reference"] for _, _, body in results}
    assert len(references) == WRITERS * 4
