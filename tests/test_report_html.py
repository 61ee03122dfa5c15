"""The HTML reports: one self-contained, escaped, printable page, the same bytes every time.

Parsed with the standard library's ``html.parser`` (see report_html.py): the
structure, the tables, what the page refers to, and the escaping of
hostile user text such as a run titled ``<script>alert(1)</script>``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import report_fixture as fx
from helpers import run_main, store_snapshot
from opsctl.store.workspace import Workspace
from report_html import parse, rows_by_first_cell

REPORTS = {
    "monthly": ["report", "monthly", "--month", fx.MONTH],
    "quarterly": ["report", "quarterly", "--quarter", fx.QUARTER],
}
SECTIONS = {
    "monthly": [
        "summary",
        "recommendations",
        "review-cycle",
        "since-last-review",
        "progress",
        "runs",
        "attention",
        "gates",
        "waivers",
        "kpis",
        "dora",
        "checklist",
        "appendix",
    ],
    "quarterly": [
        "summary",
        "recommendations",
        "review-cycle",
        "since-last-review",
        "kpis",
        "dora",
        "runs",
        "progress",
        "stalls",
        "attention",
        "gates",
        "waivers",
        "checklist",
        "appendix",
    ],
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


def html(kind: str, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code, out, err = run_main([*REPORTS[kind], "--format", "html", *extra], capsys)
    assert code == 0, err
    return out


def figures(kind: str, capsys: pytest.CaptureFixture[str]) -> dict:
    code, out, err = run_main([*REPORTS[kind], "--format", "json"], capsys)
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("kind", sorted(REPORTS))
def test_one_self_contained_page(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    text = html(kind, capsys)
    assert text.startswith('<!DOCTYPE html>\n<html lang="en">')
    page = parse(text)
    assert page.sections == SECTIONS[kind]
    # No script, no external file, font or image: the page loads nothing.
    assert "script" not in page.tags
    assert not {"link", "img", "iframe", "object", "embed"} & set(page.tags)
    assert page.references == []
    style = "".join(page.styles)
    assert "@media print" in style
    assert "@import" not in style and "url(" not in style and "@font-face" not in style
    # Charts are inline SVG, each with a text alternative.
    assert page.tags.count("svg") >= 2
    assert "pattern" in page.tags  # bars are hatched, not told apart by colour alone
    # Every table row has as many cells as its header.
    for table in page.tables:
        assert table.header, table
        assert all(len(row) == len(table.header) for row in table.rows), table


@pytest.mark.parametrize("kind", sorted(REPORTS))
def test_tables_hold_the_figures(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    page = parse(html(kind, capsys))
    numbers = figures(kind, capsys)["summary"]
    summary = rows_by_first_cell(page.section_tables("summary")[0])
    assert summary["Runs started"][1] == str(numbers["runs_started"])
    assert summary["Gates passed / refused"][1] == (
        f"{numbers['gates_passed']} / {numbers['gates_refused']}"
    )
    assert summary["Runs overdue (their open required items)"][1] == (
        f"{numbers['runs_overdue']} ({numbers['overdue_open_items']})"
    )
    sign_offs = page.section_tables("gates")[1]
    assert sign_offs.header[:6] == ["Signed", "Run", "Phase", "Approver", "Role", "Comment"]
    voided = [row for row in sign_offs.rows if row[6] == "voided"]
    assert [(r[3], r[4], r[7]) for r in voided] == [
        ("director@example.com", "product-director", "2026-11-10")
    ]
    assert voided[0][8].startswith("item 'execution/monitoring-live' changed after approval")
    overdue = page.section_tables("attention")[1]
    assert [row[0] for row in overdue.rows] == ["rel-3-0"]  # one row per late run
    status = [row[6] for row in page.section_tables("kpis")[0].rows]
    # Status reads without colour: a mark and a word.
    assert all(s.split(" ", 1)[0] in "✓!✗?" and s.split(" ", 1)[1] for s in status), status


@pytest.mark.parametrize("kind", sorted(REPORTS))
def test_hostile_text_is_escaped(
    hostile: Workspace, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    text = html(kind, capsys)
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    page = parse(text)
    assert "script" not in page.tags
    assert "a" not in page.tags  # the [link](x) stays text
    shown = " ".join(fx.NASTY.split())
    assert any(shown in " ".join(chunk.split()) for chunk in page.text)
    if kind == "monthly":
        titles = [row[1] for row in page.section_tables("runs")[0].rows]
        assert f"Release {shown}" in titles


@pytest.mark.parametrize("kind", sorted(REPORTS))
def test_same_inputs_same_bytes(
    workspace: Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    kind: str,
) -> None:
    monkeypatch.setenv("OPSCTL_NOW", "2027-01-05T10:00:00Z")  # a period over stays as it was
    first = html(kind, capsys)
    monkeypatch.setenv("OPSCTL_NOW", "2031-01-01T00:00:00Z")
    assert html(kind, capsys).encode() == first.encode()
    other = fx.build_workspace(tmp_path / "elsewhere")
    monkeypatch.chdir(other.root)
    assert html(kind, capsys).encode() == first.encode()


def test_output_writes_the_page_and_records_the_review(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    target = workspace.root / "reports" / "2026-11.html"
    printed = html("monthly", capsys)
    code, out, err = run_main([*REPORTS["monthly"], "--format", "html", "-o", str(target)], capsys)
    assert code == 0, err
    assert "wrote" in out
    assert target.read_text(encoding="utf-8") == printed
    reviews = json.loads((workspace.root / ".opsctl" / "reviews.json").read_text())
    assert [(r["cadence"], r["period"], r["path"]) for r in reviews["reports"]] == [
        ("monthly", "2026-11", "reports/2026-11.html")
    ]
    # Its own review being recorded does not change the report.
    assert html("monthly", capsys) == printed


def test_json_figures_cannot_be_written_as_a_report(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    before = store_snapshot(workspace.root)
    code, _, err = run_main([*REPORTS["monthly"], "--format", "json", "-o", "x.json"], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "--output" in err
    assert store_snapshot(workspace.root) == before
