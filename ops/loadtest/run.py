#!/usr/bin/env python3
"""`make loadtest`: Locust headless against a running SEIDRA, then a verdict.

Writes to reports/perf/ (or --report-dir) an HTML report, Locust's CSV files and a Markdown
summary (requests per second, p50/p95/p99 and failures per endpoint), and exits 1 when the
failures pass SEIDRA_LOADTEST_MAX_FAILURE_PERCENT (default 1) or the overall p95 passes
SEIDRA_LOADTEST_P95_MS (default 1000). Plain Python and Locust, no Django: it runs from any
machine, in the virtualenv or in the seidra-loadtest image (ops/loadtest/Dockerfile).

Environment: SEIDRA_API_URL (default http://127.0.0.1:8000), SEIDRA_JWT or
SEIDRA_LOADTEST_USER + SEIDRA_LOADTEST_PASSWORD, and the locustfile's own settings.
"""

import argparse
import csv
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
LOCUST_TIMEOUT_MARGIN = 120  # seconds past --run-time before the Locust process is killed


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=int(os.environ.get("USERS", "50")))
    parser.add_argument("--spawn-rate", type=float, default=float(os.environ.get("SPAWN_RATE", "10")))
    parser.add_argument("--run-time", default=os.environ.get("RUN_TIME", "60s"), help="e.g. 60s, 2m")
    parser.add_argument("--host", default=os.environ.get("SEIDRA_API_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--report-dir", type=Path, default=Path(os.environ.get("REPORT_DIR", "reports/perf")))
    parser.add_argument(
        "--max-failure-percent", type=float, default=float(os.environ.get("SEIDRA_LOADTEST_MAX_FAILURE_PERCENT", "1"))
    )
    parser.add_argument("--p95-ms", type=float, default=float(os.environ.get("SEIDRA_LOADTEST_P95_MS", "1000")))
    return parser.parse_args(argv)


def _seconds(run_time: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    return int(float(run_time[:-1]) * units[run_time[-1]]) if run_time[-1] in units else int(run_time)


def _rows(stats_csv: Path) -> list[dict]:
    with stats_csv.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _summary(rows: list[dict], args: argparse.Namespace, verdict: list[str]) -> str:
    lines = [
        "# SEIDRA load test",
        "",
        f"- Target: {args.host}; {args.users} users (spawn rate {args.spawn_rate}/s) for {args.run_time}",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M UTC}",
        f"- Thresholds: failures <= {args.max_failure_percent} %, p95 <= {args.p95_ms:g} ms",
        f"- Verdict: {'PASS' if not verdict else 'FAIL: ' + '; '.join(verdict)}",
        "",
        "| Type | Endpoint | Requests | Failures | Req/s | p50 ms | p95 ms | p99 ms |",
        "|------|----------|---------:|---------:|------:|-------:|-------:|-------:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['Type']} | {row['Name']} | {row['Request Count']} | {row['Failure Count']} "
            f"| {float(row['Requests/s']):.1f} | {row['50%']} | {row['95%']} | {row['99%']} |"
        )
    return "\n".join(lines) + "\n"


def _verdict(total: dict, args: argparse.Namespace) -> list[str]:
    requests, failures = int(total["Request Count"]), int(total["Failure Count"])
    problems = []
    if requests == 0:
        problems.append("no request was made")
    elif 100 * failures / requests > args.max_failure_percent:
        problems.append(f"failures {100 * failures / requests:.2f} % > {args.max_failure_percent} %")
    if requests and float(total["95%"]) > args.p95_ms:
        problems.append(f"p95 {total['95%']} ms > {args.p95_ms:g} ms")
    return problems


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    if not os.environ.get("SEIDRA_JWT") and not os.environ.get("SEIDRA_LOADTEST_USER"):
        print(
            "Set SEIDRA_JWT (make token USER=<name>) or SEIDRA_LOADTEST_USER and SEIDRA_LOADTEST_PASSWORD.",
            file=sys.stderr,
        )
        return 2
    args.report_dir.mkdir(parents=True, exist_ok=True)
    prefix = args.report_dir / f"loadtest-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
        "--users", str(args.users), "--spawn-rate", str(args.spawn_rate), "--run-time", args.run_time,
        "--host", args.host, "--html", f"{prefix}.html", "--csv", str(prefix), "--stop-timeout", "5",
    ]  # fmt: skip
    print("Running:", " ".join(command), flush=True)
    # Locust's own exit code says only whether a failure happened; the verdict below is the thresholds'.
    subprocess.run(command, timeout=_seconds(args.run_time) + LOCUST_TIMEOUT_MARGIN, check=False)
    rows = _rows(Path(f"{prefix}_stats.csv"))
    total = next(row for row in rows if row["Name"] == "Aggregated")
    verdict = _verdict(total, args)
    summary = _summary(rows, args, verdict)
    Path(f"{prefix}.md").write_text(summary)
    print(summary)
    print(f"Reports: {prefix}.html, {prefix}.md")
    return 1 if verdict else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
