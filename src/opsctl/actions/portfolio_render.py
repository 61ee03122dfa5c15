"""The portfolio review as Markdown, HTML or JSON, and the files ``--output DIR`` writes.

``--output DIR`` writes ``DIR/portfolio-<period>.<md|html|json>`` and each
team's own report as ``DIR/<team>/<period>.md``, linked relatively from the
portfolio, so the folder can be moved, zipped or published as it is. The
templates are opsctl's own (``templates/portfolio.*.j2``), rendered in a
Jinja sandbox; HTML autoescapes every value and needs no network or script.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2.sandbox import SandboxedEnvironment

from opsctl.actions.portfolio import PortfolioReport, portfolio_report
from opsctl.actions.portfolio_sources import Advance, Selection
from opsctl.actions.reports import STAMP_FORMAT, report_period
from opsctl.clock import now
from opsctl.review.figures import number
from opsctl.store.files import write_output
from opsctl.text import cell, strip_controls

FORMATS = {"markdown": "md", "html": "html", "json": "json"}


def _pct(value: float | None) -> str:
    """A share in percent as the team reports write it (half-up, one decimal at most)."""
    return "-" if value is None else f"{number(value)}%"


def _number(value: float | None) -> str:
    """A reading as the team reports write it (half-up, one decimal at most)."""
    return "-" if value is None else number(value)


@cache
def _environment() -> SandboxedEnvironment:
    from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined

    from opsctl.definitions.source import data_dir

    environment = SandboxedEnvironment(
        loader=ChoiceLoader([FileSystemLoader(str(data_dir("templates")))]),
        undefined=StrictUndefined,
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(cell=cell, pct=_pct, number=_number, plain=strip_controls)
    return environment


def render_portfolio(report: PortfolioReport, report_format: str) -> str:
    """The portfolio review in ``markdown``, ``html`` or ``json`` (the versioned envelope)."""
    if report_format == "json":
        return report.to_json()
    template = _environment().get_template(f"portfolio.{FORMATS[report_format]}.j2")
    return template.render(report=report)


@dataclass(frozen=True)
class PortfolioReview:
    """The review's figures, its text in the format asked for, and the files written."""

    report: PortfolioReport
    text: str
    written: list[str]


def portfolio_review(
    selection: Selection,
    cadence: str,
    label: str | None,
    report_format: str,
    output: Path | None = None,
    *,
    stamp: bool = False,
    advance: Advance | None = None,
) -> PortfolioReview:
    """Render the organisation's monthly or quarterly review; with ``output``, write the folder.

    ``stamp`` adds the generation time (off by default: same inputs, same bytes).
    """
    period = report_period(cadence, label, now().date())
    stamped = now().strftime(STAMP_FORMAT) if stamp else ""
    team_format = "html" if report_format == "html" else "markdown"
    report = portfolio_report(selection, cadence, period, output, stamped, advance, team_format)
    text = render_portfolio(report, report_format)
    written: list[str] = []
    if output is not None:
        main = output / f"portfolio-{period.label}.{FORMATS[report_format]}"
        write_output(main, text)
        written = [str(main), *(str(output / team.report) for team in report.teams if team.report)]
    return PortfolioReview(report=report, text=text, written=written)
