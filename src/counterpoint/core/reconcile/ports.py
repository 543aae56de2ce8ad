"""What reconciliation needs from storage: the records it checks, a page at a time, and the findings it keeps."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from counterpoint.core.ports import UnitOfWork
from counterpoint.core.reconcile.model import Check, Finding, Kind, Status
from counterpoint.core.reconcile.records import CompositeRecord, TicketRecord


@dataclass(slots=True, kw_only=True)
class Run:
    """One reconciliation run, as stored (its counts are filled in when it ends)."""

    id: str
    started_at: datetime
    checks: tuple[Check, ...]
    repair: bool
    finished_at: datetime | None = None
    counts: dict[str, Any] = field(default_factory=dict)


class ReconcileRecords(Protocol):
    """Read side: pages in the order of our ids (keyset: strictly after `after`). A composite record carries what
    the given checks read (orders: suspect commands, duplicated references; services: the customer's product;
    both: the supplier's last word where it can matter)."""

    async def count(self, checks: Collection[Check]) -> int: ...
    async def composites(self, checks: Collection[Check], *, after: str | None, limit: int
                         ) -> list[CompositeRecord]: ...
    async def tickets(self, *, after: str | None, limit: int) -> list[TicketRecord]:
        """Our tickets with their supplier tickets and SLA clocks; empty while no ticket store exists."""
        ...


class Findings(Protocol):
    async def by_fingerprints(self, fingerprints: Collection[str]) -> dict[str, Finding]: ...
    async def add(self, finding: Finding) -> None: ...
    async def save(self, finding: Finding) -> None:
        """Optimistic: raises StaleVersion if someone else wrote it first."""
        ...
    async def clear_unseen(self, kinds: Collection[Kind], run_id: str, at: datetime) -> list[Finding]:
        """Every finding of these kinds not seen by this run and not cleared yet becomes cleared; returns them."""
        ...
    async def listing(self, *, statuses: Collection[Status] = (), kinds: Collection[Kind] = (),
                      after: str | None = None, limit: int = 500) -> list[Finding]: ...
    async def start_run(self, run: Run) -> None: ...
    async def finish_run(self, run: Run) -> None: ...
    async def last_run(self) -> Run | None: ...


class ReconcileUnitOfWork(UnitOfWork, Protocol):
    @property
    def findings(self) -> Findings: ...
    @property
    def reconcile_records(self) -> ReconcileRecords: ...

    async def __aenter__(self) -> ReconcileUnitOfWork: ...


ReconcileUowFactory = Callable[[], ReconcileUnitOfWork]
