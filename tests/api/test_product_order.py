"""MEF 123 product ordering through the API: operations, state machines, scenarios, notifications."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import httpx
import pytest

from counterpoint.core.seller.model import ValidationPolicy
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.shared.errors import StaleVersion
from counterpoint.notifications.relay import OutboxRelay
from counterpoint.workers.fulfilment import FulfilmentWorker
from tests.builders import (
    CANTATA_ORDER_BASE,
    INVENTORY_BASE,
    ORDER_BASE,
    add_item,
    ael_config,
    change_item,
    contacts,
    order_body,
    uni_config,
)
from tests.helpers import BUYER_A, BUYER_B, ListenerRecorder, assert_mef_event, assert_mef_response


async def drive(container, clock: ManualClock, days: float, step_hours: float = 6) -> None:  # type: ignore[no-untyped-def]
    """Let the Seller's clock run for `days`, the fulfilment worker acting as it goes."""
    worker = FulfilmentWorker(container)
    end = clock.now() + timedelta(days=days)
    while clock.now() < end:
        clock.advance(timedelta(hours=step_hours))
        while await worker.run_once():
            pass


async def create(client: httpx.AsyncClient, body: dict, headers: dict = BUYER_A, base: str = ORDER_BASE) -> dict:
    r = await client.post(f"{base}/productOrder", json=body, headers=headers)
    assert r.status_code == 201, r.text
    channel = base.split("/")[2]
    return assert_mef_response(r, "productOrder", "/productOrder", "post", channel)


async def get(client: httpx.AsyncClient, order_id: str, headers: dict = BUYER_A) -> dict:
    r = await client.get(f"{ORDER_BASE}/productOrder/{order_id}", headers=headers)
    assert r.status_code == 200, r.text
    return assert_mef_response(r, "productOrder", "/productOrder/{id}", "get")


def item_states(order: dict) -> list[str]:
    return [i["state"] for i in order["productOrderItem"]]


async def test_order_journey_to_inventory_with_notifications(client, container, clock, relay: OutboxRelay,
                                                             recorder: ListenerRecorder) -> None:
    await client.post(f"{ORDER_BASE}/hub", headers=BUYER_A, json={"callback": "http://buyer.example"})
    body = order_body(add_item("1"), add_item("2", offering="uni-sg", config=uni_config()),
                      external_id="PO-JOURNEY")
    order = await create(client, body)
    assert order["state"] == "acknowledged" and item_states(order) == ["acknowledged", "acknowledged"]
    assert order["externalId"] == "PO-JOURNEY" and order["orderDate"]
    assert all(i["expectedCompletionDate"] for i in order["productOrderItem"])
    # the buyer's payload comes back untouched
    assert order["productOrderItem"][0]["product"]["productConfiguration"] == ael_config()

    await drive(container, clock, 1)
    order = await get(client, order["id"])
    assert order["state"] == "inProgress" and item_states(order) == ["inProgress", "inProgress"]

    await drive(container, clock, 25)
    order = await get(client, order["id"])
    assert order["state"] == "completed" and item_states(order) == ["completed", "completed"]
    assert order["completionDate"]
    milestones = [m["name"] for m in order["productOrderItem"][0]["milestone"]]
    assert milestones == ["siteSurveyComplete", "installationScheduled", "serviceActivated"]
    assert [s["state"] for s in order["stateChange"]] == ["acknowledged", "inProgress", "completed"]

    product_id = order["productOrderItem"][0]["product"]["id"]
    r = await client.get(f"{INVENTORY_BASE}/product/{product_id}", headers=BUYER_A)
    product = assert_mef_response(r, "productInventory", "/product/{id}", "get")
    assert product["status"] == "active"
    assert product["productOrderItem"] == [{"productOrderId": order["id"], "productOrderItemId": "1"}]
    assert product["productConfiguration"] == ael_config()
    assert (await client.get(f"{INVENTORY_BASE}/product/{product_id}", headers=BUYER_B)).status_code == 404

    await relay.drain()
    types = [d.body["eventType"] for d in recorder.received]
    assert types.count("productOrderStateChangeEvent") == 2  # inProgress, completed (creation is the 201)
    assert types.count("productOrderItemStateChangeEvent") == 4
    assert types.count("productSpecificProductOrderItemMilestoneEvent") == 6
    for d in recorder.received:
        assert_mef_event(d.body, "productOrderNotification", d.body["eventType"])
        assert d.body["event"]["id"] == order["id"]


