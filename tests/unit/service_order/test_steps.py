"""Provisioning steps against a fake controller: no database, the order kept in memory."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta

from counterpoint.core.service_order.model import ServiceOrder, ServiceOrderPolicy, ServiceOrderState
from counterpoint.core.service_order.ports import ConnectivityServiceView
from counterpoint.core.service_order.services import new_service_order, run_step
from tests.unit.service_order.builders import JAKARTA, T0, FakeController, a_request

S = ServiceOrderState
POLICY = ServiceOrderPolicy(poll_interval=timedelta(minutes=5), operational_timeout=timedelta(hours=1),
                            retry_backoff=timedelta(minutes=1), max_retry_backoff=timedelta(minutes=4), held_after=2)


async def drive(order: ServiceOrder, controller: FakeController, now: datetime) -> list[str]:
    """Run every step due at `now`; the kinds that ran."""
    ran = []
    while (step := order.take_due(now)) is not None:
        ran.append(step.kind)
        await run_step(controller, order, step, now, POLICY)
    return ran


def an_order(**kwargs: object) -> ServiceOrder:
    return new_service_order(a_request(**kwargs), order_id="so-1", requester="orchestrator", sof="self", at=T0)  # type: ignore[arg-type]


async def test_an_add_is_designed_created_and_completed_when_operational() -> None:
    ctl = FakeController()
    order = an_order()
    assert await drive(order, ctl, T0) == ["design", "create", "await"]
    assert order.state is S.COMPLETED
    conn = order.items[0]["connectivityService"]
    assert conn["uuid"] == "cs-1" and conn["endPoints"] == ["sip:jkt-acc-1", "sip:jkt-hub"]
    assert (conn["lifecycleState"], conn["operationalState"]) == ("INSTALLED", "ENABLED")
    assert order.items[0]["service"] == {**order.items[0]["service"], "id": "cs-1", "state": "active"}
    assert order.doc["completionDate"] == "2026-01-05T09:00:00Z"
    assert ctl.services["cs-1"].capacity_mbps == 200


async def test_waiting_for_the_network_polls_then_gives_up_and_removes_what_it_made() -> None:
    ctl = FakeController(ready=False)
    order = an_order()
    await drive(order, ctl, T0)
    assert order.state is S.IN_PROGRESS
    assert [(s.kind, s.at) for s in order.plan] == [("await", T0 + timedelta(minutes=5))]
    at = T0 + timedelta(minutes=5)
    await drive(order, ctl, at)
    assert order.plan[0].at == T0 + timedelta(minutes=10)
    await drive(order, ctl, T0 + timedelta(hours=1))
    assert order.state is S.FAILED
    assert order.reason() == ("connectivity service cs-1 not operational after 1 h "
                              "(lifecycle-state PLANNED, operational-state DISABLED)")
    assert ctl.services == {}  # the half-built service was removed
    assert order.items[0]["service"]["state"] == "terminated"


async def test_the_wait_for_the_network_starts_when_the_controller_made_the_service() -> None:
    """The step's `now` was read before a slow controller call: the timeout counts from the service's creation."""
    ctl = SlowController(ready=False)
    order = an_order()
    await drive(order, ctl, T0)
    [step] = order.plan
    made = T0 + SlowController.late
    assert (step.kind, step.at, step.detail["since"], step.detail["deadline"]) == (
        "await", made, "2026-01-05T09:40:00Z", "2026-01-05T10:40:00Z")
    await drive(order, ctl, T0 + POLICY.operational_timeout)  # past `now` + timeout, not past creation + timeout
    assert order.state is S.IN_PROGRESS
    ctl.ready = True
    await drive(order, ctl, made + POLICY.operational_timeout - timedelta(minutes=1))
    assert order.state is S.COMPLETED


class SlowController(FakeController):
    late = timedelta(minutes=40)  # how far the controller's clock ran on while the call was under way

    async def create_connectivity_service(self, *, name: str, end_points: Sequence[str],
                                          capacity_mbps: int) -> ConnectivityServiceView:
        view = await super().create_connectivity_service(name=name, end_points=end_points,
                                                         capacity_mbps=capacity_mbps)
        made = dataclasses.replace(view, created_at=T0 + self.late, observed_at=T0 + self.late)
        self.services[made.uuid] = made
        return self._state(made)


async def test_an_unavailable_controller_is_retried_with_backoff_then_holds_the_order() -> None:
    ctl = FakeController(unavailable=3)
    order = an_order()
    await drive(order, ctl, T0)  # design: unavailable once, retried in 1 min
    assert order.state is S.ACKNOWLEDGED and order.plan[0].attempts == 1
    assert order.plan[0].at == T0 + timedelta(minutes=1)
    await drive(order, ctl, T0 + timedelta(minutes=1))  # second miss: 2 min, and held after 2 misses...
    assert order.plan[0].at == T0 + timedelta(minutes=3)
    assert order.state is S.ACKNOWLEDGED  # ...but an order not yet started is not held
    await drive(order, ctl, T0 + timedelta(minutes=3))  # third miss
    await drive(order, ctl, T0 + timedelta(minutes=7))
    assert order.state is S.COMPLETED
    assert ctl.calls[:4] == ["sips", "sips", "sips", "sips"]


async def test_an_order_in_progress_is_held_while_the_controller_is_away_and_resumes() -> None:
    ctl = FakeController(ready=False)
    order = an_order()
    await drive(order, ctl, T0)
    ctl.unavailable, ctl.ready = 2, True
    await drive(order, ctl, T0 + timedelta(minutes=5))
    await drive(order, ctl, T0 + timedelta(minutes=6))
    assert (order.state, order.items[0]["state"]) == (S.HELD, "held")
    assert order.doc["stateChange"][-1]["changeReason"] == "network controller unavailable: down for maintenance"
    await drive(order, ctl, T0 + timedelta(minutes=8))
    assert order.state is S.COMPLETED
    assert [c["state"] for c in order.doc["stateChange"]] == [
        "acknowledged", "inProgress", "held", "inProgress", "completed"]


async def test_a_refused_creation_fails_the_item_with_the_controllers_reason() -> None:
    ctl = FakeController(reject="service-interface-point sip:jkt-acc-1 has 100 Mb/s free")
    order = an_order(places=(JAKARTA,))
    await drive(order, ctl, T0)
    assert order.state is S.FAILED
    assert order.items[0]["terminationError"] == [{"code": "invalidValue", "value": (
        "network controller refused the connectivity service: service-interface-point sip:jkt-acc-1 has 100 Mb/s "
        "free")}]


async def test_modify_changes_the_capacity_and_delete_removes_the_service() -> None:
    ctl = FakeController()
    add = an_order()
    await drive(add, ctl, T0)
    modify = new_service_order(a_request(our_ref="seg-1-v2", action="modify", product="cs-1", bandwidth=500),
                               order_id="so-2", requester="orchestrator", sof="self", at=T0)
    assert await drive(modify, ctl, T0) == ["start", "update", "await"]
    assert modify.state is S.COMPLETED
    assert ctl.services["cs-1"].capacity_mbps == 500
    assert modify.items[0]["connectivityService"]["previousCapacityMbps"] == 200
    delete = new_service_order(a_request(our_ref="seg-1-del", action="delete", product="cs-1", bandwidth=None),
                               order_id="so-3", requester="orchestrator", sof="self", at=T0)
    assert await drive(delete, ctl, T0) == ["start", "remove", "await_removal"]
    assert delete.state is S.COMPLETED
    assert delete.items[0]["service"]["state"] == "terminated"
    assert ctl.services == {}


async def test_a_change_to_a_service_we_do_not_have_fails() -> None:
    order = new_service_order(a_request(action="delete", product="cs-404", bandwidth=None), order_id="so-9",
                              requester="orchestrator", sof="self", at=T0)
    await drive(order, FakeController(), T0)
    assert order.state is S.FAILED
    assert order.items[0]["terminationError"] == [
        {"code": "referenceNotFound", "value": "service cs-404 is not in our network", "propertyPath": "/service/id"}]


async def test_tear_down_finds_the_service_by_name_even_if_its_uuid_was_never_recorded() -> None:
    ctl = FakeController(ready=False)
    order = an_order()
    step = order.take_due(T0)
    assert step is not None
    await run_step(ctl, order, step, T0, POLICY)  # designed: the name is known, nothing created yet
    await ctl.create_connectivity_service(name="so-1:1", end_points=["a", "b"], capacity_mbps=200)  # lost commit
    assert order.request_cancellation("not needed", at=T0) is True
    await drive(order, ctl, T0)
    assert order.state is S.CANCELLED
    assert ctl.services == {}
    assert ctl.calls == ["sips", "create", "find", "delete", "find"]  # the only create was the lost one
