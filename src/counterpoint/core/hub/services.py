"""Use cases of `/hub`: register, read, unregister a listener."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from counterpoint.core.hub.model import Callback, HubListener, parse_callback, parse_query
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.ids import new_id

if TYPE_CHECKING:
    from counterpoint.core.ports import UnitOfWork


async def register(uow: UnitOfWork, clock: Clock, *, buyer_id: str, api: str, channel: str,
                   callback: str, query: str | None,
                   check_target: Callable[[Callback], None] | None = None) -> HubListener:
    """`check_target` is the deployment's network policy (production refuses internal addresses)."""
    parsed = parse_callback(callback)
    if check_target is not None:
        check_target(parsed)
    parse_query(api, query)
    listener = HubListener(id=new_id(), api=api, channel=channel, buyer_id=buyer_id, callback=callback,
                           query=query, created_at=clock.now())
    async with uow:
        await uow.hub.add(listener)
        await uow.commit()
    return listener


async def get(uow: UnitOfWork, *, buyer_id: str, api: str, channel: str, listener_id: str) -> HubListener:
    async with uow:
        return await uow.hub.get(buyer_id, api, channel, listener_id)


async def unregister(uow: UnitOfWork, *, buyer_id: str, api: str, channel: str, listener_id: str) -> None:
    async with uow:
        await uow.hub.delete(buyer_id, api, channel, listener_id)
        await uow.commit()
