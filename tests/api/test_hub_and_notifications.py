"""`/hub` on POQ, quote and order APIs, and the outbox relay that feeds listeners."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.shared.events import DomainEvent
from counterpoint.notifications.relay import OutboxRelay
from counterpoint.storage.outbox import delivery, outbox
from tests.helpers import BUYER_A, BUYER_B, JSON, ListenerRecorder, assert_mef_event, assert_mef_response

HUBS = [
    ("poq", "/mefApi/sonata/productOfferingQualification/v7"),
    ("quote", "/mefApi/sonata/quoteManagement/v8"),
    ("productOrder", "/mefApi/sonata/productOrderingManagement/v10"),
    ("productOrder", "/mefApi/cantata/productOrderingManagement/v5"),
]


@pytest.mark.parametrize(("function", "base"), HUBS)
async def test_register_and_unregister_listener(client: httpx.AsyncClient, function: str, base: str) -> None:
    channel = base.split("/")[2]
    r = await client.post(f"{base}/hub", headers=BUYER_A,
                          json={"callback": "https://buyer.example/listen", "query": "eventType=" + {
                              "poq": "poqStateChangeEvent", "quote": "quoteStateChangeEvent",
                              "productOrder": "productOrderStateChangeEvent"}[function]})
    assert r.status_code == 201, r.text
    body = assert_mef_response(r, function, "/hub", "post", channel)
    assert body["callback"] == "https://buyer.example/listen"
    # another buyer cannot remove it
    r = await client.delete(f"{base}/hub/{body['id']}", headers=BUYER_B)
    assert r.status_code == 404
    assert assert_mef_response(r, function, "/hub/{id}", "delete", channel)["code"] == "notFound"
    r = await client.delete(f"{base}/hub/{body['id']}", headers=BUYER_A)
    assert r.status_code == 204
    assert_mef_response(r, function, "/hub/{id}", "delete", channel)
    r = await client.delete(f"{base}/hub/{body['id']}", headers=BUYER_A)
    assert r.status_code == 404


async def test_retrieve_hub_is_scoped_to_buyer(client: httpx.AsyncClient) -> None:
    base = "/mefApi/sonata/productOrderingManagement/v10"
    r = await client.post(f"{base}/hub", headers=BUYER_A, json={"callback": "http://a.example"})
    listener = r.json()
    r = await client.get(f"{base}/hub/{listener['id']}", headers=BUYER_A)
    assert r.status_code == 200
    assert assert_mef_response(r, "productOrder", "/hub/{id}", "get") == listener
    r = await client.get(f"{base}/hub/{listener['id']}", headers=BUYER_B)
    assert r.status_code == 404
    # the same id is not visible through another API's hub
    r = await client.delete(f"/mefApi/sonata/quoteManagement/v8/hub/{listener['id']}", headers=BUYER_A)
    assert r.status_code == 404


@pytest.mark.parametrize(("payload", "status", "code"), [
    ({"callback": "not a url"}, 400, "invalidBody"),
    ({"callback": "http://x.example", "query": "eventType=noSuchEvent"}, 400, "invalidBody"),
    ({"callback": "http://x.example", "query": "colour=blue"}, 400, "invalidBody"),
    ({"query": "eventType=productOrderStateChangeEvent"}, 400, "invalidBody"),
])
async def test_bad_registration_is_a_mef_error(client: httpx.AsyncClient, payload: dict, status: int,
                                               code: str) -> None:
    r = await client.post("/mefApi/sonata/productOrderingManagement/v10/hub", headers=BUYER_A, json=payload)
    assert r.status_code == status, r.text
    assert assert_mef_response(r, "productOrder", "/hub", "post")["code"] == code


async def test_malformed_json_is_400_invalid_body(client: httpx.AsyncClient) -> None:
    r = await client.post("/mefApi/sonata/productOrderingManagement/v10/hub",
                          headers={**BUYER_A, "Content-Type": JSON}, content=b"{not json")
    assert r.status_code == 400
    assert assert_mef_response(r, "productOrder", "/hub", "post")["code"] == "invalidBody"


@pytest.mark.parametrize(("headers", "status", "code"), [
    ({}, 401, "missingCredentials"),
    ({"Authorization": "Bearer wrong"}, 401, "invalidCredentials"),
    ({"X-API-Key": "demo-key-buyer-a"}, 201, None),
])
async def test_credentials(client: httpx.AsyncClient, headers: dict, status: int, code: str | None) -> None:
    r = await client.post("/mefApi/sonata/productOrderingManagement/v10/hub", headers=headers,
                          json={"callback": "http://x.example"})
    assert r.status_code == status
    assert_mef_response(r, "productOrder", "/hub", "post")
    if code:
        assert r.json()["code"] == code


async def test_buyer_id_of_another_party_is_forbidden(client: httpx.AsyncClient) -> None:
    r = await client.post("/mefApi/sonata/productOrderingManagement/v10/hub?buyerId=buyer-b", headers=BUYER_A,
                          json={"callback": "http://x.example"})
    assert r.status_code == 403
    assert assert_mef_response(r, "productOrder", "/hub", "post")["code"] == "forbiddenRequester"
    r = await client.post("/mefApi/sonata/productOrderingManagement/v10/hub?buyerId=buyer-a", headers=BUYER_A,
                          json={"callback": "http://x.example"})
    assert r.status_code == 201


async def _emit(container, event_type: str, *, buyer: str = "buyer-a", channel: str = "sonata",
                item: str | None = None) -> None:  # type: ignore[no-untyped-def]
    async with container.uow("corr-1") as uow:
        uow.record(DomainEvent(api="productOrder", event_type=event_type, resource_id="order-1", buyer_id=buyer,
                               seller_id="lion-city-metro", channel=channel, at=container.clock.now(),
                               item_id=item))
        await uow.commit()


async def test_events_reach_matching_listeners_only(client: httpx.AsyncClient, container, relay: OutboxRelay,
                                                    recorder: ListenerRecorder) -> None:
    base = "/mefApi/sonata/productOrderingManagement/v10"
    await client.post(f"{base}/hub", headers=BUYER_A,
                      json={"callback": "http://a.example/cb", "query": "eventType=productOrderStateChangeEvent"})
    await client.post(f"{base}/hub", headers=BUYER_A, json={"callback": "http://all.example"})
    await client.post(f"{base}/hub", headers=BUYER_B, json={"callback": "http://b.example"})
    await client.post("/mefApi/cantata/productOrderingManagement/v5/hub", headers=BUYER_A,
                      json={"callback": "http://cantata.example"})
    await _emit(container, "productOrderStateChangeEvent")
    await _emit(container, "productOrderItemStateChangeEvent", item="1")
    await relay.drain()

    urls = sorted(d.url for d in recorder.received)
    assert urls == [
        "http://a.example/cb/mefApi/sonata/productOrderingNotification/v10/listener/productOrderStateChangeEvent",
        "http://all.example/mefApi/sonata/productOrderingNotification/v10/listener/"
        "productOrderItemStateChangeEvent",
        "http://all.example/mefApi/sonata/productOrderingNotification/v10/listener/productOrderStateChangeEvent",
    ]
    for d in recorder.received:
        assert_mef_event(d.body, "productOrderNotification", d.body["eventType"])
        assert d.body["event"]["href"] == "http://seller.test/mefApi/sonata/productOrderingManagement/v10/" \
                                          "productOrder/order-1"
        assert d.headers["x-correlation-id"] == "corr-1"
    item_event = recorder.of_type("productOrderItemStateChangeEvent")[0].body
    assert item_event["event"]["orderItemId"] == "1"


async def test_failed_delivery_is_retried_with_backoff_then_dead_lettered(
        client: httpx.AsyncClient, container, relay: OutboxRelay, recorder: ListenerRecorder,
        clock: ManualClock) -> None:
    await client.post("/mefApi/sonata/productOrderingManagement/v10/hub", headers=BUYER_A,
                      json={"callback": "http://a.example"})
    await _emit(container, "productOrderStateChangeEvent")
    recorder.fail_next = 1
    await relay.run_once()
    assert recorder.received == []
    await relay.run_once()  # not due yet: backoff
    assert recorder.received == []
    clock.advance(timedelta(seconds=5))
    await relay.run_once()
    assert len(recorder.received) == 1

    await _emit(container, "productOrderStateChangeEvent")
    recorder.fail_next = 99
    for _ in range(6):
        await relay.run_once()
        clock.advance(timedelta(minutes=5))
    async with container.uow() as uow:
        states = (await uow.conn.execute(select(delivery.c.state, delivery.c.attempts)
                                         .order_by(delivery.c.attempts))).all()
        pending = (await uow.conn.execute(select(outbox).where(outbox.c.dispatched_at.is_(None)))).all()
    assert sorted(tuple(s) for s in states) == [("dead", 3), ("delivered", 2)]
    assert pending == []
    assert len(recorder.received) == 1


async def test_event_without_listener_is_dispatched_and_dropped(container, relay: OutboxRelay,
                                                                recorder: ListenerRecorder) -> None:
    await _emit(container, "productOrderStateChangeEvent")
    assert await relay.dispatch_once() == 1
    assert await relay.dispatch_once() == 0
    assert recorder.received == []


async def test_unknown_path_is_mef_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/mefApi/sonata/nothingHere/v1/x", headers=BUYER_A)
    assert r.status_code == 404
    assert r.json()["code"] == "notFound"