async def test_orders_are_scoped_to_their_buyer(client) -> None:
    order = await create(client, order_body())
    r = await client.get(f"{ORDER_BASE}/productOrder/{order['id']}", headers=BUYER_B)
    assert r.status_code == 404
    assert assert_mef_response(r, "productOrder", "/productOrder/{id}", "get")["code"] == "notFound"
    r = await client.get(f"{ORDER_BASE}/productOrder", headers=BUYER_B)
    assert assert_mef_response(r, "productOrder", "/productOrder", "get") == []
    assert r.headers["X-Total-Count"] == "0"
    r = await client.patch(f"{ORDER_BASE}/productOrder/{order['id']}", headers=BUYER_B, json={"projectId": "x"})
    assert r.status_code == 404


async def test_list_filters_and_pagination(client, container, clock) -> None:
    for n in range(5):
        await create(client, order_body(external_id=f"PO-{n}", projectId="P1" if n < 3 else "P2"))
        clock.advance(timedelta(hours=1))
    r = await client.get(f"{ORDER_BASE}/productOrder", headers=BUYER_A, params={"limit": 2, "offset": 1})
    page = assert_mef_response(r, "productOrder", "/productOrder", "get")
    assert [o["externalId"] for o in page] == ["PO-3", "PO-2"]
    assert (r.headers["X-Total-Count"], r.headers["X-Result-Count"]) == ("5", "2")
    r = await client.get(f"{ORDER_BASE}/productOrder", headers=BUYER_A, params={"projectId": "P2"})
    assert {o["externalId"] for o in r.json()} == {"PO-3", "PO-4"}
    r = await client.get(f"{ORDER_BASE}/productOrder", headers=BUYER_A, params={"externalId": "PO-1"})
    assert [o["externalId"] for o in r.json()] == ["PO-1"]
    first = clock.now() - timedelta(hours=5)
    r = await client.get(f"{ORDER_BASE}/productOrder", headers=BUYER_A,
                         params={"orderDate.gt": (first + timedelta(minutes=30)).isoformat(),
                                 "orderDate.lt": (first + timedelta(hours=2, minutes=30)).isoformat()})
    assert {o["externalId"] for o in r.json()} == {"PO-1", "PO-2"}
    r = await client.get(f"{ORDER_BASE}/productOrder", headers=BUYER_A,
                         params={"itemExpectedCompletionDate.gt": (clock.now() + timedelta(days=100)).isoformat()})
    assert r.json() == []
    await drive(container, clock, 1)
    r = await client.get(f"{ORDER_BASE}/productOrder", headers=BUYER_A, params={"state": "inProgress"})
    assert len(r.json()) == 5
    r = await client.get(f"{ORDER_BASE}/productOrder", headers=BUYER_A, params={"state": "completed"})
    assert r.json() == []


@pytest.mark.parametrize("params", [{"orderDate.gt": "yesterday"}, {"state": "sleeping"}, {"limit": "-1"},
                                    {"offset": "x"}])
async def test_bad_query_is_400(client, params: dict) -> None:
    r = await client.get(f"{ORDER_BASE}/productOrder", headers=BUYER_A, params=params)
    assert r.status_code == 400
    assert assert_mef_response(r, "productOrder", "/productOrder", "get")["code"] == "invalidQuery"


async def test_rejected_order(client, container, clock) -> None:
    order = await create(client, order_body(add_item("1"), add_item("2"), external_id="REJECT-1"))
    await drive(container, clock, 1)
    order = await get(client, order["id"])
    assert order["state"] == "rejected" and order["completionDate"]
    # both items fail the same check: each is rejected with its reason (rejected.validated is for an item
    # that passed while another failed, see test_order_states.py)
    assert item_states(order) == ["rejected", "rejected"]
    assert all(i["terminationError"][0]["value"] == "No capacity on the requested path"
               for i in order["productOrderItem"])
    assert order["stateChange"][-1]["changeReason"] == "No capacity on the requested path"


