"""The quarterly report at scale: 1,000 runs, 100,000 history events, 24 months of KPIs.

Target (issue 5): under 2 s, peak memory reported.

Usage: python benchmarks/bench_report.py [--runs 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

from _util import median_seconds, opsctl_argv, peak_rss_mib
from bench_store import build

from opsctl.definitions.catalog import load_catalog
from opsctl.review.periods import month, trailing_months
from opsctl.review.readings import record_reading
from opsctl.store.metrics import MetricsStore
from opsctl.store.workspace import Workspace

AT = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)


def add_readings(root: Path) -> int:
    workspace = Workspace(root)
    metrics = [m.id for fw in load_catalog().frameworks() for m in fw.metrics]
    months = trailing_months(month("2026-12"), 25)
    with MetricsStore(workspace).update() as document:
        for metric_id in metrics:
            record_reading(document, metric_id, 100.0, months[0], "bench", AT, baseline=True)
            for index, label in enumerate(months[1:]):
                record_reading(document, metric_id, 100.0 + index, label, "bench", AT)
    return len(metrics)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        build(root, args.runs)
        kpis = add_readings(root)
        print(f"workspace: {args.runs} runs, {args.runs * 100} events, {kpis} KPIs x 24 months")
        argv = [*opsctl_argv(), "report", "quarterly", "--quarter", "2026-Q1"]
        seconds = median_seconds(argv, args.repeat, root)
        memory = peak_rss_mib(argv, root)
    verdict = "met" if seconds < 2 else "NOT met"
    print(
        f"opsctl report quarterly: {seconds * 1000:.0f} ms median of {args.repeat} "
        f"(target < 2000 ms -> {verdict}), peak {memory:.0f} MiB"
    )


if __name__ == "__main__":
    main()
