"""A simulated network controller with Presto NRP (TAPI) connectivity-service semantics.

What it models:
- an inventory of service interface points (our PoP ports and ENNIs), each with a capacity in Mb/s; a
  point-to-point connectivity service takes its requested capacity on both end points and is refused when
  a point is unknown or has no room;
- provisioning that takes time on the injected clock: a new service is PLANNED (operational-state DISABLED)
  until `provisioning_delay` has passed, then INSTALLED and ENABLED; deletion makes it PENDING_REMOVAL
  (administratively LOCKED) and it leaves the network `removal_delay` later;
- fault knobs: refuse the next creations, create services that never become operational, make them flap,
  take one down, or be unavailable for the next calls.

State lives in the provider's database (`network_*` tables, storage/service_order.py), written in the
controller's own short transactions, so a restarted process finds its network as it left it. States that
depend on time are derived from the stored instants on every read and written back when they changed.
"""

from __future__ import annotations

import asyncio
import uuid as uuidlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.engine import RowMapping

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
from counterpoint.core.shared.clock import Clock

L, O, A = LifecycleState, OperationalState, AdministrativeState  # noqa: E741 (short aliases keep rows readable)


class NetworkStore(Protocol):
    """Where the simulated controller keeps its points and services (storage/service_order.py implements it)."""

    async def sync_sips(self, sips: Sequence[tuple[str, str, int]], at: datetime) -> None: ...
    async def sips(self) -> dict[str, RowMapping]: ...
    async def reserve(self, sip_uuid: str, mbps: int, at: datetime) -> bool: ...
    async def release(self, sip_uuid: str, mbps: int, at: datetime) -> None: ...
    async def insert_service(self, row: dict[str, Any]) -> None: ...
    async def service(self, uuid_or_name: str, now: datetime) -> RowMapping | None: ...
    async def services(self, now: datetime, *, include_removed: bool = False) -> list[RowMapping]: ...
    async def update_service(self, uuid: str, values: dict[str, Any]) -> None: ...


class NetworkUnitOfWork(Protocol):
    """A transaction over the network's store (the Seller's unit of work is one)."""

    @property
    def network(self) -> NetworkStore: ...
    async def __aenter__(self) -> NetworkUnitOfWork: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def commit(self) -> None: ...

# fault values stored on a connectivity service
DOWN = "down"
NEVER_OPERATIONAL = "neverOperational"
FLAP = "flap"


@dataclass(frozen=True, slots=True)
class SipConfig:
    """One service interface point of our network and where it is."""

    uuid: str
    name: str
    capacity_mbps: int
    site_id: str | None = None
    address_id: str | None = None
    city: str | None = None
    country: str | None = None
    delay_ms: float = 1.0  # one-way frame delay from this point across our core, for the activation test
    delay_variation_ms: float = 0.1
    layer_protocol: str = "ETH"
    role: str = "access"  # access | hub (see core/service_order/design.py)


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """Faults the controller starts with (the knobs can change them at run time)."""

    fail_next_creates: int = 0
    never_operational: bool = False
    flap_period: timedelta | None = None
    unavailable_calls: int = 0


@dataclass(frozen=True, slots=True)
class NetworkConfig:
    sips: tuple[SipConfig, ...]
    provisioning_delay: timedelta = timedelta(minutes=30)
    removal_delay: timedelta = timedelta(minutes=5)
    faults: FaultConfig = field(default_factory=FaultConfig)

    def sip(self, sip_uuid: str) -> SipConfig | None:
        return next((s for s in self.sips if s.uuid == sip_uuid), None)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> NetworkConfig:
        """Read the `network:` block of a provider profile (see the module's YAML example in the report)."""
        sips = tuple(
            SipConfig(uuid=str(s["uuid"]), name=str(s.get("name", s["uuid"])), capacity_mbps=int(s["capacity_mbps"]),
                      site_id=s.get("site_id"), address_id=s.get("address_id"), city=s.get("city"),
                      country=s.get("country"), delay_ms=float(s.get("delay_ms", 1.0)),
                      delay_variation_ms=float(s.get("delay_variation_ms", 0.1)),
                      layer_protocol=str(s.get("layer_protocol", "ETH")), role=str(s.get("role", "access")))
            for s in raw.get("service_interface_points") or [])
        if len({s.uuid for s in sips}) != len(sips):
            raise ValueError("network: service interface point uuids must be unique")
        faults = raw.get("faults") or {}
        flap = faults.get("flap_period_s")
        return cls(
            sips=sips,
            provisioning_delay=timedelta(seconds=float(raw.get("provisioning_delay_s", 1800))),
            removal_delay=timedelta(seconds=float(raw.get("removal_delay_s", 300))),
            faults=FaultConfig(fail_next_creates=int(faults.get("fail_next_creates", 0)),
                               never_operational=bool(faults.get("never_operational", False)),
                               flap_period=timedelta(seconds=float(flap)) if flap else None,
                               unavailable_calls=int(faults.get("unavailable_calls", 0))))


