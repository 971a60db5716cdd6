"""Load test: gunicorn with 2 workers under simulated learners, next to a bare /healthz run.

    python -m tests.bench.loadtest [--seconds 30] [--users 16] [--database-url URL]

Without a URL it prepares a fresh SQLite file with the shipped catalog. With one (the
bench passes its own PostgreSQL or SQLite database) it migrates if needed, keeps the
catalog that is there, and adds its own learners. Locust runs headless in a child
process, because importing it lets gevent patch the standard library.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests import live as liveserver

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
SIGN_IN = ("sign in (form)", "sign in (POST)")
SIGN_IN_ALLOWANCE = 120  # seconds


def run(
    database_url: str | None = None,
    seconds: int = 30,
    users: int = 16,
    *,
    threads: int = 8,
    catalog: str = "if-empty",
) -> dict:
    """Mixed learner traffic, then /healthz, each for `seconds` with `users` users.

    Returns {"mix": stats, "healthz": stats, "server_problems": [log lines]}, where stats
    has requests, req_s, p50, p95, p99 (ms), errors, failures (messages) and pages.
    """
    with tempfile.TemporaryDirectory(prefix="mlpath-loadtest-") as tmp:
        folder = Path(tmp)
        url = database_url or f"sqlite:///{folder / 'loadtest.sqlite3'}"
        learners = liveserver.prepare(url, learners=users, prefix="loadtest-", catalog=catalog)
        config = folder / "learners.json"
        traffic = {
            "usernames": learners.usernames,
            "password": learners.password,
            "slugs": learners.slugs,
            "users": users,
            "seconds": seconds,
        }
        config.write_text(json.dumps(traffic), encoding="utf-8")
        with liveserver.serve(url, workers=2, threads=threads, log_dir=folder) as server:
            # The learners stop themselves `seconds` after the last one has signed in; the
            # run-time limit is only a backstop for a sign-in that hangs.
            mix = _locust(server.url, "Learner", users, seconds + SIGN_IN_ALLOWANCE, config, folder / "mix")
            healthz = _locust(server.url, "Probe", users, seconds, config, folder / "healthz")
            problems = server.problems()
    return {"mix": mix, "healthz": healthz, "server_problems": problems}


def _locust(host: str, user_class: str, users: int, seconds: int, config: Path, prefix: Path) -> dict:
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        user_class,
        "--headless",
        f"--users={users}",
        f"--spawn-rate={users}",
        f"--run-time={seconds}s",
        f"--host={host}",
        # Let a request in flight at the deadline finish instead of cutting it off half-counted.
        "--stop-timeout=10",
        "--only-summary",
        f"--json-file={prefix}",
        f"--csv={prefix}",
        "--loglevel=WARNING",
        "--exit-code-on-error=0",
    ]
    env = {**os.environ, "MLPATH_LOADTEST": str(config)}
    result = subprocess.run(
        command, cwd=liveserver.ROOT, env=env, capture_output=True, text=True, check=False
    )
    stats_file = Path(f"{prefix}.json")
    if result.returncode != 0 or not stats_file.exists():
        raise RuntimeError(f"locust failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    failures = _failures(prefix)
    # An exception inside a simulated user is no failed request, only a traceback on stderr.
    crashes = result.stderr.count("Traceback")
    if crashes:
        failures.append(f"{crashes} traceback(s) from simulated users:\n{result.stderr[-2000:]}")
    stats = summarize(json.loads(stats_file.read_text(encoding="utf-8")), failures)
    stats["errors"] += crashes + (stats["requests"] == 0)
    return stats


def _failures(prefix: Path) -> list[str]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as file:
        return [
            f"{row['Occurrences']}x {row['Method']} {row['Name']}: {row['Error']}"
            for row in csv.DictReader(file)
        ]


def summarize(entries: list[dict], failures: list[str] = ()) -> dict:
    """One run's numbers from locust's per-endpoint JSON.

    Signing in happens once per user, before the measured traffic, and costs a deliberately
    slow password hash, so it is left out of the rates and percentiles; its failures still
    count as errors.
    """
    measured = [entry for entry in entries if entry["name"] not in SIGN_IN]
    histogram: dict[int, int] = {}
    for entry in measured:
        for millis, count in entry["response_times"].items():
            histogram[int(float(millis))] = histogram.get(int(float(millis)), 0) + count
    requests = sum(entry["num_requests"] for entry in measured)
    if measured:
        span = max(e["last_request_timestamp"] or 0 for e in measured) - min(
            e["start_time"] for e in measured
        )
    else:
        span = 0.0
    pages = {
        entry["name"]: {
            "requests": entry["num_requests"],
            "p50": percentile(_as_ints(entry["response_times"]), 0.50),
            "p95": percentile(_as_ints(entry["response_times"]), 0.95),
        }
        for entry in measured
    }
    return {
        "requests": requests,
        "req_s": requests / span if span > 0 else 0.0,
        "p50": percentile(histogram, 0.50),
        "p95": percentile(histogram, 0.95),
        "p99": percentile(histogram, 0.99),
        "errors": sum(entry["num_failures"] for entry in entries),
        "failures": list(failures),
        "pages": pages,
    }


def _as_ints(times: dict) -> dict[int, int]:
    return {int(float(millis)): count for millis, count in times.items()}


def percentile(histogram: dict[int, int], share: float) -> int:
    """The smallest response time (ms) that at least `share` of the requests finished within."""
    total = sum(histogram.values())
    if not total:
        return 0
    seen = 0
    for millis in sorted(histogram):
        seen += histogram[millis]
        if seen >= share * total:
            return millis
    return max(histogram)


def print_table(result: dict) -> None:
    header = f"{'run':<22}{'requests':>9}{'req/s':>9}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'errors':>8}"
    print(header)
    print("-" * len(header))
    for label, key in (("learner mix", "mix"), ("/healthz", "healthz")):
        row = result[key]
        print(
            f"{label:<22}{row['requests']:>9}{row['req_s']:>9.1f}{row['p50']:>8}{row['p95']:>8}"
            f"{row['p99']:>8}{row['errors']:>8}"
        )
    for name, page in result["mix"]["pages"].items():
        print(f"  {name:<20}{page['requests']:>9}{'':>9}{page['p50']:>8}{page['p95']:>8}")
    for failure in result["mix"]["failures"] + result["healthz"]["failures"]:
        print(f"failure: {failure}")
    for line in result["server_problems"]:
        print(f"server log: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--database-url", help="a prepared database; default: a fresh SQLite file")
    args = parser.parse_args()
    result = run(args.database_url, seconds=args.seconds, users=args.users)
    print_table(result)
    errors = result["mix"]["errors"] + result["healthz"]["errors"] + len(result["server_problems"])
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
