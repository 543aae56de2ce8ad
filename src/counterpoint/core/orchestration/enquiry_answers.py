"""Our POQ and quote read the combined answers of their enquiries when they answer the Buyer."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from counterpoint.core.orchestration.enquiry import (
    EnquiryState,
    Purpose,
    SupplyEnquiry,
    price_from,
)
from counterpoint.core.ports import UnitOfWork
from counterpoint.core.quote.model import Quote
from counterpoint.core.quote.pricing import PricedItem, days_of, months_of, prices
from counterpoint.core.seller.model import PriceTier, SellerProfile
from counterpoint.core.serviceability.model import Poq, PoqItemState
from counterpoint.core.serviceability.qualification import ItemAnswer
from counterpoint.core.shared.times import iso, parse_aware

COMPOSITE_NOTE = "composite-item-"  # id prefix of our Seller notes on composite quote items


async def qualification_answers(uow: UnitOfWork, poq: Poq, answers: list[ItemAnswer]) -> bool:
    """Replace our answers of composite items by the combined ones (in place); True while some still wait."""
    enquiries = {e.item_id: e for e in await uow.enquiries.for_resource(Purpose.QUALIFY, poq.id)}
    waiting = False
    for a in answers:
        enq = enquiries.get(a.item_id)
        if enq is None or a.state is not PoqItemState.DONE_READY or a.fields.get("serviceabilityConfidence") == "red":
            continue  # not composite, or our own judgement already says no
        if enq.state is EnquiryState.OPEN:
            waiting = True
            continue
        result: dict[str, Any] = enq.result if enq.state is EnquiryState.ANSWERED else {
            "serviceable": False, "reason": "the segments of the service could not be qualified in time"}
        if result.get("serviceable"):
            a.fields["installationInterval"] = {"amount": result["installationDays"], "units": "calendarDays"}
            a.fields["serviceabilityConfidenceReason"] = result["reason"][:255]
        else:
            a.fields = {"serviceabilityConfidence": "red", "serviceabilityConfidenceReason": result["reason"][:255]}
    return waiting


async def quote_prices(uow: UnitOfWork, profile: SellerProfile, quote: Quote, priced: list[PricedItem], *,
                       now: datetime) -> tuple[list[PricedItem], bool, datetime | None]:
    """Our prices of composite items from the combined answers: (items, still waiting, validity cap).

    Adds one Seller note per composite item stating, in our words, what its price assumes.
    """

    enquiries = {e.item_id: e for e in await uow.enquiries.for_resource(Purpose.QUOTE, quote.id)}
    if not enquiries:
        return priced, False, None
    out: list[PricedItem] = []
    waiting, caps = False, []
    for p in priced:
        enq = enquiries.get(p.item_id)
        if enq is None or not p.quotable:
            out.append(p)
            continue
        if enq.state is EnquiryState.OPEN:
            waiting = True
            out.append(p)
            continue
        result: dict[str, Any] = enq.result if enq.state is EnquiryState.ANSWERED else {
            "ok": False, "reason": "the segments of the service could not be priced in time"}
        term = p.answer.get("quoteItemTerm", [])
        if not result.get("ok"):
            reason = str(result["reason"])
            out.append(PricedItem(p.item_id, False, {"quoteItemTerm": term, "terminationError": [
                {"code": "otherIssue", "value": reason[:255]}]}, reason=reason))
            continue
        item = quote.item(p.item_id)
        offering = profile.offering(enq.offering_id)
        price = price_from(result["price"])
        assert offering is not None and price is not None
        book = profile.price(offering.id, enq.bandwidth_mbps or 0)
        tier = PriceTier(offering.id, book.up_to_mbps if book else enq.bandwidth_mbps or 0, price.nrc, price.mrc,
                         price.currency)
        lead = int(result["leadTimeDays"])
        answer = {**p.answer, "quoteItemPrice": prices(offering, tier, item["action"]),
                  "quoteItemInstallationInterval": {"amount": lead, "units": "calendarDays"}}
        wanted_term = months_of((item.get("requestedQuoteItemTerm") or {}).get("duration"))
        offered = months_of((term[0] if term else {}).get("duration"))
        wanted_days = days_of(item.get("requestedQuoteItemInstallationInterval"))
        alternate = ((wanted_term is not None and offered is not None and offered < wanted_term - 1e-9)
                     or (wanted_days is not None and lead > wanted_days + 1e-9))
        out.append(dataclasses.replace(p, answer=answer, alternate=alternate, site_survey=False, manual=False))
        caps.append(parse_aware(result["validUntil"]))
        _seller_note(profile, quote, enq, result, now=now)
    known = [c for c in caps if c is not None]
    return out, waiting, min(known) if known else None


def _seller_note(profile: SellerProfile, quote: Quote, enq: SupplyEnquiry, result: dict[str, Any], *,
                 now: datetime) -> None:
    note_id = f"{COMPOSITE_NOTE}{enq.item_id}"
    notes = quote.doc.setdefault("note", [])
    if any(n.get("id") == note_id for n in notes):
        return
    segments = result["leadTimeBasis"]["segments"]
    longest = max(segments, key=segments.get) if segments else "-"
    text = (f"Item {enq.item_id} is built from {len(segments)} network segments. Its installation interval is "
            f"that of the longest segment ({longest}, {segments.get(longest, 0)} days) plus the end-to-end "
            f"activation test.")
    if result.get("assumptions"):
        text += " Assumptions: " + "; ".join(result["assumptions"]) + "."
    notes.append({"id": note_id, "author": profile.name, "date": iso(now), "source": "seller", "text": text[:2000]})
