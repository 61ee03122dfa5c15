"""What opsctl writes and renders is safe: outputs, templates, control characters, temp files.

Issue 15, items 1, 9, 10 and 11, through the CLI with real symlinks, named
pipes, sockets, template files and processes:

- ``--output`` of ``report`` and ``check`` writes only a new file or over a
  regular one, through a temporary file and a rename; a symbolic link, a
  named pipe, a device, a socket or a folder is refused (exit 2), untouched;
- a report template cannot hang a job or exhaust memory, and a templates
  folder leading out of the workspace is not read;
- control characters in user text never reach a check rendering or a report;
- a temporary file a killed writer left behind is removed by the next write.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from helpers import ok, opsctl_subprocess, process_ok, run_main
from opsctl.review import render
from opsctl.text import strip_controls

NOW = "2026-11-20T00:00:00Z"
AFTER = "2026-12-03T00:00:00Z"
HOSTILE = "x \x1b]0;pwned\x07\x1b[2J \x9b31m \x00\x7f bell\x07 end\r\nnext"
"""An OSC title change, a bell, a screen clear, a C1 CSI, NUL, DEL, CR."""
CONTROLS = ["\x1b", "\x07", "\x9b", "\x00", "\x7f", "\r"]


@pytest.fixture
def ws(isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace with one run ``r`` due soon; the clock on 2026-11-20."""
    monkeypatch.setenv("OPSCTL_NOW", NOW)
    ok(["init"], capsys)
    ok(["start", "release-management", "--id", "r", "-t", "Release", "--due", "2026-11-25"], capsys)
    return isolated


def _is_untouched_symlink(link: Path, target: Path, content: str | None) -> bool:
    return (
        link.is_symlink()
        and link.readlink() == target
        and (content is None or target.read_text(encoding="utf-8") == content)
    )


# --- item 1: --output only to a new path or over a regular file --------------------------------


REPORT = ["report", "monthly", "--month", "2026-11"]
CHECK = ["check", "r", "--phase", "current"]


COMMAND_IDS = ["report", "check junit", "check json", "check github", "check markdown"]


def _commands(output: str) -> list[list[str]]:
    return [
        [*REPORT, "--output", output],
        *([*CHECK, "-f", form, "-o", output] for form in ("junit", "json", "github", "markdown")),
    ]


