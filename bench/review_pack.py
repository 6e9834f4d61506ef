"""The management review scenario: build the input pack of the newest review (a year of the
seeded organisation) three times in a fresh process, and report the fastest and slowest.

The pack is what the background job builds; the page then shows it as stored.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

from bench.server import environment

ROOT = Path(__file__).resolve().parent.parent
RUNS = 3


def measure(data_dir: Path) -> dict | None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.review_pack", str(data_dir)],
        cwd=ROOT,
        env=environment(data_dir),
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result or None


def _build() -> dict:
    import django

    django.setup()
    from norma.reviews.models import ManagementReview
    from norma.reviews.pack import build_sections

    review = ManagementReview.objects.order_by("-planned_date", "-pk").first()
    if review is None:
        return {}
    seconds = []
    for _ in range(RUNS):
        started = time.monotonic()
        built = build_sections(review)
        seconds.append(round(time.monotonic() - started, 2))
    return {
        "review": review.reference,
        "period_days": (review.period_end - review.period_start).days + 1,
        "inputs": len(built),
        "fastest_s": min(seconds),
        "slowest_s": max(seconds),
    }


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "norma.settings")
    print(json.dumps(_build()))
