"""The portfolio at scale: a quarterly review over 20 workspaces of 500 runs each.

Each workspace holds 500 runs of 60 items with 100 history events each
(50,000 events) and 24 months of readings of every built-in KPI; all are
read from local folders listed in a portfolio.yaml. One workspace is built
through the engine (as bench_store.py does) and copied 19 times under other
team names, so building takes seconds, not minutes.

Issue 13 sets no target: the figure goes in the issue's note.

Usage: python benchmarks/bench_portfolio.py [--teams 20] [--runs 500] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from _util import median_seconds, opsctl_argv, peak_rss_mib
from bench_report import add_readings
from bench_store import build


def build_portfolio(root: Path, teams: int, runs: int) -> Path:
    """``teams`` workspaces of ``runs`` runs under ``root``, and the portfolio.yaml listing them."""
    first = root / "team-00"
    first.mkdir()
    build(first, runs)
    add_readings(first)
    for number in range(1, teams):
        shutil.copytree(first, root / f"team-{number:02d}", ignore=shutil.ignore_patterns("*.lock"))
    lines = ["organisation: Benchmark Org", "sources:"]
    lines += [f"  - {{name: team-{n:02d}, path: team-{n:02d}}}" for n in range(teams)]
    portfolio = root / "portfolio.yaml"
    portfolio.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return portfolio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        portfolio = build_portfolio(root, args.teams, args.runs)
        total = args.teams * args.runs
        print(
            f"portfolio: {args.teams} workspaces x {args.runs} runs = {total} runs, "
            f"{total * 100} events"
        )
        argv = [*opsctl_argv(), "portfolio", "report", "quarterly", "--quarter", "2026-Q1"]
        argv += ["--file", str(portfolio)]
        seconds = median_seconds(argv, args.repeat, root)
        memory = peak_rss_mib(argv, root)
    print(
        f"opsctl portfolio report quarterly: {seconds:.2f} s median of {args.repeat} "
        f"({seconds * 1000 / total:.2f} ms a run), peak {memory:.0f} MiB"
    )


if __name__ == "__main__":
    main()
