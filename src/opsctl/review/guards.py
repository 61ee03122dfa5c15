"""Limits on what a report template may build, and on the time and memory rendering takes.

A template comes through git from anyone on the team; rendering one must
not hang a CI job or exhaust a machine's memory. :mod:`opsctl.review.render`
checks what each sandboxed step would build *before* building it where the
size is known from the operands (repetition, powers, concatenation, format
widths, padding), checks every other result after, and backs both with an
alarm at the deadline and, on Linux, a ceiling on the address space.
"""

from __future__ import annotations

import functools
import os
import re
import signal
import string
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

MAX_OUTPUT = 10 * 1024 * 1024
"""Characters a rendered report may have (10 MiB of ASCII)."""
MAX_STRING = MAX_OUTPUT
"""Characters of any one string a template builds."""
MAX_ITEMS = 1_000_000
"""Items of any one list, tuple, dict or set a template builds."""
MAX_INT_BITS = 1 << 16
"""Bits of any one integer a template computes (about 19,700 digits)."""
MEMORY_HEADROOM = 1 << 30
"""Address space rendering may add to the process, where it can be enforced (Linux)."""

WIDTH_ARGUMENTS = frozenset(
    {"center", "ljust", "rjust", "zfill", "expandtabs", "indent", "wordwrap", "slice", "batch"}
    | {"tojson"}
)
"""Filters and string methods whose integer arguments size what they build."""

_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_DIGITS = re.compile(r"\d+")


class RenderLimit(Exception):
    """A template went over a time or size limit."""


def check_size(value: T, size: int | None = None) -> T:
    """``value`` if it (or ``size`` items of its kind) is within the limits, else RenderLimit."""
    if isinstance(value, str | bytes):
        _within(len(value) if size is None else size, MAX_STRING, "a string")
    elif isinstance(value, list | tuple | dict | set | frozenset):
        _within(len(value) if size is None else size, MAX_ITEMS, "a list")
    elif isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise RenderLimit(f"would build a number over {MAX_INT_BITS:,} bits; refused")
    return value


def _within(size: int, limit: int, what: str) -> None:
    if size > limit:
        raise RenderLimit(f"would build {what} over {limit:,} long; refused")


def _bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise RenderLimit(f"would build a number over {MAX_INT_BITS:,} bits; refused")


def _sized(value: object) -> bool:
    return isinstance(value, str | bytes | list | tuple)


def _repeat(sequence: Any, times: Any) -> None:
    if not isinstance(times, int):
        return
    if isinstance(sequence, int):
        _bits(abs(sequence).bit_length() + abs(times).bit_length())
    elif _sized(sequence):
        check_size(sequence, len(sequence) * max(times, 0))


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse ``*``, ``**``, ``+`` or ``%`` when the result would be over a limit."""
    if operator == "*":
        _repeat(left, right)
        _repeat(right, left)
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            _bits(abs(left).bit_length() * right)
    elif operator == "+" and _sized(left) and _sized(right):
        check_size(left, len(left) + len(right))
    elif operator == "%" and isinstance(left, str):
        check_printf(left)


def _widths(numbers: Iterable[str | None]) -> None:
    for number in numbers:
        if number == "*" or (number and (len(number) > 9 or int(number) > MAX_STRING)):
            raise RenderLimit(f"a format width or precision over {MAX_STRING:,}; refused")


def check_printf(template: str) -> None:
    """Refuse a ``%`` format with a width over the limit, or one taken from a value (``*``)."""
    for match in _PRINTF.finditer(template):
        _widths(match.groups())


def check_format_fields(template: str) -> None:
    """Refuse a ``str.format`` width over the limit, or one taken from a value (``{:{w}}``)."""
    for _, field, spec, _ in string.Formatter().parse(template):
        if field is None or not spec:
            continue
        if "{" in spec:
            raise RenderLimit("a format width taken from a value; refused")
        _widths(_DIGITS.findall(spec))


def precheck(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse a filter or string method call that would build too much (``args[0]`` the value)."""
    if name in WIDTH_ARGUMENTS:
        for value in [*args[1:], *kwargs.values()]:
            if isinstance(value, int) and value > MAX_STRING:
                raise RenderLimit(f"{name}: a width or count over {MAX_STRING:,}; refused")
    elif name == "replace" and len(args) >= 3 and all(isinstance(a, str) for a in args[:3]):
        text, old, new = args[:3]
        if len(new) > len(old):
            check_size(text, len(text) + text.count(old) * (len(new) - len(old)))
    elif name == "format" and args and isinstance(args[0], str):
        check_printf(args[0])


