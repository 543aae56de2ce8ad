"""MEF 137 time slots and appointments through the ASGI app (Sonata and Cantata, SQLite and PostgreSQL): search,
book, list, retrieve, reschedule, cancel, the visit's lifecycle driven by the worker, and concurrent booking."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from typing import Any

import httpx
import pytest

from counterpoint.bootstrap import Container
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.shared.times import iso
from counterpoint.notifications.relay import OutboxRelay
from counterpoint.workers.workforce import WorkforceWorker
from tests.api.workforce_support import (
    APPOINTMENT,
    CHANNELS,
    TUESDAY,
    booking,
    call,
    contact,
    events,
    listen,
    open_wo,
    period,
    search,
)
from tests.helpers import BUYER_A, BUYER_B, ListenerRecorder

SEARCH, ALL, ONE, CANCEL = "/searchTimeSlot", "/appointment", "/appointment/{id}", "/appointment/{id}/cancel"
H = timedelta(hours=1)


async def slots(client: httpx.AsyncClient, channel: str, wo_id: str, start: Any, end: Any) -> list[str]:
    body = await call(client, "POST", channel, "appointment", SEARCH, SEARCH, status=201,
                      json=search(wo_id, (start, end)))
    assert body["workOrder"]["id"] == wo_id and len(body["requestedTimeSlot"]) == 1
    return [s["validFor"]["startDateTime"] for s in body["availableTimeSlot"]]


async def book(client: httpx.AsyncClient, channel: str, wo_id: str, start: Any, *, status: int = 201,
               headers: dict[str, str] = BUYER_A, **extra: Any) -> Any:
    return await call(client, "POST", channel, "appointment", ALL, ALL, status=status, headers=headers,
                      json=booking(wo_id, start, **extra))


async def get_wo(client: httpx.AsyncClient, channel: str, wo_id: str) -> Any:
    return await call(client, "GET", channel, "workOrder", "/workorder/{id}", f"/workorder/{wo_id}", status=200)


async def get_appt(client: httpx.AsyncClient, channel: str, appt_id: str, *, status: int = 200,
                   headers: dict[str, str] = BUYER_A) -> Any:
    return await call(client, "GET", channel, "appointment", ONE, f"/appointment/{appt_id}", status=status,
                      headers=headers)


def problem(body: Any) -> tuple[str, str]:
    (only,) = body
    return only["code"], only["propertyPath"]


# ---- searchTimeSlot ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
async def test_search_offers_free_slots_of_the_calendar_within_the_requested_periods(
    client: httpx.AsyncClient, container: Container, channel: str
) -> None:
    wo = await open_wo(container, channel=channel)
    monday = TUESDAY - 24 * H  # now is Monday 09:00: nothing before Tuesday 09:00 is bookable (24 h lead)
    found = await slots(client, channel, wo.id, monday, monday + 7 * 24 * H)
    # Tuesday's 01:00 slot starts 16 h from now: too soon; then 2-hour slots 01:00-09:00 on weekdays only
    assert found[:4] == ["2026-01-07T01:00:00Z", "2026-01-07T03:00:00Z", "2026-01-07T05:00:00Z",
                         "2026-01-07T07:00:00Z"]
    assert len(found) == 4 * 3  # Wednesday, Thursday, Friday; no weekend
    # only whole slots inside the requested period; several periods are merged in time order
    body = await call(client, "POST", channel, "appointment", SEARCH, SEARCH, status=201, json=search(
        wo.id, (TUESDAY + 50 * H, TUESDAY + 55 * H), (TUESDAY + 24 * H, TUESDAY + 27 * H)))
    assert [s["validFor"] for s in body["availableTimeSlot"]] == [
        period(TUESDAY + 24 * H, TUESDAY + 26 * H), period(TUESDAY + 50 * H, TUESDAY + 52 * H),
        period(TUESDAY + 52 * H, TUESDAY + 54 * H)]
    assert body["workOrder"]["href"].endswith(f"/mefApi/{channel}/workOrderManagement/v2/workorder/{wo.id}")
    # R13: none free (the weekend, outside working hours) is an empty list, not an error
    assert await slots(client, channel, wo.id, TUESDAY + 4 * 24 * H, TUESDAY + 6 * 24 * H) == []
    assert await slots(client, channel, wo.id, TUESDAY + 32 * H, TUESDAY + 47 * H) == []


@pytest.mark.parametrize("channel", CHANNELS)
async def test_search_refuses_other_work_orders_and_bad_periods(
    client: httpx.AsyncClient, container: Container, channel: str
) -> None:
    mine = await open_wo(container, channel=channel)
    theirs = await open_wo(container, channel=channel, buyer_id="buyer-b")
    other = await open_wo(container, channel="cantata" if channel == "sonata" else "sonata")
    for wo_id in (theirs.id, other.id, "nope"):
        body = await call(client, "POST", channel, "appointment", SEARCH, SEARCH, status=422,
                          json=search(wo_id, (TUESDAY, TUESDAY + 48 * H)))
        assert problem(body) == ("referenceNotFound", "/workOrder/id")
    body = await call(client, "POST", channel, "appointment", SEARCH, SEARCH, status=422,
                      json=search(mine.id, (TUESDAY, TUESDAY + 48 * H), (TUESDAY, TUESDAY - H)))
    assert problem(body) == ("invalidValue", "/requestedTimeSlot/1/validFor/endDateTime")
    for bad in ({"workOrder": {"id": mine.id}}, {"requestedTimeSlot": []}, {"workOrder": {"id": mine.id},
                "requestedTimeSlot": [{"validFor": {"startDateTime": "tomorrow", "endDateTime": iso(TUESDAY)}}]}):
        r = await client.post(f"{APPOINTMENT[channel]}{SEARCH}", headers=BUYER_A, json=bad)
        assert r.status_code in (400, 422), r.text


# ---- createAppointment ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
async def test_booking_confirms_the_appointment_plans_the_work_order_and_takes_the_slot(
    client: httpx.AsyncClient, container: Container, relay: OutboxRelay, recorder: ListenerRecorder, channel: str
) -> None:
    await listen(client, channel)
    slot = TUESDAY + 24 * H  # Wednesday 01:00
    first, second, third = [await open_wo(container, channel=channel) for _ in range(3)]
    await relay.drain()
    recorder.received.clear()
    appt = await book(client, channel, first.id, slot, note=[{"id": "n1", "author": "Kate", "date": iso(slot),
                                                              "source": "buyer", "text": "ring twice"}])
    assert appt["status"] == "confirmed" and appt["validFor"] == period(slot, slot + 2 * H)  # R19
    assert appt["workOrder"]["id"] == first.id and appt["relatedPlace"]["id"] == "addr-sg-raffles"
    assert [c["role"] for c in appt["relatedContactInformation"]] == [  # R18
        "buyerAppointmentContact", "appointmentPlaceContact", "sellerAppointmentContact"]
    assert (appt["note"][0]["text"], appt["note"][0]["author"]) == ("ring twice", "buyer-a")  # the caller's note
    assert appt["href"].endswith(f"/mefApi/{channel}/appointment/v2/appointment/{appt['id']}")
    wo = await get_wo(client, channel, first.id)  # R22-R24
    assert wo["state"] == "planned" and wo["appointmentRequired"] is False
    assert [a["id"] for a in wo["appointment"]] == [appt["id"]] and wo["plannedExecutionDate"] == iso(slot)
    assert any(c["role"] == "technician" and c["name"].endswith("technician 1")
               for c in wo["relatedContactInformation"])
    # two technicians: a second visit fits in the slot, then the slot is no longer offered and a third is refused
    assert iso(slot) in await slots(client, channel, second.id, slot, slot + 4 * H)
    await book(client, channel, second.id, slot)
    assert await slots(client, channel, third.id, slot, slot + 4 * H) == [iso(slot + 2 * H)]
    body = await book(client, channel, third.id, slot, status=422)  # R17
    assert problem(body) == ("invalidValue", "/validFor")
    await relay.drain()
    assert events(recorder) == [("workOrderStateChangeEvent", first.id), ("workOrderStateChangeEvent", second.id)]


@pytest.mark.parametrize("channel", CHANNELS)
async def test_booking_refusals_name_what_is_wrong(client: httpx.AsyncClient, container: Container,
                                                   channel: str) -> None:
    wo = await open_wo(container, channel=channel)
    theirs = await open_wo(container, channel=channel, buyer_id="buyer-b")
    slot = TUESDAY + 24 * H
    cases: list[tuple[dict[str, Any], tuple[str, str]]] = [
        (booking(theirs.id, slot), ("referenceNotFound", "/workOrder/id")),
        (booking("nope", slot), ("referenceNotFound", "/workOrder/id")),
        (booking(wo.id, slot, relatedContactInformation=[contact("buyerAppointmentContact")]),
         ("missingProperty", "/relatedContactInformation")),  # R15
        (booking(wo.id, slot, relatedContactInformation=[
            contact("buyerAppointmentContact"), contact("appointmentPlaceContact"),
            contact("sellerAppointmentContact")]), ("unexpectedProperty", "/relatedContactInformation/2/role")),
        (booking(wo.id, slot + H), ("invalidValue", "/validFor")),  # not on the grid (R16)
        (booking(wo.id, slot, hours=4), ("invalidValue", "/validFor")),  # two slots at once
        (booking(wo.id, TUESDAY), ("invalidValue", "/validFor")),  # within the lead time
        (booking(wo.id, TUESDAY + 5 * 24 * H), ("invalidValue", "/validFor")),  # Sunday
        (booking(wo.id, slot, hours=-2), ("invalidValue", "/validFor/endDateTime")),
        ({**booking(wo.id, slot), "validFor": {"startDateTime": "9999-12-31T20:00:00-14:00",
                                               "endDateTime": "9999-12-31T22:00:00-14:00"}},
         ("invalidValue", "/validFor")),
        ({**booking(wo.id, slot), "validFor": {"startDateTime": "2026-01-07T09:00:00+08:00",  # 01:00 UTC: a slot
                                               "endDateTime": "2026-01-07T11:00:00+08:00"}}, None),
    ]
    for body, expected in cases:
        if expected is None:  # the same instant in another zone is the slot: booked, and written in UTC
            answer = await call(client, "POST", channel, "appointment", ALL, ALL, status=201, json=body)
            assert answer["validFor"] == period(slot, slot + 2 * H)
            continue
        answer = await call(client, "POST", channel, "appointment", ALL, ALL, status=422, json=body)
        assert problem(answer) == expected, body
    # R20 and R21: a work order with a confirmed visit takes no second one
    assert problem(await book(client, channel, wo.id, slot + 2 * H, status=422)) == ("invalidValue", "/workOrder/id")
    body = await call(client, "POST", channel, "appointment", ALL, ALL, status=422, json={"workOrder": {"id": wo.id}})
    assert {p["code"] for p in body} == {"missingProperty"}


async def test_two_concurrent_bookings_of_the_last_technician_one_wins(
    client: httpx.AsyncClient, container: Container
) -> None:
    container.profile = dataclasses.replace(
        container.profile, workforce=dataclasses.replace(container.profile.workforce, technicians=1))
    slot = TUESDAY + 24 * H
    for _ in range(3):  # a few rounds: the interleaving differs from one to the next
        a, b = await open_wo(container), await open_wo(container)
        answers = await asyncio.gather(*(
            client.post(f"{APPOINTMENT['sonata']}{ALL}", headers=BUYER_A, json=booking(w.id, slot))
            for w in (a, b)))
        assert sorted(r.status_code for r in answers) == [201, 422], [r.text for r in answers]
        loser = next(r for r in answers if r.status_code == 422)
        assert problem(loser.json()) == ("invalidValue", "/validFor")
        ok = await call(client, "GET", "sonata", "appointment", ALL, f"/appointment?validFor.gt={iso(slot)}"
                        f"&validFor.lt={iso(slot + H)}&status=confirmed", status=200)
        assert len(ok) == 1
        winner = next(r for r in answers if r.status_code == 201).json()
        r = await client.post(f"{APPOINTMENT['sonata']}/appointment/{winner['id']}/cancel", headers=BUYER_A)
        assert r.status_code == 204  # frees the slot for the next round


# ---- listAppointment, retrieveAppointment -----------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
async def test_every_list_filter_and_isolation(client: httpx.AsyncClient, container: Container,
                                               channel: str) -> None:
    wed, thu = TUESDAY + 24 * H, TUESDAY + 48 * H
    raffles = await open_wo(container, channel=channel)
    site = await open_wo(container, channel=channel, places=[
        {"@type": "GeographicSiteRef", "id": "site-sg-raffles-mmr", "role": "appointmentPlace"}])
    cancelled = await open_wo(container, channel=channel, address="addr-sg-jurong")
    a1 = (await book(client, channel, raffles.id, wed))["id"]
    a2 = (await book(client, channel, site.id, thu))["id"]
    a3 = (await book(client, channel, cancelled.id, wed + 2 * H))["id"]
    r = await client.post(f"{APPOINTMENT[channel]}/appointment/{a3}/cancel", headers=BUYER_A)
    assert r.status_code == 204

    async def ids(query: str) -> set[str]:
        found = await call(client, "GET", channel, "appointment", ALL, f"/appointment?{query}", status=200)
        return {f["id"] for f in found}

    assert await ids("") == {a1, a2, a3}
    assert await ids(f"workOrderId={raffles.id}") == {a1}
    assert await ids("status=confirmed") == {a1, a2}
    assert await ids("status=cancelled") == {a3}
    assert await ids("geographicSiteId=site-sg-raffles-mmr") == {a2}
    assert await ids("geographicAddressId=addr-sg-raffles") == {a1}
    assert await ids("geographicAddressId=addr-sg-jurong&status=confirmed") == set()
    # R31: any overlap with the window counts
    assert await ids(f"validFor.gt={iso(wed + H)}") == {a1, a2, a3}
    assert await ids(f"validFor.gt={iso(wed + 2 * H)}") == {a2, a3}
    assert await ids(f"validFor.lt={iso(wed + H)}") == {a1}
    assert await ids(f"validFor.gt={iso(wed + H)}&validFor.lt={iso(wed + 3 * H)}") == {a1, a3}
    assert await ids(f"validFor.gt={iso(thu + 2 * H)}") == set()
    r = await client.get(f"{APPOINTMENT[channel]}/appointment?limit=1", headers=BUYER_A)
    assert r.headers["X-Total-Count"] == "3" and r.headers["X-Result-Count"] == "1"
    for bad in ("status=scheduled", "validFor.gt=yesterday", "validFor.lt=2026-01-01T00:00:00"):
        await call(client, "GET", channel, "appointment", ALL, f"/appointment?{bad}", status=400)
    # the Buyer's own only, on the interface it booked through
    other = "cantata" if channel == "sonata" else "sonata"
    assert await call(client, "GET", channel, "appointment", ALL, "/appointment", status=200, headers=BUYER_B) == []
    assert await call(client, "GET", other, "appointment", ALL, "/appointment", status=200) == []
    shown = await get_appt(client, channel, a1)
    assert shown["id"] == a1 and shown["workOrder"]["href"].endswith(f"/workorder/{raffles.id}")
    for ch, headers in ((channel, BUYER_B), (other, BUYER_A)):
        assert (await get_appt(client, ch, a1, status=404, headers=headers))["code"] == "notFound"
    assert (await get_appt(client, channel, "nope", status=404))["code"] == "notFound"


# ---- patchAppointment -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
async def test_rescheduling_moves_the_visit_to_a_free_slot_and_frees_the_old_one(
    client: httpx.AsyncClient, container: Container, relay: OutboxRelay, recorder: ListenerRecorder, channel: str
) -> None:
    container.profile = dataclasses.replace(
        container.profile, workforce=dataclasses.replace(container.profile.workforce, technicians=1))
    wed = TUESDAY + 24 * H
    wo, other, spare = [await open_wo(container, channel=channel) for _ in range(3)]
    appt = await book(client, channel, wo.id, wed)
    await book(client, channel, other.id, wed + 4 * H)
    await listen(client, channel)
    await relay.drain()
    recorder.received.clear()
    assert await slots(client, channel, spare.id, wed, wed + 6 * H) == [iso(wed + 2 * H)]
    path = f"/appointment/{appt['id']}"
    # the slot another appointment holds is refused (R42), the free one is taken
    body = await call(client, "PATCH", channel, "appointment", ONE, path, status=422,
                      json={"validFor": period(wed + 4 * H, wed + 6 * H)})
    assert problem(body) == ("invalidValue", "/validFor")
    moved = await call(client, "PATCH", channel, "appointment", ONE, path, status=200,
                       json={"validFor": period(wed + 2 * H, wed + 4 * H)})
    assert moved["validFor"] == period(wed + 2 * H, wed + 4 * H) and moved["status"] == "confirmed"
    assert await slots(client, channel, spare.id, wed, wed + 6 * H) == [iso(wed)]  # the old slot is free again
    assert (await get_wo(client, channel, wo.id))["plannedExecutionDate"] == iso(wed + 2 * H)
    await relay.drain()
    assert events(recorder) == [("appointmentAttributeValueChangeEvent", appt["id"])]
    # the same slot again changes nothing and tells nobody
    await call(client, "PATCH", channel, "appointment", ONE, path, status=200,
               json={"validFor": period(wed + 2 * H, wed + 4 * H)})
    await relay.drain()
    assert len(recorder.received) == 1


@pytest.mark.parametrize("channel", CHANNELS)
async def test_patch_appends_notes_replaces_the_buyers_contacts_and_refuses_the_rest(
    client: httpx.AsyncClient, container: Container, channel: str
) -> None:
    wo = await open_wo(container, channel=channel)
    note = {"id": "n1", "author": "Kate", "date": "2026-01-05T10:00:00Z", "source": "buyer", "text": "ring twice"}
    appt = await book(client, channel, wo.id, TUESDAY + 24 * H, note=[note])
    path = f"/appointment/{appt['id']}"
    added = {**note, "id": "n2", "text": "bring a ladder"}
    body = await call(client, "PATCH", channel, "appointment", ONE, path, status=200, json={"note": [note, added]})
    assert [n["id"] for n in body["note"]] == ["n1", "n2"]
    new_place = {**contact("appointmentPlaceContact"), "name": "Night guard"}
    body = await call(client, "PATCH", channel, "appointment", ONE, path, status=200, json={
        "relatedContactInformation": [contact("buyerAppointmentContact"), new_place]})
    assert [c["name"] for c in body["relatedContactInformation"]][1:] == [
        "Night guard", "Lion City Metro Networks field service desk"]  # the Seller's contact stays
    refusals: list[tuple[dict[str, Any], tuple[str, str]]] = [
        ({}, ("missingProperty", "/")),  # R36
        ({"note": [added]}, ("invalidValue", "/note")),  # R43: append only
        ({"relatedContactInformation": [contact("buyerAppointmentContact")]},
         ("missingProperty", "/relatedContactInformation")),
        ({"relatedContactInformation": [contact("buyerAppointmentContact"), new_place,
                                        contact("sellerAppointmentContact")]},
         ("invalidValue", "/relatedContactInformation/2")),
        ({"relatedPlace": {"@type": "GeographicAddressRef", "id": "addr-sg-changi", "role": "appointmentPlace"}},
         ("invalidValue", "/relatedPlace")),
        ({"validFor": period(TUESDAY + 25 * H, TUESDAY + 27 * H)}, ("invalidValue", "/validFor")),
        ({"validFor": None}, ("invalidValue", "/validFor")),  # a merge-patch null would remove it
        ({"relatedContactInformation": None}, ("invalidValue", "/relatedContactInformation")),
        ({"note": None}, ("missingProperty", "/")),
    ]
    attachment = {"name": "plan", "author": "Kate", "source": "buyer", "url": "https://buyer.example/plan.pdf",
                  "description": None}  # a null is left out, never stored (MEF gives no attribute a null)
    body = await call(client, "PATCH", channel, "appointment", ONE, path, status=200,
                      json={"attachment": [attachment]})  # a first attachment is an append too
    assert [(a["name"], a["source"]) for a in body["attachment"]] == [("plan", "buyer")]
    for patch, expected in refusals:
        answer = await call(client, "PATCH", channel, "appointment", ONE, path, status=422, json=patch)
        assert problem(answer) == expected, patch
    for ch, headers in ((channel, BUYER_B), ("cantata" if channel == "sonata" else "sonata", BUYER_A)):
        await call(client, "PATCH", ch, "appointment", ONE, path, status=404, headers=headers,
                   json={"note": [note, added]})


# ---- cancelAppointment ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
async def test_cancelling_frees_the_slot_and_asks_for_a_new_appointment(
    client: httpx.AsyncClient, container: Container, relay: OutboxRelay, recorder: ListenerRecorder, channel: str
) -> None:
    container.profile = dataclasses.replace(
        container.profile, workforce=dataclasses.replace(container.profile.workforce, technicians=1))
    wed = TUESDAY + 24 * H
    wo = await open_wo(container, channel=channel)
    appt = await book(client, channel, wo.id, wed)
    assert iso(wed) not in await slots(client, channel, wo.id, wed, wed + 2 * H)
    await listen(client, channel)
    await relay.drain()
    recorder.received.clear()
    path = f"/appointment/{appt['id']}/cancel"
    for ch, headers in ((channel, BUYER_B), ("cantata" if channel == "sonata" else "sonata", BUYER_A)):
        await call(client, "POST", ch, "appointment", CANCEL, path, status=404, headers=headers)
    assert await call(client, "POST", channel, "appointment", CANCEL, path, status=204) is None
    assert (await get_appt(client, channel, appt["id"]))["status"] == "cancelled"  # R50
    body = await get_wo(client, channel, wo.id)
    assert body["state"] == "open" and body["appointmentRequired"] is True  # R48, R49
    assert await slots(client, channel, wo.id, wed, wed + 2 * H) == [iso(wed)]
    await relay.drain()
    assert events(recorder) == [("appointmentStatusChangeEvent", appt["id"]), ("workOrderStateChangeEvent", wo.id),
                                ("workOrderAppointmentRequiredEvent", wo.id)]
    # R46: only a confirmed appointment; nor can it be patched once cancelled (R40)
    assert problem(await call(client, "POST", channel, "appointment", CANCEL, path, status=422)) == (
        "invalidValue", "/status")
    assert problem(await call(client, "PATCH", channel, "appointment", ONE, f"/appointment/{appt['id']}",
                              status=422, json={"validFor": period(wed, wed + 2 * H)})) == ("invalidValue", "/status")
    # the work order can be booked again, in the slot just freed
    again = await book(client, channel, wo.id, wed)
    assert (await get_wo(client, channel, wo.id))["appointment"][-1]["id"] == again["id"]


# ---- the visit's lifecycle --------------------------------------------------------------------------------------


async def run_visit(client: httpx.AsyncClient, container: Container, clock: ManualClock, address: str
                    ) -> tuple[str, str]:
    wo = await open_wo(container, address=address)
    appt = await book(client, "sonata", wo.id, TUESDAY + 24 * H)
    worker = WorkforceWorker(container)
    while clock.now() < TUESDAY + 30 * H:  # the worker's rounds, every half hour of the visit's day
        clock.advance(H / 2)
        await worker.run_once()
    return wo.id, appt["id"]


async def test_a_visit_that_goes_well_completes_the_appointment_and_the_work_order(
    client: httpx.AsyncClient, container: Container, clock: ManualClock, relay: OutboxRelay,
    recorder: ListenerRecorder
) -> None:
    await listen(client)
    wo = await open_wo(container)
    appt = (await book(client, "sonata", wo.id, TUESDAY + 24 * H))["id"]
    worker = WorkforceWorker(container)
    clock.set(TUESDAY + 24 * H - timedelta(seconds=1))
    assert await worker.run_once() == 0
    clock.set(TUESDAY + 24 * H)
    assert await worker.run_once() == 1  # the technician arrives
    assert (await get_appt(client, "sonata", appt))["status"] == "inProgress"
    assert (await get_wo(client, "sonata", wo.id))["state"] == "inProgress"
    assert problem(await call(client, "POST", "sonata", "appointment", CANCEL, f"/appointment/{appt}/cancel",
                              status=422)) == ("invalidValue", "/status")  # past the point of no return
    clock.advance(timedelta(minutes=90))
    assert await worker.run_once() == 1
    assert (await get_appt(client, "sonata", appt))["status"] == "completed"
    assert (await get_wo(client, "sonata", wo.id))["state"] == "completed"
    assert await worker.run_once() == 0
    await relay.drain()
    assert events(recorder) == [
        ("workOrderCreateEvent", wo.id), ("workOrderAppointmentRequiredEvent", wo.id),
        ("workOrderStateChangeEvent", wo.id),  # planned
        ("appointmentStatusChangeEvent", appt), ("workOrderStateChangeEvent", wo.id),  # inProgress
        ("appointmentStatusChangeEvent", appt), ("workOrderStateChangeEvent", wo.id)]  # completed


@pytest.mark.parametrize(("address", "appointment", "work_order", "follow_up"), [
    ("addr-jkt-kuningan", "missed", "open", False),  # no technician came: book again
    ("addr-sby-tunjungan", "failed", "unableToComplete", True),  # no access: a new work order continues it
    ("addr-sg-changi", "completed", "unableToComplete", True),  # the visit could not do everything
    ("addr-jkt-sudirman", "cancelled", "open", False),  # the Seller called it off beforehand (R27)
])
async def test_the_profiles_visit_scenarios(client: httpx.AsyncClient, container: Container, clock: ManualClock,
                                            relay: OutboxRelay, recorder: ListenerRecorder, address: str,
                                            appointment: str, work_order: str, follow_up: bool) -> None:
    await listen(client)
    wo_id, appt_id = await run_visit(client, container, clock, address)
    await relay.drain()
    told = [t for t, rid in events(recorder) if rid == appt_id]
    # R28 for each move; R29 when the Seller wrote a note on it (why the visit did not happen)
    assert told.count("appointmentStatusChangeEvent") == (1 if appointment == "cancelled" else 2)
    assert ("appointmentAttributeValueChangeEvent" in told) is (appointment in ("missed", "failed", "cancelled"))
    appt = await get_appt(client, "sonata", appt_id)
    wo = await get_wo(client, "sonata", wo_id)
    assert (appt["status"], wo["state"]) == (appointment, work_order)
    assert wo["appointmentRequired"] is (work_order == "open")
    found = await call(client, "GET", "sonata", "workOrder", "/workorder", "/workorder?state=open", status=200)
    later = [f for f in found if f["id"] != wo_id]
    assert len(later) == int(follow_up)
    if follow_up:  # same entities and place, a visit to book, and its first visit goes as planned
        assert later[0]["relatedEntity"] == wo["relatedEntity"] and later[0]["place"] == wo["place"]
        assert later[0]["appointmentRequired"] is True
    if work_order == "open":  # the rebooked visit goes as planned
        clock.set(TUESDAY + 3 * 24 * H)
        again = await book(client, "sonata", wo_id, TUESDAY + 6 * 24 * H)  # next Monday
        worker = WorkforceWorker(container)
        clock.set(TUESDAY + 6 * 24 * H)
        await worker.run_once()
        clock.advance(2 * H)
        await worker.run_once()
        assert (await get_appt(client, "sonata", again["id"]))["status"] == "completed"
        assert (await get_wo(client, "sonata", wo_id))["state"] == "completed"
