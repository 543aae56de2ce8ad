"""What the core needs from the outside world, as Protocols.

The SQL unit of work in `storage/uow.py` implements these; the core never imports storage.
"""

from __future__ import annotations

from typing import Any, Protocol

from counterpoint.core.hub.model import HubListener
from counterpoint.core.service_order.ports import ServiceOrders
from counterpoint.core.shared.events import DomainEvent


class HubListeners(Protocol):
    async def add(self, listener: HubListener) -> None: ...
    async def get(self, buyer_id: str, api: str, channel: str, listener_id: str) -> HubListener: ...
    async def delete(self, buyer_id: str, api: str, channel: str, listener_id: str) -> None: ...


class Resources(Protocol):
    """Common repository of a stored MEF resource (see storage/repository.py)."""

    async def add(self, obj: Any) -> None: ...
    async def save(self, obj: Any) -> None: ...
    async def get(self, buyer_id: str, id: str) -> Any: ...
    async def find(self, buyer_id: str, id: str) -> Any | None: ...
    async def get_unscoped(self, id: str) -> Any: ...
    async def list(self, buyer_id: str, where: Any = (), *, offset: int = 0,
                   limit: int | None = None) -> tuple[list[Any], int]: ...


class UnitOfWork(Protocol):
    hub: HubListeners
    address_validations: Resources
    poqs: Resources
    quotes: Resources
    product_orders: Resources
    cancel_requests: Resources
    delivery_date_requests: Resources
    charges: Resources
    products: Resources
    service_orders: ServiceOrders

    async def __aenter__(self) -> UnitOfWork: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...
    def record(self, event: DomainEvent) -> None: ...
