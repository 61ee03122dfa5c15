"""``opsctl metric collect`` over a generated repository: 10,000 commits and 500 tags.

The repository is written with ``git fast-import`` (seconds, not minutes):
a commit every 90 minutes from 2025-01-01, every tenth a merge of a side
branch, an annotated release tag ``vN`` every 20 commits (every 25th a
``vN-hotfix``), and a ``git revert`` of a released change every 100 commits.
A new workspace in it collects the four DORA keys for one month with no
configuration (the built-in definitions).

Target (issue 12): under 2 s.

Usage: python benchmarks/bench_collect.py [--commits 10000] [--tags 500] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from pathlib import Path

from _util import median_seconds, opsctl_argv

START = 1_735_689_600  # 2025-01-01T00:00:00Z
STEP = 90 * 60
IDENTITY = "Dev <dev@example.com>"
NOW = "2025-09-20T00:00:00Z"


def _data(text: str) -> str:
    raw = text.encode("utf-8")
    return f"data {len(raw)}\n{text}\n"


def _commit(ref: str, mark: int, when: int, message: str, parents: list[int]) -> str:
    lines = [f"commit {ref}", f"mark :{mark}", f"committer {IDENTITY} {when} +0000"]
    lines.append(_data(message).rstrip("\n"))
    lines += [f"from :{parents[0]}"] if parents else []
    lines += [f"merge :{parent}" for parent in parents[1:]]
    return "\n".join(lines) + "\n"


def _tag(name: str, mark: int, when: int) -> str:
    return f"tag {name}\nfrom :{mark}\ntagger {IDENTITY} {when} +0000\n{_data(name)}"


def _import(path: Path, stream: str, marks: Path) -> None:
    args = ["git", "fast-import", "--quiet", f"--export-marks={marks}"]
    if marks.exists():
        args.append(f"--import-marks={marks}")
    subprocess.run(args, cwd=path, input=stream.encode(), check=True)


def _shas(marks: Path) -> dict[int, str]:
    pairs = (line.split() for line in marks.read_text().splitlines())
    return {int(mark[1:]): sha for mark, sha in pairs}


def _history(commits: int, tags: int) -> tuple[list[str], list[tuple[int, int]], int]:
    """Fast-import commands for main, its merges and tags; the released (mark, time) pairs."""
    every = max(1, commits // tags)
    parts: list[str] = []
    released: list[tuple[int, int]] = []
    main = mark = 0
    for index in range(commits):
        when = START + index * STEP
        mark += 1
        parents = [main] if main else []
        if index % 10 == 9:  # a side commit, merged: the merge is the tenth step
            parts.append(_commit("refs/heads/side", mark, when - 60, f"side {index}", parents))
            mark += 1
            parents = [main, mark - 1]
        parts.append(_commit("refs/heads/main", mark, when, f"change {index}", parents))
        main = mark
        if index % every == every - 1 and len(released) < tags:
            number = len(released) + 1
            name = f"v{number}-hotfix" if number % 25 == 0 else f"v{number}"
            parts.append(_tag(name, main, when + 600))
            released.append((main, when + 600))
    return parts, released, mark


def generate(path: Path, commits: int, tags: int) -> None:
    """Write the repository: main with merges, side commits, tags, then reverts."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    marks = path / ".git" / "bench-marks"
    parts, released, mark = _history(commits, tags)
    _import(path, "".join(parts), marks)
    shas = _shas(marks)
    reverts = []
    for number, (target, released_at) in enumerate(released[4::5]):  # one in 100 commits
        mark += 1
        parents = [target] if number == 0 else [mark - 1]
        message = f'Revert "change"\n\nThis reverts commit {shas[target]}.'
        when = released_at + 5 * 3600
        reverts.append(_commit("refs/heads/reverts", mark, when, message, parents))
    _import(path, "".join(reverts), marks)


def _git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=path, capture_output=True, text=True, check=True
    ).stdout.strip()


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        argv, cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True, check=True
    )
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--tags", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    env = {"OPSCTL_NOW": NOW, "OPSCTL_USER": "bench@example.com", "GIT_CONFIG_NOSYSTEM": "1"}
    with tempfile.TemporaryDirectory() as name:
        root = Path(name) / "repo"
        generate(root, args.commits, args.tags)
        count = _git(root, "rev-list", "--count", "--all")
        print(f"repository: {count} commits, {len(_git(root, 'tag').split())} tags")
        _run([*opsctl_argv(), "init"], root, env)
        argv = [*opsctl_argv(), "metric", "collect"]
        print(_run(argv, root, env).rstrip())
        seconds = median_seconds(argv, args.repeat, root, env)
        dry = median_seconds([*argv, "--dry-run"], args.repeat, root, env)
    verdict = "met" if seconds < 2 else "NOT met"
    print(
        f"opsctl metric collect: {seconds * 1000:.0f} ms median of {args.repeat} "
        f"(target < 2000 ms -> {verdict}); --dry-run {dry * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
