"""A seeded data directory and a real `norma serve` to measure."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

BENCH_USER = "bench@example.com"
BENCH_PASSWORD = "bench-password-2026"
NORMA = [sys.executable, "-m", "norma.cli"]


def environment(data_dir: Path) -> dict:
    env = dict(os.environ)
    env.update(
        NORMA_DATA_DIR=str(data_dir),
        NORMA_HTTPS="false",
        NORMA_DEBUG="false",
        NORMA_BENCH_TIMING="true",
        NORMA_LOGIN_FAILURE_LIMIT="1000",
    )
    return env


def prepare(data_dir: Path, scale: str, reseed: bool, log) -> str:
    """Seed once per scale (kept between runs); return an API token for the bench user."""
    env = environment(data_dir)
    marker = data_dir / f".seeded-{scale}"
    run = dict(env=env, check=True, capture_output=True, text=True)
    if reseed or not marker.exists():
        if data_dir.exists() and not os.environ.get("DATABASE_URL"):
            for child in data_dir.glob("norma.sqlite3*"):
                child.unlink()
        data_dir.mkdir(parents=True, exist_ok=True)
        log(f"seeding scale '{scale}' into {data_dir} …")
        started = time.monotonic()
        subprocess.run([*NORMA, "migrate", "--quiet"], **run)
        out = subprocess.run([*NORMA, "seed", "--scale", scale], **run).stdout
        log(out.strip().splitlines()[-1] + f" (total {time.monotonic() - started:.0f} s)")
        subprocess.run(
            [*NORMA, "createadmin", "--email", BENCH_USER, "--password", BENCH_PASSWORD], **run
        )
        marker.write_text(scale)
    else:  # a kept seed is brought up to the current schema; its migrations convert the data
        subprocess.run([*NORMA, "migrate", "--quiet"], **run)
    out = subprocess.run([*NORMA, "token", "create", "--user", BENCH_USER], **run).stdout
    return out.strip().splitlines()[-1]


LARGEST_DEPARTMENT = (
    "from django.db.models import Count; from norma.core.models import Department; "
    "print(Department.objects.annotate(n=Count('person')).order_by('-n')"
    ".values_list('pk', 'n').first())"
)


def largest_department(data_dir: Path) -> tuple[int, int] | None:
    """(id, headcount) of the department with the most people: the competence matrix's case."""
    out = subprocess.run(
        [*NORMA, "manage", "shell", "-c", LARGEST_DEPARTMENT],
        env=environment(data_dir),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = re.search(r"\((\d+), (\d+)\)", out)
    return (int(found[1]), int(found[2])) if found else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`norma serve` in the background, with the timing headers switched on."""

    def __init__(self, data_dir: Path, workers: int):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [*NORMA, "serve", "--port", str(self.port), "--workers", str(workers)],
            env=environment(data_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=1)
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("norma serve did not start") from None
                time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        """The gunicorn master and its workers (descendants of the `norma serve` process)."""
        found, queue = [], [self.process.pid]
        while queue:
            pid = queue.pop()
            children = Path(f"/proc/{pid}/task/{pid}/children")
            kids = [int(p) for p in children.read_text().split()] if children.exists() else []
            found.extend(kids)
            queue.extend(kids)
        return found

    def peak_rss_mb(self) -> float:
        """The largest peak resident memory (VmHWM) among the server's processes."""
        peaks = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            if match:
                peaks.append(int(match.group(1)) / 1024)
        return max(peaks, default=0.0)

    def session_cookie(self) -> str:
        """Sign in through the real login form; return the Cookie header value."""
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(f"{self.base}/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": BENCH_USER, "password": BENCH_PASSWORD}
        ).encode()
        opener.open(urllib.request.Request(f"{self.base}/login/", data=form))
        return "; ".join(f"{c.name}={c.value}" for c in jar)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
