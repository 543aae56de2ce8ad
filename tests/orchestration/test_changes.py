"""Changes and cancellations of services built from segments, carried to every provider (SQLite and PostgreSQL).

Through our Seller API with fake suppliers behind the gateway: a bandwidth upgrade after activation becomes
modify orders at the providers holding the segments, and completes only after the end-to-end test; a customer's
cancellation is assessed with every provider, one at a time, before the customer gets an answer.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from counterpoint.core.orchestration.model import CommandState, CompositeState
from counterpoint.core.orchestration.modify import find_base
from counterpoint.core.orchestration.ports import Timing
from counterpoint.core.orchestration.supply import SegmentState
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.workers.fulfilment import FulfilmentWorker
from counterpoint.workers.orchestration import OrchestrationWorker
from tests.builders import INVENTORY_BASE, ORDER_BASE, ael_config, change_item, contacts, order_body
from tests.fakes import FakeSupplier, PassingTester
from tests.helpers import BUYER_A, assert_mef_response
from tests.orchestration import test_orchestrator as base

# the orchestrator tests' profile (our network and suppliers sup-b, sup-c), fake suppliers, tester and wiring
profile, fakes, tester, wired = base.profile, base.fakes, base.tester, base.wired
composite_of, order_of, place, settle = base.composite_of, base.order_of, base.place, base.settle

pytestmark = pytest.mark.usefixtures("wired")
POLL = timedelta(seconds=61)  # past every fake provider's poll interval


async def activate(client: httpx.AsyncClient, container, clock, fakes: dict[str, FakeSupplier]  # type: ignore[no-untyped-def]
                   ) -> tuple[dict, str]:
    """A 1 Gb/s service taken to active; the order and the customer's product id."""
    order = await place(client)
    await settle(container)
    fakes["our-net"].move(SegmentState.DELIVERED, product="net-1")
    fakes["sup-b"].move(SegmentState.DELIVERED, product="sup-b-prod-1")
    clock.advance(POLL)
    await settle(container)
    seen = await order_of(client, order["id"])
    assert seen["state"] == "completed"
    return seen, seen["productOrderItem"][0]["product"]["id"]


async def modify(client: httpx.AsyncClient, product_id: str, mbps: int, **extra) -> dict:  # type: ignore[no-untyped-def]
    item = {**change_item("1", "modify", product_id, config=ael_config(mbps)), **extra}
    r = await client.post(f"{ORDER_BASE}/productOrder", json=order_body(item, external_id="PO-UPGRADE"),
                          headers=BUYER_A)
    assert r.status_code == 201, r.text
    return r.json()


async def cancel(client: httpx.AsyncClient, order_id: str) -> dict:
    r = await client.post(f"{ORDER_BASE}/cancelProductOrder", headers=BUYER_A, json={
        "productOrder": {"productOrderId": order_id}, "cancellationReasonType": "commercial",
        "cancellationReason": "project stopped", "relatedContactInformation": contacts()})
    return assert_mef_response(r, "productOrder", "/cancelProductOrder", "post")


async def task_of(client: httpx.AsyncClient, task_id: str) -> dict:
    r = await client.get(f"{ORDER_BASE}/cancelProductOrder/{task_id}", headers=BUYER_A)
    return assert_mef_response(r, "productOrder", "/cancelProductOrder/{id}", "get")


def cancels(commands, provider: str | None = None) -> list:  # type: ignore[no-untyped-def]
    return [c for c in commands if c.action == "cancelOrder" and (provider is None or c.provider_id == provider)]


# ---- modify --------------------------------------------------------------------------------------------------


