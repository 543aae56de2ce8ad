"""The simulated Presto/TAPI controller on SQLite and PostgreSQL: inventory, capacity, timing, faults, restarts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from counterpoint.bootstrap import Container
from counterpoint.core.service_order.ports import (
    AdministrativeState,
    ConnectivityRejected,
    ConnectivityServiceNotFound,
    ControllerUnavailable,
    LifecycleState,
    OperationalState,
)
from counterpoint.core.shared.clock import ManualClock
from counterpoint.network.controller import FLAP, NetworkConfig, SimulatedNetworkController
from counterpoint.storage.service_order import network_connectivity_service
from tests.network.conftest import reopen

ACC, HUB = "sip:jkt-acc-1", "sip:jkt-hub"


async def free(controller: SimulatedNetworkController) -> dict[str, int]:
    return {s.uuid: s.available_mbps for s in await controller.service_interface_points()}


async def stored_states(container: Container, uuid: str) -> tuple[str, str, str]:
    async with container.engine.connect() as conn:
        row = (await conn.execute(select(network_connectivity_service).where(
            network_connectivity_service.c.uuid == uuid))).mappings().one()
    return row["lifecycle_state"], row["operational_state"], row["administrative_state"]


async def test_a_service_is_planned_then_installed_and_enabled_after_the_provisioning_delay(
        controller: SimulatedNetworkController, clock: ManualClock, container: Container) -> None:
    view = await controller.create_connectivity_service(name="so-1:1", end_points=[ACC, HUB], capacity_mbps=300)
    assert (view.lifecycle_state, view.operational_state, view.administrative_state) == (
        LifecycleState.PLANNED, OperationalState.DISABLED, AdministrativeState.UNLOCKED)
    assert (view.name, view.end_points, view.capacity_mbps) == ("so-1:1", (ACC, HUB), 300)
    assert await free(controller) == {ACC: 700, HUB: 9700, "sip:sgp-hub": 10000, "sip:sgp-acc-1": 1000}
    clock.advance(timedelta(minutes=29))
    assert (await controller.get_connectivity_service(view.uuid)).lifecycle_state is LifecycleState.PLANNED
    clock.advance(timedelta(minutes=1))
    now = await controller.get_connectivity_service("so-1:1")  # by name, as TAPI's service-id-or-name
    assert (now.uuid, now.lifecycle_state, now.operational_state) == (view.uuid, LifecycleState.INSTALLED,
                                                                       OperationalState.ENABLED)
    assert now.operational
    assert await stored_states(container, view.uuid) == ("INSTALLED", "ENABLED", "UNLOCKED")  # written back
    tapi = controller.to_tapi(now)
    assert tapi["requested-capacity"] == {"total-size": {"value": 300, "unit": "MBPS"}}
    assert [e["service-interface-point"]["service-interface-point-id"] for e in tapi["end-point"]] == [ACC, HUB]
    assert (tapi["lifecycle-state"], tapi["operational-state"], tapi["service-type"]) == (
        "INSTALLED", "ENABLED", "POINT_TO_POINT_CONNECTIVITY")
    assert tapi["name"] == [{"value-name": "SERVICE_NAME", "value": "so-1:1"}]


async def test_an_unknown_point_or_too_much_bandwidth_is_refused_clearly(
        controller: SimulatedNetworkController) -> None:
    with pytest.raises(ConnectivityRejected) as unknown:
        await controller.create_connectivity_service(name="a", end_points=[ACC, "sip:nowhere"], capacity_mbps=10)
    assert (unknown.value.reason, unknown.value.code) == (
        "service-interface-point sip:nowhere is not in our inventory", "referenceNotFound")
    with pytest.raises(ConnectivityRejected) as big:
        await controller.create_connectivity_service(name="b", end_points=[HUB, ACC], capacity_mbps=1200)
    assert big.value.reason == ("service-interface-point sip:jkt-acc-1 (JKT1 access port 1) has 1000 Mb/s free of "
                                "1000 Mb/s; 1200 Mb/s requested")
    assert await free(controller) == {ACC: 1000, HUB: 10000, "sip:sgp-hub": 10000, "sip:sgp-acc-1": 1000}
    for end_points, capacity, reason in (
            ([ACC], 10, "a point-to-point connectivity service has two end points; 1 given"),
            ([ACC, ACC], 10, "both end points are service-interface-point sip:jkt-acc-1"),
            ([ACC, HUB], 0, "requested capacity must be above zero, not 0 Mb/s")):
        with pytest.raises(ConnectivityRejected) as bad:
            await controller.create_connectivity_service(name="c", end_points=end_points, capacity_mbps=capacity)
        assert bad.value.reason == reason
    assert await controller.list_connectivity_services(include_removed=True) == []


async def test_creation_is_idempotent_by_name(controller: SimulatedNetworkController) -> None:
    first = await controller.create_connectivity_service(name="so-1:1", end_points=[ACC, HUB], capacity_mbps=300)
    again = await controller.create_connectivity_service(name="so-1:1", end_points=[ACC, HUB], capacity_mbps=300)
    assert again.uuid == first.uuid
    assert (await free(controller))[ACC] == 700
    assert [v.uuid for v in await controller.list_connectivity_services()] == [first.uuid]


async def test_deletion_frees_capacity_at_once_and_the_service_leaves_after_the_removal_delay(
        controller: SimulatedNetworkController, clock: ManualClock) -> None:
    view = await controller.create_connectivity_service(name="x", end_points=[ACC, HUB], capacity_mbps=400)
    gone = await controller.delete_connectivity_service(view.uuid)
    assert gone is not None
    assert (gone.lifecycle_state, gone.operational_state, gone.administrative_state) == (
        LifecycleState.PENDING_REMOVAL, OperationalState.DISABLED, AdministrativeState.LOCKED)
    assert (await free(controller))[ACC] == 1000
    assert (await controller.delete_connectivity_service(view.uuid)).lifecycle_state is LifecycleState.PENDING_REMOVAL
    assert (await free(controller))[ACC] == 1000  # released once only
    clock.advance(timedelta(minutes=5))
    assert await controller.find_connectivity_service(view.uuid) is None
    with pytest.raises(ConnectivityServiceNotFound):
        await controller.get_connectivity_service("x")
    assert await controller.delete_connectivity_service(view.uuid) is None
    [removed] = await controller.list_connectivity_services(include_removed=True)
    assert removed.uuid == view.uuid


async def test_capacity_changes_within_what_the_points_have(controller: SimulatedNetworkController) -> None:
    view = await controller.create_connectivity_service(name="x", end_points=[ACC, HUB], capacity_mbps=400)
    assert (await controller.update_connectivity_service(view.uuid, capacity_mbps=900)).capacity_mbps == 900
    assert (await free(controller))[ACC] == 100
    with pytest.raises(ConnectivityRejected) as exc:
        await controller.update_connectivity_service(view.uuid, capacity_mbps=1100)
    assert exc.value.reason == "service-interface-point sip:jkt-acc-1 (JKT1 access port 1) has 100 Mb/s free; " \
                               "200 Mb/s more requested"
    assert (await controller.get_connectivity_service(view.uuid)).capacity_mbps == 900
    await controller.update_connectivity_service(view.uuid, capacity_mbps=100)
    assert await free(controller) == {ACC: 900, HUB: 9900, "sip:sgp-hub": 10000, "sip:sgp-acc-1": 1000}
    with pytest.raises(ConnectivityServiceNotFound):
        await controller.update_connectivity_service("nope", capacity_mbps=10)


async def test_fault_knobs(controller: SimulatedNetworkController, clock: ManualClock) -> None:
    controller.faults.fail_next_create(reason="line card failure")
    with pytest.raises(ConnectivityRejected) as exc:
        await controller.create_connectivity_service(name="a", end_points=[ACC, HUB], capacity_mbps=10)
    assert (exc.value.reason, exc.value.code) == ("line card failure", "otherIssue")
    assert (await free(controller))[ACC] == 1000
    controller.faults.never_operational = True
    dead = await controller.create_connectivity_service(name="a", end_points=[ACC, HUB], capacity_mbps=10)
    controller.faults.never_operational = False
    controller.faults.flap_period = timedelta(minutes=10)
    flappy = await controller.create_connectivity_service(name="b", end_points=[ACC, HUB], capacity_mbps=10)
    controller.faults.flap_period = None
    clock.advance(timedelta(minutes=30))
    view = await controller.get_connectivity_service(dead.uuid)
    assert (view.lifecycle_state, view.operational_state) == (LifecycleState.INSTALLED, OperationalState.DISABLED)
    states = []
    for _ in range(3):
        states.append((await controller.get_connectivity_service(flappy.uuid)).operational_state)
        clock.advance(timedelta(minutes=10))
    assert states == [OperationalState.ENABLED, OperationalState.DISABLED, OperationalState.ENABLED]
    healed = await controller.inject_fault(dead.uuid, None)
    assert healed.operational
    assert not (await controller.inject_fault(dead.uuid, "down")).operational
    with pytest.raises(ValueError):
        await controller.inject_fault(dead.uuid, FLAP)
    controller.faults.unavailable_calls = 1
    with pytest.raises(ControllerUnavailable):
        await controller.service_interface_points()
    assert len(await controller.service_interface_points()) == 4


async def test_the_network_survives_a_restart(container: Container, controller: SimulatedNetworkController,
                                              clock: ManualClock, network_config: NetworkConfig,
                                              database_url: str, profile) -> None:  # type: ignore[no-untyped-def]
    view = await controller.create_connectivity_service(name="so-1:1", end_points=[ACC, HUB], capacity_mbps=300)
    await container.engine.dispose()  # the process dies
    other = await reopen(database_url, clock, profile)
    try:
        again = SimulatedNetworkController(network_config, uow_factory=other.uow, clock=clock)
        clock.advance(timedelta(minutes=30))
        found = await again.get_connectivity_service("so-1:1")
        assert (found.uuid, found.lifecycle_state, found.operational_state) == (
            view.uuid, LifecycleState.INSTALLED, OperationalState.ENABLED)
        assert (await free(again))[ACC] == 700
        assert (await again.create_connectivity_service(name="so-1:1", end_points=[ACC, HUB],
                                                        capacity_mbps=300)).uuid == view.uuid
    finally:
        await other.close()
