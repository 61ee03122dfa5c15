"""Run the shell examples of README.md and docs/*.md, as a reader would type them.

Sybil finds the fenced blocks (and the `<!-- docs: ... -->` comments that steer
them) and gives each one a file and line; this module says how to run them:

- a ``sh`` block is a list of commands; each must exit 0, or the code its trailing
  comment names as ``(exit N)``;
- a ``console`` block is a session: ``$ command`` lines, each followed by the
  output it must print (stdout and stderr, in order); ``$ echo $?`` prints the
  previous command's exit code, and a command may fail only when the block says
  ``exit=N`` or an ``echo $?`` shows its code;
- ``<!-- docs: KEY=VALUE ... -->`` just before a block: ``skip`` (never run it:
  installs, pushes, placeholders), ``exit=N`` (every command of the block exits N),
  ``workspace=fresh`` / ``workspace=demo`` (from this block on, run in a new empty
  folder / a new copy of the demo), ``file=PATH`` (write the block to PATH, for the
  commands after it), ``user=EMAIL`` (OPSCTL_USER for the block; default pm@example.com).

Every document starts in its own copy of the workspace ``opsctl demo`` builds
under a fixed ``OPSCTL_NOW``. ``opsctl`` commands run in-process (fast); anything
else (pipes, redirections, git) runs in bash with the same environment.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sybil import Document, Example, Region, Sybil
from sybil.parsers.markdown.lexers import RawFencedCodeBlockLexer

from opsctl.definitions.source import data_dir

REPO = Path(__file__).resolve().parents[1]
DOCS = (REPO / "README.md", *sorted((REPO / "docs").glob("*.md")))
NOW = "2026-12-03T09:00:00Z"
"""The fixed clock of every example (the day after the demo's last reading)."""
SHOWN_HOME = "/home/you"
"""Where the examples' temporary folders appear to be, in generated output."""
SHOWN_PYTHON = "/usr/bin/python3"
SHOWN_BUILTINS = "/.../frameworks"
"""Where the built-in framework files are installed (the checkout or site-packages)."""
"""Where the interpreter opsctl runs in appears to be (it differs per virtualenv)."""
DEFAULT_USER = "pm@example.com"

_INFO = re.compile(r"(?P<language>[\w-]*)[^\n]*$\n", re.MULTILINE)
_DIRECTIVE = re.compile(r"<!--\s*docs:(?P<arguments>[^>]*?)-->\s*\Z")
_EXIT_COMMENT = re.compile(r"\(exit (\d+)\)")
_INTERPRETER = re.compile(re.escape(str(Path(sys.executable).parent)) + r"/python[0-9.]*")
_GIT_COMMIT = re.compile(
    r"(?<=^   )[0-9a-f]{7}|(?<=\.\.)[0-9a-f]{7}|(?<=^\[main )[0-9a-f]{7}", re.MULTILINE
)
_FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")
_FAKE_FINGERPRINTS = (
    "fyhNlFgJ/WUJjDnDn2Fb62GvkvYBMfVZJYwF9Gew8iI",
    "P/+xSH4n5e60UVG6x1L49w4Y2d3Y6Rvwt6HehP1Wl2o",
    "q3Zr0tBvXJ8cQm1yGkD7wE2sVn5LhUa9oPfR4iTxY6c",
)
_UNSET = (
    "OPSCTL_WORKSPACE",
    "GITHUB_ACTOR",
    "GITLAB_USER_EMAIL",
    "GITHUB_STEP_SUMMARY",
    "SSH_AUTH_SOCK",
)
"""Variables of the test run that a reader's terminal does not have."""
_REDIRECT = re.compile(r"(.*?)\s+>\s+([\w./-]+)")
_SHELL_SYNTAX = re.compile(r"[|&;<>$`*?~(){}]")


@dataclass(frozen=True)
class Block:
    """One fenced block to run, with what its `<!-- docs: -->` comment says."""

    language: str
    source: str
    source_offset: int
    options: dict[str, str] = field(default_factory=dict)

    def exit_code(self) -> int | None:
        """The exit code every command of the block must have, if the block says."""
        value = self.options.get("exit")
        return None if value is None else int(value)


def parse_options(arguments: str) -> dict[str, str]:
    """``skip exit=1 file=a.yaml`` -> {"skip": "", "exit": "1", "file": "a.yaml"}."""
    options = {}
    for word in shlex.split(arguments):
        key, _, value = word.partition("=")
        if key not in {"skip", "exit", "workspace", "file", "user"}:
            raise ValueError(f"unknown docs directive {key!r} in <!-- docs:{arguments}-->")
        options[key] = value
    return options


def parse_blocks(document: Document) -> Iterator[Region]:
    """Every ``sh`` and ``console`` block, and every block a directive names a file for."""
    for region in RawFencedCodeBlockLexer(info_pattern=_INFO)(document):
        before = document.text[: region.start]
        directive = _DIRECTIVE.search(before[-400:])
        options = parse_options(directive.group("arguments")) if directive else {}
        language = str(region.lexemes["language"])
        runs = language in {"sh", "console"} or "file" in options
        if not runs or "skip" in options:
            continue
        source = region.lexemes["source"]
        block = Block(language, str(source), region.start + source.offset, options)
        yield Region(region.start, region.end, parsed=block, evaluator=evaluate)


SYBIL = Sybil(parsers=[parse_blocks], path=str(REPO))


def examples(paths: Iterable[Path] = DOCS) -> Iterator[Example]:
    """Every example of the given documents, in order, each document with its own namespace."""
    for path in paths:
        yield from SYBIL.parse(path).examples()


def location(example: Example, line_in_block: int = 0) -> str:
    """``docs/frameworks.md:335``: the line a reader would open."""
    try:
        shown = Path(example.path).relative_to(REPO)
    except ValueError:
        shown = Path(example.path)
    return f"{shown}:{example.line + 1 + line_in_block}"


# Workspaces ---------------------------------------------------------------------------

_demo_template: Path | None = None


def demo_template() -> Path:
    """The workspace `opsctl demo` builds at NOW, built once per process and copied."""
    global _demo_template
    if _demo_template is None:
        base = Path(tempfile.mkdtemp(prefix="opsctl-docs-template-"))
        shell = Shell(base, base)
        result = shell.run(f"opsctl demo {base / 'opsctl-demo'}")
        if result.status != 0:
            raise RuntimeError(f"opsctl demo failed: {result.output}")
        _demo_template = base / "opsctl-demo"
    return _demo_template


@dataclass
class Result:
    """What one command did: its exit code and everything it printed."""

    status: int
    output: str


@dataclass
class Shell:
    """A reader's terminal: a folder, an environment, the last exit code."""

    home: Path
    cwd: Path
    user: str = DEFAULT_USER
    last_status: int = 0
    fingerprints: dict[str, int] = field(default_factory=dict)
    commits: dict[str, int] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        """The variables every example runs with: fixed clock, identity, home, no colour.

        COLUMNS is fixed because Rich otherwise asks the terminal the tests were
        started from, and a wide terminal would wrap tables differently.
        """
        return {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "OPSCTL_NOW": NOW,
            "OPSCTL_USER": self.user,
            "HOME": str(self.home),
            "NO_COLOR": "1",
            "COLUMNS": "80",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Priya PM",
            "GIT_AUTHOR_EMAIL": DEFAULT_USER,
            "GIT_COMMITTER_NAME": "Priya PM",
            "GIT_COMMITTER_EMAIL": DEFAULT_USER,
            "GIT_AUTHOR_DATE": NOW,
            "GIT_COMMITTER_DATE": NOW,
        }

    def run(self, command: str) -> Result:
        """Run one command line as bash would, in-process when it is a plain opsctl call."""
        words = shlex.split(command, comments=True)
        if words == ["echo", "$?"]:
            return Result(0, f"{self.last_status}\n")
        if words and words[0] == "cd" and len(words) == 2:
            target = re.sub(r"^~(?=/|$)", str(self.home), words[1])
            self.cwd = (self.cwd / target).resolve()
            return Result(0, "")
        assignments = {}
        while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
            name, _, value = words.pop(0).partition("=")
            assignments[name] = value
        line = command.split(" #")[0]
        redirect = _REDIRECT.fullmatch(line.strip())
        if redirect and words[-2:-1] == [">"]:
            line, words = redirect.group(1), words[:-2]
        plain = not _SHELL_SYNTAX.search(line)
        if plain and words[:1] == ["opsctl"]:
            target = self.cwd / redirect.group(2) if redirect else None
            result = self._in_process(words[1:], assignments, target)
        else:
            result = self._in_bash(command)
        self.last_status = result.status
        return Result(result.status, self.shown(result.output))

    def shown(self, output: str) -> str:
        """Output as the docs show it: the temporary home reads /home/you.

        SSH keys made by an example differ on every run, and so do the ids of
        git commits whose message names a temporary folder: each reads as a
        fixed one, numbered in the order the document first shows it.
        """
        output = output.replace(str(self.home.resolve()), SHOWN_HOME)
        output = output.replace(str(self.home), SHOWN_HOME)
        output = output.replace(str(data_dir("frameworks")), SHOWN_BUILTINS)
        output = _INTERPRETER.sub(SHOWN_PYTHON, output)
        output = _GIT_COMMIT.sub(self._stable_commit, output)
        return _FINGERPRINT.sub(self._stable_fingerprint, output)

    def _stable_commit(self, match: re.Match[str]) -> str:
        """A commit id git prints: its merge commits name the temporary folder, so ids vary."""
        number = self.commits.setdefault(match.group(0), len(self.commits) + 1)
        return hashlib.sha1(f"commit {number}".encode()).hexdigest()[: len(match.group(0))]

    def _stable_fingerprint(self, match: re.Match[str]) -> str:
        number = self.fingerprints.setdefault(match.group(0), len(self.fingerprints) + 1)
        return f"SHA256:{_FAKE_FINGERPRINTS[(number - 1) % len(_FAKE_FINGERPRINTS)]}"

    def _in_process(
        self, args: list[str], assignments: dict[str, str], stdout_file: Path | None = None
    ) -> Result:
        from opsctl.cli import output, state
        from opsctl.cli.main import main

        captured = io.StringIO()
        stdout = io.StringIO() if stdout_file else captured
        saved_env, saved_cwd = dict(os.environ), Path.cwd()
        saved_stdin = sys.stdin
        os.environ.update({**self.environment(), **assignments})
        for name in _UNSET:
            if name not in assignments:
                os.environ.pop(name, None)
        os.chdir(self.cwd)
        sys.stdin = io.StringIO("")
        state.reset()
        output._console = output._err_console = None
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(captured):
                try:
                    main(args)
                    status = 0
                except SystemExit as exc:
                    status = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        finally:
            state.reset()
            output._console = output._err_console = None
            sys.stdin = saved_stdin
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
        if stdout_file is not None:
            stdout_file.write_text(stdout.getvalue(), encoding="utf-8")
        return Result(status, captured.getvalue())

    def _in_bash(self, command: str) -> Result:
        environment = {"LANG": "C.UTF-8", **self.environment()}
        process = subprocess.run(
            ["bash", "-c", command],
            cwd=self.cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
            check=False,
        )
        return Result(process.returncode, process.stdout)


def shell_for(example: Example) -> Shell:
    """The document's terminal, made (or replaced) as the block's directive asks."""
    block: Block = example.parsed
    wanted = block.options.get("workspace")
    shell: Shell | None = example.namespace.get("shell")
    if shell is None or wanted:
        home = Path(tempfile.mkdtemp(prefix="opsctl-docs-"))
        example.namespace.setdefault("homes", []).append(home)
        if wanted == "fresh":
            cwd = home / "work"
            cwd.mkdir()
        else:
            cwd = home / "opsctl-demo"
            shutil.copytree(demo_template(), cwd)
        shell = Shell(home, cwd)
        example.namespace["shell"] = shell
    shell.user = block.options.get("user", DEFAULT_USER)
    return shell


# Evaluation ---------------------------------------------------------------------------


def commands(source: str) -> Iterator[tuple[int, str]]:
    """(line in block, command) for an ``sh`` block: comments and blanks skipped, ``\\`` joined."""
    pending, first = "", 0
    for number, line in enumerate(source.splitlines()):
        if not pending:
            first = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        whole = pending + line
        pending = ""
        if whole.strip() and not whole.lstrip().startswith("#"):
            yield first, whole.strip()


@dataclass
class Step:
    """One ``$ command`` of a console block and the lines it is documented to print."""

    line: int
    command: str
    expected: list[str]


def session_steps(source: str) -> list[Step]:
    """The ``$ command`` steps of a console block, each with its documented output."""
    steps: list[Step] = []
    for number, line in enumerate(source.splitlines()):
        if line.startswith("$ "):
            steps.append(Step(number, line[2:], []))
        elif steps:
            steps[-1].expected.append(line)
        elif line.strip():
            raise ValueError(f"console block starts with output, not '$ ': {line!r}")
    return steps


def normalised(lines: Iterable[str]) -> list[str]:
    """Lines without trailing blanks, and without blank lines at the end."""
    result = [line.rstrip() for line in lines]
    while result and not result[-1]:
        result.pop()
    return result


def check_status(example: Example, line: int, command: str, status: int, expected: int) -> None:
    """Fail naming the doc line when a command's exit code is not the documented one."""
    if status != expected:
        raise AssertionError(
            f"{location(example, line)}: `{command}` exited {status}, the docs say {expected}"
        )


def evaluate(example: Example) -> None:
    """Run one block in its document's terminal; raise naming file and line on a difference."""
    block: Block = example.parsed
    shell = shell_for(example)
    if "file" in block.options:
        target = shell.cwd / block.options["file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(block.source, encoding="utf-8")
        return
    if block.language == "sh":
        for line, command in commands(block.source):
            result = shell.run(command)
            documented = _EXIT_COMMENT.search(command)
            expected = block.exit_code()
            if documented:
                expected = int(documented.group(1))
            detail = "" if result.status == (expected or 0) else f"\n{result.output}"
            try:
                check_status(example, line, command, result.status, expected or 0)
            except AssertionError as error:
                raise AssertionError(f"{error}{detail}") from None
        return
    evaluate_session(example, block, shell)


def evaluate_session(example: Example, block: Block, shell: Shell) -> None:
    """Run a console block's steps; compare exit codes and output (or record new output)."""
    steps = session_steps(block.source)
    regenerated: list[str] = []
    for index, step in enumerate(steps):
        result = shell.run(step.command)
        regenerated += [f"$ {step.command}", *normalised(result.output.splitlines())]
        shown_later = index + 1 < len(steps) and steps[index + 1].command == "echo $?"
        expected_status = block.exit_code() or 0
        if not shown_later:
            check_status(example, step.line, step.command, result.status, expected_status)
        actual = normalised(result.output.splitlines())
        if actual != normalised(step.expected) and not example.namespace.get("regenerate"):
            diff = "\n".join(
                difflib.unified_diff(
                    normalised(step.expected), actual, "documented", "actual", lineterm=""
                )
            )
            raise AssertionError(
                f"{location(example, step.line)}: `{step.command}` prints something else "
                f"than the docs show (run `python tests/docs_tool.py regenerate` "
                f"if the change is intended):\n{diff}"
            )
    new_source = "\n".join(regenerated) + "\n"
    if new_source != block.source:
        end = block.source_offset + len(block.source)
        example.namespace.setdefault("updates", []).append((block.source_offset, end, new_source))


def cleanup(namespace: dict[str, object]) -> None:
    """Remove the temporary folders a document's examples used."""
    for home in namespace.get("homes", []):  # type: ignore[attr-defined]
        shutil.rmtree(home, ignore_errors=True)