async def test_upgrade_after_activation_modifies_each_segment_at_its_provider_and_completes_after_the_test(
        client, container, clock, fakes, tester: PassingTester) -> None:
    first, product_id = await activate(client, container, clock, fakes)
    added, add_commands, _ = await composite_of(container, first["id"])
    upgrade = await modify(client, product_id, 2000, requestedCompletionDate=(clock.now() + timedelta(
        days=10)).isoformat().replace("+00:00", "Z"))
    await settle(container)
    change, commands, _log = await composite_of(container, upgrade["id"])
    assert (change.action, change.bandwidth_mbps, change.product_id) == ("modify", 2000, product_id)
    # the same providers keep their segments: no selection, the change names each provider's product
    assert [(s.name, s.provider_id, s.version) for s in change.segments] == [
        ("core", "our-net", 2), ("last-mile", "sup-b", 2)]
    assert [s.id for s in change.segments] == [s.id for s in added.segments]
    assert not fakes["sup-c"].orders
    sent = fakes["sup-b"].last_order().request
    assert (sent.action, sent.bandwidth_mbps, sent.product_ref) == (
        "modify", 2000, ExternalRef("sup-b", "sup-b-prod-1", "product"))
    assert sent.configuration["uniEp"]["ingressBandwidthProfilePerEndPoint"]["cir"]["irValue"] == 2000
    assert sent.requested_completion == clock.now() + timedelta(days=10)
    assert fakes["our-net"].last_order().request.product_ref == ExternalRef("our-net", "net-1", "product")
    assert len(fakes["sup-b"].orders) == len(fakes["our-net"].orders) == 2
    assert {c.idempotency_key for c in commands}.isdisjoint({c.idempotency_key for c in add_commands})
    assert [c.action for c in commands] == ["placeOrder", "placeOrder"]
    assert (await order_of(client, upgrade["id"]))["state"] == "inProgress"

    # the supplier's change slips: its date flows up to the customer, plus the end-to-end test
    late = clock.now() + timedelta(days=25)
    fakes["sup-b"].move(SegmentState.IN_DELIVERY, expected=late, order_id=fakes["sup-b"].last_order().id)
    fakes["our-net"].move(SegmentState.DELIVERED, order_id=fakes["our-net"].last_order().id)
    clock.advance(POLL)
    await settle(container)
    seen = await order_of(client, upgrade["id"])
    assert seen["productOrderItem"][0]["expectedCompletionDate"].startswith(
        (late + timedelta(hours=2)).isoformat()[:16])

    # delivered everywhere is not done: the test at the new rate decides
    tester.passes = False
    fakes["sup-b"].move(SegmentState.DELIVERED, order_id=fakes["sup-b"].last_order().id)
    clock.advance(POLL)
    await settle(container)
    change, _, _ = await composite_of(container, upgrade["id"])
    assert change.state is CompositeState.TESTING and change.test["attempts"] == 1
    assert (await order_of(client, upgrade["id"]))["productOrderItem"][0]["state"] == "inProgress"
    tester.passes = True
    clock.advance(POLL)
    await settle(container)
    change, _, _ = await composite_of(container, upgrade["id"])
    seen = await order_of(client, upgrade["id"])
    assert change.state is CompositeState.ACTIVE and tester.runs[-2:] == [change.id, change.id]
    assert seen["state"] == "completed"
    assert [m["name"] for m in seen["productOrderItem"][0]["milestone"]][-2:] == [
        "allSegmentsDelivered", "serviceActivated"]
    r = await client.get(f"{INVENTORY_BASE}/product/{product_id}", headers=BUYER_A)
    product = r.json()
    assert product["productConfiguration"]["uniEp"]["ingressBandwidthProfilePerEndPoint"]["cir"]["irValue"] == 2000
    assert [ref["productOrderId"] for ref in product["productOrderItem"]] == [first["id"], upgrade["id"]]
    # the next change builds on this one
    async with container.uow() as uow:
        assert (await find_base(uow, "buyer-a", product_id)).id == change.id  # type: ignore[union-attr]


async def test_upgrade_beyond_what_a_provider_carries_fails_the_item_with_the_reason(
        client, container, clock, fakes) -> None:
    _, product_id = await activate(client, container, clock, fakes)
    upgrade = await modify(client, product_id, 20000)
    await settle(container)
    seen = await order_of(client, upgrade["id"])
    assert seen["state"] == "failed"
    reason = seen["productOrderItem"][0]["terminationError"][0]["value"]
    assert "at most 10000 Mb/s" in reason and "20000 Mb/s needs another provider" in reason
    assert len(fakes["sup-b"].orders) == len(fakes["our-net"].orders) == 1  # nothing was sent


async def test_a_change_that_affects_no_segment_sends_nothing_and_is_still_tested_end_to_end(
        client, container, clock, fakes, tester: PassingTester) -> None:
    _, product_id = await activate(client, container, clock, fakes)
    same = await modify(client, product_id, 1000)  # the configuration the service already has
    await settle(container)
    change, commands, _ = await composite_of(container, same["id"])
    assert commands == [] and len(fakes["sup-b"].orders) == len(fakes["our-net"].orders) == 1
    assert [(s.name, s.state, s.version) for s in change.segments] == [
        ("core", SegmentState.ACTIVE, 1), ("last-mile", SegmentState.ACTIVE, 1)]
    assert [e["what"] for e in change.timeline].count("segment unchanged: carried over") == 2
    assert change.state is CompositeState.ACTIVE and tester.runs[-1] == change.id
    assert (await order_of(client, same["id"]))["state"] == "completed"


