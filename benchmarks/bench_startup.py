"""Start-up: `opsctl frameworks list` against the import floor of its libraries.

Target (issue 2): at most 1.3x the floor `python -c "import typer, pydantic, yaml, rich"`,
measured in the same run. A bare Typer app with one command is measured too, to show
how much of the cost is Typer's own dispatch rather than opsctl's.

Usage: python benchmarks/bench_startup.py [--repeat N]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _util import PYTHON, median_seconds, opsctl_argv

BARE_TYPER = """
import typer
app = typer.Typer(add_completion=False)
@app.callback()
def root() -> None: ...
@app.command()
def hello() -> None:
    print("hello")
app(["hello"])
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        floor = median_seconds(
            [PYTHON, "-c", "import typer, pydantic, yaml, rich"], args.repeat, cwd
        )
        bare = median_seconds([PYTHON, "-c", BARE_TYPER], args.repeat, cwd)
        listing = median_seconds([*opsctl_argv(), "frameworks", "list"], args.repeat, cwd)
    print(f"import floor (typer, pydantic, yaml, rich): {floor * 1000:7.1f} ms median")
    print(
        f"bare Typer app running one command:         {bare * 1000:7.1f} ms median "
        f"({bare / floor:.2f}x floor)"
    )
    print(
        f"opsctl frameworks list (built-ins):         {listing * 1000:7.1f} ms median "
        f"({listing / floor:.2f}x floor, {listing / bare:.2f}x bare Typer)"
    )
    print(f"target: <= 1.30x floor -> {'met' if listing <= 1.3 * floor else 'NOT met'}")


if __name__ == "__main__":
    main()