async def test_failed_item_fails_the_order(client, container, clock) -> None:
    order = await create(client, order_body(external_id="FAIL-1"))
    await drive(container, clock, 30)
    order = await get(client, order["id"])
    assert order["state"] == "failed" and item_states(order) == ["failed"]
    assert order["productOrderItem"][0]["terminationError"][0]["value"] == "Fibre cut during installation"
    assert order["productOrderItem"][0]["expectedCompletionDate"]  # Table 11: a failed item keeps its promise
    assert "completionDate" not in order["productOrderItem"][0]


async def test_jakarta_delivery_slips_and_says_so(client, container, clock, relay, recorder) -> None:
    await client.post(f"{ORDER_BASE}/hub", headers=BUYER_A,
                      json={"callback": "http://b.example",
                            "query": "eventType=productOrderItemExpectedCompletionDateSet"})
    order = await create(client, order_body(add_item("1", address="addr-jkt-sudirman")))
    promised = order["productOrderItem"][0]["expectedCompletionDate"]
    await drive(container, clock, 14)
    now = await get(client, order["id"])
    moved = now["productOrderItem"][0]["expectedCompletionDate"]
    from counterpoint.core.ordering.model import parse_time
    assert parse_time(moved) - parse_time(promised) == timedelta(days=7)
    await drive(container, clock, 20)
    assert (await get(client, order["id"]))["state"] == "completed"
    await relay.drain()
    assert [d.body["eventType"] for d in recorder.received] == ["productOrderItemExpectedCompletionDateSet"]
    assert recorder.received[0].body["event"]["orderItemId"] == "1"


async def _held(client, container, clock) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    order = await create(client, order_body(external_id="CHARGE-1"))
    await drive(container, clock, 1)
    order = await get(client, order["id"])
    assert order["state"] == "held.assessingCharge" and item_states(order) == ["held"]
    r = await client.get(f"{ORDER_BASE}/charge", headers=BUYER_A, params={"productOrderId": order["id"]})
    charges = assert_mef_response(r, "productOrder", "/charge", "get")
    assert len(charges) == 1
    r = await client.get(f"{ORDER_BASE}/charge/{charges[0]['id']}", headers=BUYER_A)
    charge = assert_mef_response(r, "productOrder", "/charge/{id}", "get")
    assert charge["state"] == "awaitingResponse"
    assert charge["chargeItem"][0]["price"]["dutyFreeAmount"] == {"unit": "USD", "value": 750.0}
    return order, charge


async def test_charge_accepted_resumes_the_order(client, container, clock) -> None:
    order, charge = await _held(client, container, clock)
    r = await client.patch(f"{ORDER_BASE}/charge/{charge['id']}", headers=BUYER_B,
                           json={"chargeItem": [{"id": "1", "acceptanceIndicator": "accepted"}]})
    assert r.status_code == 404
    r = await client.patch(f"{ORDER_BASE}/charge/{charge['id']}", headers=BUYER_A,
                           json={"chargeItem": [{"id": "1", "acceptanceIndicator": "accepted"}]})
    charge = assert_mef_response(r, "productOrder", "/charge/{id}", "patch")
    assert charge["state"] == "completed" and charge["chargeItem"][0]["state"] == "acceptedByBuyer"
    assert "productOrder" not in charge and charge["productOrderItem"]["productOrderItemId"] == "1"
    assert (await get(client, order["id"]))["state"] == "inProgress"
    r = await client.patch(f"{ORDER_BASE}/charge/{charge['id']}", headers=BUYER_A,
                           json={"chargeItem": [{"id": "1", "acceptanceIndicator": "rejected"}]})
    assert r.status_code == 409
    assert_mef_response(r, "productOrder", "/charge/{id}", "patch")
    await drive(container, clock, 30)
    assert (await get(client, order["id"]))["state"] == "completed"


async def test_charge_declined_fails_the_item(client, container, clock) -> None:
    order, charge = await _held(client, container, clock)
    r = await client.patch(f"{ORDER_BASE}/charge/{charge['id']}", headers=BUYER_A,
                           json={"chargeItem": [{"id": "1", "acceptanceIndicator": "rejected"}]})
    assert r.json()["chargeItem"][0]["state"] == "declinedByBuyer"
    order = await get(client, order["id"])
    assert order["state"] == "failed" and item_states(order) == ["failed"]


