"""Timing helpers shared by the benchmark scripts (not part of the package)."""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

PYTHON = sys.executable
BARE_TYPER = """
import typer
app = typer.Typer(add_completion=False)
@app.callback()
def root() -> None: ...
@app.command()
def hello() -> None:
    print("hello")
app(["hello"])
"""
"""A bare one-command Typer app: the start-up baseline, and a gauge of the machine's speed."""


def bare_typer_ms(repeat: int = 7) -> float:
    """Median milliseconds of the bare Typer app, to show how fast the machine was."""
    return median_seconds([PYTHON, "-c", BARE_TYPER], repeat) * 1000


def opsctl_argv() -> list[str]:
    """The installed console script next to this Python, else ``python -m opsctl``."""
    script = Path(PYTHON).with_name("opsctl")
    if script.exists():
        return [str(script)]
    found = shutil.which("opsctl")
    return [found] if found else [PYTHON, "-m", "opsctl"]


def median_seconds(
    argv: list[str], repeat: int, cwd: Path | None = None, env: dict[str, str] | None = None
) -> float:
    """Median wall time of running a command ``repeat`` times (after one warm-up)."""
    full_env = {**os.environ, **(env or {})}
    subprocess.run(argv, cwd=cwd, env=full_env, capture_output=True, check=True)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=full_env, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def interleaved_medians(
    first: tuple[list[str], Path], second: tuple[list[str], Path], repeat: int
) -> tuple[float, float]:
    """Median wall times of two commands, run alternately so drift hits both alike."""
    samples: tuple[list[float], list[float]] = ([], [])
    for argv, cwd in (first, second):
        subprocess.run(argv, cwd=cwd, capture_output=True, check=True)
    for _ in range(repeat):
        for index, (argv, cwd) in enumerate((first, second)):
            start = time.perf_counter()
            subprocess.run(argv, cwd=cwd, capture_output=True, check=True)
            samples[index].append(time.perf_counter() - start)
    return statistics.median(samples[0]), statistics.median(samples[1])


def peak_rss_mib(
    argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> float:
    """Peak resident memory of one run of a command, in MiB (Linux ru_maxrss is KiB)."""
    probe = (
        "import resource, subprocess, sys;"
        "subprocess.run(sys.argv[1:], check=True, capture_output=True);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    result = subprocess.run(
        [PYTHON, "-c", probe, *argv],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.strip()) / 1024


def in_process_peak_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
