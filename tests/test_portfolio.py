"""``opsctl portfolio``: three real git repositories (file URLs) read into one roll-up.

Each team's figures in the roll-up are checked against the team's own
``--format json`` outputs, read from its repository's work tree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.gitrepo import IDENTITY, NO_SIGNING
from tests.helpers import opsctl_subprocess, process_ok, run_main, store_snapshot

NOW = "2026-12-03T09:00:00Z"
ENV = {"OPSCTL_NOW": NOW, "OPSCTL_USER": "pm@example.com", "GIT_CONFIG_NOSYSTEM": "1"}
TEAMS = ("payments", "web", "mobile")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", *NO_SIGNING, *args],
        cwd=repo,
        env={**os.environ, **IDENTITY},
        check=True,
        capture_output=True,
    )


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three demo workspaces in git, varied with real opsctl commands after tag v1."""
    top = tmp_path_factory.mktemp("portfolio")
    env = {**ENV, "HOME": str(top)}
    found = {}
    for team in TEAMS:
        repo = top / team
        process_ok(["demo", str(repo)], top, env)
        _git(repo, "init", "-q", "-b", "main")
        _commit(repo, "demo")
        _git(repo, "tag", "v1")
        found[team] = repo
    changes = {
        "payments": [
            ["start", "release-management", "--title", "Release 3.0", "--due", "2026-11-30"],
            ["metric", "record", "development-efficiency", "12", "--period", "2026-12"],
        ],
        "web": [
            ["start", "feature-development", "--title", "Dark mode"],
            ["metric", "record", "quality-assurance", "40", "--period", "2026-12"],
        ],
        "mobile": [],
    }
    for team, commands in changes.items():
        for args in commands:
            # Started a week earlier, so its due date was still ahead (a past --due is refused).
            when = "2026-11-20T09:00:00Z" if args[0] == "start" else env["OPSCTL_NOW"]
            process_ok(args, found[team], {**env, "OPSCTL_NOW": when})
        if commands:
            _commit(found[team], "more work")
    return found


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSCTL_NOW", NOW)


def _portfolio_file(folder: Path, repos: dict[str, Path], extra: str = "") -> Path:
    lines = ["organisation: Example Org", "sources:"]
    for team, repo in repos.items():
        lines += [f"  - name: {team}", f"    git: {repo.as_uri()}", "    ref: main"]
    path = folder / "portfolio.yaml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def _json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    code, out, err = run_main([*args, "--format", "json"], capsys)
    assert code == 0, (args, out, err)
    document: dict[str, object] = json.loads(out)
    return document


def _team_json(repo: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    """The figures a team's own JSON outputs give."""
    runs = _json(["-w", str(repo), "runs"], capsys)["runs"]
    assert isinstance(runs, list)
    waiting = 0
    for run in (run for run in runs if run["status"] == "active"):
        status = _json(["-w", str(repo), "status", run["id"]], capsys)
        current = [phase for phase in status["phases"] if phase["current"]]
        waiting += sum(s["state"] == "waiting" for p in current for s in p["signoffs"])
    kpis = _json(["-w", str(repo), "metric", "list"], capsys)["metrics"]
    assert isinstance(kpis, list)
    return {
        "runs_active": sum(run["status"] == "active" for run in runs),
        "runs_completed": sum(run["status"] == "completed" for run in runs),
        "runs_overdue": sum(run["overdue"] for run in runs),
        "waiting_signoffs": waiting,
        "kpi_statuses": {kpi["id"]: kpi["status"] for kpi in kpis},
    }


def test_status_rollup_matches_each_teams_own_json(
    repos: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], now: None
) -> None:
    portfolio = _portfolio_file(tmp_path, repos)
    cache = tmp_path / "cache"
    rollup = _json(["portfolio", "status", "-p", str(portfolio), "--cache", str(cache)], capsys)
    assert rollup["kind"] == "portfolio-status"
    teams = {team["team"]: team for team in rollup["teams"]}
    assert list(teams) == list(TEAMS)
    on_track = judged = 0
    for name, repo in repos.items():
        own = _team_json(repo, capsys)
        figures = teams[name]["figures"]
        for key in ("runs_active", "runs_completed", "runs_overdue", "waiting_signoffs"):
            assert figures[key] == own[key], (name, key)
        statuses = list(own["kpi_statuses"].values())
        assert figures["kpis"]["on_track"] == statuses.count("on track")
        assert figures["kpis"]["off_track"] == statuses.count("off track")
        on_track += statuses.count("on track")
        judged += sum(status != "no data" for status in statuses)
    assert teams["payments"]["figures"]["runs_active"] == 4
    assert rollup["overall"]["kpis"]["attainment_pct"] == round(on_track * 100 / judged, 1)
    assert len([path for path in cache.iterdir() if path.is_dir()]) == 3


