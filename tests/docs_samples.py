"""Sample outputs for the docs, made by Cog from the real commands.

A Markdown file asks for a sample with a Cog section (hidden when rendered):

    <!-- [[[cog json_sample("opsctl runs --format json", keep=1) ]]] -->
    ...generated block...
    <!-- [[[end]]] -->

``python tests/docs_tool.py regenerate`` rewrites every such block;
``python tests/docs_tool.py check`` (run by .ci/run) fails when one is stale.
Each sample runs in its own fresh copy of the workspace ``opsctl demo`` builds
at the docs' fixed clock, after the ``setup`` commands it names.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import cog  # type: ignore[import-not-found]

from docs_examples import Shell, demo_template


def run_in_demo(command: str, setup: tuple[str, ...] = (), expect: int = 0) -> str:
    """The output of ``command`` in a fresh demo copy, after ``setup``; insists on its exit code."""
    home = Path(tempfile.mkdtemp(prefix="opsctl-docs-sample-"))
    try:
        shutil.copytree(demo_template(), home / "opsctl-demo")
        shell = Shell(home, home / "opsctl-demo")
        for step in setup:
            before = shell.run(step)
            if before.status != 0:
                raise RuntimeError(f"{step!r} exited {before.status}: {before.output}")
        result = shell.run(command)
        if result.status != expect:
            raise RuntimeError(f"{command!r} exited {result.status}, not {expect}: {result.output}")
        return result.output
    finally:
        shutil.rmtree(home, ignore_errors=True)


def trimmed(value: Any, keep: int, text: int) -> Any:
    """Long lists cut to their first ``keep`` entries, long strings cut with ``...``."""
    if isinstance(value, dict):
        return {key: trimmed(item, keep, text) for key, item in value.items()}
    if isinstance(value, list):
        return [trimmed(item, keep, text) for item in value[:keep]]
    if isinstance(value, str) and len(value) > text:
        return value[:text].rstrip() + "..."
    return value


def json_sample(
    command: str,
    *,
    keep: int = 1000,
    text: int = 100_000,
    setup: tuple[str, ...] = (),
    expect: int = 0,
) -> None:
    """Write a ```json block: the command's JSON output, trimmed as asked."""
    document = json.loads(run_in_demo(command, setup, expect))
    shown = json.dumps(trimmed(document, keep, text), indent=2, sort_keys=True, ensure_ascii=False)
    cog.outl(f"```json\n{shown}\n```")


def excerpt(text: str, lines: int) -> str:
    """A Markdown report cut short: every heading, the first ``lines`` lines under each, ``...``."""
    kept: list[str] = []
    under_heading = 0
    for line in text.splitlines():
        if line.startswith("#"):
            if under_heading > lines:
                kept.append("...")
            if kept and kept[-1] != "":
                kept.append("")
            kept += [line, ""]
            under_heading = 0
            continue
        if not line.strip() and under_heading == 0:
            continue
        under_heading += 1
        if under_heading <= lines:
            kept.append(line)
    if under_heading > lines:
        kept.append("...")
    return "\n".join(kept)


def report_sample(
    command: str, *, lines: int = 4, setup: tuple[str, ...] = (), expect: int = 0
) -> None:
    """Write a ````markdown block: the report a command prints, cut by ``excerpt``."""
    shown = excerpt(run_in_demo(command, setup, expect), lines)
    cog.outl(f"````markdown\n{shown}\n````")
