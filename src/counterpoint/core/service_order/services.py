"""Use cases of our service orchestration: take a segment request as a service order and provision it.

`advance_service_order` is the worker's step. Each pass reads the order, runs one due step (which may call
the network controller, outside any transaction: a slow controller never holds the database) and writes the
order back with its version check. A step is taken off the plan in the commit that records its effect, and
every controller call is safe to repeat: creation is keyed by a name derived from the order, so a crash
between the controller's answer and our commit finds the same connectivity service on the next pass.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from counterpoint.core.orchestration.supply import SegmentRequest
from counterpoint.core.ordering.payload import bandwidth_mbps
from counterpoint.core.service_order.design import DesignFailed, design_segment
from counterpoint.core.service_order.model import (
    CHANNEL,
    ServiceAction,
    ServiceOrder,
    ServiceOrderPolicy,
    ServiceOrderState,
    ServiceState,
    Step,
)
from counterpoint.core.service_order.ports import (
    ConnectivityRejected,
    ConnectivityServiceNotFound,
    ConnectivityServiceView,
    ControllerUnavailable,
    LifecycleState,
    NetworkController,
)
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.times import iso, parse_aware, state_change

if TYPE_CHECKING:
    from counterpoint.core.ports import UnitOfWork

DEFAULT_SERVICE_TYPE = "urn:counterpoint:own-network:connectivity"
ITEM_ID = "1"  # one segment request is one service order item


# ---- building a service order from a segment request ----------------------------------------------------


def request_problems(request: SegmentRequest, capacity: int | None) -> list[tuple[str, str, str]]:
    """What makes a segment request impossible to act on, as (code, reason, JSON pointer) triples."""
    base = f"/serviceOrderItem/{ITEM_ID}"
    problems: list[tuple[str, str, str]] = []
    if request.action not in {a.value for a in ServiceAction}:
        problems.append(("invalidValue", f"action {request.action!r} is not add, modify or delete", f"{base}/action"))
        return problems
    action = ServiceAction(request.action)
    if action is ServiceAction.ADD and len(request.places) > 2:
        problems.append(("invalidValue", f"a segment joins at most two places; {len(request.places)} given",
                         f"{base}/service/place"))
    if action is not ServiceAction.DELETE and (capacity is None or capacity <= 0):
        problems.append(("missingProperty", "the segment needs a committed bandwidth above zero (bandwidth_mbps "
                         "or a CIR in the configuration)", f"{base}/service/serviceConfiguration"))
    if action is not ServiceAction.ADD and request.product_ref is None:
        problems.append(("missingProperty", f"a {action.value} names the service it changes", f"{base}/service/id"))
    return problems


def new_service_order(request: SegmentRequest, *, order_id: str, requester: str, sof: str,
                      at: datetime) -> ServiceOrder:
    """A Legato-shaped service order for one segment; rejected at once when the request cannot be acted on."""
    capacity = request.bandwidth_mbps if request.bandwidth_mbps is not None else bandwidth_mbps(request.configuration)
    acknowledged = state_change(ServiceOrderState.ACKNOWLEDGED.value, at)
    service: dict[str, Any] = {"externalId": request.our_ref, "serviceType": request.offering_id,
                               "place": copy.deepcopy(request.places)}
    if request.action != ServiceAction.DELETE.value:
        config = copy.deepcopy(request.configuration)
        config.setdefault("@type", request.spec_urn or DEFAULT_SERVICE_TYPE)
        service["serviceConfiguration"] = config
    if request.product_ref is not None:
        service["id"] = request.product_ref.value
    item: dict[str, Any] = {"id": ITEM_ID, "action": request.action, "service": service,
                            "state": ServiceOrderState.ACKNOWLEDGED.value, "stateChange": [dict(acknowledged)],
                            "connectivityService": {"capacityMbps": capacity} if capacity is not None else {}}
    doc: dict[str, Any] = {
        "id": order_id, "externalId": request.our_ref, "orderDate": iso(at),
        "requestedStartDate": iso(at), "requestedCompletionDate": iso(request.requested_completion or at),
        "state": ServiceOrderState.ACKNOWLEDGED.value, "stateChange": [acknowledged], "serviceOrderItem": [item],
    }
    if request.note:
        doc["description"] = request.note
    order = ServiceOrder(id=order_id, buyer_id=requester, seller_id=sof, channel=CHANNEL, created_at=at,
                         updated_at=at, state=ServiceOrderState.ACKNOWLEDGED, doc=doc)
    order.record("serviceOrderCreateEvent", "serviceOrder", at)
    problems = request_problems(request, capacity)
    if problems:
        order.reject(problems, at=at)
        return order
    first = "design" if request.action == ServiceAction.ADD.value else "start"
    order.schedule(Step(at=at, item_id=ITEM_ID, kind=first))
    return order


# ---- use cases -------------------------------------------------------------------------------------------


async def create_service_order(uow: UnitOfWork, clock: Clock, *, requester: str, sof: str,
                               request: SegmentRequest) -> ServiceOrder:
    """Take a segment request as a service order; asking again with the same reference returns the first one."""
    now = clock.now()
    async with uow:
        existing = await uow.service_orders.find_by_external_id(requester, request.our_ref)
        if existing is not None:
            return existing
        order = new_service_order(request, order_id=new_id(), requester=requester, sof=sof, at=now)
        await uow.service_orders.add(order)
        await uow.commit()
    return order


async def get_service_order(uow: UnitOfWork, *, requester: str, order_id: str) -> ServiceOrder:
    async with uow:
        return await uow.service_orders.get(requester, order_id)


async def find_service_order(uow: UnitOfWork, *, requester: str, external_id: str) -> ServiceOrder | None:
    async with uow:
        return await uow.service_orders.find_by_external_id(requester, external_id)


async def cancel_service_order(uow: UnitOfWork, clock: Clock, *, requester: str, order_id: str,
                               reason: str) -> ServiceOrder:
    """Withdraw an order (Conflict once it has ended, or once a modify/delete has touched the network)."""
    now = clock.now()
    async with uow:
        order = await uow.service_orders.get(requester, order_id)
        if order.cancellation_requested and order.state in (ServiceOrderState.PENDING, ServiceOrderState.CANCELLED):
            return order
        order.request_cancellation(reason, at=now)
        await uow.service_orders.save(order)
        await uow.commit()
    return order


async def advance_service_order(uow: UnitOfWork, clock: Clock, controller: NetworkController, order_id: str, *,
                                policy: ServiceOrderPolicy = ServiceOrderPolicy()) -> int:
    """Run the steps of one order that are due now; returns how many ran."""
    applied = 0
    while applied < policy.max_steps_per_round:
        now = clock.now()
        async with uow:
            order = await uow.service_orders.get_unscoped(order_id)
        step = order.take_due(now)
        if step is None:
            break
        await run_step(controller, order, step, now, policy)
        async with uow:
            await uow.service_orders.save(order)  # StaleVersion if the order moved meanwhile: the step reruns
            await uow.commit()
        applied += 1
    return applied


# ---- provisioning steps ------------------------------------------------------------------------------------


async def run_step(controller: NetworkController, order: ServiceOrder, step: Step, now: datetime,
                   policy: ServiceOrderPolicy) -> None:
    """Apply one step to the order in memory (the caller stores it); controller outages are retried later."""
    handler = _HANDLERS.get(step.kind)
    if handler is None:
        order.fail_item(step.item_id, f"unknown provisioning step {step.kind!r}", at=now)
        return
    try:
        await handler(controller, order, step, now, policy)
    except ControllerUnavailable as exc:
        step.attempts += 1
        step.at = now + min(policy.retry_backoff * 2 ** (step.attempts - 1), policy.max_retry_backoff)
        order.schedule(step)
        if step.attempts >= policy.held_after:
            order.hold(f"network controller unavailable: {exc.reason}", at=now)
        return
    if order.state is ServiceOrderState.HELD:
        order.resume(at=now)


def _record(conn: dict[str, Any], view: ConnectivityServiceView) -> None:
    conn.update({"uuid": view.uuid, "name": view.name, "endPoints": list(view.end_points),
                 "lifecycleState": view.lifecycle_state.value, "operationalState": view.operational_state.value,
                 "administrativeState": view.administrative_state.value, "observedAt": iso(view.observed_at)})


def _when(step: Step, key: str, default: datetime) -> datetime:
    raw = step.detail.get(key)
    at = parse_aware(str(raw).replace("Z", "+00:00")) if raw else None
    return at or default


def _waiting(kind: str, item_id: str, now: datetime, policy: ServiceOrderPolicy) -> Step:
    """A poll of the controller that gives up `operational_timeout` from now."""
    return Step(at=now, item_id=item_id, kind=kind,
                detail={"since": iso(now), "deadline": iso(now + policy.operational_timeout)})


async def _design(controller: NetworkController, order: ServiceOrder, step: Step, now: datetime,
                  policy: ServiceOrderPolicy) -> None:
    iid = step.item_id
    conn = order.connectivity(iid)
    sips = await controller.service_interface_points()
    try:
        design = design_segment(name=f"{order.id}:{iid}", places=order.item(iid)["service"].get("place") or [],
                                capacity_mbps=int(conn["capacityMbps"]), sips=sips)
    except DesignFailed as exc:
        order.fail_item(iid, exc.reason, at=now, code=exc.code, path=exc.path)
        return
    order.start(iid, at=now)
    conn.update({"name": design.name, "endPoints": list(design.end_points)})
    order.set_service_state(iid, ServiceState.DESIGNED)
    order.schedule(Step(at=now, item_id=iid, kind="create"))


async def _create(controller: NetworkController, order: ServiceOrder, step: Step, now: datetime,
                  policy: ServiceOrderPolicy) -> None:
    iid = step.item_id
    conn = order.connectivity(iid)
    view = await controller.find_connectivity_service(conn["name"])  # made before a lost commit: reuse it
    if view is None:
        try:
            view = await controller.create_connectivity_service(
                name=conn["name"], end_points=conn["endPoints"], capacity_mbps=int(conn["capacityMbps"]))
        except ConnectivityRejected as exc:
            order.fail_item(iid, f"network controller refused the connectivity service: {exc.reason}", at=now,
                            code=exc.code)
            return
    _record(conn, view)
    order.set_service_state(iid, ServiceState.RESERVED)
    # the wait runs from when the controller made the service: a slow call before it must not eat into it
    order.schedule(_waiting("await", iid, max(now, view.created_at), policy))


async def _await_operational(controller: NetworkController, order: ServiceOrder, step: Step, now: datetime,
                             policy: ServiceOrderPolicy) -> None:
    iid = step.item_id
    conn = order.connectivity(iid)
    view = await controller.find_connectivity_service(conn["uuid"])
    if view is None:
        order.fail_item(iid, f"connectivity service {conn['uuid']} is no longer in the network", at=now)
        return
    _record(conn, view)
    if view.operational:
        order.item(iid)["service"]["id"] = view.uuid
        order.complete_item(iid, at=now, service_state=ServiceState.ACTIVE)
        return
    deadline = _when(step, "deadline", now + policy.operational_timeout)
    if now >= deadline:
        waited = now - _when(step, "since", now)
        reason = (f"connectivity service {view.uuid} not operational after {_span(waited)} "
                  f"(lifecycle-state {view.lifecycle_state.value}, operational-state {view.operational_state.value})")
        if order.action(iid) is ServiceAction.ADD:  # leave nothing half-built behind a failed add
            removed = await controller.delete_connectivity_service(view.uuid)
            if removed is not None:
                _record(conn, removed)
            order.set_service_state(iid, ServiceState.TERMINATED)
        order.fail_item(iid, reason, at=now)
        return
    order.schedule(Step(at=min(now + policy.poll_interval, deadline), item_id=iid, kind="await",
                        detail=step.detail))


async def _start_change(controller: NetworkController, order: ServiceOrder, step: Step, now: datetime,
                        policy: ServiceOrderPolicy) -> None:
    """A modify or delete: the service must exist in our network."""
    iid = step.item_id
    service_id = order.item(iid)["service"].get("id", "")
    view = await controller.find_connectivity_service(service_id)
    if view is None:
        order.fail_item(iid, f"service {service_id} is not in our network", at=now, code="referenceNotFound",
                        path="/service/id")
        return
    order.start(iid, at=now)
    conn = order.connectivity(iid)
    conn["previousCapacityMbps"] = view.capacity_mbps
    _record(conn, view)
    order.schedule(Step(at=now, item_id=iid, kind="update" if order.action(iid) is ServiceAction.MODIFY
                        else "remove"))


async def _update(controller: NetworkController, order: ServiceOrder, step: Step, now: datetime,
                  policy: ServiceOrderPolicy) -> None:
    iid = step.item_id
    conn = order.connectivity(iid)
    try:
        view = await controller.update_connectivity_service(conn["uuid"], capacity_mbps=int(conn["capacityMbps"]))
    except (ConnectivityRejected, ConnectivityServiceNotFound) as exc:
        order.fail_item(iid, f"network controller refused the change: {exc.reason}", at=now,
                        code=getattr(exc, "code", "referenceNotFound"))
        return
    _record(conn, view)
    order.schedule(_waiting("await", iid, now, policy))


async def _remove(controller: NetworkController, order: ServiceOrder, step: Step, now: datetime,
                  policy: ServiceOrderPolicy) -> None:
    iid = step.item_id
    conn = order.connectivity(iid)
    view = await controller.delete_connectivity_service(conn["uuid"])
    if view is not None:
        _record(conn, view)
    order.schedule(Step(at=now, item_id=iid, kind="await_removal"))


async def _await_gone(controller: NetworkController, order: ServiceOrder, step: Step, now: datetime,
                      policy: ServiceOrderPolicy, *, key: str, gone: Callable[[str], None]) -> None:
    """Wait until the network no longer holds the item's service (found by `key`: uuid or name), then `gone`."""
    iid = step.item_id
    conn = order.connectivity(iid)
    view = await controller.find_connectivity_service(conn[key])
    if view is None:
        conn["removedAt"] = iso(now)
        gone(iid)
        return
    _record(conn, view)
    order.schedule(Step(at=now + policy.poll_interval, item_id=iid, kind=step.kind))


