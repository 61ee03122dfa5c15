"""``opsctl metric collect`` over real git repositories, runs, JUnit files and commands.

The repository of :func:`gitrepo.release_history`, all times UTC:

====================  ==========================================================
2026-10-20 10:00      c1; tag v0.9 on 10-25 10:00 (October's only deployment)
2026-11-02 08:00/20h  c2, c3; tag v1.0 on 11-03 08:00 (lead times 24 h, 12 h)
2026-11-04 10:00      c4 on a branch, merged on 11-05 10:00 (the merge is no change)
2026-11-06 10:00      tag v1.1 (c4: 48 h)
2026-11-07 10:00      r1 reverts c4, one day after v1.1: v1.1 failed
2026-11-07 16:00      tag v1.2 (r1: 6 h); the next good deployment: v1.1 restored in 30 h
2026-11-20 10:00      c5; tag v1.3 on 11-20 12:00 (2 h)
2026-11-21 11:00      c6; tag v1.3.1-hotfix on 11-21 12:00 (1 h): v1.3 failed,
                      restored by the hotfix in 24 h
====================  ==========================================================

November by hand: 5 deployments in 30 days = 5 / (30 / 7) = 1.1667 a week
(high); lead times 1, 2, 6, 12, 24, 48 h, median (6 + 12) / 2 = 9 h (elite);
2 of 5 failed = 40% (low); restored in 30 and 24 h, median 27 h (medium).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gitrepo import Repo, release_history
from helpers import opsctl_subprocess, run_main
from opsctl.definitions.metric import GitMeasure, GitSource
from opsctl.review.periods import month
from opsctl.review.sources import NoData
from opsctl.review.sources_git import collect_git, dora_band, read_history

NOW = "2026-11-28T12:00:00Z"
DORA = {
    "deployment-frequency": (1.1667, "high"),
    "lead-time-for-changes": (9.0, "elite"),
    "change-failure-rate": (40.0, "low"),
    "time-to-restore": (27.0, "medium"),
}


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Repo, dict[str, str]]:
    return release_history(tmp_path / "repo")


@pytest.fixture
def workspace(
    repo: tuple[Repo, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Path:
    root = repo[0].path
    monkeypatch.chdir(root)
    monkeypatch.setenv("OPSCTL_NOW", NOW)
    code, out, err = run_main(["init"], capsys)
    assert code == 0, (out, err)
    return root


def store(root: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((root / ".opsctl" / "metrics.json").read_text())
    return data


# --- the figures, one by one, against the hand-worked values ------------------------------


@pytest.mark.parametrize(
    ("measure", "value", "band"),
    [
        (GitMeasure.DEPLOYMENT_FREQUENCY, 1.1667, "high"),
        (GitMeasure.LEAD_TIME, 9.0, "elite"),
        (GitMeasure.CHANGE_FAILURE_RATE, 40.0, "low"),
        (GitMeasure.TIME_TO_RESTORE, 27.0, "medium"),
    ],
)
def test_november_by_hand(
    repo: tuple[Repo, dict[str, str]], measure: GitMeasure, value: float, band: str
) -> None:
    source = GitSource(kind="git", measure=measure)
    collected = collect_git(read_history(repo[0].path, source), source, month("2026-11"))
    assert collected.value == value
    assert dora_band(measure, collected.value) == band
    assert collected.provenance.range == "v0.9..v1.3.1-hotfix"
    assert collected.provenance.parameters["tags"] == "v*"


def test_what_each_deployment_shipped_and_which_failed(
    repo: tuple[Repo, dict[str, str]],
) -> None:
    source = GitSource(kind="git", measure=GitMeasure.LEAD_TIME)
    history = read_history(repo[0].path, source)
    names = [deploy.name for deploy in history.deploys]
    assert names == ["v0.9", "v1.0", "v1.1", "v1.2", "v1.3", "v1.3.1-hotfix"]  # no docs-1
    assert {name: len(times) for name, times in history.changes.items()} == {
        "v0.9": 1,
        "v1.0": 2,
        "v1.1": 1,  # c4; the merge commit is not a change
        "v1.2": 1,
        "v1.3": 1,
        "v1.3.1-hotfix": 1,
    }
    shas = repo[1]
    assert {name: marker.name for name, marker in history.failed.items()} == {
        "v1.1": f"revert {shas['r1'][:12]}",
        "v1.3": "hotfix v1.3.1-hotfix",
    }


def test_october_and_an_empty_month(repo: tuple[Repo, dict[str, str]]) -> None:
    def figure(measure: GitMeasure, label: str) -> float:
        source = GitSource(kind="git", measure=measure)
        return collect_git(read_history(repo[0].path, source), source, month(label)).value

    assert figure(GitMeasure.DEPLOYMENT_FREQUENCY, "2026-10") == round(1 / (31 / 7), 4)
    assert figure(GitMeasure.LEAD_TIME, "2026-10") == 120  # c1 10-20 10:00 to v0.9 10-25
    assert figure(GitMeasure.CHANGE_FAILURE_RATE, "2026-10") == 0
    with pytest.raises(NoData, match="no failed deployments in 2026-10"):
        figure(GitMeasure.TIME_TO_RESTORE, "2026-10")
    assert figure(GitMeasure.DEPLOYMENT_FREQUENCY, "2026-12") == 0
    with pytest.raises(NoData, match="no deployments in 2026-12"):
        figure(GitMeasure.LEAD_TIME, "2026-12")


def test_a_revert_after_the_window_is_no_failure(repo: tuple[Repo, dict[str, str]]) -> None:
    source = GitSource(kind="git", measure=GitMeasure.CHANGE_FAILURE_RATE)
    # r1 came 24 h after v1.1; with a window of 1 day it still counts, the hotfix too.
    narrow = source.model_copy(update={"failure_window_days": 1})
    assert collect_git(read_history(repo[0].path, narrow), narrow, month("2026-11")).value == 40
    no_hotfix = source.model_copy(update={"hotfix_tags": ""})
    history = read_history(repo[0].path, no_hotfix)
    assert list(history.failed) == ["v1.1"]  # and v1.3.1-hotfix is still a v* deployment


def test_merges_to_a_branch_are_deployments(repo: tuple[Repo, dict[str, str]]) -> None:
    source = GitSource(kind="git", measure=GitMeasure.DEPLOYMENT_FREQUENCY, deploys="merges")
    history = read_history(repo[0].path, source)
    assert [deploy.commit for deploy in history.deploys] == [repo[1]["m1"]]
    collected = collect_git(history, source, month("2026-11"))
    assert collected.value == round(1 / (30 / 7), 4)  # one merge in November
    lead = source.model_copy(update={"measure": GitMeasure.LEAD_TIME})
    # The merge (11-05 10:00) first ships c1..c4: c4 after 24 h, c3 62 h, c2 74 h, c1 384 h;
    # median (62 + 74) / 2 = 68 h. r1 reverts c4 two days after the merge: it failed.
    assert collect_git(history, lead, month("2026-11")).value == 68
    assert list(history.failed) == [repo[1]["m1"][:12]]


def test_lightweight_tags_use_the_commit_date(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "light")
    repo.commit("one", "2026-11-02T00:00:00")
    repo.tag("v1", "2026-11-09T00:00:00", annotated=False)  # the commit's date counts
    repo.commit("two", "2026-11-04T00:00:00")
    repo.tag("v2", "2026-11-05T00:00:00")
    source = GitSource(kind="git", measure=GitMeasure.LEAD_TIME)
    history = read_history(repo.path, source)
    first = history.deploys[0]
    assert (first.name, first.time) == ("v1", 1793577600)  # 2026-11-02, the commit's date
    assert collect_git(history, source, month("2026-11")).value == 12  # 0 h and 24 h


@pytest.mark.parametrize(
    ("measure", "value", "band"),
    [
        (GitMeasure.DEPLOYMENT_FREQUENCY, 7, "elite"),
        (GitMeasure.DEPLOYMENT_FREQUENCY, 6.99, "high"),
        (GitMeasure.DEPLOYMENT_FREQUENCY, 1, "high"),
        (GitMeasure.DEPLOYMENT_FREQUENCY, 7 / 31, "medium"),
        (GitMeasure.DEPLOYMENT_FREQUENCY, 0.2, "low"),
        (GitMeasure.LEAD_TIME, 23.9, "elite"),
        (GitMeasure.LEAD_TIME, 24, "high"),
        (GitMeasure.LEAD_TIME, 168, "medium"),
        (GitMeasure.LEAD_TIME, 720, "low"),
        (GitMeasure.CHANGE_FAILURE_RATE, 5, "elite"),
        (GitMeasure.CHANGE_FAILURE_RATE, 10, "high"),
        (GitMeasure.CHANGE_FAILURE_RATE, 15, "medium"),
        (GitMeasure.CHANGE_FAILURE_RATE, 15.1, "low"),
        (GitMeasure.TIME_TO_RESTORE, 0.5, "elite"),
        (GitMeasure.TIME_TO_RESTORE, 1, "high"),
        (GitMeasure.TIME_TO_RESTORE, 24, "medium"),
        (GitMeasure.TIME_TO_RESTORE, 168, "low"),
    ],
)
def test_dora_band_edges(measure: GitMeasure, value: float, band: str) -> None:
    assert dora_band(measure, value) == band


# --- the command, with no configuration ---------------------------------------------------


def test_a_new_workspace_collects_the_four_keys_with_no_configuration(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(["metric", "collect"], capsys)
    assert (code, err) == (0, "")
    lines = {line.split(":")[0]: line for line in out.splitlines()}
    assert set(lines) == set(DORA)
    assert lines["deployment-frequency"] == (
        "deployment-frequency: 1.1667 deployments per week for 2026-11 (5 deployments in "
        "2026-11, v0.9..v1.3.1-hotfix, DORA high) recorded"
    )
    readings = store(workspace)["metrics"]
    assert isinstance(readings, dict)
    for metric_id, (value, _) in DORA.items():
        reading = readings[metric_id]["readings"]["2026-11"]
        assert reading["value"] == value
        provenance = reading["provenance"]
        assert provenance["source"] == "git"
        assert provenance["range"] == "v0.9..v1.3.1-hotfix"
        assert provenance["digest"].startswith("sha256:")
    tags = readings["deployment-frequency"]["readings"]["2026-11"]["provenance"]["inputs"]
    commit_of = {name: Repo(workspace).git("rev-parse", f"{name}^{{commit}}") for name in
                 ["v1.0", "v1.1", "v1.2", "v1.3", "v1.3.1-hotfix"]}  # fmt: skip
    assert [(item["name"], item["digest"]) for item in tags] == list(commit_of.items())


def test_collecting_again_changes_nothing(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_main(["metric", "collect"], capsys)
    before = (workspace / ".opsctl" / "metrics.json").read_bytes()
    code, out, _ = run_main(["metric", "collect"], capsys)
    assert code == 0
    assert [line.rsplit(" ", 1)[1] for line in out.splitlines()] == ["unchanged"] * 4
    assert (workspace / ".opsctl" / "metrics.json").read_bytes() == before
    history = store(workspace)["history"]
    assert isinstance(history, list)
    assert len(history) == 4


def test_new_inputs_replace_a_reading_and_keep_the_old_one_in_history(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_main(["metric", "collect", "deployment-frequency"], capsys)
    repo = Repo.__new__(Repo)
    repo.path, repo.count = workspace, 100
    repo.commit("late fix", "2026-11-25T10:00:00")
    repo.tag("v1.4", "2026-11-25T11:00:00")
    code, out, _ = run_main(["metric", "collect", "deployment-frequency"], capsys)
    assert code == 0
    assert out.endswith("recorded, replaces 1.1667\n")
    assert "6 deployments" in out
    history = store(workspace)["history"]
    assert isinstance(history, list)
    assert [(event["value"], event.get("previous")) for event in history] == [
        (1.1667, None),
        (1.4, 1.1667),
    ]


def test_dry_run_and_json(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["metric", "collect", "--dry-run", "--format", "json"], capsys)
    assert code == 0
    document = json.loads(out)
    assert (document["kind"], document["version"], document["period"]) == (
        "collected",
        1,
        "2026-11",
    )
    assert {line["metric"]: line["outcome"] for line in document["readings"]} == dict.fromkeys(
        DORA, "would record"
    )
    assert {line["metric"]: line["band"] for line in document["readings"]} == {
        metric_id: band for metric_id, (_, band) in DORA.items()
    }
    assert not (workspace / ".opsctl" / "metrics.json").exists()


def test_a_month_without_deployments_records_the_frequency_and_skips_the_rest(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_main(["metric", "collect", "--period", "2026-12"], capsys)
    assert code == 0
    assert "deployment-frequency: 0 deployments per week for 2026-12" in out
    assert "lead-time-for-changes: skipped, no deployments in 2026-12" in out
    readings = store(workspace)["metrics"]
    assert isinstance(readings, dict)
    assert set(readings) == {"deployment-frequency"}


def test_collected_baselines_and_show(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["metric", "collect", "--baseline", "--period", "2026-10"], capsys)
    assert code == 0
    assert "lead-time-for-changes: baseline 120 hours" in out
    run_main(["metric", "collect"], capsys)
    code, out, _ = run_main(["metric", "show", "lead-time-for-changes"], capsys)
    assert code == 0
    text = " ".join(out.split())
    assert "DORA band: elite (latest reading)" in text
    assert "git v0.9 (" in text  # October's range: everything up to v0.9
    assert "git v0.9..v1.3.1-hotfix (" in text
    assert "assumption: Not in the seed: a DORA key." in text
    assert "manual" not in text


def test_the_quarterly_report_shows_bands_provenance_and_value(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_main(["metric", "collect"], capsys)
    run_main(["metric", "baseline", "quality-assurance", "80", "-p", "2026-10"], capsys)
    run_main(["metric", "record", "quality-assurance", "84", "-p", "2026-11"], capsys)
    run_main(["metric", "record", "annual-operations-value", "450000", "-p", "2026-11"], capsys)
    code, out, err = run_main(["report", "quarterly", "--quarter", "2026-Q4"], capsys)
    assert code == 0, err
    assert (
        "| Annual operations value | expected 1,100,000 USD per year; realised 450,000 (2026-11) |"
        in out
    )
    assert (
        "| Deployment frequency | 1.17 (2026-11) | deployments per week | high | "
        "git v0.9..v1.3.1-hotfix (" in out
    )
    assert "| Change failure rate | 40 (2026-11) | % of deployments | low |" in out
    assert "| Quality assurance | manual | manual, by pm@example.com |" in out
    assert "realised: 450,000 (2026-11, manual, by pm@example.com)" in out


# --- bad inputs: one line, nothing recorded ----------------------------------------------

TEAM = """\
id: team-metrics
title: Team metrics
area: Testing
summary: Metrics a workspace collects from its own sources.
phases:
  - id: only
    title: Only
    items:
      - {{id: one, title: One, help: Do it., owner: qa}}
