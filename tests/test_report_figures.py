"""Every headline figure of the demo's reports, Markdown and HTML, checked against JSON.

The demo (``opsctl demo`` at ``OPSCTL_NOW=2026-12-03T09:00:00Z``) is rendered
as the monthly reports of 2026-10 and 2026-11 and the quarterly reports of
2026-Q3 and 2026-Q4, each as Markdown and as HTML, and read back as tables.
Each figure must equal the one in ``opsctl report ... --format json`` (the
command the appendix names), and those JSON figures must agree with the
everyday commands (``runs``, ``metric list``, ``waivers``, ``review due``).
Every command the appendix lists is run and must print JSON.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from helpers import process_ok
from opsctl.review.figures import change_text, number
from report_html import parse

NOW = "2026-12-03T09:00:00Z"
PERIODS = [
    ("monthly", "--month", "2026-10"),
    ("monthly", "--month", "2026-11"),
    ("quarterly", "--quarter", "2026-Q3"),
    ("quarterly", "--quarter", "2026-Q4"),
]
SUMMARY_ROWS = {
    "Runs started": "{runs_started}",
    "Runs completed": "{runs_completed}",
    "Gates passed / refused": "{gates_passed} / {gates_refused}",
    "Sign-offs given / voided": "{sign_offs_given} / {sign_offs_voided}",
    "Blocked items": "{blocked_items}",
    "Runs overdue (their open required items)": "{runs_overdue} ({overdue_open_items})",
    "Waivers granted / expiring": "{waivers_granted} / {waivers_expiring}",
    "KPIs on track": "{kpis_on_track} of {kpis}",
}


@dataclass
class Rendered:
    """One report as Markdown and HTML tables by section, and its JSON figures."""

    markdown: dict[str, list[list[list[str]]]]
    html: dict[str, list[list[list[str]]]]
    figures: dict[str, Any]
    text: str


def markdown_tables(text: str) -> dict[str, list[list[list[str]]]]:
    """Tables (header row first) under each ``##`` heading."""
    found: dict[str, list[list[list[str]]]] = {}
    section, heading, rows, cell = "", False, None, None
    for token in MarkdownIt("commonmark").enable("table").parse(text):
        if token.type == "heading_open":
            heading = token.tag == "h2"
        elif token.type == "inline" and heading:
            section, heading = token.content, False
        elif token.type == "table_open":
            rows = []
        elif token.type == "tr_open" and rows is not None:
            rows.append([])
        elif token.type == "inline" and rows is not None:
            cell = "".join(c.content for c in token.children or [])
            rows[-1].append(cell)
        elif token.type == "table_close" and rows is not None:
            found.setdefault(section, []).append(rows)
            rows = None
    return found


def html_tables(text: str) -> dict[str, list[list[list[str]]]]:
    """Tables (header row first) of each section, named by its ``<h2>`` heading."""
    page = parse(text)
    headings = re.findall(r'<section id="([^"]+)">\s*<h2>([^<]+)</h2>', text)
    names = dict(headings)
    found: dict[str, list[list[list[str]]]] = {}
    for table in page.tables:
        found.setdefault(names[table.section], []).append([table.header, *table.rows])
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("figures")
    process_ok(["demo", str(root / "demo")], cwd=root, env={"OPSCTL_NOW": NOW})
    return root / "demo"


