"""``opsctl audit verify``: check that runs' histories are intact."""

from __future__ import annotations

import typer

from opsctl.cli import state
from opsctl.cli.output import FormatOption, OutputFormat, emit_json, err_console, say
from opsctl.errors import EXIT_FAILED

app = typer.Typer(
    no_args_is_help=True,
    help="Tamper evidence for runs' histories.\n\nExample: opsctl audit verify",
)


@app.command("verify")
def verify(
    run_id: str | None = typer.Argument(None, metavar="[RUN]", help="One run (default: all)."),
    output_format: OutputFormat = FormatOption,
) -> None:
    """Recompute each run's hash chain and replay its history; exit 1 at the first bad event.

    Reports an event that was edited, removed or reordered, and stored
    state that does not follow from the history.

    Example: opsctl audit verify rel-2-4
    """
    from opsctl.engine.history import verify as verify_run

    store = state.store()
    ids = [run_id] if run_id else store.ids()
    results = []
    for current in ids:
        document = store.load(current)
        finding = verify_run(document)
        results.append((document, finding))
    if output_format is OutputFormat.JSON:
        emit_json(
            "audit",
            {
                "ok": all(finding is None for _, finding in results),
                "runs": [
                    {
                        "id": document.id,
                        "events": len(document.history),
                        "ok": finding is None,
                        "event": finding.event if finding else None,
                        "message": finding.message if finding else None,
                    }
                    for document, finding in results
                ],
            },
        )
    else:
        for document, finding in results:
            if finding is None:
                count = len(document.history)
                say(f"{document.id}: intact ({count} event{'s' if count != 1 else ''})")
            else:
                err_console().print(f"opsctl: audit: {finding}", markup=False)
    if any(finding is not None for _, finding in results):
        raise typer.Exit(EXIT_FAILED)
