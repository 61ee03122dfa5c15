"""``opsctl validate`` and ``opsctl schema``: check definitions, publish their schema."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from opsctl.cli.output import say
from opsctl.cli.state import catalog, roles
from opsctl.errors import DefinitionError


def validate(
    files: list[Path] = typer.Argument(None, help="Framework files; default: all known ones."),
) -> None:
    """Check framework files and report every error with file, line and field.

    Without files, checks the built-in frameworks and the workspace's own.
    Exit 0 when all are valid, 2 with every error listed otherwise.

    Example: opsctl validate .opsctl/frameworks/onboarding.yaml
    """
    from opsctl.definitions.catalog import load_files

    if not files:
        count = len(catalog().entries)
        say(f"ok: {count} frameworks valid")
        return
    loaded, diagnostics = load_files(files, roles())
    if diagnostics:
        raise DefinitionError(diagnostics)
    say(f"ok: {len(loaded)} file{'s' if len(loaded) != 1 else ''} valid")


def schema() -> None:
    """Print the JSON Schema of a framework file, for editors and other tools.

    Example: opsctl schema > framework.schema.json
    """
    from opsctl.definitions.model import Framework

    document = Framework.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "opsctl framework"
    typer.echo(json.dumps(document, indent=2, sort_keys=True))
