"""The monthly and quarterly reports rendered on the fixed fixture workspace.

Snapshots: ``tests/snapshots/monthly.md`` and ``tests/snapshots/quarterly.md`` hold the
expected reports of ``report_fixture`` (``opsctl report monthly --month 2026-11`` and
``opsctl report quarterly --quarter 2026-Q4``), compared byte for byte. After an
intended change to the templates or the context, rewrite them with

    UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_reports.py

and review the diff like any other change.

The Markdown is also parsed with markdown-it-py (CommonMark plus GFM tables) to
prove every table keeps its columns, also when user text holds pipes, backticks,
newlines, HTML and emphasis, and that no raw HTML gets through.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

import report_fixture as fx
from helpers import run_main
from opsctl.store.workspace import Workspace
from opsctl.text import cell

SNAPSHOTS = Path(__file__).parent / "snapshots"
REPORTS = {
    "monthly": ["report", "monthly", "--month", fx.MONTH],
    "quarterly": ["report", "quarterly", "--quarter", fx.QUARTER],
}


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    built = fx.build_workspace(tmp_path / "fixture")
    monkeypatch.chdir(built.root)
    return built


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    built = fx.build_workspace(tmp_path / "hostile", fx.HOSTILE)
    monkeypatch.chdir(built.root)
    return built


def report(kind: str, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code, out, err = run_main([*REPORTS[kind], *extra], capsys)
    assert code == 0, err
    return out


def parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def split_row(line: str) -> list[str]:
    """Cells of a GFM table row: split on pipes not escaped by a backslash."""
    cells, current, escaped = [], "", False
    for char in line.strip():
        if char == "|" and not escaped:
            cells.append(current)
            current = ""
        else:
            current += char
        escaped = char == "\\" and not escaped
    cells.append(current)
    if line.strip().startswith("|"):
        cells = cells[1:]
    if line.strip().endswith("|") and not escaped:
        cells = cells[:-1]
    return cells


def inline_text(token: Token) -> str:
    return "".join(child.content for child in token.children or [])


def check_tables(text: str) -> list[list[list[str]]]:
    """Assert every table is well formed; return each table's rows of rendered cell text."""
    tokens = parser().parse(text)
    lines = text.splitlines()
    assert not [t for t in tokens if t.type in ("html_block", "html_inline")]
    assert not [
        c for t in tokens if t.type == "inline" for c in t.children or [] if c.type == "html_inline"
    ]
    tables: list[list[list[str]]] = []
    table_lines: set[int] = set()
    rows: list[list[str]] = []
    inside = False
    for token in tokens:
        if token.type == "table_open":
            assert token.map is not None
            start, end = token.map
            table_lines.update(range(start, end))
            source = [split_row(line) for line in lines[start:end]]
            widths = {len(row) for row in source}
            assert widths == {len(source[0])}, (lines[start:end], widths)
            rows, inside = [], True
        elif token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and inside:
            rows[-1].append(inline_text(token))
        elif token.type == "table_close":
            assert {len(row) for row in rows} == {len(rows[0])}
            tables.append(rows)
            inside = False
    # No table-looking line was left out of a table (a broken row would become a paragraph).
    stray = [n for n, line in enumerate(lines) if line.startswith("|") and n not in table_lines]
    assert stray == [], [lines[n] for n in stray]
    return tables


