"""A supplier's maintenance notice travels up the chain over real HTTP, each provider telling its own customers
with its own incident: C (the last mile) announces planned work on the product it sells B; B relays it to A as
B's incident on the product A bought; A tells the enterprise, on Cantata, as A's incident on the enterprise's
service. The window's start and end follow the same way, and each buyer records the window for its SLA."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from counterpoint.bootstrap import ScaledClock
from counterpoint.core.incident import services as incidents
from counterpoint.core.incident.model import Impact, Incident, IncidentType, Notice
from counterpoint.demo.cluster import Cluster
from counterpoint.demo.scenario import enterprise_view, new_correlation, place_enterprise_order
from counterpoint.emulators.partner_json import WorksIn
from tests.e2e.support import eventually, serving
from tests.e2e.test_supplier_faults import NEVER_POLL, harbour
from tests.helpers import assert_mef_event, assert_mef_response

TIME_SCALE = 259_200  # 3 profile days per real second
ENTERPRISE = {"Authorization": "Bearer demo-key-enterprise"}
A_TICKETS = "/mefApi/cantata/troubleTicket/v4"
HARBOUR = {"Authorization": "Bearer harbour-key-enterprise"}


@pytest.fixture
async def chain(tmp_path: Path) -> AsyncIterator[Cluster]:
    cluster = Cluster.chain(tmp_path, ScaledClock(TIME_SCALE), TIME_SCALE)
    await cluster.start_all()
    try:
        yield cluster
    finally:
        await cluster.stop_all()


def listener_app(received: list[dict[str, Any]]) -> FastAPI:
    """The enterprise's notification listener: keeps every event it is sent."""
    app = FastAPI()

    @app.post("/{path:path}")
    async def listen(path: str, request: Request) -> Response:
        received.append({"path": "/" + path, "body": await request.json()})
        return Response(status_code=204)

    return app


async def relayed(cluster: Cluster, key: str) -> list[Incident]:
    c = cluster[key].container
    assert c is not None
    async with c.uow() as uow:
        return [await uow.incidents.get_unscoped(i) for i in await uow.incidents.ids_where()]


async def test_a_last_mile_maintenance_reaches_the_enterprise_as_our_own_incident(chain: Cluster) -> None:
    received: list[dict[str, Any]] = []
    async with serving(listener_app(received)) as listener, httpx.AsyncClient(base_url=chain["A"].url,
                                                                              timeout=10) as http:
        r = await http.post(f"{A_TICKETS}/hub", headers=ENTERPRISE, json={"callback": f"{listener}/enterprise"})
        assert r.status_code == 201, r.text
        order = await place_enterprise_order(chain, new_correlation())
        await eventually("the enterprise's order completes",
                         lambda: _done(chain, order["id"]), timeout_s=90, every_s=0.1)

        # C announces planned work on the product B bought from it
        c = chain["C"].container
        assert c is not None
        async with c.uow() as uow:
            (c_product,) = await uow.products.live()
        now = c.clock.now()
        notice = Notice(notice_id="c-mw-1", incident_type=IncidentType.MAINTENANCE, impact=Impact.DOWN,
                        start=now + timedelta(days=15), end=now + timedelta(days=16), description="Duct works",
                        closes_at_end=True)
        (c_incident,) = (await incidents.announce(c.uow(), c.clock, c.profile, notice,
                                                  incidents.Targets(product_ids=(c_product.id,)))).incidents
        assert c_incident.buyer_id == "lion-city-metro"

        created = await eventually("the enterprise hears of it", lambda: _events(received, "incidentCreateEvent"),
                                   timeout_s=30)
        (event,) = created
        assert event["path"] == "/enterprise/mefApi/cantata/troubleTicketNotification/v4/listener/" \
                                "incidentCreateEvent"
        assert_mef_event(event["body"], "troubleTicketNotification", "incidentCreateEvent", "cantata")
        ours_id = event["body"]["event"]["id"]
        r = await http.get(f"{A_TICKETS}/incident/{ours_id}", headers=ENTERPRISE)
        doc = assert_mef_response(r, "troubleTicket", "/incident/{id}", "get", "cantata")
        assert r.status_code == 200
        enterprise_product = (await enterprise_view(chain, order["id"]))["productOrderItem"][0]["product"]["id"]
        assert [e["id"] for e in doc["relatedEntity"]] == [enterprise_product]  # the enterprise's service
        assert (doc["incidentType"], doc["impact"]) == ("maintenance", "down")
        assert doc["status"] in ("created", "inProgress")  # C's window opens 5 s after the announcement
        assert doc["situationStartDate"] == c_incident.doc["situationStartDate"]
        assert doc["expectedClosedDate"] == c_incident.doc["expectedClosedDate"]
        r = await http.get(f"{A_TICKETS}/incident", headers=ENTERPRISE, params={"incidentType": "maintenance"})
        assert [i["id"] for i in assert_mef_response(r, "troubleTicket", "/incident", "get", "cantata")] \
            == [ours_id]

        # each hop raised its own incident, keeping its supplier's as the source
        (b_incident,) = await relayed(chain, "B")
        (a_incident,) = await relayed(chain, "A")
        assert b_incident.source_ref == f"merlion-access:{c_incident.id}" and b_incident.buyer_id == \
            "archipelago-telecom"
        assert a_incident.source_ref == f"lion-city-metro:{b_incident.id}" and a_incident.id == ours_id
        assert len({c_incident.id, b_incident.id, a_incident.id}) == 3
        # B's incident names the product A bought from B (A's segment's product reference)
        a = chain["A"].container
        assert a is not None
        async with a.uow() as uow:
            (composite,) = await uow.composites.all()
            (window,) = await uow.sla.maintenance_between(now, now + timedelta(days=20))
        a_segment = next(s for s in composite.segments if s.provider_id == "lion-city-metro")
        assert a_segment.product_ref is not None
        assert b_incident.product_ids == [a_segment.product_ref.value]
        # the window is in A's SLA records as B's, on A's segment from B and on the enterprise's service
        assert (window.provider, window.notice_ref) == ("lion-city-metro", b_incident.id)
        assert window.services == (enterprise_product,) and window.segments == (a_segment.id,)

        # C's window begins and ends on C's clock; the enterprise is told both
        await eventually("the enterprise's incident closes", lambda: _status(http, ours_id, "closed"),
                         timeout_s=40, every_s=0.1)
        await eventually("the closing is notified", lambda: _events(received, "incidentStatusChangeEvent"),
                         timeout_s=20)
        await asyncio.sleep(0.5)  # anything else would have landed by now
        r = await http.get(f"{A_TICKETS}/incident/{ours_id}", headers=ENTERPRISE)
        doc = assert_mef_response(r, "troubleTicket", "/incident/{id}", "get", "cantata")
        assert [s["status"] for s in doc["statusChange"]] == ["created", "inProgress", "closed"]
        types = [e["body"]["eventType"] for e in received]
        assert types == ["incidentCreateEvent", "incidentStatusChangeEvent", "incidentStatusChangeEvent"]
        for e in received:
            assert_mef_event(e["body"], "troubleTicketNotification", e["body"]["eventType"], "cantata")
            assert e["body"]["event"]["id"] == ours_id


