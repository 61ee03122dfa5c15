"""``opsctl metric`` end to end: the real entry point in-process, and real processes at once."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import ok, run_main

KPIS = {
    "defect-escape-rate": "40% fewer failures",
    "delivery-success": "35% fewer failures",
    "development-efficiency": "+45%",
    "operational-efficiency": "50% fewer failures",
    "quality-assurance": "40% fewer failures",
}
DORA = ["change-failure-rate", "deployment-frequency", "lead-time-for-changes", "time-to-restore"]
NOW = "2026-12-05T10:00:00Z"


@pytest.fixture
def workspace(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.setenv("OPSCTL_NOW", NOW)
    code, out, err = run_main(["init"], capsys)
    assert code == 0, (out, err)
    return Path.cwd()


def store(root: Path) -> Path:
    return root / ".opsctl" / "metrics.json"


def test_list_text_shows_every_kpi_without_readings(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = ok(["metric", "list"], capsys)
    kpis, measures, values = (block.splitlines() for block in out.split("\n\n"))
    assert kpis[0].split() == ["KPI", "BASELINE", "LATEST", "CHANGE", "TARGET", "STATUS"]
    rows = {line.split()[0]: line for line in kpis[1:]}
    assert set(rows) == set(KPIS)
    for kpi, target in KPIS.items():
        assert target in rows[kpi]
        assert rows[kpi].endswith("no data")
    assert measures[0].split() == ["MEASURE", "LATEST", "UNIT", "BAND", "SOURCE"]
    assert [line.split()[0] for line in measures[1:]] == DORA
    assert all(line.endswith("git") for line in measures[1:])
    assert values[0].split() == ["VALUE", "EXPECTED", "REALISED", "UNIT"]
    assert values[1].split() == ["annual-operations-value", "1,100,000", "-", "USD", "per", "year"]
    assert "nan" not in out.lower()


def test_list_json(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok(["metric", "baseline", "development-efficiency", "20", "--period", "2026-01"], capsys)
    ok(["metric", "record", "development-efficiency", "29", "--period", "2026-11"], capsys)
    document = json.loads(ok(["metric", "list", "--format", "json"], capsys))
    assert document["version"] == 2
    assert document["kind"] == "metrics"
    by_id = {entry["id"]: entry for entry in document["metrics"]}
    assert set(KPIS) == set(by_id)
    for kpi, target in KPIS.items():
        assert by_id[kpi]["target_label"] == target
        assert by_id[kpi]["category"] == "kpi"
        assert by_id[kpi]["assumption"]
    assert by_id["quality-assurance"]["target"] == {"kind": "failure-reduction", "value": 40.0}
    assert by_id["quality-assurance"]["bounds"] == {"min": 0.0, "max": 100.0}
    assert [entry["id"] for entry in document["measures"]] == DORA
    assert {entry["source"] for entry in document["measures"]} == {"git"}
    assert [entry["id"] for entry in document["values"]] == ["annual-operations-value"]
    efficiency = by_id["development-efficiency"]
    assert efficiency["framework"] == "operations-program"
    assert efficiency["direction"] == "higher"
    assert efficiency["baseline"]["value"] == 20
    assert efficiency["latest"]["period"] == "2026-11"
    assert efficiency["improvement_pct"] == pytest.approx(45)
    assert efficiency["status"] == "on track"
    assert efficiency["goal"] == pytest.approx(29)
    assert efficiency["due"] == "2027-01"
    assert efficiency["deadline"] == "due 4 quarters after the baseline (assumed)"
    assert efficiency["latest"]["provenance"] is None  # typed in: manual
    assert by_id["defect-escape-rate"]["direction"] == "lower"
    assert by_id["quality-assurance"]["status"] == "no data"
    assert by_id["quality-assurance"]["improvement_pct"] is None


def test_record_prints_what_was_stored(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = ok(
        [
            "metric",
            "record",
            "development-efficiency",
            "31.5",
            "--period",
            "2026-11",
            "--note",
            "from the sprint report",
        ],
        capsys,
    )
    assert "development-efficiency: reading 31.5" in out
    assert "2026-11" in out
    assert "replaces" not in out
    reading = json.loads(store(workspace).read_text())["metrics"]["development-efficiency"]
    stored = reading["readings"]["2026-11"]
    assert stored["value"] == 31.5
    assert stored["note"] == "from the sprint report"
    assert stored["by"] == "pm@example.com"
    assert stored["at"] == NOW


def test_record_defaults_to_this_month(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok(["metric", "record", "delivery-success", "61"], capsys)
    readings = json.loads(store(workspace).read_text())["metrics"]["delivery-success"]["readings"]
    assert list(readings) == ["2026-12"]


def test_a_later_reading_replaces_and_keeps_history(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok(["metric", "record", "development-efficiency", "31.5", "--period", "2026-11"], capsys)
    out = ok(["metric", "record", "development-efficiency", "33", "--period", "2026-11"], capsys)
    assert "replaces 31.5" in out
    document = json.loads(store(workspace).read_text())
    assert document["metrics"]["development-efficiency"]["readings"]["2026-11"]["value"] == 33
    assert [(e["value"], e.get("previous")) for e in document["history"]] == [
        (31.5, None),
        (33, 31.5),
    ]
    out = ok(["metric", "baseline", "development-efficiency", "21", "--period", "2026-01"], capsys)
    assert "baseline 21" in out
    assert "replaces" not in out
    out = ok(["metric", "baseline", "development-efficiency", "22", "--period", "2026-01"], capsys)
    assert "replaces 21" in out


ERRORS = [
    (["metric", "record", "no-such-kpi", "1", "--period", "2026-11"], "unknown KPI 'no-such-kpi'"),
    (["metric", "baseline", "no-such-kpi", "1", "--period", "2026-01"], "unknown KPI"),
    (["metric", "show", "no-such-kpi"], "unknown KPI"),
    (["metric", "record", "delivery-success", "1", "--period", "2026-13"], "YYYY-MM"),
    (["metric", "record", "delivery-success", "1", "--period", "11-2026"], "YYYY-MM"),
    (["metric", "baseline", "delivery-success", "1", "--period", "2026-1"], "YYYY-MM"),
    (["metric", "record", "delivery-success", "nan", "--period", "2026-11"], "finite"),
    (["metric", "record", "delivery-success", "NaN", "--period", "2026-11"], "finite"),
    (["metric", "record", "delivery-success", "inf", "--period", "2026-11"], "finite"),
    (["metric", "baseline", "delivery-success", "nan", "--period", "2026-01"], "finite"),
    (["metric", "record", "delivery-success", "many", "--period", "2026-11"], "value"),
]


@pytest.mark.parametrize(("args", "message"), ERRORS)
def test_bad_input_exits_2_and_leaves_the_store_alone(
    workspace: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    ok(["metric", "record", "delivery-success", "60", "--period", "2026-10"], capsys)
    before = store(workspace).read_bytes()
    code, out, err = run_main(args, capsys)
    assert code == 2, (out, err)
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert store(workspace).read_bytes() == before


def test_unknown_kpi_lists_the_known_ones(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(["metric", "record", "velocity", "3"], capsys)
    assert code == 2
    known = err.partition("known: ")[2]
    for kpi in KPIS:
        assert kpi in known
    assert not store(workspace).exists()


def test_errors_before_any_reading_create_no_store(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args, _ in ERRORS:
        assert run_main(args, capsys)[0] == 2
    assert not store(workspace).exists()


def test_outside_a_workspace(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["metric", "record", "delivery-success", "1"], capsys)
    assert code == 2
    assert "opsctl init" in err


def test_show_text_has_bars(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok(["metric", "baseline", "development-efficiency", "20", "--period", "2026-01"], capsys)
    for period, value in [("2026-10", "28"), ("2026-11", "29"), ("2026-09", "27")]:
        ok(["metric", "record", "development-efficiency", value, "--period", period], capsys)
    ok(
        ["metric", "record", "development-efficiency", "29", "-p", "2026-11", "-m", "[b]x[/b]"],
        capsys,
    )
    out = ok(["metric", "show", "development-efficiency"], capsys)
    lines = out.splitlines()
    assert "Development efficiency" in lines[0]
    assert "higher is better" in lines[0]
    assert "+45.0% vs baseline" in out
    bars = [line for line in lines if "█" in line]
    assert [line.split()[0] for line in bars] == ["2026-09", "2026-10", "2026-11"]
    assert "baseline" in out
    assert "░" in out
    widths = [line.count("█") for line in bars]
    assert widths == sorted(widths)
    assert max(widths) == 40
    assert "[b]x[/b]" in out  # notes are printed as written, not as markup


def test_show_without_readings(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = ok(["metric", "show", "quality-assurance"], capsys)
    assert "no baseline" in out
    assert "█" not in out


def test_show_prints_the_assumption_deadline_and_sources(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok(["metric", "baseline", "quality-assurance", "80", "--period", "2026-01"], capsys)
    ok(["metric", "record", "quality-assurance", "86", "--period", "2026-07"], capsys)
    out = " ".join(ok(["metric", "show", "quality-assurance"], capsys).split())
    assert "assumption: The seed's 40% improvement in quality assurance is read as 40% fewer" in out
    assert "target 40% fewer failures, due 4 quarters after the baseline (assumed)" in out
    assert "75% of the way to 88" in out  # 20% failing -> 12%; 6 of 8 points gained
    assert out.count("manual, by pm@example.com") == 2  # the baseline and the reading


WORKSPACE_KPI = """\
id: team-kpis
title: Team KPIs
area: Testing
summary: A KPI whose relative target cannot be met from a high baseline.
phases:
  - id: only
    title: Only
    items:
      - {id: one, title: One, help: Do it., owner: qa}
