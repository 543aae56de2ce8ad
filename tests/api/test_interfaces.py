"""Sonata and Cantata are two interfaces: what a buyer creates on one is invisible on the other.

Every kind of stored resource (POQ, quote, product order, cancel and date-change requests, charges, inventory
products, hub listeners) is created on one interface, then looked for on the other by id, in lists, by
PATCH/DELETE, and by reference from new requests; each answer must be what an unknown id gets.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from counterpoint.core.shared.apis import base_path
from counterpoint.notifications.relay import OutboxRelay
from tests.api.test_product_order import drive
from tests.api.test_quote import qitem, quote
from tests.api.test_trouble_ticket import ticket_body
from tests.api.workforce_support import booking, open_wo, search
from tests.builders import change_item, contacts, order_body
from tests.helpers import BUYER_A, ListenerRecorder, assert_mef_response
from tests.unit.serviceability.payloads import poq

ORIGIN = "http://seller.test"
UNKNOWN = "no-such-resource"


def bases(channel: str) -> dict[str, str]:
    return {fn: base_path(fn, channel) for fn in ("poq", "quote", "productOrder", "productInventory", "troubleTicket",
                                                  "appointment", "workOrder")}


async def post(client: httpx.AsyncClient, channel: str, function: str, path: str, body: Any,
               headers: dict[str, str] = BUYER_A) -> httpx.Response:
    return await client.post(f"{bases(channel)[function]}{path}", headers=headers, json=body)


def created(r: httpx.Response, function: str, path: str, channel: str) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    return assert_mef_response(r, function, path, "post", channel)


async def make_everything(client: httpx.AsyncClient, container: Any, clock: Any, home: str) -> dict[str, Any]:
    """One of each resource kind, created on `home`; returns their ids by kind."""
    ids: dict[str, Any] = {}
    hubs = {}
    for fn in HUBS:
        hubs[fn] = created(await post(client, home, fn, "/hub", {"callback": f"http://{home}.example/{fn}"}),
                           fn, "/hub", home)["id"]
    ids["hub"] = hubs
    ids["poq"] = created(await post(client, home, "poq", "/productOfferingQualification", poq()),
                         "poq", "/productOfferingQualification", home)
    ids["quote"] = created(await post(client, home, "quote", "/quote", quote(qitem())), "quote", "/quote", home)
    ids["held"] = created(await post(client, home, "productOrder", "/productOrder",
                                     order_body(external_id="CHARGE-1")), "productOrder", "/productOrder", home)
    ids["cancelled"] = created(await post(client, home, "productOrder", "/productOrder", order_body()),
                               "productOrder", "/productOrder", home)
    ids["completed"] = created(await post(client, home, "productOrder", "/productOrder",
                                          order_body(external_id="PO-DONE")), "productOrder", "/productOrder", home)
    ids["dated"] = created(await post(client, home, "productOrder", "/productOrder", order_body(external_id="PO-DATE")),
                           "productOrder", "/productOrder", home)
    await drive(container, clock, 2)
    ids["cancel"] = created(await post(client, home, "productOrder", "/cancelProductOrder", cancel_body(
        ids["cancelled"]["id"])), "productOrder", "/cancelProductOrder", home)
    ids["dateChange"] = created(await post(
        client, home, "productOrder", "/modifyProductOrderItemRequestedDeliveryDate",
        date_body(ids["dated"]["id"], clock)), "productOrder", "/modifyProductOrderItemRequestedDeliveryDate",
        home)
    r = await client.get(f"{bases(home)['productOrder']}/charge", headers=BUYER_A)
    (ids["charge"],) = assert_mef_response(r, "productOrder", "/charge", "get", home)
    await drive(container, clock, 25)
    r = await client.get(f"{bases(home)['productInventory']}/product", headers=BUYER_A)
    (ids["product"],) = assert_mef_response(r, "productInventory", "/product", "get", home)
    ids["ticket"] = created(await post(client, home, "troubleTicket", "/troubleTicket", about(ids["product"]["id"])),
                            "troubleTicket", "/troubleTicket", home)
    # work orders are the Seller's (opened as a ticket's repair would); the Buyer books a visit for one
    visit = await open_wo(container, channel=home)
    ids["workOrder"] = {"id": visit.id}
    slot = clock.now() + timedelta(days=3)  # a weekday, past the lead time
    slot = slot.replace(hour=1, minute=0, second=0, microsecond=0)
    while slot.weekday() > 4:
        slot += timedelta(days=1)
    ids["appointment"] = created(await post(client, home, "appointment", "/appointment", booking(visit.id, slot)),
                                 "appointment", "/appointment", home)
    return ids


def about(product_id: str) -> dict[str, Any]:
    """A trouble ticket about that product."""
    return ticket_body(relatedEntity=[{"id": product_id, "role": "Issue Source", "@referredType": "Product"}])


def cancel_body(order_id: str) -> dict[str, Any]:
    return {"productOrder": {"productOrderId": order_id}, "cancellationReasonType": "commercial",
            "cancellationReason": "budget cut", "relatedContactInformation": contacts()}


def date_body(order_id: str, clock: Any) -> dict[str, Any]:
    later = (clock.now() + timedelta(days=60)).isoformat().replace("+00:00", "Z")
    return {"productOrderItem": {"productOrderId": order_id, "productOrderItemId": "1"},
            "requestedCompletionDate": later}


def quote_order_item(quote_doc: dict[str, Any]) -> dict[str, Any]:
    quoted = quote_doc["quoteItem"][0]
    return {"id": "1", "action": "add", "product": copy.deepcopy(quoted["product"]),
            "quoteItem": {"id": quoted["id"], "quoteId": quote_doc["id"]}}


def _same_answer(seen: httpx.Response, unknown: httpx.Response, real_id: str) -> None:
    """`seen` (naming a resource of the other interface) answers exactly as `unknown` (naming no resource)."""
    assert seen.status_code == unknown.status_code, (seen.status_code, seen.text)
    assert seen.text.replace(real_id, UNKNOWN) == unknown.text


# (function, one-resource path, id key) of everything a GET by id reads
GETS = [
    ("poq", "/productOfferingQualification/{id}", "poq"),
    ("quote", "/quote/{id}", "quote"),
    ("productOrder", "/productOrder/{id}", "held"),
    ("productOrder", "/productOrder/{id}", "cancelled"),
    ("productOrder", "/productOrder/{id}", "completed"),
    ("productOrder", "/productOrder/{id}", "dated"),
    ("productOrder", "/cancelProductOrder/{id}", "cancel"),
    ("productOrder", "/modifyProductOrderItemRequestedDeliveryDate/{id}", "dateChange"),
    ("productOrder", "/charge/{id}", "charge"),
    ("productInventory", "/product/{id}", "product"),
    ("troubleTicket", "/troubleTicket/{id}", "ticket"),
    ("workOrder", "/workorder/{id}", "workOrder"),
    ("appointment", "/appointment/{id}", "appointment"),
]
LISTS = [
    ("poq", "/productOfferingQualification"), ("quote", "/quote"), ("productOrder", "/productOrder"),
    ("productOrder", "/cancelProductOrder"), ("productOrder", "/modifyProductOrderItemRequestedDeliveryDate"),
    ("productOrder", "/charge"), ("productInventory", "/product"), ("troubleTicket", "/troubleTicket"),
    ("appointment", "/appointment"),
]
HUBS = ("poq", "quote", "productOrder", "troubleTicket", "appointment", "workOrder")


@pytest.mark.parametrize(("home", "other"), [("sonata", "cantata"), ("cantata", "sonata")])
async def test_resources_are_visible_only_on_the_interface_they_were_created_on(
        client: httpx.AsyncClient, container: Any, clock: Any, relay: OutboxRelay, recorder: ListenerRecorder,
        home: str, other: str) -> None:
    ids = await make_everything(client, container, clock, home)
    for fn in HUBS:  # the other interface's listeners hear none of it
        created(await post(client, other, fn, "/hub", {"callback": f"http://{other}.example/{fn}"}), fn, "/hub",
                other)
    snapshot = {}

    # hrefs on the home interface are under its base paths
    for fn, path, key in GETS:
        url = bases(home)[fn] + path.format(id=ids[key]["id"])
        r = await client.get(url, headers=BUYER_A)
        doc = assert_mef_response(r, fn, path, "get", home)
        assert r.status_code == 200, r.text
        snapshot[url] = doc
        assert doc["href"] == ORIGIN + url, (key, doc["href"])
    order = snapshot[bases(home)["productOrder"] + f"/productOrder/{ids['held']['id']}"]
    assert order["productOrderItem"][0]["charge"][0]["href"] == ids["charge"]["href"]

    # by id: not found on the other interface
    for fn, path, key in GETS:
        r = await client.get(bases(other)[fn] + path.format(id=ids[key]["id"]), headers=BUYER_A)
        assert r.status_code == 404, (fn, path, r.text)
        assert assert_mef_response(r, fn, path, "get", other)["code"] == "notFound"
    for fn, hub_id in ids["hub"].items():
        for method in ("get", "delete") if fn in ("productOrder", "troubleTicket", "appointment", "workOrder") \
                else ("delete",):  # as MEF has
            r = await client.request(method.upper(), f"{bases(other)[fn]}/hub/{hub_id}", headers=BUYER_A)
            assert r.status_code == 404, (fn, method, r.text)
            assert_mef_response(r, fn, "/hub/{id}", method, other)

    # lists: nothing of the home interface's, filtered or not
    for fn, path in LISTS:
        r = await client.get(bases(other)[fn] + path, headers=BUYER_A)
        assert assert_mef_response(r, fn, path, "get", other) == [], (fn, path)
        assert r.headers["X-Total-Count"] == "0"
    for path in ("/cancelProductOrder", "/modifyProductOrderItemRequestedDeliveryDate", "/charge"):
        for key in ("held", "cancelled", "completed", "dated"):
            r = await client.get(bases(other)["productOrder"] + path, headers=BUYER_A,
                                 params={"productOrderId": ids[key]["id"]})
            assert r.json() == [], (path, key)
    r = await client.get(bases(other)["productInventory"] + "/product", headers=BUYER_A,
                         params={"productOrderId": ids["completed"]["id"]})
    assert r.json() == []
    # (listWorkOrder's MEF 200 names one WorkOrder_Find, not an array: checked item by item elsewhere)
    for query in ({}, {"relatedEntityId": "TT-1"}, {"state": "planned"}):
        r = await client.get(bases(other)["workOrder"] + "/workorder", headers=BUYER_A, params=query)
        assert (r.status_code, r.json(), r.headers["X-Total-Count"]) == (200, [], "0")
    r = await client.get(bases(other)["appointment"] + "/appointment", headers=BUYER_A,
                         params={"workOrderId": ids["workOrder"]["id"]})
    assert r.json() == []

    # writes naming a home resource answer as for an unknown one
    order_base = bases(other)["productOrder"]
    for path, key, body in [
        ("/productOrder/{id}", "completed", {"projectId": "changed"}),
        ("/charge/{id}", "charge", {"chargeItem": [{"id": "1", "acceptanceIndicator": "accepted"}]}),
    ]:
        seen = await client.patch(order_base + path.format(id=ids[key]["id"]), headers=BUYER_A, json=body)
        unknown = await client.patch(order_base + path.format(id=UNKNOWN), headers=BUYER_A, json=body)
        assert seen.status_code == 404
        _same_answer(seen, unknown, ids[key]["id"])
    ticket_base = bases(other)["troubleTicket"]
    for method, path, body in [("PATCH", "/troubleTicket/{id}", {"externalId": "changed"}),
                               ("POST", "/troubleTicket/{id}/cancel", None),
                               ("POST", "/troubleTicket/{id}/close", None),
                               ("POST", "/troubleTicket/{id}/reopen", {"reason": "still down"})]:
        real = ids["ticket"]["id"]
        seen = await client.request(method, ticket_base + path.format(id=real), headers=BUYER_A, json=body)
        unknown = await client.request(method, ticket_base + path.format(id=UNKNOWN), headers=BUYER_A, json=body)
        assert seen.status_code == 404
        _same_answer(seen, unknown, real)
    appointment_base = bases(other)["appointment"]
    for method, path, body in [("PATCH", "/appointment/{id}", {"note": []}),
                               ("POST", "/appointment/{id}/cancel", None)]:
        real = ids["appointment"]["id"]
        seen = await client.request(method, appointment_base + path.format(id=real), headers=BUYER_A, json=body)
        unknown = await client.request(method, appointment_base + path.format(id=UNKNOWN), headers=BUYER_A,
                                       json=body)
        assert seen.status_code == 404
        _same_answer(seen, unknown, real)
    start = ids["appointment"]["validFor"]["startDateTime"]
    for fn, path, body_of, key in [
        ("appointment", "/appointment", lambda i: booking(i, datetime.fromisoformat(start) + timedelta(hours=2)),
         "workOrder"),
        ("appointment", "/searchTimeSlot", lambda i: search(i, (clock.now(), clock.now() + timedelta(days=7))),
         "workOrder"),
        ("quote", "/cancelQuote", lambda i: {"quoteId": i}, "quote"),
        ("quote", "/rejectQuote", lambda i: {"quoteId": i}, "quote"),
        ("productOrder", "/cancelProductOrder", cancel_body, "held"),
        ("productOrder", "/modifyProductOrderItemRequestedDeliveryDate", lambda i: date_body(i, clock), "held"),
        ("productOrder", "/productOrder", lambda i: order_body(change_item("1", "modify", i)), "product"),
        ("productOrder", "/productOrder", lambda i: order_body(quote_order_item({**ids["quote"], "id": i})),
         "quote"),
        ("quote", "/quote", lambda i: quote(qitem(productOfferingQualificationItem={
            "id": "1", "productOfferingQualificationId": i})), "poq"),
        ("troubleTicket", "/troubleTicket", about, "product"),
    ]:
        real = ids[key]["id"]
        seen, unknown = await post(client, other, fn, path, body_of(real)), await post(client, other, fn, path,
                                                                                       body_of(UNKNOWN))
        assert seen.status_code in (404, 422), (path, key, seen.text)
        _same_answer(seen, unknown, real)

    # one idempotency key, one order per interface
    body = order_body(external_id="PO-KEY")
    keyed = {**BUYER_A, "Idempotency-Key": "same-key"}
    first = created(await post(client, home, "productOrder", "/productOrder", body, keyed), "productOrder",
                    "/productOrder", home)
    second = created(await post(client, other, "productOrder", "/productOrder", body, keyed), "productOrder",
                     "/productOrder", other)
    assert first["id"] != second["id"]
    assert second["href"] == f"{ORIGIN}{order_base}/productOrder/{second['id']}"
    again = await post(client, home, "productOrder", "/productOrder", body, keyed)
    assert again.status_code == 201 and again.json()["id"] == first["id"]

    # nothing on the home interface changed, and its listeners alone heard of its resources
    for url, doc in snapshot.items():
        assert (await client.get(url, headers=BUYER_A)).json() == doc, url
    await relay.drain()
    heard = [d for d in recorder.received if d.body["event"].get("id") != second["id"]]
    assert heard and all(d.url.startswith(f"http://{home}.example/") for d in heard), \
        {d.url for d in heard if not d.url.startswith(f"http://{home}.example/")}
    assert all(d.url.startswith(f"http://{other}.example/") for d in recorder.received if d not in heard)
    for d in heard:
        href = d.body["event"].get("href")
        if href:
            assert href.startswith(f"{ORIGIN}/mefApi/{home}/"), href