async def _done(cluster: Cluster, order_id: str) -> bool:
    return (await enterprise_view(cluster, order_id))["state"] == "completed"


async def _events(received: list[dict[str, Any]], event_type: str) -> list[dict[str, Any]]:
    await asyncio.sleep(0)
    return [e for e in received if e["body"].get("eventType") == event_type]


async def _status(http: httpx.AsyncClient, incident_id: str, status: str, headers: dict[str, str] = ENTERPRISE
                  ) -> bool:
    r = await http.get(f"{A_TICKETS}/incident/{incident_id}", headers=headers)
    return bool(r.status_code == 200 and r.json()["status"] == status)


async def test_a_partner_json_works_notice_reaches_the_customer_as_our_incident(tmp_path: Path) -> None:
    """The same from a partner with its own API: its signed webhook carries the whole works, in its words."""
    async with harbour(tmp_path, poll_s=NEVER_POLL) as h:
        order_id = await h.order()
        await h.completed(order_id, timeout_s=60)
        composite, _, _ = await h.held(order_id)
        (segment,) = [s for s in composite.segments if not s.own]
        assert segment.product_ref is not None
        start = h.clock.now() + timedelta(days=4)
        h.emu.announce_works(WorksIn(kind="PLANNED", service_ids=[segment.product_ref.value],
                                     summary="Street cabinet replacement", effect="DEGRADED",
                                     starts_ms=int(start.timestamp() * 1000),
                                     ends_ms=int((start + timedelta(hours=6)).timestamp() * 1000)))
        async with httpx.AsyncClient(base_url=h.url, timeout=10) as http:
            async def listed() -> list[dict[str, Any]]:
                r = await http.get("/mefApi/cantata/troubleTicket/v4/incident", headers=HARBOUR)
                return assert_mef_response(r, "troubleTicket", "/incident", "get", "cantata")  # type: ignore[no-any-return]

            (found,) = await eventually("Harbour's customer sees the works", listed, timeout_s=30)
            assert (found["incidentType"], found["impact"]) == ("maintenance", "degraded")
            assert [e["id"] for e in found["relatedEntity"]] == [composite.product_id]
            assert "Street cabinet replacement" in found["description"]
            assert not found["id"].startswith("WK-")  # our id, not the partner's
            # the works end on the partner's clock; the customer's incident closes with them
            await eventually("the works to end", lambda: _status(http, found["id"], "closed", HARBOUR),
                             timeout_s=30)
