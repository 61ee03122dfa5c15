"""Open the workspaces of a portfolio, one :class:`Session` each, and read them.

A local source is read in place; a git source is cloned or fetched into the
cache (:mod:`opsctl.git.fetch`) and its workspace exported at the ref into a
scratch folder removed afterwards. A source that cannot be reached or read
is kept with its one-line reason, so the portfolio lists it instead of
stopping: every reader sees the same sources in the same order.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from opsctl.actions.session import Session
from opsctl.definitions.portfolio import PortfolioFile, SourceSpec, load_portfolio
from opsctl.errors import OpsctlError, UsageError

T = TypeVar("T")
Advance = Callable[[int, int, str], None]
"""Called as (done, total, label) before each source is read and once at the end (the CLI's
progress bar)."""


@dataclass(frozen=True)
class Selection:
    """The sources chosen (from ``portfolio.yaml`` and/or ``--source``) and where they resolve."""

    organisation: str
    sources: list[SourceSpec]
    base: Path
    """Relative ``path`` sources are read from here (the portfolio file's folder)."""
    cache: Path | None


def select_sources(
    portfolio_file: Path | None, flags: list[str], cache: Path | None, cwd: Path
) -> Selection:
    """The sources of the file (default ``portfolio.yaml`` here, if any) followed by the flags."""
    from opsctl.definitions.portfolio import source_from_flag

    default = cwd / "portfolio.yaml"
    chosen = portfolio_file or (default if default.is_file() and not flags else None)
    loaded = (
        load_portfolio(chosen)
        if chosen is not None
        else PortfolioFile.model_construct(organisation="", sources=[])
    )
    sources = [*loaded.sources, *(source_from_flag(flag) for flag in flags)]
    if not sources:
        raise UsageError(
            "no sources: write a portfolio.yaml here, pass --file PATH or give --source PATH|URL"
        )
    base = chosen.parent if chosen is not None else cwd
    return Selection(loaded.organisation, sources, base, cache)


@dataclass(frozen=True)
class Read(Generic[T]):
    """One source as read: its team name, label, commit (git) and figures, or why it failed."""

    team: str
    source: str
    commit: str
    figures: T | None
    reason: str


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-.")
    return slug or "team"


def _fallback_name(spec: SourceSpec) -> str:
    where = (spec.folder.strip("/") or spec.git or "") if spec.git else str(spec.path)
    return _slug(where.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git"))


def _location(spec: SourceSpec, selection: Selection, scratch: Path) -> Path:
    """Where a source's workspace is read: its folder, or the scratch folder of an export."""
    if spec.path is not None:
        return (selection.base / spec.path).resolve()
    return scratch / spec.folder.strip("/")


def _session(spec: SourceSpec, selection: Selection, scratch: Path) -> tuple[Session, str]:
    root = _location(spec, selection, scratch)
    if spec.path is not None:
        return Session(workspace_path=root, cwd=root), ""
    from opsctl.git.fetch import default_cache, export, mirror

    assert spec.git is not None
    bare = mirror(spec.git, selection.cache or default_cache())
    commit = export(bare, spec.ref, spec.folder, scratch)
    return Session(workspace_path=root, cwd=root), commit


def read_sources(
    selection: Selection, read: Callable[[Session, str], T], advance: Advance | None = None
) -> list[Read[T]]:
    """Open every source and apply ``read(session, team)``; failures become reasons, in order.

    Team names come from the source's ``name``, else the workspace's
    configured team, else the folder or repository name; a name taken twice
    gets ``-2``, ``-3``.
    """
    found: list[Read[T]] = []
    taken: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="opsctl-portfolio-") as scratch:
        total = len(selection.sources)
        for index, spec in enumerate(selection.sources):
            if advance is not None:
                advance(index, total, spec.label())
            name, commit, figures, reason = spec.name or _fallback_name(spec), "", None, ""
            try:
                session, commit = _session(spec, selection, Path(scratch) / str(index))
                name = spec.name or _slug(session.config.team or name)
                figures = read(session, _unique(name, taken))
            except OpsctlError as exc:
                reason = " ".join(" ".join(exc.problems).split()) or type(exc).__name__
            except OSError as exc:
                reason = f"cannot be read: {exc.strerror or exc}"
            # A problem names the folder read (a scratch one, for git): show the source instead.
            where = _location(spec, selection, Path(scratch) / str(index))
            reason = reason.replace(str(where), spec.label())
            team = _unique(name, taken)
            taken.add(team)
            found.append(Read(team, spec.label(), commit, figures, reason))
        if advance is not None:
            advance(total, total, "")
    return found


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name}-{number}"
    return candidate
