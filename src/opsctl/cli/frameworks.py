"""``opsctl frameworks``: list the frameworks and show one as a tree."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from opsctl.cli import completion, state
from opsctl.cli.output import (
    FormatOption,
    OutputFormat,
    console,
    emit,
    print_columns,
    safe,
    say,
)

if TYPE_CHECKING:
    from rich.tree import Tree

    from opsctl.definitions.model import Framework, Item, Phase

app = typer.Typer(
    no_args_is_help=True,
    help="List the frameworks and show their phases.\n\n"
    "Example: opsctl frameworks show release-management",
)


@app.command("list")
def list_frameworks(output_format: OutputFormat = FormatOption) -> None:
    """List every framework: id, title, area, phases, items, checks, conditional items, KPIs.

    CHECKS counts the items with an automated check (opsctl check --run-checks);
    WHEN counts the items that apply only under a condition (labels, paths).

        Built-in frameworks come first; a workspace's own files replace a
        built-in with the same id.

        Example: opsctl frameworks list --format json
    """
    from opsctl.actions.sources import catalog_source
    from opsctl.cli.answers import answer

    session = state.session()

    def produce() -> None:
        from opsctl.actions.frameworks import list_frameworks as listing

        result = listing(session)
        if output_format is OutputFormat.JSON:
            emit(result)
            return
        print_columns(
            ["ID", "TITLE", "AREA", "PHASES", "ITEMS", "CHECKS", "WHEN", "KPIS"],
            [
                [
                    row.id,
                    row.title,
                    row.area.removesuffix(" Framework"),
                    str(row.phases),
                    str(row.items),
                    str(row.checks),
                    str(row.conditional),
                    str(len(row.metrics)),
                ]
                for row in result.frameworks
            ],
        )

    request = ["frameworks list", output_format.value]
    answer(session, request, lambda: catalog_source(session), produce)


@app.command("show")
def show_framework(
    framework_id: str = typer.Argument(
        ..., metavar="FRAMEWORK", autocompletion=completion.framework_ids, help="Framework id."
    ),
    output_format: OutputFormat = FormatOption,
) -> None:
    """Show one framework as a tree of phases, items, gates and KPIs.

    Example: opsctl frameworks show release-management
    """
    from opsctl.actions.frameworks import show_framework as show

    result = show(state.session(), framework_id)
    if output_format is OutputFormat.JSON:
        emit(result)
        return
    print_framework(result.framework)


@app.command("new")
def new_framework(
    framework_id: str = typer.Argument(..., metavar="ID", help="The new framework's id."),
    source_id: str = typer.Option(
        ...,
        "--from",
        metavar="FRAMEWORK",
        autocompletion=completion.framework_ids,
        help="The built-in or workspace framework to copy.",
    ),
    folder: Path | None = typer.Option(
        None, "--path", metavar="DIR", help="Folder to write to (default: .opsctl/frameworks)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace an existing file of that name."),
    output_format: OutputFormat = FormatOption,
) -> None:
    """Write a framework of your own to edit: a copy of another one under a new id.

    The file starts with a yaml-language-server modeline naming the JSON
    Schema written beside it (framework.schema.json), so an editor with a
    YAML language server completes and checks fields at once. A copy under
    a new id leaves the source's KPIs declared by the source.

    Example: opsctl frameworks new release-lite --from release-management
    """
    from opsctl.actions.frameworks import new_framework as create

    result = create(state.session(), framework_id, source_id, folder, force)
    if output_format is OutputFormat.JSON:
        emit(result)
        return
    say(f"wrote {result.path} (a copy of {result.source}) and {Path(result.schema_path).name}")
    if result.metrics_left_out:
        say(f"  KPIs left declared by {result.source}: {', '.join(result.metrics_left_out)}")
    say(f"next: edit it, then run: opsctl validate {result.path}")


def _item_line(phase: Phase, item: Item) -> str:
    optional = "" if item.required else " [dim](optional)[/]"
    extras = [f"check: {item.check.kind}"] if item.check else []
    extras += [f"when {safe(item.when.describe())}"] if item.when else []
    suffix = f" [cyan]({'; '.join(extras)})[/]" if extras else ""
    return f"\\[ ] {safe(item.title)}{optional} [dim]{phase.id}/{item.id} - {item.owner}[/]{suffix}"


def _phases(tree: Tree, framework: Framework) -> None:
    parent, group = tree, None
    for number, phase in enumerate(framework.phases, start=1):
        if phase.group and phase.group != group:
            group = phase.group
            parent = tree.add(f"[bold magenta]{safe(group)}[/]")
        when = f" [cyan](when {safe(phase.when.describe())})[/]" if phase.when else ""
        branch = parent.add(f"[bold]{number}. {safe(phase.title)}[/] [dim]({phase.id})[/]{when}")
        for item in phase.items:
            branch.add(_item_line(phase, item))
        if phase.gate.approvals:
            branch.add(f"[yellow]gate: sign-off by {', '.join(phase.gate.approvals)}[/]")


def print_framework(framework: Framework) -> None:
    """A framework as a tree of groups, phases, items (checks, conditions), gates and KPIs."""
    from rich.tree import Tree

    tree = Tree(f"[bold]{safe(framework.title)}[/] ({framework.id}) - {safe(framework.area)}")
    tree.add(safe(framework.summary))
    if framework.labels:
        labels = tree.add("[bold]labels[/] (opsctl start --label, opsctl label)")
        for label in framework.labels:
            labels.add(f"{label.id}: {safe(label.help)}")
    _phases(tree, framework)
    if framework.metrics:
        kpis = tree.add("[bold]KPIs[/]")
        for metric in framework.metrics:
            kpis.add(
                f"{safe(metric.title)} ({metric.id}): {metric.direction.value} is better, "
                f"target {safe(metric.target_label())} ({safe(metric.unit)})"
            )
    if framework.review:
        tree.add("reviews: " + ", ".join(safe(review.title) for review in framework.review))
    console().print(tree)
