"""Shell completion candidates: run ids, item refs, framework ids, people and KPI ids.

The shell runs opsctl once per TAB, so these read the few files they need
with plain ``json`` and text scans: run ids are the names of
``.opsctl/runs/*.json``, items come from a run file and its pinned
definition, framework and KPI ids from the top of each framework file. No
catalog is loaded and nothing is validated; a file that cannot be read
offers no candidates instead of an error (completion never prints one).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

Candidate = tuple[str, str]
"""A completion value and its help text (zsh and fish show it; bash shows values only)."""

_DIRNAME = ".opsctl"
_CLOSED = {"done", "skipped"}
_TOP_LEVEL_ID = re.compile(r"^id:\s*['\"]?([a-z0-9-]+)", re.MULTILINE)
_TITLE = re.compile(r"^title:\s*(.+)$", re.MULTILINE)
_METRIC_ID = re.compile(r"^\s*-\s+id:\s*['\"]?([a-z0-9-]+)")
_EMAIL = "email"


def _workspace(ctx: typer.Context) -> Path | None:
    """The ``.opsctl`` folder in effect: ``--workspace``, ``OPSCTL_WORKSPACE``, else upwards."""
    given = ctx.find_root().params.get("workspace") or os.environ.get("OPSCTL_WORKSPACE")
    if given:
        root = Path(given)
        root = root.parent if root.name == _DIRNAME else root
        return root / _DIRNAME if (root / _DIRNAME).is_dir() else None
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / _DIRNAME).is_dir():
            return folder / _DIRNAME
    return None


def _read_json(path: Path) -> Any:
    import json

    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _matching(
    candidates: Iterator[Candidate], incomplete: str, fold: bool = False
) -> list[Candidate]:
    """The candidates starting with what was typed (ignoring case with ``fold``: emails)."""
    seen: set[str] = set()
    found = []
    typed = incomplete.lower() if fold else incomplete
    for value, help_text in candidates:
        if (value.lower() if fold else value).startswith(typed) and value not in seen:
            seen.add(value)
            found.append((value, help_text))
    return found


def run_ids(ctx: typer.Context, incomplete: str) -> list[Candidate]:
    """Run ids: the names of ``.opsctl/runs/*.json`` (no file is opened)."""
    store = _workspace(ctx)
    if store is None:
        return []
    names = sorted(path.stem for path in (store / "runs").glob("*.json"))
    return _matching(((name, "run") for name in names), incomplete)


def _run_items(ctx: typer.Context) -> Iterator[tuple[str, str, str]]:
    """(PHASE/ITEM, title, recorded status) of the run named on the command line."""
    store = _workspace(ctx)
    run_id = str(ctx.params.get("run_id") or "")
    if store is None or not re.fullmatch(r"[a-z0-9-]+", run_id):
        return
    run = _read_json(store / "runs" / f"{run_id}.json")
    if not isinstance(run, dict):
        return
    states = run.get("items") or {}
    digest = str((run.get("framework") or {}).get("digest", "")).removeprefix("sha256:")
    pinned = _read_json(store / "definitions" / f"{digest}.json") if digest.isalnum() else None
    framework = pinned.get("framework") if isinstance(pinned, dict) else None
    for phase in (framework or {}).get("phases") or []:
        for item in phase.get("items") or []:
            key = f"{phase.get('id')}/{item.get('id')}"
            status = str((states.get(key) or {}).get("status", "open"))
            yield key, str(item.get("title", "")), status


def open_items(ctx: typer.Context, incomplete: str) -> list[Candidate]:
    """The run's items not yet done or skipped, as PHASE/ITEM, in the definition's order."""
    return _matching(
        ((key, title) for key, title, status in _run_items(ctx) if status not in _CLOSED),
        incomplete,
    )


def closed_items(ctx: typer.Context, incomplete: str) -> list[Candidate]:
    """The run's items with a recorded state (done, skipped, blocked): what can be reopened."""
    return _matching(
        (
            (key, f"{title} ({status})")
            for key, title, status in _run_items(ctx)
            if status != "open"
        ),
        incomplete,
    )


def _framework_files(store: Path | None) -> list[Path]:
    from opsctl.definitions.source import data_dir

    folders = [data_dir("frameworks"), *([store / "frameworks"] if store else [])]
    return [
        path
        for folder in folders
        if folder.is_dir()
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    ]


def framework_ids(ctx: typer.Context, incomplete: str) -> list[Candidate]:
    """Framework ids: the top-level ``id:`` of every built-in and workspace framework file."""
    found = []
    for path in _framework_files(_workspace(ctx)):
        text = _read_text(path)
        framework_id = _TOP_LEVEL_ID.search(text)
        title = _TITLE.search(text)
        if framework_id:
            found.append((framework_id.group(1), title.group(1).strip("'\" ") if title else ""))
    return _matching(iter(sorted(found)), incomplete)


def _declared_metrics(text: str) -> Iterator[str]:
    """The ids of the entries of a framework file's top-level ``metrics:`` list."""
    inside, indent = False, None
    for line in text.splitlines():
        if line and not line[0].isspace() and line[0] not in "#-":
            inside, indent = line.rstrip().startswith("metrics:"), None
            continue
        found = _METRIC_ID.match(line) if inside else None
        if found:
            here = len(line) - len(line.lstrip())
            indent = here if indent is None else indent
            if here == indent:
                yield found.group(1)


def metric_ids(ctx: typer.Context, incomplete: str) -> list[Candidate]:
    """KPI ids declared by the framework files, and any with readings in metrics.json."""
    store = _workspace(ctx)
    declared = [m for path in _framework_files(store) for m in _declared_metrics(_read_text(path))]
    recorded = _read_json(store / "metrics.json") if store else None
    stored = list((recorded or {}).get("metrics") or {}) if isinstance(recorded, dict) else []
    return _matching(((m, "KPI") for m in sorted({*declared, *stored})), incomplete)


def _config(ctx: typer.Context) -> dict[str, Any]:
    store = _workspace(ctx)
    text = _read_text(store / "config.yaml") if store else ""
    if not text:
        return {}
    import yaml

    try:
        loaded = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def people(ctx: typer.Context, incomplete: str) -> list[Candidate]:
    """The emails of the team roster in config.yaml, with each person's roles."""
    roster = _config(ctx).get("people") or []
    return _matching(
        (
            (str(person[_EMAIL]), ", ".join(map(str, person.get("roles") or [])))
            for person in roster
            if isinstance(person, dict) and person.get(_EMAIL)
        ),
        incomplete,
        fold=True,
    )
