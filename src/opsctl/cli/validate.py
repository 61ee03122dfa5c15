"""``opsctl validate`` and ``opsctl schema``: check definitions, publish their schema."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from opsctl.cli import state
from opsctl.cli.output import say, warn


def validate(
    files: list[Path] = typer.Argument(None, help="Framework files; default: all known ones."),
) -> None:
    """Check framework files and report every error with file, line and field.

    Without files, checks the built-in frameworks and the workspace's own.
    Exit 0 when all are valid, 2 with every error listed otherwise. A KPI
    target that cannot be met within the KPI's bounds (from some baselines,
    or from the workspace's recorded baseline) is a warning on stderr.

    Example: opsctl validate .opsctl/frameworks/onboarding.yaml
    """
    from opsctl.actions.frameworks import validate_definitions

    result = validate_definitions(state.session(), files)
    if not result.files:
        say(f"ok: {result.count} frameworks valid")
    else:
        say(f"ok: {result.count} file{'s' if result.count != 1 else ''} valid")
    for warning in result.warnings:
        warn(f"opsctl: warning: {warning}")


def schema() -> None:
    """Print the JSON Schema of a framework file, for editors and other tools.

    Example: opsctl schema > framework.schema.json
    """
    from opsctl.actions.frameworks import framework_schema

    typer.echo(json.dumps(framework_schema(), indent=2, sort_keys=True))
