"""The notification relay's storage: pending outbox rows, listeners, deliveries (the relay's port)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from counterpoint.core.hub.model import HubListener
from counterpoint.storage.hub import SqlHubListeners
from counterpoint.storage.outbox import delivery, outbox
from counterpoint.storage.uow import SqlUnitOfWork


class SqlRelaySession:
    """One short transaction of the relay; nothing is kept unless `commit()` is called."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._uow = SqlUnitOfWork(engine)

    async def __aenter__(self) -> SqlRelaySession:
        await self._uow.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._uow.__aexit__(*exc)

    async def pending_events(self, limit: int) -> Sequence[Mapping[str, Any]]:
        return (await self._uow.conn.execute(
            select(outbox).where(outbox.c.dispatched_at.is_(None)).order_by(outbox.c.seq).limit(limit)
        )).mappings().all()

    async def listeners(self, buyer_id: str, api: str, channel: str) -> list[HubListener]:
        return await SqlHubListeners(self._uow).matching(buyer_id, api, channel)

    async def add_deliveries(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self._uow.conn.execute(delivery.insert(), rows)

    async def mark_dispatched(self, seqs: list[int], at: datetime) -> None:
        await self._uow.conn.execute(update(outbox).where(outbox.c.seq.in_(seqs)).values(dispatched_at=at))

    async def due_deliveries(self, now: datetime, limit: int) -> Sequence[Mapping[str, Any]]:
        # Deliveries due at the same instant (one transaction's events share it) go out in the order their
        # events happened; without the tie-break PostgreSQL returns them in whatever order the heap holds.
        return (await self._uow.conn.execute(
            select(delivery).outerjoin(outbox, outbox.c.event_id == delivery.c.event_id)
            .where(delivery.c.state == "pending", delivery.c.next_attempt_at <= now)
            .order_by(delivery.c.next_attempt_at, outbox.c.seq, delivery.c.id).limit(limit))).mappings().all()

    async def settle(self, delivery_id: str, values: dict[str, Any]) -> None:
        """Record one attempt's outcome, unless another relay already settled the delivery."""
        await self._uow.conn.execute(update(delivery).where(delivery.c.id == delivery_id,
                                                            delivery.c.state == "pending").values(**values))

    async def commit(self) -> None:
        await self._uow.commit()


class SqlRelayStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def session(self) -> SqlRelaySession:
        return SqlRelaySession(self.engine)
