"""The issue's "done when", end to end over real HTTP: `counterpoint serve` in its own process (as a newcomer
starts it), a Buyer's listener on its own port, and a Buyer that takes an Access E-Line and an Internet Access
product from address validation through POQ, quote and order to active products in inventory, with a
notification for every state change. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.builders import ael_config, contacts, uni_config
from tests.e2e.support import serve_process
from tests.helpers import BUYER_A, assert_mef_event, assert_mef_response
from tests.unit.serviceability.payloads import buyer_contact, internet

SONATA = "/mefApi/sonata"
ADDRESS = f"{SONATA}/geographicAddressManagement/v7"
POQ = f"{SONATA}/productOfferingQualification/v7"
QUOTE = f"{SONATA}/quoteManagement/v8"
ORDER = f"{SONATA}/productOrderingManagement/v10"
INVENTORY = f"{SONATA}/productInventory/v7"
# 5 profile days per real second: a 20-day installation takes 4 s; a 30-day quote validity lasts 6 s.
TIME_SCALE = 432_000


class Listener:
    """A Buyer's notification listener on a real port."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                with outer.lock:
                    outer.received.append((self.path, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, api: str) -> list[dict[str, Any]]:
        with self.lock:
            return [body for path, body in self.received if f"/{api}/" in path]

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def listener() -> Iterator[Listener]:
    one = Listener()
    yield one
    one.close()


@pytest.fixture
def seller(database_url: str, tmp_path: Path) -> Iterator[str]:
    """`counterpoint serve` on a free port, as the README starts it; its base URL."""
    env = {**os.environ, "COUNTERPOINT_FULFILMENT_INTERVAL_S": "0.05", "COUNTERPOINT_RELAY_INTERVAL_S": "0.05"}
    with serve_process(tmp_path, ["--database-url", database_url, "--time-scale", str(TIME_SCALE)], env) as base:
        yield base


def _ok(r: httpx.Response, status: int, function: str, path: str, method: str) -> Any:
    assert r.status_code == status, r.text
    return assert_mef_response(r, function, path, method)


def _wait(what: str, check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def _place(address_id: str) -> list[dict[str, Any]]:
    return [{"@type": "GeographicAddressRef", "id": address_id, "role": "INSTALL_LOCATION"}]


def _tech() -> list[dict[str, Any]]:
    return [{**contacts()[0], "role": role} for role in ("quoteItemTechnicalContact", "quoteItemLocationContact")]


@pytest.mark.parametrize("product", ["accessEline", "internetAccess"])
def test_buyer_journey_over_http(seller: str, listener: Listener, product: str) -> None:
    http = httpx.Client(base_url=seller, headers=BUYER_A, timeout=10)
    for base in (POQ, QUOTE, ORDER):
        _ok(http.post(f"{base}/hub", json={"callback": listener.url}), 201, "poq" if base == POQ else
            "quote" if base == QUOTE else "productOrder", "/hub", "post")

    # 1. address validation: the Buyer's written address is the Seller's Raffles Place address
    written = {"@type": "FieldedAddress", "streetNr": "1", "streetName": "Raffles", "streetType": "Place",
               "city": "Singapore", "postcode": "048616", "country": "SG"}
    validation = _ok(http.post(f"{ADDRESS}/geographicAddressValidation",
                               json={"submittedGeographicAddress": written, "provideAlternative": False}),
                     200, "geographicAddress", "/geographicAddressValidation", "post")
    assert validation["validationResult"] == "success"
    address_id = validation["bestMatchGeographicAddress"]["id"]
    assert address_id == "addr-sg-raffles"

    # 2. qualification and 3. a firm quote for what qualifies
    if product == "accessEline":
        wanted = [("uni", "uni-sg", uni_config(), _place(address_id), []),
                  ("ael", "ael-sg", ael_config(500), None, [{"id": "uni", "relationshipType": "CONNECTS_TO_UNI"}])]
    else:
        wanted = [("dia", "dia-sg", internet(500, 200), _place(address_id), [])]
    poq_items = []
    for item_id, offering, config, place, rel in wanted:
        one: dict[str, Any] = {"id": item_id, "action": "add", "product": {
            "productOffering": {"id": offering}, "productConfiguration": config}}
        if place:
            one["product"]["place"] = place
        if rel:
            one["qualificationItemRelationship"] = rel
        poq_items.append(one)
    qualification = _ok(http.post(f"{POQ}/productOfferingQualification", json={
        "instantSyncQualification": True, "relatedContactInformation": [buyer_contact()],
        "productOfferingQualificationItem": poq_items}), 201, "poq", "/productOfferingQualification", "post")
    assert qualification["state"] == "done.ready"
    assert {i["serviceabilityConfidence"] for i in qualification["productOfferingQualificationItem"]} == {"green"}

    quote_items = []
    for one in poq_items:
        quoted = {k: v for k, v in one.items() if k != "qualificationItemRelationship"}
        quoted["productOfferingQualificationItem"] = {"id": one["id"],
                                                      "productOfferingQualificationId": qualification["id"]}
        quoted["relatedContactInformation"] = _tech()
        quoted["requestedQuoteItemTerm"] = {"name": "two years", "endOfTermAction": "autoRenew",
                                            "duration": {"amount": 24, "units": "calendarMonths"}}
        if one.get("qualificationItemRelationship"):
            quoted["quoteItemRelationship"] = one["qualificationItemRelationship"]
        quote_items.append(quoted)
    quote = _ok(http.post(f"{QUOTE}/quote", json={
        "instantSyncQuote": True, "buyerRequestedQuoteLevel": "firm", "relatedContactInformation": [buyer_contact()],
        "quoteItem": quote_items}), 201, "quote", "/quote", "post")
    assert quote["state"] == "approved.orderable", quote
    assert all(i["quoteItemPrice"] for i in quote["quoteItem"])

    # 4. the order, on that quote and that qualification
    order_items = []
    for quoted in quote_items:
        one = {"id": quoted["id"], "action": "add", "product": quoted["product"],
               "quoteItem": {"id": quoted["id"], "quoteId": quote["id"]},
               "productOfferingQualificationItem": quoted["productOfferingQualificationItem"]}
        if quoted.get("quoteItemRelationship"):
            one["productOrderItemRelationship"] = [{"id": "uni", "relationshipType": "RELIES_ON"}]
        order_items.append(one)
    order = _ok(http.post(f"{ORDER}/productOrder", json={
        "externalId": f"E2E-{product}", "relatedContactInformation": contacts(), "productOrderItem": order_items}),
        201, "productOrder", "/productOrder", "post")
    assert order["state"] == "acknowledged"

    def finished() -> Any:
        doc = http.get(f"{ORDER}/productOrder/{order['id']}").json()
        return doc if doc["state"] in ("completed", "failed", "partial", "rejected") else None

    done = _wait("the order to finish", finished)
    done = _ok(http.get(f"{ORDER}/productOrder/{order['id']}"), 200, "productOrder", "/productOrder/{id}", "get")
    assert done["state"] == "completed", done["stateChange"]
    assert [c["state"] for c in done["stateChange"]] == ["acknowledged", "inProgress", "completed"]

    # 5. active products in inventory, one per item, pointing back at the order
    products = _ok(http.get(f"{INVENTORY}/product", params={"productOrderId": order["id"]}), 200,
                   "productInventory", "/product", "get")
    assert len(products) == len(order_items)
    assert {p["status"] for p in products} == {"active"}
    quoted_after = _ok(http.get(f"{QUOTE}/quote/{quote['id']}"), 200, "quote", "/quote/{id}", "get")
    assert quoted_after["state"] == "accepted"

    # 6. a notification for every state change, each valid against the listener envelope
    def order_events() -> Any:
        got = listener.events("productOrderingNotification")
        kinds = [(e["eventType"], e["event"].get("orderItemId")) for e in got]
        return got if kinds.count(("productOrderStateChangeEvent", None)) >= 2 else None

    got = _wait("the order notifications", order_events)
    for body in got:
        assert_mef_event(body, "productOrderNotification", body["eventType"])
        assert body["event"]["id"] == order["id"]
    kinds = [(e["eventType"], e["event"].get("orderItemId")) for e in got]
    assert kinds.count(("productOrderStateChangeEvent", None)) == 2  # inProgress, completed
    for item in order_items:  # each item: inProgress and completed
        assert kinds.count(("productOrderItemStateChangeEvent", item["id"])) == 2
    quote_events = _wait("the quote notification", lambda: listener.events("quoteNotification"))
    assert [(e["eventType"], e["event"]["id"]) for e in quote_events] == [("quoteStateChangeEvent", quote["id"])]
    assert_mef_event(quote_events[0], "quoteNotification", "quoteStateChangeEvent")