# ---- cancellation ----------------------------------------------------------------------------------------


async def test_cancellation_accepted_by_every_provider_cancels_everywhere_one_command_per_segment(
        client, container, clock, fakes) -> None:
    order = await place(client)
    await settle(container)
    task = await cancel(client, order["id"])
    assert task["state"] == "acknowledged"
    await FulfilmentWorker(container).run_once()  # our Seller starts assessing: the providers are asked first
    seen = await order_of(client, order["id"])
    assert (seen["state"], seen["productOrderItem"][0]["state"]) == ("assessingCancellation", "pending")
    assert (await task_of(client, task["id"]))["state"] == "acknowledged"
    composite, commands, _ = await composite_of(container, order["id"])
    assert composite.state is CompositeState.CANCELLING
    assert [c.provider_id for c in cancels(commands)] == ["sup-b"]  # one at a time, the supplier first

    await settle(container)
    assert (await task_of(client, task["id"]))["state"] == "done"
    seen = await order_of(client, order["id"])
    assert (seen["state"], seen["productOrderItem"][0]["state"]) == ("pendingCancellation", "cancelled")
    clock.advance(POLL)  # the providers report their orders cancelled
    await settle(container)
    seen = await order_of(client, order["id"])
    assert seen["state"] == "cancelled" and seen["cancellationReason"] == "project stopped"
    composite, commands, _ = await composite_of(container, order["id"])
    assert composite.state is CompositeState.CANCELLED
    assert {s.state for s in composite.segments} == {SegmentState.CANCELLED}
    assert sorted(c.provider_id for c in cancels(commands)) == ["our-net", "sup-b"]
    assert {c.state for c in cancels(commands)} == {CommandState.SUCCEEDED}
    for pid in ("our-net", "sup-b"):
        assert fakes[pid].only_order().state is SegmentState.CANCELLED
        assert [c for c in fakes[pid].calls if c.startswith("cancel")] == [f"cancel {fakes[pid].only_order().id}"]
    # nothing more is ever sent
    clock.advance(timedelta(minutes=10))
    await settle(container)
    _, again, _ = await composite_of(container, order["id"])
    assert len(cancels(again)) == 2


async def test_refused_cancellation_is_rejected_with_a_reason_and_the_service_goes_on(
        client, container, clock, fakes) -> None:
    fakes["sup-b"].refuse_cancel = "Installation crew already dispatched"
    order = await place(client)
    await settle(container)
    task = await cancel(client, order["id"])
    await settle(container)
    task = await task_of(client, task["id"])
    assert task["state"] == "rejected"
    assert task["cancellationDeniedReason"] == ("part of the service (last-mile) can no longer be cancelled: "
                                                "Installation crew already dispatched")
    assert "sup-b" not in str(task)
    seen = await order_of(client, order["id"])
    assert (seen["state"], seen["productOrderItem"][0]["state"]) == ("inProgress", "inProgress")
    composite, commands, _ = await composite_of(container, order["id"])
    assert composite.state is CompositeState.IN_DELIVERY
    assert [c.provider_id for c in cancels(commands)] == ["sup-b"]  # our own segment was never touched
    assert fakes["our-net"].only_order().state is SegmentState.ACKNOWLEDGED
    assert composite.cancellation["outcome"] == "refused" and composite.cancellation["customer"] == "rejected"

    fakes["our-net"].move(SegmentState.DELIVERED, product="net-1")
    fakes["sup-b"].move(SegmentState.DELIVERED, product="sup-b-prod-1")
    clock.advance(POLL)
    await settle(container)
    assert (await order_of(client, order["id"]))["state"] == "completed"
    composite, _, _ = await composite_of(container, order["id"])
    assert composite.state is CompositeState.ACTIVE


async def test_a_refusal_after_an_accepted_cancellation_orders_that_segment_again(
        client, container, clock, fakes) -> None:
    fakes["our-net"].refuse_cancel = "the cross-connect is already patched"
    order = await place(client)
    await settle(container)
    task = await cancel(client, order["id"])
    await settle(container)
    assert (await task_of(client, task["id"]))["state"] == "rejected"
    composite, commands, _ = await composite_of(container, order["id"])
    assert [(s.name, s.state) for s in composite.segments] == [
        ("core", SegmentState.ACKNOWLEDGED), ("last-mile", SegmentState.CANCELLED),
        ("last-mile", SegmentState.ACKNOWLEDGED)]
    first, second = fakes["sup-b"].orders.values()
    assert (first.state, second.state) == (SegmentState.CANCELLED, SegmentState.ACKNOWLEDGED)
    assert second.our_ref != first.our_ref and composite.segments[2].version == 2
    assert [c.provider_id for c in cancels(commands)] == ["sup-b", "our-net"]

    fakes["our-net"].move(SegmentState.DELIVERED, product="net-1")
    fakes["sup-b"].move(SegmentState.DELIVERED, product="sup-b-prod-2", order_id=second.id)
    clock.advance(POLL)
    await settle(container)
    assert (await order_of(client, order["id"]))["state"] == "completed"
    composite, _, _ = await composite_of(container, order["id"])
    assert [s.state for s in composite.segments] == [SegmentState.ACTIVE, SegmentState.CANCELLED,
                                                     SegmentState.ACTIVE]


