"""Automated checks: evidence gathered by the tool instead of typed in.

An item may declare a ``file`` check (a path or glob must exist), a
``command`` check (an argv list run without a shell, passing on exit 0 within
its timeout) or a ``metric`` check (the latest KPI reading meets a
threshold). Checks run only when asked (``opsctl check --run-checks``),
never when definitions are loaded.

A command check runs code, so it runs only from a definition the workspace
trusts (:func:`command_refusal`): the run's pinned definition must be, digest
for digest, the workspace's own framework file for its framework id (or the
built-in one opsctl ships), and the run's history must hold. Pinned copies
under ``.opsctl/definitions/`` and run files are data anyone can commit.
File and metric checks only read, so they run either way.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from opsctl.definitions.catalog import Entry
from opsctl.definitions.model import (
    Check,
    CommandCheck,
    Direction,
    FileCheck,
    Framework,
    MetricCheck,
    Phase,
    definition_digest,
)
from opsctl.engine.history import verify
from opsctl.engine.runs import item_complete, item_key, resolve_item, set_item, state_of
from opsctl.store.documents import ItemStatus, RunDocument, RunHeader, RunStatus

AUTOMATED_ACTOR = "opsctl"
STDERR_TAIL_LINES = 5

MetricReader = Callable[[str], "tuple[float, Direction] | None"]
"""Latest reading of a KPI and its direction, or None when there is none."""


@dataclass(frozen=True)
class Outcome:
    """What one automated check found."""

    passed: bool
    detail: str

    @property
    def evidence(self) -> str:
        """The evidence recorded on the item when the check passed."""
        return f"automated: {self.detail}"


TRUST_RULE = "command checks run only from the workspace's own framework files"


def command_refusal(document: RunDocument, trusted: Entry | None) -> str | None:
    """Why the command checks of a run must not run, or None when they may.

    ``trusted`` is the catalog's entry for the run's framework id: the
    workspace's own framework file, or the built-in one (None when neither
    defines it). Its definition must be the very one the run is pinned to,
    and the run's history must hold (:func:`~opsctl.engine.history.verify`).
    """
    finding = verify(document)
    if finding is not None:
        return f"not run: the run's history does not hold ({finding})"
    if trusted is None:
        return (
            f"not run: no framework file of this workspace defines "
            f"'{document.framework.id}'; {TRUST_RULE}"
        )
    if definition_digest(trusted.framework) != document.framework.digest:
        source = f"opsctl's built-in '{trusted.framework.id}'" if trusted.builtin else trusted.path
        return (
            f"not run: the run is pinned to {document.framework.digest}, not to {source}; "
            f"{TRUST_RULE} ('opsctl upgrade {document.id}' moves the run to it)"
        )
    return None


def run_check(
    check: Check, root: Path, read_metric: MetricReader, refused: str | None = None
) -> Outcome:
    """Run one check relative to the repository root.

    ``refused`` (from :func:`command_refusal`) fails a command check with
    that reason instead of running it; other checks only read and run anyway.
    """
    if isinstance(check, FileCheck):
        return _file_check(check, root)
    if isinstance(check, CommandCheck):
        return Outcome(False, refused) if refused else _command_check(check, root)
    return _metric_check(check, read_metric)


def _file_check(check: FileCheck, root: Path) -> Outcome:
    pattern = check.path.strip()
    if not pattern or pattern == "." or Path(pattern).is_absolute() or ".." in Path(pattern).parts:
        return Outcome(False, f"path '{pattern}' must name files below the repository root")
    inside = root.resolve()
    matches = sorted(
        path
        for path in root.glob(pattern)
        if path.is_file() and path.resolve().is_relative_to(inside)
    )
    if not matches:
        return Outcome(False, f"no file matches '{pattern}' under {root}")
    return Outcome(True, f"file {matches[0].relative_to(root).as_posix()}")


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-STDERR_TAIL_LINES:])


def _command_check(check: CommandCheck, root: Path) -> Outcome:
    shown = " ".join(check.argv)
    try:
        process = subprocess.Popen(
            check.argv,
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except FileNotFoundError:
        return Outcome(False, f"command not found: {check.argv[0]}")
    except OSError as exc:
        return Outcome(False, f"cannot run '{shown}': {exc.strerror or exc}")
    try:
        _, stderr = process.communicate(timeout=check.timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return Outcome(False, f"'{shown}' timed out after {check.timeout:g}s and was killed")
    if process.returncode != 0:
        tail = _tail(stderr)
        return Outcome(
            False, f"'{shown}' exited with {process.returncode}" + (f": {tail}" if tail else "")
        )
    return Outcome(True, f"'{shown}' exited 0")


def _metric_check(check: MetricCheck, read_metric: MetricReader) -> Outcome:
    reading = read_metric(check.metric)
    if reading is None:
        return Outcome(False, f"no reading of KPI '{check.metric}' yet")
    value, direction = reading
    if direction is Direction.HIGHER:
        passed, relation = value >= check.threshold, ">="
    else:
        passed, relation = value <= check.threshold, "<="
    verdict = "meets" if passed else "does not meet"
    return Outcome(
        passed, f"KPI {check.metric} = {value:g} {verdict} {relation} {check.threshold:g}"
    )


@dataclass(frozen=True)
class PendingCheck:
    """An automated check of an item that is not complete yet."""

    run_id: str
    key: str
    check: Check


def pending_checks(document: RunHeader, phases: list[Phase], today: dt.date) -> list[PendingCheck]:
    """The items of the given phases that declare a check and are not complete."""
    if document.status is RunStatus.COMPLETED:
        return []
    return [
        PendingCheck(document.id, item_key(phase, item), item.check)
        for phase in phases
        for item in phase.items
        if item.check is not None and not item_complete(state_of(document, phase, item), today)[0]
    ]


def record_passes(
    document: RunDocument, framework: Framework, passed: list[tuple[str, Outcome]], at: dt.datetime
) -> None:
    """Mark items whose check passed as done by ``opsctl``, unless completed meanwhile."""
    for key, outcome in passed:
        phase, item = resolve_item(framework, key)
        if item_complete(state_of(document, phase, item), at.date())[0]:
            continue
        if document.items.get(key) is not None:
            set_item(document, framework, key, ItemStatus.OPEN, AUTOMATED_ACTOR, at)
        set_item(
            document,
            framework,
            key,
            ItemStatus.DONE,
            AUTOMATED_ACTOR,
            at,
            evidence=outcome.evidence,
            automated=True,
        )
