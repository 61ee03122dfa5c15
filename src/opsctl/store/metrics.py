"""KPI readings: one document per workspace, kept by the same rules as runs.

A reading has a value, a period (a month, ``YYYY-MM``), an actor and an
optional note; a collected reading also has its provenance (source,
parameters, commit range or files, digests). A later reading for the same
period replaces the earlier one; the replaced value is kept in the history.
Files written before provenance existed stay valid: the field is optional.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from opsctl.store.files import SingleDocument
from opsctl.store.workspace import Workspace

METRICS_SCHEMA = 1
_PERIOD = r"^(\d{4})-(0[1-9]|1[0-2])$"


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


ParameterValue = str | int | float | bool | list[str] | None


class SourceInput(_Doc):
    """One input a collected reading was computed from: a tag, a file, a run."""

    name: str = Field(description="A deployment (tag or merge), a file path or a run id.")
    digest: str = Field(description="Its commit, the sha256 of its bytes, or its history head.")


class Provenance(_Doc):
    """Where a collected reading came from; a reading without one was typed in (manual)."""

    source: Literal["git", "runs", "junit", "command"]
    parameters: dict[str, ParameterValue] = {}
    range: str = Field(default="", description="The commit range, e.g. 'v1.2..v1.5'.")
    inputs: list[SourceInput] = []
    digest: str = Field(description="sha256 of the source, parameters, range, inputs and value.")


class Reading(_Doc):
    """One value of a KPI for one month."""

    value: float = Field(allow_inf_nan=False)
    period: str = Field(pattern=_PERIOD)
    by: str
    at: AwareDatetime
    note: str | None = None
    provenance: Provenance | None = Field(
        default=None, description="Where a collected reading came from (absent: manual)."
    )


class MetricRecord(_Doc):
    """Baseline and monthly readings of one KPI."""

    baseline: Reading | None = None
    readings: dict[str, Reading] = {}

    @model_validator(mode="after")
    def _keyed_by_period(self) -> MetricRecord:
        for key, reading in self.readings.items():
            if key != reading.period:
                raise ValueError(f"readings key '{key}' holds a reading for {reading.period}")
        return self

    def latest(self) -> Reading | None:
        """The reading of the most recent period."""
        return self.readings[max(self.readings)] if self.readings else None

    def ordered(self) -> list[Reading]:
        """Readings in period order."""
        return [self.readings[period] for period in sorted(self.readings)]


class MetricEvent(_Doc):
    """A change to the readings: who recorded what, replacing what."""

    at: AwareDatetime
    actor: str
    action: Literal["record", "baseline"]
    metric: str
    period: str
    value: float
    previous: float | None = None
    note: str | None = None
    provenance: Provenance | None = None


class MetricsDocument(_Doc):
    """``.opsctl/metrics.json``."""

    model_config = ConfigDict(extra="forbid", defer_build=True, populate_by_name=True)

    schema_: int = Field(METRICS_SCHEMA, alias="schema", strict=True)
    kind: Literal["metrics"] = "metrics"
    metrics: dict[str, MetricRecord] = {}
    history: list[MetricEvent] = []
    head: str = Field(default="", description="Changes with every write (see store.next_head).")


class MetricsStore(SingleDocument[MetricsDocument]):
    """The KPI readings of one workspace: ``.opsctl/metrics.json``."""

    def __init__(self, workspace: Workspace) -> None:
        super().__init__(workspace.dir / "metrics.json", MetricsDocument, METRICS_SCHEMA)
