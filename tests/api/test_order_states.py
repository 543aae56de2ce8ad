"""MEF 123 order and item states through the API: Tables 10 and 11 in every state, charges on orders with
several items, cancellation in every order state (Table 13), orders that must not get stuck."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest

from counterpoint.core.ordering.attributes import order_violations
from counterpoint.core.ordering.model import ItemState, OrderState, parse_time
from counterpoint.core.seller.model import Charge, Match, Scenario
from tests.api.test_product_order import _cancel, create, drive, get, item_states
from tests.builders import ORDER_BASE, add_item, order_body, uni_config
from tests.helpers import BUYER_A, assert_mef_event, assert_mef_response

EXTRA_SCENARIOS = (
    Scenario(name="one item of a mixed order fails validation", order_reject_item="No port left at the UNI",
             match=Match(external_id_prefix="MIX-", offering="uni-sg")),
    Scenario(name="one item of a mixed order fails in the field", order_fail_item="Duct blocked",
             match=Match(external_id_prefix="PARTIAL-", offering="uni-sg")),
    Scenario(name="every item pays a fee", match=Match(external_id_prefix="FEES-"),
             order_hold_for_charge=Charge(description="Site access fee", amount=Decimal(120))),
)


@pytest.fixture
def profile(profile):  # type: ignore[no-untyped-def]
    return dataclasses.replace(profile, scenarios=profile.scenarios + EXTRA_SCENARIOS)


def two_items(external_id: str) -> dict:
    return order_body(add_item("1"), add_item("2", offering="uni-sg", config=uni_config()),
                      external_id=external_id)


class Seen:
    """Every order and item state met in the API's answers, each answer checked against Tables 10/11."""

    def __init__(self) -> None:
        self.orders: set[str] = set()
        self.items: set[str] = set()

    async def check(self, client, order_id: str) -> dict:  # type: ignore[no-untyped-def]
        order = await get(client, order_id)
        assert order_violations(order) == [], order["state"]
        self.orders.add(order["state"])
        self.items.update(item_states(order))
        return order


async def _charges(client, order_id: str) -> list[dict]:  # type: ignore[no-untyped-def]
    r = await client.get(f"{ORDER_BASE}/charge", headers=BUYER_A, params={"productOrderId": order_id})
    found = assert_mef_response(r, "productOrder", "/charge", "get")
    out = []
    for c in found:
        r = await client.get(f"{ORDER_BASE}/charge/{c['id']}", headers=BUYER_A)
        out.append(assert_mef_response(r, "productOrder", "/charge/{id}", "get"))
    return sorted(out, key=lambda c: c["productOrderItem"]["productOrderItemId"])


async def _answer(client, charge_id: str, verdict: str) -> dict:  # type: ignore[no-untyped-def]
    r = await client.patch(f"{ORDER_BASE}/charge/{charge_id}", headers=BUYER_A,
                           json={"chargeItem": [{"id": "1", "acceptanceIndicator": verdict}]})
    return assert_mef_response(r, "productOrder", "/charge/{id}", "patch")


async def test_every_state_carries_what_tables_10_and_11_require(client, container, clock) -> None:
    seen = Seen()
    plain = await create(client, order_body(external_id="PO-PLAIN"))
    seen.orders.add(plain["state"])
    assert order_violations(plain) == []  # the create answer too
    rejected = await create(client, order_body(external_id="REJECT-9"))
    mixed = await create(client, two_items("MIX-1"))
    failed = await create(client, order_body(external_id="FAIL-9"))
    partial = await create(client, two_items("PARTIAL-1"))
    declined = await create(client, order_body(external_id="CHARGE-DECLINE"))
    silent = await create(client, order_body(external_id="CHARGE-SILENT"))
    cancelled = await create(client, order_body(external_id="PO-CANCEL"))
    moved = await create(client, order_body(external_id="PO-MOVE"))
    everyone = [plain, rejected, mixed, failed, partial, declined, silent, cancelled, moved]
    for o in everyone:
        await seen.check(client, o["id"])
    await drive(container, clock, 1)
    for o in everyone:
        await seen.check(client, o["id"])

    charge = (await _charges(client, declined["id"]))[0]
    await _answer(client, charge["id"], "rejected")
    out = await seen.check(client, declined["id"])
    assert out["state"] == "failed" and "charge" in out["productOrderItem"][0]["terminationError"][0]["value"]

    assert (await _cancel(client, cancelled["id"])).status_code == 201
    await seen.check(client, cancelled["id"])  # assessingCancellation
    r = await client.post(f"{ORDER_BASE}/modifyProductOrderItemRequestedDeliveryDate", headers=BUYER_A, json={
        "productOrderItem": {"productOrderId": moved["id"], "productOrderItemId": "1"},
        "requestedCompletionDate": (clock.now() + timedelta(days=40)).isoformat()})
    assert r.status_code == 201
    await seen.check(client, moved["id"])  # pending.assessingModification
    for _ in range(12):
        await drive(container, clock, 5)
        for o in everyone:
            await seen.check(client, o["id"])
    out = await seen.check(client, silent["id"])
    assert out["state"] == "failed" and "answered in time" in out["productOrderItem"][0]["terminationError"][0]["value"]

    assert seen.orders == {s.value for s in OrderState} - {"pendingCancellation"}  # passed through in one step
    assert seen.items == {s.value for s in ItemState} - {"rejected.unassessed"}  # never produced; see tests/unit


