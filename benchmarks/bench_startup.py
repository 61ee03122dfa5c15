"""Start-up: opsctl's read commands against a bare Typer app and the import floor.

Every figure is measured in this run, on the same machine, with the commands
interleaved so drift hits them alike:

- the import floor: ``python -c "import typer, pydantic, yaml, rich"``;
- a bare Typer app with one command (the stack's own dispatch cost);
- opsctl's read commands (``--version``, ``frameworks list``, and ``runs``,
  ``status``, ``check``, ``metric list``, ``todo`` in a workspace built by ``opsctl demo``);
- its write commands: ``done`` and ``reopen`` of one item in turn (each a real
  recorded change), and an ``advance`` the gate refuses (recorded in history).
  They run in a copy of the workspace of their own, so the reads are timed on
  a workspace at rest; the first read after a change misses the cached
  answers (``runs``: as much as 0.2x slower).

Targets (issue 16): a read command at most 1.1x the bare Typer app, a write at
most 1.2x; the ratio to the import floor is printed beside it.

With ``--baseline PATH`` (another installation's ``opsctl`` script, e.g. from
an older commit) the same commands are timed for it too, so a change can be
judged before and after in one run.

With ``--instructions`` each command is also run once under valgrind's
callgrind, which counts the instructions it executes: a figure that, unlike
wall time on a shared 2-core VM, barely moves from run to run (about 0.1%),
so small changes can be judged. The targets stay on wall time.

Usage: python benchmarks/bench_startup.py [--repeat N] [--baseline PATH/TO/opsctl]
       [--instructions]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from _util import BARE_TYPER, PYTHON, opsctl_argv

ENV = {**os.environ, "OPSCTL_NOW": "2026-12-03T09:00:00Z", "OPSCTL_USER": "pm@example.com"}
WRITES = [
    ["done", "rel-2-4", "deployment-coordinated", "--evidence", "bench"],
    ["reopen", "rel-2-4", "deployment-coordinated"],
    ["advance", "rel-2-4"],
]
READ_TARGET, WRITE_TARGET = 1.1, 1.2
COMMANDS = [
    ["--version"],
    ["frameworks", "list"],
    ["runs"],
    ["status", "rel-2-4"],
    ["check", "rel-2-4"],
    ["metric", "list"],
    ["todo"],
]


def _timed(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, check=False)
    return time.perf_counter() - start


def medians(commands: dict[str, tuple[list[str], Path]], repeat: int) -> dict[str, float]:
    """Median wall time of each command (in its folder), round-robin after one warm-up each."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for argv, cwd in commands.values():
        _timed(argv, cwd)
    for _ in range(repeat):
        for name, (argv, cwd) in commands.items():
            samples[name].append(_timed(argv, cwd))
    return {name: statistics.median(values) for name, values in samples.items()}


def instructions(argv: list[str], cwd: Path) -> int:
    """Instructions one run of a command executes, counted by valgrind's callgrind."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in (0, 1):  # advance is refused (1) by design; 2 is a broken run
        raise SystemExit(f"{argv} exited {done.returncode} under valgrind:\n{done.stderr}")
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"valgrind printed no instruction count for {argv}:\n{done.stderr}")
    return int(found.group(1))


def print_instructions(
    commands: dict[str, tuple[list[str], Path]], targets: dict[str, float]
) -> None:
    """The instruction count of each command against the bare app's.

    Reads are counted after a warm-up run; writes once each, in order, so
    each is a real change (``done``, then ``reopen`` of the same item).
    """
    counts = {}
    for name, (argv, cwd) in commands.items():
        if not any(name.endswith(" ".join(words)) for words in WRITES):
            subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, check=False)
        counts[name] = instructions(argv, cwd)
    bare = counts["bare"]
    print()
    print(f"instructions (valgrind callgrind), bare app: {bare / 1e6:.1f} M")
    for name, count in counts.items():
        target = targets.get(name)
        verdict = "" if target is None else ("met" if count / bare <= target else "MISSED")
        print(f"{name:<60} {count / 1e6:8.1f} M {count / bare:6.3f}x {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--baseline", type=Path, help="another opsctl script to compare with")
    parser.add_argument(
        "--instructions", action="store_true", help="also count instructions with valgrind"
    )
    args = parser.parse_args()
    current = opsctl_argv()
    with tempfile.TemporaryDirectory() as folder:
        demo = Path(folder) / "demo"
        subprocess.run([*current, "demo", str(demo)], env=ENV, capture_output=True, check=True)
        for copy in ("writes", "baseline", "baseline-writes"):
            shutil.copytree(demo, Path(folder) / copy)
        commands = {
            "floor": ([PYTHON, "-c", "import typer, pydantic, yaml, rich"], demo),
            "bare": ([PYTHON, "-c", BARE_TYPER], demo),
        }
        for words in COMMANDS + WRITES:
            writes = words in WRITES  # in a copy of their own: reads see a workspace at rest
            where = Path(folder) / ("writes" if writes else "demo")
            commands["opsctl " + " ".join(words)] = ([*current, *words], where)
            if args.baseline:
                where = Path(folder) / ("baseline-writes" if writes else "baseline")
                commands["baseline " + " ".join(words)] = ([str(args.baseline), *words], where)
        found = medians(commands, args.repeat)
        print_times(found, baseline=args.baseline is not None)
        if args.instructions:
            targets = {"opsctl " + " ".join(w): READ_TARGET for w in COMMANDS}
            targets |= {"opsctl " + " ".join(w): WRITE_TARGET for w in WRITES}
            print_instructions(commands, targets)


def print_times(found: dict[str, float], baseline: bool) -> None:
    """The wall-time table: each command against the bare app, the floor and the baseline."""
    floor, bare = found["floor"], found["bare"]
    print(f"import floor (typer, pydantic, yaml, rich): {floor * 1000:6.1f} ms")
    print(
        f"bare one-command Typer app:                 {bare * 1000:6.1f} ms "
        f"({bare / floor:.2f}x floor)"
    )
    print()
    print(f"{'command':<52} {'opsctl':>9} {'x bare':>7} {'target':>7} {'x floor':>8}", end="")
    print(f" {'baseline':>9} {'x bare':>7} {'change':>7}" if baseline else "")
    for words, target in [(w, READ_TARGET) for w in COMMANDS] + [(w, WRITE_TARGET) for w in WRITES]:
        name = " ".join(words)
        now = found["opsctl " + name]
        verdict = "met" if now / bare <= target else "MISSED"
        line = (
            f"{name:<52} {now * 1000:7.1f}ms {now / bare:6.2f}x {target:4.1f} {verdict:<6}"
            f"{now / floor:5.2f}x"
        )
        if baseline:
            before = found["baseline " + name]
            line += f" {before * 1000:7.1f}ms {before / bare:6.2f}x {now / before - 1:+6.1%}"
        print(line)


if __name__ == "__main__":
    main()
