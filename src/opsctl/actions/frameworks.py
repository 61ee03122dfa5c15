"""Use cases on framework definitions: list, show, validate, and their JSON Schema."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from opsctl.actions.results import Result, View
from opsctl.actions.session import Session
from opsctl.definitions.model import Framework, Metric
from opsctl.errors import DefinitionError, Diagnostic, UsageError


class FrameworkSummary(View):
    """One framework in a line: what it covers and how big it is."""

    id: str
    title: str
    area: str
    phases: int
    items: int
    checks: int = Field(description="Items with an automated check.")
    conditional: int = Field(description="Items that apply only under a condition (when).")
    labels: list[str]
    metrics: list[str]
    source: str


class FrameworkList(Result):
    """``opsctl frameworks list``: every framework known here, in id order."""

    KIND: ClassVar[str] = "frameworks"

    frameworks: list[FrameworkSummary]


def list_frameworks(session: Session) -> FrameworkList:
    """Built-in frameworks and the workspace's own (which replace a built-in of the same id)."""
    entries = session.catalog.entries
    rows = []
    for key in sorted(entries):
        entry = entries[key]
        framework = entry.framework
        rows.append(
            FrameworkSummary(
                id=framework.id,
                title=framework.title,
                area=framework.area,
                phases=len(framework.phases),
                items=framework.item_count(),
                checks=sum(item.check is not None for _, item in framework.iter_items()),
                conditional=len(framework.conditional_keys),
                labels=[label.id for label in framework.labels],
                metrics=[metric.id for metric in framework.metrics],
                source="builtin" if entry.builtin else str(entry.path),
            )
        )
    return FrameworkList(frameworks=rows)


class FrameworkDetail(Result):
    """``opsctl frameworks show``: a whole definition and the file it came from."""

    KIND: ClassVar[str] = "framework"

    framework: Framework
    source: str


def show_framework(session: Session, framework_id: str) -> FrameworkDetail:
    """One framework's definition, or a UsageError naming the known ones."""
    entry = session.catalog.get(framework_id)
    return FrameworkDetail(framework=entry.framework, source=str(entry.path))


class Validated(Result):
    """``opsctl validate``: how many frameworks or files were found valid."""

    KIND: ClassVar[str] = "validated"

    count: int
    files: bool
    warnings: list[str] = Field(default_factory=list)


def target_warnings(session: Session, metrics: Iterable[Metric]) -> list[str]:
    """KPI targets that cannot be met from some baselines, or from the workspace's baseline."""
    from opsctl.review.kpi import definition_warning, unreachable

    stored = session.metrics.load().metrics if session.found_workspace else {}
    warnings: list[str] = []
    for metric in metrics:
        record = stored.get(metric.id)
        found = [definition_warning(metric)]
        found += [unreachable(metric, record.baseline.value)] if record and record.baseline else []
        warnings += [warning for warning in found if warning]
    return warnings


def validate_definitions(session: Session, files: list[Path] | None = None) -> Validated:
    """Check framework files (default: every known one); a DefinitionError lists every problem.

    Targets that cannot be met within a KPI's bounds are warnings, not errors.
    """
    if not files:
        catalog = session.catalog
        frameworks = catalog.frameworks()
        replaced = [
            (catalog.entries[entry.framework.id].path, entry.framework.id)
            for entry in catalog.overridden
        ]
        metrics = [metric for framework in frameworks for metric in framework.metrics]
        warnings = override_warnings(replaced) + target_warnings(session, metrics)
        return Validated(count=len(frameworks), files=False, warnings=warnings)
    passed, diagnostics = _check_files(session, files)
    if diagnostics:
        raise DefinitionError(diagnostics)
    builtins = _builtin_paths(session)
    replaced = [
        (path, checked.id)
        for path, checked in passed
        if checked.id in builtins and path.resolve() != builtins[checked.id].resolve()
    ]
    warnings = override_warnings(replaced)
    warnings += target_warnings(
        session, [metric for _, checked in passed for metric in checked.metrics]
    )
    return Validated(count=len(passed), files=True, warnings=warnings)


@dataclass(frozen=True)
class Passed:
    """What ``validate`` needs of a file that passed: its framework's id and KPIs."""

    id: str
    metrics: tuple[Metric, ...]


