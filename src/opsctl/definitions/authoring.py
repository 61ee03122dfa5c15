"""Starting a framework of one's own: a copy of another under a new id, ready to edit.

The copy is made in round-trip mode, so the source's comments, folded text
and layout survive; it starts with a ``yaml-language-server`` modeline
naming the JSON Schema file written beside it, so an editor completes and
checks fields from the first keystroke.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from opsctl.definitions.config import parse_config_text, round_trip_yaml
from opsctl.definitions.names import SLUG_PATTERN
from opsctl.errors import UsageError

SCHEMA_FILE = "framework.schema.json"
"""The name of the JSON Schema file written beside workspace frameworks."""

MODELINE = f"# yaml-language-server: $schema={SCHEMA_FILE}"
"""The first line of a framework file: tells YAML editors which schema to use."""

_MODELINE_START = "# yaml-language-server:"


def check_framework_id(framework_id: str) -> str:
    """A framework id is a slug of at most 64 characters; a UsageError saying so otherwise."""
    if not re.fullmatch(SLUG_PATTERN, framework_id) or len(framework_id) > 64:
        raise UsageError(
            f"framework id {framework_id!r}: use lowercase letters, digits and single hyphens, "
            "at most 64 characters (e.g. release-management-lite)"
        )
    return framework_id


def copy_definition(
    text: str, source: Path, new_id: str, keep_metrics: bool
) -> tuple[str, list[str]]:
    """The text of ``source`` under ``new_id``, headed by the schema modeline.

    KPI ids are unique across every framework, so a copy under a new id
    leaves its KPIs out (``keep_metrics`` False): they stay declared by the
    source, and the copy's metric checks still read them. Returns the text
    and the KPI ids left out.
    """
    tree: Any = parse_config_text(text, source)
    if not isinstance(tree, dict):
        raise UsageError(f"{source}: not a framework definition (expected a mapping)")
    tree["id"] = new_id
    dropped: list[str] = []
    if not keep_metrics and tree.get("metrics"):
        dropped = [str(metric.get("id", "")) for metric in tree["metrics"]]
        del tree["metrics"]
    handler = round_trip_yaml()
    handler.width = 1 << 16
    output = io.StringIO()
    handler.dump(tree, output)
    body = [line for line in output.getvalue().splitlines() if not line.startswith(_MODELINE_START)]
    header = [MODELINE, f"# Copied from {source.name} by 'opsctl frameworks new'."]
    if dropped:
        header.append(
            f"# Its KPIs ({', '.join(dropped)}) stay declared there; checks here still read them."
        )
    return "\n".join([*header, *body]) + "\n", dropped
