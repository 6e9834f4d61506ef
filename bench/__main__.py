"""Run the benchmark: `python -m bench [--scale small|medium|large] [--seconds 5]`.

`python -m bench compare OLD.json NEW.json` prints the ratio between two runs.
SQLite by default; set DATABASE_URL to measure PostgreSQL.
"""

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import imports, load, report, review_pack, scenarios
from bench.server import Server, largest_department, prepare


def log(message: str):
    print(message, file=sys.stderr, flush=True)


def run(args) -> dict:
    data_dir = Path(args.data_dir or Path(__file__).parent / ".data" / args.scale).resolve()
    token = prepare(data_dir, args.scale, args.reseed, log)
    server = Server(data_dir, args.workers)
    try:
        cookie = server.session_cookie()
        rows = []
        department = largest_department(data_dir)
        for scenario in scenarios.build(server.base, cookie, token, department):
            if args.only and args.only.lower() not in scenario.name.lower():
                continue
            results = []
            for concurrency in (1, 8):
                result = load.run(
                    server.port, scenario.make, concurrency, args.seconds, args.max_requests
                )
                results.append(result.summary())
                summary = results[-1]
                log(
                    f"{scenario.name:<24} c={concurrency}  {summary['rps']:>7} req/s  "
                    f"p95 {summary['p95_ms']:>7} ms  queries {summary['queries']}"
                )
            rows.append({"name": scenario.name, "results": results})
        peak = server.peak_rss_mb()
    finally:
        server.stop()
    log("management review input pack, a year of the seeded organisation …")
    pack = review_pack.measure(data_dir)
    log(f"review pack: {pack}")
    log("import of 10,000 rows (dry run + commit, fresh SQLite file) …")
    imported = imports.measure(10_000)
    log(f"import: dry run {imported['dry_run_s']} s, commit {imported['commit_s']} s")
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": report.commit(),
        "database": "postgresql" if os.environ.get("DATABASE_URL") else "sqlite",
        "scale": args.scale,
        "workers": args.workers,
        "seconds_per_scenario": args.seconds,
        "machine": report.machine(),
        "peak_rss_mb": peak,
        "import_10000_rows": imported,
        "review_pack": pack,
        "scenarios": rows,
    }


def main():
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("command", nargs="?", default="run", choices=["run", "compare"])
    parser.add_argument("files", nargs="*", help="for compare: OLD.json NEW.json")
    parser.add_argument("--scale", default="small", choices=["small", "medium", "large"])
    parser.add_argument("--seconds", type=float, default=5.0, help="per scenario and concurrency")
    parser.add_argument("--max-requests", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-dir")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--only", help="run only the scenarios whose name holds this text")
    args = parser.parse_args()
    if args.command == "compare":
        if len(args.files) != 2:
            parser.error("compare needs two result files")
        print(report.compare(*args.files))
        return
    result = run(args)
    path = report.save(result)
    print(report.markdown(result))
    log(f"saved {path} and {path.with_suffix('.md')}")


if __name__ == "__main__":
    main()
