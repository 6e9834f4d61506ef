"""The import scenario: 10,000 process rows, dry run then commit, on a fresh SQLite file.

It runs the same script as the opt-in 100,000-row test (tests/dataio/test_import_scale.py),
in its own data directory, so the figures are those of a real database file.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(rows: int = 10_000) -> dict:
    with tempfile.TemporaryDirectory(prefix="norma-bench-import-") as data_dir:
        env = {**os.environ, "NORMA_DATA_DIR": data_dir, "NORMA_HTTPS": "false"}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.pop("DATABASE_URL", None)
        done = subprocess.run(
            [sys.executable, "-m", "tests.dataio.test_import_scale", str(rows)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=True,
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    total = result["dry_run_s"] + result["commit_s"]
    return {
        "rows": rows,
        "dry_run_s": result["dry_run_s"],
        "commit_s": result["commit_s"],
        "rows_per_s": round(rows / total) if total else None,
        "chain_intact": result["chain_intact"],
    }
