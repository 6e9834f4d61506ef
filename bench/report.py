"""Results as a Markdown table and a JSON file, and the ratio between two result files."""

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
COLUMNS = ["rps", "p50_ms", "p95_ms", "p99_ms", "queries", "server_over_sql", "errors"]


def machine() -> dict:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "python": platform.python_version(),
    }


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def markdown(run: dict) -> str:
    head = (
        f"Norma {run['commit']} · {run['database']} · scale {run['scale']} · "
        f"{run['machine']['cores']} cores ({run['machine']['cpu']}) · {run['date']}\n\n"
        f"Server peak RSS per process: {run['peak_rss_mb']:.0f} MB\n\n"
    )
    if pack := run.get("review_pack"):
        head += (
            f"Management review pack ({pack['inputs']} inputs, {pack['period_days']} days): "
            f"{pack['fastest_s']}–{pack['slowest_s']} s\n\n"
        )
    if imported := run.get("import_10000_rows"):
        head += (
            f"Import of {imported['rows']:,} rows: dry run {imported['dry_run_s']} s, "
            f"commit {imported['commit_s']} s ({imported['rows_per_s']} rows/s)\n\n"
        )
    lines = [
        "| scenario | c | " + " | ".join(COLUMNS) + " |",
        "|---|---|" + "---|" * len(COLUMNS),
    ]
    for row in run["scenarios"]:
        for result in row["results"]:
            cells = [str(result.get(c, "")) for c in COLUMNS]
            lines.append(f"| {row['name']} | {result['concurrency']} | " + " | ".join(cells) + " |")
    return head + "\n".join(lines) + "\n"


def save(run: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = RESULTS / f"{stamp}-{run['database']}-{run['scale']}.json"
    path.write_text(json.dumps(run, indent=2))
    path.with_suffix(".md").write_text(markdown(run))
    return path


def compare(old_path: str, new_path: str) -> str:
    """new / old for each scenario: above 1 means more requests per second or slower p95."""
    old, new = (json.loads(Path(p).read_text()) for p in (old_path, new_path))
    index = {(row["name"], r["concurrency"]): r for row in old["scenarios"] for r in row["results"]}
    lines = ["| scenario | c | rps new/old | p95 new/old |", "|---|---|---|---|"]
    for row in new["scenarios"]:
        for result in row["results"]:
            before = index.get((row["name"], result["concurrency"]))
            if not before:
                continue
            rps = result["rps"] / before["rps"] if before["rps"] else float("nan")
            p95 = result["p95_ms"] / before["p95_ms"] if before["p95_ms"] else float("nan")
            lines.append(f"| {row['name']} | {result['concurrency']} | {rps:.2f} | {p95:.2f} |")
    return "\n".join(lines)
