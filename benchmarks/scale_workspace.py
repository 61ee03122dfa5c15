"""Generate a large workspace fast: runs of the built-in frameworks, ~100 events each.

A few hundred distinct runs ("templates") are made through the engine itself
(``new_run``, ``set_item``, ``approve``, ``advance``), so every history is a
correct hash chain whose replay equals the stored state. A run's id is not
part of its history, so each template is then written under many ids with
the store's own deterministic JSON: 10,000 runs take seconds, not the hours
10,000 ``opsctl`` processes would.

Usage: python benchmarks/scale_workspace.py PATH [--runs 10000] [--events 100]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
from pathlib import Path
from typing import Any

from opsctl.definitions.catalog import load_catalog
from opsctl.definitions.config import Person
from opsctl.definitions.model import Framework
from opsctl.engine.approvals import approve
from opsctl.engine.runs import GateRefused, advance, current_phase, item_key, new_run, set_item
from opsctl.errors import OpsctlError
from opsctl.store.documents import ItemStatus, RunDocument, RunStatus
from opsctl.store.files import dumps
from opsctl.store.runs import RunStore
from opsctl.store.workspace import init_workspace

START = dt.datetime(2025, 1, 1, 9, tzinfo=dt.timezone.utc)
TEMPLATES = 200
APPROVER = "approver@example.com"


def _work_phase(
    document: RunDocument, framework: Framework, budget: int, at: dt.datetime, people: list[Person]
) -> dt.datetime:
    """Complete the current phase item by item, sign it off and advance; returns the clock."""
    phase = current_phase(document, framework)
    assert phase is not None
    for number, item in enumerate(phase.items):
        if len(document.history) >= budget:
            return at
        at += dt.timedelta(hours=3)
        key = item_key(phase, item)
        if number % 11 == 5:
            set_item(
                document,
                framework,
                key,
                ItemStatus.SKIPPED,
                "dev@example.com",
                at,
                reason="not needed here",
                expires=(at + dt.timedelta(days=90)).date(),
            )
            continue
        if number % 3 != 1:
            set_item(
                document,
                framework,
                key,
                ItemStatus.BLOCKED,
                "dev@example.com",
                at,
                reason="waiting on a vendor",
            )
            at += dt.timedelta(hours=5)
            set_item(
                document, framework, key, ItemStatus.DONE, "dev@example.com", at, automated=True
            )
            at += dt.timedelta(hours=1)
            set_item(document, framework, key, ItemStatus.OPEN, "dev@example.com", at)
            at += dt.timedelta(hours=1)
        set_item(document, framework, key, ItemStatus.DONE, "dev@example.com", at, automated=True)
    if phase.gate.approvals and len(document.history) < budget:
        at += dt.timedelta(hours=1)
        with contextlib.suppress(OpsctlError):
            approve(document, framework, people, APPROVER, at, phase_id=phase.id)
    if len(document.history) < budget:
        at += dt.timedelta(hours=1)
        with contextlib.suppress(GateRefused):
            advance(document, framework, "dev@example.com", at)
    return at


def _fill(document: RunDocument, framework: Framework, budget: int, at: dt.datetime) -> None:
    """Reach the event budget with block / reopen pairs on the current phase's first item."""
    phase = current_phase(document, framework) or framework.phases[-1]
    key = item_key(phase, phase.items[0])
    while document.status is RunStatus.ACTIVE and len(document.history) < budget:
        at += dt.timedelta(hours=2)
        if key in document.items:
            set_item(document, framework, key, ItemStatus.OPEN, "dev@example.com", at)
        else:
            set_item(
                document,
                framework,
                key,
                ItemStatus.BLOCKED,
                "dev@example.com",
                at,
                reason="waiting on a vendor",
            )


def template_run(
    framework: Framework, number: int, events: int, people: list[Person]
) -> RunDocument:
    """One realistic run: started on its own day, worked phase by phase, ~``events`` events."""
    at = START + dt.timedelta(days=(number * 3) % 700, hours=number % 7)
    document = new_run(
        framework, "template", f"Run {number} of {framework.title}", None, "dev@example.com", at
    )
    budget = events * 3 // 2 if number % 5 else events // 2
    stalled = number % 4 == 0
    while document.status is RunStatus.ACTIVE and len(document.history) < budget:
        before = len(document.history)
        at = _work_phase(document, framework, budget, at, people)
        if len(document.history) == before or (stalled and len(document.history) > budget // 2):
            break
    _fill(document, framework, budget, at)
    return document


def generate(root: Path, runs: int, events: int = 100) -> int:
    """A workspace at ``root`` with ``runs`` runs; returns the number of history events."""
    workspace = init_workspace(root, team="Scale")
    frameworks = [f for f in load_catalog().frameworks() if f.id != "operations-program"]
    roles = sorted({role for f in frameworks for p in f.phases for role in p.gate.approvals})
    people = [Person(email=APPROVER, roles=roles)]
    store = RunStore(workspace)
    templates: list[dict[str, Any]] = []
    for number in range(min(TEMPLATES, runs)):
        framework = frameworks[number % len(frameworks)]
        store.pin(framework)
        document = template_run(framework, number, events, people)
        templates.append(document.model_dump(mode="json", by_alias=True, exclude_none=True))
    total = 0
    for number in range(runs):
        document_json = templates[number % len(templates)]
        document_json["id"] = f"run-{number:05d}"
        total += len(document_json["history"])
        (workspace.runs_dir / f"run-{number:05d}.json").write_text(dumps(document_json))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100)
    args = parser.parse_args()
    total = generate(args.path, args.runs, args.events)
    print(f"{args.path}: {args.runs} runs, {total} history events")


if __name__ == "__main__":
    main()
