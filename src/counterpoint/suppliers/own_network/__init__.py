"""Our own network as a supplier: service orders fulfilled on a (simulated) network controller.

`bootstrap.build_own_network` reads the provider's `options` from the profile:

    options:
      network: {...}          # NetworkConfig.from_mapping (service interface points, delays, faults)
      service_orders: {...}   # policy_from_mapping (poll interval, operational timeout, retry backoff)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from counterpoint.core.service_order.model import ServiceOrderPolicy
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


__all__ = ["OwnNetworkAdapter", "policy_from_mapping"]
