"""Edge cases found in review: each is a plausible input that once misbehaved."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import run_main
from opsctl.definitions.catalog import load_catalog
from opsctl.engine.runs import new_run
from opsctl.errors import UsageError
from opsctl.git.merge import Irreconcilable, merge_runs
from opsctl.review.periods import month, quarter

AT = dt.datetime(2026, 11, 2, 9, tzinfo=dt.timezone.utc)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Path:
    assert run_main(["init"], capsys)[0] == 0
    assert run_main(["start", "release-management", "--id", "r", "-t", "R"], capsys)[0] == 0
    return Path(".opsctl/runs/r.json")


def test_output_inside_the_store_is_refused(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = run.read_bytes()
    code, _, err = run_main(["check", "r", "-f", "json", "-o", str(run)], capsys)
    assert code == 2
    assert "inside .opsctl/" in err
    code, _, err = run_main(
        ["report", "monthly", "--month", "2026-11", "-o", ".opsctl/x.md"], capsys
    )
    assert code == 2
    assert "inside .opsctl/" in err
    assert run.read_bytes() == before


def test_a_phase_missing_from_the_pinned_definition_is_named(
    run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(run.read_text())
    document["phase"] = "nowhere"
    run.write_text(json.dumps(document))
    code, _, err = run_main(["status", "r"], capsys)
    assert code == 2
    assert "r.json" in err
    assert "'nowhere' is not a phase" in err


def test_audit_catches_an_edited_title(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = json.loads(run.read_text())
    document["title"] = "Something else"
    run.write_text(json.dumps(document))
    code, _, err = run_main(["audit", "verify", "r"], capsys)
    assert code == 1
    assert "title" in err


def test_revoke_on_a_completed_run_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["init"], capsys)[0] == 0
    frameworks = Path(".opsctl/frameworks")
    (frameworks / "one.yaml").write_text(
        "id: one\ntitle: One\narea: A\nsummary: S\nphases:\n  - id: p\n    title: P\n"
        "    items:\n      - {id: i, title: Done it, help: Just do it, owner: qa}\n"
    )
    assert run_main(["start", "one", "--id", "o", "-t", "O"], capsys)[0] == 0
    assert run_main(["done", "o", "i"], capsys)[0] == 0
    assert run_main(["advance", "o"], capsys)[0] == 0
    code, _, err = run_main(["revoke", "o", "--phase", "p", "--reason", "x"], capsys)
    assert code == 2
    assert "completed" in err


def test_a_failed_start_leaves_no_pinned_definition(
    run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(Path(".opsctl/definitions").iterdir())
    code, _, _ = run_main(["start", "operations-program", "--id", "r", "-t", "x"], capsys)
    assert code == 2
    assert sorted(Path(".opsctl/definitions").iterdir()) == before


@pytest.mark.parametrize("label", ["0000-01", "0001-01", "9999-12"])
def test_months_outside_the_calendar_range_are_usage_errors(label: str) -> None:
    with pytest.raises(UsageError, match="year out of range"):
        month(label)


def test_quarters_outside_the_calendar_range_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="year out of range"):
        quarter("9999-Q4")


def test_two_runs_started_separately_under_one_id_do_not_merge() -> None:
    catalog = load_catalog()
    ours = new_run(catalog.get("release-management").framework, "rel", "A", None, "a", AT)
    theirs = new_run(catalog.get("feature-development").framework, "rel", "B", None, "b", AT)
    with pytest.raises(Irreconcilable, match="two different runs"):
        merge_runs(ours, theirs, AT)


def test_a_template_symlinked_out_of_its_folder_is_not_read(
    run: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    templates = Path(".opsctl/templates")
    templates.mkdir()
    (templates / "leak.md.j2").symlink_to(secret)
    (templates / "monthly.md.j2").write_text('{% include "leak.md.j2" %}\n')
    code, out, err = run_main(["report", "monthly", "--month", "2026-11"], capsys)
    assert code == 2
    assert "TOP SECRET" not in out
    assert "leak.md.j2" in err


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_workspace_below_the_repository_top_gets_the_merge_attribute(
    capsys: pytest.CaptureFixture[str],
) -> None:
    subprocess.run(["git", "init", "-q", "repo"], check=True)
    product = Path("repo/product")
    product.mkdir()
    assert run_main(["init", "--git", str(product)], capsys)[0] == 0
    check = subprocess.run(
        ["git", "check-attr", "merge", "--", "product/.opsctl/runs/x.json"],
        cwd="repo",
        capture_output=True,
        text=True,
        check=True,
    )
    assert check.stdout.strip().endswith("merge: opsctl")
