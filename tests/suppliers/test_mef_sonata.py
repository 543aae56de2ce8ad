"""The MEF Sonata supplier adapter: against our own Seller app (SQLite and PostgreSQL), and under injected faults.

Part 1 drives the real Seller through `httpx.ASGITransport`: what the adapter sends must be accepted as MEF
and stored as sent, and what the Seller answers must come back as the right neutral evidence.
Part 2 replaces the Seller with `httpx.MockTransport` to inject timeouts, refusals and odd answers.
Part 3 checks the mapping tables directly.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from counterpoint.api.app import create_app
from counterpoint.bootstrap import Container
from counterpoint.core.orchestration.registry import ProviderConfig, RetryPolicy
from counterpoint.core.orchestration.supply import (
    CallbackRejected,
    CancellationOutcome,
    OutcomeUnknown,
    Price,
    QualificationRequest,
    QualificationState,
    QuoteRequest,
    QuoteState,
    SegmentRequest,
    SegmentState,
    Source,
    SupplierNotFound,
    SupplierRejected,
    SupplierUnavailable,
)
from counterpoint.core.shared.apis import base_path
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.notifications.relay import OutboxRelay
from counterpoint.suppliers.mef_sonata import BuyerContact, BuyerDetails, SonataAdapter, mapping
from counterpoint.suppliers.transport import Exchange
from counterpoint.workers.fulfilment import FulfilmentWorker
from counterpoint.workers.quote import QuoteWorker
from counterpoint.workers.serviceability import ServiceabilityWorker
from tests.builders import ORDER_BASE, add_item, order_body, uni_config
from tests.helpers import BUYER_A, ListenerRecorder, assert_mef_event, assert_mef_response
from tests.unit.serviceability.payloads import address_ref, internet, uni

QUOTE_BASE = "/mefApi/sonata/quoteManagement/v8"
SELLER_URL = "http://seller.test"
CALLBACK = "http://buyer.example/cb/lion"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the ManualClock's start

DESK = BuyerDetails(contact=BuyerContact(name="Ana Buyer", email="ana@buyer.example", number="+65 6000 0000",
                                         organization="Archipelago Telecom"), billing_account_id="BA-7")


async def no_sleep(_: float) -> None:
    return None


def lion(**overrides: Any) -> ProviderConfig:
    """Our demo Seller as a supplier: buyer-a's key, and both party ids (the Seller checks them)."""
    values: dict[str, Any] = {"id": "lion", "name": "Lion City Metro", "adapter": "mef-sonata",
                              "base_url": SELLER_URL, "api_key": "demo-key-buyer-a", "buyer_id": "buyer-a",
                              "seller_id": "lion-city-metro"}
    return ProviderConfig(**{**values, **overrides})


def segment(our_ref: str, **extra: Any) -> SegmentRequest:
    values: dict[str, Any] = {"our_ref": our_ref, "correlation_id": f"corr-{our_ref}", "action": "add",
                              "offering_id": "uni-sg", "spec_urn": None, "configuration": uni(),
                              "places": [address_ref()]}
    return SegmentRequest(**{**values, **extra})


# ==== part 1: against our own Seller ======================================================================


