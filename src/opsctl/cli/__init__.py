"""The Typer command line: parse, call the core, print."""
