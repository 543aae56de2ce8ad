"""Composite POQs and quotes: our answer combines ours with each supplier's (fake suppliers, real database).

The Buyer asks us (our Seller API) for a POQ or a quote on `ael-sg`, which this profile builds from our own
core segment and a supplier's last mile. Suppliers are asked from the orchestration worker; our POQ and quote
stay in progress while a supplier's answer is pending; the quote is priced on the suppliers' cost plus our
margin and expires no later than the earliest supplier quote. An order on our quote carries the supplier's
quote reference down to the supplier, after checking the supplier quote still stands (or renewing it).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from counterpoint.core.orchestration.enquiry import EnquiryState, Purpose
from counterpoint.core.orchestration.model import CommandState, CompositeState
from counterpoint.core.orchestration.plan import CompositeOffering, Orchestration, SegmentTemplate
from counterpoint.core.orchestration.supply import Price, SegmentState
from counterpoint.core.seller.model import ACCESS_ELINE
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.core.shared.times import iso
from counterpoint.workers.fulfilment import FulfilmentWorker
from counterpoint.workers.orchestration import OrchestrationWorker
from counterpoint.workers.quote import QuoteWorker
from counterpoint.workers.serviceability import ServiceabilityWorker
from tests.api import test_poq as poqs
from tests.api import test_quote as quotes
from tests.builders import ORDER_BASE, order_body
from tests.fakes import FakeGateway, FakeSupplier, PassingTester, provider
from tests.helpers import BUYER_A, assert_mef_response
from tests.unit.serviceability.payloads import address_ref, ael, item, later, poq

pytestmark = pytest.mark.usefixtures("wired")

POLL = timedelta(seconds=61)  # the suppliers' poll interval is 60 s


@pytest.fixture
def profile(profile):  # type: ignore[no-untyped-def]
    orch = Orchestration(
        providers=(provider("our-net", ACCESS_ELINE, countries=("SG",), own=True, lead=5),
                   provider("sup-b", ACCESS_ELINE, countries=("SG",), mrc=900, poll_s=60),
                   provider("sup-c", ACCESS_ELINE, countries=("SG",), mrc=1500, poll_s=60)),
        offerings=(CompositeOffering("ael-sg", (
            SegmentTemplate("core", ACCESS_ELINE, place_index=None, own=True),
            SegmentTemplate("last-mile", ACCESS_ELINE, place_index=0, own=False)), test_hours=2,
            margin_pct=Decimal(25)),))
    return dataclasses.replace(profile, orchestration=orch)


@pytest.fixture
def fakes(clock: ManualClock) -> dict[str, FakeSupplier]:
    return {pid: FakeSupplier(pid, clock, quote_validity=timedelta(days=10)) for pid in ("our-net", "sup-b", "sup-c")}


@pytest.fixture
def wired(container, fakes, profile):  # type: ignore[no-untyped-def]
    container._suppliers = FakeGateway(*fakes.values(), providers=profile.orchestration.providers)
    container.tester = PassingTester()


async def settle(container) -> int:  # type: ignore[no-untyped-def]
    """Every worker a Seller runs, until nothing is due."""
    workers = [QuoteWorker(container), ServiceabilityWorker(container), FulfilmentWorker(container),
               OrchestrationWorker(container)]
    moved = 0
    for _ in range(50):
        n = sum([await w.run_once() for w in workers])
        moved += n
        if not n:
            return moved
    raise AssertionError("workers never settled")


def quote_body(clock: ManualClock, **extra: Any) -> dict[str, Any]:
    one = quotes.qitem("1", offering="ael-sg", config=ael(500), place=address_ref(), term_months=12, **extra)
    return quotes.quote(one, instant=False, requested=later(clock.now(), 30))


async def enquiry_of(container, purpose: Purpose, resource_id: str, item_id: str = "1"):  # type: ignore[no-untyped-def]
    async with container.uow() as uow:
        return await uow.enquiries.find_for(purpose, resource_id, item_id)


async def firm_quote(client: httpx.AsyncClient, container, clock: ManualClock, **extra: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A deferred quote answered at once by the supplier: approved.orderable after our quoteDays (2)."""
    doc = await quotes.create(client, quote_body(clock, **extra))
    await settle(container)
    clock.advance(timedelta(days=2))
    await settle(container)
    done = await quotes.fetch(client, doc["id"])
    assert done["state"] == "approved.orderable", done["stateChange"]
    return done


