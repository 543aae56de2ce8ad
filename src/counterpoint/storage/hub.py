from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import RowMapping

from counterpoint.core.hub.model import HubListener
from counterpoint.core.shared.errors import NotFound
from counterpoint.storage.outbox import hub_listener as t

if TYPE_CHECKING:
    from counterpoint.storage.uow import SqlUnitOfWork


def _from_row(r: RowMapping) -> HubListener:
    return HubListener(id=r["id"], api=r["api"], channel=r["channel"], buyer_id=r["buyer_id"],
                       callback=r["callback"], query=r["query"], created_at=r["created_at"])


class SqlHubListeners:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.uow = uow

    async def add(self, listener: HubListener) -> None:
        await self.uow.conn.execute(insert(t).values(
            id=listener.id, api=listener.api, channel=listener.channel, buyer_id=listener.buyer_id,
            callback=listener.callback, query=listener.query, created_at=listener.created_at))

    async def get(self, buyer_id: str, api: str, channel: str, listener_id: str) -> HubListener:
        row = (await self.uow.conn.execute(select(t).where(
            t.c.id == listener_id, t.c.buyer_id == buyer_id, t.c.api == api, t.c.channel == channel
        ))).mappings().first()
        if row is None:
            raise NotFound(f"listener {listener_id} not found")
        return _from_row(row)

    async def delete(self, buyer_id: str, api: str, channel: str, listener_id: str) -> None:
        result = await self.uow.conn.execute(delete(t).where(
            t.c.id == listener_id, t.c.buyer_id == buyer_id, t.c.api == api, t.c.channel == channel))
        if result.rowcount != 1:
            raise NotFound(f"listener {listener_id} not found")

    async def matching(self, buyer_id: str, api: str, channel: str) -> list[HubListener]:
        rows = (await self.uow.conn.execute(select(t).where(
            t.c.buyer_id == buyer_id, t.c.api == api, t.c.channel == channel))).mappings().all()
        return [_from_row(r) for r in rows]
