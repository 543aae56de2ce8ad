"""The partner-json adapter's trouble tickets ("faults") and visits against its emulator, over real HTTP: the
partner's own words mapped into our ticket states, idempotency by our reference, questions, disputes, visits and
its signed webhooks."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from counterpoint.core.orchestration.supply import CallbackRejected, SegmentState, Source
from counterpoint.core.orchestration.ticket_supply import TicketRequest, TicketState
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.emulators.partner_json import FAULT_STATUSES, PartnerEmulator, create_app, sign
from counterpoint.suppliers.partner_json import mapping
from counterpoint.suppliers.partner_json.adapter import PartnerJsonAdapter
from tests.e2e.support import serving
from tests.suppliers.test_partner_json import DAY, KEY, PROVIDER, SECRET, T0, advance, provider, segment


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def emulator(clock: ManualClock) -> PartnerEmulator:
    return PartnerEmulator(now=clock.now, api_key=KEY)


@pytest.fixture
async def adapter(emulator: PartnerEmulator, clock: ManualClock) -> AsyncIterator[PartnerJsonAdapter]:
    async def no_wait(_: float) -> None:
        return None

    async with serving(create_app(emulator)) as url:
        a = PartnerJsonAdapter(provider(url), clock=clock, sleep=no_wait)
        yield a
        await a.aclose()


@pytest.fixture
async def service(adapter: PartnerJsonAdapter, emulator: PartnerEmulator, clock: ManualClock
                  ) -> AsyncIterator[ExternalRef]:
    """A live circuit: its service id, as our segment's product ref holds it."""
    obs = await adapter.place_order(segment())
    await advance(clock, emulator, 30 * DAY)
    live = await adapter.get_order(obs.ref)
    assert live.state is SegmentState.DELIVERED and live.product_ref is not None
    yield live.product_ref


def report(product: ExternalRef, our_ref: str = "cp-ticket-1") -> TicketRequest:
    return TicketRequest(our_ref=our_ref, correlation_id="corr-t", product_ref=product,
                         description="frame loss on the last mile", observed_impact="degraded",
                         issue_start=T0 + 30 * DAY - timedelta(hours=1))


def test_every_fault_status_is_mapped() -> None:
    assert set(mapping.FAULT_STATES) == set(FAULT_STATUSES)
    obs = mapping.observe_fault({"fault_id": "F", "status": "ON_FIRE"}, provider=PROVIDER, source=Source.POLL,
                                observed_at=T0)
    assert obs.state is TicketState.UNRECOGNISED and "ON_FIRE" in (obs.reason or "")


async def test_a_fault_is_opened_once_per_reference_and_worked_to_cleared(
        adapter: PartnerJsonAdapter, emulator: PartnerEmulator, clock: ManualClock, service: ExternalRef) -> None:
    opened = await adapter.open_ticket(report(service))
    assert (opened.state, opened.raw_state, opened.our_ref) == (TicketState.OPEN, "LOGGED", "cp-ticket-1")
    assert opened.ref.kind == "troubleTicket" and opened.ref.value.startswith("FLT-")
    fault = emulator.fault_tickets[opened.ref.value]
    assert (fault.service_id, fault.impact) == (service.value, "DEGRADED")
    again = await adapter.open_ticket(report(service))  # a resend after a lost answer: the same fault
    assert again.ref == opened.ref and len(emulator.fault_tickets) == 1
    assert (await adapter.find_ticket("cp-ticket-1")).ref == opened.ref
    assert await adapter.find_ticket("cp-unknown") is None

    await advance(clock, emulator, timedelta(hours=1))
    assert (await adapter.get_ticket(opened.ref)).state is TicketState.INVESTIGATING
    await advance(clock, emulator, timedelta(hours=4))
    cleared = await adapter.get_ticket(opened.ref)
    assert (cleared.state, cleared.raw_state) == (TicketState.RESOLVED, "CLEARED")
    assert cleared.resolved_at == T0 + 30 * DAY + timedelta(minutes=30, hours=4)  # triage + the repair time

    disputed = await adapter.reopen_ticket(opened.ref, reason="our test still fails")
    assert (disputed.state, disputed.reopened) == (TicketState.INVESTIGATING, True)
    assert emulator.fault_tickets[opened.ref.value].messages[-1]["body"] == "our test still fails"
    await advance(clock, emulator, timedelta(hours=5))
    assert (await adapter.get_ticket(opened.ref)).state is TicketState.RESOLVED
    closed = await adapter.close_ticket(opened.ref)
    assert (closed.state, closed.raw_state) == (TicketState.CLOSED, "CLOSED")
    assert (await adapter.close_ticket(opened.ref)).state is TicketState.CLOSED  # confirming twice is harmless


