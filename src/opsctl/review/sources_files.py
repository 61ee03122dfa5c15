"""Readings from files and commands: JUnit XML reports, and a command printing one number.

JUnit: every ``<testcase>`` of every file matching the glob counts once; a
case with a ``<failure>`` or ``<error>`` failed, one with ``<skipped>`` did
not run. Pass rate = passed / (cases - skipped) x 100; test count = cases.
The files are what they are when collected: the reading is recorded for
the month asked for, with each file's sha256 in the provenance.

Command: run (an argv list, no shell) in the workspace's folder with
``OPSCTL_PERIOD`` set to the month; it must exit 0 and print one finite
number. The collector runs it only when told to (``--run-commands``).
"""

from __future__ import annotations

import hashlib
import math
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from opsctl.definitions.metric import CommandSource, JunitMeasure, JunitSource
from opsctl.review.periods import Period
from opsctl.review.sources import Collected, NoData, SourceError, make_provenance, percent
from opsctl.store.metrics import SourceInput

_OUTCOMES = ("failure", "error", "skipped")


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _junit_files(root: Path, pattern: str) -> list[Path]:
    try:
        paths = sorted(path for path in root.glob(pattern) if path.is_file())
    except (NotImplementedError, ValueError) as exc:
        raise SourceError(f"source.files '{pattern}': {exc}") from None
    if not paths:
        raise SourceError(f"no JUnit files match '{pattern}' in {root} (source.files)")
    return paths


def _cases(path: Path, data: bytes) -> tuple[int, int, int]:
    """Cases, failed and skipped in one report."""
    try:
        tree = ET.fromstring(data)
    except ET.ParseError as exc:
        raise SourceError(f"{path}: not well-formed XML ({exc})") from None
    if tree.tag not in ("testsuites", "testsuite"):
        raise SourceError(f"{path}: not a JUnit report (its root element is <{tree.tag}>)")
    cases = failed = skipped = 0
    for case in tree.iter("testcase"):
        cases += 1
        tags = {child.tag for child in case}
        failed += bool(tags & {"failure", "error"})
        skipped += "skipped" in tags and not tags & {"failure", "error"}
    return cases, failed, skipped


def collect_junit(source: JunitSource, root: Path) -> Collected:
    """Pass rate or test count over the JUnit files matching the source's glob."""
    inputs: list[SourceInput] = []
    cases = failed = skipped = 0
    for path in _junit_files(root, source.files):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SourceError(f"{path}: cannot read it ({exc.strerror or exc})") from None
        found = _cases(path, data)
        cases, failed, skipped = cases + found[0], failed + found[1], skipped + found[2]
        name = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        inputs.append(SourceInput(name=name, digest=_sha256(data)))
    ran = cases - skipped
    if source.measure is JunitMeasure.TEST_COUNT:
        value = float(cases)
    elif ran:
        value = percent(ran - failed, ran)
    else:
        raise NoData(f"no test ran in the files matching '{source.files}'")
    parameters = source.model_dump(mode="json", exclude={"kind"})
    provenance = make_provenance("junit", parameters, value, inputs=inputs)
    detail = f"{cases} tests ({failed} failed, {skipped} skipped) in {len(inputs)} file" + (
        "s" if len(inputs) != 1 else ""
    )
    return Collected(value, provenance, detail)


def collect_command(source: CommandSource, root: Path, period: Period) -> Collected:
    """Run the command and read the one number it prints."""
    shown = " ".join(source.argv)
    env = {**os.environ, "OPSCTL_PERIOD": period.label}
    try:
        done = subprocess.run(
            source.argv,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=source.timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        why = (
            f"timed out after {source.timeout:g} s"
            if isinstance(exc, subprocess.TimeoutExpired)
            else str(exc)
        )
        raise SourceError(f"command '{shown}': {why}") from None
    text = done.stdout.decode("utf-8", "replace").strip()
    if done.returncode != 0:
        raise SourceError(f"command '{shown}' exited {done.returncode}")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise SourceError(f"command '{shown}' printed {text[:40]!r}, not one finite number")
    parameters = source.model_dump(mode="json", exclude={"kind"})
    inputs = [SourceInput(name="stdout", digest=_sha256(done.stdout))]
    provenance = make_provenance("command", parameters, value, inputs=inputs)
    return Collected(value, provenance, f"printed by '{shown}'")
