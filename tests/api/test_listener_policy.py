"""Listener URLs: one bad URL fails only its own delivery; the URL policy at registration and delivery."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import insert, select

from counterpoint.bootstrap import Container
from counterpoint.core.hub.model import parse_callback
from counterpoint.core.shared.errors import BadRequest
from counterpoint.core.shared.events import DomainEvent
from counterpoint.notifications.relay import OutboxRelay, listener_url
from counterpoint.notifications.targets import TargetPolicy, TargetRefused
from counterpoint.storage.outbox import delivery, hub_listener
from tests.helpers import BUYER_A, BUYER_B, ListenerRecorder, assert_mef_response

ORDER_HUB = "/mefApi/sonata/productOrderingManagement/v10/hub"
BAD_STORED = ["http://[zz]/x", "http://buyer.example/a\r\nX-Injected: 1", "http://buyer.example/" + "a" * 65_000,
              "ftp://buyer.example/", "http://buyer.example:99999/"]


async def _event(container: Container, buyer: str, resource: str) -> None:
    async with container.uow() as uow:
        uow.record(DomainEvent(api="productOrder", event_type="productOrderStateChangeEvent", resource_id=resource,
                               buyer_id=buyer, seller_id="seller-x", channel="sonata", at=container.clock.now()))
        await uow.commit()


async def test_one_bad_listener_url_fails_only_its_own_delivery(client: httpx.AsyncClient, container: Container,
                                                                relay: OutboxRelay,
                                                                recorder: ListenerRecorder) -> None:
    for headers, url in ((BUYER_A, "https://a.example/hook"), (BUYER_B, "https://b.example/hook")):
        assert (await client.post(ORDER_HUB, headers=headers, json={"callback": url})).status_code == 201
    async with container.uow() as uow:  # registered before the policy existed: stored as they came
        await uow.conn.execute(insert(hub_listener), [
            {"id": f"bad-{i}", "api": "productOrder", "channel": "sonata", "buyer_id": "buyer-a", "callback": url,
             "query": None, "created_at": datetime.now(UTC)} for i, url in enumerate(BAD_STORED)])
        await uow.commit()
    await _event(container, "buyer-a", "order-a")
    await _event(container, "buyer-b", "order-b")
    await relay.drain()
    got = sorted((d.url.split("/")[2], d.body["event"]["id"]) for d in recorder.received)
    assert got == [("a.example", "order-a"), ("b.example", "order-b")]
    async with container.uow() as uow:
        rows = (await uow.conn.execute(select(delivery))).mappings().all()
    states = {r["listener_id"]: r["state"] for r in rows}
    assert {states[f"bad-{i}"] for i in range(len(BAD_STORED))} == {"dead"}
    assert sorted(s for k, s in states.items() if not k.startswith("bad-")) == ["delivered", "delivered"]
    assert all(r["last_error"] for r in rows if r["state"] == "dead")
    # nothing is resent: another round finds no work
    assert await relay.run_once() == 0
    assert len(recorder.received) == 2


async def test_a_listener_that_raises_anything_fails_only_its_delivery(container: Container) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "boom.example":
            raise RuntimeError("transport blew up")
        if request.url.host == "nul.example":
            return httpx.Response(500, text="bad\x00answer")
        return httpx.Response(204)

    async with container.uow() as uow:
        await uow.conn.execute(insert(hub_listener), [
            {"id": host, "api": "productOrder", "channel": "sonata", "buyer_id": "buyer-a",
             "callback": f"https://{host}", "query": None, "created_at": datetime.now(UTC)}
            for host in ("boom.example", "nul.example", "ok.example")])
        await uow.commit()
    await _event(container, "buyer-a", "order-a")
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        container.http, old = http, container.http
        try:
            relay = container.relay(max_attempts=3)
            await relay.drain(rounds=2)
        finally:
            container.http = old
    async with container.uow() as uow:
        rows = {r["listener_id"]: r for r in (await uow.conn.execute(select(delivery))).mappings().all()}
    assert rows["ok.example"]["state"] == "delivered"
    assert rows["boom.example"]["state"] == "pending" and "RuntimeError" in rows["boom.example"]["last_error"]
    assert rows["nul.example"]["attempts"] == 1 and "\x00" not in rows["nul.example"]["last_error"]


@pytest.mark.parametrize("callback", [
    "http://[zz]/x", "http://buyer.example/a\r\nb", "http://buyer.example/" + "a" * 65_000, "ftp://buyer.example",
    "http://user:pw@buyer.example/", "http://buyer.example/#frag", "http://buyer.example:99999/",
    "http://buyer.example:0/", "http://buyer.example:/", "http:///nohost", "http://buyer example/",
    "http://bad_host!.example/", "//buyer.example/x", "javascript:alert(1)", "http://büyer.example/",
])
async def test_registration_refuses_what_the_url_policy_refuses(client: httpx.AsyncClient, callback: str) -> None:
    r = await client.post(ORDER_HUB, headers=BUYER_A, json={"callback": callback})
    assert r.status_code == 400, r.text
    assert assert_mef_response(r, "productOrder", "/hub", "post")["code"] == "invalidBody"


async def test_registration_accepts_any_case_scheme_ports_and_ip_literals(client: httpx.AsyncClient) -> None:
    for callback in ("HTTPS://Buyer.Example:8443/base/", "Http://192.0.2.10/x", "http://[2001:db8::1]:8080",
                     "http://127.0.0.1:9000/"):  # loopback is fine outside production mode
        r = await client.post(ORDER_HUB, headers=BUYER_A, json={"callback": callback})
        assert r.status_code == 201, (callback, r.text)
        assert r.json()["callback"] == callback


def test_the_listener_path_cannot_be_replaced_by_a_query() -> None:
    url = listener_url("https://buyer.example/base/?token=1", "productOrder", "sonata",
                       "productOrderStateChangeEvent")
    assert url == ("https://buyer.example/base/mefApi/sonata/productOrderingNotification/v10/listener/"
                   "productOrderStateChangeEvent?token=1")
    assert listener_url("HTTP://[2001:db8::1]:81", "poq", "cantata", "poqCreateEvent").startswith(
        "http://[2001:db8::1]:81/mefApi/cantata/")
    with pytest.raises(BadRequest):
        listener_url("https://buyer.example/#x", "poq", "sonata", "poqCreateEvent")


@pytest.mark.parametrize("host", ["127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "[::1]",
                                  "[fd00:ec2::254]", "[::ffff:127.0.0.1]", "100.64.0.1", "0.0.0.0", "localhost",
                                  "metadata.google.internal", "printer.local"])
def test_production_refuses_internal_targets_at_registration(host: str) -> None:
    policy = TargetPolicy.of(production=True)
    with pytest.raises(BadRequest):
        policy.check_registration(parse_callback(f"http://{host}/hook"))
    TargetPolicy.of(production=False).check_registration(parse_callback(f"http://{host}/hook"))
    allowed = host.strip("[]") if host[0].isalpha() else str(ipaddress.ip_network(host.strip("[]")))
    TargetPolicy.of(production=True, allowed=[allowed]).check_registration(parse_callback(f"http://{host}/hook"))


async def test_production_checks_the_resolved_address_at_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {"rebind.example": "127.0.0.1", "public.example": "93.184.216.34"}

    async def fake_getaddrinfo(self, host, port, **kw):  # type: ignore[no-untyped-def]
        return [(2, 1, 6, "", (answers[host], port))]

    monkeypatch.setattr("asyncio.base_events.BaseEventLoop.getaddrinfo", fake_getaddrinfo)
    policy = TargetPolicy.of(production=True)
    policy.check_registration(parse_callback("http://rebind.example/"))  # a name passes registration...
    with pytest.raises(TargetRefused):  # ...but not delivery, once it resolves inside
        await policy.resolve(parse_callback("http://rebind.example/"))
    assert str(await policy.resolve(parse_callback("http://public.example/"))) == "93.184.216.34"
    assert await TargetPolicy.of(production=True, allowed=["127.0.0.0/8"]).resolve(
        parse_callback("http://rebind.example/")) is not None


async def test_a_production_relay_connects_to_the_checked_address(container: Container,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {"rebind.example": "127.0.0.1", "public.example": "93.184.216.34"}

    async def fake_getaddrinfo(self, host, port, **kw):  # type: ignore[no-untyped-def]
        return [(2, 1, 6, "", (answers[host], port))]

    monkeypatch.setattr("asyncio.base_events.BaseEventLoop.getaddrinfo", fake_getaddrinfo)
    seen: list[tuple[str, str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers["host"], request.extensions.get("sni_hostname")))
        return httpx.Response(204)

    async with container.uow() as uow:
        await uow.conn.execute(insert(hub_listener), [
            {"id": host, "api": "productOrder", "channel": "sonata", "buyer_id": "buyer-a",
             "callback": f"https://{host}/cb", "query": None, "created_at": datetime.now(UTC)}
            for host in answers])
        await uow.commit()
    await _event(container, "buyer-a", "order-a")
    container.settings.mode = "production"
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        container.http, old = http, container.http
        try:
            await container.relay(max_attempts=1).drain(rounds=2)
        finally:
            container.http, container.settings.mode = old, "demo"
    assert [(u.split("/")[2], h, sni) for u, h, sni in seen] == [("93.184.216.34", "public.example", "public.example")]
    async with container.uow() as uow:
        rows = {r["listener_id"]: r for r in (await uow.conn.execute(select(delivery))).mappings().all()}
    assert rows["rebind.example"]["state"] == "dead" and "refused" in rows["rebind.example"]["last_error"]


async def test_production_registration_refuses_internal_targets(client: httpx.AsyncClient,
                                                                container: Container) -> None:
    container.settings.mode = "production"
    try:
        r = await client.post(ORDER_HUB, headers=BUYER_A, json={"callback": "http://169.254.169.254/latest"})
        assert r.status_code == 400
        assert "internal" in assert_mef_response(r, "productOrder", "/hub", "post")["reason"]
        container.settings.listener_allowed_targets = ["169.254.169.254/32"]
        r = await client.post(ORDER_HUB, headers=BUYER_A, json={"callback": "http://169.254.169.254/latest"})
        assert r.status_code == 201
    finally:
        container.settings.mode, container.settings.listener_allowed_targets = "demo", []


@pytest.mark.parametrize("name", ["demo_seller.yaml", "chain/b_lion_city.yaml"])
def test_production_mode_refuses_the_demo_api_keys(name: str) -> None:
    from counterpoint.bootstrap import build
    from counterpoint.profiles.credentials import DemoCredentials
    from counterpoint.settings import DEMO_PROFILE, Settings

    path = DEMO_PROFILE.parent / name
    with pytest.raises(DemoCredentials, match="demo API keys"):
        build(Settings(mode="production", api_key_salt="s3cret", profile=path,
                       database_url="sqlite+aiosqlite:///:memory:"))
    build(Settings(profile=path, database_url="sqlite+aiosqlite:///:memory:"))  # demo mode takes them
