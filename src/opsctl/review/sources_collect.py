"""One collector for every source: reads each git history once, the runs once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from opsctl.definitions.metric import CommandSource, GitSource, JunitSource, Metric, RunsSource
from opsctl.review.periods import Period
from opsctl.review.sources import Collected, NoData
from opsctl.store.documents import RunDocument

COMMAND_OPT_IN = "--run-commands"


class Collector:
    """Computes readings for one month, sharing the reads metrics have in common."""

    def __init__(
        self,
        root: Path,
        period: Period,
        run_commands: bool,
        load_runs: Callable[[], list[RunDocument]],
    ) -> None:
        self.root = root
        self.period = period
        self.run_commands = run_commands
        self._load_runs = load_runs
        self._runs: list[RunDocument] | None = None
        self._histories: dict[str, object] = {}

    def collect(self, metric: Metric) -> Collected:
        """The reading of one metric for the month (NoData: nothing to say for it)."""
        source = metric.source
        if isinstance(source, GitSource):
            return self._git(source)
        if isinstance(source, RunsSource):
            from opsctl.review.sources_runs import collect_runs

            if self._runs is None:
                self._runs = self._load_runs()
            return collect_runs(source, self._runs, self.period)
        if isinstance(source, JunitSource):
            from opsctl.review.sources_files import collect_junit

            return collect_junit(source, self.root)
        if isinstance(source, CommandSource):
            if not self.run_commands:
                raise NoData(f"not run: a command source runs only with {COMMAND_OPT_IN}")
            from opsctl.review.sources_files import collect_command

            return collect_command(source, self.root, self.period)
        raise NoData("no source to collect from")

    def _git(self, source: GitSource) -> Collected:
        from opsctl.review.sources_git import History, collect_git, read_history

        key = source.model_dump_json(exclude={"measure"})
        history = self._histories.get(key)
        if not isinstance(history, History):
            history = read_history(self.root, source)
            self._histories[key] = history
        return collect_git(history, source, self.period)