def update_or_compare(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    assert path.exists(), f"{path} is missing: run with UPDATE_SNAPSHOTS=1 to create it"
    expected = path.read_bytes().decode("utf-8")
    assert text == expected, f"{name} differs from its snapshot (UPDATE_SNAPSHOTS=1 to accept)"


# --- snapshots and reproducibility ---------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(REPORTS))
def test_snapshot(
    workspace: Workspace,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    monkeypatch.setenv("OPSCTL_NOW", "2027-01-05T10:00:00Z")  # both periods are over
    text = report(kind, capsys)
    update_or_compare(f"{kind}.md", text)
    # The CLI prints exactly what the library renders.
    label = fx.MONTH if kind == "monthly" else fx.QUARTER
    assert fx.render(workspace, kind, label) == text


@pytest.mark.parametrize("kind", sorted(REPORTS))
def test_rendering_is_reproducible(
    workspace: Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    kind: str,
) -> None:
    monkeypatch.setenv("OPSCTL_NOW", "2027-01-05T10:00:00Z")  # a period over stays as it was
    first = report(kind, capsys)
    monkeypatch.setenv("OPSCTL_NOW", "2030-06-30T23:59:00Z")
    second = report(kind, capsys)
    assert first.encode() == second.encode()
    # The same story built in another folder renders the same bytes.
    other = fx.build_workspace(tmp_path / "elsewhere")
    monkeypatch.chdir(other.root)
    assert report(kind, capsys).encode() == first.encode()
    assert "generated" not in first


@pytest.mark.parametrize("kind", sorted(REPORTS))
def test_stamp_adds_the_generation_time(
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    kind: str,
) -> None:
    monkeypatch.setenv("OPSCTL_NOW", "2026-12-05T10:00:00Z")
    plain = report(kind, capsys)
    stamped = report(kind, capsys, "--stamp")
    assert "generated 2026-12-05 10:00 UTC" in stamped
    changed = [
        (a, b) for a, b in zip(plain.splitlines(), stamped.splitlines(), strict=True) if a != b
    ]
    assert len(changed) == 1
    assert changed[0][1] == changed[0][0].removesuffix(".") + "; generated 2026-12-05 10:00 UTC."


# --- Markdown structure --------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(REPORTS))
def test_every_table_keeps_its_columns(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    tables = check_tables(report(kind, capsys))
    assert len(tables) >= 8
    assert tables[0][0] == ["Measure", "Value"]


@pytest.mark.parametrize("kind", sorted(REPORTS))
def test_mermaid_charts_each_followed_by_a_table(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    tokens = [t for t in parser().parse(report(kind, capsys)) if t.level == 0]
    charts = [i for i, t in enumerate(tokens) if t.type == "fence" and t.info == "mermaid"]
    assert len(charts) >= 2
    for index in charts:
        body = tokens[index].content
        assert body.startswith("xychart-beta\n")
        labels = re.search(r"x-axis \[(.*)\]", body)
        values = re.search(r"(?:line|bar) \[(.*)\]", body)
        assert labels
        assert values
        assert len(labels[1].split(", ")) == len(values[1].split(", "))
        following = index + 1
        while tokens[following].type == "fence" and tokens[following].info == "mermaid":
            following += 1
        assert tokens[following].type == "table_open", body
    assert any("bar [" in tokens[i].content for i in charts)  # progress by framework
    assert any("line [" in tokens[i].content for i in charts)  # KPI trends


def test_trend_table_holds_the_chart_data(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    text = report("monthly", capsys)
    tables = check_tables(text)
    trend = next(table for table in tables if table[0][0] == "KPI" and "2026-11" in table[0])
    assert trend[0] == ["KPI", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    rows = {row[0]: row[1:] for row in trend[1:]}
    assert rows["Quality assurance"] == ["55", "56", "-", "60", "61", "62"]
    assert rows["Development efficiency"] == ["25", "26", "27", "28", "28.5", "29"]
    assert "line [55, 56, 60, 61, 62]" in text


def test_no_nan_or_inf_in_reports(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    for kind in REPORTS:
        words = set(re.findall(r"[a-z]+", report(kind, capsys).lower()))
        assert not words & {"nan", "inf", "infinity"}


# --- hostile user text ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(REPORTS))
def test_user_text_cannot_break_tables_or_inject_html(
    hostile: Workspace, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    text = report(kind, capsys)
    assert "<script>" not in text
    assert "<script>" not in parser().render(text)
    tables = check_tables(text)
    cells = [value for table in tables for row in table for value in row if "Pipe" in value]
    assert cells, "the hostile text should appear in some table"
    shown = " ".join(fx.NASTY.split())
    for value in cells:
        # The cell shows the user's text literally: no lost pipe, no emphasis, no markup.
        assert shown in value, value
    if kind == "monthly":
        # Title, block reason, skip reason and approval comment each reach a table.
        assert any(value.startswith("Release Pipe") for value in cells)
        assert any(value.startswith("Checkout Pipe") for value in cells)
        assert any(value.startswith("Block Pipe") for value in cells)
        assert any(value.startswith("Skip Pipe") for value in cells)
        assert any(value.startswith("Comment Pipe") for value in cells)
    # Where the user's text appears, it brings no emphasis, link or HTML of its own.
    for token in parser().parse(text):
        if token.type == "inline" and "Pipe" in token.content:
            kinds = {child.type for child in token.children or []}
            assert not kinds & {"em_open", "strong_open", "link_open", "html_inline"}, kinds


def test_team_name_is_escaped_outside_tables(
    hostile: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    text = report("monthly", capsys)
    team = next(t for t in parser().parse(text) if t.type == "inline" and "Team:" in t.content)
    children = team.children or []
    first_line = children[: [c.type for c in children].index("softbreak")]
    assert "".join(c.content for c in first_line) == f"Team: {' '.join(fx.NASTY.split())}."
    assert {c.type for c in first_line} == {"text"}


@pytest.mark.parametrize("text", ["C:\\temp\\|x", "a \\\\ b", "ends with \\", "\\`code\\`"])
def test_backslashes_in_user_text_survive(text: str) -> None:
    source = f"| h | i |\n| --- | --- |\n| {cell(text)} | z |\n"
    tables = check_tables(source)
    assert tables[0][1] == [text, "z"]


# --- templates -----------------------------------------------------------------------------


def write_template(workspace: Workspace, name: str, text: str) -> Path:
    workspace.templates_dir.mkdir(exist_ok=True)
    path = workspace.templates_dir / name
    path.write_text(text, encoding="utf-8")
    return path


def test_workspace_template_overrides_the_builtin(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    write_template(
        workspace,
        "monthly.md.j2",
        '{% import "_macros.md.j2" as m %}\n'
        "# Our review of {{ report.period.label }}\n\n"
        "{{ m.runs_table(report.runs_active) }}",
    )
    text = report("monthly", capsys)
    assert text.startswith("# Our review of 2026-11\n")
    assert "| `rel-3-0` | Release 3.0 |" in text
    check_tables(text)
    # The quarterly report still uses the built-in template.
    assert report("quarterly", capsys).startswith("# Quarterly optimization review: 2026-Q4")


def test_template_syntax_error_names_file_and_line(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_template(workspace, "monthly.md.j2", "# Title\n\n{% if report.team %}\nopen\n")
    code, out, err = run_main(REPORTS["monthly"], capsys)
    assert code == 2
    assert out == ""
    assert f"{path}:4:" in err
    assert "endif" in err
    assert "Traceback" not in err


def test_undefined_variable_names_file_and_line(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_template(
        workspace, "monthly.md.j2", "# {{ report.period.label }}\n\nRuns: {{ report.runz }}\n"
    )
    code, _, err = run_main(REPORTS["monthly"], capsys)
    assert code == 2
    assert f"{path}:3:" in err
    assert "runz" in err
    write_template(workspace, "monthly.md.j2", "x\n{{ not_a_variable }}\n")
    code, _, err = run_main(REPORTS["monthly"], capsys)
    assert code == 2
    assert f"{path}:2:" in err
    assert "not_a_variable" in err


@pytest.mark.parametrize(
    "expression",
    [
        "''.__class__.__mro__",
        "''.__class__.__mro__[1].__subclasses__()",
        "report.__class__.__init__.__globals__",
        "cycler.__init__.__globals__.os",
        "report.period.__class__.__dict__",
    ],
)
def test_sandbox_escape_is_refused(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], expression: str
) -> None:
    path = write_template(workspace, "monthly.md.j2", f"line one\n{{{{ {expression} }}}}\n")
    code, out, err = run_main(REPORTS["monthly"], capsys)
    assert code == 2, err
    assert out == ""
    assert str(path) in err
    assert "unsafe" in err or "undefined" in err
    assert "Traceback" not in err
    assert "internal error" not in err


RECURSIVE = "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"


@pytest.mark.parametrize(
    "expression",
    [
        "{{ 1 / 0 }}",
        "{{ range(10 ** 9) | list | length }}",  # the sandbox's OverflowError
        "{{ 'a' + 1 }}",
        "{{ '%d' % 'x' }}",
        "{{ report.period.months(1) }}",
        RECURSIVE,
    ],
)
def test_any_template_failure_is_a_usage_error(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], expression: str
) -> None:
    path = write_template(workspace, "monthly.md.j2", f"line one\n{expression}\n")
    code, out, err = run_main(REPORTS["monthly"], capsys)
    assert code == 2, err
    assert out == ""
    assert f"{path}:2:" in err
    assert "internal error" not in err
