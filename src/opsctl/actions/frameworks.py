"""Use cases on framework definitions: list, show, validate, and their JSON Schema."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from opsctl.actions.results import Result, View
from opsctl.actions.session import Session
from opsctl.definitions.model import Framework

if TYPE_CHECKING:
    from opsctl.definitions.catalog import Entry
from opsctl.errors import DefinitionError, UsageError


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


def target_warnings(session: Session, frameworks: list[Framework]) -> list[str]:
    """KPI targets that cannot be met from some baselines, or from the workspace's baseline."""
    from opsctl.review.kpi import definition_warning, unreachable

    stored = session.metrics.load().metrics if session.found_workspace else {}
    warnings: list[str] = []
    for metric in (metric for framework in frameworks for metric in framework.metrics):
        record = stored.get(metric.id)
        found = [definition_warning(metric)]
        found += [unreachable(metric, record.baseline.value)] if record and record.baseline else []
        warnings += [warning for warning in found if warning]
    return warnings


def validate_definitions(session: Session, files: list[Path] | None = None) -> Validated:
    """Check framework files (default: every known one); a DefinitionError lists every problem.

    Targets that cannot be met within a KPI's bounds are warnings, not errors.
    """
    from opsctl.definitions.catalog import load_catalog, load_files

    if not files:
        catalog = session.catalog
        frameworks = catalog.frameworks()
        replaced = [
            (catalog.entries[entry.framework.id].path, entry) for entry in catalog.overridden
        ]
        warnings = override_warnings(replaced) + target_warnings(session, frameworks)
        return Validated(count=len(frameworks), files=False, warnings=warnings)
    loaded, diagnostics = load_files(files, session.roles)
    if diagnostics:
        raise DefinitionError(diagnostics)
    builtins = load_catalog(None, session.roles).entries
    replaced = [
        (path, builtins[framework.id])
        for path, framework in loaded
        if framework.id in builtins and path.resolve() != builtins[framework.id].path.resolve()
    ]
    warnings = override_warnings(replaced)
    warnings += target_warnings(session, [framework for _, framework in loaded])
    return Validated(count=len(loaded), files=True, warnings=warnings)


def override_warnings(replaced: list[tuple[Path, Entry]]) -> list[str]:
    """One warning per workspace file that replaces a built-in framework of the same id."""
    return [
        f"{path}: framework '{builtin.framework.id}' replaces the built-in framework of the same "
        "id; give it an id of its own to keep both (opsctl frameworks new ID --from "
        f"{builtin.framework.id})"
        for path, builtin in replaced
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