metrics:
  - id: pass-rate
    title: Pass rate
    unit: "%"
    direction: higher
    bounds: {min: 0, max: 100}
    target: {kind: relative, value: 40}
"""


def test_an_unreachable_target_warns_at_baseline_and_in_validate(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace / ".opsctl" / "frameworks").mkdir(exist_ok=True)
    (workspace / ".opsctl" / "frameworks" / "team.yaml").write_text(WORKSPACE_KPI)
    code, out, err = run_main(["validate"], capsys)
    assert (code, out) == (0, "ok: 14 frameworks valid\n")
    assert err == (
        "opsctl: warning: pass-rate: the target +40% cannot be met from a baseline above 71.43 "
        "within the bounds; a failure-reduction or absolute target can "
        "(see docs/reports.md#targets)\n"
    )
    code, out, err = run_main(["metric", "baseline", "pass-rate", "80", "-p", "2026-01"], capsys)
    assert code == 0
    assert out == "pass-rate: baseline 80 % for 2026-01\n"
    assert "asks for 112, above the maximum 100: it cannot be met" in err
    code, _, err = run_main(["validate"], capsys)
    assert code == 0
    assert "from the baseline 80 asks for 112" in err
    _, out, err = run_main(["metric", "show", "pass-rate"], capsys)
    assert "cannot be met" in err
    _, out, err = run_main(["metric", "baseline", "pass-rate", "70", "-p", "2026-01"], capsys)
    assert err == ""


def test_the_seed_kpis_validate_without_warnings(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for kpi, baseline in [("quality-assurance", 80), ("delivery-success", 90)]:
        ok(["metric", "baseline", kpi, str(baseline), "--period", "2026-01"], capsys)
    code, out, err = run_main(["validate"], capsys)
    assert (code, out, err) == (0, "ok: 13 frameworks valid\n", "")


def test_show_json_has_readings(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok(["metric", "baseline", "defect-escape-rate", "20", "--period", "2026-01"], capsys)
    ok(["metric", "record", "defect-escape-rate", "14", "--period", "2026-11"], capsys)
    ok(["metric", "record", "defect-escape-rate", "16", "--period", "2026-10"], capsys)
    document = json.loads(ok(["metric", "show", "defect-escape-rate", "-f", "json"], capsys))
    assert (document["kind"], document["version"]) == ("metric", 2)
    assert document["id"] == "defect-escape-rate"
    assert [(r["period"], r["value"]) for r in document["readings"]] == [
        ("2026-10", 16),
        ("2026-11", 14),
    ]
    assert document["improvement_pct"] == pytest.approx(30)  # lower is better: a fall
    assert document["goal"] == pytest.approx(12)  # 40% fewer escaped defects than 20
    assert document["baseline"]["period"] == "2026-01"


def test_metrics_json_is_deterministic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPSCTL_NOW", NOW)
    commands = [
        ["metric", "record", "quality-assurance", "61", "--period", "2026-11", "--note", "ünï"],
        ["metric", "baseline", "quality-assurance", "50", "--period", "2026-01"],
        ["metric", "record", "delivery-success", "62", "--period", "2026-03"],
        ["metric", "record", "quality-assurance", "55", "--period", "2026-05"],
        ["metric", "record", "quality-assurance", "62", "--period", "2026-11"],
    ]
    texts = []
    for name in ("one", "two"):
        root = tmp_path / name
        root.mkdir()
        monkeypatch.chdir(root)
        ok(["init"], capsys)
        for args in commands:
            ok(args, capsys)
        texts.append(store(root).read_bytes())
    assert texts[0] == texts[1]
    text = texts[0].decode("utf-8")
    assert text.endswith("}\n")
    assert not text.endswith("\n\n")
    document = json.loads(text)
    assert text == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert document["schema"] == 1
    assert document["kind"] == "metrics"
    assert list(document["metrics"]["quality-assurance"]["readings"]) == ["2026-05", "2026-11"]
    assert len(document["history"]) == len(commands)


WORKER = textwrap.dedent(
    """
    import sys
    from opsctl.cli.main import main

    metric, start = sys.argv[1], int(sys.argv[2])
    for index in range(start, start + 20):
        period = f"{2030 + index // 12}-{index % 12 + 1:02d}"
        try:
            main(["metric", "record", metric, str(index), "--period", period])
        except SystemExit as exc:
            if exc.code:
                sys.exit(f"{metric} {period}: exit {exc.code}")
    """
)


def test_parallel_processes_lose_no_reading(workspace: Path) -> None:
    metrics = sorted(KPIS)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, metrics[number % len(metrics)], str(number * 20)],
            cwd=workspace,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for number in range(6)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
    document = json.loads(store(workspace).read_text())
    readings = {
        (metric, period, reading["value"])
        for metric, record in document["metrics"].items()
        for period, reading in record["readings"].items()
    }
    assert len(readings) == 120
    expected = {
        (
            metrics[index // 20 % len(metrics)],
            f"{2030 + index // 12}-{index % 12 + 1:02d}",
            float(index),
        )
        for index in range(120)
    }
    assert readings == expected
    assert len(document["history"]) == 120
    assert all(event["action"] == "record" for event in document["history"])
    assert not list(store(workspace).parent.glob("*.tmp"))