async def test_unanswered_charge_times_out(client, container, clock, relay, recorder) -> None:
    await client.post(f"{ORDER_BASE}/hub", headers=BUYER_A, json={"callback": "http://b.example"})
    order, charge = await _held(client, container, clock)
    await drive(container, clock, 4)
    r = await client.get(f"{ORDER_BASE}/charge/{charge['id']}", headers=BUYER_A)
    assert r.json()["state"] == "timeout" and r.json()["chargeItem"][0]["state"] == "declinedByBuyer"
    assert (await get(client, order["id"]))["state"] == "failed"
    await relay.drain()
    types = [d.body["eventType"] for d in recorder.received]
    assert "chargeCreateEvent" in types and "chargeTimeoutEvent" in types
    for d in recorder.received:
        assert_mef_event(d.body, "productOrderNotification", d.body["eventType"])


async def _cancel(client, order_id: str, headers: dict = BUYER_A) -> httpx.Response:
    return await client.post(f"{ORDER_BASE}/cancelProductOrder", headers=headers, json={
        "productOrder": {"productOrderId": order_id}, "cancellationReasonType": "commercial",
        "cancellationReason": "budget cut", "relatedContactInformation": contacts()})


async def test_cancellation_accepted(client, container, clock, relay, recorder) -> None:
    await client.post(f"{ORDER_BASE}/hub", headers=BUYER_A,
                      json={"callback": "http://b.example", "query": "eventType=cancelProductOrderStateChangeEvent"})
    order = await create(client, order_body())
    await drive(container, clock, 2)
    r = await _cancel(client, order["id"])
    task = assert_mef_response(r, "productOrder", "/cancelProductOrder", "post")
    assert task["state"] == "acknowledged"
    assessed = await get(client, order["id"])
    assert assessed["state"] == "assessingCancellation" and item_states(assessed) == ["pending"]  # Table 9
    await drive(container, clock, 0.25)
    r = await client.get(f"{ORDER_BASE}/cancelProductOrder/{task['id']}", headers=BUYER_A)
    assert assert_mef_response(r, "productOrder", "/cancelProductOrder/{id}", "get")["state"] == "done"
    order = await get(client, order["id"])
    assert order["state"] == "cancelled" and item_states(order) == ["cancelled"]
    assert order["cancellationDate"] and order["cancellationReason"] == "budget cut"
    r = await client.get(f"{ORDER_BASE}/cancelProductOrder", headers=BUYER_A, params={"productOrderId": order["id"]})
    assert [t["id"] for t in assert_mef_response(r, "productOrder", "/cancelProductOrder", "get")] == [task["id"]]
    await relay.drain()
    assert [d.body["event"]["id"] for d in recorder.received] == [task["id"]]  # acknowledged -> done
    for d in recorder.received:
        assert_mef_event(d.body, "productOrderNotification", "cancelProductOrderStateChangeEvent")


async def test_cancellation_refused_returns_the_order_to_progress(client, container, clock) -> None:
    order = await create(client, order_body(external_id="NOCANCEL-1"))
    await drive(container, clock, 2)
    task = (await _cancel(client, order["id"])).json()
    await drive(container, clock, 0.25)
    task = (await client.get(f"{ORDER_BASE}/cancelProductOrder/{task['id']}", headers=BUYER_A)).json()
    assert task["state"] == "rejected"
    assert task["cancellationDeniedReason"] == "Installation crew already dispatched"
    order = await get(client, order["id"])
    assert order["state"] == "inProgress" and item_states(order) == ["inProgress"]
    # Table 9: the item was pending while the request was assessed, and went on when it was refused
    assert [c["state"] for c in order["productOrderItem"][0]["stateChange"]][-3:] == [
        "inProgress", "pending", "inProgress"]
    await drive(container, clock, 30)
    assert (await get(client, order["id"]))["state"] == "completed"


async def test_cancellation_of_unknown_orders_is_422(client, container, clock) -> None:
    order = await create(client, order_body())
    r = await _cancel(client, "no-such-order")
    assert r.json()[0] == {"code": "referenceNotFound", "reason": "unknown product order no-such-order",
                           "propertyPath": "/productOrder/productOrderId"}
    r = await _cancel(client, order["id"], headers=BUYER_B)
    assert r.json()[0]["code"] == "referenceNotFound"