async def place_on(client: httpx.AsyncClient, quote_doc: dict[str, Any], **extra: Any) -> dict[str, Any]:
    r = await client.post(f"{ORDER_BASE}/productOrder", headers=BUYER_A,
                          json=order_body(quotes.ordered(quote_doc, **extra)))
    assert r.status_code == 201, r.text
    return assert_mef_response(r, "productOrder", "/productOrder", "post")


async def order_of(client: httpx.AsyncClient, oid: str) -> dict[str, Any]:
    r = await client.get(f"{ORDER_BASE}/productOrder/{oid}", headers=BUYER_A)
    return assert_mef_response(r, "productOrder", "/productOrder/{id}", "get")


async def composite_of(container, oid: str):  # type: ignore[no-untyped-def]
    async with container.uow() as uow:
        [composite] = await uow.composites.for_order(oid)
        commands = await uow.commands.for_composite(composite.id)
    return composite, commands


# --- quotes ----------------------------------------------------------------------------------------------


async def test_composite_quote_waits_for_the_supplier_then_is_firm_with_margin_and_its_expiry(
        client, container, clock, fakes) -> None:
    sup = fakes["sup-b"]
    sup.quote_pending = True  # the supplier surveys the site before it prices
    doc = await quotes.create(client, quote_body(clock))
    assert quotes.states(doc) == ("acknowledged", {"1": "acknowledged"})
    await settle(container)
    started = await quotes.fetch(client, doc["id"])
    assert quotes.states(started) == ("inProgress", {"1": "inProgress"})
    [asked] = [c for c in sup.calls if c.startswith("quote ")]
    assert not fakes["sup-c"].calls and not fakes["our-net"].calls  # the cheaper supplier; our core is not asked

    clock.advance(timedelta(days=2))  # our own answer would be due: the supplier's is not in
    await settle(container)
    sup.survey_quotes()
    clock.advance(POLL)
    await settle(container)
    waiting = await quotes.fetch(client, doc["id"])
    assert quotes.states(waiting) == ("inProgress", {"1": "inProgress"})
    assert "quoteItemPrice" not in quotes.items(waiting)["1"]

    clock.advance(timedelta(days=1))
    sup.firm_quotes()  # valid for 10 days from now
    supplier_end = clock.now() + timedelta(days=10)
    clock.advance(POLL)
    await settle(container)
    done = await quotes.fetch(client, doc["id"])
    assert quotes.states(done) == ("approved.orderable", {"1": "approved.orderable"})
    assert [c["state"] for c in done["stateChange"]] == ["acknowledged", "inProgress", "approved.orderable"]
    assert done["quoteLevel"] == "firm"
    one = quotes.items(done)["1"]
    # cost: core 0 + 1000/month (list price), last mile 300 + 900/month (supplier quote); margin 25 %
    assert one["quoteItemPrice"] == [
        {"name": "Access E-Line Singapore installation", "priceType": "nonRecurring",
         "price": {"dutyFreeAmount": {"unit": "USD", "value": 375}}},
        {"name": "Access E-Line Singapore up to 1000 Mbps", "priceType": "recurring",
         "recurringChargePeriod": "month", "price": {"dutyFreeAmount": {"unit": "USD", "value": 2375}}}]
    # the longest segment (the supplier's 20 days) plus the 2-hour end-to-end test, in whole days
    assert one["quoteItemInstallationInterval"] == {"amount": 21, "units": "calendarDays"}
    # our validity (30 days) may not outlive the supplier's quote
    assert done["validFor"]["endDateTime"] == iso(supplier_end)
    [note] = done["note"]
    assert note["source"] == "seller" and "site survey" in note["text"] and "last-mile" in note["text"]
    assert "sup-b" not in str(done) and "sup-c" not in str(done) and "our-net" not in str(done)

    record = await enquiry_of(container, Purpose.QUOTE, doc["id"])
    assert record.state is EnquiryState.ANSWERED
    supplier_quote = next(iter(sup.quotes.values()))
    assert [(b["segment"], b["source"], b["nrc"], b["mrc"], b["quoteRef"], b["quoteItemId"])
            for b in record.result["costBasis"]] == [
        ("core", "list price", "0", "1000", None, None),
        ("last-mile", "supplier quote", "300", "900", {"provider": "sup-b", "kind": "quote", "id": supplier_quote.id},
         "1")]
    assert record.result["cost"] == {"nrc": "300", "mrc": "1900", "currency": "USD"}
    assert record.result["price"] == {"nrc": "375.00", "mrc": "2375.00", "currency": "USD"}
    assert record.result["marginPct"] == "25"
    assert record.result["leadTimeBasis"] == {"segments": {"core": 5, "last-mile": 20}, "endToEndTestHours": 2}
    assert record.result["validUntil"] == iso(supplier_end) and record.result["limitedBy"] == "last-mile"
    assert any("site survey" in a for a in record.result["assumptions"])
    assert record.ask("last-mile").key == asked.split()[1]  # the key we sent is the one we stored
    assert record.ask("last-mile").seen == ["inProgress", "inProgress.draft", "approved.orderable"]


