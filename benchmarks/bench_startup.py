"""Start-up: opsctl's read commands against a bare Typer app and the import floor.

Every figure is measured in this run, on the same machine, with the commands
interleaved so drift hits them alike:

- the import floor: ``python -c "import typer, pydantic, yaml, rich"``;
- a bare Typer app with one command (the stack's own dispatch cost);
- opsctl's read commands (``--version``, ``frameworks list``, and ``runs``,
  ``status``, ``check``, ``metric list`` in a workspace built by ``opsctl demo``).

With ``--baseline PATH`` (another installation's ``opsctl`` script, e.g. from
an older commit) the same commands are timed for it too, so a change can be
judged before and after in one run.

Usage: python benchmarks/bench_startup.py [--repeat N] [--baseline PATH/TO/opsctl]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from _util import PYTHON, opsctl_argv

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
ENV = {**os.environ, "OPSCTL_NOW": "2026-12-03T09:00:00Z", "OPSCTL_USER": "pm@example.com"}
COMMANDS = [
    ["--version"],
    ["frameworks", "list"],
    ["runs"],
    ["status", "rel-2-4"],
    ["check", "rel-2-4"],
    ["metric", "list"],
]


def _timed(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, check=False)
    return time.perf_counter() - start


def medians(commands: dict[str, list[str]], cwd: Path, repeat: int) -> dict[str, float]:
    """Median wall time of each command, run round-robin after one warm-up each."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():
        _timed(argv, cwd)
    for _ in range(repeat):
        for name, argv in commands.items():
            samples[name].append(_timed(argv, cwd))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--baseline", type=Path, help="another opsctl script to compare with")
    args = parser.parse_args()
    current = opsctl_argv()
    with tempfile.TemporaryDirectory() as folder:
        demo = Path(folder) / "demo"
        subprocess.run([*current, "demo", str(demo)], env=ENV, capture_output=True, check=True)
        commands = {
            "floor": [PYTHON, "-c", "import typer, pydantic, yaml, rich"],
            "bare": [PYTHON, "-c", BARE_TYPER],
        }
        for words in COMMANDS:
            commands["opsctl " + " ".join(words)] = [*current, *words]
            if args.baseline:
                commands["baseline " + " ".join(words)] = [str(args.baseline), *words]
        found = medians(commands, demo, args.repeat)
    floor, bare = found["floor"], found["bare"]
    print(f"import floor (typer, pydantic, yaml, rich): {floor * 1000:6.1f} ms")
    print(
        f"bare one-command Typer app:                 {bare * 1000:6.1f} ms "
        f"({bare / floor:.2f}x floor)"
    )
    print()
    print(f"{'command':<24} {'opsctl':>9} {'x bare':>7} {'x floor':>8}", end="")
    print(f" {'baseline':>9} {'x bare':>7} {'change':>7}" if args.baseline else "")
    for words in COMMANDS:
        name = " ".join(words)
        now = found["opsctl " + name]
        line = f"{name:<24} {now * 1000:7.1f}ms {now / bare:6.2f}x {now / floor:7.2f}x"
        if args.baseline:
            before = found["baseline " + name]
            line += f" {before * 1000:7.1f}ms {before / bare:6.2f}x {now / before - 1:+6.1%}"
        print(line)


if __name__ == "__main__":
    main()