def test_report_rollup_matches_each_teams_own_json(
    repos: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], now: None
) -> None:
    portfolio = _portfolio_file(tmp_path, repos)
    args = ["portfolio", "report", "quarterly", "--quarter", "2026-Q4", "-p", str(portfolio)]
    report = _json([*args, "--cache", str(tmp_path / "cache")], capsys)
    assert (report["kind"], report["period"]) == ("portfolio-report", "2026-Q4")
    by_kpi: dict[str, list[str]] = {}
    for team in report["teams"]:
        own = _team_json(repos[team["team"]], capsys)
        assert team["runs_active"] == own["runs_active"]
        assert team["runs_overdue"] == own["runs_overdue"]
        assert {k["id"]: k["status"] for k in team["kpis"]} == own["kpi_statuses"]
        for kpi_id, status in own["kpi_statuses"].items():
            by_kpi.setdefault(kpi_id, []).append(status)
    for rollup in report["kpis"]:
        statuses = by_kpi[rollup["id"]]
        assert rollup["teams"] == len(statuses)
        assert rollup["counts"]["on_track"] == statuses.count("on track")
    overdue = [line for line in report["attention"] if line["why"].startswith("overdue")]
    assert {(line["team"], line["run"]) for line in overdue} >= {("payments", "release-3-0")}


def test_a_source_is_read_at_its_ref(
    repos: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], now: None
) -> None:
    url = repos["payments"].as_uri()
    args = ["portfolio", "status", "--cache", str(tmp_path / "c")]
    tagged = _json([*args, "-s", f"{url}#v1"], capsys)["teams"][0]
    head = _json([*args, "-s", f"{url}#main"], capsys)["teams"][0]
    assert (tagged["figures"]["runs_active"], head["figures"]["runs_active"]) == (3, 4)
    assert tagged["commit"] != head["commit"]


def test_unreachable_source_is_listed_and_fails_only_with_strict(
    repos: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], now: None
) -> None:
    missing = (tmp_path / "gone.git").as_uri()
    args = ["portfolio", "status", "-s", str(repos["mobile"]), "-s", missing]
    args += ["--cache", str(tmp_path / "cache")]
    code, out, _ = run_main(args, capsys)
    assert code == 0
    line = next(line for line in out.splitlines() if line.startswith("gone"))
    assert "unreadable" in line and "does not appear to be a git repository" in line
    assert run_main([*args, "--strict"], capsys)[0] == 1
    code, out, err = run_main(["portfolio", "report", "monthly", *args[2:], "--strict"], capsys)
    assert code == 1
    assert "## Sources not read" in out and "gone" in err


def test_a_bad_portfolio_file_is_one_line_naming_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "portfolio.yaml"
    path.write_text("sources:\n  - path: a\n  - gti: https://x/y.git\n", encoding="utf-8")
    code, out, err = run_main(["portfolio", "status", "-p", str(path)], capsys)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"opsctl: error: {path}:3:10: sources[1].gti: unknown field "
        "(allowed: name, path, git, ref, folder)"
    ]
    path.write_text("sources:\n  - path: a\n    git: https://x/y.git\n", encoding="utf-8")
    code, _, err = run_main(["portfolio", "status", "-p", str(path)], capsys)
    assert code == 2
    assert f"{path}:2:5: sources[0]: give exactly one of 'path'" in err
    path.write_text("sources:\n  - {git: https://x/y.git, folder: ../up}\n", encoding="utf-8")
    code, _, err = run_main(["portfolio", "status", "-p", str(path)], capsys)
    assert code == 2 and f"{path}:2:5: sources[0]: 'folder' must be a folder inside" in err


@pytest.mark.parametrize("value", ["", "#v1"])
def test_an_empty_source_flag_is_one_line_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    code, out, err = run_main(["portfolio", "status", "--source", value], capsys)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"opsctl: error: --source: {value!r}: string should have at least 1 character"
    ]


