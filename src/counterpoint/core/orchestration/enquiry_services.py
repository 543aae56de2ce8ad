"""Use cases of supply enquiries (see enquiry.py): composite POQs and quotes, and quoted prices checked at order.

- `open_for_poq` / `open_for_quote`: in the transaction that creates our deferred POQ or quote, one enquiry per
  item of a composite offering (decomposed as an order would be). Nothing is sent there.
- `advance_enquiry` (the orchestration worker): claims what is due and commits, calls the suppliers outside
  any transaction, settles their answers in a new one. When every segment has answered, the enquiry holds
  our combined answer and wakes our POQ or quote, whose own worker step answers the Buyer.
- `qualification_answers` / `quote_prices`: read by `advance_poq` / `advance_quote` when they answer; they
  replace our own judgement of a composite item by the combined one, or say we still wait.
- `apply_quoted_supply` (order start, with `start_composite`): the supplier quote (and POQ) references of the
  quote the customer's item accepted go into the segment requests; the supplier orders are withheld until a
  `confirm` enquiry has seen every supplier quote still standing or renewed within our price
  (costing.judge_renewal), then released, or the customer's item fails with the reason.

The Buyer sees none of the suppliers' identities: reasons and notes name our segments, never providers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from counterpoint.core.orchestration import costing
from counterpoint.core.orchestration.codec import ref_from, ref_json
from counterpoint.core.orchestration.enquiry import (
    MAX_ROUNDS,
    AskState,
    Call,
    EnquiryState,
    Purpose,
    SupplyAsk,
    SupplyEnquiry,
    price_from,
    price_json,
)
from counterpoint.core.orchestration.model import (
    CommandState,
    CompositeOrder,
    CompositeState,
    OutboundCommand,
    idempotency_key,
)
from counterpoint.core.orchestration.plan import CompositeOffering, decompose
from counterpoint.core.orchestration.registry import Capability
from counterpoint.core.orchestration.selection import NoSupplier
from counterpoint.core.orchestration.supply import (
    OutcomeUnknown,
    Price,
    QualificationAnswer,
    QualificationRequest,
    QualificationState,
    QuoteAnswer,
    QuoteRequest,
    QuoteState,
    SegmentState,
    SupplierAdapter,
    SupplierError,
    SupplierNotFound,
    SupplierRejected,
)
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.errors import NotFound, StaleVersion
from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.times import iso, parse_aware

if TYPE_CHECKING:
    from counterpoint.core.orchestration.services import Suppliers, Timing
    from counterpoint.core.ordering.model import ProductOrder
    from counterpoint.core.ports import UnitOfWork
    from counterpoint.core.quote.model import Quote
    from counterpoint.core.quote.pricing import PricedItem
    from counterpoint.core.serviceability.model import Poq
    from counterpoint.core.serviceability.qualification import ItemAnswer

UowFactory = Callable[[], "UnitOfWork"]
PLACE_ORDER = "placeOrder"  # services.PLACE_ORDER, spelt here to keep this module off services' import chain
COMPOSITE_NOTE = "composite-item-"  # id prefix of our Seller notes on composite quote items


def composite_offering(profile: SellerProfile, item: dict[str, Any]) -> CompositeOffering | None:
    """The composite offering a new item (action add) asks for, if it is one."""
    orch = profile.orchestration
    if orch is None or item.get("action", "add") != "add":
        return None
    return orch.offering(((item.get("product") or {}).get("productOffering") or {}).get("id"))


def has_composite_items(profile: SellerProfile, items: list[dict[str, Any]]) -> list[str]:
    return [str(item["id"]) for item in items if composite_offering(profile, item) is not None]


# ---- opening --------------------------------------------------------------------------------------------


def _listed(cap: Capability) -> dict[str, Any]:
    return {"price": price_json(Price(cap.nrc, cap.mrc, cap.currency)), "leadTimeDays": cap.lead_time_days}


def _new_enquiry(profile: SellerProfile, purpose: Purpose, *, resource: Any, item: dict[str, Any],
                 offering: CompositeOffering, now: datetime, **extra: Any) -> SupplyEnquiry:
    """An enquiry with one ask per segment, decomposed as an order of this item would be."""
    from counterpoint.core.orchestration.services import _places
    from counterpoint.core.ordering.services import bandwidth_mbps

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
        plans = decompose(orch, offering, places=_places(profile, item), configuration=config, bandwidth_mbps=mbps)
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
        _finish(profile, enq, now=now)
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
                found = _matching(qualified, ask.segment, ask.provider_id)
                if found is not None and found.ref is not None and found.answer.get("state") == "serviceable":
                    ask.poq_ref, ask.poq_item_id = found.ref, found.item_id
        await uow.enquiries.add(enq)


def _matching(enq: SupplyEnquiry | None, segment: str, provider_id: str) -> SupplyAsk | None:
    if enq is None:
        return None
    try:
        ask = enq.ask(segment)
    except KeyError:
        return None
    return ask if ask.provider_id == provider_id else None


# ---- the worker's step ----------------------------------------------------------------------------------


def _due(ask: SupplyAsk, now: datetime) -> bool:
    return not ask.own and not ask.final and ask.due_at is not None and ask.due_at <= now


async def _parent_gone(uow: UnitOfWork, enq: SupplyEnquiry) -> str | None:
    """Why nobody waits for this enquiry any more, or None."""
    try:
        if enq.purpose is Purpose.QUOTE:
            quote = await uow.quotes.get_unscoped(enq.resource_id)
            return f"our quote is {quote.state.value}" if quote.is_final else None
        if enq.purpose is Purpose.QUALIFY:
            poq = await uow.poqs.get_unscoped(enq.resource_id)
            return f"our POQ is {poq.state.value}" if poq.is_final else None
        composite = await uow.composites.get_unscoped(enq.resource_id)
    except NotFound:
        return "our resource is gone"
    return None if composite.state is CompositeState.ORDERING else f"the composite order is {composite.state.value}"


async def advance_enquiry(uow_factory: UowFactory, clock: Clock, profile: SellerProfile, suppliers: Suppliers,
                          enquiry_id: str, *, timing: Timing) -> int:
    """Ask what is due of one enquiry; settle the answers; combine them when every segment has answered."""
    now = clock.now()
    async with uow_factory() as uow:
        enq: SupplyEnquiry = await uow.enquiries.get_unscoped(enquiry_id)
        if enq.state is not EnquiryState.OPEN or enq.due_at is None or enq.due_at > now:
            return 0
        gone = await _parent_gone(uow, enq)
        if gone is not None:
            enq.abandon(gone, at=now)
            await uow.enquiries.save(enq)
            await uow.commit()
            return 1
        due = [a for a in enq.asks if _due(a, now)]
        for ask in due:  # claimed and stored before anything is sent
            if ask.state is AskState.TO_SEND:
                enq.note(now, "asking", segment=ask.segment, provider=ask.provider_id,
                         call=ask.call.value if ask.call else None, key=ask.key)
            ask.state, ask.attempts, ask.sent_at = AskState.IN_FLIGHT, ask.attempts + 1, now
            ask.due_at = now + timedelta(seconds=timing.in_flight_grace_s)
        enq.due_at = enq.next_due()
        await uow.enquiries.save(enq)
        await uow.commit()
    if not due:
        return 0
    outcomes: list[tuple[str, QualificationAnswer | QuoteAnswer | SupplierError]] = []
    for ask in due:
        outcomes.append((ask.segment, await _call(suppliers.adapter(ask.provider_id), enq, ask)))
    for attempt in range(3):  # the answers are in hand: a lost race (the composite moved meanwhile) is retried
        try:
            enq, finished = await _settle_all(uow_factory, clock, profile, enquiry_id, outcomes, timing=timing)
            break
        except StaleVersion:
            if attempt == 2:
                raise  # the claimed asks are asked again after their grace time
    if finished and enq.purpose is not Purpose.CONFIRM:
        await _wake(uow_factory, clock, enq)
    return 1


async def _settle_all(uow_factory: UowFactory, clock: Clock, profile: SellerProfile, enquiry_id: str,
                      outcomes: list[tuple[str, QualificationAnswer | QuoteAnswer | SupplierError]], *,
                      timing: Timing) -> tuple[SupplyEnquiry, bool]:
    async with uow_factory() as uow:
        enq: SupplyEnquiry = await uow.enquiries.get_unscoped(enquiry_id)
        now = clock.now()
        for segment, outcome in outcomes:
            _settle(profile, enq, enq.ask(segment), outcome, now=now, timing=timing)
        finished = enq.state is EnquiryState.OPEN and enq.complete
        if finished:
            _finish(profile, enq, now=now)
            if enq.purpose is Purpose.CONFIRM:
                await _release_or_fail(uow, enq, now=now)
        enq.due_at = enq.next_due()
        await uow.enquiries.save(enq)
        await uow.commit()
    return enq, finished


async def _call(adapter: SupplierAdapter, enq: SupplyEnquiry, ask: SupplyAsk
                ) -> QualificationAnswer | QuoteAnswer | SupplierError:
    correlation = enq.correlation_id or enq.id
    try:
        if ask.call is Call.QUALIFY:
            if ask.ref is not None:
                return await adapter.get_qualification(ask.ref)
            return await adapter.qualify(QualificationRequest(
                our_ref=ask.key, correlation_id=correlation, offering_id=ask.offering_id, spec_urn=ask.spec_urn,
                configuration=ask.configuration, places=ask.places, bandwidth_mbps=enq.bandwidth_mbps))
        if ask.call is Call.CHECK:
            quoted = ref_from(ask.quoted.get("ref"))
            assert quoted is not None
            return await adapter.get_quote(quoted)
        if ask.ref is not None:
            return await adapter.get_quote(ask.ref)
        return await adapter.request_quote(QuoteRequest(
            our_ref=ask.key, correlation_id=correlation, offering_id=ask.offering_id, spec_urn=ask.spec_urn,
            configuration=ask.configuration, places=ask.places, term_months=enq.term_months or 12,
            bandwidth_mbps=enq.bandwidth_mbps, poq_ref=ask.poq_ref, poq_item_id=ask.poq_item_id))
    except SupplierError as exc:
        return exc


def _poll(profile: SellerProfile, provider_id: str) -> timedelta:
    orch = profile.orchestration
    try:
        return timedelta(seconds=orch.provider(provider_id).poll_interval_s) if orch else timedelta(seconds=30)
    except KeyError:
        return timedelta(seconds=30)


def _quote_json(a: QuoteAnswer) -> dict[str, Any]:
    return {"state": a.state.value, "raw": a.raw_state, "price": price_json(a.price), "termMonths": a.term_months,
            "leadTimeDays": a.lead_time_days, "validUntil": iso(a.valid_until) if a.valid_until else None,
            "reason": a.reason, "observedAt": iso(a.observed_at)}


def _renew(enq: SupplyEnquiry, ask: SupplyAsk, reason: str, *, now: datetime) -> None:
    """Ask the question anew (a new supplier resource under a new key), or give up after MAX_ROUNDS."""
    if ask.round >= MAX_ROUNDS:
        ask.state, ask.reason, ask.due_at = AskState.FAILED, f"{reason}; asked {ask.round} times", None
        enq.note(now, "gave up asking", segment=ask.segment, provider=ask.provider_id, reason=ask.reason)
        return
    ask.call = Call.QUALIFY if enq.purpose is Purpose.QUALIFY else Call.QUOTE
    ask.round += 1
    ask.key = idempotency_key(ask.provider_id, enq.id, ask.segment, ask.call.value, ask.round)
    ask.ref, ask.item_id, ask.state, ask.due_at, ask.reason = None, None, AskState.TO_SEND, now, reason
    enq.note(now, "asking again", segment=ask.segment, provider=ask.provider_id, reason=reason, round=ask.round)


def _settle(profile: SellerProfile, enq: SupplyEnquiry, ask: SupplyAsk,
            outcome: QualificationAnswer | QuoteAnswer | SupplierError, *, now: datetime, timing: Timing) -> None:
    if ask.state is not AskState.IN_FLIGHT:
        return  # settled meanwhile
    reading = ask.ref is not None or ask.call is Call.CHECK
    if isinstance(outcome, OutcomeUnknown):  # asked again, same key, after a grace time
        ask.state, ask.due_at, ask.reason = AskState.UNKNOWN, now + timedelta(seconds=timing.recovery_grace_s), \
            outcome.reason
        enq.note(now, "outcome unknown", segment=ask.segment, provider=ask.provider_id, reason=outcome.reason)
    elif isinstance(outcome, SupplierNotFound) and reading:
        _renew(enq, ask, f"the supplier no longer knows {ask.ref.value if ask.ref else 'the quote'}", now=now)
    elif isinstance(outcome, SupplierRejected):
        ask.state, ask.reason, ask.due_at = AskState.FAILED, outcome.reason, None
        enq.note(now, "supplier refused", segment=ask.segment, provider=ask.provider_id, reason=outcome.reason)
    elif isinstance(outcome, SupplierError):  # unavailable: the same call later, with a growing wait
        wait = min(timing.max_retry_backoff_s, timing.retry_backoff_s * 2 ** max(0, ask.attempts - 1))
        ask.state = AskState.WAITING if ask.ref is not None else AskState.TO_SEND
        ask.due_at, ask.reason = now + timedelta(seconds=wait), outcome.reason
        enq.note(now, "supplier unavailable", segment=ask.segment, provider=ask.provider_id, reason=outcome.reason)
    elif isinstance(outcome, QualificationAnswer):
        ask.ref, ask.item_id, ask.reason = outcome.ref, outcome.item_id or ask.item_id, None
        ask.see(outcome.raw_state)
        ask.answer = {"state": outcome.state.value, "raw": outcome.raw_state,
                      "installationDays": outcome.installation_days, "reason": outcome.reason,
                      "observedAt": iso(outcome.observed_at)}
        if outcome.state is QualificationState.PENDING:
            ask.state, ask.due_at = AskState.WAITING, now + _poll(profile, ask.provider_id)
        else:
            ask.state, ask.due_at = AskState.ANSWERED, None
            enq.note(now, "supplier qualified", segment=ask.segment, provider=ask.provider_id,
                     answer=outcome.state.value, ref=outcome.ref.value)
    elif ask.call is Call.CHECK:
        stands = outcome.state is QuoteState.FIRM and (outcome.valid_until is None or outcome.valid_until > now)
        ask.see(outcome.raw_state)
        if stands:
            ask.state, ask.due_at = AskState.ANSWERED, None
            ask.ref, ask.item_id = ref_from(ask.quoted["ref"]), ask.quoted.get("itemId")
            ask.answer = {**_quote_json(outcome), "price": ask.quoted.get("price"), "stands": True}
            enq.note(now, "supplier quote still stands", segment=ask.segment, provider=ask.provider_id,
                     ref=outcome.ref.value)
        else:
            until = iso(outcome.valid_until) if outcome.valid_until else "-"
            _renew(enq, ask, f"the supplier quote {outcome.ref.value} is {outcome.raw_state} (valid until {until})",
                   now=now)
    else:
        ask.ref, ask.item_id, ask.reason = outcome.ref, outcome.item_id or ask.item_id, None
        ask.see(outcome.raw_state)
        ask.answer = _quote_json(outcome)
        if outcome.state is QuoteState.PENDING:
            ask.state, ask.due_at = AskState.WAITING, now + _poll(profile, ask.provider_id)
        elif outcome.state in (QuoteState.EXPIRED, QuoteState.CANCELLED) or (
                outcome.state is QuoteState.FIRM and outcome.valid_until is not None and outcome.valid_until <= now):
            _renew(enq, ask, f"the supplier quote {outcome.ref.value} ended ({outcome.raw_state}) before we used it",
                   now=now)
        else:
            ask.state, ask.due_at = AskState.ANSWERED, None
            enq.note(now, "supplier quoted", segment=ask.segment, provider=ask.provider_id,
                     answer=outcome.state.value, ref=outcome.ref.value,
                     price=f"{outcome.price.currency} {outcome.price.nrc} + {outcome.price.mrc}/month"
                     if outcome.price else None)


# ---- combining ------------------------------------------------------------------------------------------


def _finish(profile: SellerProfile, enq: SupplyEnquiry, *, now: datetime) -> None:
    if enq.purpose is Purpose.QUALIFY:
        result = _combine_qualification(enq)
    elif enq.purpose is Purpose.QUOTE:
        result = _combine_quote(profile, enq, now=now)
    else:
        result = _combine_confirmation(enq)
    enq.answer_with(result, at=now)
    enq.note(now, "answered", ok=result.get("ok"), reason=result.get("reason"))


def _combine_qualification(enq: SupplyEnquiry) -> dict[str, Any]:
    segments = []
    for a in enq.asks:
        state = a.answer.get("state") if a.state is AskState.ANSWERED else None
        serviceable = None if state in (None, QualificationState.FAILED.value) else state == "serviceable"
        days = a.answer.get("installationDays") or a.listed.get("leadTimeDays") or 0
        segments.append(costing.SegmentQualification(a.segment, a.own, serviceable, int(days)))
    combined = costing.combine_qualification(segments, test_hours=enq.test_hours)
    return {"ok": combined.serviceable, "serviceable": combined.serviceable, "reason": combined.reason,
            "installationDays": combined.installation_days,
            "installationBasis": {"segments": {s.segment: s.installation_days for s in segments},
                                  "endToEndTestHours": enq.test_hours},
            "supplierPoqs": [{"segment": a.segment, "provider": a.provider_id, "ref": ref_json(a.ref),
                              "itemId": a.item_id, "state": a.answer.get("state")} for a in enq.supplier_asks]}


_DRAFT_WORDS = ("inProgress.draft",)


def _assumptions(enq: SupplyEnquiry, composite: costing.CompositePrice) -> list[str]:
    out: list[str] = []
    for a in enq.supplier_asks:
        if any(word in _DRAFT_WORDS for word in a.seen):
            out.append(f"the price of segment {a.segment} is subject to the site survey our partner made "
                       "before firming it")
        if a.answer.get("raw") == "approved.orderableAlternate":
            out.append(f"segment {a.segment} is offered with another term or installation interval than asked")
        months = a.answer.get("termMonths")
        if months and enq.term_months and months != enq.term_months:
            out.append(f"segment {a.segment} is bought on a {months}-month term")
    if composite.limited_by is not None:
        out.append(f"the quote is valid only as long as the price of segment {composite.limited_by} is held for us")
    return out


def _combine_quote(profile: SellerProfile, enq: SupplyEnquiry, *, now: datetime) -> dict[str, Any]:
    costs: list[costing.SegmentCost] = []
    for a in enq.asks:
        state = a.answer.get("state")
        if a.state is AskState.FAILED or state in (QuoteState.UNABLE.value, QuoteState.ACCEPTED.value, None):
            return {"ok": False, "reason": f"we could not obtain a price for segment {a.segment}"}
        if enq.firm and state == QuoteState.BUDGETARY.value:
            return {"ok": False, "reason": f"only an indicative price is available for segment {a.segment}; ask "
                                           "for a budgetary quote"}
        price = price_from(a.answer.get("price"))
        if price is None:
            return {"ok": False, "reason": f"no price could be read for segment {a.segment}"}
        lead = a.answer.get("leadTimeDays") or a.listed.get("leadTimeDays") or 0
        costs.append(costing.SegmentCost(a.segment, a.own, price, int(lead), parse_aware(a.answer.get("validUntil")),
                                         "list price" if a.own else "supplier quote"))
    try:
        composite = costing.compose_price(costs, margin_pct=enq.margin_pct, test_hours=enq.test_hours, now=now,
                                          validity=timedelta(days=profile.quote_validity_days))
    except costing.CurrencyMismatch as exc:
        return {"ok": False, "reason": f"the segments cannot be priced together: {exc}"}
    basis = []
    for a, c in zip(enq.asks, costs, strict=True):
        basis.append({"segment": a.segment, "own": a.own, "provider": a.provider_id, "source": c.source,
                      **(price_json(c.price) or {}), "leadTimeDays": c.lead_time_days,
                      "quoteRef": ref_json(a.ref) if not a.own else None, "quoteItemId": a.item_id,
                      "validUntil": iso(c.valid_until) if c.valid_until else None})
    return {"ok": True, "costBasis": basis, "cost": price_json(composite.cost), "marginPct": str(enq.margin_pct),
            "price": price_json(composite.price), "leadTimeDays": composite.lead_time_days,
            "leadTimeBasis": {"segments": {c.segment: c.lead_time_days for c in costs},
                              "endToEndTestHours": enq.test_hours},
            "validUntil": iso(composite.valid_until), "limitedBy": composite.limited_by,
            "assumptions": _assumptions(enq, composite), "termMonths": enq.term_months}


def _combine_confirmation(enq: SupplyEnquiry) -> dict[str, Any]:
    committed = price_from(enq.result.get("committed"))
    assert committed is not None
    renewed: list[str] = []
    prices: list[Price] = []
    by_segment = {a.segment: a for a in enq.asks}
    for entry in enq.result.get("basis") or []:
        ask = by_segment.get(entry["segment"])
        if ask is None:  # our own segments, and suppliers not re-asked: as quoted
            prices.append(Price(Decimal(entry["nrc"]), Decimal(entry["mrc"]), entry["currency"]))
            continue
        if ask.state is AskState.FAILED or ask.answer.get("state") != QuoteState.FIRM.value:
            why = ask.reason or ask.answer.get("reason") or ask.answer.get("raw") or "no firm price"
            return {"ok": False, "reason": f"segment {ask.segment}: the partner could not renew its quote ({why}); "
                                           "ask us for a new quote", "why": why}
        price = price_from(ask.answer.get("price"))
        assert price is not None
        if not ask.answer.get("stands"):
            renewed.append(ask.segment)
        prices.append(price)
    try:
        basis = costing.cost_basis(prices)
    except costing.CurrencyMismatch as exc:
        return {"ok": False, "reason": f"a renewed price cannot be compared with our quote: {exc}"}
    if not renewed:
        return {"ok": True, "renewed": [], "cost": price_json(basis), "reason": "every supplier quote still stands"}
    verdict = costing.judge_renewal(committed, basis)
    if verdict.accepted:
        return {"ok": True, "renewed": renewed, "cost": price_json(basis), "reason": verdict.reason}
    return {"ok": False, "renewed": renewed, "cost": price_json(basis),
            "reason": f"segment {', '.join(renewed)}: {verdict.reason}; ask us for a new quote"}


async def _wake(uow_factory: UowFactory, clock: Clock, enq: SupplyEnquiry) -> None:
    """Our POQ or quote answers on its worker's next round (a lost race is retried; its deadline is the floor)."""
    for _ in range(3):
        try:
            async with uow_factory() as uow:
                repo = uow.quotes if enq.purpose is Purpose.QUOTE else uow.poqs
                parent = await repo.get_unscoped(enq.resource_id)
                now = clock.now()
                if parent.is_final:
                    return
                at = max(now, parent.answer_at) if parent.answer_at is not None else now
                if parent.due_at is not None and parent.due_at <= at:
                    return
                parent.due_at = at
                await repo.save(parent)
                await uow.commit()
                return
        except StaleVersion:
            continue


