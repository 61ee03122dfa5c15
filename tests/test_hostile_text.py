"""User text with Rich markup or terminal escapes is printed literally and harmlessly."""

from __future__ import annotations

import pytest

from helpers import run_main

HOSTILE = "[/] [red]x \x1b]0;pwned\x07\x1b[2J"


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["init"], capsys)[0] == 0
    assert run_main(["start", "release-management", "--id", "r", "-t", HOSTILE], capsys)[0] == 0
    args = ["done", "r", "stakeholders-aligned", "-e", "https://x", "-m", HOSTILE]
    assert run_main(args, capsys)[0] == 0
    assert run_main(["block", "r", "timeline-published", "-r", HOSTILE], capsys)[0] == 0


@pytest.mark.parametrize(
    "args", [["log", "r"], ["status", "r"], ["runs"], ["check", "r"], ["waivers"]]
)
def test_markup_and_escapes_in_user_text_neither_crash_nor_reach_the_terminal(
    run: None, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    code, out, err = run_main(args, capsys)
    assert code in (0, 1), err
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "internal error" not in err


def test_the_text_itself_is_kept_in_the_log(run: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["log", "r"], capsys)
    assert code == 0
    assert "[/] [red]x" in out


def test_a_team_name_outside_the_basic_plane_keeps_the_workspace_usable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_main(["init", "--team", "Squad 🚀"], capsys)[0] == 0
    assert run_main(["frameworks", "list"], capsys)[0] == 0