@dataclass
class FaultKnobs:
    """Run-time faults. Those about new services are stamped on each service when it is created."""

    fail_next_creates: int = 0
    fail_reason: str = "injected fault: the controller could not set up the connectivity service"
    never_operational: bool = False
    flap_period: timedelta | None = None
    unavailable_calls: int = 0

    def fail_next_create(self, *, count: int = 1, reason: str | None = None) -> None:
        self.fail_next_creates += count
        if reason:
            self.fail_reason = reason


@dataclass(frozen=True, slots=True)
class PathCharacteristics:
    """What a frame meets crossing a connectivity service, one way."""

    delay_ms: float
    delay_variation_ms: float


def derive_states(row: Mapping[str, Any], at: datetime) -> tuple[LifecycleState, OperationalState,
                                                                 AdministrativeState]:
    """The states of a stored service at an instant, from its stored instants and fault."""
    if row["removal_requested_at"] is not None and row["removal_requested_at"] <= at:
        return L.PENDING_REMOVAL, O.DISABLED, A.LOCKED
    if at < row["ready_at"]:
        return L.PLANNED, O.DISABLED, A.UNLOCKED
    fault = row["fault"]
    if fault in (DOWN, NEVER_OPERATIONAL):
        return L.INSTALLED, O.DISABLED, A.UNLOCKED
    if fault == FLAP and row["flap_period_s"]:
        half_cycles = int((at - row["ready_at"]).total_seconds() // float(row["flap_period_s"]))
        return L.INSTALLED, O.ENABLED if half_cycles % 2 == 0 else O.DISABLED, A.UNLOCKED
    return L.INSTALLED, O.ENABLED, A.UNLOCKED


class SimulatedNetworkController:
    """Implements core.service_order.ports.NetworkController over the provider's database."""

    def __init__(self, config: NetworkConfig, *, uow_factory: Callable[[], NetworkUnitOfWork], clock: Clock) -> None:
        self.config = config
        self.uow_factory = uow_factory
        self.clock = clock
        f = config.faults
        self.faults = FaultKnobs(fail_next_creates=f.fail_next_creates, never_operational=f.never_operational,
                                 flap_period=f.flap_period, unavailable_calls=f.unavailable_calls)
        self._lock = asyncio.Lock()  # creations and changes in this process, one at a time (names stay unique)
        self._synced = False

    # --- the port -------------------------------------------------------------------------------------
    async def service_interface_points(self) -> list[ServiceInterfacePoint]:
        self._outage()
        await self._sync()
        async with self.uow_factory() as uow:
            rows = await uow.network.sips()
        points = []
        for sip in self.config.sips:
            row = rows[sip.uuid]
            points.append(ServiceInterfacePoint(
                uuid=sip.uuid, name=sip.name, capacity_mbps=row["capacity_mbps"],
                available_mbps=row["capacity_mbps"] - row["used_mbps"], site_id=sip.site_id,
                address_id=sip.address_id, city=sip.city, country=sip.country, role=sip.role))
        return points

    async def create_connectivity_service(self, *, name: str, end_points: Sequence[str],
                                          capacity_mbps: int) -> ConnectivityServiceView:
        """Set up a point-to-point service; a live service of the same name is returned instead of a second one."""
        self._outage()
        end_points = list(end_points)
        await self._sync()
        async with self._lock:
            now = self.clock.now()
            async with self.uow_factory() as uow:
                net = uow.network
                existing = await net.service(name, now)
                if existing is not None and existing["name"] == name:
                    view = await self._observe(net, existing, now)
                    await uow.commit()
                    return view
                self._check_request(name, end_points, capacity_mbps)
                sips = await net.sips()
                for sip in end_points:
                    if sip not in sips:
                        raise ConnectivityRejected(f"service-interface-point {sip} is not in our inventory",
                                                   code="referenceNotFound")
                if self.faults.fail_next_creates > 0:
                    self.faults.fail_next_creates -= 1
                    raise ConnectivityRejected(self.faults.fail_reason, code="otherIssue")
                for sip in end_points:
                    if not await net.reserve(sip, capacity_mbps, now):  # raising rolls back earlier reservations
                        row = sips[sip]
                        free = row["capacity_mbps"] - row["used_mbps"]
                        raise ConnectivityRejected(
                            f"service-interface-point {sip} ({row['name']}) has {free} Mb/s free of "
                            f"{row['capacity_mbps']} Mb/s; {capacity_mbps} Mb/s requested", code="invalidValue")
                fault = (NEVER_OPERATIONAL if self.faults.never_operational
                         else FLAP if self.faults.flap_period else None)
                row = {"uuid": str(uuidlib.uuid4()), "name": name, "end_points": end_points,
                       "capacity_mbps": capacity_mbps, "lifecycle_state": L.PLANNED.value,
                       "operational_state": O.DISABLED.value, "administrative_state": A.UNLOCKED.value,
                       "fault": fault,
                       "flap_period_s": self.faults.flap_period.total_seconds() if fault == FLAP and
                       self.faults.flap_period else None,
                       "created_at": now, "ready_at": now + self.config.provisioning_delay, "updated_at": now,
                       "removal_requested_at": None, "removed_at": None}
                await net.insert_service(row)
                view = await self._observe(net, row, now)
                await uow.commit()
        return view

    async def get_connectivity_service(self, uuid_or_name: str) -> ConnectivityServiceView:
        view = await self.find_connectivity_service(uuid_or_name)
        if view is None:
            raise ConnectivityServiceNotFound(f"no connectivity service {uuid_or_name} in the network")
        return view

    async def find_connectivity_service(self, uuid_or_name: str) -> ConnectivityServiceView | None:
        self._outage()
        now = self.clock.now()
        async with self.uow_factory() as uow:
            net = uow.network
            row = await net.service(uuid_or_name, now)
            if row is None:
                return None
            view = await self._observe(net, row, now)
            await uow.commit()
        return view

    async def update_connectivity_service(self, uuid_or_name: str, *,
                                          capacity_mbps: int) -> ConnectivityServiceView:
        """Change the requested capacity; more capacity is taken on both end points only if they have room."""
        self._outage()
        if capacity_mbps <= 0:
            raise ConnectivityRejected(f"requested capacity must be above zero, not {capacity_mbps} Mb/s")
        await self._sync()
        async with self._lock:
            now = self.clock.now()
            async with self.uow_factory() as uow:
                net = uow.network
                row = await net.service(uuid_or_name, now)
                if row is None:
                    raise ConnectivityServiceNotFound(f"no connectivity service {uuid_or_name} in the network")
                if row["removal_requested_at"] is not None:
                    raise ConnectivityRejected(f"connectivity service {row['uuid']} is being removed")
                delta = capacity_mbps - row["capacity_mbps"]
                sips = await net.sips()
                for sip in row["end_points"]:
                    if delta > 0 and not await net.reserve(sip, delta, now):
                        free = sips[sip]["capacity_mbps"] - sips[sip]["used_mbps"]
                        raise ConnectivityRejected(
                            f"service-interface-point {sip} ({sips[sip]['name']}) has {free} Mb/s free; "
                            f"{delta} Mb/s more requested", code="invalidValue")
                    if delta < 0:
                        await net.release(sip, -delta, now)
                await net.update_service(row["uuid"], {"capacity_mbps": capacity_mbps, "updated_at": now})
                view = await self._observe(net, {**row, "capacity_mbps": capacity_mbps}, now)
                await uow.commit()
        return view

    async def delete_connectivity_service(self, uuid_or_name: str) -> ConnectivityServiceView | None:
        """Start the removal (capacity is given back at once); None when there is nothing to remove."""
        self._outage()
        async with self._lock:
            now = self.clock.now()
            async with self.uow_factory() as uow:
                net = uow.network
                row = await net.service(uuid_or_name, now)
                if row is None:
                    return None
                if row["removal_requested_at"] is None:
                    for sip in row["end_points"]:
                        await net.release(sip, row["capacity_mbps"], now)
                    changes = {"removal_requested_at": now, "removed_at": now + self.config.removal_delay,
                               "lifecycle_state": L.PENDING_REMOVAL.value,
                               "operational_state": O.DISABLED.value,
                               "administrative_state": A.LOCKED.value, "updated_at": now}
                    await net.update_service(row["uuid"], changes)
                    row = {**row, **changes}
                view = self._view(row, now)
                await uow.commit()
        return view

    # --- simulation extras (not part of the port) ------------------------------------------------------
    async def list_connectivity_services(self, *, include_removed: bool = False) -> list[ConnectivityServiceView]:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            rows = await uow.network.services(now, include_removed=include_removed)
        return [self._view(r, now) for r in rows]

    async def inject_fault(self, uuid_or_name: str, fault: str | None, *,
                           flap_period: timedelta | None = None) -> ConnectivityServiceView:
        """Put a live service down, make it flap, or (None) heal it."""
        if fault not in (None, DOWN, NEVER_OPERATIONAL, FLAP):
            raise ValueError(f"unknown fault {fault!r}")
        if fault == FLAP and not flap_period:
            raise ValueError("a flapping service needs a flap period")
        now = self.clock.now()
        async with self.uow_factory() as uow:
            net = uow.network
            row = await net.service(uuid_or_name, now)
            if row is None:
                raise ConnectivityServiceNotFound(f"no connectivity service {uuid_or_name} in the network")
            changes = {"fault": fault, "flap_period_s": flap_period.total_seconds() if flap_period else None,
                       "updated_at": now}
            await net.update_service(row["uuid"], changes)
            view = await self._observe(net, {**row, **changes}, now)
            await uow.commit()
        return view

    async def view_at(self, uuid_or_name: str, at: datetime) -> ConnectivityServiceView | None:
        """The service as it would be seen at `at` (read only; the activation test samples with it)."""
        async with self.uow_factory() as uow:
            row = await uow.network.service(uuid_or_name, at)
        return None if row is None else self._view(row, at)

    def path(self, view: ConnectivityServiceView) -> PathCharacteristics:
        """Delay and delay variation across the service: the sum of what each end point's configuration says."""
        sips = [s for s in (self.config.sip(e) for e in view.end_points) if s is not None]
        return PathCharacteristics(delay_ms=sum(s.delay_ms for s in sips),
                                   delay_variation_ms=sum(s.delay_variation_ms for s in sips))

    def to_tapi(self, view: ConnectivityServiceView) -> dict[str, Any]:
        """The service as a TAPI connectivity-service object (Presto NRP names)."""
        capacity = {"total-size": {"value": view.capacity_mbps, "unit": "MBPS"}}
        end_points = []
        for i, sip in enumerate(view.end_points):
            cfg = self.config.sip(sip)
            end_points.append({
                "local-id": f"{view.uuid}:ep{i + 1}",
                "service-interface-point": {"service-interface-point-id": sip},
                "layer-protocol-name": cfg.layer_protocol if cfg else "ETH", "direction": "BIDIRECTIONAL",
                "role": "SYMMETRIC", "capacity": capacity,
                "lifecycle-state": view.lifecycle_state.value, "operational-state": view.operational_state.value,
                "administrative-state": view.administrative_state.value})
        return {"uuid": view.uuid, "name": [{"value-name": "SERVICE_NAME", "value": view.name}],
                "end-point": end_points, "requested-capacity": capacity,
                "service-type": "POINT_TO_POINT_CONNECTIVITY", "layer-protocol-name": "ETH",
                "direction": "BIDIRECTIONAL", "lifecycle-state": view.lifecycle_state.value,
                "operational-state": view.operational_state.value,
                "administrative-state": view.administrative_state.value}

    # --- inside ------------------------------------------------------------------------------------------
    def _outage(self) -> None:
        if self.faults.unavailable_calls > 0:
            self.faults.unavailable_calls -= 1
            raise ControllerUnavailable("injected fault: the network controller is not answering")

    async def _sync(self) -> None:
        """Bring the stored inventory in line with the configuration, once per process, in its own commit."""
        if self._synced:
            return
        async with self.uow_factory() as uow:
            await uow.network.sync_sips([(s.uuid, s.name, s.capacity_mbps) for s in self.config.sips],
                                            self.clock.now())
            await uow.commit()
        self._synced = True

    @staticmethod
    def _check_request(name: str, end_points: list[str], capacity_mbps: int) -> None:
        if len(end_points) != 2:
            raise ConnectivityRejected(f"a point-to-point connectivity service has two end points; "
                                       f"{len(end_points)} given")
        if end_points[0] == end_points[1]:
            raise ConnectivityRejected(f"both end points are service-interface-point {end_points[0]}")
        if capacity_mbps <= 0:
            raise ConnectivityRejected(f"requested capacity must be above zero, not {capacity_mbps} Mb/s")
        if not name:
            raise ConnectivityRejected("a connectivity service needs a name", code="missingProperty")

    @staticmethod
    def _view(row: Mapping[str, Any], at: datetime) -> ConnectivityServiceView:
        lifecycle, operational, administrative = derive_states(row, at)
        return ConnectivityServiceView(
            uuid=row["uuid"], name=row["name"], end_points=tuple(row["end_points"]),
            capacity_mbps=int(row["capacity_mbps"]), lifecycle_state=lifecycle, operational_state=operational,
            administrative_state=administrative, created_at=row["created_at"], observed_at=at)

    async def _observe(self, net: NetworkStore, row: RowMapping | Mapping[str, Any],
                       now: datetime) -> ConnectivityServiceView:
        """The view now, with the stored states brought up to date when time moved them."""
        view = self._view(row, now)
        stored = (row["lifecycle_state"], row["operational_state"], row["administrative_state"])
        current = (view.lifecycle_state.value, view.operational_state.value, view.administrative_state.value)
        if stored != current:
            await net.update_service(view.uuid, {"lifecycle_state": current[0], "operational_state": current[1],
                                                 "administrative_state": current[2], "updated_at": now})
        return view