async def _await_removal(controller: NetworkController, order: ServiceOrder, step: Step, now: datetime,
                         policy: ServiceOrderPolicy) -> None:
    await _await_gone(controller, order, step, now, policy, key="uuid", gone=lambda iid: order.complete_item(
        iid, at=now, service_state=ServiceState.TERMINATED))


async def _teardown(controller: NetworkController, order: ServiceOrder, step: Step, now: datetime,
                    policy: ServiceOrderPolicy) -> None:
    """A cancelled add: remove whatever the network holds under the item's name, even if we never recorded it."""
    iid = step.item_id
    conn = order.connectivity(iid)
    name = conn.get("name")
    view = await controller.find_connectivity_service(name) if name else None
    if view is None:
        order.cancel_item(iid, at=now)
        return
    if view.lifecycle_state is not LifecycleState.PENDING_REMOVAL:
        view = await controller.delete_connectivity_service(view.uuid) or view
    _record(conn, view)
    order.schedule(Step(at=now, item_id=iid, kind="await_teardown"))


async def _await_teardown(controller: NetworkController, order: ServiceOrder, step: Step, now: datetime,
                          policy: ServiceOrderPolicy) -> None:
    await _await_gone(controller, order, step, now, policy, key="name",
                      gone=lambda iid: order.cancel_item(iid, at=now))


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} h" if hours >= 1 else f"{delta.total_seconds() / 60:g} min"


_HANDLERS = {
    "design": _design, "create": _create, "await": _await_operational, "start": _start_change, "update": _update,
    "remove": _remove, "await_removal": _await_removal, "teardown": _teardown, "await_teardown": _await_teardown,
}
