"""Validate framework YAML files against the model (helper for authors).

Usage: python tests/tools/check_framework.py frameworks/*.yaml
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from opsctl.model import Framework, reference_errors

clauses = set(
    Path(__file__).resolve().parents[1].joinpath("seed_clauses.txt").read_text().splitlines()
)
status = 0
for name in sys.argv[1:]:
    data = yaml.safe_load(Path(name).read_text(encoding="utf-8"))
    fw = Framework.model_validate(data)
    errors = reference_errors(fw)
    for loc, msg in errors:
        print(f"{name}: {loc}: {msg}")
        status = 1
    unknown = sorted(fw.clauses() - clauses)
    print(
        f"{name}: ok={not errors} phases={len(fw.phases)} items={fw.item_count()} "
        f"seed clauses covered={len(fw.clauses() & clauses)} other satisfies={unknown}"
    )
sys.exit(status)
