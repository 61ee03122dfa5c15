"""KPI definitions: what a metric measures, its target, bounds, deadline and source.

A metric declares its unit, its direction, the bounds its values lie in (a
percentage lies in 0..100) and, when it is a KPI, a target in one of four
forms. It may say where its readings are computed from (``source:``) and
write down how the seed's words were interpreted (``assumption:``), so
docs, ``metric show`` and the reports print the interpretation beside the
number. The arithmetic of targets lives in :mod:`opsctl.review.kpi`.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_Id = Annotated[str, Field(pattern=_SLUG, min_length=1, max_length=64)]
_Text = Annotated[str, Field(min_length=1)]
_Loc = tuple[str | int, ...]
DEFAULT_DEADLINE_QUARTERS = 4
"""When a definition sets no deadline: four quarters after the baseline (an assumption)."""


def number_text(value: float) -> str:
    """A number for people: ``1,100,000`` for large whole numbers, else the shortest form."""
    if value.is_integer() and abs(value) >= 10_000:
        return f"{value:,.0f}"
    return f"{value:g}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True, frozen=True)


class Direction(str, Enum):
    """Which way a KPI improves."""

    HIGHER = "higher"
    LOWER = "lower"


# --- sources --------------------------------------------------------------------------


class GitMeasure(str, Enum):
    """The DORA four keys, as opsctl computes them from git."""

    DEPLOYMENT_FREQUENCY = "deployment-frequency"
    LEAD_TIME = "lead-time"
    CHANGE_FAILURE_RATE = "change-failure-rate"
    TIME_TO_RESTORE = "time-to-restore"


class GitSource(_Strict):
    """Readings from the repository's own history, through the git CLI."""

    kind: Literal["git"]
    measure: GitMeasure
    deploys: Literal["tags", "merges"] = Field(
        default="tags",
        description="What a deployment is: a tag matching 'tags', or a merge to 'branch'.",
    )
    tags: _Text = Field(default="v*", description="Glob of the tags that are deployments.")
    branch: _Text = Field(default="main", description="With deploys: merges, the branch.")
    hotfix_tags: str = Field(
        default="*hotfix*", description="Glob of tags that fix a failed deployment ('' none)."
    )
    failure_window_days: Annotated[int, Field(ge=1, le=365)] = Field(
        default=7,
        description="A deployment failed when a revert of one of its changes, or a hotfix "
        "tag, follows it within this many days.",
    )
    repository: _Text = Field(
        default=".", description="The repository, relative to the workspace's folder."
    )


class RunsMeasure(str, Enum):
    """Measures of opsctl's own runs."""

    ON_TIME_COMPLETION = "on-time-completion"
    PHASE_CYCLE_TIME = "phase-cycle-time"
    FIRST_PASS_GATE_RATE = "first-pass-gate-rate"
    WAIVER_RATE = "waiver-rate"


class RunsSource(_Strict):
    """Readings from the workspace's runs."""

    kind: Literal["runs"]
    measure: RunsMeasure
    framework: _Id | None = Field(
        default=None, description="Only runs of this framework (default: every run)."
    )


class JunitMeasure(str, Enum):
    """Measures of JUnit XML test reports."""

    PASS_RATE = "pass-rate"
    TEST_COUNT = "test-count"


class JunitSource(_Strict):
    """Readings from JUnit XML files."""

    kind: Literal["junit"]
    measure: JunitMeasure
    files: _Text = Field(description="Glob of the files, relative to the workspace's folder.")


class CommandSource(_Strict):
    """A command (an argv list, never a shell line) that prints one number."""

    kind: Literal["command"]
    argv: Annotated[list[_Text], Field(min_length=1)]
    timeout: Annotated[float, Field(gt=0, le=86_400)] = 600


Source = Annotated[
    GitSource | RunsSource | JunitSource | CommandSource, Field(discriminator="kind")
]


# --- targets ---------------------------------------------------------------------------


class TargetKind(str, Enum):
    """How a target is read (docs/reports.md#targets)."""

    RELATIVE = "relative"
    POINTS = "points"
    ABSOLUTE = "absolute"
    FAILURE_REDUCTION = "failure-reduction"


class Target(_Strict):
    """What counts as success, in one of four forms."""

    kind: TargetKind = Field(
        description="relative: change in percent of the baseline; points: change in the "
        "unit; absolute: the value to reach; failure-reduction: shrink the gap to the "
        "ideal bound (bounds.max, or bounds.min for lower-is-better) by this percent."
    )
    value: float = Field(
        allow_inf_nan=False,
        description="The percent or amount, counted in the good direction (absolute: the value).",
    )


class Bounds(_Strict):
    """The values a metric can take (a percentage: min 0, max 100)."""

    min: float | None = Field(default=None, allow_inf_nan=False)
    max: float | None = Field(default=None, allow_inf_nan=False)


class MetricCategory(str, Enum):
    """What a metric is for in the reviews."""

    KPI = "kpi"
    MEASURE = "measure"
    VALUE = "value"


_LATER_FIELDS = (
    "category",
    "target",
    "target_improvement_pct",
    "bounds",
    "deadline_quarters",
    "assumption",
    "source",
)
"""Fields a definition may leave out; dropped from the JSON form while unused, so
definitions that use none of them keep the digest runs were pinned with."""