metrics:
{metrics}
"""


def team_metrics(root: Path, *metrics: str) -> None:
    folder = root / ".opsctl" / "frameworks"
    folder.mkdir(exist_ok=True)
    (folder / "team.yaml").write_text(TEAM.format(metrics="\n".join(metrics)))


def measure(metric_id: str, source: str, unit: str = "%") -> str:
    return (
        f"  - {{id: {metric_id}, title: {metric_id}, unit: '{unit}', direction: higher, "
        f"category: measure, source: {source}}}"
    )


def refused(args: list[str], capsys: pytest.CaptureFixture[str], root: Path) -> str:
    metrics = root / ".opsctl" / "metrics.json"
    before = metrics.read_bytes() if metrics.exists() else None
    code, out, err = run_main(args, capsys)
    assert code == 2, (out, err)
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert (metrics.read_bytes() if metrics.exists() else None) == before
    return err


def test_no_git_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.setenv("OPSCTL_NOW", NOW)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    run_main(["init"], capsys)
    err = refused(["metric", "collect"], capsys, root)
    assert err == (
        f"opsctl: error: change-failure-rate: {root.resolve()}: not a git repository "
        "(the git source reads deployments from its history); to collect only some, name them\n"
    )


def test_a_pattern_matching_nothing_records_nothing_at_all(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = "{kind: git, measure: deployment-frequency, tags: 'release-*'}"
    team_metrics(workspace, measure("releases", source, "deployments per week"))
    err = refused(["metric", "collect"], capsys, workspace)  # the others are not recorded either
    assert err == (
        f"opsctl: error: releases: {workspace.resolve()}: no tags match 'release-*' "
        "(source.tags); to collect only some, name them\n"
    )


def test_an_unknown_branch_and_a_manual_kpi(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = "{kind: git, measure: deployment-frequency, deploys: merges, branch: trunk}"
    team_metrics(workspace, measure("merges", source, "deployments per week"))
    assert "no branch 'trunk' (source.branch)" in refused(
        ["metric", "collect", "merges"], capsys, workspace
    )
    assert "quality-assurance: no source to collect from" in refused(
        ["metric", "collect", "quality-assurance"], capsys, workspace
    )


# --- JUnit files ------------------------------------------------------------------------

SUITE = """<?xml version="1.0"?>
<testsuite name="a" tests="3">
  <testcase name="one"/>
  <testcase name="two"><failure message="boom"/></testcase>
  <testcase name="three"><skipped/></testcase>
