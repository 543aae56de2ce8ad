"""What service orchestration needs from the outside: a network controller and a store of service orders.

The controller port speaks in the terms of Presto NRP (TAPI connectivity services between service interface
points), reduced to what a point-to-point segment needs. Implementations live in `network/` (a simulated
controller) or, one day, an HTTP client of a real one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from counterpoint.core.service_order.model import ServiceOrder


class LifecycleState(StrEnum):
    """TAPI lifecycle-state of a connectivity service."""

    PLANNED = "PLANNED"
    POTENTIAL_AVAILABLE = "POTENTIAL_AVAILABLE"
    POTENTIAL_BUSY = "POTENTIAL_BUSY"
    INSTALLED = "INSTALLED"
    PENDING_REMOVAL = "PENDING_REMOVAL"


class OperationalState(StrEnum):
    """TAPI operational-state: does it carry traffic now."""

    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


class AdministrativeState(StrEnum):
    """TAPI administrative-state: what the operator allows."""

    LOCKED = "LOCKED"
    UNLOCKED = "UNLOCKED"


@dataclass(frozen=True, slots=True)
class ServiceInterfacePoint:
    """A point of our network where a connectivity service can start or end (a PoP port, an ENNI)."""

    uuid: str
    name: str
    capacity_mbps: int
    available_mbps: int
    site_id: str | None = None
    address_id: str | None = None
    city: str | None = None
    country: str | None = None
    role: str = "access"  # access: faces customers and partners; hub: where our core meets a city


@dataclass(frozen=True, slots=True)
class ConnectivityServiceView:
    """A connectivity service as the controller reports it at one instant."""

    uuid: str
    name: str
    end_points: tuple[str, ...]  # service-interface-point uuids
    capacity_mbps: int  # requested-capacity total-size
    lifecycle_state: LifecycleState
    operational_state: OperationalState
    administrative_state: AdministrativeState
    created_at: datetime
    observed_at: datetime

    @property
    def operational(self) -> bool:
        """Installed and carrying traffic."""
        return (self.lifecycle_state is LifecycleState.INSTALLED
                and self.operational_state is OperationalState.ENABLED)


class NetworkControllerError(Exception):
    """Base of what a controller raises; `reason` says what in our words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ConnectivityRejected(NetworkControllerError):
    """A definite refusal (unknown service interface point, not enough capacity, invalid request)."""

    def __init__(self, reason: str, *, code: str = "invalidValue") -> None:
        super().__init__(reason)
        self.code = code


class ConnectivityServiceNotFound(NetworkControllerError):
    """No live connectivity service has this uuid or name."""


class ControllerUnavailable(NetworkControllerError):
    """The controller did not take the request; safe to try again later."""


class NetworkController(Protocol):
    """Provisioning of connectivity services between service interface points (Presto NRP, simplified).

    Creation is idempotent by `name`: asking again for a name that is live returns the existing service.
    """

    async def service_interface_points(self) -> list[ServiceInterfacePoint]: ...
    async def create_connectivity_service(self, *, name: str, end_points: Sequence[str],
                                          capacity_mbps: int) -> ConnectivityServiceView: ...
    async def get_connectivity_service(self, uuid_or_name: str) -> ConnectivityServiceView: ...
    async def find_connectivity_service(self, uuid_or_name: str) -> ConnectivityServiceView | None: ...
    async def update_connectivity_service(self, uuid_or_name: str, *,
                                          capacity_mbps: int) -> ConnectivityServiceView: ...
    async def delete_connectivity_service(self, uuid_or_name: str) -> ConnectivityServiceView | None: ...


class ServiceOrders(Protocol):
    """Stored service orders (storage/service_order.py)."""

    async def add(self, obj: ServiceOrder) -> None: ...
    async def save(self, obj: ServiceOrder) -> None: ...
    async def get(self, buyer_id: str, id: str) -> ServiceOrder: ...
    async def get_unscoped(self, id: str) -> ServiceOrder: ...
    async def find_by_external_id(self, buyer_id: str, external_id: str) -> ServiceOrder | None: ...
    async def list(self, buyer_id: str, where: Any = (), *, offset: int = 0,
                   limit: int | None = None) -> tuple[list[ServiceOrder], int]: ...
