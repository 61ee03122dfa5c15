"""The store at scale: 1,000 runs of 60 items each with 100,000 history events.

Targets (issue 3):
- `opsctl done` and `opsctl status` on one run: at most 1.3x the same command on a
  workspace holding only that run;
- `opsctl runs` over all 1,000: under 0.5 s;
- peak memory of each command reported.

Usage: python benchmarks/bench_store.py [--runs 1000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

import yaml
from _util import interleaved_medians, median_seconds, opsctl_argv, peak_rss_mib

from opsctl.engine.runs import new_run, set_item
from opsctl.store.documents import ItemStatus
from opsctl.store.files import save_model
from opsctl.store.runs import RunStore
from opsctl.store.workspace import init_workspace

PHASES, ITEMS_PER_PHASE, EVENTS_PER_RUN = 4, 15, 100
START = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def framework_yaml() -> str:
    document = {
        "id": "bench",
        "title": "Benchmark",
        "area": "Benchmark",
        "summary": "Sixty items in four phases.",
        "phases": [
            {
                "id": f"phase-{p}",
                "title": f"Phase {p}",
                "items": [
                    {"id": f"item-{p}-{i}", "title": f"Item {i}", "help": "Done.", "owner": "qa"}
                    for i in range(ITEMS_PER_PHASE)
                ],
            }
            for p in range(PHASES)
        ],
    }
    return yaml.safe_dump(document, sort_keys=False)


def build(root: Path, runs: int) -> None:
    workspace = init_workspace(root)
    (workspace.frameworks_dir / "bench.yaml").write_text(framework_yaml())
    from opsctl.definitions.catalog import load_catalog

    framework = load_catalog(workspace.frameworks_dir).get("bench").framework
    store = RunStore(workspace)
    refs = [f"phase-{p}/item-{p}-{i}" for p in range(PHASES) for i in range(ITEMS_PER_PHASE)]
    for number in range(runs):
        at = START + dt.timedelta(minutes=number)
        document = new_run(framework, f"run-{number:04d}", f"Run {number}", None, "bench", at)
        for event in range(EVENTS_PER_RUN - 1):
            ref = refs[event % len(refs)]
            status = ItemStatus.OPEN if event >= len(refs) else ItemStatus.DONE
            set_item(document, framework, ref, status, "bench", at + dt.timedelta(seconds=event))
        if number == 0:
            store.create(document, framework)
        else:
            save_model(document, store.path(document.id))


def measure(label: str, argv: list[str], big: Path, small: Path, repeat: int) -> None:
    command = [*opsctl_argv(), *argv]
    many, one = interleaved_medians((command, big), (command, small), repeat)
    memory = peak_rss_mib([*opsctl_argv(), *argv], big)
    print(
        f"{label:<28} 1,000 runs: {many * 1000:7.1f} ms   1 run: {one * 1000:7.1f} ms   "
        f"ratio {many / one:.2f} (target <= 1.30)   peak {memory:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        big, small = Path(name) / "big", Path(name) / "small"
        big.mkdir()
        small.mkdir()
        build(big, args.runs)
        build(small, 1)
        events = sum(1 for _ in (big / ".opsctl" / "runs").glob("*.json")) * EVENTS_PER_RUN
        print(f"workspace: {args.runs} runs x {PHASES * ITEMS_PER_PHASE} items, {events} events")
        measure("opsctl status run-0000", ["status", "run-0000"], big, small, args.repeat)
        measure(
            "opsctl done (toggle)",
            ["done", "run-0000", "phase-3/item-3-14", "--note", "bench"],
            big,
            small,
            args.repeat,
        )
        listing = median_seconds([*opsctl_argv(), "runs"], args.repeat, big)
        memory = peak_rss_mib([*opsctl_argv(), "runs"], big)
        print(
            f"opsctl runs (all {args.runs}):      {listing * 1000:7.1f} ms   "
            f"(target < 500 ms -> {'met' if listing < 0.5 else 'NOT met'})   peak {memory:.0f} MiB"
        )


if __name__ == "__main__":
    main()
