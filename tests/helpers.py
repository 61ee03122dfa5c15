"""Helpers for tests: call opsctl in-process with its error handling, or as a process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsctl.cli import state

REPO = Path(__file__).resolve().parents[1]


DEMO_NOW = "2026-12-03T09:00:00Z"
"""The moment the shared demo workspace is built at (and read at, in the tests using it)."""


def settle() -> None:
    """Wait until files just written are old enough for the run index to trust them."""
    from opsctl.store.index import RACY_NS

    time.sleep(RACY_NS / 1e9 + 0.1)


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Call opsctl's real entry point (with its error handling) in-process."""
    from opsctl.cli.main import main

    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    state.reset()
    out, err = capsys.readouterr()
    return code, out, err


def ok(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Call opsctl in-process and insist on exit 0; returns stdout."""
    code, out, err = run_main(args, capsys)
    assert code == 0, (args, out, err)
    return out


def opsctl_subprocess(
    args: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    input_text: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run opsctl as a real process, as a user or CI job would (no stdin unless given)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "opsctl", *args],
        cwd=cwd,
        env=full_env,
        input=input_text,
        stdin=subprocess.DEVNULL if input_text is None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def process_ok(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run opsctl as a process and insist on exit 0; returns stdout."""
    result = opsctl_subprocess(args, cwd, env)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


class CliCaller:
    """Calls opsctl in-process as one person or another, in a workspace at ``root``."""

    def __init__(
        self, root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.root = root
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def __call__(self, *args: str, user: str = "pm@example.com") -> tuple[int, str, str]:
        self.monkeypatch.setenv("OPSCTL_USER", user)
        return run_main(list(args), self.capsys)

    def ok(self, *args: str, user: str = "pm@example.com") -> str:
        code, out, err = self(*args, user=user)
        assert code == 0, (args, out, err)
        return out


def _item(item_id: str, title: str, owner: str) -> dict[str, Any]:
    return {"id": item_id, "title": title, "help": "Do it.", "owner": owner}


_NOTES = {"id": "notes", "title": "Release notes", "help": "Write them.", "owner": "development"}


def two_phase_framework(
    framework_id: str = "signed",
    *,
    plan_gate: dict[str, Any] | None = None,
    ship_gate: dict[str, Any] | None = None,
    scope: dict[str, Any] | None = None,
    ship_items: list[dict[str, Any]] | None = None,
    metrics: list[dict[str, Any]] | None = None,
) -> str:
    """The two-phase framework sign-off, audit and merge tests share, as YAML.

    ``plan`` (scope, risks; a director signs it off) then ``ship`` (deploy,
    notes); each argument changes one part of it.
    """
    person_items = [
        {"id": "scope", "title": "Scope agreed", "help": "Agree it.", "owner": "product-manager"},
        {"id": "risks", "title": "Risks listed", "help": "List them.", "owner": "product-manager"},
    ]
    person_items[0].update(scope or {})
    data: dict[str, Any] = {
        "id": framework_id,
        "title": "Signed release",
        "area": "Testing",
        "summary": "Two phases; leaving planning needs a director's sign-off.",
        "phases": [
            {
                "id": "plan",
                "title": "Plan",
                "items": person_items,
                "gate": plan_gate or {"approvals": ["product-director"]},
            },
            {
                "id": "ship",
                "title": "Ship",
                "items": ship_items
                or [
                    {
                        "id": "deploy",
                        "title": "Deployed",
                        "help": "Deploy it.",
                        "owner": "operations",
                    },
                    {
                        "id": "notes",
                        "title": "Release notes",
                        "help": "Write them.",
                        "owner": "development",
                    },
                ],
                **({"gate": ship_gate} if ship_gate else {}),
            },
        ],
    }
    if metrics:
        data["metrics"] = metrics
    return yaml.safe_dump(data, sort_keys=False)


def store_snapshot(root: Path) -> dict[str, bytes]:
    """Every file of a workspace's store, byte for byte: what a refused command must not change.

    Lock files and the derived cache (``.opsctl/cache/``, never the source of
    truth) are left out.
    """
    store = root / ".opsctl"
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(store.rglob("*"))
        if path.is_file()
        and not path.name.endswith(".lock")
        and "cache" not in path.relative_to(store).parts
    }