async def test_cancellation_racing_with_delivery_the_supplier_delivers_instead(
        client, container, clock, fakes) -> None:
    fakes["sup-b"].pending_cancel = True
    order = await place(client)
    await settle(container)
    task = await cancel(client, order["id"])
    await settle(container)
    assert (await task_of(client, task["id"]))["state"] == "acknowledged"  # the supplier is still assessing
    assert (await order_of(client, order["id"]))["state"] == "assessingCancellation"
    # the supplier finishes delivery instead of cancelling; our own segment is delivered too
    fakes["sup-b"].move(SegmentState.DELIVERED, product="sup-b-prod-1")
    fakes["our-net"].move(SegmentState.DELIVERED, product="net-1")
    clock.advance(POLL)
    await settle(container)
    task = await task_of(client, task["id"])
    assert task["state"] == "rejected"
    assert task["cancellationDeniedReason"].startswith("part of the service (last-mile) can no longer be cancelled")
    seen = await order_of(client, order["id"])
    assert seen["state"] == "completed"
    composite, commands, _ = await composite_of(container, order["id"])
    assert composite.state is CompositeState.ACTIVE
    assert [c.provider_id for c in cancels(commands)] == ["sup-b"]


async def test_cancellation_while_a_segment_order_is_still_on_its_way(client, container, clock, fakes) -> None:
    fakes["sup-b"].unavailable = 1
    order = await place(client)
    await settle(container)
    task = await cancel(client, order["id"])
    await settle(container)
    composite, commands, _ = await composite_of(container, order["id"])
    # our own segment is asked first; the supplier's is asked once its order has reached the supplier
    assert [c.provider_id for c in cancels(commands)] == ["our-net"]
    assert (await task_of(client, task["id"]))["state"] == "acknowledged"
    clock.advance(timedelta(seconds=Timing().retry_backoff_s + 1))
    await settle(container)
    _, commands, _ = await composite_of(container, order["id"])
    assert [c.provider_id for c in cancels(commands)] == ["our-net", "sup-b"]
    assert [c.split()[0] for c in fakes["sup-b"].calls] == ["place", "place", "cancel"]
    assert (await task_of(client, task["id"]))["state"] == "done"
    clock.advance(POLL)
    await settle(container)
    assert (await order_of(client, order["id"]))["state"] == "cancelled"


async def test_a_passing_test_is_held_back_while_a_cancellation_is_assessed(
        client, container, clock, fakes, tester) -> None:
    fakes["sup-b"].refuse_cancel = "already delivered"
    order = await place(client)
    await settle(container)
    fakes["our-net"].move(SegmentState.DELIVERED, product="net-1")
    fakes["sup-b"].move(SegmentState.DELIVERED, product="sup-b-prod-1")
    clock.advance(POLL)
    task = await cancel(client, order["id"])  # arrives before the orchestrator has seen the deliveries
    worker = OrchestrationWorker(container)
    await worker.run_once()  # polls: every segment delivered, testing
    await worker.run_once()  # the test passes, but the customer's cancellation is being assessed
    composite, _, _ = await composite_of(container, order["id"])
    assert composite.state is CompositeState.TESTING and len(tester.runs) == 1
    assert composite.timeline[-1]["what"].startswith("end-to-end test result held back")
    seen = await order_of(client, order["id"])
    assert (seen["state"], seen["productOrderItem"][0]["state"]) == ("assessingCancellation", "pending")  # Table 9
    await settle(container)  # the supplier refuses (delivered): the customer keeps the service, tested again
    assert (await task_of(client, task["id"]))["state"] == "rejected"
    clock.advance(timedelta(seconds=Timing().test_retry_s + 1))
    await settle(container)
    assert (await order_of(client, order["id"]))["state"] == "completed"
    composite, _, _ = await composite_of(container, order["id"])
    assert composite.state is CompositeState.ACTIVE and composite.test["attempts"] == 1
