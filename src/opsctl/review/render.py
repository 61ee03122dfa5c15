"""Render review reports from Jinja templates, built-in or the workspace's own.

Templates are looked up in the workspace's ``.opsctl/templates/`` first, then
among the built-ins; a template, or the folder itself, that leads out of the
workspace is not read. Every template runs in Jinja's sandbox with
``StrictUndefined``: a misspelt variable is an error, not a blank, and a
broken template is reported with its file, line and message.

A template comes through git from anyone on the team, so rendering is also
bounded (:class:`LimitedSandbox`): it stops after :data:`RENDER_SECONDS`,
refuses to build a string, list or number over the limits below in one
step, stops a report at :data:`MAX_OUTPUT` characters, and strips control
characters from everything it writes. Each is a :class:`TemplateError`
naming the template (exit 2).
"""

from __future__ import annotations

import dataclasses
import traceback
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    TemplateSyntaxError,
    nodes,
)
from jinja2 import TemplateError as JinjaError
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment, safe_range

from opsctl.definitions.catalog import Catalog
from opsctl.definitions.source import data_dir
from opsctl.errors import UsageError
from opsctl.review.figures import change_text
from opsctl.review.figures import number as number_text
from opsctl.review.guards import (
    MAX_OUTPUT,
    MEMORY_HEADROOM,
    Budget,
    RenderLimit,
    alarm,
    check_binop,
    check_format_fields,
    check_size,
    guard_filter,
    memory_ceiling,
    precheck,
)
from opsctl.review.periods import Period
from opsctl.store.workspace import Workspace
from opsctl.text import cell, strip_controls, table

if TYPE_CHECKING:
    import datetime as dt

    from opsctl.review.context import ReportContext


FORMAT_SUFFIXES = {"markdown": ".md.j2", "html": ".html.j2"}
"""Each report comes as Markdown and as one self-contained HTML page (autoescaped)."""
RENDER_SECONDS = 10.0
"""Wall-clock time one report may take to compile and render."""


class TemplateError(UsageError):
    """A report template cannot be compiled or rendered, or went over a limit."""


class TickingRange:
    """``range`` in a template: at most Jinja's MAX_RANGE numbers, iterated within the deadline."""

    def __init__(self, numbers: range, budget: Budget) -> None:
        self.numbers = numbers
        self.budget = budget

    def __iter__(self) -> Iterator[int]:
        for number in self.numbers:
            self.budget.tick()
            yield number

    def __len__(self) -> int:
        return len(self.numbers)

    def __getitem__(self, index: Any) -> Any:
        return self.numbers[index]

    def __repr__(self) -> str:
        return repr(self.numbers)


class SizedConcat(CodeGenerator):
    """Compiles ``a ~ b`` to a call the sandbox sizes before it joins."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        """``environment.sized_concat((a, b, ...))`` instead of Jinja's plain join."""
        self.write("environment.sized_concat((")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")


