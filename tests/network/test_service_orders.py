"""Service orders provisioned on the simulated network by the worker, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select

from counterpoint.bootstrap import Container
from counterpoint.core.service_order import services
from counterpoint.core.service_order.model import ServiceOrder, ServiceOrderState
from counterpoint.core.service_order.ports import ConnectivityServiceView, LifecycleState, OperationalState
from counterpoint.core.shared.clock import ManualClock
from counterpoint.network.controller import NetworkConfig, SimulatedNetworkController
from counterpoint.storage.outbox import outbox
from counterpoint.suppliers.own_network import OwnNetworkAdapter
from counterpoint.workers.service_order import ServiceOrderWorker
from tests.network.conftest import BANGKOK, JAKARTA, POLICY, SINGAPORE, provider_config, reopen, segment

S = ServiceOrderState


async def order_of(container: Container, order_id: str) -> ServiceOrder:
    async with container.uow() as uow:
        return await uow.service_orders.get_unscoped(order_id)


async def test_an_order_is_provisioned_and_completes_once_the_network_says_operational(
        adapter: OwnNetworkAdapter, worker: ServiceOrderWorker, controller: SimulatedNetworkController,
        clock: ManualClock, container: Container) -> None:
    placed = await adapter.place_order(segment())
    assert await worker.run_once() == 3  # design, create, first look
    order = await order_of(container, placed.ref.value)
    assert order.state is S.IN_PROGRESS
    conn = order.items[0]["connectivityService"]
    assert (conn["endPoints"], conn["lifecycleState"], conn["operationalState"]) == (
        ["sip:jkt-acc-1", "sip:sgp-acc-1"], "PLANNED", "DISABLED")
    assert order.items[0]["service"]["state"] == "reserved"
    assert order.due_at == clock.now() + timedelta(minutes=5)
    clock.advance(timedelta(minutes=5))
    assert await worker.run_once() == 1  # looked, not up yet
    clock.advance(timedelta(minutes=25))
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    order = await order_of(container, placed.ref.value)
    assert order.state is S.COMPLETED and order.due_at is None and order.plan == []
    assert order.doc["completionDate"] == "2026-01-05T09:30:00Z"
    assert [c["state"] for c in order.doc["stateChange"]] == ["acknowledged", "inProgress", "completed"]
    view = await controller.get_connectivity_service(conn["uuid"])
    assert (view.lifecycle_state, view.operational_state, view.capacity_mbps) == (
        LifecycleState.INSTALLED, OperationalState.ENABLED, 300)
    assert order.items[0]["service"] == {**order.items[0]["service"], "id": view.uuid, "state": "active"}
    assert len(await controller.list_connectivity_services(include_removed=True)) == 1
    async with container.engine.connect() as db:
        events = (await db.execute(select(outbox.c.event_type).where(outbox.c.resource_id == order.id)
                                   .order_by(outbox.c.seq))).scalars().all()
    assert events == ["serviceOrderCreateEvent", "serviceOrderStateChangeEvent", "serviceOrderItemStateChangeEvent",
                      "serviceOrderItemStateChangeEvent", "serviceOrderStateChangeEvent"]


async def test_too_much_bandwidth_fails_with_the_controllers_numbers(
        adapter: OwnNetworkAdapter, worker: ServiceOrderWorker, controller: SimulatedNetworkController,
        container: Container) -> None:
    placed = await adapter.place_order(segment(places=(JAKARTA,), bandwidth=1200))
    await worker.run_once()
    order = await order_of(container, placed.ref.value)
    assert order.state is S.FAILED
    reason = ("network controller refused the connectivity service: service-interface-point sip:jkt-acc-1 "
              "(JKT1 access port 1) has 1000 Mb/s free of 1000 Mb/s; 1200 Mb/s requested")
    assert order.items[0]["terminationError"] == [{"code": "invalidValue", "value": reason}]
    assert order.doc["stateChange"][-1] == {"changeDate": "2026-01-05T09:00:00Z", "state": "failed",
                                            "changeReason": reason}
    assert await controller.list_connectivity_services(include_removed=True) == []
    assert {s.uuid: s.available_mbps for s in await controller.service_interface_points()}["sip:jkt-hub"] == 10000


async def test_a_place_we_do_not_reach_fails_with_a_clear_reason(
        adapter: OwnNetworkAdapter, worker: ServiceOrderWorker, container: Container) -> None:
    placed = await adapter.place_order(segment(places=(JAKARTA, BANGKOK)))
    await worker.run_once()
    order = await order_of(container, placed.ref.value)
    assert order.state is S.FAILED
    assert order.items[0]["terminationError"] == [{
        "code": "referenceNotFound", "propertyPath": "/service/place/1",
        "value": "place 1 (FieldedAddress Bangkok, TH): no service interface point of ours serves it"}]
    assert order.items[0]["connectivityService"] == {"capacityMbps": 300}  # nothing was designed or made


async def test_cancel_before_completion_removes_the_connectivity_service(
        adapter: OwnNetworkAdapter, worker: ServiceOrderWorker, controller: SimulatedNetworkController,
        clock: ManualClock, container: Container) -> None:
    placed = await adapter.place_order(segment(places=(SINGAPORE,)))
    await worker.run_once()
    made = await controller.get_connectivity_service(f"{placed.ref.value}:1")
    assert made.end_points == ("sip:sgp-acc-1", "sip:sgp-hub")
    clock.advance(timedelta(minutes=10))
    answer = await adapter.cancel_order(placed.ref, our_ref="seg-1", reason="customer withdrew")
    assert (answer.outcome.value, answer.raw_state) == ("accepted", "pending")
    await worker.run_once()  # tear down: deletion asked
    order = await order_of(container, placed.ref.value)
    assert order.state is S.PENDING
    assert order.items[0]["connectivityService"]["lifecycleState"] == "PENDING_REMOVAL"
    assert (await controller.get_connectivity_service(made.uuid)).lifecycle_state is LifecycleState.PENDING_REMOVAL
    clock.advance(timedelta(minutes=5))
    await worker.run_once()
    order = await order_of(container, placed.ref.value)
    assert order.state is S.CANCELLED and order.items[0]["state"] == "cancelled"
    assert order.doc["cancellationDate"] == "2026-01-05T09:15:00Z"
    assert order.items[0]["service"]["state"] == "terminated"
    assert await controller.find_connectivity_service(made.uuid) is None
    assert await controller.list_connectivity_services() == []
    free = {s.uuid: s.available_mbps for s in await controller.service_interface_points()}
    assert (free["sip:sgp-acc-1"], free["sip:sgp-hub"]) == (1000, 10000)


async def test_a_restart_keeps_orders_and_network_and_finishes_without_a_second_service(
        adapter: OwnNetworkAdapter, worker: ServiceOrderWorker, container: Container, clock: ManualClock,
        network_config: NetworkConfig, database_url: str, profile) -> None:  # type: ignore[no-untyped-def]
    placed = await adapter.place_order(segment())
    await worker.run_once()
    before = (await order_of(container, placed.ref.value)).items[0]["connectivityService"]["uuid"]
    await container.engine.dispose()  # the process dies here
    other = await reopen(database_url, clock, profile)
    try:
        controller = SimulatedNetworkController(network_config, uow_factory=other.uow, clock=clock)
        clock.advance(timedelta(minutes=30))
        assert await ServiceOrderWorker(other, controller, policy=POLICY).run_once() == 1
        order = await order_of(other, placed.ref.value)
        assert order.state is S.COMPLETED
        assert order.items[0]["connectivityService"]["uuid"] == before
        [only] = await controller.list_connectivity_services(include_removed=True)
        assert (only.uuid, only.operational) == (before, True)
        again = OwnNetworkAdapter(provider_config(), uow_factory=other.uow, clock=clock, controller=controller)
        seen = await again.get_order(placed.ref)
        assert (seen.state.value, seen.product_ref.value if seen.product_ref else None) == (
            "deliveredPendingAcceptance", before)
    finally:
        await other.close()


class DiesAfterCreating:
    """A controller whose caller dies right after the controller made the service (the commit is lost)."""

    def __init__(self, real: SimulatedNetworkController) -> None:
        self.real = real

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.real, name)

    async def create_connectivity_service(self, *, name: str, end_points: Sequence[str],
                                          capacity_mbps: int) -> ConnectivityServiceView:
        await self.real.create_connectivity_service(name=name, end_points=end_points, capacity_mbps=capacity_mbps)
        raise RuntimeError("process killed before the service order was saved")


async def test_a_service_made_before_a_lost_commit_is_found_not_made_again(
        adapter: OwnNetworkAdapter, worker: ServiceOrderWorker, controller: SimulatedNetworkController,
        container: Container, clock: ManualClock) -> None:
    placed = await adapter.place_order(segment())
    dying = ServiceOrderWorker(container, DiesAfterCreating(controller), policy=POLICY)  # type: ignore[arg-type]
    assert await dying.run_once() == 0  # design committed, then the create step died
    order = await order_of(container, placed.ref.value)
    assert [s.kind for s in order.plan] == ["create"] and "uuid" not in order.items[0]["connectivityService"]
    [made] = await controller.list_connectivity_services()
    clock.advance(timedelta(minutes=30))
    assert await worker.run_once() == 2  # create (found by name), await: operational
    order = await order_of(container, placed.ref.value)
    assert order.state is S.COMPLETED
    assert order.items[0]["connectivityService"]["uuid"] == made.uuid
    assert [v.uuid for v in await controller.list_connectivity_services(include_removed=True)] == [made.uuid]


async def test_modify_then_delete_the_delivered_service(
        adapter: OwnNetworkAdapter, worker: ServiceOrderWorker, controller: SimulatedNetworkController,
        clock: ManualClock, container: Container) -> None:
    placed = await adapter.place_order(segment(places=()))  # a core segment: between our two hubs
    await worker.run_once()
    clock.advance(timedelta(minutes=30))
    await worker.run_once()
    done = await adapter.get_order(placed.ref)
    assert done.product_ref is not None
    uuid = done.product_ref.value
    assert (await controller.get_connectivity_service(uuid)).end_points == ("sip:jkt-hub", "sip:sgp-hub")
    bigger = await adapter.place_order(segment("seg-1-v2", action="modify", bandwidth=2000, product=done.product_ref))
    await worker.run_once()
    assert (await adapter.get_order(bigger.ref)).raw_state == "completed"
    assert (await controller.get_connectivity_service(uuid)).capacity_mbps == 2000
    gone = await adapter.place_order(segment("seg-1-del", action="delete", bandwidth=None, product=done.product_ref))
    await worker.run_once()
    assert (await adapter.get_order(gone.ref)).raw_state == "inProgress"
    clock.advance(timedelta(minutes=5))
    await worker.run_once()
    deleted = await order_of(container, gone.ref.value)
    assert deleted.state is S.COMPLETED and deleted.items[0]["service"]["state"] == "terminated"
    assert await controller.find_connectivity_service(uuid) is None
    assert {s.uuid: s.available_mbps for s in await controller.service_interface_points()}["sip:jkt-hub"] == 10000


async def test_an_order_waits_held_while_the_controller_is_away(
        adapter: OwnNetworkAdapter, worker: ServiceOrderWorker, controller: SimulatedNetworkController,
        clock: ManualClock, container: Container) -> None:
    placed = await adapter.place_order(segment())
    await worker.run_once()
    controller.faults.unavailable_calls = 3
    for minutes in (5, 1, 2, 4):  # first look at +5, then retries after 1, 2 and 4 minutes
        clock.advance(timedelta(minutes=minutes))
        await worker.run_once()
        if minutes == 2:
            held = await order_of(container, placed.ref.value)
            assert held.state is S.HELD
            assert held.doc["stateChange"][-1]["changeReason"] == (
                "network controller unavailable: injected fault: the network controller is not answering")
            assert (await adapter.get_order(placed.ref)).state.value == "inDelivery"
    order = await order_of(container, placed.ref.value)
    assert order.state is S.IN_PROGRESS  # back, waiting for the network
    clock.advance(timedelta(minutes=20))
    await worker.run_once()
    order = await order_of(container, placed.ref.value)
    assert order.state is S.COMPLETED
    assert [c["state"] for c in order.doc["stateChange"]] == [
        "acknowledged", "inProgress", "held", "inProgress", "completed"]


async def test_the_use_cases_find_orders_by_reference_and_scope(adapter: OwnNetworkAdapter,
                                                                container: Container) -> None:
    placed = await adapter.place_order(segment())
    found = await services.find_service_order(container.uow(), requester="orchestrator", external_id="seg-1")
    assert found is not None and found.id == placed.ref.value
    assert await services.find_service_order(container.uow(), requester="someone-else", external_id="seg-1") is None
