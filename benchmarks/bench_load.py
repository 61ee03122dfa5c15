"""Loading 200 generated framework files holding 10,000 items in all.

Target (issue 2): under 0.5 s on one core, in process (parse, validate, cross-check).

Usage: python benchmarks/bench_load.py [--files 200] [--items 10000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from opsctl.definitions.catalog import framework_files, load_files


def generate(folder: Path, files: int, items: int) -> None:
    per_file = items // files
    for number in range(files):
        phases = [
            {
                "id": f"phase-{p}",
                "title": f"Phase {p}",
                "items": [
                    {
                        "id": f"item-{i}",
                        "title": f"Item {i} is done",
                        "help": "What done looks like.",
                        "owner": "product-manager",
                        "evidence": "link",
                        "satisfies": ["Clause"],
                    }
                    for i in range(per_file // 5)
                ],
                "gate": {"approvals": ["operations"]} if p == 4 else {},
            }
            for p in range(5)
        ]
        document = {
            "id": f"generated-{number}",
            "title": f"Generated {number}",
            "area": "Benchmark",
            "summary": "A generated framework.",
            "phases": phases,
            "metrics": [
                {
                    "id": f"metric-{number}",
                    "title": "Metric",
                    "unit": "%",
                    "direction": "higher",
                    "target_improvement_pct": 10,
                }
            ],
        }
        (folder / f"generated-{number}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        generate(folder, args.files, args.items)
        samples = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            loaded, errors = load_files(framework_files(folder))
            samples.append(time.perf_counter() - start)
        assert not errors, errors[:3]
        count = sum(framework.item_count() for _, framework in loaded)
    median = statistics.median(samples)
    print(f"libyaml C loader: {'yes' if hasattr(yaml, 'CSafeLoader') else 'no'}")
    print(
        f"loaded {len(loaded)} files, {count} items: {median * 1000:.1f} ms median "
        f"of {args.repeat} (target < 500 ms -> {'met' if median < 0.5 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
