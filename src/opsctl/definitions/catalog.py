"""The frameworks a command can see: built-ins, overridden by a workspace's own."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from opsctl.definitions.model import BUILTIN_ROLES, Framework, Metric, MetricCheck
from opsctl.definitions.source import data_dir, framework_files
from opsctl.errors import DefinitionError, Diagnostic, UsageError


@dataclass(frozen=True)
class Entry:
    """A framework with the file it came from."""

    framework: Framework
    path: Path
    builtin: bool


@dataclass(frozen=True)
class Catalog:
    """Every framework by id, in a stable order."""

    entries: dict[str, Entry]
    overridden: tuple[Entry, ...] = ()
    """Built-in frameworks a workspace file replaces (it has the same id)."""

    def get(self, framework_id: str) -> Entry:
        """The framework with this id, or a UsageError listing the known ones."""
        try:
            return self.entries[framework_id]
        except KeyError:
            known = ", ".join(sorted(self.entries))
            raise UsageError(f"unknown framework '{framework_id}' (known: {known})") from None

    def frameworks(self) -> list[Framework]:
        """The frameworks, sorted by id."""
        return [self.entries[key].framework for key in sorted(self.entries)]

    def metrics(self) -> dict[str, tuple[Metric, str]]:
        """Every KPI by id, with the id of the framework declaring it."""
        return {
            metric.id: (metric, framework.id)
            for framework in self.frameworks()
            for metric in framework.metrics
        }


def load_files(
    paths: Iterable[Path], roles: Collection[str] = BUILTIN_ROLES
) -> tuple[list[tuple[Path, Framework]], list[Diagnostic]]:
    """Load many files, gathering every file's errors instead of stopping at the first."""
    from opsctl.definitions.loader import load_framework

    loaded: list[tuple[Path, Framework]] = []
    diagnostics: list[Diagnostic] = []
    for path in paths:
        try:
            loaded.append((path, load_framework(path, roles)))
        except DefinitionError as exc:
            diagnostics.extend(exc.diagnostics)
    return loaded, diagnostics


def _duplicate_ids(loaded: list[tuple[Path, Framework]]) -> list[Diagnostic]:
    from opsctl.definitions.loader import locate, read_text

    diagnostics: list[Diagnostic] = []
    first: dict[str, Path] = {}
    for path, framework in loaded:
        if framework.id in first:
            message = f"duplicate framework id '{framework.id}' (also in {first[framework.id]})"
            diagnostics.extend(locate(read_text(path), path, [(("id",), message)]))
        first.setdefault(framework.id, path)
    return diagnostics


def _duplicate_metrics(entries: dict[str, Entry]) -> list[Diagnostic]:
    from opsctl.definitions.loader import locate, read_text

    diagnostics: list[Diagnostic] = []
    owner: dict[str, str] = {}
    for key in sorted(entries):
        entry = entries[key]
        for index, metric in enumerate(entry.framework.metrics):
            if metric.id in owner:
                message = f"metric id '{metric.id}' is already declared by '{owner[metric.id]}'"
                problem = (("metrics", index, "id"), message)
                diagnostics.extend(locate(read_text(entry.path), entry.path, [problem]))
            owner.setdefault(metric.id, entry.framework.id)
    return diagnostics


def _dangling_metric_checks(entries: dict[str, Entry]) -> list[Diagnostic]:
    from opsctl.definitions.loader import locate, read_text

    declared = {m.id for entry in entries.values() for m in entry.framework.metrics}
    diagnostics: list[Diagnostic] = []
    for key in sorted(entries):
        entry = entries[key]
        for p_index, phase in enumerate(entry.framework.phases):
            for i_index, item in enumerate(phase.items):
                if isinstance(item.check, MetricCheck) and item.check.metric not in declared:
                    loc = ("phases", p_index, "items", i_index, "check", "metric")
                    message = (
                        f"unknown KPI '{item.check.metric}' "
                        f"(declared: {', '.join(sorted(declared)) or 'none'})"
                    )
                    diagnostics.extend(locate(read_text(entry.path), entry.path, [(loc, message)]))
    return diagnostics


def load_catalog(
    workspace_frameworks: Path | None = None, roles: Collection[str] = BUILTIN_ROLES
) -> Catalog:
    """Built-in frameworks plus a workspace's, which replace built-ins with the same id."""
    entries: dict[str, Entry] = {}
    overridden: list[Entry] = []
    diagnostics: list[Diagnostic] = []
    sources = [(data_dir("frameworks"), True)]
    if workspace_frameworks is not None:
        sources.append((workspace_frameworks, False))
    for folder, builtin in sources:
        loaded, problems = load_files(framework_files(folder), roles)
        diagnostics.extend(problems)
        diagnostics.extend(_duplicate_ids(loaded))
        for path, framework in loaded:
            replaced = entries.get(framework.id)
            if replaced is not None and replaced.builtin and not builtin:
                overridden.append(replaced)
            entries[framework.id] = Entry(framework, path, builtin)
    if not diagnostics:
        diagnostics.extend(_duplicate_metrics(entries))
        diagnostics.extend(_dangling_metric_checks(entries))
    if diagnostics:
        raise DefinitionError(diagnostics)
    return Catalog(entries, tuple(overridden))
