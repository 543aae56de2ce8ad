"""No history runs backwards: random mixes of the Seller's scenarios and the Buyer's moves, then every
stateChange list, milestone list and event sequence of every order and charge is checked to be in time order."""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from counterpoint.api.app import create_app
from counterpoint.bootstrap import build
from counterpoint.core.ordering.attributes import order_violations
from counterpoint.core.ordering.model import parse_time
from counterpoint.core.shared.clock import ManualClock
from counterpoint.profiles.loader import load_profile
from counterpoint.settings import DEMO_PROFILE, Settings
from counterpoint.storage.outbox import outbox
from tests.api.test_order_states import EXTRA_SCENARIOS
from tests.api.test_product_order import drive
from tests.builders import ORDER_BASE, add_item, contacts, order_body, uni_config
from tests.helpers import BUYER_A

PREFIXES = ["PO-", "FAIL-", "CHARGE-", "FEES-", "PARTIAL-", "MIX-", "REJECT-", "NOCANCEL-"]
item_spec = st.tuples(st.sampled_from(["ael-sg", "uni-sg"]), st.sampled_from(["addr-sg-raffles",
                                                                               "addr-jkt-sudirman"]))
create = st.tuples(st.just("create"), st.sampled_from(PREFIXES), st.lists(item_spec, min_size=1, max_size=2))
action = st.one_of(
    create,
    st.tuples(st.just("drive"), st.sampled_from([1, 7, 30, 120, 500])),
    st.tuples(st.just("answer"), st.integers(0, 3), st.sampled_from(["accepted", "rejected"])),
    st.tuples(st.just("cancel"), st.integers(0, 3)),
    st.tuples(st.just("modify"), st.integers(0, 3), st.integers(-2, 40)),
)
scenario = st.tuples(create, st.lists(action, min_size=2, max_size=7))


def ordered(stamps: list[str | None], what: str) -> None:
    times = [parse_time(s) for s in stamps]
    assert all(t is not None for t in times), what
    assert times == sorted(times), f"{what} runs backwards: {stamps}"  # type: ignore[type-var]


async def play(first: tuple, actions: list[tuple]) -> None:
    clock = ManualClock()
    profile = load_profile(DEMO_PROFILE)
    profile = dataclasses.replace(profile, scenarios=profile.scenarios + EXTRA_SCENARIOS)
    with tempfile.TemporaryDirectory() as tmp:
        c = build(Settings(database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'cp.db'}", run_workers=False,
                           public_base_url="http://seller.test"), clock=clock, profile=profile,
                  http_factory=lambda: httpx.AsyncClient(transport=httpx.MockTransport(
                      lambda r: httpx.Response(204))))
        await c.start()
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(c, manage_lifecycle=False)),
                                         base_url="http://seller.test") as client:
                await _run(client, c, clock, [first, *actions])
                await _check(client, c)
        finally:
            await c.close()


async def _run(client: httpx.AsyncClient, c: Any, clock: ManualClock, actions: list[tuple]) -> None:
    ids: list[str] = []
    for n, act in enumerate(actions):
        kind = act[0]
        if kind == "create":
            items = [add_item(str(i), offering=o, address=a, **({"product": {
                "productOffering": {"id": o}, "productConfiguration": uni_config(),
                "place": [{"@type": "GeographicAddressRef", "id": a, "role": "INSTALL_LOCATION"}]}}
                if o == "uni-sg" else {})) for i, (o, a) in enumerate(act[2], start=1)]
            r = await client.post(f"{ORDER_BASE}/productOrder", headers=BUYER_A,
                                  json=order_body(*items, external_id=f"{act[1]}{n}"))
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        elif kind == "drive":
            await drive(c, clock, act[1] / 24, step_hours=max(1, act[1] / 8))
        elif kind == "answer" and act[1] < len(ids):
            r = await client.get(f"{ORDER_BASE}/charge", headers=BUYER_A, params={"productOrderId": ids[act[1]]})
            for charge in r.json():
                await client.patch(f"{ORDER_BASE}/charge/{charge['id']}", headers=BUYER_A,
                                   json={"chargeItem": [{"id": "1", "acceptanceIndicator": act[2]}]})
        elif kind == "cancel" and act[1] < len(ids):
            r = await client.post(f"{ORDER_BASE}/cancelProductOrder", headers=BUYER_A, json={
                "productOrder": {"productOrderId": ids[act[1]]}, "cancellationReasonType": "commercial",
                "relatedContactInformation": contacts()})
            assert r.status_code in (201, 422), r.text
        elif kind == "modify" and act[1] < len(ids):
            await client.post(f"{ORDER_BASE}/modifyProductOrderItemRequestedDeliveryDate", headers=BUYER_A, json={
                "productOrderItem": {"productOrderId": ids[act[1]], "productOrderItemId": "1"},
                "requestedCompletionDate": (clock.now() + timedelta(days=act[2])).isoformat()})
        clock.advance(timedelta(minutes=7))
    await drive(c, clock, 45, step_hours=72)


async def _check(client: httpx.AsyncClient, c: Any) -> None:
    orders = (await client.get(f"{ORDER_BASE}/productOrder", headers=BUYER_A, params={"limit": 100})).json()
    for found in orders:
        order = (await client.get(f"{ORDER_BASE}/productOrder/{found['id']}", headers=BUYER_A)).json()
        assert order_violations(order) == [], order["state"]
        ordered([order["orderDate"]] + [s["changeDate"] for s in order["stateChange"]], "order stateChange")
        for item in order["productOrderItem"]:
            ordered([order["orderDate"]] + [s["changeDate"] for s in item["stateChange"]],
                    f"item {item['id']} stateChange")
            ordered([m["date"] for m in item.get("milestone", [])], f"item {item['id']} milestones")
        r = await client.get(f"{ORDER_BASE}/charge", headers=BUYER_A, params={"productOrderId": order["id"]})
        for charge in r.json():
            assert parse_time(charge["creationDate"]) < parse_time(charge["responseDueDate"])
            assert parse_time(charge["creationDate"]) >= parse_time(order["orderDate"])
    async with c.engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.resource_id, outbox.c.occurred_at, outbox.c.event_type)
                                   .order_by(outbox.c.seq))).all()
    by_resource: dict[str, list[Any]] = {}
    for rid, when, _ in rows:
        by_resource.setdefault(rid, []).append(when)
    for rid, times in by_resource.items():
        assert times == sorted(times), f"events of {rid} run backwards"


@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(scenario)
def test_no_history_runs_backwards(case: tuple) -> None:
    asyncio.run(play(*case))
