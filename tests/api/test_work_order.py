"""MEF 137 work orders through the ASGI app (Sonata and Cantata, SQLite and PostgreSQL): opened by the Seller,
read and listed by the Buyer, announced through the outbox, moved by the workforce worker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from counterpoint.bootstrap import Container
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.workforce.model import RelatedEntity, order_item, trouble_ticket
from counterpoint.notifications.relay import OutboxRelay
from counterpoint.workers.workforce import WorkforceWorker
from tests.api.workforce_support import APPOINTMENT, CHANNELS, WORK_ORDER, call, events, listen, open_wo, place
from tests.helpers import BUYER_A, BUYER_B, ListenerRecorder, envelope

ONE, ALL = "/workorder/{id}", "/workorder"


@pytest.mark.parametrize("channel", CHANNELS)
async def test_a_work_order_the_seller_opened_is_read_by_its_buyer_only(
    client: httpx.AsyncClient, container: Container, channel: str
) -> None:
    wo = await open_wo(container, channel=channel)
    body = await call(client, "GET", channel, "workOrder", ONE, f"/workorder/{wo.id}", status=200)
    assert body["id"] == wo.id and body["state"] == "open" and body["appointmentRequired"] is True
    assert body["href"].endswith(f"/mefApi/{channel}/workOrderManagement/v2/workorder/{wo.id}")
    assert body["relatedEntity"] == [{"id": "TT-1", "@referredType": "TroubleTicket", "role": "parentTroubleTicket"}]
    assert {c["role"] for c in body["relatedContactInformation"]} == {"technicalContact", "technician"}  # R53
    assert body["task"] == ["Replace the SFP"] and body["duration"] == {"timeDurationValue": 90,
                                                                        "timeDurationUnits": "MIN"}
    # buyer isolation, interface isolation, unknown ids: all 404
    other = "cantata" if channel == "sonata" else "sonata"
    for headers, ch, path in ((BUYER_B, channel, f"/workorder/{wo.id}"), (BUYER_A, other, f"/workorder/{wo.id}"),
                              (BUYER_A, channel, "/workorder/nope")):
        err = await call(client, "GET", ch, "workOrder", ONE, path, status=404, headers=headers)
        assert err["code"] == "notFound"
    assert await call(client, "GET", channel, "workOrder", ALL, "/workorder", status=200, headers=BUYER_B) == []
    assert await call(client, "GET", other, "workOrder", ALL, "/workorder", status=200) == []


@pytest.mark.parametrize("channel", CHANNELS)
async def test_every_list_filter(client: httpx.AsyncClient, container: Container, channel: str) -> None:
    ticket = await open_wo(container, channel=channel, ticket="TT-9")
    install = await open_wo(container, channel=channel, required=False, related=order_item("PO-1", "1"),
                            places=[{"@type": "GeographicSiteRef", "id": "site-sg-changi-dc", "role": "installSite"},
                                    place("addr-sg-changi")])
    product = await open_wo(container, channel=channel, related=[RelatedEntity("P-7", "Product", "repairedProduct")],
                            places=[place("addr-sg-jurong")])

    async def ids(query: str) -> set[str]:
        found = await call(client, "GET", channel, "workOrder", ALL, f"/workorder?{query}", status=200)
        assert all(set(f) <= {"id", "appointmentRequired", "place", "relatedEntity", "state"} for f in found)
        return {f["id"] for f in found}

    assert await ids("") == {ticket.id, install.id, product.id}
    assert await ids("appointmentRequired=true") == {ticket.id, product.id}
    assert await ids("appointmentRequired=false") == {install.id}
    assert await ids("state=open") == {ticket.id, install.id, product.id}
    assert await ids("state=planned") == set()
    assert await ids("geographicalSiteId=site-sg-changi-dc") == {install.id}
    assert await ids("geographicalAddressId=addr-sg-changi") == {install.id}
    assert await ids("geographicalAddressId=addr-sg-raffles") == {ticket.id}
    assert await ids("relatedEntityType=TroubleTicket") == {ticket.id}
    assert await ids("relatedEntityId=TT-9") == {ticket.id}
    assert await ids("relatedEntityType=ProductOrderItem&relatedEntityId=PO-1:1") == {install.id}
    assert await ids("relatedEntityType=TroubleTicket&relatedEntityId=P-7") == set()  # the same entity, both
    assert await ids("relatedEntityType=Product&appointmentRequired=true") == {product.id}
    r = await client.get(f"/mefApi/{channel}/workOrderManagement/v2/workorder?limit=2&offset=0", headers=BUYER_A)
    assert r.headers["X-Total-Count"] == "3" and r.headers["X-Result-Count"] == "2"
    for bad in ("state=closed", "appointmentRequired=maybe", "offset=-1"):
        await call(client, "GET", channel, "workOrder", ALL, f"/workorder?{bad}", status=400)


@pytest.mark.parametrize("channel", CHANNELS)
async def test_opening_announces_the_work_order_and_the_visit_to_book(
    client: httpx.AsyncClient, container: Container, relay: OutboxRelay, recorder: ListenerRecorder, channel: str
) -> None:
    await listen(client, channel)
    needs_visit = await open_wo(container, channel=channel)
    remote = await open_wo(container, channel=channel, required=False)
    await relay.drain()
    assert events(recorder) == [("workOrderCreateEvent", needs_visit.id),
                                ("workOrderAppointmentRequiredEvent", needs_visit.id),
                                ("workOrderCreateEvent", remote.id)]
    assert recorder.received[0].url == (f"https://buyer.example/hook/mefApi/{channel}/workOrderNotification/v2"
                                        "/listener/workOrderCreateEvent")
    assert recorder.received[0].body["event"]["href"].endswith(f"/workorder/{needs_visit.id}")


async def test_a_work_order_needing_no_visit_runs_on_the_sellers_timeline(
    client: httpx.AsyncClient, container: Container, clock: ManualClock, relay: OutboxRelay,
    recorder: ListenerRecorder
) -> None:
    await listen(client)
    wo = await open_wo(container, required=False)
    worker = WorkforceWorker(container)
    assert await worker.run_once() == 0
    clock.advance(timedelta(hours=4))
    assert await worker.run_once() == 1
    body = await call(client, "GET", "sonata", "workOrder", ONE, f"/workorder/{wo.id}", status=200)
    assert body["state"] == "inProgress"
    clock.advance(timedelta(minutes=90))
    assert await worker.run_once() == 1
    body = await call(client, "GET", "sonata", "workOrder", ONE, f"/workorder/{wo.id}", status=200)
    assert body["state"] == "completed"
    await relay.drain()
    assert events(recorder) == [("workOrderCreateEvent", wo.id), ("workOrderStateChangeEvent", wo.id),
                                ("workOrderStateChangeEvent", wo.id)]


async def test_open_work_order_needs_a_related_entity_and_mef_places(container: Container) -> None:
    with pytest.raises(ValueError, match="relates to at least one entity"):
        await open_wo(container, related=[])
    with pytest.raises(ValueError, match="@type and role"):
        await open_wo(container, places=[{"@type": "GeographicAddressRef", "id": "addr-sg-raffles"}])
    assert trouble_ticket("T", href="h").to_mef()["href"] == "h"


async def test_a_listener_hears_only_the_event_types_it_asked_for(
    client: httpx.AsyncClient, container: Container, relay: OutboxRelay, recorder: ListenerRecorder
) -> None:
    r = await client.post(f"{WORK_ORDER['sonata']}/hub", headers=BUYER_A,
                          json={"callback": "https://buyer.example/hook", "query": "eventType=workOrderCreateEvent"})
    assert r.status_code == 201, r.text
    r = await client.post(f"{WORK_ORDER['sonata']}/hub", headers=BUYER_A,
                          json={"callback": "https://buyer.example/x",
                                "query": "eventType=appointmentStatusChangeEvent"})
    assert r.status_code == 400  # an appointment event type is not the work order API's
    # the guide's other form of the same query: one eventType per parameter
    r = await client.post(f"{WORK_ORDER['sonata']}/hub", headers=BUYER_A, json={
        "callback": "https://buyer.example/both",
        "query": "eventType=workOrderStateChangeEvent&eventType=workOrderAppointmentRequiredEvent"})
    assert r.status_code == 201, r.text
    for bad in ("eventType=workOrderCreateEvent&colour=blue", "eventType=workOrderCreateEvent&"):
        r = await client.post(f"{WORK_ORDER['sonata']}/hub", headers=BUYER_A,
                              json={"callback": "https://buyer.example/x", "query": bad})
        assert r.status_code == 400, bad
    wo = await open_wo(container)
    await relay.drain()
    heard = {(d.url.split("/mefApi/")[0], d.body["eventType"]) for d in recorder.received}
    assert heard == {("https://buyer.example/hook", "workOrderCreateEvent"),
                     ("https://buyer.example/both", "workOrderAppointmentRequiredEvent")}
    assert all(rid == wo.id for _, rid in events(recorder))


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("function", ["appointment", "workOrder"])
async def test_paths_and_operation_ids_are_mefs(client: httpx.AsyncClient, function: str, channel: str) -> None:
    """Each MEF 137 API serves exactly its envelope's operations, under MEF's paths and operation ids."""
    base = (APPOINTMENT if function == "appointment" else WORK_ORDER)[channel]
    ours = (await client.get(f"{base}/openapi.json")).json()["paths"]
    theirs = envelope(function, channel)["paths"]

    def operations(paths: dict[str, Any]) -> set[tuple[str, str, str]]:
        return {(path, method, op["operationId"]) for path, ops in paths.items() for method, op in ops.items()
                if method in ("get", "post", "patch", "delete")}

    assert operations(ours) == operations(theirs)
