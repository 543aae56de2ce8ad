"""Opening supply enquiries (see enquiry.py) for composite POQ and quote items, in our resource's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from counterpoint.core.orchestration.decomposition import item_places
from counterpoint.core.orchestration.enquiry import (
    AskState,
    Call,
    Purpose,
    SupplyAsk,
    SupplyEnquiry,
    price_json,
)
from counterpoint.core.orchestration.enquiry_combining import finish
from counterpoint.core.orchestration.model import (
    idempotency_key,
)
from counterpoint.core.orchestration.plan import CompositeOffering, decompose
from counterpoint.core.orchestration.registry import Capability
from counterpoint.core.orchestration.selection import NoSupplier
from counterpoint.core.orchestration.supply import (
    Price,
    QuoteState,
)
from counterpoint.core.ordering.payload import bandwidth_mbps
from counterpoint.core.ports import UnitOfWork
from counterpoint.core.quote.model import Quote
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.serviceability.model import Poq
from counterpoint.core.shared.ids import new_id


def composite_offering(profile: SellerProfile, item: dict[str, Any]) -> CompositeOffering | None:
    """The composite offering a new item (action add) asks for, if it is one."""
    orch = profile.orchestration
    if orch is None or item.get("action", "add") != "add":
        return None
    return orch.offering(((item.get("product") or {}).get("productOffering") or {}).get("id"))


def has_composite_items(profile: SellerProfile, items: list[dict[str, Any]]) -> list[str]:
    return [str(item["id"]) for item in items if composite_offering(profile, item) is not None]


def _listed(cap: Capability) -> dict[str, Any]:
    return {"price": price_json(Price(cap.nrc, cap.mrc, cap.currency)), "leadTimeDays": cap.lead_time_days}


def _new_enquiry(profile: SellerProfile, purpose: Purpose, *, resource: Any, item: dict[str, Any],
                 offering: CompositeOffering, now: datetime, **extra: Any) -> SupplyEnquiry:
    """An enquiry with one ask per segment, decomposed as an order of this item would be."""

    orch = profile.orchestration
    assert orch is not None
    product = item.get("product") or {}
    config = product.get("productConfiguration") or {}
    mbps = bandwidth_mbps(config)
    enq = SupplyEnquiry(
        id=new_id(), buyer_id=resource.buyer_id, seller_id=resource.seller_id, channel=resource.channel,
        created_at=now, updated_at=now, correlation_id=resource.correlation_id, purpose=purpose,
        resource_id=resource.id, item_id=str(item["id"]), offering_id=offering.offering_id, bandwidth_mbps=mbps,
        margin_pct=offering.margin_pct, test_hours=offering.test_hours, due_at=now, **extra)
    try:
        plans = decompose(orch, offering, places=item_places(profile, item), configuration=config, bandwidth_mbps=mbps)
    except NoSupplier as exc:
        where = ", ".join(x for x in (exc.need.city, exc.need.country) if x) or "the requested places"
        enq.note(now, "no provider", detail=str(exc), excluded=exc.excluded)
        enq.answer_with({"ok": False, "reason": f"we cannot deliver every segment of {offering.offering_id} at "
                                                f"{where}"}, at=now)
        return enq
    call = Call.QUALIFY if purpose is Purpose.QUALIFY else Call.QUOTE
    for plan in plans:
        cap = plan.choice.capability
        ask = SupplyAsk(segment=plan.name, provider_id=plan.choice.provider_id, own=plan.own,
                        offering_id=cap.offering_id, spec_urn=plan.spec_urn, configuration=plan.configuration,
                        places=plan.places, listed=_listed(cap))
        if plan.own:  # our own network: its capability answers
            ask.state = AskState.ANSWERED
            ask.answer = {"state": "serviceable" if purpose is Purpose.QUALIFY else QuoteState.FIRM.value,
                          "price": ask.listed["price"], "leadTimeDays": cap.lead_time_days,
                          "installationDays": cap.lead_time_days, "source": "list price"}
        else:
            ask.call = call
            ask.key = idempotency_key(ask.provider_id, enq.id, ask.segment, call.value, 1)
            ask.due_at = now
        enq.asks.append(ask)
        enq.note(now, "segment planned", segment=plan.name, provider=plan.choice.provider_id,
                 why="; ".join(plan.choice.reasons))
    if enq.complete:  # nothing to ask anyone
        finish(profile, enq, now=now)
    enq.due_at = enq.next_due()
    return enq


async def open_for_poq(uow: UnitOfWork, profile: SellerProfile, poq: Poq, *, now: datetime) -> None:
    """One qualification enquiry per composite item of a deferred POQ (in the POQ's own transaction)."""
    for item in poq.items:
        offering = composite_offering(profile, item)
        if offering is not None:
            await uow.enquiries.add(_new_enquiry(profile, Purpose.QUALIFY, resource=poq, item=item,
                                                 offering=offering, now=now))


def _term_months(item: dict[str, Any]) -> int | None:
    terms = [t for t in item.get("quoteItemTerm") or [] if isinstance(t, dict)]
    amount = ((terms[0].get("duration") or {}) if terms else {}).get("amount")
    return amount if isinstance(amount, int) and amount > 0 else None


async def open_for_quote(uow: UnitOfWork, profile: SellerProfile, quote: Quote, *, now: datetime) -> None:
    """One quote enquiry per composite item of a deferred quote (in the quote's own transaction).

    A quote item naming one of our qualified POQ items asks each supplier for a quote on its own POQ item.
    """
    firm = quote.doc.get("buyerRequestedQuoteLevel") == "firm"
    for item in quote.items:
        offering = composite_offering(profile, item)
        if offering is None:
            continue
        enq = _new_enquiry(profile, Purpose.QUOTE, resource=quote, item=item, offering=offering, now=now,
                           firm=firm, term_months=_term_months(item))
        poq_item = item.get("productOfferingQualificationItem")
        if isinstance(poq_item, dict):
            poq_id, poq_item_id = str(poq_item.get("productOfferingQualificationId")), str(poq_item.get("id"))
            enq.link = {"poq": poq_id, "poqItem": poq_item_id}
            qualified = await uow.enquiries.find_for(Purpose.QUALIFY, poq_id, poq_item_id)
            for ask in enq.supplier_asks:
                found = matching_ask(qualified, ask.segment, ask.provider_id)
                if found is not None and found.ref is not None and found.answer.get("state") == "serviceable":
                    ask.poq_ref, ask.poq_item_id = found.ref, found.item_id
        await uow.enquiries.add(enq)


def matching_ask(enq: SupplyEnquiry | None, segment: str, provider_id: str) -> SupplyAsk | None:
    if enq is None:
        return None
    try:
        ask = enq.ask(segment)
    except KeyError:
        return None
    return ask if ask.provider_id == provider_id else None
