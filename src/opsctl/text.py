"""Text helpers: user text must never break a table, inject HTML or reach a terminal raw."""

from __future__ import annotations

import re

_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""C0 controls but tab and newline (ESC, BEL, CR, ...), DEL, and the C1 controls."""

_SPECIAL = str.maketrans(
    {"\\": "\\\\", "|": "\\|", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]"}
)


def strip_controls(text: object) -> str:
    """Text with control characters removed; tabs and newlines are kept.

    Titles, notes, reasons and evidence arrive through git from other people;
    an escape sequence or a bell in one must not reach a terminal, a CI log
    or a file someone will ``cat``. Every output format runs user text
    through this; tabs and newlines stay, for each format to escape its own way.
    """
    value = str(text)
    if value.isascii() and value.isprintable():  # the common case, checked in C
        return value
    return _CONTROLS.sub("", value)


def cell(text: object) -> str:
    """Escape any value for a GFM table cell: controls, pipes, backticks, newlines and HTML."""
    from html import escape

    value = escape(strip_controls(text), quote=False)
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
