"""An order item a technician installs (profile scenario `installationVisit`): the Seller opens an MEF 137 work
order for it, the Buyer books the visit, and the item completes only after the work order has (SQLite and
PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from counterpoint.bootstrap import Container
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.shared.times import iso
from counterpoint.core.workforce import services as wf
from counterpoint.workers.fulfilment import FulfilmentWorker
from counterpoint.workers.workforce import WorkforceWorker
from tests.api.workforce_support import booking, call, search
from tests.builders import ORDER_BASE, add_item, order_body
from tests.helpers import BUYER_A, assert_mef_response

DAY = timedelta(days=1)


async def order_item(client: httpx.AsyncClient, order_id: str) -> dict[str, object]:
    r = await client.get(f"{ORDER_BASE}/productOrder/{order_id}", headers=BUYER_A)
    body = assert_mef_response(r, "productOrder", "/productOrder/{id}", "get")
    return body["productOrderItem"][0]  # type: ignore[no-any-return]


async def test_the_item_waits_for_its_installation_visit(client: httpx.AsyncClient, container: Container,
                                                        clock: ManualClock) -> None:
    r = await client.post(f"{ORDER_BASE}/productOrder", headers=BUYER_A,
                          json=order_body(add_item(), external_id="VISIT-1"))
    assert r.status_code == 201, r.text
    order_id = r.json()["id"]
    fulfilment, workforce = FulfilmentWorker(container), WorkforceWorker(container)
    await fulfilment.run_once()
    clock.advance(10 * DAY)  # halfway through the 20-day installation: the visit is to be booked
    await fulfilment.run_once()
    found = await call(client, "GET", "sonata", "workOrder", "/workorder",
                       f"/workorder?relatedEntityType=ProductOrderItem&relatedEntityId={order_id}:1", status=200)
    assert len(found) == 1 and found[0]["appointmentRequired"] is True
    assert found[0]["place"] == [{"@type": "GeographicAddressRef", "id": "addr-sg-raffles", "role": "INSTALL_LOCATION"}]
    wo_id = found[0]["id"]
    item = await order_item(client, order_id)
    assert any(wo_id in n["text"] for n in item["note"])  # type: ignore[union-attr, attr-defined]
    clock.advance(10 * DAY)  # the planned completion comes, the visit has not happened: the item waits
    await fulfilment.run_once()
    item = await order_item(client, order_id)
    assert item["state"] == "inProgress"
    assert item["expectedCompletionDate"] > iso(clock.now())  # type: ignore[operator]
    # the Buyer books the first free slot; the technician comes and installs
    body = await call(client, "POST", "sonata", "appointment", "/searchTimeSlot", "/searchTimeSlot", status=201,
                      json=search(wo_id, (clock.now(), clock.now() + 7 * DAY)))
    slot = body["availableTimeSlot"][0]["validFor"]
    start = datetime.fromisoformat(slot["startDateTime"].replace("Z", "+00:00"))
    await call(client, "POST", "sonata", "appointment", "/appointment", "/appointment", status=201,
               json=booking(wo_id, start))
    clock.set(start)
    await workforce.run_once()
    clock.advance(timedelta(minutes=90))
    await workforce.run_once()
    await fulfilment.run_once()  # the completion, looking again since, finds the work order completed
    item = await order_item(client, order_id)
    assert item["state"] == "completed"
    r = await client.get(f"{ORDER_BASE}/productOrder/{order_id}", headers=BUYER_A)
    assert r.json()["state"] == "completed"


async def test_an_item_whose_work_orders_were_all_cancelled_fails(client: httpx.AsyncClient, container: Container,
                                                                 clock: ManualClock) -> None:
    r = await client.post(f"{ORDER_BASE}/productOrder", headers=BUYER_A,
                          json=order_body(add_item(), external_id="VISIT-2"))
    order_id = r.json()["id"]
    fulfilment = FulfilmentWorker(container)
    await fulfilment.run_once()
    clock.advance(10 * DAY)
    await fulfilment.run_once()
    found = await call(client, "GET", "sonata", "workOrder", "/workorder",
                       f"/workorder?relatedEntityId={order_id}:1", status=200)
    async with container.uow() as uow:
        await wf.cancel_work_order(uow, clock, container.profile, found[0]["id"], reason="the site was sold")
        await uow.commit()
    clock.advance(10 * DAY)
    await fulfilment.run_once()
    item = await order_item(client, order_id)
    assert item["state"] == "failed"
