"""`counterpoint demo --drift`: drift seeded into A's and B's records once the service is active, found by
reconciliation on the provider where it was seeded (and nothing else found), each finding stored once."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
from pathlib import Path

from rich.console import Console

from counterpoint.core.reconcile.model import Kind
from counterpoint.demo.assurance import Seeded, drift_missed
from counterpoint.demo.run import run_demo


def stored_findings(db: Path) -> list[tuple[str, str, str]]:
    """(kind, status, summary) of every finding a provider stored, read from its own database file."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT kind, status, doc FROM reconcile_finding ORDER BY kind").fetchall()
    return [(kind, status, json.loads(doc)["summary"]) for kind, status, doc in rows]


def test_the_drift_scenario_finds_every_seeded_kind_where_it_was_seeded(tmp_path: Path) -> None:
    out = io.StringIO()
    console = Console(file=out, width=80)
    code = asyncio.run(run_demo(console, time_scale=86400, timeout_s=400, workdir=tmp_path, live=False,
                                drift=True))
    text = out.getvalue()
    assert code == 0, text[-3000:]
    assert "reconciliation found every drift seeded" in " ".join(text.split())

    a = {(k, s) for k, s, _ in stored_findings(tmp_path / "a.db")}
    b = {(k, s) for k, s, _ in stored_findings(tmp_path / "b.db")}
    # A asked B again about the segment it had not heard of for 400 days: renewed (repaired by the first run),
    # so the second run no longer finds it and clears it
    assert a == {(Kind.STALE_OBSERVATIONS.value, "cleared"), (Kind.TICKET_RESOLVED_NOT_VALIDATED.value, "raised")}
    assert b == {(Kind.SUPPLIER_CANCELLED_BELIEVED_ACTIVE.value, "raised"),
                 (Kind.DUPLICATE_SUPPLIER_ORDERS.value, "raised")}
    assert stored_findings(tmp_path / "c.db") == []  # C orchestrates nothing: nothing to drift from
    assert "0 raised again, 3 still raised from the first (a person was told once), 1 cleared" \
        in " ".join(text.split())


def test_a_seeded_drift_that_is_not_found_or_a_finding_not_seeded_is_a_disagreement() -> None:
    seeded = [Seeded("B", Kind.DUPLICATE_SUPPLIER_ORDERS, "two orders"),
              Seeded("A", Kind.STALE_OBSERVATIONS, "old news")]

    class Found:
        def __init__(self, kind: Kind) -> None:
            self.kind, self.summary = kind, f"found {kind.value}"

    class Report:
        def __init__(self, *kinds: Kind) -> None:
            self.findings = [Found(k) for k in kinds]

    assert drift_missed(seeded, {"A": Report(Kind.STALE_OBSERVATIONS),  # type: ignore[dict-item]
                                 "B": Report(Kind.DUPLICATE_SUPPLIER_ORDERS)}) == []
    missed = drift_missed(seeded, {"A": Report(), "B": Report(Kind.DUPLICATE_SUPPLIER_ORDERS)})  # type: ignore[dict-item]
    assert missed == ["A: reconciliation did not find the seeded staleObservations (old news)"]
    extra = drift_missed(seeded, {"A": Report(Kind.STALE_OBSERVATIONS),  # type: ignore[dict-item]
                                  "B": Report(Kind.DUPLICATE_SUPPLIER_ORDERS, Kind.ACTIVE_WITHOUT_BILLING)})
    assert extra == ["B: reconciliation found activeWithoutBillingRecord, which was not seeded: found "
                     "activeWithoutBillingRecord"]
