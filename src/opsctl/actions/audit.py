"""Tamper evidence as a use case: verify runs' hash chains and replay their histories.

In a workspace with ``signoffs: signed`` every sign-off's SSH signature is
checked against the team roster's keys too (:mod:`opsctl.actions.signing`).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from opsctl.actions.results import Result, View
from opsctl.actions.session import Session
from opsctl.actions.signing import signoff_policy
from opsctl.engine.history import verify


class AuditedRun(View):
    """One run's verdict: ``event`` is the 1-based first bad event (null: the stored state)."""

    id: str
    events: int
    ok: bool
    event: int | None
    message: str | None


class AuditReport(Result):
    """``opsctl audit verify``: ok when every run is intact; ``findings`` as sentences."""

    KIND: ClassVar[str] = "audit"

    ok: bool
    runs: list[AuditedRun]
    findings: list[str] = Field(default=[], exclude=True)


def verify_runs(session: Session, run_id: str | None = None) -> AuditReport:
    """Verify one run, or every run of the workspace; the first problem of each is reported.

    Sign-offs that are unsigned, forged or re-signed count as problems when
    the workspace has ``signoffs: signed``.
    """
    store = session.runs
    runs: list[AuditedRun] = []
    findings: list[str] = []
    with signoff_policy(session) as policy:
        for current in [run_id] if run_id else store.ids():
            document = store.load(current)
            finding = verify(document, policy)
            runs.append(
                AuditedRun(
                    id=document.id,
                    events=len(document.history),
                    ok=finding is None,
                    event=finding.event if finding else None,
                    message=finding.message if finding else None,
                )
            )
            if finding is not None:
                findings.append(str(finding))
    return AuditReport(ok=not findings, runs=runs, findings=findings)
