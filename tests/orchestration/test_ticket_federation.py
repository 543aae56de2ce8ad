"""Ticket federation on a real database (SQLite and PostgreSQL) with fake suppliers behind the gateway port.

A service built from our segment and a supplier's is active; the customer reports a fault on it. The
orchestrator diagnoses (the end-to-end test, the segments' evidence, other open tickets), escalates to the
supplier of the suspected segment through the command store, follows the supplier's ticket as evidence, and
closes nothing until its own end-to-end test passes. Faults: a supplier that never calls back, an unknown
outcome, duplicated and reordered "resolved", a repair that does not clear the fault, questions, visits.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from counterpoint.core.orchestration.model import CommandState, CompositeState
from counterpoint.core.orchestration.plan import CompositeOffering, Orchestration, SegmentTemplate
from counterpoint.core.orchestration.ports import Timing
from counterpoint.core.orchestration.supply import SegmentState, Source
from counterpoint.core.orchestration.ticket_escalation import record_ticket_observation
from counterpoint.core.orchestration.ticket_model import TICKET_ACTIONS
from counterpoint.core.orchestration.ticket_supply import Slot, TicketNote, TicketState
from counterpoint.core.orchestration.tickets import TicketFederation
from counterpoint.core.seller.model import ACCESS_ELINE
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.shared.times import iso
from counterpoint.core.sla import services as sla
from counterpoint.core.sla.model import Fact, Month
from counterpoint.workers.fulfilment import FulfilmentWorker
from counterpoint.workers.orchestration import OrchestrationWorker
from tests.builders import ORDER_BASE, add_item, ael_config, order_body
from tests.fakes import FakeCustomerTickets, FakeGateway, FakeSupplier, provider
from tests.helpers import BUYER_A

pytestmark = pytest.mark.usefixtures("wired")


@dataclass
class FaultyTester:
    """An end-to-end test that fails on the segments named in `faults` (a fault the supplier's repair clears by
    removing it, or not)."""

    faults: set[str] = field(default_factory=set)
    runs: int = 0

    async def test(self, composite: Any) -> dict[str, Any]:
        self.runs += 1
        checks = [{"name": "frameLossRatio", "scope": s.id, "passed": s.id not in self.faults,
                   "detail": "3.1e-02 lost" if s.id in self.faults else "0 lost"} for s in composite.segments]
        passed = not (self.faults & {s.id for s in composite.segments})
        return {"passed": passed, "summary": "passed" if passed else "failed: frame loss", "checks": checks}


@dataclass
class Ticket:
    """A customer's ticket as the Seller's ticket capability hands it to the desk (the fields the port reads)."""

    id: str
    buyer_id: str
    doc: dict[str, Any]
    seller_id: str = "demo-seller"
    channel: str = "sonata"
    correlation_id: str | None = "corr-ticket-1"


@pytest.fixture
def profile(profile):  # type: ignore[no-untyped-def]
    orch = Orchestration(
        providers=(provider("our-net", ACCESS_ELINE, countries=("SG",), own=True, lead=5),
                   provider("sup-b", ACCESS_ELINE, countries=("SG",), mrc=900, poll_s=60)),
        offerings=(CompositeOffering("ael-sg", (
            SegmentTemplate("core", ACCESS_ELINE, place_index=None, own=True),
            SegmentTemplate("last-mile", ACCESS_ELINE, place_index=0, own=False)), test_hours=2),),
        max_test_attempts=2)
    return dataclasses.replace(profile, orchestration=orch)


@pytest.fixture
def fakes(clock: ManualClock) -> dict[str, FakeSupplier]:
    return {pid: FakeSupplier(pid, clock) for pid in ("our-net", "sup-b")}


@pytest.fixture
def tester() -> FaultyTester:
    return FaultyTester()


@pytest.fixture
def desk() -> FakeCustomerTickets:
    return FakeCustomerTickets()


@pytest.fixture
def wired(container, fakes, tester, desk, profile):  # type: ignore[no-untyped-def]
    container._suppliers = FakeGateway(*fakes.values(), providers=profile.orchestration.providers)
    container.tester = tester
    container.customer_desk = desk


async def settle(container) -> int:  # type: ignore[no-untyped-def]
    moved = 0
    fulfil, orch = FulfilmentWorker(container), OrchestrationWorker(container)
    for _ in range(60):
        n = await fulfil.run_once() + await orch.run_once()
        moved += n
        if not n:
            return moved
    raise AssertionError("workers never settled")


async def active_service(client: httpx.AsyncClient, container, clock, fakes) -> tuple[str, Any]:  # type: ignore[no-untyped-def]
    """Order the composite service and let it go active; (customer product id, composite)."""
    r = await client.post(f"{ORDER_BASE}/productOrder", json=order_body(add_item(config=ael_config(1000))),
                          headers=BUYER_A)
    assert r.status_code == 201, r.text
    await settle(container)
    fakes["our-net"].move(SegmentState.DELIVERED, product="net-1")
    fakes["sup-b"].move(SegmentState.DELIVERED, product="sup-b-prod-1")
    clock.advance(timedelta(seconds=61))
    await settle(container)
    async with container.uow() as uow:
        [composite] = await uow.composites.for_order(r.json()["id"])
    assert composite.state is CompositeState.ACTIVE and composite.product_id
    return composite.product_id, composite


def customer_ticket(product_id: str, *, ticket_id: str = "TT-1", **extra: Any) -> Ticket:
    doc = {"id": ticket_id, "externalId": "ENT-42", "description": "No traffic since 09:00", "severity": "extensive",
           "priority": "critical", "observedImpact": "down", "ticketType": "assistance",
           "issueStartDate": "2026-01-01T09:00:00Z",
           "relatedEntity": [{"id": product_id, "role": "affectedProduct", "@referredType": "Product"}], **extra}
    return Ticket(id=ticket_id, buyer_id="buyer-a", doc=doc)


async def report(container, ticket: Ticket) -> bool:  # type: ignore[no-untyped-def]
    async with container.uow() as uow:
        taken = await TicketFederation().take_ticket(uow, container.profile, ticket, now=container.clock.now())
        await uow.commit()
    return taken


async def change(container, ticket: Ticket, what: str) -> None:  # type: ignore[no-untyped-def]
    async with container.uow() as uow:
        await TicketFederation().ticket_changed(uow, container.profile, ticket, change=what,
                                                now=container.clock.now())
        await uow.commit()


async def federated(container, ticket_id: str = "TT-1"):  # type: ignore[no-untyped-def]
    async with container.uow() as uow:
        ft = await uow.federated_tickets.for_ticket(ticket_id)
        assert ft is not None
        commands = [c for c in await uow.commands.for_composite(ft.id)]
        log = await uow.federated_tickets.evidence_of(ft.id)
    return ft, commands, log


def last_mile(composite: Any) -> Any:
    return next(s for s in composite.segments if s.name == "last-mile")


async def test_fault_is_escalated_to_the_suspected_supplier_validated_and_closed(
        client, container, clock, fakes, tester, desk) -> None:
    product_id, composite = await active_service(client, container, clock, fakes)
    seg = last_mile(composite)
    tester.faults = {seg.id}
    ticket = customer_ticket(product_id)
    assert await report(container, ticket) is True
    await settle(container)

    ft, commands, _ = await federated(container)
    assert ft.state is TicketState.INVESTIGATING
    assert ft.suspect["segmentName"] == "last-mile" and "frameLossRatio failed" in ft.suspect["why"][0]
    [opened] = [c for c in commands if c.action == "openTicket"]
    assert opened.state is CommandState.SUCCEEDED and opened.provider_id == "sup-b"
    sup_ticket = fakes["sup-b"].only_ticket()
    assert sup_ticket.our_ref == opened.idempotency_key == ft.escalations[0].our_ref  # externalId = our reference
    assert sup_ticket.request.product_ref.value == "sup-b-prod-1"  # their product, not ours
    assert sup_ticket.request.correlation_id == "corr-ticket-1"  # one correlation id across the boundary
    assert sup_ticket.request.severity == "extensive" and "frame" in sup_ticket.request.description
    assert not fakes["our-net"].tickets
    assert desk.kinds() == ["startWork"]
    assert "sup-b" not in str(desk.moves)  # the customer never sees the suppliers' internals

    # the supplier repairs (the fault is gone) and says resolved, by callback
    clock.advance(timedelta(minutes=40))
    tester.faults.clear()
    fakes["sup-b"].ticket_move(TicketState.RESOLVED)
    obs = await fakes["sup-b"].get_ticket(ft.escalations[0].external_ref)
    assert await record_ticket_observation(container.uow, clock, container.profile,
                                           dataclasses.replace(obs, source=Source.CALLBACK, evidence="ev-1"))
    ft, _, _ = await federated(container)
    assert ft.state is TicketState.RESOLVED and ft.validated_at is None  # evidence, not yet truth
    await settle(container)
    ft, commands, log = await federated(container)
    assert ft.validated_at is not None and ft.validations[-1]["passed"]
    assert [c.action for c in commands if c.state is CommandState.SUCCEEDED] == ["openTicket", "closeTicket"]
    assert fakes["sup-b"].only_ticket().state is TicketState.CLOSED
    assert desk.kinds() == ["startWork", "resolve"]
    assert ft.outage["responsibleDomain"] == "sup-b"
    assert ft.outage["start"] == "2026-01-01T09:00:00Z" and ft.outage["end"] == iso(ft.validated_at)
    assert ft.outage["evidence"]["supplierTickets"][0]["id"] == sup_ticket.id
    assert any(e["raw_state"] == "resolved" and e["applied"] for e in log)
    # the SLA's outage: start = the customer's issue start, end = our passing test, charged to sup-b
    async with container.uow() as uow:
        outage = await uow.sla.outage_by_key(product_id, "ticket:TT-1")
    assert outage.start == datetime(2026, 1, 1, 9, tzinfo=UTC) and outage.end == ft.validated_at
    assert str(outage.responsible) == "supplier:sup-b" and outage.segment_id == seg.id
    kinds = {(e.fact.value, e.kind.value, e.source) for e in outage.evidence}
    assert {("start", "ticket", "ours"), ("down", "test", "ours"), ("end", "test", "ours"),
            ("end", "supplierNotice", "sup-b"), ("domain", "ticket", "ours"), ("reported", "ticket", "ours")} <= kinds

    # the customer confirms: our ticket is closed; nothing more is sent
    await change(container, ticket, "closed")
    await settle(container)
    ft, commands, _ = await federated(container)
    assert ft.state is TicketState.CLOSED
    assert len([c for c in commands if c.action in TICKET_ACTIONS]) == 2


async def test_repair_that_does_not_clear_the_fault_reopens_the_supplier_ticket(
        client, container, clock, fakes, tester, desk) -> None:
    product_id, composite = await active_service(client, container, clock, fakes)
    tester.faults = {last_mile(composite).id}
    await report(container, customer_ticket(product_id))
    await settle(container)
    fakes["sup-b"].ticket_move(TicketState.RESOLVED)  # ...but the fault persists
    clock.advance(timedelta(seconds=61))  # no callback: the poll finds it
    await settle(container)
    ft, commands, _ = await federated(container)
    assert ft.state is TicketState.INVESTIGATING and ft.validated_at is None
    assert not ft.validations[-1]["passed"] and ft.validations[-1]["purpose"] == "validation"
    reopen = [c for c in commands if c.action == "reopenTicket"]
    assert len(reopen) == 1 and reopen[0].state is CommandState.SUCCEEDED
    assert any(call.startswith("reopen ") and "fault persists" in call for call in fakes["sup-b"].calls)
    assert fakes["sup-b"].only_ticket().raw == "reopened"
    assert ft.escalations[0].state is TicketState.INVESTIGATING  # the one step back, because we asked
    assert "resolve" not in desk.kinds() and desk.kinds()[-1] == "sellerNote"
    assert not [c for c in commands if c.action == "closeTicket"]

    # second attempt: repaired for real
    tester.faults.clear()
    fakes["sup-b"].ticket_move(TicketState.RESOLVED)
    clock.advance(timedelta(seconds=61))
    await settle(container)
    ft, commands, _ = await federated(container)
    assert ft.state is TicketState.RESOLVED and ft.validated_at is not None
    assert fakes["sup-b"].only_ticket().state is TicketState.CLOSED
    assert desk.kinds()[-1] == "resolve"
    assert [v["passed"] for v in ft.validations] == [False, False, True]  # diagnosis, failed, passed


async def test_duplicated_and_reordered_resolved_is_validated_once(
        client, container, clock, fakes, tester, desk) -> None:
    product_id, composite = await active_service(client, container, clock, fakes)
    tester.faults = {last_mile(composite).id}
    await report(container, customer_ticket(product_id))
    await settle(container)
    ft, _, _ = await federated(container)
    ref = ft.escalations[0].external_ref
    fakes["sup-b"].ticket_move(TicketState.INVESTIGATING)
    in_progress = await fakes["sup-b"].get_ticket(ref)
    clock.advance(timedelta(seconds=5))
    tester.faults.clear()
    fakes["sup-b"].ticket_move(TicketState.RESOLVED)
    resolved = await fakes["sup-b"].get_ticket(ref)
    runs_before = tester.runs
    # the resolved event arrives first, twice; the older inProgress arrives last
    for obs, event in ((resolved, "ev-r"), (resolved, "ev-r"), (in_progress, "ev-p")):
        await record_ticket_observation(container.uow, clock, container.profile,
                                        dataclasses.replace(obs, source=Source.CALLBACK, evidence=event,
                                                            observed_at=clock.now()))
    await settle(container)
    ft, _, log = await federated(container)
    assert tester.runs == runs_before + 1  # one validation
    assert ft.state is TicketState.RESOLVED and ft.escalations[0].state is TicketState.CLOSED
    verdicts = [(e["raw_state"], e["applied"], e["why"].split(":")[0]) for e in log if e["source"] == "callback"]
    assert ("resolved", True, "moves the ticket on") in verdicts
    assert ("inProgress", False, "out of order") in verdicts
    assert len([v for v in verdicts if v[0] == "resolved"]) == 1  # the duplicate is not logged twice
    assert desk.kinds().count("resolve") == 1


async def test_unknown_outcome_of_an_escalation_is_recovered_without_a_second_ticket(
        client, container, clock, fakes, tester) -> None:
    product_id, composite = await active_service(client, container, clock, fakes)
    tester.faults = {last_mile(composite).id}
    fakes["sup-b"].ticket_timeout_after_accept = 1
    await report(container, customer_ticket(product_id))
    await settle(container)
    _, commands, _ = await federated(container)
    [opened] = [c for c in commands if c.action == "openTicket"]
    assert opened.state is CommandState.UNKNOWN
    clock.advance(timedelta(seconds=Timing().recovery_grace_s + 1))
    await settle(container)
    ft, commands, _ = await federated(container)
    [opened] = [c for c in commands if c.action == "openTicket"]
    assert opened.state is CommandState.SUCCEEDED and opened.result["source"] == "recovery"
    assert len(fakes["sup-b"].tickets) == 1
    assert f"find ticket {opened.idempotency_key}" in fakes["sup-b"].calls
    assert ft.escalations[0].external_ref.value == fakes["sup-b"].only_ticket().id


async def test_questions_are_answered_from_the_order_or_passed_to_the_customer(
        client, container, clock, fakes, tester, desk) -> None:
    product_id, composite = await active_service(client, container, clock, fakes)
    tester.faults = {last_mile(composite).id}
    ticket = customer_ticket(product_id)
    await report(container, ticket)
    await settle(container)
    # a question our records answer: the site contact of the customer's order
    fakes["sup-b"].ticket_move(TicketState.WAITING_FOR_BUYER, question="Who is the site contact for access?")
    clock.advance(timedelta(seconds=61))
    await settle(container)
    notes = [c for c in fakes["sup-b"].calls if c.startswith("note ")]
    assert len(notes) == 1 and "John Example" in notes[0] and "12-345-6789" in notes[0]
    assert "requestInformation" not in desk.kinds()
    assert fakes["sup-b"].only_ticket().state is TicketState.INVESTIGATING

    # a question only the customer can answer: passed on, our ticket waits for the customer
    fakes["sup-b"].ticket_move(TicketState.WAITING_FOR_BUYER, question="Is the customer's router powered on?")
    clock.advance(timedelta(seconds=61))
    await settle(container)
    ft, _, _ = await federated(container)
    assert ft.state is TicketState.WAITING_FOR_BUYER and ft.pending_question
    asked = [m for _, k, m in desk.moves if k == "requestInformation"]
    assert len(asked) == 1 and "router powered on" in asked[0]["text"]

    # the customer's patch (a new buyer note) is forwarded to the supplier that asked
    ticket.doc["note"] = [{"id": "n-1", "source": "buyer", "author": "ops", "date": "2026-01-01T10:00:00Z",
                           "text": "Router rebooted, lights green."}]
    await change(container, ticket, "patched")
    await settle(container)
    ft, _, _ = await federated(container)
    assert ft.state is TicketState.INVESTIGATING and ft.pending_question is None
    assert any("Router rebooted" in c for c in fakes["sup-b"].calls if c.startswith("note "))
    await change(container, ticket, "patched")  # patched again with nothing new: nothing forwarded twice
    await settle(container)
    assert len([c for c in fakes["sup-b"].calls if "Router rebooted" in c]) == 1


async def test_a_repair_visit_is_booked_in_the_site_access_hours(
        client, container, clock, fakes, tester, desk) -> None:
    product_id, composite = await active_service(client, container, clock, fakes)
    tester.faults = {last_mile(composite).id}
    await report(container, customer_ticket(product_id, siteAccessHours={"from": "09:00", "to": "17:00"}))
    await settle(container)
    day = (clock.now() + timedelta(days=1)).date()
    at = lambda h: datetime(day.year, day.month, day.day, h, tzinfo=UTC)  # noqa: E731
    fakes["sup-b"].slots = [Slot(at(6), at(8)), Slot(at(14), at(16)), Slot(at(10), at(12))]
    fakes["sup-b"].work_order_visits["WO-1"] = True
    fakes["sup-b"].ticket_move(TicketState.INVESTIGATING, work_order="WO-1",
                               note=TicketNote("s-1", "An engineer must visit", "noc", "seller"))
    clock.advance(timedelta(seconds=61))
    await settle(container)
    assert fakes["sup-b"].appointments["WO-1"].slot.start == at(10)  # earliest inside 09:00-17:00
    ft, commands, _ = await federated(container)
    [booking] = [c for c in commands if c.action == "bookAppointment"]
    assert booking.state is CommandState.SUCCEEDED
    assert ft.escalations[0].work_orders[0]["appointment"]["start"] == iso(at(10))
    assert "technician visit" in desk.moves[-1][2]["text"]
    clock.advance(timedelta(seconds=61))
    await settle(container)  # seen again on the next poll: not booked twice
    assert len([c for c in fakes["sup-b"].calls if c.startswith("book ")]) == 1


async def test_a_product_not_built_from_segments_is_left_to_the_seller(client, container, clock, fakes) -> None:
    assert await report(container, customer_ticket("no-such-product")) is False
    async with container.uow() as uow:
        assert await uow.federated_tickets.for_ticket("TT-1") is None


async def test_cancellation_withdraws_the_supplier_ticket(client, container, clock, fakes, tester, desk) -> None:
    product_id, composite = await active_service(client, container, clock, fakes)
    tester.faults = {last_mile(composite).id}
    ticket = customer_ticket(product_id)
    await report(container, ticket)
    await settle(container)
    await change(container, ticket, "cancelRequested")
    await settle(container)
    ft, _, _ = await federated(container)
    assert fakes["sup-b"].only_ticket().state is TicketState.CANCELLED
    assert ft.state is TicketState.CANCELLED and desk.kinds()[-1] == "finishCancellation"


async def test_a_customer_who_still_sees_the_fault_reopens_and_it_is_escalated_again(
        client, container, clock, fakes, tester, desk) -> None:
    product_id, composite = await active_service(client, container, clock, fakes)
    seg = last_mile(composite)
    tester.faults = {seg.id}
    ticket = customer_ticket(product_id)
    await report(container, ticket)
    await settle(container)
    clock.advance(timedelta(minutes=30))
    tester.faults.clear()
    fakes["sup-b"].ticket_move(TicketState.RESOLVED)
    clock.advance(timedelta(seconds=61))
    await settle(container)
    ft, _, _ = await federated(container)
    assert ft.state is TicketState.RESOLVED and ft.validated_at is not None
    assert fakes["sup-b"].only_ticket().state is TicketState.CLOSED

    # the fault comes back; the customer reopens its resolved ticket
    clock.advance(timedelta(hours=1))
    tester.faults = {seg.id}
    await change(container, ticket, "reopened")
    await settle(container)
    ft, commands, _ = await federated(container)
    assert ft.state is TicketState.INVESTIGATING and ft.validated_at is None
    assert [e.state for e in ft.escalations] == [TicketState.CLOSED, TicketState.OPEN]
    opened = [c for c in commands if c.action == "openTicket"]
    assert len(opened) == 2 and len({c.idempotency_key for c in opened}) == 2  # a new ticket, a new reference
    assert len(fakes["sup-b"].tickets) == 2
    assert desk.kinds()[-1] == "startWork"  # reopened -> inProgress at our Seller


async def test_the_root_cause_is_recorded_from_the_suppliers_resolution_and_passed_on(
        client, container, clock, fakes, tester, desk) -> None:
    product_id, composite = await active_service(client, container, clock, fakes)
    tester.faults = {last_mile(composite).id}
    await report(container, customer_ticket(product_id))
    await settle(container)
    clock.advance(timedelta(minutes=30))
    tester.faults.clear()
    said_at = clock.now() - timedelta(minutes=2)  # by sup-b's clock
    fakes["sup-b"].ticket_move(TicketState.RESOLVED, note=TicketNote(
        "n-res", "resolution=supplierNetwork; rootCause=sup-c; supplierTicket=C-77; repaired by our supplier",
        "sup-b desk", "seller", said_at))
    clock.advance(timedelta(seconds=61))
    await settle(container)
    ft, _, _ = await federated(container)
    sup_ticket = fakes["sup-b"].only_ticket().id
    assert ft.validated_at is not None and ft.escalations[0].resolution["rootCause"] == "sup-c"
    # our customer is told where the fault was: the root cause and its own ticket, passed on unchanged
    [(_, _, move)] = [m for m in desk.moves if m[1] == "resolve"]
    assert (move["rootCause"], move["supplierTicket"]) == ("sup-c", "C-77")
    async with container.uow() as uow:
        outage = await uow.sla.outage_by_key(product_id, "ticket:TT-1")
        month = await sla.report(uow, clock, container.profile.commitments, Month(2026, 1))
    [cause] = [e for e in outage.evidence if e.fact is Fact.ROOT_CAUSE]
    assert (cause.source, cause.reference, str(cause.responsible)) == ("sup-b", "C-77", "supplier:sup-c")
    assert cause.at == said_at and cause.stamped_by == "sup-b" and sup_ticket in (cause.note or "")
    assert str(outage.responsible) == "supplier:sup-b"  # still charged to the supplier we buy from
    [o] = [o for s in month.services if s.service_id == product_id for o in s.outages]
    assert o.root_cause == "sup-c" and [(c.provider, c.ticket) for c in o.chain] == [
        ("sup-b", sup_ticket), ("sup-c", "C-77")]


async def test_a_supplier_that_repaired_its_own_network_is_the_root_cause_we_pass_on(
        client, container, clock, fakes, tester, desk) -> None:
    product_id, composite = await active_service(client, container, clock, fakes)
    tester.faults = {last_mile(composite).id}
    await report(container, customer_ticket(product_id))
    await settle(container)
    tester.faults.clear()
    fakes["sup-b"].ticket_move(TicketState.RESOLVED, note=TicketNote(
        "n-res", "resolution=sellerNetwork; fibre spliced", "sup-b desk", "seller", clock.now()))
    clock.advance(timedelta(seconds=61))
    await settle(container)
    [(_, _, move)] = [m for m in desk.moves if m[1] == "resolve"]
    assert (move["rootCause"], move["supplierTicket"]) == ("sup-b", fakes["sup-b"].only_ticket().id)
    async with container.uow() as uow:
        outage = await uow.sla.outage_by_key(product_id, "ticket:TT-1")
    assert not [e for e in outage.evidence if e.fact is Fact.ROOT_CAUSE]  # nothing further down to show


async def test_an_end_customer_is_not_told_our_suppliers_root_cause(
        client, container, clock, fakes, tester, desk) -> None:
    product_id, composite = await active_service(client, container, clock, fakes)
    tester.faults = {last_mile(composite).id}
    await report(container, dataclasses.replace(customer_ticket(product_id), channel="cantata"))
    await settle(container)
    tester.faults.clear()
    fakes["sup-b"].ticket_move(TicketState.RESOLVED, note=TicketNote(
        "n-res", "resolution=supplierNetwork; rootCause=sup-c; supplierTicket=C-77; done", "sup-b", "seller",
        clock.now()))
    clock.advance(timedelta(seconds=61))
    await settle(container)
    [(_, _, move)] = [m for m in desk.moves if m[1] == "resolve"]
    assert "rootCause" not in move and "sup-" not in str(desk.moves)
    async with container.uow() as uow:  # our own report still knows
        outage = await uow.sla.outage_by_key(product_id, "ticket:TT-1")
    assert [str(e.responsible) for e in outage.evidence if e.fact is Fact.ROOT_CAUSE] == ["supplier:sup-c"]
