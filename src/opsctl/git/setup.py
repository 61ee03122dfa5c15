"""Wiring opsctl into a git repository: the merge driver and ``.gitattributes``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from opsctl.errors import UsageError

DRIVER_NAME = "opsctl"
COMMENT = "# opsctl: merge run documents and the KPI store with opsctl's merge driver"


def _git(root: Path, *args: str) -> str:
    try:
        result = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False, timeout=30
        )
    except FileNotFoundError:
        raise UsageError("git is not installed or not on PATH") from None
    if result.returncode != 0:
        raise UsageError(f"git {' '.join(args)}: {result.stderr.strip() or 'failed'}")
    return result.stdout.strip()


def git_output(cwd: Path | None, *args: str) -> str | None:
    """What a git command prints, or None when git is missing, fails or prints nothing.

    For facts opsctl can do without (who the user is, where the repository
    starts); commands that need git use :func:`repository_root` and fail.
    """
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    output = result.stdout.strip()
    return output if result.returncode == 0 and output else None


def repository_root(folder: Path) -> Path:
    """The top of the git repository holding a folder (which need not exist yet)."""
    existing = folder.resolve()
    while not existing.is_dir() and existing != existing.parent:
        existing = existing.parent
    return Path(_git(existing, "rev-parse", "--show-toplevel"))


def setup_git(folder: Path) -> list[str]:
    """Register the merge driver in the repo's git config and route store files to it.

    ``folder`` holds the workspace; its ``.opsctl`` may sit below the top of
    the repository, so the attribute pattern is written relative to the top.
    """
    import shlex  # only git setup quotes a command; every write asks git_output who acts

    root = repository_root(folder)
    relative = folder.resolve().relative_to(root.resolve()).as_posix()
    prefix = "" if relative == "." else f"{relative}/"
    lines = (COMMENT, f"{prefix}.opsctl/**/*.json merge={DRIVER_NAME}")
    command = f"{shlex.quote(sys.executable)} -m opsctl merge-file %O %A %B %P"
    _git(root, "config", f"merge.{DRIVER_NAME}.name", "opsctl store merge")
    _git(root, "config", f"merge.{DRIVER_NAME}.driver", command)
    attributes = root / ".gitattributes"
    existing = attributes.read_text(encoding="utf-8") if attributes.exists() else ""
    missing = [line for line in lines if line not in existing.splitlines()]
    done = [f"git config merge.{DRIVER_NAME}.driver '{command}'"]
    if missing:
        prefix = "" if not existing or existing.endswith("\n") else "\n"
        attributes.write_text(existing + prefix + "\n".join(missing) + "\n", encoding="utf-8")
        done.append(f"{attributes}: routes {prefix}.opsctl/**/*.json to the opsctl merge driver")
    return done
