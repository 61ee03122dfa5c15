"""Markdown helpers: user text must never break a table or inject HTML."""

from __future__ import annotations

import html

_SPECIAL = str.maketrans(
    {"\\": "\\\\", "|": "\\|", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]"}
)


def cell(text: object) -> str:
    """Escape any value for a GFM table cell: pipes, backticks, newlines and HTML."""
    value = html.escape(str(text), quote=False)
    value = " ".join(value.split())
    return value.translate(_SPECIAL)


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A GitHub-flavoured Markdown table with every cell escaped."""
    lines = [
        "| " + " | ".join(cell(header) for header in headers) + " |",
        "|" + "|".join(" --- " for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
