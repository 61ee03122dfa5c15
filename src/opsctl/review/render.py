"""Render review reports from Jinja templates, built-in or the workspace's own.

Templates are looked up in the workspace's ``.opsctl/templates/`` first, then
among the built-ins. Every template runs in Jinja's sandbox with
``StrictUndefined``: a misspelt variable is an error, not a blank, and a
broken template is reported with its file, line and message.
"""

from __future__ import annotations

import math
import traceback
from pathlib import Path
from typing import Any

from opsctl.definitions.catalog import Catalog, data_dir
from opsctl.errors import UsageError
from opsctl.review.periods import Period
from opsctl.store.workspace import Workspace
from opsctl.text import cell, table

TEMPLATE_NAMES = {"monthly": "monthly.md.j2", "quarterly": "quarterly.md.j2"}


class TemplateError(UsageError):
    """A report template cannot be compiled or rendered."""


def _number(value: float | None, digits: int = 1, sign: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    text = f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text and not sign else text


def _mermaid_label(value: object) -> str:
    return str(value).replace('"', "'").replace("\n", " ")


def _environment(folders: list[Path]) -> Any:
    from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateNotFound
    from jinja2.sandbox import SandboxedEnvironment

    class ContainedLoader(FileSystemLoader):
        """A template must really live in its folder: no symlink out of it."""

        def get_source(self, environment: Any, template: str) -> Any:
            source, filename, uptodate = super().get_source(environment, template)
            roots = [Path(root).resolve() for root in self.searchpath]
            if not any(Path(filename).resolve().is_relative_to(root) for root in roots):
                raise TemplateNotFound(template)
            return source, filename, uptodate

    environment = SandboxedEnvironment(
        loader=ChoiceLoader([ContainedLoader(str(folder)) for folder in folders]),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(cell=cell, number=_number, mermaid=_mermaid_label, table=table)
    return environment


def _template_line(exc: BaseException, folders: list[Path]) -> str:
    roots = [str(folder) for folder in folders]
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if any(frame.filename.startswith(root) for root in roots):
            return f"{frame.filename}:{frame.lineno}"
    return "template"


def render(kind: str, context: object, workspace_templates: Path | None) -> str:
    """Render the monthly or quarterly report for a context."""
    from jinja2 import TemplateError as JinjaError
    from jinja2 import TemplateSyntaxError

    folders = [data_dir("templates")]
    if workspace_templates is not None and workspace_templates.is_dir():
        folders.insert(0, workspace_templates)
    environment = _environment(folders)
    name = TEMPLATE_NAMES[kind]
    try:
        template = environment.get_template(name)
        return str(template.render(report=context))
    except TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or name}:{exc.lineno}: {exc.message}") from None
    except JinjaError as exc:
        raise TemplateError(f"{_template_line(exc, folders)}: {exc}") from None
    except (
        ArithmeticError,
        TypeError,
        ValueError,
        LookupError,
        AttributeError,
        RecursionError,
    ) as exc:
        where = _template_line(exc, folders)
        raise TemplateError(f"{where}: {type(exc).__name__}: {exc}") from None


def workspace_report(
    workspace: Workspace, catalog: Catalog, kind: str, period: Period, generated_at: str = ""
) -> str:
    """Render a review report of a workspace's runs and KPIs for one period."""
    from opsctl.review.context import build_context
    from opsctl.store.metrics import MetricsStore
    from opsctl.store.runs import RunStore

    store = RunStore(workspace)
    runs = []
    for run_id in store.ids():
        document = store.load(run_id)
        runs.append((document, store.framework_of(document)))
    metrics = list(catalog.metrics().values())
    context = build_context(
        kind, period, workspace.config().team, runs, metrics, MetricsStore(workspace).load()
    )
    context.generated_at = generated_at
    return render(kind, context, workspace.templates_dir)