async def test_cantata_customers_get_composite_quotes_too(client, container, clock, fakes) -> None:
    base = quotes.CANTATA_QUOTE_BASE
    doc = await quotes.create(client, quote_body(clock), base=base)
    await settle(container)
    clock.advance(timedelta(days=2))
    await settle(container)
    done = await quotes.fetch(client, doc["id"], base=base)  # checked against the Cantata envelope
    assert quotes.states(done) == ("approved.orderable", {"1": "approved.orderable"})
    assert quotes.items(done)["1"]["quoteItemPrice"][1]["price"]["dutyFreeAmount"] == {"unit": "USD", "value": 2375}
    assert done["validFor"]["endDateTime"] == iso(clock.now() - timedelta(days=2) + timedelta(days=10))


async def test_a_supplier_that_cannot_quote_makes_our_item_unable_to_provide(client, container, clock,
                                                                             fakes) -> None:
    fakes["sup-b"].quote_unable = "no fibre into 1 Raffles Place"
    doc = await quotes.create(client, quote_body(clock))
    await settle(container)
    clock.advance(timedelta(days=2))
    await settle(container)
    done = await quotes.fetch(client, doc["id"])
    assert quotes.states(done) == ("unableToProvide", {"1": "unableToProvide"})
    one = quotes.items(done)["1"]
    assert one["terminationError"] == [{"code": "otherIssue",
                                        "value": "we could not obtain a price for segment last-mile"}]
    assert "quoteItemPrice" not in one and "validFor" not in done
    assert "Raffles Place" not in str(done) and "sup-b" not in str(done)  # the supplier's words stay with us
    record = await enquiry_of(container, Purpose.QUOTE, doc["id"])
    assert record.ask("last-mile").answer["reason"] == "no fibre into 1 Raffles Place"


async def test_an_immediate_composite_quote_is_refused_in_favour_of_a_deferred_one(client, fakes) -> None:
    one = quotes.qitem("1", offering="ael-sg", config=ael(500), place=address_ref())
    doc = await quotes.create(client, quotes.quote(one, instant=True))
    assert quotes.states(doc) == ("unableToProvide", {"1": "unableToProvide"})
    assert "deferred quote" in quotes.items(doc)["1"]["terminationError"][0]["value"]
    assert not fakes["sup-b"].calls  # nobody is called inside a request


async def test_the_buyers_deadline_ends_a_quote_still_waiting_for_a_supplier(client, container, clock,
                                                                            fakes) -> None:
    fakes["sup-b"].quote_pending = True
    body = quote_body(clock)
    body["requestedQuoteCompletionDate"] = iso(later(clock.now(), 5))
    doc = await quotes.create(client, body)
    await settle(container)
    clock.advance(timedelta(days=5))
    await settle(container)
    done = await quotes.fetch(client, doc["id"])
    assert quotes.states(done) == ("unableToProvide", {"1": "abandoned"})
    record = await enquiry_of(container, Purpose.QUOTE, doc["id"])
    assert record.state is EnquiryState.ABANDONED  # nobody polls the supplier any more
    calls = len(fakes["sup-b"].calls)
    clock.advance(timedelta(days=1))
    await settle(container)
    assert len(fakes["sup-b"].calls) == calls