async def test_delivery_date_change_accepted_and_refused(client, container, clock) -> None:
    order = await create(client, order_body())
    await drive(container, clock, 2)
    later = clock.now() + timedelta(days=60)
    r = await client.post(f"{ORDER_BASE}/modifyProductOrderItemRequestedDeliveryDate", headers=BUYER_A, json={
        "productOrderItem": {"productOrderId": order["id"], "productOrderItemId": "1"},
        "requestedCompletionDate": later.isoformat().replace("+00:00", "Z")})
    task = assert_mef_response(r, "productOrder", "/modifyProductOrderItemRequestedDeliveryDate", "post")
    assert (await get(client, order["id"]))["state"] == "pending.assessingModification"
    await drive(container, clock, 0.25)
    r = await client.get(f"{ORDER_BASE}/modifyProductOrderItemRequestedDeliveryDate/{task['id']}", headers=BUYER_A)
    assert assert_mef_response(r, "productOrder", "/modifyProductOrderItemRequestedDeliveryDate/{id}",
                               "get")["state"] == "done"
    current = await get(client, order["id"])
    assert current["state"] == "inProgress"
    assert current["productOrderItem"][0]["expectedCompletionDate"] == later.isoformat().replace("+00:00", "Z")
    await drive(container, clock, 30)
    assert (await get(client, order["id"]))["state"] == "inProgress"  # now waits for the later date
    await drive(container, clock, 30)
    assert (await get(client, order["id"]))["state"] == "completed"

    order = await create(client, order_body(external_id="PO-2"))
    await drive(container, clock, 1)
    r = await client.post(f"{ORDER_BASE}/modifyProductOrderItemRequestedDeliveryDate", headers=BUYER_A, json={
        "productOrderItem": {"productOrderId": order["id"], "productOrderItemId": "1"},
        "requestedCompletionDate": clock.now().isoformat()})
    task = r.json()
    await drive(container, clock, 0.25)
    r = await client.get(f"{ORDER_BASE}/modifyProductOrderItemRequestedDeliveryDate", headers=BUYER_A,
                         params={"productOrderId": order["id"]})
    assert [t["state"] for t in assert_mef_response(
        r, "productOrder", "/modifyProductOrderItemRequestedDeliveryDate", "get")] == ["rejected"]
    assert (await get(client, order["id"]))["state"] == "inProgress"
    r = await client.post(f"{ORDER_BASE}/modifyProductOrderItemRequestedDeliveryDate", headers=BUYER_A, json={
        "productOrderItem": {"productOrderId": order["id"], "productOrderItemId": "9"},
        "requestedCompletionDate": later.isoformat()})
    assert r.json()[0]["propertyPath"] == "/productOrderItem/productOrderItemId"


async def test_patch_order(client, container, clock) -> None:
    order = await create(client, order_body())
    r = await client.patch(f"{ORDER_BASE}/productOrder/{order['id']}", headers=BUYER_A, json={
        "projectId": "NEW", "note": [{"id": "n1", "author": "buyer", "date": "2026-01-01T00:00:00Z",
                                      "source": "buyer", "text": "please call first"}]})
    patched = assert_mef_response(r, "productOrder", "/productOrder/{id}", "patch")
    assert patched["projectId"] == "NEW" and patched["note"][0]["text"] == "please call first"
    again = await client.patch(f"{ORDER_BASE}/productOrder/{order['id']}", headers=BUYER_A, json={
        "note": patched["note"] + [{"id": "n2", "author": "buyer", "date": "2026-01-02T00:00:00Z",
                                    "source": "buyer", "text": "gate code 1234"}]})
    assert [n["id"] for n in again.json()["note"]] == ["n1", "n2"]  # sent notes are not duplicated
    r = await client.patch(f"{ORDER_BASE}/productOrder/{order['id']}", headers=BUYER_A,
                           json={"productOrderItem": "not a list"})
    assert r.status_code == 400
    assert assert_mef_response(r, "productOrder", "/productOrder/{id}", "patch")["code"] == "invalidBody"
    await drive(container, clock, 30)
    r = await client.patch(f"{ORDER_BASE}/productOrder/{order['id']}", headers=BUYER_A, json={"projectId": "X"})
    assert r.status_code == 409
    assert assert_mef_response(r, "productOrder", "/productOrder/{id}", "patch")["code"] == "conflict"


