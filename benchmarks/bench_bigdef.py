"""Big definitions: status of a 1,000-item run, validate of 200 files with 10,000 items.

Targets (issue 16): `opsctl status RUN` of a run of a 1,000-item framework
under 0.5 s; `opsctl validate` over 200 files holding 10,000 items under
0.5 s, both through the CLI. Also shown: status of a 10,000-item run, and
loading its pinned definition in process, first (parsed, validated and
hashed) and then verified (its bytes were seen before).

Usage: python benchmarks/bench_bigdef.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import yaml
from _util import median_seconds, opsctl_argv, peak_rss_mib
from bench_load import generate

from opsctl.store.cache import CACHE_DIRNAME
from opsctl.store.runs import RunStore
from opsctl.store.workspace import Workspace

ENV = {"OPSCTL_NOW": "2026-12-03T09:00:00Z"}


def framework_yaml(framework_id: str, items: int) -> str:
    """A framework of ten phases with ``items`` items in all, with help texts."""
    phases = [
        {
            "id": f"phase-{p}",
            "title": f"Phase {p}",
            "items": [
                {
                    "id": f"item-{i}",
                    "title": f"Item {i} is done and checked",
                    "help": "What done looks like, and where the evidence lives.",
                    "owner": "product-manager",
                }
                for i in range(items // 10)
            ],
        }
        for p in range(10)
    ]
    document = {
        "id": framework_id,
        "title": f"{items} items",
        "area": "Benchmark",
        "summary": "A big framework.",
        "phases": phases,
    }
    return yaml.safe_dump(document, sort_keys=False)


def verdict(seconds: float, target: float) -> str:
    return f"(target < {target * 1000:.0f} ms -> {'met' if seconds < target else 'NOT met'})"


def pinned_load(root: Path, run_id: str, repeat: int) -> tuple[float, float]:
    """Median ms of loading a run's pinned definition: first time, then once verified."""
    first, verified = [], []
    for _ in range(repeat):
        for cached in (False, True):
            store = RunStore(Workspace(root))
            digest = store.load(run_id).framework.digest
            if not cached:
                for entry in (root / ".opsctl" / CACHE_DIRNAME).glob("pinned-*.json"):
                    entry.unlink()
            start = time.perf_counter()
            store.definition(digest)
            (verified if cached else first).append(time.perf_counter() - start)
    return statistics.median(first), statistics.median(verified)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    opsctl = opsctl_argv()
    with tempfile.TemporaryDirectory() as name:
        root = Path(name) / "ws"
        root.mkdir()
        subprocess.run([*opsctl, "init"], cwd=root, check=True, capture_output=True)
        for items in (1000, 10_000):
            (root / ".opsctl" / "frameworks" / f"big-{items}.yaml").write_text(
                framework_yaml(f"big-{items}", items)
            )
            start = [*opsctl, "start", f"big-{items}", "--title", "Big", "--id", f"big-{items}"]
            subprocess.run(
                start, cwd=root, env={**os.environ, **ENV}, check=True, capture_output=True
            )
        for items, target in ((1000, 0.5), (10_000, None)):
            argv = [*opsctl, "status", f"big-{items}"]
            seconds = median_seconds(argv, args.repeat, root, ENV)
            memory = peak_rss_mib(argv, root, ENV)
            shown = verdict(seconds, target) if target else "(no target)"
            print(
                f"opsctl status of a {items:,}-item run: {seconds * 1000:6.0f} ms {shown}, "
                f"peak {memory:.0f} MiB"
            )
        first, verified = pinned_load(root, "big-10000", args.repeat)
        print(
            f"pinned 10,000-item definition in process: first {first * 1000:.0f} ms, "
            f"verified before {verified * 1000:.0f} ms"
        )
        folder = Path(name) / "defs"
        folder.mkdir()
        generate(folder, 200, 10_000)
        files = sorted(folder.glob("*.yaml"))
        argv = [*opsctl, "validate", *map(str, files)]
        cold = timed_once(argv, folder)  # no file was validated before
        seconds = median_seconds(argv, args.repeat, folder)
        print(
            f"opsctl validate of 200 files, 10,000 items: {seconds * 1000:6.0f} ms "
            f"{verdict(seconds, 0.5)} (each file validated before; the first time: "
            f"{cold * 1000:.0f} ms), peak {peak_rss_mib(argv, folder):.0f} MiB"
        )
        files[0].write_text(files[0].read_text() + "\n# edited\n")
        print(f"  ... after one file was edited: {timed_once(argv, folder) * 1000:6.0f} ms")


def timed_once(argv: list[str], cwd: Path) -> float:
    """Wall time of one run of a command (which must succeed)."""
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, capture_output=True, check=True)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