async def test_an_unavailable_supplier_is_asked_again_under_the_same_key(client, container, clock, fakes) -> None:
    sup = fakes["sup-b"]
    sup.unavailable = 2
    doc = await quotes.create(client, quote_body(clock))
    await settle(container)
    record = await enquiry_of(container, Purpose.QUOTE, doc["id"])
    ask = record.ask("last-mile")
    assert (ask.state.value, ask.attempts, ask.reason) == ("toSend", 1, "HTTP 503 after retries")
    assert [e["what"] for e in record.timeline if e.get("segment") == "last-mile"] == [
        "segment planned", "asking", "supplier unavailable"]
    clock.advance(timedelta(minutes=5))
    await settle(container)
    clock.advance(timedelta(days=2))
    await settle(container)
    assert (await quotes.fetch(client, doc["id"]))["state"] == "approved.orderable"
    assert sup.calls == [f"quote {ask.key}"] * 3  # one request, sent three times under one idempotency key
    assert len(sup.quotes) == 1


# --- orders on our quotes ----------------------------------------------------------------------------------


async def test_an_order_on_our_quote_orders_each_supplier_on_its_own_quote(client, container, clock,
                                                                         fakes) -> None:
    done = await firm_quote(client, container, clock)
    supplier_quote = next(iter(fakes["sup-b"].quotes.values()))
    order = await place_on(client, done)
    await settle(container)
    sup = fakes["sup-b"]
    placed = sup.only_order()
    assert placed.request.quote_ref == ExternalRef("sup-b", supplier_quote.id, "quote")
    assert placed.request.quote_item_id == "1"
    # the supplier's quote was read (still standing) before anything was ordered
    assert sup.calls.index(f"get quote {supplier_quote.id}") < sup.calls.index(f"place {placed.our_ref}")
    assert len(fakes["our-net"].orders) == 1  # our own segment is ordered too once the check passed
    composite, commands = await composite_of(container, order["id"])
    last_mile = next(s for s in composite.segments if s.name == "last-mile")
    assert last_mile.cost == {"nrc": "300", "mrc": "900", "currency": "USD", "basis": "supplier quote",
                              "quote": supplier_quote.id, "validUntil": iso(supplier_quote.valid_until)}
    assert {c.state for c in commands} == {CommandState.SUCCEEDED}
    assert (await order_of(client, order["id"]))["state"] == "inProgress"
    assert (await quotes.fetch(client, done["id"]))["state"] == "accepted"
    record = await enquiry_of(container, Purpose.CONFIRM, composite.id, composite.item_id)
    assert record.result["ok"] is True and record.result["renewed"] == []


async def test_an_expired_supplier_quote_is_renewed_and_a_rise_within_our_price_is_absorbed(
        client, container, clock, fakes) -> None:
    done = await firm_quote(client, container, clock)
    sup = fakes["sup-b"]
    first = next(iter(sup.quotes.values()))
    order = await place_on(client, done)
    sup.expire_quotes()  # the supplier withdrew its quote before our order started
    sup.quote_price = Price(Decimal(300), Decimal(1000), "USD")  # +100/month: cost 2000 <= our 2375
    await settle(container)
    placed = sup.only_order()
    renewed = next(q for q in sup.quotes.values() if q.id != first.id)
    assert placed.request.quote_ref == ExternalRef("sup-b", renewed.id, "quote")
    assert renewed.request.our_ref != first.request.our_ref  # a new request, under its own key
    composite, _ = await composite_of(container, order["id"])
    assert composite.segment(next(s.id for s in composite.segments if s.name == "last-mile")).cost["basis"] == \
        "renewed supplier quote"
    assert any(e["what"] == "quoted supplier prices confirmed: ordering" and e.get("renewed") == "last-mile"
               for e in composite.timeline)
    record = await enquiry_of(container, Purpose.CONFIRM, composite.id, composite.item_id)
    assert record.result["ok"] is True and record.result["cost"] == {"nrc": "300", "mrc": "2000", "currency": "USD"}
    assert (await order_of(client, order["id"]))["state"] == "inProgress"