async def test_item_rejected_beside_a_valid_one(client, container, clock) -> None:
    order = await create(client, two_items("MIX-2"))
    await drive(container, clock, 1)
    order = await get(client, order["id"])
    assert order["state"] == "rejected" and item_states(order) == ["rejected.validated", "rejected"]
    assert [s["state"] for s in order["stateChange"]] == ["acknowledged", "rejected"]
    assert order["productOrderItem"][1]["terminationError"] == [{"code": "otherIssue",
                                                                  "value": "No port left at the UNI"}]


async def test_charges_on_two_items_are_held_and_settled_per_item(client, container, clock) -> None:
    order = await create(client, two_items("FEES-1"))
    await drive(container, clock, 1)
    order = await get(client, order["id"])
    assert order["state"] == "held.assessingCharge" and item_states(order) == ["held", "held"]
    charges = await _charges(client, order["id"])
    assert len(charges) == 2
    for item, charge in zip(order["productOrderItem"], charges, strict=True):
        held_at = item["stateChange"][-1]["changeDate"]
        assert charge["creationDate"] == held_at  # raised when the item was held, not before
        assert parse_time(charge["responseDueDate"]) > clock.now()
        assert parse_time(held_at) >= parse_time(order["orderDate"])
    promised = [parse_time(i["expectedCompletionDate"]) for i in order["productOrderItem"]]

    clock.advance(timedelta(hours=12))
    await _answer(client, charges[0]["id"], "accepted")
    order = await get(client, order["id"])
    assert item_states(order) == ["inProgress", "held"]
    assert order["state"] == "held.assessingCharge"  # the other item's charge is still awaited
    clock.advance(timedelta(hours=12))
    await _answer(client, charges[1]["id"], "accepted")
    order = await get(client, order["id"])
    assert order["state"] == "inProgress" and item_states(order) == ["inProgress", "inProgress"]
    assert [s["state"] for s in order["stateChange"]] == ["acknowledged", "inProgress", "held.assessingCharge",
                                                          "inProgress"]
    # each item's delivery moves by the time that item was held
    held = [parse_time(i["stateChange"][-1]["changeDate"]) - parse_time(i["stateChange"][-2]["changeDate"])
            for i in order["productOrderItem"]]
    assert held[1] - held[0] == timedelta(hours=12)
    assert [charge["id"] in i["note"][-1]["text"] for i, charge in zip(order["productOrderItem"], charges,
                                                                      strict=True)] == [True, True]
    moved = [parse_time(i["expectedCompletionDate"]) for i in order["productOrderItem"]]
    assert [m - p for m, p in zip(moved, promised, strict=True)] == held
    await drive(container, clock, 30)
    order = await get(client, order["id"])
    assert order["state"] == "completed" and order_violations(order) == []


async def test_one_charge_declined_the_other_item_goes_on(client, container, clock) -> None:
    order = await create(client, two_items("FEES-2"))
    await drive(container, clock, 1)
    charges = await _charges(client, order["id"])
    await _answer(client, charges[1]["id"], "rejected")
    order = await get(client, order["id"])
    assert order["state"] == "held.assessingCharge" and item_states(order) == ["held", "failed"]
    await _answer(client, charges[0]["id"], "accepted")
    await drive(container, clock, 30)
    order = await get(client, order["id"])
    assert order["state"] == "partial" and item_states(order) == ["completed", "failed"]
    assert order_violations(order) == []


@pytest.mark.parametrize("when", ["acknowledged", "held.assessingCharge", "completed"])
async def test_cancelling_an_order_that_cannot_be_cancelled_is_a_rejected_request(
        when, client, container, clock, relay, recorder) -> None:  # type: ignore[no-untyped-def]
    await client.post(f"{ORDER_BASE}/hub", headers=BUYER_A,
                      json={"callback": "http://b.example", "query": "eventType=cancelProductOrderStateChangeEvent"})
    order = await create(client, order_body(external_id="CHARGE-3" if when == "held.assessingCharge" else "PO-3"))
    if when != "acknowledged":
        await drive(container, clock, 1 if when == "held.assessingCharge" else 30)
    assert (await get(client, order["id"]))["state"] == when
    r = await _cancel(client, order["id"])
    assert r.status_code == 201  # Table 13: taken, then rejected for the order's state
    task = assert_mef_response(r, "productOrder", "/cancelProductOrder", "post")
    assert task["state"] == "rejected" and when in task["cancellationDeniedReason"]
    assert {c["role"] for c in task["relatedContactInformation"]} >= {"cancelProductOrderSellerContact"}
    r = await client.get(f"{ORDER_BASE}/cancelProductOrder/{task['id']}", headers=BUYER_A)
    assert assert_mef_response(r, "productOrder", "/cancelProductOrder/{id}", "get")["state"] == "rejected"
    after = await get(client, order["id"])
    assert after["state"] == when and "cancellationDate" not in after  # no updates to the order
    await relay.drain()
    assert [d.body["event"]["id"] for d in recorder.received] == [task["id"]]
    assert_mef_event(recorder.received[0].body, "productOrderNotification", "cancelProductOrderStateChangeEvent")
    if when == "acknowledged":
        await drive(container, clock, 30)
        assert (await get(client, order["id"]))["state"] == "completed"


