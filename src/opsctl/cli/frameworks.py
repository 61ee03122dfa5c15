"""``opsctl frameworks``: list the frameworks and show one as a tree."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from opsctl.cli.output import FormatOption, OutputFormat, console, emit_json, print_columns, safe
from opsctl.cli.state import catalog

if TYPE_CHECKING:
    from opsctl.definitions.model import Framework

app = typer.Typer(
    no_args_is_help=True,
    help="List the frameworks and show their phases.\n\n"
    "Example: opsctl frameworks show release-management",
)


def _summary(framework: Framework) -> dict[str, object]:
    return {
        "id": framework.id,
        "title": framework.title,
        "area": framework.area,
        "phases": len(framework.phases),
        "items": framework.item_count(),
        "metrics": [metric.id for metric in framework.metrics],
    }


@app.command("list")
def list_frameworks(output_format: OutputFormat = FormatOption) -> None:
    """List every framework: id, title, area, phases, items and KPIs.

    Built-in frameworks come first; a workspace's own files replace a
    built-in with the same id.

    Example: opsctl frameworks list --format json
    """
    entries = catalog().entries
    if output_format is OutputFormat.JSON:
        rows = []
        for key in sorted(entries):
            row = _summary(entries[key].framework)
            row["source"] = "builtin" if entries[key].builtin else str(entries[key].path)
            rows.append(row)
        emit_json("frameworks", {"frameworks": rows})
        return
    print_columns(
        ["ID", "TITLE", "AREA", "PHASES", "ITEMS", "KPIS"],
        [
            [
                framework.id,
                framework.title,
                framework.area.removesuffix(" Framework"),
                str(len(framework.phases)),
                str(framework.item_count()),
                str(len(framework.metrics)),
            ]
            for framework in (entries[key].framework for key in sorted(entries))
        ],
    )


@app.command("show")
def show_framework(
    framework_id: str = typer.Argument(..., metavar="FRAMEWORK", help="Framework id."),
    output_format: OutputFormat = FormatOption,
) -> None:
    """Show one framework as a tree of phases, items, gates and KPIs.

    Example: opsctl frameworks show release-management
    """
    from rich.tree import Tree

    entry = catalog().get(framework_id)
    framework = entry.framework
    if output_format is OutputFormat.JSON:
        emit_json(
            "framework",
            {"framework": framework.model_dump(mode="json"), "source": str(entry.path)},
        )
        return
    tree = Tree(f"[bold]{safe(framework.title)}[/] ({framework.id}) - {safe(framework.area)}")
    tree.add(safe(framework.summary))
    for number, phase in enumerate(framework.phases, start=1):
        branch = tree.add(f"[bold]{number}. {safe(phase.title)}[/] [dim]({phase.id})[/]")
        for item in phase.items:
            optional = "" if item.required else " [dim](optional)[/]"
            branch.add(
                f"\\[ ] {safe(item.title)}{optional} [dim]{phase.id}/{item.id} - {item.owner}[/]"
            )
        if phase.gate.approvals:
            branch.add(f"[yellow]gate: sign-off by {', '.join(phase.gate.approvals)}[/]")
    if framework.metrics:
        kpis = tree.add("[bold]KPIs[/]")
        for metric in framework.metrics:
            kpis.add(
                f"{safe(metric.title)} ({metric.id}): {metric.direction.value} is better, "
                f"target +{metric.target_improvement_pct:g}% ({safe(metric.unit)})"
            )
    if framework.review:
        tree.add("reviews: " + ", ".join(safe(review.title) for review in framework.review))
    console().print(tree)
