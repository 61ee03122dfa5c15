"""Use cases on framework definitions: list, show, validate, and their JSON Schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from opsctl.actions.results import Result, View
from opsctl.actions.session import Session
from opsctl.definitions.model import Framework
from opsctl.errors import DefinitionError


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
    from opsctl.definitions.catalog import load_files

    if not files:
        frameworks = session.catalog.frameworks()
        warnings = target_warnings(session, frameworks)
        return Validated(count=len(frameworks), files=False, warnings=warnings)
    loaded, diagnostics = load_files(files, session.roles)
    if diagnostics:
        raise DefinitionError(diagnostics)
    warnings = target_warnings(session, [framework for _, framework in loaded])
    return Validated(count=len(loaded), files=True, warnings=warnings)


def framework_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a framework file."""
    document = Framework.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "opsctl framework"
    return document
