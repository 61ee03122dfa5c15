"""Every shell example of README.md and docs/*.md runs, with its documented exit code and output.

The examples are found by Sybil (see tests/docs_examples.py for the conventions);
each is one test whose id is the file and line a reader would open.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sybil import Example

from docs_examples import DOCS, REPO, cleanup, examples, location

ALL = list(examples(DOCS))
_LAST_OF_DOCUMENT = {id(example.document): example for example in ALL}


@pytest.mark.parametrize("example", ALL, ids=[location(example) for example in ALL])
def test_doc_example(example: Example) -> None:
    try:
        example.evaluate()
    finally:
        if _LAST_OF_DOCUMENT[id(example.document)] is example:
            cleanup(example.namespace)


def test_every_document_has_examples_and_the_readme_tour_is_one_of_them() -> None:
    documents = {Path(example.path).name for example in ALL}
    assert "README.md" in documents
    assert {"frameworks.md", "reports.md", "json.md", "workspace.md"} <= documents


def test_a_changed_message_fails_naming_the_doc_file_and_line(tmp_path: Path) -> None:
    doc = tmp_path / "docs" / "frameworks.md"
    doc.parent.mkdir()
    original = (REPO / "docs" / "frameworks.md").read_text(encoding="utf-8")
    needle = "opsctl: error: 4 problems in 1 file"
    command_line = original[: original.rindex("$ opsctl validate", 0, original.index(needle))]
    doc.write_text(original.replace(needle, "opsctl: error: four problems in 1 file"), "utf-8")
    shown = f"frameworks.md:{command_line.count(chr(10)) + 1}: `opsctl validate broken.yaml`"

    document = list(examples([doc]))
    try:
        with pytest.raises(AssertionError) as failure:
            for example in document:
                example.evaluate()
    finally:
        cleanup(document[0].namespace)
    assert shown in str(failure.value)
    assert "-opsctl: error: four problems in 1 file" in str(failure.value)

    check = subprocess.run(
        [sys.executable, str(REPO / "tests" / "docs_tool.py"), "check", str(doc)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 1
    assert "frameworks.md:" in check.stdout and "stale" in check.stdout
