"""``opsctl audit verify``: check that runs' histories are intact."""

from __future__ import annotations

import typer

from opsctl.cli import completion, state
from opsctl.cli.output import FormatOption, OutputFormat, emit, say
from opsctl.errors import CheckFailed

app = typer.Typer(
    no_args_is_help=True,
    help="Tamper evidence for runs' histories.\n\nExample: opsctl audit verify",
)


@app.command("verify")
def verify(
    run_id: str | None = typer.Argument(
        None, metavar="[RUN]", autocompletion=completion.run_ids, help="One run (default: all)."
    ),
    output_format: OutputFormat = FormatOption,
) -> None:
    """Recompute each run's hash chain and replay its history; exit 1 at the first bad event.

    Reports an event that was edited, removed or reordered, and stored
    state that does not follow from the history. With 'signoffs: signed' in
    config.yaml, also every sign-off that is unsigned, forged or re-signed
    (its SSH signature checked against the team roster's keys).

    Example: opsctl audit verify rel-2-4
    """
    from opsctl.actions.audit import verify_runs

    result = verify_runs(state.session(), run_id)
    if output_format is OutputFormat.JSON:
        emit(result)
        if not result.ok:
            raise CheckFailed()
        return
    for run in result.runs:
        if run.ok:
            say(f"{run.id}: intact ({run.events} event{'s' if run.events != 1 else ''})")
    if not result.ok:
        raise CheckFailed(*result.findings, topic="audit")
