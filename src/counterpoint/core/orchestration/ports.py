"""What the orchestrator needs from outside (the supplier gateway, the activation test, units of work), and its
own clocks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from counterpoint.core.orchestration.model import CompositeOrder
from counterpoint.core.orchestration.supply import SupplierAdapter
from counterpoint.core.ports import UnitOfWork
from counterpoint.core.seller.model import SellerProfile


class Suppliers(Protocol):
    """The gateway: the one place adapters are found."""

    def adapter(self, provider_id: str) -> SupplierAdapter: ...


class ActivationTester(Protocol):
    """Runs the end-to-end activation test of a service built from delivered segments."""

    async def test(self, composite: CompositeOrder) -> dict[str, Any]: ...


class CustomerTicket(Protocol):
    """What the federation reads of a customer's ticket at our Seller (core/trouble_ticket's aggregate)."""

    @property
    def id(self) -> str: ...
    @property
    def buyer_id(self) -> str: ...
    @property
    def seller_id(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def correlation_id(self) -> str | None: ...
    @property
    def doc(self) -> dict[str, Any]: ...


class CustomerTickets(Protocol):
    """The Seller's ticket capability as the federation uses it: one move of a customer's ticket (start work, ask
    for information, resolve, a note...; ticket_model.CustomerMove kinds) in its own unit of work `uow` (not yet
    entered), after the federation's own transaction committed. A move the ticket's state no longer allows
    raises a CoreError (it is then recorded and dropped)."""

    async def apply(self, uow: UnitOfWork, profile: SellerProfile, *, buyer_id: str, ticket_id: str,
                    move: dict[str, Any], now: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class Timing:
    """The orchestrator's own clocks (real seconds, not profile days)."""

    in_flight_grace_s: float = 30.0  # a command still IN_FLIGHT this long after sending is read as UNKNOWN
    recovery_grace_s: float = 5.0  # how long a supplier may take to show a request we sent before we resend
    retry_backoff_s: float = 2.0  # first wait after a supplier was unavailable; doubles per attempt
    max_retry_backoff_s: float = 120.0
    test_retry_s: float = 60.0


UowFactory = Callable[[], UnitOfWork]