@pytest.fixture
async def seller(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """The Seller app as the adapter's HTTP client (the adapter builds absolute URLs from its config)."""
    transport = httpx.ASGITransport(app=create_app(container, manage_lifecycle=False))
    async with httpx.AsyncClient(transport=transport, base_url=SELLER_URL) as client:
        yield client


@pytest.fixture
async def adapter(seller: httpx.AsyncClient, clock: ManualClock) -> AsyncIterator[SonataAdapter]:
    a = SonataAdapter(lion(), clock=clock, client=seller, sleep=no_sleep, buyer=DESK)
    yield a
    await a.aclose()


async def drive(container: Container, clock: ManualClock, days: float, step_hours: float = 6) -> None:
    """Let the Seller's clock run, its fulfilment, serviceability and quote workers acting as it goes."""
    workers = [FulfilmentWorker(container), ServiceabilityWorker(container), QuoteWorker(container)]
    end = clock.now() + timedelta(days=days)
    while clock.now() < end:
        clock.advance(timedelta(hours=step_hours))
        for worker in workers:
            while await worker.run_once():
                pass


async def seller_order(seller: httpx.AsyncClient, order_id: str) -> dict[str, Any]:
    r = await seller.get(f"{ORDER_BASE}/productOrder/{order_id}", headers=BUYER_A)
    assert r.status_code == 200, r.text
    return assert_mef_response(r, "productOrder", "/productOrder/{id}", "get")


async def test_order_journey_from_acknowledged_to_delivered(adapter: SonataAdapter, seller: httpx.AsyncClient,
                                                            container: Container, clock: ManualClock) -> None:
    placed = await adapter.place_order(segment("seg-1", note="first segment of circuit C-9"))
    assert (placed.state, placed.raw_state, placed.source) == (SegmentState.ACKNOWLEDGED, "acknowledged",
                                                               Source.COMMAND)
    assert placed.our_ref == "seg-1" and placed.ref.provider == "lion" and placed.ref.kind == "productOrder"
    assert placed.observed_at == T0 and placed.as_of == T0
    assert placed.expected_completion == T0 + timedelta(days=15)  # uni-sg installs in 15 days
    assert placed.product_ref is None and placed.required_action is None
    assert placed.evidence == f"{SELLER_URL}{ORDER_BASE}/productOrder/{placed.ref.value}"

    # what the Seller stored is what MEF asks a Buyer to send
    stored = await seller_order(seller, placed.ref.value)
    assert stored["externalId"] == "seg-1"
    # what the Buyer sent, followed by the Seller's own contact (MEF 123 R17)
    assert [c["role"] for c in stored["relatedContactInformation"]] == ["productOrderContact", "sellerContact"]
    assert stored["note"][0]["text"] == "first segment of circuit C-9"
    (item,) = stored["productOrderItem"]
    assert (item["id"], item["action"], item["billingAccount"]) == ("1", "add", {"id": "BA-7"})
    assert item["product"] == {"productOffering": {"id": "uni-sg"}, "productConfiguration": uni(),
                               "place": [address_ref()]}
    assert item["requestedCompletionDate"] == "2026-01-05T09:00:00Z"
    assert sorted(c["role"] for c in item["relatedContactInformation"]) == [
        "buyerImplementationContact", "buyerProductOrderItemContact", "buyerTechnicalContact", "sellerContact"]
    assert item["relatedContactInformation"][0]["emailAddress"] == "ana@buyer.example"

    polled = await adapter.get_order(placed.ref)
    assert (polled.state, polled.source, polled.ref) == (SegmentState.ACKNOWLEDGED, Source.POLL, placed.ref)

    await drive(container, clock, 1)
    started = await adapter.get_order(placed.ref)
    assert (started.state, started.raw_state) == (SegmentState.IN_DELIVERY, "inProgress")
    item = (await seller_order(seller, placed.ref.value))["productOrderItem"][0]
    assert started.as_of == datetime.fromisoformat(item["stateChange"][-1]["changeDate"])  # when it began
    assert started.observed_at == T0 + timedelta(days=1)  # when we saw it

    await drive(container, clock, 20)
    done = await adapter.get_order(placed.ref)
    assert (done.state, done.raw_state) == (SegmentState.DELIVERED, "completed")
    order = await seller_order(seller, placed.ref.value)
    product_id = order["productOrderItem"][0]["product"]["id"]
    assert done.product_ref == ExternalRef("lion", product_id, "product")
    assert done.as_of == max(datetime.fromisoformat(c["changeDate"]) for c in order["stateChange"])
    assert done.detail["completionDate"] == order["productOrderItem"][0]["completionDate"]

    product = await adapter.api.get_product(product_id)  # MEF 116 through the same client
    assert (product["id"], product["status"]) == (product_id, "active")
    assert product["productOrderItem"] == [{"productOrderId": placed.ref.value, "productOrderItemId": "1"}]


async def test_find_order_recovers_by_our_reference(adapter: SonataAdapter) -> None:
    placed = await adapter.place_order(segment("seg-find"))
    await adapter.place_order(segment("seg-other"))
    found = await adapter.find_order("seg-find")
    assert found is not None
    assert (found.ref, found.source, found.our_ref) == (placed.ref, Source.RECOVERY, "seg-find")
    assert found.state is SegmentState.ACKNOWLEDGED and "otherMatches" not in found.detail
    assert await adapter.find_order("seg-never-sent") is None


async def test_a_resent_order_is_the_same_order_and_duplicates_are_reported(
        adapter: SonataAdapter, seller: httpx.AsyncClient, clock: ManualClock) -> None:
    first = await adapter.place_order(segment("seg-twice"))
    again = await adapter.place_order(segment("seg-twice"))  # a resend: our Idempotency-Key makes it the same
    assert again.ref == first.ref
    clock.advance(timedelta(minutes=5))
    # an order with our reference made some other way (by hand, without the key) is still found and reported
    manual = await seller.post(f"{ORDER_BASE}/productOrder", headers=BUYER_A, json=order_body(
        add_item(offering="uni-sg", config=uni_config()), external_id="seg-twice"))
    assert manual.status_code == 201, manual.text
    found = await adapter.find_order("seg-twice")
    assert found is not None
    assert found.ref == first.ref and found.detail["otherMatches"] == [manual.json()["id"]]


@pytest.mark.parametrize(("our_ref", "state", "reason"), [
    ("REJECT-1", SegmentState.REJECTED, "No capacity on the requested path"),
    ("FAIL-1", SegmentState.FAILED, "Fibre cut during installation"),
])
async def test_refusal_and_failure_carry_the_suppliers_reason(adapter: SonataAdapter, container: Container,
                                                              clock: ManualClock, our_ref: str,
                                                              state: SegmentState, reason: str) -> None:
    placed = await adapter.place_order(segment(our_ref))
    await drive(container, clock, 20)
    seen = await adapter.get_order(placed.ref)
    assert (seen.state, seen.reason) == (state, reason)
    assert seen.product_ref is None


async def test_held_for_a_charge_is_awaiting_buyer(adapter: SonataAdapter, seller: httpx.AsyncClient,
                                                   container: Container, clock: ManualClock) -> None:
    placed = await adapter.place_order(segment("CHARGE-1"))
    await drive(container, clock, 1)
    seen = await adapter.get_order(placed.ref)
    r = await seller.get(f"{ORDER_BASE}/charge", headers=BUYER_A, params={"productOrderId": placed.ref.value})
    (charge,) = r.json()
    assert (seen.state, seen.raw_state) == (SegmentState.AWAITING_BUYER, "held.assessingCharge")
    assert seen.required_action == f"acceptCharge:{charge['id']}"
    assert seen.detail["charges"] == [charge["id"]]


async def test_cancel_an_order_in_progress(adapter: SonataAdapter, seller: httpx.AsyncClient,
                                           container: Container, clock: ManualClock) -> None:
    placed = await adapter.place_order(segment("seg-cancel"))
    await drive(container, clock, 1)
    answer = await adapter.cancel_order(placed.ref, our_ref="cancel-seg-cancel", reason="customer withdrew")
    assert (answer.outcome, answer.raw_state, answer.ref.kind) == (CancellationOutcome.PENDING, "acknowledged",
                                                                   "cancelProductOrder")
    assert (await adapter.get_order(placed.ref)).state is SegmentState.CANCELLING  # assessingCancellation

    r = await seller.get(f"{ORDER_BASE}/cancelProductOrder/{answer.ref.value}", headers=BUYER_A)
    stored = assert_mef_response(r, "productOrder", "/cancelProductOrder/{id}", "get")
    assert (stored["cancellationReason"], stored["cancellationReasonType"]) == ("customer withdrew", "commercial")
    assert stored["relatedContactInformation"][0]["role"] == "cancelProductOrderContact"

    await drive(container, clock, 1)
    settled = await adapter.get_cancellation(answer.ref)
    assert (settled.outcome, settled.raw_state, settled.reason) == (CancellationOutcome.ACCEPTED, "done", None)
    seen = await adapter.get_order(placed.ref)
    assert (seen.state, seen.raw_state) == (SegmentState.CANCELLED, "cancelled")


async def test_cancellation_refused_and_cancellation_too_early(adapter: SonataAdapter, container: Container,
                                                               clock: ManualClock) -> None:
    built = await adapter.place_order(segment("NOCANCEL-1"))
    fresh = await adapter.place_order(segment("seg-fresh"))
    await drive(container, clock, 0.25)
    answer = await adapter.cancel_order(built.ref, our_ref="cancel-1", reason="changed our mind")
    await drive(container, clock, 0.25)
    refused = await adapter.get_cancellation(answer.ref)
    assert (refused.outcome, refused.raw_state) == (CancellationOutcome.REFUSED, "rejected")
    assert refused.reason == "Installation crew already dispatched"
    assert (await adapter.get_order(built.ref)).state is SegmentState.IN_DELIVERY

    clock.set(T0 + timedelta(days=40))  # the second order completed long ago: too late to cancel
    await drive(container, clock, 0.25)
    late = await adapter.cancel_order(fresh.ref, our_ref="cancel-2", reason="too late")  # MEF 123 Table 13
    assert (late.outcome, late.raw_state) == (CancellationOutcome.REFUSED, "rejected")
    assert late.reason is not None and "completed" in late.reason
    with pytest.raises(SupplierNotFound) as missing:
        await adapter.get_cancellation(ExternalRef("lion", "no-such-cancel", "cancelProductOrder"))
    assert (missing.value.status, missing.value.code) == (404, "notFound")


async def test_qualify_quote_and_order_on_the_quote(adapter: SonataAdapter, seller: httpx.AsyncClient,
                                                    clock: ManualClock) -> None:
    poq = await adapter.qualify(QualificationRequest(
        our_ref="poq-1", correlation_id="corr-poq-1", offering_id="uni-sg", spec_urn=None,
        configuration=uni(), places=[address_ref()]))
    assert (poq.state, poq.raw_state, poq.item_id, poq.installation_days) == (
        QualificationState.SERVICEABLE, "done.ready", "1", 15)
    assert poq.ref.kind == "poq" and (await adapter.get_qualification(poq.ref)).state is poq.state

    quote = await adapter.request_quote(QuoteRequest(
        our_ref="quote-1", correlation_id="corr-quote-1", offering_id="uni-sg", spec_urn=None,
        configuration=uni(), places=[address_ref()], term_months=24, poq_ref=poq.ref, poq_item_id=poq.item_id,
        instant=True))
    assert (quote.state, quote.raw_state, quote.item_id) == (QuoteState.FIRM, "approved.orderable", "1")
    assert quote.price == Price(nrc=Decimal(300), mrc=Decimal(150), currency="USD")
    assert (quote.term_months, quote.lead_time_days) == (24, 15)
    assert quote.valid_until == T0 + timedelta(days=30)
    r = await seller.get(f"{QUOTE_BASE}/quote/{quote.ref.value}", headers=BUYER_A)
    stored = assert_mef_response(r, "quote", "/quote/{id}", "get")
    assert stored["quoteItem"][0]["productOfferingQualificationItem"] == {
        "id": "1", "productOfferingQualificationId": poq.ref.value}

    placed = await adapter.place_order(segment("seg-quoted", quote_ref=quote.ref, quote_item_id=quote.item_id,
                                               poq_ref=poq.ref, poq_item_id=poq.item_id))
    assert placed.state is SegmentState.ACKNOWLEDGED
    item = (await seller_order(seller, placed.ref.value))["productOrderItem"][0]
    assert item["quoteItem"] == {"id": "1", "quoteId": quote.ref.value}
    assert item["productOfferingQualificationItem"] == {"id": "1", "productOfferingQualificationId": poq.ref.value}
    assert item["requestedItemTerm"] == stored["quoteItem"][0]["quoteItemTerm"][0]  # the quote's term, as MEF asks
    accepted = await adapter.get_quote(quote.ref)
    assert (accepted.state, accepted.raw_state) == (QuoteState.ACCEPTED, "accepted")


async def test_negative_and_deferred_qualifications(adapter: SonataAdapter, container: Container,
                                                    clock: ManualClock) -> None:
    jakarta = {"@type": "GeographicAddressRef", "id": "addr-jkt-sudirman", "role": "INSTALL_LOCATION"}
    red = await adapter.qualify(QualificationRequest(
        our_ref="poq-red", correlation_id="c1", offering_id="dia-sg", spec_urn=None, configuration=internet(),
        places=[jakarta]))
    assert (red.state, red.raw_state, red.installation_days) == (QualificationState.NOT_SERVICEABLE, "done.ready",
                                                                 None)
    assert red.reason is not None and "outside the coverage" in red.reason

    # Jurong is checked by hand: the immediate request is refused, so the adapter asks for a deferred answer
    jurong = {"@type": "GeographicAddressRef", "id": "addr-sg-jurong", "role": "INSTALL_LOCATION"}
    later = await adapter.qualify(QualificationRequest(
        our_ref="poq-later", correlation_id="c2", offering_id="uni-sg", spec_urn=None, configuration=uni(),
        places=[jurong]))
    assert (later.state, later.raw_state) == (QualificationState.PENDING, "acknowledged")
    await drive(container, clock, 1.5)
    answered = await adapter.get_qualification(later.ref)
    assert (answered.state, answered.raw_state, answered.installation_days) == (
        QualificationState.SERVICEABLE, "done.ready", 15)


async def test_deferred_quote_becomes_firm(adapter: SonataAdapter, seller: httpx.AsyncClient,
                                           container: Container, clock: ManualClock) -> None:
    asked = await adapter.request_quote(QuoteRequest(
        our_ref="quote-later", correlation_id="corr-q", offering_id="uni-sg", spec_urn=None, configuration=uni(),
        places=[address_ref()], term_months=12, instant=False))
    assert (asked.state, asked.raw_state, asked.price) == (QuoteState.PENDING, "acknowledged", None)
    r = await seller.get(f"{QUOTE_BASE}/quote/{asked.ref.value}", headers=BUYER_A)
    stored = assert_mef_response(r, "quote", "/quote/{id}", "get")
    assert stored["requestedQuoteCompletionDate"] == "2026-01-15T09:00:00Z"  # the default 10-day window
    assert [c["role"] for c in stored["quoteItem"][0]["relatedContactInformation"]] == [
        "quoteItemTechnicalContact", "quoteItemLocationContact"]
    await drive(container, clock, 3)
    firm = await adapter.get_quote(asked.ref)
    assert (firm.state, firm.term_months) == (QuoteState.FIRM, 12)
    assert firm.price == Price(nrc=Decimal(300), mrc=Decimal(150), currency="USD")


async def test_subscribe_and_parse_the_sellers_own_notifications(
        adapter: SonataAdapter, seller: httpx.AsyncClient, container: Container, clock: ManualClock,
        relay: OutboxRelay, recorder: ListenerRecorder) -> None:
    ids = await adapter.subscribe(CALLBACK)
    # orders, quotes, POQs, trouble tickets (and incidents), and work orders where the Seller serves them
    assert len(ids) == 5 and len(set(ids)) == 5
    r = await seller.get(f"{base_path('troubleTicket', 'sonata')}/hub/{ids[3]}", headers=BUYER_A)
    hub = assert_mef_response(r, "troubleTicket", "/hub/{id}", "get")
    assert hub["callback"] == CALLBACK and "troubleTicketResolvedEvent" in hub["query"]
    assert "troubleTicketInformationRequiredEvent" in hub["query"]
    r = await seller.get(f"{ORDER_BASE}/hub/{ids[0]}", headers=BUYER_A)
    hub = assert_mef_response(r, "productOrder", "/hub/{id}", "get")
    assert hub["callback"] == CALLBACK
    assert hub["query"].startswith("eventType=productOrderStateChangeEvent,productOrderItemStateChangeEvent,")
    assert "chargeCreateEvent" in hub["query"]  # MEF 123 R103: a Buyer must take charge notifications

    placed = await adapter.place_order(segment("seg-events"))
    await drive(container, clock, 1)
    answer = await adapter.cancel_order(placed.ref, our_ref="cancel-ev", reason="testing events")
    await drive(container, clock, 0.25)
    await adapter.qualify(QualificationRequest(
        our_ref="poq-ev", correlation_id="c", offering_id="uni-sg", spec_urn=None, configuration=uni(),
        places=[{"@type": "GeographicAddressRef", "id": "addr-sg-jurong", "role": "INSTALL_LOCATION"}]))
    await relay.drain()

    def note_for(event_type: str) -> tuple[dict[str, Any], Any]:
        delivered = recorder.of_type(event_type)[0]
        assert delivered.url.startswith(CALLBACK + "/mefApi/sonata/")
        return delivered.body, adapter.parse_callback(urlsplit(delivered.url).path, delivered.headers,
                                                      json.dumps(delivered.body).encode())

    body, note = note_for("productOrderStateChangeEvent")
    assert_mef_event(body, "productOrderNotification", "productOrderStateChangeEvent")
    assert (note.provider, note.ref, note.event_id) == ("lion", placed.ref, body["eventId"])
    assert note.event_type == "productOrderStateChangeEvent" and note.observation is None
    assert note.event_time == datetime.fromisoformat(body["eventTime"])
    _, note = note_for("cancelProductOrderStateChangeEvent")
    assert note.ref == answer.ref
    body, note = note_for("poqCreateEvent")
    assert note.ref.kind == "poq" and note.ref.value == body["event"]["id"]

    forged = {**body, "event": {**body["event"], "sellerId": "someone-else"}}
    with pytest.raises(CallbackRejected, match="sellerId"):
        adapter.parse_callback(urlsplit(recorder.of_type("poqCreateEvent")[0].url).path, {},
                               json.dumps(forged).encode())


async def test_default_buyer_details_are_accepted_by_a_mef_seller(seller: httpx.AsyncClient,
                                                                  clock: ManualClock) -> None:
    plain = SonataAdapter(lion(buyer_id=None, seller_id=None), clock=clock, client=seller, sleep=no_sleep)
    placed = await plain.place_order(segment("seg-plain"))
    order = await seller_order(seller, placed.ref.value)
    assert order["relatedContactInformation"][0]["emailAddress"] == "supply-desk@counterpoint.invalid"
    assert "billingAccount" not in order["productOrderItem"][0]


async def test_wrong_credentials_are_a_rejection(seller: httpx.AsyncClient, clock: ManualClock) -> None:
    stranger = SonataAdapter(lion(api_key="not-a-key"), clock=clock, client=seller, sleep=no_sleep)
    with pytest.raises(SupplierRejected) as caught:
        await stranger.place_order(segment("seg-x"))
    assert (caught.value.status, caught.value.code) == (401, "invalidCredentials")
    other_buyer = SonataAdapter(lion(buyer_id="buyer-b"), clock=clock, client=seller, sleep=no_sleep)
    with pytest.raises(SupplierRejected) as forbidden:
        await other_buyer.find_order("seg-x")
    assert (forbidden.value.status, forbidden.value.code) == (403, "forbiddenRequester")


# ==== part 2: fault injection ==============================================================================

ACME_BASE = "https://acme.example/api"
ACME_ORDERS = "/api/mefApi/sonata/productOrderingManagement/v10"


def acme(**overrides: Any) -> ProviderConfig:
    values: dict[str, Any] = {"id": "acme", "name": "Acme", "adapter": "mef-sonata", "base_url": ACME_BASE,
                              "api_key": "acme-key", "buyer_id": "us", "seller_id": "acme-sg",
                              "retry": RetryPolicy(attempts=3, backoff_s=0.5, max_backoff_s=1.0)}
    return ProviderConfig(**{**values, **overrides})


def order_doc(state: str = "acknowledged", item_state: str | None = "acknowledged", **item: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": "1", "action": "add", **item}
    if item_state is not None:
        entry["state"] = item_state
        entry.setdefault("stateChange", [{"state": item_state, "changeDate": "2026-01-05T10:00:00Z"}])
    return {"id": "PO-77", "href": f"{ACME_BASE}/productOrder/PO-77", "externalId": "seg-9", "state": state,
            "orderDate": "2026-01-05T09:30:00Z", "relatedContactInformation": [],
            "stateChange": [{"state": state, "changeDate": "2026-01-05T09:30:00Z"}], "productOrderItem": [entry]}


class Script:
    """A MockTransport that answers from a list (a response, or an exception to raise) and keeps the requests."""

    def __init__(self, *answers: httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []
        self.exchanges: list[Exchange] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def adapter(self, **config: Any) -> SonataAdapter:
        client = httpx.AsyncClient(transport=httpx.MockTransport(self.handler))
        return SonataAdapter(acme(**config), clock=ManualClock(), client=client, sleep=self.sleep,
                             audit=self.exchanges.append)


def answer(status: int, body: Any = None) -> httpx.Response:
    if body is None:
        return httpx.Response(status)
    return httpx.Response(status, json=body, headers={"Content-Type": "application/json;charset=utf-8"})


def timeout() -> Exception:
    return httpx.ReadTimeout("timed out")


async def test_post_timeout_is_an_unknown_outcome_after_one_attempt() -> None:
    script = Script(httpx.ReadTimeout("timed out"))
    with pytest.raises(OutcomeUnknown, match="ReadTimeout"):
        await script.adapter().place_order(segment("seg-9"))
    assert len(script.requests) == 1 and script.sleeps == []
    assert [(e.attempt, e.outcome, e.idempotency_key) for e in script.exchanges] == [(1, "unknown", "seg-9")]


async def test_post_refused_with_503_is_sent_again_until_it_is_taken() -> None:
    script = Script(answer(503), answer(503), answer(201, order_doc()))
    seen = await script.adapter().place_order(segment("seg-9"))
    assert (seen.state, seen.ref) == (SegmentState.ACKNOWLEDGED, ExternalRef("acme", "PO-77", "productOrder"))
    assert len(script.requests) == 3 and len(script.sleeps) == 2
    assert 0 <= script.sleeps[0] <= 0.5 and 0 <= script.sleeps[1] <= 1.0  # full jitter under the capped step
    assert {r.content for r in script.requests} == {script.requests[0].content}  # the same body each time
    assert [e.outcome for e in script.exchanges] == ["retry", "retry", "answered"]


async def test_post_answered_500_is_an_unknown_outcome() -> None:
    script = Script(answer(500, {"code": "internalError", "reason": "boom"}), answer(201, order_doc()))
    with pytest.raises(OutcomeUnknown) as caught:
        await script.adapter().place_order(segment("seg-9"))
    assert caught.value.status == 500 and len(script.requests) == 1


async def test_post_answered_201_with_an_unreadable_body_is_an_unknown_outcome() -> None:
    script = Script(httpx.Response(201, content=b"<html>created</html>"))
    with pytest.raises(OutcomeUnknown, match="unreadable"):
        await script.adapter().place_order(segment("seg-9"))
    script = Script(answer(201, {"state": "acknowledged"}))  # no id: we cannot tell what was created
    with pytest.raises(OutcomeUnknown, match="no id"):
        await script.adapter().place_order(segment("seg-9"))


async def test_get_is_retried_after_500() -> None:
    script = Script(answer(500), answer(200, order_doc("inProgress", "inProgress")))
    seen = await script.adapter().get_order(ExternalRef("acme", "PO-77"))
    assert (seen.state, seen.source) == (SegmentState.IN_DELIVERY, Source.POLL)
    assert len(script.requests) == 2 and len(script.sleeps) == 1


async def test_get_read_timeouts_exhaust_into_unavailable() -> None:
    script = Script(timeout(), timeout(), timeout())
    with pytest.raises(SupplierUnavailable, match="after 3 attempt"):
        await script.adapter().get_order(ExternalRef("acme", "PO-77"))
    assert len(script.requests) == 3


@pytest.mark.parametrize("method", ["place", "get"])
async def test_connection_refused_is_unavailable_after_the_configured_attempts(method: str) -> None:
    script = Script(*[httpx.ConnectError("connection refused") for _ in range(4)])
    adapter = script.adapter(retry=RetryPolicy(attempts=4, backoff_s=0.1))
    with pytest.raises(SupplierUnavailable, match="cannot connect"):
        if method == "place":
            await adapter.place_order(segment("seg-9"))
        else:
            await adapter.get_order(ExternalRef("acme", "PO-77"))
    assert len(script.requests) == 4 and len(script.sleeps) == 3


async def test_a_transport_error_outside_the_usual_list_is_still_ours() -> None:
    script = Script(httpx.ProxyError("proxy hung up"))
    with pytest.raises(OutcomeUnknown, match="ProxyError"):
        await script.adapter().place_order(segment("seg-9"))
    script = Script(httpx.UnsupportedProtocol("no scheme"), httpx.UnsupportedProtocol("no scheme"),
                    httpx.UnsupportedProtocol("no scheme"))
    with pytest.raises(SupplierUnavailable):
        await script.adapter().place_order(segment("seg-9"))


async def test_422_is_a_rejection_with_the_mef_problems() -> None:
    problems = [{"code": "missingProperty", "reason": "relatedContactInformation is required",
                 "propertyPath": "/relatedContactInformation"},
                {"code": "invalidValue", "reason": "unknown offering", "propertyPath": "/productOrderItem/0"}]
    script = Script(answer(422, problems))
    with pytest.raises(SupplierRejected) as caught:
        await script.adapter().place_order(segment("seg-9"))
    assert type(caught.value) is SupplierRejected
    assert (caught.value.status, caught.value.code, caught.value.problems) == (422, "missingProperty", problems)
    assert caught.value.reason == "relatedContactInformation is required; unknown offering"
    assert len(script.requests) == 1


async def test_400_and_404_bodies_are_normalised() -> None:
    script = Script(answer(400, {"code": "invalidBody", "reason": "not a product order"}))
    with pytest.raises(SupplierRejected) as bad:
        await script.adapter().place_order(segment("seg-9"))
    assert (bad.value.status, bad.value.code, bad.value.reason) == (400, "invalidBody", "not a product order")
    script = Script(answer(404, {"code": "notFound", "reason": "no such order"}))
    with pytest.raises(SupplierNotFound) as missing:
        await script.adapter().get_order(ExternalRef("acme", "PO-404"))
    assert (missing.value.status, missing.value.code, missing.value.reason) == (404, "notFound", "no such order")
    script = Script(httpx.Response(404, content=b"gone"))
    with pytest.raises(SupplierNotFound) as bare:
        await script.adapter().get_quote(ExternalRef("acme", "Q-1", "quote"))
    assert (bare.value.code, bare.value.reason) == ("notFound", "HTTP 404")


async def test_every_call_carries_credentials_correlation_idempotency_and_party_ids() -> None:
    script = Script(answer(201, order_doc()))
    await script.adapter().place_order(segment("seg-9", requested_completion=T0 + timedelta(days=30)))
    (request,) = script.requests
    assert (request.method, request.url.path) == ("POST", f"{ACME_ORDERS}/productOrder")
    assert dict(request.url.params) == {"buyerId": "us", "sellerId": "acme-sg"}
    assert request.headers["Authorization"] == "Bearer acme-key"
    assert request.headers["X-Correlation-ID"] == "corr-seg-9"
    assert request.headers["Idempotency-Key"] == "seg-9"
    assert request.headers["Content-Type"] == "application/json;charset=utf-8"
    body = json.loads(request.content)
    assert body["externalId"] == "seg-9"
    (item,) = body["productOrderItem"]
    assert (item["id"], item["action"], item["requestedCompletionDate"]) == ("1", "add", "2026-02-04T09:00:00Z")
    assert "id" not in item["product"]  # MEF 123 R36: the Seller names new products


async def test_party_ids_are_left_out_when_the_profile_has_none_and_versions_follow_the_profile() -> None:
    script = Script(answer(200, order_doc()))
    adapter = script.adapter(buyer_id=None, seller_id=None, api_versions={"productOrder": "v11"})
    await adapter.get_order(ExternalRef("acme", "PO 77/x"))
    (request,) = script.requests
    assert request.url.raw_path.decode() == "/api/mefApi/sonata/productOrderingManagement/v11/productOrder/PO%2077%2Fx"
    assert request.url.params == httpx.QueryParams() and "Idempotency-Key" not in request.headers


async def test_modify_and_delete_name_the_suppliers_product() -> None:
    product = ExternalRef("acme", "P-5", "product")
    script = Script(answer(201, order_doc()), answer(201, order_doc()))
    adapter = script.adapter()
    await adapter.place_order(segment("seg-mod", action="modify", product_ref=product))
    await adapter.place_order(segment("seg-del", action="delete", product_ref=product))
    modify, delete = (json.loads(r.content)["productOrderItem"][0] for r in script.requests)
    assert modify["product"]["id"] == "P-5" and modify["product"]["productOffering"] == {"id": "uni-sg"}
    assert delete["product"] == {"id": "P-5"} and delete["action"] == "delete"
    with pytest.raises(ValueError, match="product_ref"):
        await adapter.place_order(segment("seg-bad", action="delete"))
    with pytest.raises(ValueError, match="not a productOrder of acme"):
        await adapter.get_order(ExternalRef("lion", "PO-77"))


async def test_spec_urn_fills_a_payload_without_type() -> None:
    script = Script(answer(201, order_doc()))
    config = {k: v for k, v in uni().items() if k != "@type"}
    await script.adapter().place_order(segment("seg-9", configuration=config, spec_urn="urn:example:uni"))
    sent = json.loads(script.requests[0].content)["productOrderItem"][0]["product"]["productConfiguration"]
    assert sent["@type"] == "urn:example:uni" and sent["linkAggregation"] == "NONE"
    assert "@type" not in config  # the caller's payload is not touched


async def test_unknown_supplier_state_is_unrecognised() -> None:
    script = Script(answer(200, order_doc("inProgress", "suspended.byRegulator")))
    seen = await script.adapter().get_order(ExternalRef("acme", "PO-77"))
    assert (seen.state, seen.raw_state) == (SegmentState.UNRECOGNISED, "inProgress")
    assert seen.detail["itemState"] == "suspended.byRegulator"
    assert seen.reason == "unrecognised order item state 'suspended.byRegulator'"


async def test_find_order_walks_pages_when_the_filter_is_ignored() -> None:
    page1 = [{"id": f"PO-{n}", "externalId": f"other-{n}", "state": "completed", "orderDate": "2026-01-01T00:00:00Z"}
             for n in range(50)]
    page2 = [{"id": "PO-77", "externalId": "seg-9", "state": "acknowledged", "orderDate": "2026-01-05T09:30:00Z"}]
    script = Script(answer(200, page1), answer(200, page2), answer(200, order_doc()))
    found = await script.adapter().find_order("seg-9")
    assert found is not None and found.ref.value == "PO-77" and found.source is Source.RECOVERY
    assert [dict(r.url.params) for r in script.requests[:2]] == [
        {"externalId": "seg-9", "offset": "0", "limit": "50", "buyerId": "us", "sellerId": "acme-sg"},
        {"externalId": "seg-9", "offset": "50", "limit": "50", "buyerId": "us", "sellerId": "acme-sg"}]
    assert script.requests[2].url.path == f"{ACME_ORDERS}/productOrder/PO-77"


async def test_subscribe_withdraws_what_it_registered_when_a_hub_fails() -> None:
    script = Script(answer(201, {"id": "L-1", "callback": CALLBACK}), answer(400, {"code": "invalidBody"}),
                    answer(204))
    with pytest.raises(SupplierRejected):
        await script.adapter().subscribe(CALLBACK)
    posted, refused, withdrawn = script.requests
    assert posted.url.path == f"{ACME_ORDERS}/hub" and json.loads(posted.content)["callback"] == CALLBACK
    assert refused.url.path == "/api/mefApi/sonata/quoteManagement/v8/hub"
    assert json.loads(refused.content)["query"] == "eventType=quoteStateChangeEvent,quoteItemStateChangeEvent"
    assert (withdrawn.method, withdrawn.url.path) == ("DELETE", f"{ACME_ORDERS}/hub/L-1")


def event(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"eventId": "E-1", "eventTime": "2026-01-05T10:00:00Z",
                            "eventType": "productOrderStateChangeEvent",
                            "event": {"id": "PO-77", "href": f"{ACME_BASE}/productOrder/PO-77", "buyerId": "us",
                                      "sellerId": "acme-sg"}}
    return {**body, **overrides}


LISTENER = "/cb/mefApi/sonata/productOrderingNotification/v10/listener/"


@pytest.mark.parametrize(("path", "body", "why"), [
    (LISTENER + "productOrderStateChangeEvent", b"{not json", "not JSON"),
    (LISTENER + "productOrderStateChangeEvent", b"[1, 2]", "not a JSON object"),
    (LISTENER + "productOrderStateChangeEvent", b"\xff\xfe", "not JSON"),
    (LISTENER + "x", json.dumps(event(eventType="productOrderDeletedEvent")).encode(), "unknown event type"),
    (LISTENER + "x", json.dumps(event(eventType=None)).encode(), "unknown event type"),
    (LISTENER + "productOrderStateChangeEvent", json.dumps(event(eventId="")).encode(), "no eventId"),
    (LISTENER + "productOrderStateChangeEvent", json.dumps(event(eventTime="yesterday")).encode(), "eventTime"),
    (LISTENER + "productOrderStateChangeEvent", json.dumps(event(event={"href": "x"})).encode(), "event.id"),
    (LISTENER + "productOrderStateChangeEvent", json.dumps(event(event="PO-77")).encode(), "event.id"),
    (LISTENER + "chargeCreateEvent", json.dumps(event()).encode(), "arrived on the listener of chargeCreateEvent"),
    (LISTENER + "productOrderStateChangeEvent",
     json.dumps(event(event={"id": "PO-77", "buyerId": "them"})).encode(), "buyerId"),
])
def test_malformed_or_foreign_callbacks_are_rejected(path: str, body: bytes, why: str) -> None:
    with pytest.raises(CallbackRejected, match=why):
        Script().adapter().parse_callback(path, {}, body)


@pytest.mark.parametrize(("event_type", "kind"), [
    ("productOrderItemStateChangeEvent", "productOrder"), ("cancelProductOrderStateChangeEvent", "cancelProductOrder"),
    ("chargeCreateEvent", "charge"), ("quoteStateChangeEvent", "quote"), ("poqItemStateChangeEvent", "poq"),
    ("productOrderItemExpectedCompletionDateSetEvent", "productOrder"),  # the MEF 123 guide's spelling
])
def test_callback_kind_follows_the_event_type(event_type: str, kind: str) -> None:
    note = Script().adapter().parse_callback(f"/whatever/listener/{event_type}", {},
                                             json.dumps(event(eventType=event_type)).encode())
    assert (note.ref, note.event_id, note.event_type) == (ExternalRef("acme", "PO-77", kind), "E-1", event_type)
    assert note.event_time == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def test_a_callback_without_party_ids_is_accepted_when_the_profile_names_them() -> None:
    body = event(event={"id": "PO-77"})
    note = Script().adapter().parse_callback("/", {}, json.dumps(body).encode())
    assert note.ref.value == "PO-77"


# ==== part 3: the mapping tables ===========================================================================


@pytest.mark.parametrize(("order_state", "item_state", "expected"), [
    ("acknowledged", "acknowledged", SegmentState.ACKNOWLEDGED),
    ("inProgress", "inProgress", SegmentState.IN_DELIVERY),
    ("held.assessingCharge", "held", SegmentState.AWAITING_BUYER),
    ("inProgress", "held", SegmentState.AWAITING_BUYER),
    ("pending.assessingModification", "pending", SegmentState.IN_DELIVERY),
    ("assessingCancellation", "pending", SegmentState.CANCELLING),
    ("pendingCancellation", "cancelled", SegmentState.CANCELLING),
    ("cancelled", "cancelled", SegmentState.CANCELLED),
    ("completed", "completed", SegmentState.DELIVERED),
    ("failed", "failed", SegmentState.FAILED),
    ("partial", "failed", SegmentState.FAILED),
    ("rejected", "rejected", SegmentState.REJECTED),
    ("rejected", "rejected.validated", SegmentState.REJECTED),
    ("rejected", "rejected.unassessed", SegmentState.REJECTED),
    ("inProgress", None, SegmentState.IN_DELIVERY),
    ("partial", None, SegmentState.FAILED),
    (None, None, SegmentState.UNRECOGNISED),
    ("onHold", "inProgress", SegmentState.UNRECOGNISED),
    ("inProgress", "INPROGRESS", SegmentState.UNRECOGNISED),
])
def test_order_state_table(order_state: str | None, item_state: str | None, expected: SegmentState) -> None:
    assert mapping.segment_state(order_state, item_state)[0] is expected


def test_every_mef_order_word_is_mapped() -> None:
    from counterpoint.contracts.sonata import product_order_v10 as mef

    assert set(mapping.ORDER_STATES) == {s.value for s in mef.MEFProductOrderStateType}
    assert set(mapping.ITEM_STATES) == {s.value for s in mef.MEFProductOrderItemStateType}
    assert set(mapping.CANCELLATION_STATES) == {s.value for s in mef.MEFChargeableTaskStateType}


def test_every_mef_quote_and_poq_word_is_mapped() -> None:
    from counterpoint.contracts.sonata import poq_v7, quote_v8

    quote_words = {s.value for s in quote_v8.MEFQuoteStateType} | {s.value for s in quote_v8.MEFQuoteItemStateType}
    assert quote_words <= set(mapping.QUOTE_STATES)
    poq_words = {s.value for s in poq_v7.MEFPOQTaskStateType} | {s.value for s in poq_v7.MEFPOQItemTaskStateType}
    assert poq_words <= set(mapping.POQ_STATES)


def test_a_non_string_state_or_a_missing_id_never_crashes_the_wrong_way() -> None:
    seen = mapping.observe_order({"id": "PO-1", "state": 7, "productOrderItem": "nonsense"}, provider="p",
                                 source=Source.POLL, at=T0)
    assert (seen.state, seen.raw_state) == (SegmentState.UNRECOGNISED, "7")
    with pytest.raises(mapping.UnreadableAnswer):
        mapping.observe_order({"state": "acknowledged"}, provider="p", source=Source.POLL, at=T0)


def quote_doc(state: str, level: str = "firm", **item: Any) -> dict[str, Any]:
    return {"id": "Q-1", "state": state, "quoteLevel": level, "buyerRequestedQuoteLevel": "firm",
            "validFor": {"startDateTime": "2026-01-05T09:00:00Z", "endDateTime": "2026-02-04T09:00:00Z"},
            "quoteItem": [{"id": "1", "action": "add", "state": state, **item}]}


@pytest.mark.parametrize(("state", "level", "expected"), [
    ("approved.orderable", "firm", QuoteState.FIRM),
    ("approved.orderableAlternate", "firmSubjectToFeasibilityCheck", QuoteState.FIRM),
    ("approved.orderable", "budgetary", QuoteState.BUDGETARY),
    ("answered", "budgetary", QuoteState.BUDGETARY),
    ("inProgress.draft", "firm", QuoteState.PENDING),
    ("acknowledged", "firm", QuoteState.PENDING),
    ("unableToProvide", "firm", QuoteState.UNABLE),
    ("rejected", "firm", QuoteState.UNABLE),
    ("expired", "firm", QuoteState.EXPIRED),
    ("declined", "firm", QuoteState.CANCELLED),
    ("cancelled", "firm", QuoteState.CANCELLED),
    ("accepted", "firm", QuoteState.ACCEPTED),
])
def test_quote_state_table(state: str, level: str, expected: QuoteState) -> None:
    assert mapping.quote_answer(quote_doc(state, level), provider="p", at=T0).state is expected


def test_quote_prices_terms_and_intervals() -> None:
    prices = [
        {"priceType": "nonRecurring", "price": {"dutyFreeAmount": {"unit": "EUR", "value": 250}}},
        {"priceType": "nonRecurring", "price": {"dutyFreeAmount": {"unit": "EUR", "value": 50.5}}},
        {"priceType": "recurring", "recurringChargePeriod": "year", "price": {"dutyFreeAmount": {"unit": "EUR",
                                                                                                 "value": 1000}}},
        {"priceType": "recurring", "recurringChargePeriod": "month",
         "price": {"dutyFreeAmount": {"unit": "EUR", "value": 20}}},
        {"priceType": "usageBased", "price": {"dutyFreeAmount": {"unit": "EUR", "value": 0.1}}},
    ]
    answer_ = mapping.quote_answer(quote_doc(
        "approved.orderableAlternate", quoteItemPrice=prices,
        quoteItemTerm=[{"name": "3 years", "endOfTermAction": "roll", "duration": {"amount": 36,
                                                                                   "units": "calendarMonths"}}],
        quoteItemInstallationInterval={"amount": 10, "units": "businessDays"}), provider="p", at=T0)
    assert answer_.price == Price(nrc=Decimal("300.5"), mrc=Decimal("103.33"), currency="EUR")
    assert (answer_.term_months, answer_.lead_time_days) == (36, 14)
    assert answer_.valid_until == datetime(2026, 2, 4, 9, 0, tzinfo=UTC)
    mixed = [{"priceType": "nonRecurring", "price": {"dutyFreeAmount": {"unit": "EUR", "value": 1}}},
             {"priceType": "recurring", "price": {"dutyFreeAmount": {"unit": "USD", "value": 1}}}]
    assert mapping.quote_price(mixed) is None and mapping.quote_price([]) is None
    weird = mapping.quote_answer(quote_doc("approved.subjectToBoard"), provider="p", at=T0)
    assert (weird.state, weird.raw_state) == (QuoteState.PENDING, "approved.subjectToBoard")
    assert weird.reason == "unrecognised quote state 'approved.subjectToBoard'"


@pytest.mark.parametrize(("duration", "days"), [
    ({"amount": 15, "units": "calendarDays"}, 15), ({"amount": 5, "units": "businessDays"}, 7),
    ({"amount": 2, "units": "calendarMonths"}, 60), ({"amount": 36, "units": "calendarHours"}, 2),
    ({"amount": 3, "units": "fortnights"}, None), ({"amount": "3", "units": "calendarDays"}, None), (None, None),
])
def test_duration_days(duration: Any, days: int | None) -> None:
    assert mapping.duration_days(duration) == days


def poq_doc(state: str, item_state: str, **item: Any) -> dict[str, Any]:
    return {"id": "POQ-1", "state": state,
            "productOfferingQualificationItem": [{"id": "1", "action": "add", "state": item_state, **item}]}


@pytest.mark.parametrize(("doc", "expected", "days"), [
    (poq_doc("done.ready", "done.ready", serviceabilityConfidence="green",
             installationInterval={"amount": 20, "units": "calendarDays"}), QualificationState.SERVICEABLE, 20),
    (poq_doc("done.ready", "done.ready", serviceabilityConfidence="yellow"), QualificationState.SERVICEABLE, None),
    (poq_doc("done.ready", "done.ready", serviceabilityConfidence="red"), QualificationState.NOT_SERVICEABLE,
     None),
    (poq_doc("done.ready", "done.ready"), QualificationState.FAILED, None),
    (poq_doc("inProgress", "inProgress"), QualificationState.PENDING, None),
    (poq_doc("acknowledged", "acknowledged"), QualificationState.PENDING, None),
    (poq_doc("terminatedWithError", "terminatedWithError", terminationError=[{"value": "no such address"}]),
     QualificationState.FAILED, None),
    (poq_doc("done.unableToProvide", "done.abandoned"), QualificationState.FAILED, None),
    (poq_doc("done.maybe", "done.ready", serviceabilityConfidence="green"), QualificationState.PENDING, None),
])
def test_poq_state_table(doc: dict[str, Any], expected: QualificationState, days: int | None) -> None:
    answer_ = mapping.qualification_answer(doc, provider="p", at=T0)
    assert (answer_.state, answer_.installation_days, answer_.ref) == (expected, days,
                                                                       ExternalRef("p", "POQ-1", "poq"))
    if doc["state"] == "terminatedWithError":
        assert answer_.reason == "no such address"


def test_unknown_cancellation_state_stays_pending() -> None:
    answer_ = mapping.cancellation_answer({"id": "C-1", "state": "onHold"}, provider="p", at=T0)
    assert (answer_.outcome, answer_.raw_state) == (CancellationOutcome.PENDING, "onHold")
    assert answer_.reason == "unrecognised cancellation state 'onHold'"


def test_held_item_names_the_charges_to_answer() -> None:
    doc = order_doc("held.assessingCharge", "held", charge=[{"id": "CH-1"}, {"id": "CH-2"}],
                    expectedCompletionDate="2026-02-01T00:00:00Z")
    seen = mapping.observe_order(doc, provider="acme", source=Source.CALLBACK, at=T0)
    assert seen.required_action == "acceptCharge:CH-1,CH-2"
    assert seen.expected_completion == datetime(2026, 2, 1, tzinfo=UTC)
    assert seen.as_of == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)  # the item's change is the later one
    assert mapping.observe_order(order_doc("held.assessingCharge", "held"), provider="acme", source=Source.POLL,
                                 at=T0).required_action == "acceptCharge"
