"""Shared by the MEF 137 API tests: work orders opened as the Seller would, bodies, and checked calls."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from counterpoint.bootstrap import Container
from counterpoint.core.shared.times import iso
from counterpoint.core.workforce import services as workforce
from counterpoint.core.workforce.model import RelatedEntity, WorkOrder, trouble_ticket
from tests.helpers import BUYER_A, ListenerRecorder, assert_mef_event, assert_mef_response, validate_against

APPOINTMENT = {"sonata": "/mefApi/sonata/appointment/v2", "cantata": "/mefApi/cantata/appointment/v2"}
WORK_ORDER = {"sonata": "/mefApi/sonata/workOrderManagement/v2", "cantata": "/mefApi/cantata/workOrderManagement/v2"}
CHANNELS = ("sonata", "cantata")
# The demo profile's calendar (UTC): Monday to Friday, 01:00 to 09:00, 2-hour slots, 2 technicians, 24 h lead. The
# test clock starts on Monday 2026-01-05 09:00, so the first bookable slot is Tuesday 01:00.
TUESDAY = datetime.fromisoformat("2026-01-06T01:00:00+00:00")


def place(address: str = "addr-sg-raffles") -> dict[str, Any]:
    return {"@type": "GeographicAddressRef", "id": address, "role": "appointmentPlace"}


async def open_wo(container: Container, *, buyer_id: str = "buyer-a", channel: str = "sonata",
                  required: bool = True, address: str = "addr-sg-raffles", ticket: str = "TT-1",
                  related: list[RelatedEntity] | None = None, places: list[dict[str, Any]] | None = None
                  ) -> WorkOrder:
    async with container.uow() as uow:
        wo = await workforce.open_work_order(
            uow, container.clock, container.profile, buyer_id=buyer_id, channel=channel,
            related=[trouble_ticket(ticket)] if related is None else related,
            places=[place(address)] if places is None else places,
            correlation_id="corr-1", appointment_required=required, tasks=["Replace the SFP"])
        await uow.commit()
    return wo


def period(start: datetime, end: datetime) -> dict[str, str]:
    return {"startDateTime": iso(start), "endDateTime": iso(end)}


def contact(role: str) -> dict[str, Any]:
    return {"role": role, "name": f"{role} person", "emailAddress": "ops@buyer.example", "number": "+65 6000 1111"}


def booking(wo_id: str, start: datetime, *, hours: int = 2, **extra: Any) -> dict[str, Any]:
    return {"workOrder": {"id": wo_id}, "validFor": period(start, start + timedelta(hours=hours)),
            "relatedContactInformation": [contact("buyerAppointmentContact"), contact("appointmentPlaceContact")],
            **extra}


def search(wo_id: str, *periods: tuple[datetime, datetime]) -> dict[str, Any]:
    return {"workOrder": {"id": wo_id}, "requestedTimeSlot": [{"validFor": period(s, e)} for s, e in periods]}


async def call(client: httpx.AsyncClient, method: str, channel: str, function: str, template: str, path: str, *,
               status: int, headers: dict[str, str] = BUYER_A, **kw: Any) -> Any:
    base = (APPOINTMENT if function == "appointment" else WORK_ORDER)[channel]
    r = await client.request(method, f"{base}{path}", headers=headers, **kw)
    assert r.status_code == status, r.text
    if function == "workOrder" and template == "/workorder" and r.status_code == 200:
        return list_work_orders_checked(r, channel)
    return assert_mef_response(r, function, template, method, channel)


def list_work_orders_checked(r: httpx.Response, channel: str) -> list[dict[str, Any]]:
    """MEF's listWorkOrder 200 names one WorkOrder_Find where R51 and every other list answer an array of them:
    each item is checked against WorkOrder_Find, the rest of the response as assert_mef_response would."""
    assert r.headers["content-type"] == "application/json;charset=utf-8"
    body = r.json()
    assert isinstance(body, list)
    for item in body:
        validate_against("workOrder", channel, {"$ref": "#/components/schemas/WorkOrder_Find"}, item)
    assert r.headers["X-Result-Count"] == str(len(body))
    return body  # type: ignore[no-any-return]


def events(recorder: ListenerRecorder) -> list[tuple[str, str]]:
    """(eventType, resource id) of every notification, each checked against its notification envelope."""
    out = []
    for d in recorder.received:
        family = "appointmentNotification" if d.body["eventType"].startswith("appointment") \
            else "workOrderNotification"
        channel = "cantata" if "/mefApi/cantata/" in d.url else "sonata"
        assert_mef_event(d.body, family, d.body["eventType"], channel)
        out.append((d.body["eventType"], d.body["event"]["id"]))
    return out


async def listen(client: httpx.AsyncClient, channel: str = "sonata") -> None:
    for base in (APPOINTMENT[channel], WORK_ORDER[channel]):
        r = await client.post(f"{base}/hub", headers=BUYER_A, json={"callback": "https://buyer.example/hook"})
        assert r.status_code == 201, r.text