def opsctl_json(demo: Path, *args: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(
        process_ok([*args, "--format", "json"], cwd=demo, env={"OPSCTL_NOW": NOW})
    )
    return result


@pytest.fixture(scope="module")
def reports(demo: Path) -> dict[str, Rendered]:
    env = {"OPSCTL_NOW": NOW}
    found = {}
    for cadence, flag, label in PERIODS:
        args = ["report", cadence, flag, label]
        markdown = process_ok(args, cwd=demo, env=env)
        html = process_ok([*args, "--format", "html"], cwd=demo, env=env)
        figures = opsctl_json(demo, *args)
        assert figures["kind"] == "report-figures" and figures["period"] == label
        found[label] = Rendered(markdown_tables(markdown), html_tables(html), figures, markdown)
    return found


def both(rendered: Rendered) -> list[dict[str, list[list[list[str]]]]]:
    return [rendered.markdown, rendered.html]


def rows_under(tables: dict[str, list[list[list[str]]]], section: str, header: str) -> list:
    """The body rows of the table in ``section`` whose header row starts with ``header``."""
    for table in tables.get(section, []):
        if " | ".join(table[0]).startswith(header):
            return table[1:]
    return []


def plain(text: str) -> str:
    return text.replace("`", "")


@pytest.mark.parametrize("label", [p[2] for p in PERIODS])
def test_summary_figures_equal_the_json(reports: dict[str, Rendered], label: str) -> None:
    rendered = reports[label]
    summary = rendered.figures["summary"]
    active = "month" if label[5:].isdigit() else "quarter"
    expected = {**SUMMARY_ROWS, f"Runs active at {active} end": "{runs_active}"}
    for tables in both(rendered):
        rows = {row[0]: row[1] for row in tables["Summary"][0][1:]}
        for name, shape in expected.items():
            assert rows[name] == shape.format(**summary), (label, name)


@pytest.mark.parametrize("label", [p[2] for p in PERIODS])
def test_kpi_figures_equal_the_json(reports: dict[str, Rendered], label: str) -> None:
    rendered = reports[label]
    section = "KPIs against targets" if label[5:].isdigit() else "KPIs: quarter over quarter"
    for tables in both(rendered):
        rows = tables[section][0][1:]
        assert len(rows) == len(rendered.figures["kpis"]) == rendered.figures["summary"]["kpis"]
        for row, kpi in zip(rows, rendered.figures["kpis"], strict=True):
            assert row[0].startswith(kpi["title"])
            assert row[1] == f"{number(kpi['baseline'])} ({kpi['baseline_period']})"
            assert row[2] == f"{number(kpi['latest'])} ({kpi['latest_period']})"
            assert row[3] == change_text(kpi["change"], kpi["direction"])
            assert row[5] == f"{number(kpi['progress'])}%"
            assert row[6].endswith(kpi["status"])
            if len(row) > 7:
                assert row[7] == change_text(kpi["change_previous"], kpi["direction"])


def test_a_lower_is_better_kpi_that_fell_reads_as_a_fall_that_is_better(
    reports: dict[str, Rendered],
) -> None:
    for tables in both(reports["2026-11"]):
        row = next(r for r in tables["KPIs against targets"][0] if r[0].startswith("Defect"))
        # 18 -> 14.1: down 21.666...%, shown half-up with its sign and verdict.
        assert row[3] == "-21.7% (better)"


@pytest.mark.parametrize("label", [p[2] for p in PERIODS])
def test_attention_and_waivers_equal_the_json(reports: dict[str, Rendered], label: str) -> None:
    rendered = reports[label]
    figures = rendered.figures
    for tables in both(rendered):
        overdue = rows_under(tables, "Needs attention", "Run | Title | Due | Days late")
        assert [(plain(r[0]), r[3], r[5]) for r in overdue] == [
            (o["run"], str(o["days_late"]), str(o["open_items"])) for o in figures["overdue_runs"]
        ]
        granted = rows_under(tables, "Waivers", "Run | Item | Reason | Granted by")
        assert [(plain(r[0]), r[4]) for r in granted] == [
            (w["run"], w["date"]) for w in figures["waivers_granted"]
        ]
        recommendations = rows_under(tables, "Recommendations", "# | Topic | Who acts")
        assert len(recommendations) == figures["summary"]["recommendations"]


def test_a_period_not_over_counts_overdue_as_of_today(
    demo: Path, reports: dict[str, Rendered]
) -> None:
    """On 2026-12-03 the Q4 review lists late the runs ``opsctl runs`` calls overdue, no more."""
    runs = opsctl_json(demo, "runs")["runs"]
    late_today = sorted(run["id"] for run in runs if run["overdue"])
    q4 = reports["2026-Q4"].figures
    assert sorted(line["run"] for line in q4["overdue_runs"]) == late_today
    assert q4["summary"]["runs_overdue"] == len(late_today) == 1
    november = reports["2026-11"].figures
    assert [line["run"] for line in november["overdue_runs"]] == late_today


@pytest.mark.parametrize("label", ["2026-11", "2026-Q4"])
def test_progress_equals_the_runs_command(
    demo: Path, reports: dict[str, Rendered], label: str
) -> None:
    """Nothing happened after November, so ``opsctl runs`` shows November's progress today.

    Q4 is not over: its report judges it as of today, as ``opsctl runs`` does
    (rel-2-4's waiver, lapsing before the quarter ends, still counts).
    """
    runs = {run["id"]: run for run in opsctl_json(demo, "runs")["runs"]}
    figures = reports[label].figures
    for line in figures["runs_active"]:
        progress = runs[line["id"]]["progress"]
        assert (line["complete"], line["total"]) == (
            progress["complete"],
            progress["total"],
        )
    for tables in both(reports[label]):
        rows = tables["Progress by framework"][0][1:]
        for row, item in zip(rows, figures["progress_by_framework"], strict=True):
            share = f"{item['complete']}/{item['total']} ({number(item['percent'])}%)"
            assert row[2] == share
    shares = [f"{p['complete']}/{p['total']}" for p in figures["progress_by_framework"]]
    assert "2/16" in shares and 12.5 in [p["percent"] for p in figures["progress_by_framework"]]


@pytest.mark.parametrize("label", ["2026-11", "2026-Q4"])
def test_kpis_equal_the_metric_command(
    demo: Path, reports: dict[str, Rendered], label: str
) -> None:
    metrics = {m["id"]: m for m in opsctl_json(demo, "metric", "list")["metrics"]}
    for kpi in reports[label].figures["kpis"]:
        listed = metrics[kpi["id"]]
        assert listed["baseline"]["value"] == kpi["baseline"]
        assert listed["latest"]["value"] == kpi["latest"]
        assert listed["status"] == kpi["status"]


def test_waivers_and_review_cycle_equal_the_everyday_commands(
    demo: Path, reports: dict[str, Rendered]
) -> None:
    waivers = opsctl_json(demo, "waivers")["waivers"]
    expiring = reports["2026-11"].figures["waivers_expiring"]
    assert [(w["run"], w["key"], w["date"]) for w in expiring] == [
        (w["run"], w["item"], w["expires"]) for w in waivers
    ]
    assert opsctl_json(demo, "review", "due")["reviews"] == []
    held = json.loads((demo / ".opsctl" / "reviews.json").read_text())["reports"]
    cycle = {line["cadence"]: line for line in reports["2026-11"].figures["review_cycle"]}
    # As of 2026-12-01 the November review itself is the one due; October was the last held.
    assert (cycle["monthly"]["last_period"], cycle["monthly"]["next_period"]) == (
        "2026-10",
        "2026-11",
    )
    assert cycle["quarterly"]["last_period"] == "2026-Q3"
    assert {(r["cadence"], r["period"]) for r in held} >= {("monthly", "2026-10")}
    assert all(line["overdue"] == [] for line in cycle.values())
    for tables in both(reports["2026-11"]):
        rows = {row[0]: row for row in tables["Review cycle"][0][1:]}
        assert rows["monthly"][1].startswith("2026-10 (held 2026-11-01 by pm@example.com)")
        assert rows["monthly"][2] == "2026-11 (due 2026-12-01)"


def test_every_appendix_command_prints_json(demo: Path, reports: dict[str, Rendered]) -> None:
    rendered = reports["2026-11"]
    appendix = rendered.markdown["Appendix: where each figure comes from"][0]
    commands = {
        command.strip()
        for row in appendix[1:]
        for command in re.findall(r"opsctl [^;]+?--format json", row[1])
    }
    assert "opsctl report monthly --month 2026-11 --format json" in commands
    assert len(commands) >= 6
    for command in sorted(commands):
        args = command.split()[1:-2]
        args = ["rel-2-4" if arg == "RUN" else arg for arg in args]
        document = opsctl_json(demo, *args)
        assert document["kind"] and document["version"] >= 1, command
