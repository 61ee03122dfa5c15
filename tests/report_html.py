"""Read an HTML report back with the standard library's parser: tags, tables, text, references.

:func:`parse` checks as it goes that every element it opens is closed in
order (void elements aside), so a broken page fails the test that reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}
SVG_SELF_CLOSING = {"rect", "line", "polyline", "circle", "path"}


@dataclass
class Table:
    """A table as read: the section it sits in, its header cells and its body rows."""

    section: str
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Page:
    """What a test needs to know about a rendered HTML report."""

    tags: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    title: str = ""

    def section_tables(self, section: str) -> list[Table]:
        """The tables of one ``<section id=...>``."""
        return [table for table in self.tables if table.section == section]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.open: list[str] = []
        self.section = ""
        self.cell: list[str] | None = None
        self.row: list[str] | None = None
        self.in_head_row = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.tags.append(tag)
        values = dict(attrs)
        for name in ("src", "href", "xlink:href", "action", "srcset"):
            if values.get(name):
                self.page.references.append(f"{tag} {name}={values[name]}")
        if tag == "section":
            self.section = values.get("id") or ""
            self.page.sections.append(self.section)
        elif tag == "table":
            self.page.tables.append(Table(self.section))
        elif tag == "thead":
            self.in_head_row = True
        elif tag == "tbody":
            self.in_head_row = False
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
        if tag not in VOID and tag not in SVG_SELF_CLOSING:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.tags.append(tag)
        if tag not in VOID and tag not in SVG_SELF_CLOSING:
            raise AssertionError(f"<{tag}/> self-closed")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or (tag in SVG_SELF_CLOSING and (not self.open or self.open[-1] != tag)):
            return
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            table = self.page.tables[-1]
            if self.in_head_row:
                table.header = self.row
            else:
                table.rows.append(self.row)
            self.row = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
        if self.open and self.open[-1] == "style":
            self.page.styles.append(data)
        elif self.open and self.open[-1] == "title" and "svg" not in self.open:
            self.page.title += data
        self.page.text.append(data)


def parse(text: str) -> Page:
    """Parse a report page, insisting that every element is closed in order."""
    reader = _Reader()
    reader.feed(text)
    reader.close()
    assert reader.open == [], f"unclosed: {reader.open}"
    return reader.page


def rows_by_first_cell(table: Table) -> dict[str, list[str]]:
    """A table's rows keyed by their first cell."""
    return {row[0]: row for row in table.rows}
