"""What the core needs from the outside world, as Protocols.

The SQL unit of work in `storage/uow.py` implements these; the core never imports storage.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from counterpoint.core.hub.model import HubListener
from counterpoint.core.ordering.model import OrderTask, ProductOrder
from counterpoint.core.quote.model import Quote
from counterpoint.core.quote.pricing import PricedItem
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.service_order.ports import ServiceOrders
from counterpoint.core.serviceability.model import Poq
from counterpoint.core.serviceability.qualification import ItemAnswer
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


# ---- the Seller's supply chain ------------------------------------------------------------------------------


class SupplyRefused(Exception):
    """The item cannot be built from segments as asked (no provider, or a change no provider can make); the
    customer's item fails with this reason."""


class CancellationAssessment(Protocol):
    """What the providers said so far about a customer's cancellation of items built from segments."""

    @property
    def pending(self) -> bool: ...
    @property
    def refused(self) -> bool: ...
    @property
    def reason(self) -> str | None: ...

    async def decided(self, uow: UnitOfWork, profile: SellerProfile, order: ProductOrder, *, accepted: bool,
                      now: datetime) -> None:
        """The customer has had the answer: finish the cancellation with the providers, or resume delivery."""
        ...


class SupplyChain(Protocol):
    """What the Seller's capabilities (POQ, quote, order) ask of whoever builds items from segments bought from
    other providers: the orchestrator (core/orchestration/supply_chain.py), wired in bootstrap.py. A Seller
    without one uses NO_SUPPLY. Every call runs in the caller's transaction and sends nothing."""

    def composite_items(self, profile: SellerProfile, items: list[dict[str, Any]]) -> set[str]:
        """Ids of the items (action add) of an offering built from segments."""
        ...

    async def open_for_poq(self, uow: UnitOfWork, profile: SellerProfile, poq: Poq, *, now: datetime) -> None: ...
    async def qualification_answers(self, uow: UnitOfWork, poq: Poq, answers: list[ItemAnswer]) -> bool:
        """Replace our answers of composite items by the combined ones (in place); True while some still wait."""
        ...

    async def open_for_quote(self, uow: UnitOfWork, profile: SellerProfile, quote: Quote, *,
                             now: datetime) -> None: ...
    async def quote_prices(self, uow: UnitOfWork, profile: SellerProfile, quote: Quote, priced: list[PricedItem], *,
                           now: datetime) -> tuple[list[PricedItem], bool, datetime | None]:
        """Our prices of composite items: (items, still waiting, validity cap)."""
        ...

    async def start_item(self, uow: UnitOfWork, profile: SellerProfile, order: ProductOrder, item: dict[str, Any], *,
                         now: datetime) -> datetime | None:
        """Hand an order item built from segments over (add, or modify of such a product); returns the date
        promised to the customer, or raises SupplyRefused."""
        ...

    async def assess_cancellation(self, uow: UnitOfWork, profile: SellerProfile, order: ProductOrder,
                                  task: OrderTask, *, now: datetime) -> CancellationAssessment | None:
        """Start or follow the providers' assessment of a cancellation; None when no item is built from segments."""
        ...


class NoSupply:
    """The supply chain of a Seller that builds nothing from bought segments."""

    def composite_items(self, profile: SellerProfile, items: list[dict[str, Any]]) -> set[str]:
        return set()

    async def open_for_poq(self, uow: UnitOfWork, profile: SellerProfile, poq: Poq, *, now: datetime) -> None:
        return None

    async def qualification_answers(self, uow: UnitOfWork, poq: Poq, answers: list[ItemAnswer]) -> bool:
        return False

    async def open_for_quote(self, uow: UnitOfWork, profile: SellerProfile, quote: Quote, *,
                             now: datetime) -> None:
        return None

    async def quote_prices(self, uow: UnitOfWork, profile: SellerProfile, quote: Quote, priced: list[PricedItem], *,
                           now: datetime) -> tuple[list[PricedItem], bool, datetime | None]:
        return priced, False, None

    async def start_item(self, uow: UnitOfWork, profile: SellerProfile, order: ProductOrder, item: dict[str, Any], *,
                         now: datetime) -> datetime | None:
        raise SupplyRefused("this Seller builds no product from other providers' segments")

    async def assess_cancellation(self, uow: UnitOfWork, profile: SellerProfile, order: ProductOrder,
                                  task: OrderTask, *, now: datetime) -> CancellationAssessment | None:
        return None


NO_SUPPLY: SupplyChain = NoSupply()
