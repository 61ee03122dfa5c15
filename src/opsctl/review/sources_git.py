"""The DORA four keys from a repository's history, read through the git CLI.

One read per repository and settings (:func:`read_history`, two or three git
calls): the deployments (tags matching a glob, or merges to a branch) and
the commit graph behind them. Each commit belongs to the first deployment,
by time, whose history contains it. A month's figures are then:

- deployment frequency: the month's deployments / (days in the month / 7);
- lead time for changes: the median, over the non-merge commits first
  deployed in the month, of deployment time - commit time (committer date),
  in hours;
- change failure rate: the month's failed deployments / its deployments x
  100. A deployment failed when, within ``failure_window_days`` after it, a
  commit reverts one of its changes (``This reverts commit <sha>``, as
  ``git revert`` writes) or a hotfix tag follows it (a hotfix tag marks the
  latest deployment before it);
- time to restore: the median, over the month's failed deployments, of the
  time to the next deployment that did not fail, in hours.

A deployment's time is an annotated tag's tagger date, a lightweight tag's
commit date or a merge's committer date. With ``deploys: tags`` a hotfix tag
is a deployment too. The performance bands (:func:`dora_band`) are those of
the DORA report, see docs/reports.md.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from opsctl.definitions.metric import GitMeasure, GitSource
from opsctl.review.periods import Period
from opsctl.review.sources import (
    Collected,
    NoData,
    SourceError,
    bounds_of,
    make_provenance,
    median,
    percent,
    rounded,
)
from opsctl.store.metrics import SourceInput

_RECORD, _FIELD = "\x1e", "\x1f"
_REVERT = re.compile(r"This reverts commit ([0-9a-f]{40})")
_GIT_CONFIG = ["-c", "log.showSignature=false", "-c", "core.quotePath=false"]
HOUR = 3600


@dataclass(frozen=True)
class Deploy:
    """A deployment: a tag or a merge, with its commit and time (Unix seconds)."""

    name: str
    commit: str
    time: int


@dataclass
class History:
    """The deployments of a repository, what each first shipped, and which failed."""

    deploys: list[Deploy]
    window: int
    """The failure window, in seconds."""
    changes: dict[str, list[int]] = field(default_factory=dict)
    """Deployment name -> commit times of the non-merge commits it first shipped."""
    failed: dict[str, SourceInput] = field(default_factory=dict)
    """Deployment name -> what marked it failed (a revert commit or a hotfix tag)."""


Graph = dict[str, tuple[list[str], int, str]]
"""sha -> (parents, committer time, message)."""


def _git(cwd: Path, args: list[str]) -> str:
    try:
        done = subprocess.run(
            ["git", *_GIT_CONFIG, *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise SourceError("git is not installed (the git source reads its history)") from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["git failed"]
        raise SourceError(f"{cwd}: {lines[0].removeprefix('fatal: ')}")
    return done.stdout.decode("utf-8", "replace")


def _repository(root: Path, source: GitSource) -> Path:
    path = (root / source.repository).resolve()
    if not path.is_dir():
        raise SourceError(f"{path}: no such folder (source.repository of a git source)")
    try:
        _git(path, ["rev-parse", "--show-toplevel"])
    except SourceError:
        raise SourceError(
            f"{path}: not a git repository (the git source reads deployments from its history)"
        ) from None
    return path


def _tags(path: Path) -> list[tuple[str, str, int]]:
    """Every tag pointing (perhaps through an annotated tag) at a commit: name, commit, time."""
    fields = ["refname:strip=2", "objecttype", "objectname", "*objecttype", "*objectname"]
    fmt = _FIELD.join(f"%({name})" for name in [*fields, "creatordate:unix"])
    out = _git(path, ["for-each-ref", f"--format={fmt}", "refs/tags"])
    found = []
    for line in out.splitlines():
        name, kind, obj, peeled_kind, peeled, when = line.split(_FIELD)
        commit = obj if kind == "commit" else peeled if peeled_kind == "commit" else ""
        if commit and when:
            found.append((name, commit, int(when)))
    return found


def _deploys(path: Path, source: GitSource) -> tuple[list[Deploy], list[Deploy]]:
    """The deployments and the hotfix tags, each sorted by time."""
    tags = _tags(path) if source.deploys == "tags" or source.hotfix_tags else []
    hotfixes = [
        Deploy(name, commit, when)
        for name, commit, when in tags
        if source.hotfix_tags and fnmatchcase(name, source.hotfix_tags)
    ]
    if source.deploys == "tags":
        deploys = [Deploy(n, c, w) for n, c, w in tags if fnmatchcase(n, source.tags)]
        if not deploys:
            raise SourceError(f"{path}: no tags match '{source.tags}' (source.tags)")
        deploys += [hotfix for hotfix in hotfixes if hotfix not in deploys]
    else:
        try:
            _git(path, ["rev-parse", "--verify", "--quiet", f"{source.branch}^{{commit}}"])
        except SourceError:
            raise SourceError(f"{path}: no branch '{source.branch}' (source.branch)") from None
        out = _git(path, ["log", "--first-parent", "--merges", "--format=%H %ct", source.branch])
        deploys = [
            Deploy(sha[:12], sha, int(when)) for sha, when in map(str.split, out.split("\n")[:-1])
        ]
        if not deploys:
            raise SourceError(f"{path}: no merges to '{source.branch}' (source.branch)")
    order = lambda deploy: (deploy.time, deploy.name)  # noqa: E731
    return sorted(deploys, key=order), sorted(hotfixes, key=order)


def _graph(path: Path, source: GitSource) -> Graph:
    """Every commit behind the tags and branches (and the merges' branch)."""
    fmt = f"--format={_RECORD}%H{_FIELD}%P{_FIELD}%ct{_FIELD}%B"
    extra = [source.branch] if source.deploys == "merges" else []
    out = _git(path, ["log", fmt, "--tags", "--branches", *extra, "--"])
    graph: Graph = {}
    for record in out.split(_RECORD)[1:]:
        sha, parents, when, message = record.split(_FIELD, 3)
        graph[sha] = (parents.split(), int(when), message)
    return graph


def _assign(history: History, graph: Graph) -> dict[str, Deploy]:
    """Give each commit to the first deployment containing it; keep the non-merge times."""
    owner: dict[str, Deploy] = {}
    for deploy in history.deploys:
        times: list[int] = []
        stack = [deploy.commit]
        while stack:
            sha = stack.pop()
            if sha in owner or sha not in graph:
                continue
            owner[sha] = deploy
            parents, when, _ = graph[sha]
            if len(parents) <= 1:
                times.append(when)
            stack.extend(parents)
        history.changes[deploy.name] = times
    return owner


def _mark_reverts(history: History, graph: Graph, owner: dict[str, Deploy]) -> None:
    for sha in sorted(graph, key=lambda s: (graph[s][1], s)):
        _, when, message = graph[sha]
        for reverted in _REVERT.findall(message):
            deploy = owner.get(reverted)
            if deploy is not None and deploy.time < when <= deploy.time + history.window:
                marker = SourceInput(name=f"revert {sha[:12]}", digest=sha)
                history.failed.setdefault(deploy.name, marker)


def _mark_hotfixes(history: History, hotfixes: list[Deploy]) -> None:
    for hotfix in hotfixes:
        before = [d for d in history.deploys if d.time < hotfix.time and d.name != hotfix.name]
        if before and hotfix.time - before[-1].time <= history.window:
            marker = SourceInput(name=f"hotfix {hotfix.name}", digest=hotfix.commit)
            history.failed.setdefault(before[-1].name, marker)


def read_history(root: Path, source: GitSource) -> History:
    """Read a repository's deployments, what each shipped first and which failed."""
    path = _repository(root, source)
    deploys, hotfixes = _deploys(path, source)
    history = History(deploys, window=source.failure_window_days * 86_400)
    graph = _graph(path, source)
    owner = _assign(history, graph)
    _mark_reverts(history, graph, owner)
    _mark_hotfixes(history, hotfixes)
    return history


# --- a month's figures -------------------------------------------------------------------


def _parameters(source: GitSource) -> dict[str, str | int | float | bool | list[str] | None]:
    return source.model_dump(mode="json", exclude={"kind"})


def _window(history: History, period: Period) -> tuple[list[Deploy], str]:
    """The month's deployments and the commit range they cover (``v1.2..v1.5``)."""
    start, end = bounds_of(period)
    inside = [d for d in history.deploys if start <= d.time < end]
    if not inside:
        return [], ""
    earlier = [d for d in history.deploys if d.time < start]
    first = f"{earlier[-1].name}.." if earlier else ""
    return inside, f"{first}{inside[-1].name}"


def _inputs(deploys: list[Deploy]) -> list[SourceInput]:
    return [SourceInput(name=deploy.name, digest=deploy.commit) for deploy in deploys]


def _restored(history: History, failed: Deploy) -> Deploy | None:
    """The next deployment after a failed one that did not fail itself."""
    later = (d for d in history.deploys if d.time > failed.time and d.name not in history.failed)
    return next(later, None)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def collect_git(history: History, source: GitSource, period: Period) -> Collected:
    """One DORA figure for one month, with its provenance."""
    deploys, span = _window(history, period)
    label = period.label
    measure = source.measure
    inputs = _inputs(deploys)
    if measure is GitMeasure.DEPLOYMENT_FREQUENCY:
        weeks = (period.end - period.start).days / 7
        value = rounded(len(deploys) / weeks)
        detail = f"{_count(len(deploys), 'deployment')} in {label}"
    elif not deploys:
        raise NoData(f"no deployments in {label}")
    elif measure is GitMeasure.LEAD_TIME:
        lags = [max(0, d.time - t) / HOUR for d in deploys for t in history.changes[d.name]]
        if not lags:
            raise NoData(f"the deployments of {label} shipped no new commits")
        value = rounded(median(lags))
        detail = f"{_count(len(lags), 'commit')} in {_count(len(deploys), 'deployment')}"
    elif measure is GitMeasure.CHANGE_FAILURE_RATE:
        failed = [d for d in deploys if d.name in history.failed]
        value = percent(len(failed), len(deploys))
        inputs += [history.failed[d.name] for d in failed]
        detail = f"{len(failed)} of {_count(len(deploys), 'deployment')} failed"
    else:
        value, detail = _time_to_restore(history, deploys, label, inputs)
    provenance = make_provenance("git", _parameters(source), value, range_=span, inputs=inputs)
    return Collected(value, provenance, f"{detail}{', ' + span if span else ''}")


def _time_to_restore(
    history: History, deploys: list[Deploy], label: str, inputs: list[SourceInput]
) -> tuple[float, str]:
    failed = [d for d in deploys if d.name in history.failed]
    if not failed:
        raise NoData(f"no failed deployments in {label}, so nothing to restore")
    pairs = [(d, _restored(history, d)) for d in failed]
    waits = [(good.time - bad.time) / HOUR for bad, good in pairs if good is not None]
    if not waits:
        raise NoData(f"the failed deployments of {label} are not restored yet")
    for bad, good in pairs:
        inputs.append(history.failed[bad.name])
        if good is not None and good not in deploys:
            inputs.append(SourceInput(name=good.name, digest=good.commit))
    restored = f"{len(waits)} of {_count(len(failed), 'failed deployment')} restored"
    return rounded(median(waits)), restored


# --- DORA performance bands ------------------------------------------------------------

BANDS: dict[GitMeasure, tuple[str, tuple[float, float, float]]] = {
    GitMeasure.DEPLOYMENT_FREQUENCY: ("at least", (7.0, 1.0, 7 / 31)),
    GitMeasure.LEAD_TIME: ("below", (24.0, 168.0, 720.0)),
    GitMeasure.CHANGE_FAILURE_RATE: ("at most", (5.0, 10.0, 15.0)),
    GitMeasure.TIME_TO_RESTORE: ("below", (1.0, 24.0, 168.0)),
}
"""Thresholds of elite, high and medium (anything else is low), in each measure's unit.

From the DORA report's performance levels (docs/reports.md#dora-bands):
deployment frequency daily or more / weekly / monthly (one in 31 days, per
week); lead time under a day / a week / a month (30 days), in hours; change
failure rate 5 / 10 / 15 %; time to restore under an hour / a day / a week.
"""


def dora_band(measure: GitMeasure, value: float) -> str:
    """``elite``, ``high``, ``medium`` or ``low`` for a value of one of the four keys."""
    rule, limits = BANDS[measure]
    for name, limit in zip(("elite", "high", "medium"), limits, strict=True):
        if (
            (rule == "at least" and value >= limit)
            or (rule == "below" and value < limit)
            or (rule == "at most" and value <= limit)
        ):
            return name
    return "low"
