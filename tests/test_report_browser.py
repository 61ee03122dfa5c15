"""The demo's HTML reports open in a real headless browser (Debian's ``chromium``) without errors.

Chromium prints every console message of the page on stderr with
``--enable-logging=stderr --v=0`` (``...:CONSOLE...] "message", source: ...``):
a script error, a blocked load or a Content-Security-Policy violation would
show there. A control page with a deliberate console error proves the check
can fail. ``.ci/run`` installs chromium when it is missing, so CI never skips
this; elsewhere it is skipped only when no chromium is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import process_ok
from report_html import parse

NOW = "2026-12-03T09:00:00Z"
REPORTS = [
    ("monthly", "--month", "2026-11"),
    ("quarterly", "--quarter", "2026-Q4"),
    ("quarterly", "--quarter", "2026-Q3"),
]


def browser() -> str:
    found = shutil.which("chromium")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is missing in CI: .ci/run installs it (apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium)")


def open_page(page: Path, tmp_path: Path, *mode: str) -> subprocess.CompletedProcess[str]:
    """Open a file in headless chromium (a fresh profile each time); stderr holds the console."""
    profile = tmp_path / f"profile-{page.stem}"
    return subprocess.run(
        [
            browser(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *mode,
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "HOME": str(tmp_path)},
    )


def console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    browser()
    root = tmp_path_factory.mktemp("browser")
    process_ok(["demo", str(root / "demo")], cwd=root, env={"OPSCTL_NOW": NOW})
    return root / "demo"


def test_the_check_sees_a_console_error(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><title>x</title><script>console.error('boom')</script>")
    result = open_page(page, tmp_path, "--dump-dom")
    assert any("boom" in line for line in console_lines(result.stderr)), result.stderr[-2000:]


@pytest.mark.parametrize("args", REPORTS, ids=lambda args: args[2])
def test_report_renders_without_console_errors(
    demo: Path, tmp_path: Path, args: tuple[str, str, str]
) -> None:
    cadence, flag, label = args
    page = tmp_path / f"{label}.html"
    process_ok(
        ["report", cadence, flag, label, "--format", "html", "--output", str(page)],
        cwd=demo,
        env={"OPSCTL_NOW": NOW},
    )
    shot = tmp_path / f"{label}.png"
    result = open_page(page, tmp_path, f"--screenshot={shot}", "--window-size=1280,3000")
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_lines(result.stderr) == []
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000
    # The browser built the page we wrote: same title, sections and tables.
    dom = open_page(page, tmp_path, "--dump-dom")
    assert dom.returncode == 0 and console_lines(dom.stderr) == []
    written, shown = parse(page.read_text(encoding="utf-8")), parse(dom.stdout)
    assert shown.title == written.title and label in shown.title
    assert shown.sections == written.sections
    assert [t.header for t in shown.tables] == [t.header for t in written.tables]
    assert shown.tags.count("svg") == written.tags.count("svg") >= 1


def test_report_prints_to_pdf(demo: Path, tmp_path: Path) -> None:
    """The print stylesheet lays the page out for paper without errors."""
    page = tmp_path / "2026-11.html"
    process_ok(
        ["report", "monthly", "--month", "2026-11", "--format", "html", "--output", str(page)],
        cwd=demo,
        env={"OPSCTL_NOW": NOW},
    )
    pdf = tmp_path / "2026-11.pdf"
    result = open_page(page, tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_lines(result.stderr) == []
    document = pdf.read_bytes()
    assert document.startswith(b"%PDF") and document.count(b"/Type /Page") >= 2
