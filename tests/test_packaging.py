"""An installed wheel finds its built-in frameworks and templates outside the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel and unpack it into a folder of its own (dependencies come from here)."""
    dist = tmp_path_factory.mktemp("dist")
    site = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
        capture_output=True,
        text=True,
        check=False,
    )
    if build.returncode != 0:
        pytest.skip(f"cannot build the wheel here: {build.stderr.strip()[-300:]}")
    [wheel] = dist.glob("opsctl-*.whl")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    return site


def _run(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_the_wheel_ships_frameworks_and_templates(installed: Path) -> None:
    data = installed / "opsctl" / "_data"
    assert len(list((data / "frameworks").glob("*.yaml"))) == 13
    assert (data / "frameworks" / "framework.schema.json").exists()
    assert (data / "templates" / "monthly.md.j2").exists()


def test_installed_opsctl_uses_its_own_data_outside_the_source_tree(
    installed: Path, tmp_path: Path
) -> None:
    probe = _run(
        installed,
        tmp_path,
        "-c",
        "import opsctl, opsctl.definitions.catalog as c; "
        "print(opsctl.__file__); print(c.data_dir('frameworks'))",
    )
    module, frameworks = probe.stdout.split()
    assert module.startswith(str(installed))
    assert frameworks.startswith(str(installed))
    listing = _run(installed, tmp_path, "-m", "opsctl", "frameworks", "list", "--format", "json")
    assert listing.returncode == 0, listing.stderr
    assert '"release-management"' in listing.stdout


def test_installed_opsctl_renders_a_report_from_shipped_templates(
    installed: Path, tmp_path: Path
) -> None:
    assert _run(installed, tmp_path, "-m", "opsctl", "init").returncode == 0
    report = _run(installed, tmp_path, "-m", "opsctl", "report", "monthly", "--month", "2026-11")
    assert report.returncode == 0, report.stderr
    assert report.stdout.startswith("# Monthly operations validation: 2026-11")
