"""How reconciliation runs, as data from the Seller's profile (`orchestration.reconciliation`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReconcilePolicy:
    interval_s: float = 3600.0  # real seconds between two runs of the worker (settings may override)
    repair: bool = True  # whether the worker applies the safe repairs (the CLI decides with --repair/--no-repair)
    # A mismatch younger than this is work in progress (a callback on its way, a poll due), not drift.
    grace_s: float = 600.0
    # Evidence about an active service older than this (profile clock) is not trusted: the supplier is asked
    # again. Segments still in delivery use their provider's own staleness window (plus the grace).
    service_staleness_s: float = 30 * 86400.0
    page_size: int = 500  # composite orders read per page (keyset paging)
