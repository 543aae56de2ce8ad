"""The Sonata adapter's trouble tickets and visits against our own Seller (MEF 124, MEF 137 over its ASGI app):
what it sends is what the Seller stores (checked against the envelopes), what it reads maps into our ticket
states, and the Seller's own lifecycle (acknowledged, inProgress, pending, resolved, reopened, closed) is seen
through it on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import yaml

from counterpoint.api.app import create_app
from counterpoint.bootstrap import Container
from counterpoint.contracts.sonata.trouble_ticket_v4 import TroubleTicketStatusType
from counterpoint.core.orchestration.ticket_supply import Slot, TicketRequest, TicketState
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.profiles.loader import load_profile
from counterpoint.settings import DEMO_PROFILE
from counterpoint.suppliers.mef_sonata import mapping
from counterpoint.suppliers.mef_sonata.adapter import SonataAdapter
from counterpoint.workers.trouble_ticket import TroubleTicketWorker
from tests.helpers import BUYER_A, BUYER_B, assert_mef_response
from tests.suppliers.test_mef_sonata import DESK, SELLER_URL, lion, no_sleep

TT = "/mefApi/sonata/troubleTicket/v4"
PRODUCT = "tt-prod-ael"


@pytest.fixture
def profile(tmp_path: Path) -> SellerProfile:
    doc = yaml.safe_load(DEMO_PROFILE.read_text())
    doc.pop("maintenance", None)
    doc["inventory"] = [{"id": PRODUCT, "buyer": "buyer-a", "offering": "ael-sg",
                         "places": [{"address": "addr-sg-raffles"}]}]
    path = tmp_path / "assurance.yaml"
    path.write_text(yaml.safe_dump(doc))
    return load_profile(path)


@pytest.fixture
async def seller(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(container, manage_lifecycle=False))
    async with httpx.AsyncClient(transport=transport, base_url=SELLER_URL) as client:
        yield client


@pytest.fixture
async def adapter(seller: httpx.AsyncClient, clock: ManualClock) -> AsyncIterator[SonataAdapter]:
    a = SonataAdapter(lion(), clock=clock, client=seller, sleep=no_sleep, buyer=DESK)
    yield a
    await a.aclose()


async def run(container: Container, clock: ManualClock, hours: float) -> None:
    worker = TroubleTicketWorker(container)
    end = clock.now() + timedelta(hours=hours)
    while clock.now() < end:
        clock.advance(timedelta(minutes=15))
        while await worker.run_once():
            pass


def report(our_ref: str = "cp-tt-1", **extra: object) -> TicketRequest:
    values: dict[str, object] = {"our_ref": our_ref, "correlation_id": f"corr-{our_ref}",
                                 "product_ref": ExternalRef("lion", PRODUCT, "product"),
                                 "description": "no traffic on the last mile", "priority": "critical",
                                 "severity": "extensive"}
    return TicketRequest(**{**values, **extra})  # type: ignore[arg-type]


async def stored(seller: httpx.AsyncClient, ticket_id: str) -> dict[str, object]:
    r = await seller.get(f"{TT}/troubleTicket/{ticket_id}", headers=BUYER_A)
    return assert_mef_response(r, "troubleTicket", "/troubleTicket/{id}", "get")


def test_every_mef_ticket_status_is_mapped() -> None:
    assert set(mapping.TICKET_STATES) == {s.value for s in TroubleTicketStatusType}


async def test_a_ticket_is_opened_found_resolved_reopened_and_closed(
        adapter: SonataAdapter, seller: httpx.AsyncClient, container: Container, clock: ManualClock) -> None:
    opened = await adapter.open_ticket(report())
    assert (opened.state, opened.raw_state, opened.our_ref) == (TicketState.OPEN, "acknowledged", "cp-tt-1")
    assert opened.ref == ExternalRef("lion", opened.ref.value, "troubleTicket")
    doc = await stored(seller, opened.ref.value)
    assert doc["externalId"] == "cp-tt-1" and doc["relatedEntity"] == [
        {"id": PRODUCT, "role": "affectedProduct", "@referredType": "Product"}]
    assert [c["role"] for c in doc["relatedContactInformation"]][0] == "reporterContact"
    r = await seller.get(f"{TT}/troubleTicket/{opened.ref.value}", headers=BUYER_B)
    assert r.status_code == 404  # another buyer does not see it
    assert (await adapter.find_ticket("cp-tt-1")).ref == opened.ref
    assert await adapter.find_ticket("cp-tt-none") is None

    await run(container, clock, 0.5)
    assert (await adapter.get_ticket(opened.ref)).state is TicketState.INVESTIGATING
    await run(container, clock, 4)  # critical: 4 hours
    resolved = await adapter.get_ticket(opened.ref)
    assert resolved.state is TicketState.RESOLVED and resolved.resolved_at is not None
    assert resolved.as_of == resolved.resolved_at

    reopened = await adapter.reopen_ticket(opened.ref, reason="our end-to-end test still fails")
    assert (reopened.state, reopened.raw_state, reopened.reopened) == (TicketState.INVESTIGATING, "reopened", True)
    doc = await stored(seller, opened.ref.value)
    assert doc["note"][-1]["author"] == "closureRejection"  # R46: our reason, as the Seller records it
    await run(container, clock, 5)
    assert (await adapter.get_ticket(opened.ref)).state is TicketState.RESOLVED
    closed = await adapter.close_ticket(opened.ref)
    assert (closed.state, closed.raw_state) == (TicketState.CLOSED, "closed")


async def test_an_information_request_is_read_and_answered_with_a_note(
        adapter: SonataAdapter, seller: httpx.AsyncClient, container: Container, clock: ManualClock) -> None:
    opened = await adapter.open_ticket(report(description="intermittent drops since Monday"))
    await run(container, clock, 0.5)
    asked = await adapter.get_ticket(opened.ref)
    assert asked.state is TicketState.WAITING_FOR_BUYER
    assert asked.information_required == "the times the service dropped in the last 24 hours and a traceroute " \
                                         "from the CPE"
    answered = await adapter.add_ticket_note(opened.ref, note_id="cp-tt-1-a1", text="Drops at 09:10 and 09:40.")
    assert answered.state is TicketState.INVESTIGATING  # R37: the Seller goes on
    again = await adapter.add_ticket_note(opened.ref, note_id="cp-tt-1-a1", text="Drops at 09:10 and 09:40.")
    doc = await stored(seller, opened.ref.value)
    assert [n["id"] for n in doc["note"] if n["source"] == "buyer"] == ["cp-tt-1-a1"]  # not twice
    assert again.ref == opened.ref


async def test_a_cancelled_ticket_is_assessed(adapter: SonataAdapter, container: Container,
                                              clock: ManualClock) -> None:
    opened = await adapter.open_ticket(report("cp-tt-2"))
    assessing = await adapter.cancel_ticket(opened.ref)
    assert (assessing.state, assessing.raw_state) == (TicketState.CANCELLING, "assessingCancellation")
    await run(container, clock, 1.5)
    assert (await adapter.get_ticket(opened.ref)).state is TicketState.CANCELLED


async def test_a_repair_visit_is_booked_through_mef_137(
        adapter: SonataAdapter, seller: httpx.AsyncClient, container: Container, clock: ManualClock) -> None:
    opened = await adapter.open_ticket(report("VISIT-cp-1"))  # the demo Seller sends a technician for these
    await run(container, clock, 0.5)
    waiting = await adapter.get_ticket(opened.ref)
    assert waiting.state is TicketState.WAITING_FOR_BUYER
    [work_order] = waiting.work_orders
    view = await adapter.get_work_order(work_order)
    assert view.appointment_required and not view.appointments
    assert await adapter.find_appointment(work_order) is None
    now = clock.now()
    slots = await adapter.search_time_slots(work_order, [Slot(now, now + timedelta(days=7))])
    assert slots and all(now <= s.start < s.end <= now + timedelta(days=7) for s in slots)
    booked = await adapter.book_appointment(work_order, slots[0], note="booked by the buyer",
                                            site_contact={"name": "Dewi", "number": "+62 21 555 0101",
                                                          "emailAddress": "dewi@nusantara.example"})
    assert (booked.slot, booked.work_order, booked.raw_state) == (slots[0], work_order, "confirmed")
    r = await seller.get(f"/mefApi/sonata/appointment/v2/appointment/{booked.ref.value}", headers=BUYER_A)
    appointment = assert_mef_response(r, "appointment", "/appointment/{id}", "get")
    assert {c["role"]: c["name"] for c in appointment["relatedContactInformation"]}["appointmentPlaceContact"] \
        == "Dewi"
    assert (await adapter.find_appointment(work_order)).ref == booked.ref
    await run(container, clock, 0.5)
    assert (await adapter.get_ticket(opened.ref)).state is TicketState.INVESTIGATING  # R15: planned, work goes on