async def test_a_question_waits_for_our_message(adapter: PartnerJsonAdapter, emulator: PartnerEmulator,
                                                clock: ManualClock, service: ExternalRef) -> None:
    emulator.behaviour.fault_question = "Please confirm site access for Tuesday"
    opened = await adapter.open_ticket(report(service))
    await advance(clock, emulator, timedelta(hours=1))
    asked = await adapter.get_ticket(opened.ref)
    assert (asked.state, asked.information_required) == (TicketState.WAITING_FOR_BUYER,
                                                         "Please confirm site access for Tuesday")
    answered = await adapter.add_ticket_note(opened.ref, note_id="n-1", text="Access confirmed, ask for Ana")
    again = await adapter.add_ticket_note(opened.ref, note_id="n-1", text="Access confirmed, ask for Ana")
    assert answered.state is TicketState.INVESTIGATING and len(emulator.fault_tickets[opened.ref.value].messages) == 1
    assert again.information_required is None
    assert [n.text for n in answered.notes if n.source == "buyer"] == ["Access confirmed, ask for Ana"]


async def test_a_visit_is_booked_on_the_fault(adapter: PartnerJsonAdapter, emulator: PartnerEmulator,
                                              clock: ManualClock, service: ExternalRef) -> None:
    emulator.behaviour.fault_visit = True
    opened = await adapter.open_ticket(report(service))
    await advance(clock, emulator, timedelta(hours=1))
    obs = await adapter.get_ticket(opened.ref)
    [work_order] = obs.work_orders
    assert work_order == ExternalRef(PROVIDER, opened.ref.value, "workOrder")
    view = await adapter.get_work_order(work_order)
    assert view.appointment_required and not view.appointments
    assert await adapter.find_appointment(work_order) is None
    slots = await adapter.search_time_slots(work_order, [])
    assert slots and all(s.end - s.start == timedelta(hours=2) for s in slots)
    booked = await adapter.book_appointment(work_order, slots[1], note="booked",
                                            site_contact={"name": "Ana", "number": "+65 1234"})
    assert booked.slot == slots[1] and booked.work_order == work_order
    assert (await adapter.find_appointment(work_order)).slot == slots[1]
    assert "Ana" in emulator.fault_tickets[opened.ref.value].messages[-1]["body"]
    clock.advance(slots[1].end - clock.now())
    await emulator.advance()
    assert (await adapter.get_ticket(opened.ref)).state is TicketState.RESOLVED  # repaired during the visit


async def test_withdrawn_fault_is_cancelled(adapter: PartnerJsonAdapter, service: ExternalRef) -> None:
    opened = await adapter.open_ticket(report(service))
    gone = await adapter.cancel_ticket(opened.ref)
    assert (gone.state, gone.raw_state) == (TicketState.CANCELLED, "WITHDRAWN")


async def test_fault_webhooks_carry_the_status_and_are_verified(adapter: PartnerJsonAdapter,
                                                                emulator: PartnerEmulator, clock: ManualClock,
                                                                service: ExternalRef) -> None:
    opened = await adapter.open_ticket(report(service))
    clock.advance(timedelta(hours=1))
    emulator.tick()  # queued, not sent: no webhook is registered in this test
    [event] = [e for e in emulator.outbox if e["event_type"] == "fault.status_changed" and e["status"] == "TRIAGE"]
    body = json.dumps(event).encode()
    note = adapter.parse_callback("/", {"x-partner-signature": sign(SECRET, body)}, body)
    assert note.ref == opened.ref and note.event_type == "fault.status_changed"
    assert note.observation is not None and note.observation.state is TicketState.INVESTIGATING
    assert note.observation.source is Source.CALLBACK and note.observation.evidence == event["event_id"]
    assert note.observation.as_of == T0 + 30 * DAY + timedelta(minutes=30)
    with pytest.raises(CallbackRejected):
        adapter.parse_callback("/", {"x-partner-signature": sign("wrong-secret-123", body)}, body)