</testsuite>
"""
SUITES = """<testsuites><testsuite name="b">
  <testcase name="four"/><testcase name="five"><error/></testcase>
</testsuite></testsuites>
"""


def test_junit_pass_rate_and_count(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reports = workspace / "reports"
    reports.mkdir()
    (reports / "a.xml").write_text(SUITE)
    (reports / "b.xml").write_text(SUITES)
    (reports / "notes.txt").write_text("not matched")
    team_metrics(
        workspace,
        measure("pass-rate", "{kind: junit, measure: pass-rate, files: 'reports/*.xml'}"),
        measure("tests", "{kind: junit, measure: test-count, files: 'reports/*.xml'}", "tests"),
    )
    code, out, err = run_main(["metric", "collect", "pass-rate", "tests"], capsys)
    assert code == 0, err
    # 5 cases, 1 skipped, 2 failed (a failure and an error): 2 of 4 that ran passed.
    assert out.splitlines() == [
        "pass-rate: 50 % for 2026-11 (5 tests (2 failed, 1 skipped) in 2 files) recorded",
        "tests: 5 tests for 2026-11 (5 tests (2 failed, 1 skipped) in 2 files) recorded",
    ]
    provenance = store(workspace)["metrics"]["pass-rate"]["readings"]["2026-11"]["provenance"]  # type: ignore[index]
    import hashlib

    assert provenance["inputs"] == [
        {"name": "reports/a.xml", "digest": "sha256:" + hashlib.sha256(SUITE.encode()).hexdigest()},
        {
            "name": "reports/b.xml",
            "digest": "sha256:" + hashlib.sha256(SUITES.encode()).hexdigest(),
        },
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<testsuite><testcase>", "reports/bad.xml: not well-formed XML"),
        ("<html/>", "not a JUnit report (its root element is <html>)"),
        (None, "no JUnit files match 'reports/*.xml'"),
    ],
)
def test_unreadable_junit_records_nothing(
    workspace: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    (workspace / "reports").mkdir()
    if content is not None:
        (workspace / "reports" / "bad.xml").write_text(content)
    team_metrics(
        workspace, measure("pass-rate", "{kind: junit, measure: pass-rate, files: 'reports/*.xml'}")
    )
    assert message in refused(["metric", "collect"], capsys, workspace)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_junit_file_without_read_permission(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace / "reports").mkdir()
    (workspace / "reports" / "a.xml").write_text(SUITE)
    (workspace / "reports" / "a.xml").chmod(0)
    team_metrics(
        workspace, measure("pass-rate", "{kind: junit, measure: pass-rate, files: 'reports/*.xml'}")
    )
    assert "cannot read it" in refused(["metric", "collect", "pass-rate"], capsys, workspace)


# --- commands ------------------------------------------------------------------------------


def test_a_command_runs_only_when_asked(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = "import os; print(len(os.environ['OPSCTL_PERIOD']) * 3.5)"  # 7 * 3.5
    argv = f"['{Path(os.sys.executable).as_posix()}', '-c', \"{script}\"]"
    team_metrics(workspace, measure("score", f"{{kind: command, argv: {argv}}}", "points"))
    code, out, _ = run_main(["metric", "collect", "score"], capsys)
    assert (code, out) == (
        0,
        "score: skipped, not run: a command source runs only with --run-commands\n",
    )
    code, out, _ = run_main(["metric", "collect", "score", "--run-commands"], capsys)
    assert code == 0
    assert out.startswith("score: 24.5 points for 2026-11")


def test_a_command_printing_no_number(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = f"['{Path(os.sys.executable).as_posix()}', '-c', 'print(\"many\")']"
    team_metrics(workspace, measure("score", f"{{kind: command, argv: {argv}}}", "points"))
    err = refused(["metric", "collect", "--run-commands"], capsys, workspace)
    assert "printed 'many', not one finite number" in err


# --- a real process: no progress bar when stderr is not a terminal ---------------------


def test_a_process_prints_no_progress_bar_off_a_terminal(workspace: Path) -> None:
    result = opsctl_subprocess(["metric", "collect", "--dry-run"], workspace, {"OPSCTL_NOW": NOW})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert len(result.stdout.splitlines()) == 4


# --- opsctl's own runs -------------------------------------------------------------------

FLOW = """\
id: flow
title: Flow
area: Testing
summary: Two phases, no sign-offs, so runs can move quickly.
phases:
  - id: build
    title: Build
    items:
      - {id: a, title: A, help: Do it., owner: development}
      - {id: b, title: B, help: Do it., owner: development}
  - id: ship
    title: Ship
    items:
      - {id: c, title: C, help: Do it., owner: operations}