async def test_invalid_product_payload_is_422_naming_paths(client) -> None:
    config = ael_config()
    del config["uniEp"]
    config["maximumFrameSize"] = "huge"
    r = await client.post(f"{ORDER_BASE}/productOrder", headers=BUYER_A,
                          json=order_body(add_item("1"), add_item("2", config=config)))
    assert r.status_code == 422
    problems = assert_mef_response(r, "productOrder", "/productOrder", "post")
    paths = {p["propertyPath"]: p["code"] for p in problems}
    base = "/productOrderItem/1/product/productConfiguration"
    assert paths[f"{base}/uniEp"] == "missingProperty"
    assert paths[f"{base}/maximumFrameSize"] == "invalidValue"
    assert not any(p.startswith("/productOrderItem/0") for p in paths)
    r = await client.get(f"{ORDER_BASE}/productOrder", headers=BUYER_A)
    assert r.json() == []  # nothing stored


@pytest.fixture
def lenient(profile):  # type: ignore[no-untyped-def]
    return dataclasses.replace(profile, validation=ValidationPolicy.LENIENT)


@pytest.mark.parametrize("profile_kind", ["lenient"])
async def test_lenient_seller_accepts_and_records_warnings(profile_kind, lenient, database_url, clock, recorder
                                                           ) -> None:
    from counterpoint.api.app import create_app
    from counterpoint.bootstrap import build
    from counterpoint.settings import Settings
    from tests.conftest import _reset_postgres

    c = build(Settings(database_url=database_url, run_workers=False), clock=clock, profile=lenient,
              http_factory=lambda: httpx.AsyncClient(transport=recorder.transport()))
    if database_url.startswith("postgresql"):
        await _reset_postgres(c)
    await c.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(c, manage_lifecycle=False)),
                                     base_url="http://seller.test") as client:
            config = ael_config()
            config["maximumFrameSize"] = "huge"
            unknown = {"@type": "urn:example:not-a-mef-spec", "speed": 5}
            order = await create(client, order_body(add_item("1", config=config),
                                                    add_item("2", offering="uni-sg", config=unknown)))
            texts = [n["text"] for n in order["note"]]
            assert any("maximumFrameSize" in t for t in texts)
            assert any("@type" in t for t in texts)
            assert order["productOrderItem"][1]["product"]["productConfiguration"] == unknown
    finally:
        await c.close()


async def test_unknown_references_are_422(client) -> None:
    r = await client.post(f"{ORDER_BASE}/productOrder", headers=BUYER_A,
                          json=order_body(add_item("1", offering="nope"), change_item("2", "modify", "ghost"),
                                          add_item("1")))
    problems = {p["propertyPath"]: p["code"] for p in assert_mef_response(r, "productOrder", "/productOrder", "post")}
    assert problems == {"/productOrderItem/0/product/productOffering/id": "referenceNotFound",
                        "/productOrderItem/1/product/id": "referenceNotFound",
                        "/productOrderItem/2/id": "invalidValue"}


async def test_envelope_violations_are_422_and_bad_json_400(client) -> None:
    body = order_body()
    del body["relatedContactInformation"]
    body["productOrderItem"][0]["action"] = "upgrade"
    r = await client.post(f"{ORDER_BASE}/productOrder", headers=BUYER_A, json=body)
    problems = {p["propertyPath"]: p["code"] for p in assert_mef_response(r, "productOrder", "/productOrder", "post")}
    assert problems["/relatedContactInformation"] == "missingProperty"
    assert problems["/productOrderItem/0/action"] == "invalidValue"
    r = await client.post(f"{ORDER_BASE}/productOrder", headers={**BUYER_A, "Content-Type": "application/json"},
                          content=b"[1,")
    assert r.status_code == 400 and r.json()["code"] == "invalidBody"


