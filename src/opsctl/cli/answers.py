"""Read commands answered again from what they printed, while nothing they read has changed.

``runs``, ``status``, ``check``, ``todo``, ``frameworks list`` and ``metric
list`` print the same thing for the same inputs, and re-deriving it (creating the models, laying out
Rich's tables) costs more than starting Python. :func:`answer` keeps what
a command printed, on stdout and stderr, under three keys: the request (the
command and its arguments), the digest of everything it read
(:mod:`opsctl.actions.sources`) and how its output is drawn (the streams
and the environment Rich looks at, :func:`_drawing`). While all three
match, the command prints the kept answer without running. Only a command
that succeeds is kept, or a ``check`` that printed its whole report and
failed (:class:`CheckFailed`, exit 1, kept with its exit code); an error
never is. ``OPSCTL_NO_CACHE=1`` turns keeping off.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from typing import Literal, TextIO

from opsctl.actions.session import Session
from opsctl.errors import CheckFailed
from opsctl.store.answers import Chunk, keep_answer, kept_answer

DRAWING_ENVIRONMENT = (
    "COLUMNS",
    "LINES",
    "JUPYTER_COLUMNS",
    "JUPYTER_LINES",
    "NO_COLOR",
    "FORCE_COLOR",
    "TTY_COMPATIBLE",
    "TTY_INTERACTIVE",
    "COLORTERM",
    "TERM",
    "DATABRICKS_RUNTIME_VERSION",
    "TZ",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "PYTHONIOENCODING",
)
"""Variables that change how Rich draws (width, colour, encoding) or how times are shown."""


def answer(
    session: Session,
    request: list[str],
    source: Callable[[], str | None],
    produce: Callable[[], None],
) -> None:
    """Print the kept answer to ``request`` if ``source`` is unchanged, else run ``produce``.

    ``source`` is computed again after ``produce``; the answer is kept only
    if nothing it read changed while it ran.
    """
    before = source()
    if before is None:
        produce()
        return
    key = "\0".join([*request, _drawing()])
    kept = kept_answer(session.cache, key, before)
    if kept is not None:
        for stream, text in kept:
            if stream == "failed":
                raise CheckFailed()
            (sys.stdout if stream == "out" else sys.stderr).write(text)
        return
    chunks: list[Chunk] = []
    try:
        with _recording(chunks):
            produce()
    except CheckFailed as failed:
        if not failed.problems and source() == before:
            keep_answer(session.cache, key, before, [*chunks, ("failed", "")])
        raise
    if source() == before:
        keep_answer(session.cache, key, before, chunks)


def _drawing() -> str:
    """How output is drawn here: each standard stream's terminal size, encodings, environment."""
    parts = [f"{name}={os.environ.get(name)}" for name in DRAWING_ENVIRONMENT]
    ours = (f"{name}={value}" for name, value in os.environ.items() if name.startswith("OPSCTL_"))
    parts += sorted(ours)
    parts += [f"{stream.encoding}:{stream.errors}" for stream in (sys.stdout, sys.stderr)]
    for descriptor in (0, 1, 2):
        try:
            size = os.get_terminal_size(descriptor) if os.isatty(descriptor) else None
        except OSError:
            size = None
        parts.append(f"{descriptor}:{size}")
    return "\0".join(parts)


class _Copying(io.TextIOBase):
    """A text stream that writes through to another and notes down what was written."""

    def __init__(self, target: TextIO, stream: Literal["out", "err"], chunks: list[Chunk]) -> None:
        self._target, self._stream, self._chunks = target, stream, chunks

    def write(self, text: str) -> int:
        self._target.write(text)
        self._chunks.append((self._stream, text))
        return len(text)

    def flush(self) -> None:
        self._target.flush()

    def isatty(self) -> bool:
        return self._target.isatty()

    def fileno(self) -> int:
        return self._target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._target.encoding

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return self._target.errors


@contextmanager
def _recording(chunks: list[Chunk]) -> Iterator[None]:
    """Note down everything written to stdout and stderr, in order, while still writing it."""
    with (
        redirect_stdout(_Copying(sys.stdout, "out", chunks)),
        redirect_stderr(_Copying(sys.stderr, "err", chunks)),
    ):
        yield