def test_a_team_report_that_cannot_be_written_fails_the_command_not_the_team(
    repos: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], now: None
) -> None:
    portfolio = _portfolio_file(tmp_path, repos, "")
    out = tmp_path / "review"
    out.mkdir()
    first = next(iter(repos))
    (out / first).write_text("a file where the team's folder goes\n", encoding="utf-8")
    args = ["portfolio", "report", "monthly", "--month", "2026-11", "-p", str(portfolio)]
    code, printed, err = run_main([*args, "-o", str(out)], capsys)
    assert (code, printed) == (2, "")
    assert err.startswith(f"opsctl: error: --output: {out / first / '2026-11.md'}")
    assert "not read" not in err


def test_output_is_silent_on_stderr_and_byte_identical(
    repos: dict[str, Path], tmp_path: Path
) -> None:
    portfolio = _portfolio_file(tmp_path, repos)
    env = {**ENV, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    outputs = []
    for _ in range(2):
        for report_format in ("markdown", "html"):
            args = ["portfolio", "report", "quarterly", "-p", str(portfolio)]
            done = opsctl_subprocess([*args, "--format", report_format], tmp_path, env)
            assert (done.returncode, done.stderr) == (0, "")
            outputs.append(done.stdout)
    assert outputs[:2] == outputs[2:]
    assert (tmp_path / "xdg" / "opsctl" / "portfolio").is_dir()


def test_output_folder_links_each_teams_own_report(
    repos: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], now: None
) -> None:
    portfolio = _portfolio_file(tmp_path, repos, "")
    out = tmp_path / "review"
    args = ["portfolio", "report", "monthly", "--month", "2026-11", "-p", str(portfolio)]
    code, _, err = run_main([*args, "--format", "html", "-o", str(out)], capsys)
    assert code == 0, err
    page = (out / "portfolio-2026-11.html").read_text(encoding="utf-8")
    for team, repo in repos.items():
        assert f'<a href="{team}/2026-11.html">' in page
        own = process_ok(["report", "monthly", "--month", "2026-11", "--format", "html"], repo, ENV)
        assert (out / team / "2026-11.html").read_text(encoding="utf-8") == own
    assert "<script" not in page and "http" not in page.split("<body>")[1]
    code, _, err = run_main([*args, "-o", str(tmp_path / "markdown")], capsys)
    assert code == 0, err
    first = next(iter(repos))
    assert f"]({first}/2026-11.md)" in (tmp_path / "markdown" / "portfolio-2026-11.md").read_text()


def test_hostile_names_are_escaped_in_html(
    repos: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], now: None
) -> None:
    path = tmp_path / "portfolio.yaml"
    path.write_text(
        f"organisation: '<script>alert(1)</script> & Co'\nsources:\n  - path: {repos['mobile']}\n",
        encoding="utf-8",
    )
    before = store_snapshot(repos["mobile"])
    args = ["portfolio", "report", "quarterly", "-p", str(path), "-f", "html"]
    code, out, _ = run_main([*args, "-o", str(tmp_path / "out")], capsys)
    assert code == 0
    assert store_snapshot(repos["mobile"]) == before, "a portfolio only reads"
    out = (tmp_path / "out" / "portfolio-2026-Q3.html").read_text(encoding="utf-8")
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in out


def test_a_later_read_fetches_new_commits(
    repos: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], now: None
) -> None:
    team = tmp_path / "team"
    _git(tmp_path, "clone", "-q", str(repos["mobile"]), str(team))
    args = ["portfolio", "status", "-s", team.as_uri(), "--cache", str(tmp_path / "cache")]
    before = _json(args, capsys)["teams"][0]["figures"]["runs_active"]
    process_ok(["start", "release-management", "--title", "Release 9"], team, ENV)
    _commit(team, "a new release")
    after = _json(args, capsys)["teams"][0]["figures"]["runs_active"]
    assert (before, after) == (3, 4)


def test_progress_bar_shows_on_a_terminal(repos: dict[str, Path], tmp_path: Path) -> None:
    import pty

    controller, terminal = pty.openpty()
    args = ["-m", "opsctl", "portfolio", "status", "-s", str(repos["mobile"])]
    done = subprocess.run(
        [sys.executable, *args],
        cwd=tmp_path,
        env={**os.environ, **ENV, "TERM": "xterm", "COLUMNS": "100"},
        stdout=subprocess.PIPE,
        stderr=terminal,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=120,
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert done.returncode == 0
    assert b"reading" in shown or b"1/1" in shown
    assert b"TOTAL" in done.stdout