class LimitedSandbox(SandboxedEnvironment):
    """Jinja's sandbox with a deadline and a size limit on what one step may build."""

    code_generator_class = SizedConcat
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, budget: Budget, **options: Any) -> None:
        super().__init__(**options)
        self.budget = budget
        self.globals["range"] = self.ticking_range

    def ticking_range(self, *args: int) -> TickingRange:
        """``range(...)``: over Jinja's MAX_RANGE numbers is an error; iteration keeps the time."""
        return TickingRange(safe_range(*args), self.budget)

    def guard_filters(self) -> None:
        """Wrap every filter (call after adding opsctl's own) in the deadline and size checks."""
        for name, function in list(self.filters.items()):
            self.filters[name] = guard_filter(name, function, self.budget.tick)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """``*``, ``**``, ``+`` and ``%``, refused when the result would be over a limit."""
        self.budget.tick()
        check_binop(operator, left, right)
        return check_size(super().call_binop(context, operator, left, right))

    def sized_concat(self, values: tuple[Any, ...]) -> str:
        """``a ~ b ~ ...``, refused before joining when the result would be too long."""
        self.budget.tick()
        parts = [str(value) for value in values]
        check_size("", sum(map(len, parts)))
        return "".join(parts)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """A call (function, method, macro), checked before and after, within the deadline."""
        self.budget.tick()
        receiver = getattr(obj, "__self__", None)
        if isinstance(receiver, str):
            precheck(getattr(obj, "__name__", ""), (receiver, *args), kwargs)
        result = check_size(super().call(context, obj, *args, **kwargs))
        if isinstance(receiver, list | dict | set):
            check_size(receiver)
        return result

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``obj.attribute``, within the deadline; a field of the report's own data read directly.

        The sandbox's own checks cost more than the rest of a 10,000-run
        report together, and a field of one of opsctl's dataclasses is plain
        data: only other attributes go through them.
        """
        self.budget.tick()
        if attribute in _plain_fields(type(obj)):
            return obj.__dict__[attribute]
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """``obj[argument]``, within the deadline."""
        self.budget.tick()
        return super().getitem(obj, argument)

    def wrap_str_format(self, value: Any) -> Any:
        """``str.format``, refused when a field's width is over the limit or a variable."""
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            check_format_fields(value.__self__)
        return wrapped


_PLAIN_FIELDS: dict[type, frozenset[str]] = {}


def _plain_fields(kind: type) -> frozenset[str]:
    """The fields of one of opsctl's (unslotted) dataclasses, else none."""
    found = _PLAIN_FIELDS.get(kind)
    if found is None:
        plain = dataclasses.is_dataclass(kind) and kind.__module__.startswith("opsctl.")
        found = frozenset(
            field.name
            for field in (
                dataclasses.fields(kind) if plain and "__slots__" not in vars(kind) else ()
            )
            if not field.name.startswith("_")
        )
        _PLAIN_FIELDS[kind] = found
    return found


class ContainedLoader(FileSystemLoader):
    """A template must really live in its folder: no symlink out of it."""

    def get_source(self, environment: Any, template: str) -> Any:
        """The template's source, if its real path is inside one of the folders."""
        source, filename, uptodate = super().get_source(environment, template)
        roots = [Path(root).resolve() for root in self.searchpath]
        if not any(Path(filename).resolve().is_relative_to(root) for root in roots):
            raise TemplateNotFound(template)
        return source, filename, uptodate


def _mermaid_label(value: object) -> str:
    return str(value).replace('"', "'").replace("\n", " ")


def _environment(folders: list[Path], budget: Budget, html: bool = False) -> LimitedSandbox:
    environment = LimitedSandbox(
        budget,
        loader=ChoiceLoader([ContainedLoader(str(folder)) for folder in folders]),
        undefined=StrictUndefined,
        autoescape=html,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        optimized=False,  # nothing of a template is evaluated while compiling it
    )
    environment.filters.update(
        cell=cell, number=number_text, mermaid=_mermaid_label, table=table, change=change_text
    )
    environment.guard_filters()
    return environment


def _template_folders(workspace_templates: Path | None, inside: Path | None) -> list[Path]:
    """The workspace's templates folder (if it has one, inside it), then the built-ins."""
    folders = [data_dir("templates")]
    if workspace_templates is None or not workspace_templates.is_dir():
        return folders
    target = workspace_templates.resolve()
    if inside is not None and not target.is_relative_to(inside.resolve()):
        raise TemplateError(
            f"{workspace_templates}: leads out of the workspace (to {target}); "
            "templates must live inside it"
        )
    return [workspace_templates, *folders]


def _template_line(exc: BaseException, folders: list[Path], default: str) -> str:
    roots = [str(folder) for folder in folders]
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if any(frame.filename.startswith(root) for root in roots):
            return f"{frame.filename}:{frame.lineno}"
    return default