def _check_files(
    session: Session, files: list[Path]
) -> tuple[list[tuple[Path, Passed]], list[Diagnostic]]:
    """Check framework files, trusting each one whose exact text passed before.

    A file passes or fails on its text and the roles it is checked against
    alone, so, as ruff and mypy keep per-file results, a file that passed
    before (checked by this very opsctl: see :class:`DerivedCache`) is not
    parsed again; any edit, another path or other roles is a miss. Files
    with errors are never kept: their diagnostics are always made afresh.
    """
    from opsctl.definitions.loader import framework_from_text
    from opsctl.definitions.source import read_text
    from opsctl.store.cache import content_digest

    passed: list[tuple[Path, Passed]] = []
    diagnostics: list[Diagnostic] = []
    for path in files:
        try:
            text = read_text(path)  # as the loader reads it: size cap, regular files, UTF-8
        except DefinitionError as exc:
            diagnostics += exc.diagnostics
            continue
        name = "framework-" + content_digest(text.encode("utf-8")).removeprefix("sha256:")
        source = f"{path.resolve()}\0{session.roles!r}"
        kept = session.cache.get_object(name, source)
        if isinstance(kept, Passed):
            passed.append((path, kept))
            continue
        try:
            framework = framework_from_text(text, path, session.roles)
        except DefinitionError as exc:
            diagnostics += exc.diagnostics
            continue
        checked = Passed(framework.id, tuple(framework.metrics))
        passed.append((path, checked))
        session.cache.put_object(name, source, checked)  # kept under the very text checked
    return passed, diagnostics


def _builtin_paths(session: Session) -> dict[str, Path]:
    """The file of each built-in framework by id, read once per opsctl and roles, then kept."""
    from opsctl.actions.session import frameworks_digest
    from opsctl.definitions.catalog import load_catalog

    source = frameworks_digest([], repr(session.roles))  # the built-ins: in the code stamp
    kept = session.cache.get("builtin-paths", source)
    if isinstance(kept, dict) and all(isinstance(path, str) for path in kept.values()):
        return {key: Path(path) for key, path in kept.items()}
    entries = load_catalog(None, session.roles).entries
    paths = {key: entry.path for key, entry in entries.items()}
    session.cache.put("builtin-paths", source, {key: str(path) for key, path in paths.items()})
    return paths


def override_warnings(replaced: list[tuple[Path, str]]) -> list[str]:
    """One warning per workspace file (path, framework id) replacing a built-in of the same id."""
    return [
        f"{path}: framework '{framework_id}' replaces the built-in framework of the same "
        "id; give it an id of its own to keep both (opsctl frameworks new ID --from "
        f"{framework_id})"
        for path, framework_id in replaced
    ]


def framework_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a framework file."""
    document = Framework.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "opsctl framework"
    return document


class FrameworkCreated(Result):
    """``opsctl frameworks new``: the framework file written, and its schema file beside it."""

    KIND: ClassVar[str] = "framework-created"

    id: str
    source: str = Field(description="The framework it was copied from.")
    path: str
    schema_path: str
    metrics_left_out: list[str] = Field(
        default_factory=list, description="KPIs the copy leaves declared by its source."
    )


def new_framework(
    session: Session, framework_id: str, source_id: str, folder: Path | None, force: bool
) -> FrameworkCreated:
    """Write a workspace framework to edit: a copy of ``source_id`` under ``framework_id``.

    The JSON Schema (as ``opsctl schema`` prints it) is written beside it and
    named by the file's modeline. An existing file is refused unless
    ``force``; so is an id another workspace file already declares.
    """
    import json

    from opsctl.definitions.authoring import SCHEMA_FILE, check_framework_id, copy_definition
    from opsctl.definitions.source import read_text
    from opsctl.store.files import atomic_write

    check_framework_id(framework_id)
    folder = session.cwd / folder if folder else session.workspace.frameworks_dir
    target = folder / f"{framework_id}.yaml"
    source = session.catalog.get(source_id)
    taken = session.catalog.entries.get(framework_id)
    if taken and not taken.builtin and taken.path.resolve() != target.resolve():
        raise UsageError(f"framework '{framework_id}' already exists in {taken.path}")
    if target.exists() and not force:
        raise UsageError(f"{target} already exists; give --force to replace it")
    keep_metrics = framework_id == source.framework.id
    text, dropped = copy_definition(read_text(source.path), source.path, framework_id, keep_metrics)
    folder.mkdir(parents=True, exist_ok=True)
    schema = folder / SCHEMA_FILE
    atomic_write(schema, json.dumps(framework_schema(), indent=2, sort_keys=True) + "\n")
    atomic_write(target, text)
    return FrameworkCreated(
        id=framework_id,
        source=source_id,
        path=str(target),
        schema_path=str(schema),
        metrics_left_out=dropped,
    )