class Metric(_Strict):
    """A KPI the framework is expected to move, or a measure it tracks."""

    id: _Id
    title: _Text
    unit: _Text
    direction: Direction
    category: MetricCategory = Field(
        default=MetricCategory.KPI,
        description="kpi: judged against its target in the reviews; measure: tracked "
        "without counting toward KPI attainment (the DORA keys); value: money the "
        "programme is expected to deliver a year (target) and realised (readings).",
    )
    target: Target | None = None
    target_improvement_pct: Annotated[float, Field(gt=0, le=1000)] | None = Field(
        default=None, description="Older spelling of target: {kind: relative, value: N}."
    )
    bounds: Bounds = Bounds.model_construct()  # no validator built at import
    deadline_quarters: Annotated[int, Field(ge=1, le=40)] | None = Field(
        default=None,
        description="Quarters from the baseline to the target "
        f"(default {DEFAULT_DEADLINE_QUARTERS}, shown as an assumption).",
    )
    assumption: str = Field(
        default="", description="How the measure and target were read from the seed."
    )
    source: Source | None = Field(
        default=None, description="Where opsctl metric collect computes readings from."
    )
    help: str = ""
    satisfies: Annotated[
        list[_Text],
        Field(description="Names of the seed clauses this part implements, for traceability."),
    ] = []

    @model_serializer(mode="wrap")
    def _drop_unused(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for name in _LATER_FIELDS:
            if name in data and getattr(self, name) == type(self).model_fields[name].default:
                del data[name]
        return data

    @property
    def goal(self) -> Target | None:
        """The target in effect (the older ``target_improvement_pct`` read as relative)."""
        if self.target is not None:
            return self.target
        if self.target_improvement_pct is not None:
            return Target(kind=TargetKind.RELATIVE, value=self.target_improvement_pct)
        return None

    @property
    def deadline_months(self) -> int:
        """Months from the baseline period to the target's deadline."""
        return 3 * (self.deadline_quarters or DEFAULT_DEADLINE_QUARTERS)

    @property
    def ideal(self) -> float | None:
        """The bound a metric improves toward (max if higher is better), if declared."""
        return self.bounds.max if self.direction is Direction.HIGHER else self.bounds.min

    def target_label(self) -> str:
        """The target in a few words: ``+45%``, ``-2 points``, ``95``, ``40% fewer failures``."""
        goal = self.goal
        if goal is None:
            return "-"
        sign = "+" if self.direction is Direction.HIGHER else "-"
        if goal.kind is TargetKind.RELATIVE:
            return f"{sign}{goal.value:g}%"
        if goal.kind is TargetKind.POINTS:
            return f"{sign}{goal.value:g} {'point' if goal.value == 1 else 'points'}"
        if goal.kind is TargetKind.ABSOLUTE:
            return number_text(goal.value)
        return f"{goal.value:g}% fewer failures"


def _relative_errors(metric: Metric, value: float) -> Iterator[str]:
    if value <= 0:
        yield f"a relative target is a change in the good direction, more than 0 (got {value:g})"
    elif value > 1000:
        yield f"a relative target is at most 1000 (got {value:g})"
    elif metric.direction is Direction.LOWER and value >= 100:
        yield f"a lower-is-better metric cannot improve by 100% or more (got {value:g})"


def _target_errors(metric: Metric, target: Target) -> Iterator[tuple[_Loc, str]]:
    value = target.value
    if target.kind is TargetKind.RELATIVE:
        yield from ((("target", "value"), message) for message in _relative_errors(metric, value))
    elif target.kind is TargetKind.POINTS and value <= 0:
        yield ("target", "value"), f"a points target is more than 0 (got {value:g})"
    elif target.kind is TargetKind.ABSOLUTE:
        low, high = metric.bounds.min, metric.bounds.max
        if (low is not None and value < low) or (high is not None and value > high):
            yield ("target", "value"), f"the target {value:g} lies outside the metric's bounds"
    elif target.kind is TargetKind.FAILURE_REDUCTION:
        if not 0 < value <= 100:
            message = f"a failure reduction is more than 0, at most 100 (got {value:g})"
            yield ("target", "value"), message
        if metric.ideal is None:
            bound = "max" if metric.direction is Direction.HIGHER else "min"
            yield (
                ("bounds",),
                f"a failure-reduction target needs bounds.{bound}: the ideal the metric "
                "approaches (failures are the gap to it)",
            )


def _metric_problems(metric: Metric) -> Iterator[tuple[_Loc, str]]:
    if metric.target is not None and metric.target_improvement_pct is not None:
        yield ("target_improvement_pct",), "give target or target_improvement_pct, not both"
    legacy = metric.target_improvement_pct
    if legacy is not None and legacy >= 100 and metric.direction is Direction.LOWER:
        yield (
            ("target_improvement_pct",),
            f"a lower-is-better metric cannot improve by 100% or more (got {legacy:g})",
        )
    low, high = metric.bounds.min, metric.bounds.max
    if low is not None and high is not None and low >= high:
        yield ("bounds",), f"bounds.min ({low:g}) must be below bounds.max ({high:g})"
    if metric.target is not None:
        yield from _target_errors(metric, metric.target)
    if metric.goal is None and metric.category is not MetricCategory.MEASURE:
        yield (), f"a {metric.category.value} needs a target (category: measure tracks one without)"


def metric_errors(metrics: list[Metric]) -> list[tuple[_Loc, str]]:
    """Problems of a framework's metrics the shape alone cannot catch, each at its field."""
    return [
        (("metrics", index, *loc), message)
        for index, metric in enumerate(metrics)
        for loc, message in _metric_problems(metric)
    ]