def _stream(template: Template, context: object, budget: Budget) -> str:
    """The rendered text, control characters stripped, stopped past MAX_OUTPUT characters."""
    parts: list[str] = []
    size = 0
    for chunk in template.generate(report=context):
        budget.tick()
        text = strip_controls(chunk)
        size += len(text)
        if size > MAX_OUTPUT:
            raise RenderLimit(f"the report is over {MAX_OUTPUT >> 20} MiB; stopped")
        parts.append(text)
    return "".join(parts)


RENDER_ERRORS = (
    JinjaError,
    RenderLimit,
    MemoryError,
    ArithmeticError,
    TypeError,
    ValueError,
    LookupError,
    AttributeError,
    RecursionError,
)
"""What a template can cause; anything else is a bug in opsctl."""


def _problem(exc: BaseException, name: str, folders: list[Path]) -> str:
    if isinstance(exc, TemplateSyntaxError):
        return f"{exc.filename or name}:{exc.lineno}: {exc.message}"
    where = _template_line(exc, folders, name)
    if isinstance(exc, MemoryError):
        return f"{where}: needs more than {MEMORY_HEADROOM >> 20} MiB of memory to render; stopped"
    if isinstance(exc, JinjaError | RenderLimit):
        return f"{where}: {exc}"
    return f"{where}: {type(exc).__name__}: {exc}"


def render(
    kind: str,
    context: object,
    workspace_templates: Path | None,
    inside: Path | None = None,
    output_format: str = "markdown",
) -> str:
    """Render the monthly or quarterly report for a context, within the limits.

    ``inside`` is the workspace's root: a templates folder leading out of it
    is refused. ``output_format`` is ``markdown`` or ``html`` (autoescaped).
    """
    folders = _template_folders(workspace_templates, inside)
    name = kind + FORMAT_SUFFIXES[output_format]
    html = output_format == "html"
    budget = Budget(RENDER_SECONDS)
    try:
        with memory_ceiling(MEMORY_HEADROOM), alarm(budget):
            try:
                template = _environment(folders, budget, html).get_template(name)
                name = template.filename or name
                return _stream(template, context, budget)
            except RENDER_ERRORS as exc:
                budget.stopped = True
                raise TemplateError(_problem(exc, name, folders)) from None
    except RenderLimit:  # the alarm went off just as the rendering ended
        raise TemplateError(f"{name}: {budget.message}") from None


def workspace_context(
    workspace: Workspace,
    catalog: Catalog,
    team: str,
    kind: str,
    period: Period,
    people: Any = (),
    today: dt.date | None = None,
) -> ReportContext:
    """The report context of a workspace's runs, KPIs and reviews held for one period.

    ``team`` and ``people`` come from the configuration the caller has already
    read; ``today`` judges a period not yet over as of that day.
    """
    from opsctl.review.context import ReportInputs, context_of_parts
    from opsctl.review.parts import report_window, run_part
    from opsctl.store.metrics import MetricsStore
    from opsctl.store.reviews import ReviewStore
    from opsctl.store.runs import RunStore

    window = report_window(period, today)
    derive = partial(run_part, window=window)
    parts = RunStore(workspace).parts(window.name, derive)
    metrics = list(catalog.metrics().values())
    frameworks = catalog.frameworks()
    inputs = ReportInputs(
        people=tuple(people),
        owners={fw.id: fw.approval for fw in frameworks if fw.approval},
        reviews=ReviewStore(workspace).load(),
        cadences=tuple(sorted({r.cadence.value for fw in frameworks for r in fw.review})),
        today=today,
    )
    readings = MetricsStore(workspace).load()
    return context_of_parts(kind, team, window, parts, metrics, readings, inputs)


def workspace_report(
    workspace: Workspace,
    catalog: Catalog,
    team: str,
    kind: str,
    period: Period,
    generated_at: str = "",
    *,
    people: Any = (),
    output_format: str = "markdown",
    today: dt.date | None = None,
) -> str:
    """Render a review report (Markdown or HTML) of a workspace's runs and KPIs for one period."""
    context = workspace_context(workspace, catalog, team, kind, period, people, today)
    context.generated_at = generated_at
    return render(kind, context, workspace.templates_dir, workspace.root, output_format)
