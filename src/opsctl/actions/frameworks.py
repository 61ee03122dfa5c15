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


def validate_definitions(session: Session, files: list[Path] | None = None) -> Validated:
    """Check framework files (default: every known one); a DefinitionError lists every problem."""
    from opsctl.definitions.catalog import load_files

    if not files:
        return Validated(count=len(session.catalog.entries), files=False)
    loaded, diagnostics = load_files(files, session.roles)
    if diagnostics:
        raise DefinitionError(diagnostics)
    return Validated(count=len(loaded), files=True)


def framework_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a framework file."""
    document = Framework.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "opsctl framework"
    return document