async def test_cancelling_after_one_item_completed_ends_cancelled(client, container, clock) -> None:
    order = await create(client, two_items("PO-HALF"))  # the UNI is built in 15 days, the E-Line in 20
    await drive(container, clock, 17)
    assert item_states(await get(client, order["id"])) == ["inProgress", "completed"]
    task = assert_mef_response(await _cancel(client, order["id"]), "productOrder", "/cancelProductOrder", "post")
    await drive(container, clock, 0.25)
    r = await client.get(f"{ORDER_BASE}/cancelProductOrder/{task['id']}", headers=BUYER_A)
    assert r.json()["state"] == "done"
    order = await get(client, order["id"])
    assert order["state"] == "cancelled" and item_states(order) == ["cancelled", "completed"]
    assert [s["state"] for s in order["stateChange"]][-3:] == ["assessingCancellation", "pendingCancellation",
                                                               "cancelled"]
    assert order_violations(order) == []


async def test_a_revised_delivery_date_comes_with_a_note(client, container, clock) -> None:  # R50
    order = await create(client, order_body(add_item("1", address="addr-jkt-sudirman")))
    promised = order["productOrderItem"][0]["expectedCompletionDate"]
    assert "note" not in order["productOrderItem"][0]
    await drive(container, clock, 14)
    item = (await get(client, order["id"]))["productOrderItem"][0]
    (note,) = item["note"]
    assert note["source"] == "seller" and note["author"]
    assert note["text"] == (f"expected completion revised from {promised} to {item['expectedCompletionDate']}: "
                            "the delivery slipped by 7 days")
    r = await client.post(f"{ORDER_BASE}/modifyProductOrderItemRequestedDeliveryDate", headers=BUYER_A, json={
        "productOrderItem": {"productOrderId": order["id"], "productOrderItemId": "1"},
        "requestedCompletionDate": (clock.now() + timedelta(days=60)).isoformat()})
    await drive(container, clock, 0.25)
    item = (await get(client, order["id"]))["productOrderItem"][0]
    assert len(item["note"]) == 2 and item["note"][1]["text"].endswith(f"as the Buyer asked in request "
                                                                       f"{r.json()['id']}")


async def test_a_declined_blocking_charge_fails_the_related_items_too(client, container, clock) -> None:
    body = two_items("FEES-3")
    body["productOrderItem"][0]["productOrderItemRelationship"] = [{"id": "2", "relationshipType": "reliesOn"}]
    order = await create(client, body)
    await drive(container, clock, 1)
    first, second = await _charges(client, order["id"])
    await _answer(client, first["id"], "rejected")
    order = await get(client, order["id"])
    assert order["state"] == "failed" and item_states(order) == ["failed", "failed"]  # MEF 123 section 6.12
    assert order["productOrderItem"][1]["terminationError"][0]["value"].startswith("related item 1 failed")
    r = await client.get(f"{ORDER_BASE}/charge/{second['id']}", headers=BUYER_A)
    withdrawn = assert_mef_response(r, "productOrder", "/charge/{id}", "get")
    assert withdrawn["state"] == "withdrawnBySeller" and withdrawn["chargeItem"][0]["state"] == "withdrawnBySeller"
    assert order_violations(order) == []


async def test_an_item_that_ends_while_its_date_change_is_assessed(client, container, clock) -> None:
    order = await create(client, order_body(external_id="PO-LATE"))
    await drive(container, clock, 2)
    r = await client.post(f"{ORDER_BASE}/modifyProductOrderItemRequestedDeliveryDate", headers=BUYER_A, json={
        "productOrderItem": {"productOrderId": order["id"], "productOrderItemId": "1"},
        "requestedCompletionDate": (clock.now() + timedelta(days=40)).isoformat()})
    async with container.uow() as uow:  # the item is delivered meanwhile (as the orchestrator may report)
        stored = await uow.product_orders.get_unscoped(order["id"])
        assert stored.item_state("1") is ItemState.PENDING  # Table 9: work stops while the date is assessed
        stored.move_item("1", ItemState.IN_PROGRESS, at=clock.now())  # as complete_item does
        stored.move_item("1", ItemState.COMPLETED, at=clock.now())
        stored.settle_if_done(at=clock.now())
        await uow.product_orders.save(stored)
        await uow.commit()
    await drive(container, clock, 0.25)
    r = await client.get(f"{ORDER_BASE}/modifyProductOrderItemRequestedDeliveryDate/{r.json()['id']}",
                         headers=BUYER_A)
    assert r.json()["state"] == "rejected"
    order = await get(client, order["id"])
    assert order["state"] == "completed" and order_violations(order) == []