async def test_modify_and_delete_change_the_inventory(client, container, clock) -> None:
    order = await create(client, order_body())
    await drive(container, clock, 25)
    product_id = (await get(client, order["id"]))["productOrderItem"][0]["product"]["id"]
    faster = ael_config(cir_mbps=500)
    await create(client, order_body(change_item("1", "modify", product_id, config=faster), external_id="PO-UP"))
    await drive(container, clock, 25)
    product = (await client.get(f"{INVENTORY_BASE}/product/{product_id}", headers=BUYER_A)).json()
    assert product["status"] == "active" and product["productConfiguration"] == faster
    assert len(product["productOrderItem"]) == 2
    await create(client, order_body(change_item("1", "delete", product_id), external_id="PO-DEL"))
    await drive(container, clock, 25)
    r = await client.get(f"{INVENTORY_BASE}/product/{product_id}", headers=BUYER_A)
    product = assert_mef_response(r, "productInventory", "/product/{id}", "get")
    assert product["status"] == "terminated" and product["terminationDate"]
    r = await client.get(f"{INVENTORY_BASE}/product", headers=BUYER_A, params={"status": "terminated"})
    assert [p["id"] for p in assert_mef_response(r, "productInventory", "/product", "get")] == [product_id]
    r = await client.get(f"{INVENTORY_BASE}/product", headers=BUYER_A, params={"status": "active"})
    assert r.json() == []


async def test_inventory_filters(client, container, clock) -> None:
    await create(client, order_body(add_item("1"), add_item("2", offering="uni-sg", config=uni_config()),
                                    external_id="PO-INV"))
    await drive(container, clock, 25)
    r = await client.get(f"{INVENTORY_BASE}/product", headers=BUYER_A)
    products = assert_mef_response(r, "productInventory", "/product", "get")
    assert len(products) == 2 and r.headers["X-Total-Count"] == "2"
    order_id = products[0]["productOrderItem"][0]["productOrderId"]
    cases = {
        "productOfferingId": ("uni-sg", 1), "productSpecificationId":
            ("urn:mef:lso:spec:sonata:access-eline-ovc:v5.0.0:all", 1),
        "productOrderId": (order_id, 2), "externalId": ("PO-INV", 2), "billingAccountId": ("none", 0),
        "startDate.gt": ((clock.now() + timedelta(days=1)).isoformat(), 0),
        "startDate.lt": ((clock.now() + timedelta(days=1)).isoformat(), 2),
    }
    for key, (value, count) in cases.items():
        r = await client.get(f"{INVENTORY_BASE}/product", headers=BUYER_A, params={key: value})
        assert len(assert_mef_response(r, "productInventory", "/product", "get")) == count, key
    assert (await client.get(f"{INVENTORY_BASE}/product", headers=BUYER_B)).json() == []
    r = await client.get(f"{INVENTORY_BASE}/product", headers=BUYER_A, params={"startDate.gt": "soon"})
    assert r.status_code == 400
    assert (await client.get(f"{INVENTORY_BASE}/product/nope", headers=BUYER_A)).status_code == 404


async def test_cantata_order(client, container, clock) -> None:
    order = await create(client, order_body(), base=CANTATA_ORDER_BASE)
    assert order["href"].startswith("http://seller.test/mefApi/cantata/productOrderingManagement/v5/")
    r = await client.get(f"{CANTATA_ORDER_BASE}/productOrder/{order['id']}", headers=BUYER_A)
    assert_mef_response(r, "productOrder", "/productOrder/{id}", "get", "cantata")
    r = await client.get(f"{CANTATA_ORDER_BASE}/productOrder", headers=BUYER_A)
    assert len(assert_mef_response(r, "productOrder", "/productOrder", "get", "cantata")) == 1


async def test_concurrent_writers_cannot_both_win(client, container) -> None:
    order = await create(client, order_body())
    async with container.uow() as one:
        first = await one.product_orders.get("buyer-a", order["id"])
    async with container.uow() as two:
        second = await two.product_orders.get("buyer-a", order["id"])
        second.doc["projectId"] = "second"
        await two.product_orders.save(second)
        await two.commit()
    async with container.uow() as one:
        first.doc["projectId"] = "first"
        with pytest.raises(StaleVersion):
            await one.product_orders.save(first)
    assert (await get(client, order["id"]))["projectId"] == "second"


async def test_concurrent_patches_one_may_lose_with_409(client) -> None:
    order = await create(client, order_body())
    results = await asyncio.gather(*(client.patch(f"{ORDER_BASE}/productOrder/{order['id']}", headers=BUYER_A,
                                                  json={"projectId": f"P{n}"}) for n in range(4)))
    assert {r.status_code for r in results} <= {200, 409}
    assert any(r.status_code == 200 for r in results)
    final = (await get(client, order["id"]))["projectId"]
    assert final in {r.json()["projectId"] for r in results if r.status_code == 200}