def guard_filter(
    name: str, function: Callable[..., Any], tick: Callable[[], None]
) -> Callable[..., Any]:
    """A filter that keeps the deadline and refuses to build a value over the limits."""
    skip = 0 if getattr(function, "jinja_pass_arg", None) is None else 1

    @functools.wraps(function)  # keeps jinja_pass_arg: Jinja still passes the context
    def guarded(*args: Any, **kwargs: Any) -> Any:
        tick()
        precheck(name, args[skip:], kwargs)
        return check_size(function(*args, **kwargs))

    return guarded


class Budget:
    """The deadline of one rendering, checked by every sandbox hook and by an alarm."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.stopped = False
        """Set once the deadline stopped the rendering: the alarm then stays quiet."""

    @property
    def message(self) -> str:
        """Why the rendering stopped."""
        return f"took longer than {self.seconds:g} s to render; stopped"

    def tick(self) -> None:
        """Stop the rendering once the deadline has passed."""
        if time.monotonic() > self.deadline:
            self.stopped = True
            raise RenderLimit(self.message)


ALARM_GRACE_SECONDS = 0.25
"""The alarm goes off this long after the deadline, so the sandbox's own checks (which
name the template's line) stop a rendering first where they can."""


@contextmanager
def alarm(budget: Budget) -> Iterator[None]:
    """Interrupt the rendering at the deadline, even inside a plain loop, once.

    A signal reaches only the main thread (and not on Windows); elsewhere the
    sandbox's own checks of the deadline stop it. A RenderLimit may escape
    the block while it is being left: callers catch it around the block.
    """
    in_main = threading.current_thread() is threading.main_thread()
    if not hasattr(signal, "setitimer") or not in_main:
        yield
        return

    def expired(_signum: int, _frame: object) -> None:
        if not budget.stopped:
            budget.stopped = True
            raise RenderLimit(budget.message)

    previous = signal.signal(signal.SIGALRM, expired)
    started = time.monotonic()
    delay = max(budget.deadline - started, 0.0) + ALARM_GRACE_SECONDS
    outer_delay, outer_interval = signal.setitimer(signal.ITIMER_REAL, delay)
    try:
        try:
            yield
        finally:
            budget.stopped = True  # from here on the alarm cannot raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
        if outer_delay:
            left = outer_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), outer_interval)


def _address_space() -> tuple[int, int, int] | None:
    """The process's address space in use and its RLIMIT_AS, where both can be read."""
    if threading.active_count() != 1:
        return None  # the ceiling would apply to other threads' allocations too
    try:
        import resource

        pages = int(Path("/proc/self/statm").read_text(encoding="ascii").split()[0])
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        return pages * os.sysconf("SC_PAGE_SIZE"), soft, hard
    except (ImportError, OSError, ValueError, IndexError, AttributeError):
        return None


@contextmanager
def memory_ceiling(headroom: int) -> Iterator[None]:
    """Let the block grow the address space by at most ``headroom`` bytes (MemoryError past it).

    Linux only, and only in a single-threaded process; the previous limit is
    restored afterwards. It catches what the sandbox's checks cannot size in
    advance (joining or repeating many large values).
    """
    found = _address_space()
    if found is None:
        yield
        return
    import resource

    used, soft, hard = found
    ceiling = used + headroom if hard == resource.RLIM_INFINITY else min(used + headroom, hard)
    if soft != resource.RLIM_INFINITY and soft <= ceiling:
        yield
        return
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