@pytest.mark.parametrize("args", _commands("out.md"), ids=COMMAND_IDS)
def test_output_through_a_symlink_to_a_file_is_refused_and_the_file_untouched(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n", encoding="utf-8")
    (ws / "out.md").symlink_to(target)
    code, out, err = run_main(args, capsys)
    assert code == 2, (out, err)
    assert "--output: out.md: is a symbolic link" in err
    assert _is_untouched_symlink(ws / "out.md", target, "keep me\n")
    assert not (ws / ".opsctl" / "reviews.json").exists()
    assert [p.name for p in ws.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("args", _commands("out.md"), ids=COMMAND_IDS)
def test_a_dangling_symlink_is_not_followed_to_create_its_target(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    target = tmp_path / "elsewhere" / "created.md"
    target.parent.mkdir()
    (ws / "out.md").symlink_to(target)
    code, _, err = run_main(args, capsys)
    assert code == 2
    assert "is a symbolic link" in err
    assert not target.exists()
    assert (ws / "out.md").is_symlink()


@pytest.mark.parametrize("args", _commands("pipe")[:2], ids=COMMAND_IDS[:2])
def test_a_named_pipe_is_neither_written_into_nor_replaced(ws: Path, args: list[str]) -> None:
    os.mkfifo(ws / "pipe")
    # A real process: writing into a pipe nobody reads would block forever.
    result = opsctl_subprocess(args, ws, {"OPSCTL_NOW": NOW}, timeout=60)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "--output: pipe: is a named pipe" in result.stderr
    assert stat.S_ISFIFO(os.lstat(ws / "pipe").st_mode)


def test_a_socket_is_not_replaced(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind("sock")  # relative: the path of a socket is short
        for args in _commands("sock"):
            code, _, err = run_main(args, capsys)
            assert code == 2
            assert "--output: sock: is a socket" in err
            assert stat.S_ISSOCK(os.lstat(ws / "sock").st_mode)
    finally:
        server.close()


def test_a_device_is_not_replaced(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """As root, ``-o /dev/null`` used to replace /dev/null; here on a private copy of it."""
    device = ws / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (OSError, AttributeError) as exc:
        pytest.skip(f"cannot make a device node here: {exc}")
    for args in _commands("null"):
        code, _, err = run_main(args, capsys)
        assert code == 2
        assert "--output: null: is a character device" in err
        assert stat.S_ISCHR(os.lstat(device).st_mode)


def test_a_symlink_to_a_folder_is_refused(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ws / "folder").mkdir()
    (ws / "link").symlink_to(ws / "folder")
    for args in _commands("link"):
        code, _, err = run_main(args, capsys)
        assert code == 2
        assert "is a symbolic link" in err
    assert list((ws / "folder").iterdir()) == []


@pytest.mark.parametrize("args", _commands("out.md"), ids=COMMAND_IDS)
def test_a_regular_file_is_replaced_by_a_rename_not_written_in_place(
    ws: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    out = ws / "out.md"
    out.write_text("old\n", encoding="utf-8")
    (ws / "hardlink.md").hardlink_to(out)
    before = os.lstat(out).st_ino
    code, _, err = run_main(args, capsys)
    assert code in (0, 1), err  # the check fails (items are open); the file is written
    assert os.lstat(out).st_ino != before  # a new file renamed into place
    assert out.read_text(encoding="utf-8") != "old\n"
    assert (ws / "hardlink.md").read_text(encoding="utf-8") == "old\n"  # not written through
    assert [p.name for p in ws.iterdir() if p.name.endswith(".tmp")] == []


def test_a_new_file_is_still_written(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok([*REPORT, "--output", "reports/2026-11.md"], capsys)
    assert (ws / "reports" / "2026-11.md").read_text(encoding="utf-8").startswith("# Monthly")
    code, _, _ = run_main([*CHECK, "-f", "junit", "-o", "reports/check.xml"], capsys)
    assert code == 1
    assert (ws / "reports" / "check.xml").read_text(encoding="utf-8").startswith("<?xml")


# --- item 9: templates under a time and size limit, inside the workspace ------------------------


def _template(ws: Path, text: str) -> Path:
    folder = ws / ".opsctl" / "templates"
    folder.mkdir(exist_ok=True)
    path = folder / "monthly.md.j2"
    path.write_text(text, encoding="utf-8")
    return path


def _children_peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


BOMBS = {
    "repeat": "{{ 'x' * 2000000000 }}",
    "list-repeat": "{{ ([1] * 2000000000) | length }}",
    "power": "{{ 7 ** 1000000000 }}",
    "printf-width": "{{ '%2000000000s' % 1 }}",
    "format-width": "{{ '{:>2000000000}'.format(1) }}",
    "method-width": "{{ 'x'.ljust(2000000000) }}",
    "filter-width": "{{ 'x' | center(2000000000) }}",
    "concat": "{% set a = 'x' * 10000000 %}{% set b = a ~ a ~ a %}{{ b | length }}",
    "replace": "{{ ('x' * 10000000) | replace('x', 'yyyyyyyyyy') | length }}",
    "list-growth": "{% set l = [0] * 1000000 %}{% for i in range(40) %}"
    "{% set _ = l.extend(l) %}{% endfor %}{{ l | length }}",
}


BOMB_DRIVER = """
import json, sys
from pathlib import Path
from opsctl.cli import state
from opsctl.cli.main import main
codes = {}
for name, text in json.loads(sys.argv[1]).items():
    Path(".opsctl/templates/monthly.md.j2").write_text(text + "\\n", encoding="utf-8")
    try:
        main(["report", "monthly", "--month", "2026-11"])
        codes[name] = 0
    except SystemExit as exc:
        codes[name] = exc.code
    state.reset()
    sys.stderr.flush()
print(json.dumps(codes))
"""


def test_a_template_cannot_build_a_huge_value(ws: Path) -> None:
    """Each template asks for gigabytes in one step; one real process renders them all."""
    path = _template(ws, "")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", BOMB_DRIVER, json.dumps(BOMBS)],
        cwd=ws,
        env={**os.environ, "OPSCTL_NOW": AFTER},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == dict.fromkeys(BOMBS, 2), result.stderr
    errors = result.stderr.splitlines()
    assert len(errors) == len(BOMBS), result.stderr
    for error in errors:
        assert error.startswith(f"opsctl: error: {path}:1: "), error
        assert error.endswith("refused"), error
    assert time.monotonic() - started < 60
    if sys.platform == "linux":
        assert _children_peak_mib() < 900  # nothing near the gigabytes the templates asked for


@pytest.mark.skipif(sys.platform != "linux", reason="the address-space ceiling is Linux's")
def test_what_cannot_be_sized_in_advance_meets_the_memory_ceiling(ws: Path) -> None:
    path = _template(ws, "{% set l = ['x' * 10000000] * 1000 %}{{ l | join | length }}\n")
    result = opsctl_subprocess(REPORT, ws, {"OPSCTL_NOW": AFTER}, timeout=120)
    assert result.returncode == 2, (result.stdout[:200], result.stderr)
    assert result.stderr.startswith(f"opsctl: error: {path}:1: needs more than 1024 MiB")
    assert _children_peak_mib() < 1500


def test_a_huge_report_is_stopped_at_the_output_limit(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSCTL_NOW", AFTER)
    path = _template(ws, "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}\n")
    code, _, err = run_main([*REPORT, "--output", "big.md"], capsys)
    assert code == 2
    assert f"opsctl: error: {path}: the report is over 10 MiB; stopped" in err
    assert not (ws / "big.md").exists()
    assert not (ws / ".opsctl" / "reviews.json").exists()


LOOPS = {
    "nested ranges": "{% for i in range(100000) %}{% for j in range(100000) %}"
    "{% endfor %}{% endfor %}",
    "nested plain loops": "{% set s = 'x' * 100000 %}{% for a in s %}{% for b in s %}"
    "{% endfor %}{% endfor %}",
}
TIMED = (
    "import sys; import opsctl.review.render as r; r.RENDER_SECONDS = 1.5; "
    "from opsctl.cli.main import main; main(sys.argv[1:])"
)


@pytest.mark.parametrize("template", LOOPS.values(), ids=LOOPS.keys())
def test_a_template_that_runs_forever_is_stopped_at_the_time_limit(ws: Path, template: str) -> None:
    """A real process with the limit lowered to 1.5 s (10 s in opsctl), measured."""
    path = _template(ws, template + "\n")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", TIMED, *REPORT],
        cwd=ws,
        env={**os.environ, "OPSCTL_NOW": AFTER},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 2, result.stderr
    assert f"opsctl: error: {path}:1: took longer than 1.5 s to render; stopped" in result.stderr
    assert 1.5 <= elapsed < 20


def test_the_time_limit_holds_outside_the_main_thread(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No alarm signal there: the sandbox's own checks of the deadline stop it."""
    monkeypatch.setattr(render, "RENDER_SECONDS", 0.5)
    _template(ws, LOOPS["nested ranges"])
    caught: list[BaseException] = []

    def rendering() -> None:
        try:
            render.render("monthly", object(), ws / ".opsctl" / "templates", ws)
        except BaseException as exc:  # handed over to the test's thread
            caught.append(exc)

    thread = threading.Thread(target=rendering, daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert isinstance(caught[0], render.TemplateError)
    assert "took longer than 0.5 s" in str(caught[0])


def test_a_templates_folder_linked_out_of_the_workspace_is_not_read(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSCTL_NOW", AFTER)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "monthly.md.j2").write_text("TOP SECRET\n", encoding="utf-8")
    (ws / ".opsctl" / "templates").symlink_to(outside)
    code, out, err = run_main(REPORT, capsys)
    assert code == 2
    assert "TOP SECRET" not in out
    assert "templates: leads out of the workspace" in err
    assert "templates must live inside it" in err


def test_a_templates_folder_linked_inside_the_workspace_is_used(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSCTL_NOW", AFTER)
    (ws / "report-templates").mkdir()
    (ws / "report-templates" / "monthly.md.j2").write_text("ours {{ report.period.label }}\n")
    (ws / ".opsctl" / "templates").symlink_to(ws / "report-templates")
    assert ok(REPORT, capsys) == "ours 2026-11\n"


# --- item 10: no control characters in any rendering -------------------------------------------


def test_strip_controls_keeps_tabs_newlines_and_text() -> None:
    assert strip_controls("a\tb\nc\x1b[2Jd\x07e\r\x9bf\x00\x7f") == "a\tb\nc[2Jdef"
    assert strip_controls("émoji 🚀 ok") == "émoji 🚀 ok"


@pytest.fixture
def hostile(ws: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Run ``h``: hostile title, note, evidence, blocking reason and waiver reason."""
    ok(["start", "release-management", "--id", "h", "-t", "T " + HOSTILE], capsys)
    evidence = "https://wiki.example.com/p?q=\x1b]0;pwned\x07"
    ok(["done", "h", "stakeholders-aligned", "-e", evidence, "-m", HOSTILE], capsys)
    ok(["block", "h", "timeline-published", "-r", "B " + HOSTILE], capsys)
    ok(["skip", "h", "success-criteria-defined", "-r", "S " + HOSTILE], capsys)
    return ws


def _clean(text: str) -> None:
    assert "pwned" in text  # the user's text did reach the output...
    for control in CONTROLS:
        assert control not in text, repr(control)  # ...without its control characters


@pytest.mark.parametrize("form", ["markdown", "github", "junit"])
def test_check_renderings_carry_no_control_characters(
    hostile: Path, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    code, out, _ = run_main(["check", "h", "--phase", "current", "-f", form], capsys)
    assert code == 1
    _clean(out)
    code, _, _ = run_main(["check", "h", "--phase", "current", "-f", form, "-o", "c.out"], capsys)
    assert code == 1
    _clean((hostile / "c.out").read_text(encoding="utf-8"))


def test_the_job_summary_carries_no_control_characters(
    hostile: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(hostile / "summary.md"))
    assert run_main(["check", "h", "--phase", "current", "-f", "github"], capsys)[0] == 1
    _clean((hostile / "summary.md").read_text(encoding="utf-8"))


@pytest.mark.parametrize("cadence", [["monthly", "-m", "2026-11"], ["quarterly", "-q", "2026-Q4"]])
def test_reports_carry_no_control_characters(
    hostile: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    cadence: list[str],
) -> None:
    monkeypatch.setenv("OPSCTL_NOW", "2027-01-05T00:00:00Z")
    _clean(ok(["report", *cadence], capsys))
    ok(["report", *cadence, "--output", "r.md"], capsys)
    _clean((hostile / "r.md").read_text(encoding="utf-8"))


def test_a_workspace_template_cannot_print_control_characters_either(
    hostile: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSCTL_NOW", AFTER)
    _template(hostile, "{% for r in report.runs_active %}{{ r.title }}\n{% endfor %}\x1b[5m\n")
    out = ok(REPORT, capsys)
    _clean(out)
    assert "T x ]0;pwned[2J 31m  bell end\nnext\n" in out


# --- item 11: temporary files of killed writers are cleaned up ---------------------------------


KILLED_WRITER = (
    "import os, sys, tempfile, time\n"
    "fd, name = tempfile.mkstemp(dir=sys.argv[1], prefix=sys.argv[2], suffix='.tmp')\n"
    "os.write(fd, b'{\"half\": ')\n"
    "print(name, flush=True)\n"
    "time.sleep(600)\n"
)


def _killed_writer(folder: Path, target: str) -> Path:
    """A real process starts writing ``target`` as opsctl does, and is killed mid-write."""
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(folder), f".{target}."],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    name = Path(process.stdout.readline().strip())
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stdout.close()
    assert name.exists()
    return name


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.mark.parametrize(
    ("folder", "target", "command"),
    [
        (".opsctl/runs", "r.json", ["done", "r", "stakeholders-aligned", "-e", "https://x.io"]),
        ("reports", "2026-11.md", [*REPORT, "--output", "reports/2026-11.md"]),
    ],
    ids=["run file", "report output"],
)
def test_the_next_write_removes_a_killed_writers_stale_temp_file(
    ws: Path, folder: str, target: str, command: list[str]
) -> None:
    where = ws / folder
    where.mkdir(exist_ok=True)
    stale = _killed_writer(where, target)
    _age(stale, 120)
    fresh = _killed_writer(where, target)  # as if another writer were busy right now
    other = _killed_writer(where, "other.json")  # another file's leftovers are not ours
    _age(other, 120)
    lookalike = where / f".{target}.not-ours.tmp"
    lookalike.write_text("x", encoding="utf-8")
    _age(lookalike, 120)
    process_ok(command, ws, {"OPSCTL_NOW": AFTER})
    assert not stale.exists()
    assert fresh.exists()
    assert other.exists()
    assert lookalike.exists()


@pytest.mark.parametrize(
    "cell",
    ["plain", "two  spaces", " leading", "trailing ", "bell\x07", "tab\tx", "nl\nx", ""],
)
def test_columns_clean_every_cell_that_needs_it(
    cell: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from opsctl.cli.output import plain, print_columns

    print_columns(["A", "B"], [["x", cell], ["y", "z"]])
    lines = capsys.readouterr().out.splitlines()
    cleaned = " ".join(plain(cell).split())
    assert lines[1] == ("x  " + cleaned).rstrip()
    assert "\x07" not in lines[1] and "\t" not in lines[1]