async def test_expedite_without_a_date_is_accepted(client, container, clock) -> None:
    order = await create(client, order_body())
    await drive(container, clock, 2)
    r = await client.post(f"{ORDER_BASE}/modifyProductOrderItemRequestedDeliveryDate", headers=BUYER_A, json={
        "productOrderItem": {"productOrderId": order["id"], "productOrderItemId": "1"}, "expediteIndicator": True})
    assert_mef_response(r, "productOrder", "/modifyProductOrderItemRequestedDeliveryDate", "post")
    await drive(container, clock, 0.25)
    current = await get(client, order["id"])
    assert current["state"] == "inProgress"
    assert current["productOrderItem"][0]["expediteAcceptedIndicator"] is True
    r = await client.post(f"{ORDER_BASE}/modifyProductOrderItemRequestedDeliveryDate", headers=BUYER_A, json={
        "productOrderItem": {"productOrderId": order["id"], "productOrderItemId": "1"}})
    assert r.json()[0]["code"] == "missingProperty"


async def test_a_retried_create_with_the_same_idempotency_key_returns_the_first_order(client, container) -> None:
    body = order_body(external_id="PO-RETRY")
    first = await client.post(f"{ORDER_BASE}/productOrder", json=body, headers={**BUYER_A, "Idempotency-Key": "k-1"})
    again = await client.post(f"{ORDER_BASE}/productOrder", json=body, headers={**BUYER_A, "Idempotency-Key": "k-1"})
    other = await client.post(f"{ORDER_BASE}/productOrder", json=body, headers={**BUYER_B, "Idempotency-Key": "k-1"})
    fresh = await client.post(f"{ORDER_BASE}/productOrder", json=body, headers={**BUYER_A, "Idempotency-Key": "k-2"})
    assert (first.status_code, again.status_code, other.status_code, fresh.status_code) == (201, 201, 201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert len({first.json()["id"], other.json()["id"], fresh.json()["id"]}) == 3  # keys are per buyer
    listed = await client.get(f"{ORDER_BASE}/productOrder", params={"externalId": "PO-RETRY"}, headers=BUYER_A)
    assert listed.headers["X-Total-Count"] == "2"
    bad = await client.post(f"{ORDER_BASE}/productOrder", json=body,
                            headers={**BUYER_A, "Idempotency-Key": "no spaces allowed"})
    assert bad.status_code == 400 and bad.json()["code"] in ("invalidQuery", "invalidBody", "missingQueryParameter",
                                                             "invalidValue")


async def test_concurrent_creates_with_one_key_make_one_order(client, container) -> None:
    body = order_body(external_id="PO-RACE")
    answers = await asyncio.gather(*[client.post(f"{ORDER_BASE}/productOrder", json=body,
                                                 headers={**BUYER_A, "Idempotency-Key": "race-1"}) for _ in range(4)])
    assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    listed = await client.get(f"{ORDER_BASE}/productOrder", params={"externalId": "PO-RACE"}, headers=BUYER_A)
    assert listed.headers["X-Total-Count"] == "1"
    assert listed.json()[0]["id"] == answers[0].json()["id"]  # the id every answer named was stored
    again = await client.post(f"{ORDER_BASE}/productOrder", json=body, headers={**BUYER_A, "Idempotency-Key": "race-1"})
    assert (again.status_code, again.json()) == (201, answers[0].json())


async def test_one_key_with_another_body_is_a_clear_422(client, container) -> None:
    headers = {**BUYER_A, "Idempotency-Key": "reuse-1"}
    first = await client.post(f"{ORDER_BASE}/productOrder", json=order_body(external_id="PO-A"), headers=headers)
    assert first.status_code == 201
    answers = await asyncio.gather(*[client.post(f"{ORDER_BASE}/productOrder", headers=headers,
                                                 json=order_body(external_id=f"PO-B{i}")) for i in range(3)])
    for r in answers:
        assert r.status_code == 422, r.text
        (problem,) = assert_mef_response(r, "productOrder", "/productOrder", "post")
        assert problem["code"] == "otherIssue" and "Idempotency-Key reuse-1" in problem["reason"]
    listed = await client.get(f"{ORDER_BASE}/productOrder", headers=BUYER_A)
    assert [o["externalId"] for o in listed.json()] == ["PO-A"]
