"""MEF 115 quote management through the ASGI app (Sonata and Cantata), and quotes accepted by orders."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import httpx
import pytest

from counterpoint.bootstrap import Container
from counterpoint.core.shared.clock import ManualClock
from counterpoint.notifications.relay import OutboxRelay
from counterpoint.workers.quote import QuoteWorker
from tests.builders import ORDER_BASE, order_body
from tests.helpers import BUYER_A, BUYER_B, ListenerRecorder, assert_mef_event, assert_mef_response
from tests.unit.serviceability.payloads import POQ_BASE, ael, buyer_contact, item, later, poq, uni

QUOTE_BASE = "/mefApi/sonata/quoteManagement/v8"
CANTATA_QUOTE_BASE = "/mefApi/cantata/quoteManagement/v2"
COLLECTION, ONE = "/quote", "/quote/{id}"


def contact(role: str) -> dict[str, Any]:
    return {"role": role, "name": f"{role} person", "emailAddress": "ops@buyer.example", "number": "+65 6000 1111"}


def qitem(item_id: str = "1", *, term_months: int | None = 24, **kw: Any) -> dict[str, Any]:
    """A quote item (same product shapes as a POQ item) with the contacts a deferred quote needs."""
    out = item(item_id, **kw)
    out["relatedContactInformation"] = [contact("quoteItemTechnicalContact"), contact("quoteItemLocationContact")]
    if term_months is not None:
        out["requestedQuoteItemTerm"] = {"name": f"{term_months} months", "endOfTermAction": "autoRenew",
                                         "duration": {"amount": term_months, "units": "calendarMonths"}}
    return out


def quote(*items: dict[str, Any], instant: bool = True, level: str = "firm", requested: Any = None,
          **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"instantSyncQuote": instant, "buyerRequestedQuoteLevel": level,
                            "relatedContactInformation": [buyer_contact()],
                            "quoteItem": list(items) or [qitem()], **extra}
    if requested is not None:
        body["requestedQuoteCompletionDate"] = requested.isoformat().replace("+00:00", "Z")
    return body


def ael_pair(mbps: float = 500, address: str = "addr-sg-raffles") -> list[dict[str, Any]]:
    """An Access E-Line and the UNI it connects to, at one address."""
    place = {"@type": "GeographicAddressRef", "id": address, "role": "INSTALL_LOCATION"}
    return [qitem("uni", offering="uni-sg", config=uni(), place=place),
            qitem("ael", offering="ael-sg", config=ael(mbps), place=None,
                  quoteItemRelationship=[{"id": "uni", "relationshipType": "CONNECTS_TO_UNI"}])]


async def create(client: httpx.AsyncClient, body: dict[str, Any], *, headers: dict[str, str] = BUYER_A,
                 base: str = QUOTE_BASE, status: int = 201) -> Any:
    r = await client.post(f"{base}{COLLECTION}", headers=headers, json=body)
    assert r.status_code == status, r.text
    return assert_mef_response(r, "quote", COLLECTION, "post", base.split("/")[2])


async def fetch(client: httpx.AsyncClient, quote_id: str, *, headers: dict[str, str] = BUYER_A,
                base: str = QUOTE_BASE) -> Any:
    r = await client.get(f"{base}{COLLECTION}/{quote_id}", headers=headers)
    assert r.status_code == 200, r.text
    return assert_mef_response(r, "quote", ONE, "get", base.split("/")[2])


async def operate(client: httpx.AsyncClient, op: str, quote_id: str, *, headers: dict[str, str] = BUYER_A,
                  status: int = 200, reason: str | None = None) -> Any:
    body = {"quoteId": quote_id, **({"reason": reason} if reason else {})}
    r = await client.post(f"{QUOTE_BASE}/{op}", headers=headers, json=body)
    assert r.status_code == status, r.text
    return assert_mef_response(r, "quote", f"/{op}", "post")


async def listen(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{QUOTE_BASE}/hub", headers=BUYER_A, json={"callback": "https://buyer.example/hook"})
    assert r.status_code == 201


def events(recorder: ListenerRecorder) -> list[tuple[str, str | None]]:
    out = []
    for d in recorder.received:
        assert_mef_event(d.body, "quoteNotification", d.body["eventType"])
        out.append((d.body["eventType"], d.body["event"].get("quoteItemId")))
    return out


def items(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in doc["quoteItem"]}


def states(doc: dict[str, Any]) -> tuple[str, dict[str, str]]:
    return doc["state"], {i["id"]: i["state"] for i in doc["quoteItem"]}


# --- immediate quotes ----------------------------------------------------------------------------------------


async def test_immediate_firm_quote_is_priced_from_the_price_book(
    client: httpx.AsyncClient, relay: OutboxRelay, recorder: ListenerRecorder
) -> None:
    await listen(client)
    body = quote(*ael_pair(500), externalId="Q-1", projectId="jkt-sg")
    doc = await create(client, body)
    assert states(doc) == ("approved.orderable", {"uni": "approved.orderable", "ael": "approved.orderable"})
    assert doc["quoteLevel"] == "firm"
    assert doc["quoteDate"] == doc["effectiveQuoteCompletionDate"] == "2026-01-05T09:00:00Z"
    assert doc["validFor"] == {"startDateTime": "2026-01-05T09:00:00Z", "endDateTime": "2026-02-04T09:00:00Z"}
    assert doc["href"] == f"http://seller.test{QUOTE_BASE}/quote/{doc['id']}"
    ael_item = items(doc)["ael"]
    # 500 Mbps fits the 1000 Mbps tier of ael-sg: 800 installation, 1200 a month
    assert ael_item["quoteItemPrice"] == [
        {"name": "Access E-Line Singapore installation", "priceType": "nonRecurring",
         "price": {"dutyFreeAmount": {"unit": "USD", "value": 800}}},
        {"name": "Access E-Line Singapore up to 1000 Mbps", "priceType": "recurring",
         "recurringChargePeriod": "month", "price": {"dutyFreeAmount": {"unit": "USD", "value": 1200}}}]
    assert ael_item["quoteItemTerm"] == [{"name": "24 months", "endOfTermAction": "autoRenew",
                                          "duration": {"amount": 24, "units": "calendarMonths"}}]
    assert ael_item["quoteItemInstallationInterval"] == {"amount": 20, "units": "calendarDays"}
    assert ael_item["subjectToFeasibilityCheck"] is False
    # what the Buyer sent comes back unchanged; the Seller adds its own contact
    assert ael_item["product"] == body["quoteItem"][1]["product"]
    assert (doc["externalId"], doc["projectId"], doc["instantSyncQuote"]) == ("Q-1", "jkt-sg", True)
    assert [c["role"] for c in doc["relatedContactInformation"]] == ["buyerContactInformation",
                                                                    "sellerContactInformation"]
    assert await fetch(client, doc["id"]) == doc
    await relay.drain()
    assert recorder.received == []  # the response is the notice of creation


async def test_budgetary_quote_is_answered(client: httpx.AsyncClient) -> None:
    doc = await create(client, quote(qitem(), level="budgetary"))
    assert states(doc) == ("answered", {"1": "answered"})
    assert doc["quoteLevel"] == "budgetary"
    assert "subjectToFeasibilityCheck" not in items(doc)["1"]
    assert items(doc)["1"]["quoteItemPrice"][1]["price"]["dutyFreeAmount"] == {"unit": "USD", "value": 150}


@pytest.mark.parametrize(("term", "interval", "offered", "state"), [
    (18, None, 24, "approved.orderable"),  # a tie between 12 and 24 months goes to the longer term
    (40, None, 36, "approved.orderableAlternate"),  # shorter than asked
    (12, 10, 12, "approved.orderableAlternate"),  # installation takes 15 days, 10 asked
    (12, 30, 12, "approved.orderable"),
])
async def test_term_and_interval_decide_between_orderable_and_alternate(
    client: httpx.AsyncClient, term: int, interval: int | None, offered: int, state: str
) -> None:
    one = qitem(term_months=term)
    if interval is not None:
        one["requestedQuoteItemInstallationInterval"] = {"amount": interval, "units": "calendarDays"}
    doc = await create(client, quote(one))
    assert states(doc) == (state, {"1": state})
    assert items(doc)["1"]["quoteItemTerm"][0]["duration"] == {"amount": offered, "units": "calendarMonths"}


async def test_roll_term_gets_a_roll_interval(client: httpx.AsyncClient) -> None:
    one = qitem()
    one["requestedQuoteItemTerm"]["endOfTermAction"] = "roll"
    term = items(await create(client, quote(one)))["1"]["quoteItemTerm"][0]
    assert term["endOfTermAction"] == "roll" and term["rollInterval"] == {"amount": 1, "units": "calendarMonths"}


async def test_immediate_quote_the_seller_cannot_give_is_unable_to_provide(client: httpx.AsyncClient) -> None:
    surabaya = {"@type": "GeographicAddressRef", "id": "addr-sby-tunjungan", "role": "INSTALL_LOCATION"}
    doc = await create(client, quote(qitem("ok"), qitem("far", place=surabaya),
                                     qitem("ghost", offering="no-such-offering")))
    assert states(doc) == ("unableToProvide", {"ok": "approved.orderable", "far": "unableToProvide",
                                               "ghost": "unableToProvide"})
    assert "effectiveQuoteCompletionDate" in doc and "validFor" not in doc
    far, ghost = items(doc)["far"], items(doc)["ghost"]
    assert "outside the coverage" in far["terminationError"][0]["value"] and "quoteItemPrice" not in far
    assert ghost["terminationError"][0]["code"] == "referenceNotFound"


async def test_site_survey_and_manual_pricing_prevent_an_immediate_firm_answer(client: httpx.AsyncClient) -> None:
    changi = {"@type": "GeographicAddressRef", "id": "addr-sg-changi", "role": "INSTALL_LOCATION"}
    doc = await create(client, quote(qitem("survey", place=changi),
                                     qitem("big", offering="ael-sg", config=ael(6000))))
    assert states(doc) == ("unableToProvide", {"survey": "unableToProvide", "big": "unableToProvide"})
    assert "site survey" in items(doc)["survey"]["terminationError"][0]["value"]
    assert "priced by hand" in items(doc)["big"]["terminationError"][0]["value"]
    # a budgetary answer needs no survey
    budget = await create(client, quote(qitem("survey", place=changi), level="budgetary"))
    assert states(budget) == ("answered", {"survey": "answered"})


async def test_unknown_street_address_is_firm_subject_to_feasibility(client: httpx.AsyncClient) -> None:
    written = {"@type": "FieldedAddress", "streetNr": "99", "streetName": "Orchard", "streetType": "Road",
               "city": "Singapore", "postcode": "238888", "country": "SG", "role": "INSTALL_LOCATION"}
    doc = await create(client, quote(qitem(place=written)))
    assert doc["quoteLevel"] == "firmSubjectToFeasibilityCheck"
    assert items(doc)["1"]["subjectToFeasibilityCheck"] is True


# --- deferred quotes through the worker ----------------------------------------------------------------------


async def test_deferred_firm_quote_with_a_site_survey_goes_through_a_draft(
    client: httpx.AsyncClient, container: Container, clock: ManualClock, relay: OutboxRelay,
    recorder: ListenerRecorder,
) -> None:
    await listen(client)
    worker = QuoteWorker(container)
    changi = {"@type": "GeographicAddressRef", "id": "addr-sg-changi", "role": "INSTALL_LOCATION"}
    doc = await create(client, quote(qitem("1", place=changi), instant=False, requested=later(clock.now(), 30)))
    assert states(doc) == ("acknowledged", {"1": "acknowledged"})
    assert doc["expectedQuoteCompletionDate"] == "2026-01-07T09:00:00Z"  # quoteDays: 2
    assert "quoteItemPrice" not in items(doc)["1"] and "quoteLevel" not in doc

    assert await worker.run_once() == 1
    started = await fetch(client, doc["id"])
    assert states(started) == ("inProgress", {"1": "inProgress"})
    assert started["expectedQuoteCompletionDate"] == "2026-01-12T09:00:00Z"  # + siteSurveyDays: 5
    assert await worker.run_once() == 0

    clock.advance(timedelta(days=2))
    assert await worker.run_once() == 1
    draft = await fetch(client, doc["id"])
    assert states(draft) == ("inProgress.draft", {"1": "inProgress.draft"})
    assert draft["quoteLevel"] == "firmSubjectToFeasibilityCheck"
    assert items(draft)["1"]["subjectToFeasibilityCheck"] is True and items(draft)["1"]["quoteItemPrice"]

    clock.advance(timedelta(days=5))
    assert await worker.run_once() == 1
    done = await fetch(client, doc["id"])
    assert states(done) == ("approved.orderable", {"1": "approved.orderable"})
    assert done["quoteLevel"] == "firm" and items(done)["1"]["subjectToFeasibilityCheck"] is False
    assert [c["state"] for c in done["stateChange"]] == ["acknowledged", "inProgress", "inProgress.draft",
                                                         "approved.orderable"]
    assert done["effectiveQuoteCompletionDate"] == "2026-01-12T09:00:00Z"
    assert done["validFor"]["endDateTime"] == "2026-02-11T09:00:00Z"

    await relay.drain()
    assert events(recorder) == [
        ("quoteItemStateChangeEvent", "1"), ("quoteStateChangeEvent", None),
        ("quoteItemStateChangeEvent", "1"), ("quoteStateChangeEvent", None),
        ("quoteItemStateChangeEvent", "1"), ("quoteStateChangeEvent", None),
    ]
    assert recorder.received[1].url.endswith("/mefApi/sonata/quoteNotification/v8/listener/quoteStateChangeEvent")
    assert recorder.received[0].body["event"]["quoteItemId"] == "1"


async def test_deferred_quote_naming_what_the_seller_cannot_resolve_is_rejected(
    client: httpx.AsyncClient, container: Container, clock: ManualClock
) -> None:
    doc = await create(client, quote(qitem("ok"), qitem("ghost", offering="no-such-offering"), instant=False,
                                     requested=later(clock.now(), 10)))
    assert await QuoteWorker(container).run_once() == 1
    done = await fetch(client, doc["id"])
    assert states(done) == ("rejected", {"ok": "abandoned", "ghost": "rejected"})
    assert items(done)["ghost"]["terminationError"][0]["code"] == "referenceNotFound"
    assert "no-such-offering" in done["stateChange"][-1]["changeReason"]


async def test_deferred_quote_that_misses_the_deadline_is_unable_to_provide(
    client: httpx.AsyncClient, container: Container, clock: ManualClock
) -> None:
    worker = QuoteWorker(container)
    doc = await create(client, quote(qitem(), instant=False, requested=later(clock.now(), 1)))
    await worker.run_once()
    clock.advance(timedelta(days=1))
    assert await worker.run_once() == 1
    done = await fetch(client, doc["id"])
    assert states(done) == ("unableToProvide", {"1": "abandoned"})
    assert "requested completion date" in done["stateChange"][-1]["changeReason"]
    clock.advance(timedelta(days=40))
    assert await worker.run_once() == 0


async def test_answers_expire_at_the_end_of_their_validity(
    client: httpx.AsyncClient, container: Container, clock: ManualClock, relay: OutboxRelay,
    recorder: ListenerRecorder,
) -> None:
    await listen(client)
    worker = QuoteWorker(container)
    doc = await create(client, quote(qitem()))
    clock.advance(timedelta(days=29, hours=23))
    assert await worker.run_once() == 0
    clock.advance(timedelta(hours=1))
    assert await worker.run_once() == 1
    assert states(await fetch(client, doc["id"])) == ("expired", {"1": "approved.orderable"})
    await relay.drain()
    assert events(recorder) == [("quoteStateChangeEvent", None)]


# --- cancel and decline ------------------------------------------------------------------------------------------


async def test_cancel_a_quote_in_progress(client: httpx.AsyncClient, container: Container, clock: ManualClock) -> None:
    doc = await create(client, quote(qitem(), instant=False, requested=later(clock.now(), 10)))
    refused = await operate(client, "cancelQuote", doc["id"], status=422)
    assert refused[0]["code"] == "invalidValue" and "acknowledged" in refused[0]["reason"]
    await QuoteWorker(container).run_once()
    assert await operate(client, "cancelQuote", doc["id"], reason="plans changed") == {
        "quoteId": doc["id"], "reason": "plans changed"}
    done = await fetch(client, doc["id"])
    assert states(done) == ("cancelled", {"1": "abandoned"})
    assert done["stateChange"][-1]["changeReason"] == "plans changed" and "effectiveQuoteCompletionDate" in done
    assert (await operate(client, "cancelQuote", doc["id"], status=422))[0]["propertyPath"] == "/quoteId"
    clock.advance(timedelta(days=3))
    assert await QuoteWorker(container).run_once() == 0  # nothing left to do for a cancelled quote


async def test_decline_an_orderable_quote(client: httpx.AsyncClient) -> None:
    doc = await create(client, quote(qitem()))
    await operate(client, "rejectQuote", doc["id"])
    assert states(await fetch(client, doc["id"])) == ("declined", {"1": "approved.orderable"})
    await operate(client, "rejectQuote", doc["id"], status=422)
    budget = await create(client, quote(qitem(), level="budgetary"))
    await operate(client, "rejectQuote", budget["id"], status=422)  # an answered quote is not orderable


async def test_another_buyers_quote_is_unknown(client: httpx.AsyncClient) -> None:
    doc = await create(client, quote(qitem()))
    r = await client.get(f"{QUOTE_BASE}/quote/{doc['id']}", headers=BUYER_B)
    assert r.status_code == 404
    assert_mef_response(r, "quote", ONE, "get")
    problems = await operate(client, "rejectQuote", doc["id"], headers=BUYER_B, status=422)
    assert problems[0]["code"] == "referenceNotFound"
    assert states(await fetch(client, doc["id"]))[0] == "approved.orderable"


# --- orders accept quotes ------------------------------------------------------------------------------------------


def ordered(quote_doc: dict[str, Any], item_id: str = "1", **extra: Any) -> dict[str, Any]:
    """An order item that orders one quoted item as quoted."""
    quoted = items(quote_doc)[item_id]
    return {"id": item_id, "action": "add", "product": copy.deepcopy(quoted["product"]),
            "quoteItem": {"id": item_id, "quoteId": quote_doc["id"]}, **extra}


async def test_an_order_accepts_the_quote_it_references(
    client: httpx.AsyncClient, relay: OutboxRelay, recorder: ListenerRecorder
) -> None:
    await listen(client)
    doc = await create(client, quote(qitem()))
    r = await client.post(f"{ORDER_BASE}/productOrder", headers=BUYER_A, json=order_body(ordered(doc)))
    assert r.status_code == 201, r.text
    order_id = r.json()["id"]
    accepted = await fetch(client, doc["id"])
    assert accepted["state"] == "accepted"
    assert accepted["stateChange"][-1]["changeReason"] == f"ordered by product order {order_id}"
    await relay.drain()
    assert events(recorder) == [("quoteStateChangeEvent", None)]
    # an accepted quote is spent
    again = await client.post(f"{ORDER_BASE}/productOrder", headers=BUYER_A, json=order_body(ordered(doc)))
    assert again.status_code == 422
    assert again.json()[0]["propertyPath"] == "/productOrderItem/0/quoteItem/quoteId"


async def test_orders_on_quotes_that_cannot_be_ordered_are_422(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    doc = await create(client, quote(qitem()))
    budget = await create(client, quote(qitem(), level="budgetary"))
    cases = [
        (ordered(doc) | {"quoteItem": {"id": "1", "quoteId": "nope"}}, "referenceNotFound", "quoteItem/quoteId"),
        (ordered(doc) | {"quoteItem": {"id": "9", "quoteId": doc["id"]}}, "referenceNotFound", "quoteItem/id"),
        (ordered(budget), "invalidValue", "quoteItem/quoteId"),
        (ordered(doc) | {"product": {**ordered(doc)["product"], "productConfiguration": uni("10GBASE_LR")}},
         "invalidValue", "product/productConfiguration"),
        (ordered(doc) | {"action": "modify"}, "invalidValue", "action"),
        (ordered(doc) | {"productOfferingQualificationItem": {"id": "1", "productOfferingQualificationId": "x"}},
         "referenceNotFound", "productOfferingQualificationItem/productOfferingQualificationId"),
    ]
    for one, code, path in cases:
        r = await client.post(f"{ORDER_BASE}/productOrder", headers=BUYER_A, json=order_body(one))
        assert r.status_code == 422, r.text
        assert (code, f"/productOrderItem/0/{path}") in {(p["code"], p.get("propertyPath")) for p in r.json()}
    other = await client.post(f"{ORDER_BASE}/productOrder", headers=BUYER_B, json=order_body(ordered(doc)))
    assert other.status_code == 422  # another Buyer's quote does not exist for this one
    clock.advance(timedelta(days=31))  # expired, even before the worker has said so
    late = await client.post(f"{ORDER_BASE}/productOrder", headers=BUYER_A, json=order_body(ordered(doc)))
    assert late.status_code == 422 and "expired" in late.json()[0]["reason"]
    assert states(await fetch(client, doc["id"]))[0] == "approved.orderable"  # nothing was changed


async def test_quote_and_order_may_name_a_qualified_poq_item(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{POQ_BASE}/productOfferingQualification", headers=BUYER_A, json=poq(item()))
    assert r.status_code == 201
    ref = {"id": "1", "productOfferingQualificationId": r.json()["id"]}
    doc = await create(client, quote(qitem(productOfferingQualificationItem=ref)))
    assert doc["quoteItem"][0]["productOfferingQualificationItem"] == ref
    order = await client.post(f"{ORDER_BASE}/productOrder", headers=BUYER_A,
                              json=order_body(ordered(doc, productOfferingQualificationItem=ref)))
    assert order.status_code == 201, order.text
    bad = await create(client, quote(qitem(productOfferingQualificationItem={**ref, "id": "7"})), status=422)
    assert bad[0]["propertyPath"] == "/quoteItem/0/productOfferingQualificationItem/id"


# --- listing -------------------------------------------------------------------------------------------------


async def test_list_filters_and_scopes_by_buyer(client: httpx.AsyncClient, clock: ManualClock) -> None:
    firm = await create(client, quote(qitem(), externalId="Q-A"))
    budget = await create(client, quote(qitem(), level="budgetary", externalId="Q-B"))
    deferred = await create(client, quote(qitem(), instant=False, requested=later(clock.now(), 10),
                                          projectId="p-9"))

    async def ids(query: str, headers: dict[str, str] = BUYER_A) -> list[str]:
        r = await client.get(f"{QUOTE_BASE}/quote?{query}", headers=headers)
        assert r.status_code == 200, r.text
        return [q["id"] for q in assert_mef_response(r, "quote", COLLECTION, "get")]

    assert set(await ids("")) == {firm["id"], budget["id"], deferred["id"]}
    assert await ids("state=answered") == [budget["id"]]
    assert await ids("quoteLevel=firm") == [firm["id"]]
    assert await ids("externalId=Q-A") == [firm["id"]]
    assert await ids("projectId=p-9") == [deferred["id"]]
    assert await ids("expectedQuoteCompletionDate.gt=2026-01-06T00:00:00Z") == [deferred["id"]]
    assert set(await ids("effectiveQuoteCompletionDate.lt=2026-01-06T00:00:00Z")) == {firm["id"], budget["id"]}
    assert await ids("quoteDate.gt=2026-01-06T00:00:00Z") == []
    assert await ids("", headers=BUYER_B) == []
    r = await client.get(f"{QUOTE_BASE}/quote?limit=2", headers=BUYER_A)
    assert (r.headers["X-Total-Count"], r.headers["X-Result-Count"]) == ("3", "2")
    assert all("quoteItem" not in q and q["quoteDate"] == "2026-01-05T09:00:00Z" for q in r.json())
    bad = await client.get(f"{QUOTE_BASE}/quote?state=bogus", headers=BUYER_A)
    assert bad.status_code == 400


# --- request rules -----------------------------------------------------------------------------------------------


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


@pytest.mark.parametrize(("body", "code", "path"), [
    (quote(qitem(), instant=False), "missingProperty", "/requestedQuoteCompletionDate"),
    (_without(quote(qitem(), instant=False, requested_past=True), "relatedContactInformation"),
     "missingProperty", "/relatedContactInformation"),
    (quote(qitem(), instant=False, requested_past=True), "invalidValue", "/requestedQuoteCompletionDate"),
    (quote(_without(qitem(), "relatedContactInformation"), instant=False, requested_future=True),
     "missingProperty", "/quoteItem/0/relatedContactInformation"),
    (quote(qitem("1"), qitem("1")), "invalidValue", "/quoteItem/1/id"),
    (quote({**qitem(), "product": {**qitem()["product"], "id": "prod-9"}}), "unexpectedProperty",
     "/quoteItem/0/product/id"),
    (quote({"id": "1", "action": "modify", "product": {"productConfiguration": uni()}}), "missingProperty",
     "/quoteItem/0/product/id"),
    (quote({"id": "1", "action": "add"}), "missingProperty", "/quoteItem/0/product"),
    (quote(qitem(quoteItemRelationship=[{"id": "ghost", "relationshipType": "RELIES_ON"}])), "referenceNotFound",
     "/quoteItem/0/quoteItemRelationship/0/id"),
])
async def test_requests_breaking_mef_rules_are_422(
    client: httpx.AsyncClient, clock: ManualClock, body: dict[str, Any], code: str, path: str
) -> None:
    body = copy.deepcopy(body)  # the parameters are shared by the SQLite and PostgreSQL runs
    if body.pop("requested_past", False):
        body["requestedQuoteCompletionDate"] = "2025-12-31T00:00:00Z"
    if body.pop("requested_future", False):
        body["requestedQuoteCompletionDate"] = "2026-03-01T00:00:00Z"
    r = await client.post(f"{QUOTE_BASE}{COLLECTION}", headers=BUYER_A, json=body)
    assert r.status_code == 422, r.text
    problems = assert_mef_response(r, "quote", COLLECTION, "post")
    assert (code, path) in {(p["code"], p.get("propertyPath")) for p in problems}, problems


async def test_bad_product_payload_and_malformed_bodies(client: httpx.AsyncClient) -> None:
    bad = ael()
    bad["maximumFrameSize"] = 9
    r = await client.post(f"{QUOTE_BASE}{COLLECTION}", headers=BUYER_A,
                          json=quote(qitem("ok"), qitem("bad", offering="ael-sg", config=bad)))
    assert r.status_code == 422
    paths = {p["propertyPath"] for p in assert_mef_response(r, "quote", COLLECTION, "post")}
    assert paths == {"/quoteItem/1/product/productConfiguration/maximumFrameSize"}
    r = await client.post(f"{QUOTE_BASE}{COLLECTION}", headers={**BUYER_A, "Content-Type": "application/json"},
                          content=b"{")
    assert r.status_code == 400 and assert_mef_response(r, "quote", COLLECTION, "post")["code"] == "invalidBody"
    r = await client.post(f"{QUOTE_BASE}{COLLECTION}", headers=BUYER_A, json=_without(quote(), "instantSyncQuote"))
    assert r.status_code in (400, 422)
    assert_mef_response(r, "quote", COLLECTION, "post")
    r = await client.post(f"{QUOTE_BASE}/cancelQuote", headers=BUYER_A, json={"reason": "no id"})
    assert r.status_code in (400, 422)
    assert_mef_response(r, "quote", "/cancelQuote", "post")


async def test_cantata_customers_get_the_same_engine(client: httpx.AsyncClient) -> None:
    doc = await create(client, quote(qitem()), base=CANTATA_QUOTE_BASE)
    assert doc["state"] == "approved.orderable"
    assert doc["href"].startswith(f"http://seller.test{CANTATA_QUOTE_BASE}/quote/")
    assert await fetch(client, doc["id"], base=CANTATA_QUOTE_BASE) == doc


async def test_upgrade_and_disconnect_of_an_owned_product_are_quoted(
    client: httpx.AsyncClient, container: Container, clock: ManualClock
) -> None:
    from tests.api.test_product_order import drive
    from tests.builders import add_item, ael_config

    r = await client.post(f"{ORDER_BASE}/productOrder", headers=BUYER_A,
                          json=order_body(add_item(config=ael_config(100))))
    order_id = r.json()["id"]
    await drive(container, clock, days=40)
    r = await client.get(f"/mefApi/sonata/productInventory/v7/product?productOrderId={order_id}", headers=BUYER_A)
    (product,) = r.json()
    upgrade = {**qitem("up", place=None, offering=None, config=ael(2000)), "action": "modify"}
    upgrade["product"]["id"] = product["id"]
    stop = {"id": "stop", "action": "delete", "product": {"id": product["id"]}}
    doc = await create(client, quote(upgrade, stop))
    assert states(doc) == ("approved.orderable", {"up": "approved.orderable", "stop": "approved.orderable"}), [
        (i["state"], i.get("terminationError")) for i in doc["quoteItem"]]
    up = items(doc)["up"]
    # 2000 Mbps moves to the 10 000 Mbps tier: its monthly charge only, no installation
    assert up["quoteItemPrice"] == [{"name": "Access E-Line Singapore up to 10000 Mbps", "priceType": "recurring",
                                     "recurringChargePeriod": "month",
                                     "price": {"dutyFreeAmount": {"unit": "USD", "value": 4800}}}]
    assert items(doc)["stop"]["quoteItemPrice"] == []
    other = await create(client, quote(upgrade), headers=BUYER_B)  # not B's product
    assert states(other) == ("unableToProvide", {"up": "unableToProvide"})
    assert other["quoteItem"][0]["terminationError"][0]["code"] == "referenceNotFound"


class TestLenientSeller:
    @pytest.fixture
    def profile(self, profile):  # type: ignore[no-untyped-def]
        import dataclasses

        from counterpoint.core.seller.model import ValidationPolicy

        return dataclasses.replace(profile, validation=ValidationPolicy.LENIENT)

    async def test_bad_or_unknown_payloads_are_quoted_with_seller_notes(
        self, client: httpx.AsyncClient, container: Container
    ) -> None:
        bad = ael(300)
        bad["maximumFrameSize"] = 9
        unknown = {"@type": "urn:example:not-a-mef-spec:v1", "speed": "fast"}
        doc = await create(client, quote(qitem("bad", offering="ael-sg", config=bad),
                                         qitem("odd", offering=None, config=unknown)))
        assert items(doc)["bad"]["product"]["productConfiguration"]["maximumFrameSize"] == 9  # kept as sent
        assert states(doc)[1]["bad"] == "approved.orderable"
        assert states(doc)[1]["odd"] == "unableToProvide"  # stored, but no offering implements that spec
        texts = [n["text"] for n in doc["note"]]
        assert any("/quoteItem/0/product/productConfiguration/maximumFrameSize" in t for t in texts)
        assert any("/quoteItem/1/product/productConfiguration" in t for t in texts)
        assert all(n["source"] == "seller" for n in doc["note"])
        async with container.uow() as uow:
            stored = await uow.quotes.get("buyer-a", doc["id"])
        assert {w["path"] for w in stored.warnings} >= {"/quoteItem/0/product/productConfiguration/maximumFrameSize"}


async def test_strict_seller_refuses_an_unknown_spec_on_its_type(client: httpx.AsyncClient) -> None:
    unknown = {"@type": "urn:example:not-a-mef-spec:v1", "speed": "fast"}
    r = await client.post(f"{QUOTE_BASE}{COLLECTION}", headers=BUYER_A,
                          json=quote(qitem("odd", offering=None, config=unknown)))
    assert r.status_code == 422
    problems = assert_mef_response(r, "quote", COLLECTION, "post")
    assert [p["propertyPath"] for p in problems] == ["/quoteItem/0/product/productConfiguration/@type"]
