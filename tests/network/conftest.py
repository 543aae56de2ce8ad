"""Our own network on a real database: the simulated controller, the own-network adapter and its worker."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from counterpoint.bootstrap import Container, build
from counterpoint.core.orchestration.registry import Capability, ProviderConfig
from counterpoint.core.orchestration.supply import SegmentRequest
from counterpoint.core.service_order.model import ServiceOrderPolicy
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.network.controller import NetworkConfig, SimulatedNetworkController
from counterpoint.settings import Settings
from counterpoint.suppliers.own_network import OwnNetworkAdapter
from counterpoint.workers.service_order import ServiceOrderWorker

AEL = "urn:mef:lso:spec:sonata:access-eline:v1.0.0:all"
JAKARTA = {"@type": "FieldedAddress", "city": "Jakarta", "country": "ID", "role": "INSTALL_LOCATION"}
SINGAPORE = {"@type": "FieldedAddress", "city": "Singapore", "country": "SG", "role": "INSTALL_LOCATION"}
BANGKOK = {"@type": "FieldedAddress", "city": "Bangkok", "country": "TH", "role": "INSTALL_LOCATION"}

# the provider profile's `options.network` block, as YAML would give it
NETWORK: dict[str, Any] = {
    "provisioning_delay_s": 1800,
    "removal_delay_s": 300,
    "service_interface_points": [
        {"uuid": "sip:jkt-acc-1", "name": "JKT1 access port 1", "city": "Jakarta", "country": "ID",
         "capacity_mbps": 1000, "delay_ms": 1.0, "delay_variation_ms": 0.2},
        {"uuid": "sip:jkt-hub", "name": "JKT1 core", "role": "hub", "city": "Jakarta", "country": "ID",
         "capacity_mbps": 10000, "delay_ms": 6.0, "delay_variation_ms": 0.5},
        {"uuid": "sip:sgp-hub", "name": "SIN1 core", "role": "hub", "city": "Singapore", "country": "SG",
         "capacity_mbps": 10000, "delay_ms": 6.0, "delay_variation_ms": 0.5},
        {"uuid": "sip:sgp-acc-1", "name": "SIN1 access port 1", "site_id": "SITE-SG-1", "city": "Singapore",
         "country": "SG", "capacity_mbps": 1000, "delay_ms": 1.0, "delay_variation_ms": 0.2},
    ],
}
POLICY = ServiceOrderPolicy(poll_interval=timedelta(minutes=5), operational_timeout=timedelta(hours=2),
                            retry_backoff=timedelta(minutes=1), max_retry_backoff=timedelta(minutes=8), held_after=3)


def provider_config(**options: Any) -> ProviderConfig:
    return ProviderConfig(
        id="self", name="our network", adapter="own-network",
        capabilities=(Capability(offering_id="own-ael", spec_urn=AEL, countries=("ID", "SG"),
                                 max_bandwidth_mbps=1000, lead_time_days=5, nrc=Decimal("500"),
                                 mrc=Decimal("300")),),
        options={"network": NETWORK, **options})


def segment(our_ref: str = "seg-1", *, places: tuple[dict[str, Any], ...] = (JAKARTA, SINGAPORE),
            bandwidth: int | None = 300, action: str = "add", product: ExternalRef | None = None) -> SegmentRequest:
    return SegmentRequest(our_ref=our_ref, correlation_id="corr-1", action=action, offering_id="own-ael",
                          spec_urn=AEL, configuration={}, places=list(places), bandwidth_mbps=bandwidth,
                          product_ref=product, note="segment of PO-1")


@pytest.fixture
def network_config() -> NetworkConfig:
    return NetworkConfig.from_mapping(NETWORK)


@pytest.fixture
def controller(container: Container, clock: ManualClock, network_config: NetworkConfig) -> SimulatedNetworkController:
    return SimulatedNetworkController(network_config, uow_factory=container.uow, clock=clock)


@pytest.fixture
def adapter(container: Container, clock: ManualClock, controller: SimulatedNetworkController) -> OwnNetworkAdapter:
    return OwnNetworkAdapter(provider_config(), uow_factory=container.uow, clock=clock, controller=controller,
                             policy=POLICY)


@pytest.fixture
def worker(container: Container, controller: SimulatedNetworkController) -> ServiceOrderWorker:
    return ServiceOrderWorker(container, controller, policy=POLICY)


async def reopen(database_url: str, clock: ManualClock, profile: Any) -> Container:
    """Another process on the same database (a restart)."""
    c = build(Settings(database_url=database_url, run_workers=False, public_base_url="http://seller.test"),
              clock=clock, profile=profile)
    await c.start()
    return c
