"""Segment requests, service interface points and a fake controller for the service-order unit tests."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from counterpoint.core.orchestration.supply import SegmentRequest
from counterpoint.core.service_order.ports import (
    AdministrativeState,
    ConnectivityRejected,
    ConnectivityServiceNotFound,
    ConnectivityServiceView,
    ControllerUnavailable,
    LifecycleState,
    OperationalState,
    ServiceInterfacePoint,
)
from counterpoint.core.shared.ids import ExternalRef

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
JAKARTA = {"@type": "FieldedAddress", "city": "Jakarta", "country": "ID", "role": "INSTALL_LOCATION"}
SINGAPORE = {"@type": "FieldedAddress", "city": "Singapore", "country": "SG", "role": "INSTALL_LOCATION"}
BANGKOK = {"@type": "FieldedAddress", "city": "Bangkok", "country": "TH", "role": "INSTALL_LOCATION"}


def sip(uuid: str, city: str, country: str, *, role: str = "access", capacity: int = 1000, used: int = 0,
        site_id: str | None = None) -> ServiceInterfacePoint:
    return ServiceInterfacePoint(uuid=uuid, name=uuid, capacity_mbps=capacity, available_mbps=capacity - used,
                                 site_id=site_id, city=city, country=country, role=role)


SIPS = (sip("sip:jkt-acc-1", "Jakarta", "ID"), sip("sip:jkt-hub", "Jakarta", "ID", role="hub", capacity=10_000),
        sip("sip:sgp-acc-1", "Singapore", "SG", site_id="SITE-SG-1"),
        sip("sip:sgp-hub", "Singapore", "SG", role="hub", capacity=10_000))


def a_request(*, our_ref: str = "seg-1", action: str = "add", places: Sequence[dict[str, Any]] = (JAKARTA,),
              bandwidth: int | None = 200, product: str | None = None, config: dict[str, Any] | None = None
              ) -> SegmentRequest:
    return SegmentRequest(
        our_ref=our_ref, correlation_id="corr-1", action=action, offering_id="own-ael",
        spec_urn="urn:mef:lso:spec:sonata:access-eline:v1.0.0:all", configuration=config or {"cir": 200},
        places=list(places), bandwidth_mbps=bandwidth,
        product_ref=ExternalRef("self", product, "connectivityService") if product else None,
        note="segment access of order PO-1")


@dataclass
class FakeController:
    """An in-memory controller; creation idempotent by name; `ready` decides whether services are up."""

    sips: tuple[ServiceInterfacePoint, ...] = SIPS
    ready: bool = True
    unavailable: int = 0
    reject: str | None = None
    services: dict[str, ConnectivityServiceView] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def _outage(self, call: str) -> None:
        self.calls.append(call)
        if self.unavailable:
            self.unavailable -= 1
            raise ControllerUnavailable("down for maintenance")

    def _state(self, view: ConnectivityServiceView) -> ConnectivityServiceView:
        if view.lifecycle_state is LifecycleState.PENDING_REMOVAL:
            return view
        life, op = (LifecycleState.INSTALLED, OperationalState.ENABLED) if self.ready else \
            (LifecycleState.PLANNED, OperationalState.DISABLED)
        return ConnectivityServiceView(view.uuid, view.name, view.end_points, view.capacity_mbps, life, op,
                                       view.administrative_state, view.created_at, view.observed_at)

    async def service_interface_points(self) -> list[ServiceInterfacePoint]:
        self._outage("sips")
        return list(self.sips)

    async def create_connectivity_service(self, *, name: str, end_points: Sequence[str],
                                          capacity_mbps: int) -> ConnectivityServiceView:
        self._outage("create")
        if self.reject:
            raise ConnectivityRejected(self.reject)
        for v in self.services.values():
            if v.name == name:
                return self._state(v)
        view = ConnectivityServiceView(f"cs-{next(self._ids)}", name, tuple(end_points), capacity_mbps,
                                       LifecycleState.PLANNED, OperationalState.DISABLED,
                                       AdministrativeState.UNLOCKED, T0, T0)
        self.services[view.uuid] = view
        return self._state(view)

    async def find_connectivity_service(self, uuid_or_name: str) -> ConnectivityServiceView | None:
        self._outage("find")
        for v in self.services.values():
            if uuid_or_name in (v.uuid, v.name):
                return self._state(v)
        return None

    async def get_connectivity_service(self, uuid_or_name: str) -> ConnectivityServiceView:
        view = await self.find_connectivity_service(uuid_or_name)
        if view is None:
            raise ConnectivityServiceNotFound(uuid_or_name)
        return view

    async def update_connectivity_service(self, uuid_or_name: str, *,
                                          capacity_mbps: int) -> ConnectivityServiceView:
        self._outage("update")
        if self.reject:
            raise ConnectivityRejected(self.reject)
        view = self.services[uuid_or_name]
        self.services[view.uuid] = ConnectivityServiceView(
            view.uuid, view.name, view.end_points, capacity_mbps, view.lifecycle_state, view.operational_state,
            view.administrative_state, view.created_at, view.observed_at)
        return self._state(self.services[view.uuid])

    async def delete_connectivity_service(self, uuid_or_name: str) -> ConnectivityServiceView | None:
        self._outage("delete")
        view = next((v for v in self.services.values() if uuid_or_name in (v.uuid, v.name)), None)
        if view is None:
            return None
        del self.services[view.uuid]  # removal takes effect at once here
        return ConnectivityServiceView(view.uuid, view.name, view.end_points, view.capacity_mbps,
                                       LifecycleState.PENDING_REMOVAL, OperationalState.DISABLED,
                                       AdministrativeState.LOCKED, view.created_at, view.observed_at)
