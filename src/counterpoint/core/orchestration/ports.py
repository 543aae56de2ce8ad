"""What the orchestrator needs from outside (the supplier gateway, the activation test, units of work), and its
own clocks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from counterpoint.core.orchestration.model import CompositeOrder
from counterpoint.core.orchestration.supply import SupplierAdapter
from counterpoint.core.ports import UnitOfWork


class Suppliers(Protocol):
    """The gateway: the one place adapters are found."""

    def adapter(self, provider_id: str) -> SupplierAdapter: ...


class ActivationTester(Protocol):
    """Runs the end-to-end activation test of a service built from delivered segments."""

    async def test(self, composite: CompositeOrder) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Timing:
    """The orchestrator's own clocks (real seconds, not profile days)."""

    in_flight_grace_s: float = 30.0  # a command still IN_FLIGHT this long after sending is read as UNKNOWN
    recovery_grace_s: float = 5.0  # how long a supplier may take to show a request we sent before we resend
    retry_backoff_s: float = 2.0  # first wait after a supplier was unavailable; doubles per attempt
    max_retry_backoff_s: float = 120.0
    test_retry_s: float = 60.0


UowFactory = Callable[[], UnitOfWork]
