"""Our own network as a supplier: service orders fulfilled on a (simulated) network controller.

`build_adapter` reads the provider's `options` from the profile:

    options:
      network: {...}          # NetworkConfig.from_mapping (service interface points, delays, faults)
      service_orders: {...}   # policy_from_mapping (poll interval, operational timeout, retry backoff)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from counterpoint.core.orchestration.registry import ProviderConfig
from counterpoint.core.service_order.model import ServiceOrderPolicy
from counterpoint.core.service_order.ports import NetworkController
from counterpoint.core.shared.clock import Clock
from counterpoint.network.controller import NetworkConfig, SimulatedNetworkController
from counterpoint.storage.uow import SqlUnitOfWork
from counterpoint.suppliers.own_network.adapter import OwnNetworkAdapter


def policy_from_mapping(raw: Mapping[str, Any] | None) -> ServiceOrderPolicy:
    """The `service_orders:` block of the provider's options (seconds), defaults for what it leaves out."""
    raw = raw or {}
    base = ServiceOrderPolicy()

    def seconds(key: str, default: timedelta) -> timedelta:
        return timedelta(seconds=float(raw[key])) if key in raw else default

    return ServiceOrderPolicy(
        poll_interval=seconds("poll_interval_s", base.poll_interval),
        operational_timeout=seconds("operational_timeout_s", base.operational_timeout),
        retry_backoff=seconds("retry_backoff_s", base.retry_backoff),
        max_retry_backoff=seconds("max_retry_backoff_s", base.max_retry_backoff),
        held_after=int(raw.get("held_after", base.held_after)))


def build_adapter(config: ProviderConfig, *, uow_factory: Callable[[], SqlUnitOfWork], clock: Clock,
                  controller: NetworkController | None = None) -> OwnNetworkAdapter:
    """The adapter with its controller: the simulated one, configured from `options.network`, unless given."""
    options = getattr(config, "options", None) or {}
    if controller is None:
        controller = SimulatedNetworkController(NetworkConfig.from_mapping(options.get("network") or {}),
                                                uow_factory=uow_factory, clock=clock)
    return OwnNetworkAdapter(config, uow_factory=uow_factory, clock=clock, controller=controller,
                             policy=policy_from_mapping(options.get("service_orders")))


__all__ = ["OwnNetworkAdapter", "build_adapter", "policy_from_mapping"]
