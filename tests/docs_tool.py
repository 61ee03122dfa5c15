"""Regenerate or check the sample outputs in README.md and docs/*.md.

    python tests/docs_tool.py regenerate   # after changing what a command prints
    python tests/docs_tool.py check        # CI: exit 1 naming every stale sample

Two kinds of sample are generated from the real commands:

- ``console`` blocks (``$ command`` and its output): the output under each
  command is what the command prints in the document's demo workspace;
- Cog sections (``<!-- [[[cog ... ]]] -->`` ... ``<!-- [[[end]]] -->``): JSON
  samples and report excerpts made by ``tests/docs_samples.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cogapp import Cog

sys.path.insert(0, str(Path(__file__).resolve().parent))

from docs_examples import DOCS, REPO, SYBIL, cleanup


def stale_sessions(paths: tuple[Path, ...], rewrite: bool) -> list[str]:
    """Run every example; list the console blocks whose output changed (and rewrite them)."""
    stale = []
    for path in paths:
        document = SYBIL.parse(path)
        document.namespace["regenerate"] = True
        for example in document.examples():
            example.evaluate()
        updates = sorted(document.namespace.get("updates", []), reverse=True)
        for start, _end, _new in updates:
            line = document.text.count("\n", 0, start)
            stale.append(f"{location_of(path, line)}: sample output is stale")
        cleanup(document.namespace)
        if rewrite and updates:
            text = document.text
            for start, end, new in updates:
                text = text[:start] + new + text[end:]
            path.write_text(text, encoding="utf-8")
    return stale


def location_of(path: Path, line: int) -> str:
    """``docs/x.md:12`` relative to the repository."""
    shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
    return f"{shown}:{line}"


def cog(paths: tuple[Path, ...], check: bool) -> int:
    """Run Cog over the documents: regenerate in place, or only check."""
    tests = str(Path(__file__).resolve().parent)
    mode = ["--check", "--check-fail-msg", "run: python tests/docs_tool.py regenerate"]
    prologue = ["-p", "from docs_samples import json_sample, report_sample"]
    arguments = ["cog", "-I", tests, *prologue, *(mode if check else ["-r"]), *map(str, paths)]
    return Cog().main(arguments)


def main(argv: list[str]) -> int:
    """Regenerate (default) or check every generated sample; exit 1 when one is stale."""
    check = argv[:1] == ["check"]
    paths = tuple(Path(arg).resolve() for arg in argv[1:]) or DOCS
    status = cog(paths, check)
    stale = stale_sessions(paths, rewrite=not check)
    for line in stale:
        print(line if check else line.replace("is stale", "regenerated"))
    return 1 if status or (check and stale) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