# ---- our POQ and quote read the combined answers ----------------------------------------------------------


async def qualification_answers(uow: UnitOfWork, poq: Poq, answers: list[ItemAnswer]) -> bool:
    """Replace our answers of composite items by the combined ones (in place); True while some still wait."""
    from counterpoint.core.serviceability.model import PoqItemState

    enquiries = {e.item_id: e for e in await uow.enquiries.for_resource(Purpose.QUALIFY, poq.id)}
    waiting = False
    for a in answers:
        enq = enquiries.get(a.item_id)
        if enq is None or a.state is not PoqItemState.DONE_READY or a.fields.get("serviceabilityConfidence") == "red":
            continue  # not composite, or our own judgement already says no
        if enq.state is EnquiryState.OPEN:
            waiting = True
            continue
        result = enq.result if enq.state is EnquiryState.ANSWERED else {
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
    from counterpoint.core.quote.pricing import PricedItem, days_of, months_of, prices
    from counterpoint.core.seller.model import PriceTier

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
        result = enq.result if enq.state is EnquiryState.ANSWERED else {
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


# ---- an order on our quote --------------------------------------------------------------------------------


async def apply_quoted_supply(uow: UnitOfWork, profile: SellerProfile, order: ProductOrder, item: dict[str, Any],
                              composite: CompositeOrder, commands: list[OutboundCommand], *, now: datetime) -> None:
    """Put the supplier quote and POQ references behind the item into its segment requests (before storing).

    When supplier quotes are referenced, the supplier orders are withheld (stored, not due) and a `confirm`
    enquiry checks every quote still stands, or renews it, before they are released (advance_enquiry).
    """
    quote_item, poq_item = item.get("quoteItem"), item.get("productOfferingQualificationItem")
    quoted = qualified = None
    if isinstance(quote_item, dict):
        quoted = await uow.enquiries.find_for(Purpose.QUOTE, str(quote_item.get("quoteId")), str(quote_item.get("id")))
        if quoted is not None and not (quoted.state is EnquiryState.ANSWERED and quoted.result.get("ok")):
            quoted = None
    if isinstance(poq_item, dict):
        qualified = await uow.enquiries.find_for(Purpose.QUALIFY, str(poq_item.get("productOfferingQualificationId")),
                                                 str(poq_item.get("id")))
    elif quoted is not None and quoted.link.get("poq"):
        qualified = await uow.enquiries.find_for(Purpose.QUALIFY, quoted.link["poq"], quoted.link["poqItem"])
    if quoted is None and qualified is None:
        return
    place = {c.segment_id: c for c in commands if c.action == PLACE_ORDER}
    checks: list[SupplyAsk] = []
    for seg in composite.segments:
        if seg.own:
            continue
        poq_ask = _matching(qualified, seg.name, seg.provider_id)
        if poq_ask is not None and poq_ask.ref is not None and poq_ask.answer.get("state") == "serviceable":
            seg.request["poqRef"], seg.request["poqItemId"] = ref_json(poq_ask.ref), poq_ask.item_id
        ask = _matching(quoted, seg.name, seg.provider_id)
        if ask is not None and ask.ref is not None and ask.answer.get("state") == QuoteState.FIRM.value:
            seg.request["quoteRef"], seg.request["quoteItemId"] = ref_json(ask.ref), ask.item_id
            valid_until = parse_aware(ask.answer.get("validUntil"))
            seg.cost = {**(ask.answer.get("price") or {}), "basis": "supplier quote", "quote": ask.ref.value,
                        "validUntil": ask.answer.get("validUntil")}
            check = SupplyAsk(segment=seg.name, provider_id=seg.provider_id, own=False, offering_id=ask.offering_id,
                              spec_urn=ask.spec_urn, configuration=ask.configuration, places=ask.places,
                              listed=ask.listed, call=Call.CHECK, poq_ref=ask.poq_ref, poq_item_id=ask.poq_item_id,
                              quoted={"ref": ref_json(ask.ref), "itemId": ask.item_id, "price": ask.answer.get("price"),
                                      "validUntil": ask.answer.get("validUntil")}, due_at=now)
            if valid_until is not None and valid_until <= now:  # expired by its date: renewed straight away
                check.call, check.reason = Call.QUOTE, f"the supplier quote {ask.ref.value} expired at " \
                    f"{ask.answer.get('validUntil')}"
            checks.append(check)
        if seg.id in place:
            place[seg.id].payload = {"request": seg.request}
    if not checks or quoted is None:
        return
    enq = SupplyEnquiry(
        id=new_id(), buyer_id=composite.buyer_id, seller_id=composite.seller_id, channel=composite.channel,
        created_at=now, updated_at=now, correlation_id=composite.correlation_id, purpose=Purpose.CONFIRM,
        resource_id=composite.id, item_id=composite.item_id, offering_id=quoted.offering_id,
        term_months=quoted.term_months, bandwidth_mbps=quoted.bandwidth_mbps, margin_pct=quoted.margin_pct,
        test_hours=quoted.test_hours, asks=checks, due_at=now,
        link={"quote": quoted.resource_id, "quoteItem": quoted.item_id, "order": order.id},
        result={"committed": quoted.result["price"], "basis": quoted.result["costBasis"]})
    for check in checks:
        assert check.call is not None
        check.key = idempotency_key(check.provider_id, enq.id, check.segment, check.call.value, check.round)
        if check.reason:
            enq.note(now, "renewing an expired supplier quote", segment=check.segment, provider=check.provider_id,
                     reason=check.reason)
    for seg in composite.segments:
        if seg.state is SegmentState.REQUESTED:
            seg.state, seg.reason = SegmentState.PLANNED, "waiting for the quoted supplier prices to be confirmed"
    for cmd in place.values():
        cmd.due_at = None
        cmd.move_to(CommandState.PENDING, at=now, note="withheld until the quoted supplier prices are confirmed")
    composite.note(now, "quoted supplier prices to confirm before ordering",
                   segments=", ".join(c.segment for c in checks), quote=quoted.resource_id)
    await uow.enquiries.add(enq)


async def _release_or_fail(uow: UnitOfWork, enq: SupplyEnquiry, *, now: datetime) -> None:
    """The confirmation is in: send the withheld supplier orders, or fail the customer's item with the reason."""
    from counterpoint.core.ordering.model import ItemState

    composite: CompositeOrder = await uow.composites.get_unscoped(enq.resource_id)
    if composite.state is not CompositeState.ORDERING:
        enq.note(now, "nothing released", reason=f"the composite order is {composite.state.value}")
        return
    withheld = [c for c in await uow.commands.for_composite(composite.id)
                if c.action == PLACE_ORDER and c.state is CommandState.PENDING and c.due_at is None]
    if enq.result.get("ok"):
        for ask in enq.supplier_asks:
            seg = next((s for s in composite.segments if s.name == ask.segment), None)
            if seg is None or ask.ref is None or ask.answer.get("stands"):
                continue
            seg.request["quoteRef"], seg.request["quoteItemId"] = ref_json(ask.ref), ask.item_id
            seg.cost = {**(ask.answer.get("price") or {}), "basis": "renewed supplier quote", "quote": ask.ref.value,
                        "validUntil": ask.answer.get("validUntil")}
        for seg in composite.segments:
            if seg.state is SegmentState.PLANNED:
                seg.state, seg.reason = SegmentState.REQUESTED, None
        for cmd in withheld:
            cmd.payload = {"request": composite.segment(cmd.segment_id).request}
            cmd.due_at = now
            cmd.move_to(CommandState.PENDING, at=now, note="released: the quoted supplier prices hold")
            await uow.commands.save(cmd)
        composite.note(now, "quoted supplier prices confirmed: ordering", reason=enq.result.get("reason"),
                       renewed=", ".join(enq.result.get("renewed") or []) or None)
        composite.due_at = now
    else:
        reason = str(enq.result.get("reason"))
        composite.move_to(CompositeState.FAILED, at=now, reason=reason)
        composite.due_at = None
        for cmd in withheld:
            cmd.move_to(CommandState.PENDING, at=now, note=f"never sent: {reason}")
            await uow.commands.save(cmd)
        order = await uow.product_orders.get_unscoped(composite.order_id)
        if order.item_state(composite.item_id) is ItemState.IN_PROGRESS:
            order.move_item(composite.item_id, ItemState.FAILED, at=now, reason=reason)
            order.item(composite.item_id)["terminationError"] = [{"code": "otherIssue", "value": reason[:255]}]
            order.settle_if_done(at=now)
            await uow.product_orders.save(order)
    await uow.composites.save(composite)