async def test_a_renewed_supplier_price_above_our_committed_price_fails_the_item_before_anything_is_ordered(
        client, container, clock, fakes) -> None:
    done = await firm_quote(client, container, clock)
    sup = fakes["sup-b"]
    order = await place_on(client, done)
    clock.advance(timedelta(days=11))  # the supplier's quote ran out (by its date) before our order started
    sup.quote_price = Price(Decimal(300), Decimal(1500), "USD")  # cost 2500/month > the 2375 we committed to
    await settle(container)
    assert not sup.orders and not fakes["our-net"].orders  # nothing half-built
    seen = await order_of(client, order["id"])
    assert seen["state"] == "failed"
    error = seen["productOrderItem"][0]["terminationError"][0]["value"]
    assert error.startswith("segment last-mile: the renewed monthly cost (USD 300 + 2500/month) exceeds the price we "
                            "committed to (375.00 + 2375.00/month)")
    assert "sup-b" not in str(seen)
    composite, commands = await composite_of(container, order["id"])
    assert composite.state is CompositeState.FAILED
    assert {c.state for c in commands} == {CommandState.PENDING} and all(c.due_at is None for c in commands)
    assert all(s.state is SegmentState.PLANNED for s in composite.segments)


# --- POQs ----------------------------------------------------------------------------------------------------


def poq_body(clock: ManualClock) -> dict[str, Any]:
    return poq(item("1", offering="ael-sg", config=ael(500), place=address_ref()), instant=False,
               requested=later(clock.now(), 10))


async def test_composite_poq_waits_for_the_supplier_then_is_serviceable_and_its_refs_reach_quote_and_order(
        client, container, clock, fakes) -> None:
    sup = fakes["sup-b"]
    sup.poq_pending = True
    doc = await poqs.create(client, poq_body(clock))
    assert doc["state"] == "acknowledged"
    await settle(container)
    clock.advance(timedelta(days=1))  # our own answer is due
    await settle(container)
    assert (await poqs.fetch(client, doc["id"]))["state"] == "inProgress"
    sup.answer_poqs()
    clock.advance(POLL)
    await settle(container)
    done = await poqs.fetch(client, doc["id"])
    assert done["state"] == "done.ready"
    one = poqs.items(done)["1"]
    assert one["state"] == "done.ready" and one["serviceabilityConfidence"] == "green"
    assert one["installationInterval"] == {"amount": 21, "units": "calendarDays"}
    assert "sup-b" not in str(done)
    record = await enquiry_of(container, Purpose.QUALIFY, doc["id"])
    [supplier_poq] = sup.poqs
    assert record.result["supplierPoqs"] == [{"segment": "last-mile", "provider": "sup-b", "state": "serviceable",
                                              "ref": {"provider": "sup-b", "kind": "poq", "id": supplier_poq},
                                              "itemId": "1"}]
    assert record.result["installationBasis"] == {"segments": {"core": 5, "last-mile": 20}, "endToEndTestHours": 2}

    # a quote on that POQ item asks the supplier on its own POQ item; an order on the quote names both
    ref = {"id": "1", "productOfferingQualificationId": doc["id"]}
    quoted = await firm_quote(client, container, clock, productOfferingQualificationItem=ref)
    [supplier_quote] = sup.quotes.values()
    assert supplier_quote.request.poq_ref == ExternalRef("sup-b", supplier_poq, "poq")
    await place_on(client, quoted, productOfferingQualificationItem=ref)
    await settle(container)
    request = sup.only_order().request
    assert (request.poq_ref, request.poq_item_id) == (ExternalRef("sup-b", supplier_poq, "poq"), "1")
    assert request.quote_ref == ExternalRef("sup-b", supplier_quote.id, "quote")


async def test_composite_poq_is_red_when_a_supplier_segment_cannot_be_delivered(client, container, clock,
                                                                               fakes) -> None:
    fakes["sup-b"].unserviceable = "building not on net"
    doc = await poqs.create(client, poq_body(clock))
    await settle(container)
    clock.advance(timedelta(days=1))
    await settle(container)
    done = await poqs.fetch(client, doc["id"])
    one = poqs.items(done)["1"]
    assert (done["state"], one["serviceabilityConfidence"]) == ("done.ready", "red")
    assert one["serviceabilityConfidenceReason"] == \
        "segment last-mile of the service cannot be delivered at this location"
    assert "installationInterval" not in one and "building not on net" not in str(done)


async def test_an_immediate_composite_poq_is_refused(client, clock, fakes) -> None:
    body = poq(item("1", offering="ael-sg", config=ael(500), place=address_ref()), instant=True)
    problems = await poqs.create(client, body, status=422)
    assert problems[0]["propertyPath"] == "/instantSyncQualification"
    assert not fakes["sup-b"].calls