metrics:
"""
RUNS = {
    "on-time": ("on-time-completion", 50.0),  # r1 by its due date, r2 six days late
    "cycle": ("phase-cycle-time", 2.5),  # 2, 2, 3 and 7 days in a phase
    "first-pass": ("first-pass-gate-rate", 75.0),  # r2 left build after a refusal
    "waivers": ("waiver-rate", round(100 / 6, 4)),  # one of six items waived
}


def test_runs_figures_by_hand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPSCTL_NOW", "2026-10-30T09:00:00Z")
    run_main(["init"], capsys)
    metrics = [
        f"  - {{id: {key}, title: {key}, unit: x, direction: higher, category: measure, "
        f"source: {{kind: runs, measure: {name}, framework: flow}}}}"
        for key, (name, _) in RUNS.items()
    ]
    (tmp_path / ".opsctl" / "frameworks").mkdir(exist_ok=True)
    (tmp_path / ".opsctl" / "frameworks" / "flow.yaml").write_text(FLOW + "\n".join(metrics))
    steps = [
        ("11-01", ["start", "flow", "--title", "Two", "--id", "r2", "--due", "2026-11-05"]),
        ("11-02", ["start", "flow", "--title", "One", "--id", "r1", "--due", "2026-11-20"]),
        ("11-02", ["advance", "r2"]),  # refused: nothing done yet
        ("11-03", ["done", "r1", "build/a"]),
        ("11-03", ["done", "r1", "build/b"]),
        ("11-03", ["skip", "r2", "build/a", "--reason", "not needed"]),
        ("11-03", ["done", "r2", "build/b"]),
        ("11-04", ["advance", "r1"]),
        ("11-04", ["advance", "r2"]),
        ("11-05", ["done", "r1", "ship/c"]),
        ("11-06", ["advance", "r1"]),
        ("11-10", ["done", "r2", "ship/c"]),
        ("11-11", ["advance", "r2"]),
    ]
    for day, args in steps:
        monkeypatch.setenv("OPSCTL_NOW", f"2026-{day}T09:00:00Z")
        run_main(args, capsys)
    monkeypatch.setenv("OPSCTL_NOW", NOW)
    code, out, err = run_main(["metric", "collect", *RUNS, "--format", "json"], capsys)
    assert code == 0, err
    lines = {line["metric"]: line for line in json.loads(out)["readings"]}
    assert {key: lines[key]["value"] for key in RUNS} == {
        key: value for key, (_, value) in RUNS.items()
    }
    assert [item["name"] for item in lines["on-time"]["provenance"]["inputs"]] == ["r1", "r2"]
    assert lines["first-pass"]["detail"] == "4 gates passed in 2 runs of 'flow'"
    code, out, _ = run_main(["metric", "collect", *RUNS, "--period", "2026-10"], capsys)
    assert code == 0
    assert "on-time: skipped, no runs with a due date completed in 2026-10" in out
    # Later work never changes a past month's reading: its inputs are pinned at the month's end.
    monkeypatch.setenv("OPSCTL_NOW", "2026-12-02T09:00:00Z")
    run_main(["start", "flow", "--title", "Three", "--id", "r3"], capsys)
    run_main(["reopen", "r1", "ship/c"], capsys)
    code, out, _ = run_main(["metric", "collect", *RUNS, "--period", "2026-11"], capsys)
    assert [line.rsplit(" ", 1)[1] for line in out.splitlines()] == ["unchanged"] * 4


def test_provenance_survives_the_git_merge_driver(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from opsctl.git.merge import merge_metrics
    from opsctl.store.metrics import MetricsDocument

    run_main(["metric", "collect", "lead-time-for-changes"], capsys)
    ours = MetricsDocument.model_validate(store(workspace))
    merged = merge_metrics(ours, MetricsDocument()).document
    reading = merged.metrics["lead-time-for-changes"].readings["2026-11"]
    assert reading == ours.metrics["lead-time-for-changes"].readings["2026-11"]
    assert reading.provenance is not None
    assert reading.provenance.range == "v0.9..v1.3.1-hotfix"
