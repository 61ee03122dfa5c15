"""``opsctl waivers``: every skipped item, why, by whom, and whether its waiver still counts."""

from __future__ import annotations

from typing import ClassVar

from opsctl.actions.results import Result, View
from opsctl.actions.session import Session
from opsctl.clock import iso
from opsctl.engine.runs import item_key
from opsctl.store.documents import ItemStatus


class Waiver(View):
    """A skipped item and whether its waiver still counts."""

    run: str
    item: str
    reason: str
    by: str
    at: str
    expires: str
    state: str


class WaiverList(Result):
    """``opsctl waivers``."""

    KIND: ClassVar[str] = "waivers"

    waivers: list[Waiver]


def list_waivers(session: Session, run_id: str | None = None) -> WaiverList:
    """Every waiver of one run or of all runs."""
    store = session.runs
    today = session.today()
    rows: list[Waiver] = []
    for current in [run_id] if run_id else store.ids():
        document = store.load(current)
        for phase, item in store.framework_of(document).iter_items():
            found = document.items.get(item_key(phase, item))
            if found is None or found.status is not ItemStatus.SKIPPED:
                continue
            expired = found.expires is not None and found.expires < today
            rows.append(
                Waiver(
                    run=document.id,
                    item=item_key(phase, item),
                    reason=found.reason or "",
                    by=found.by,
                    at=iso(found.at),
                    expires=found.expires.isoformat() if found.expires else "never",
                    state="expired" if expired else "active",
                )
            )
    return WaiverList(waivers=rows)
