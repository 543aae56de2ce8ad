"""Use cases of MEF 115: create, read, cancel and decline quotes; the Seller's steps on deferred quotes;
acceptance by a product order.

Immediate quotes (`instantSyncQuote=true`) are priced in the response. Deferred quotes are acknowledged, then
advanced by the worker (`advance_quote`): checked (rejected if an item names what the Seller cannot
resolve) and started on its next round, priced `quoteDays` later, made firm `siteSurveyDays` after that when
a site survey is needed, or given up at the Buyer's requested completion date. Answers expire at the end of
their validity (`quoteValidityDays`).
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from counterpoint.core.ports import NO_SUPPLY, SupplyChain, UnitOfWork
from counterpoint.core.quote.model import (
    ITEM_ORDERABLE,
    ITEMS,
    OPEN_ANSWERS,
    ORDERABLE,
    UNFINISHED_ITEMS,
    Quote,
    QuoteFilter,
    QuoteItemState,
    QuoteLevel,
    QuoteState,
)
from counterpoint.core.quote.pricing import PricedItem, QuotePricer, offered_term
from counterpoint.core.seller.model import SellerProfile, ValidationPolicy
from counterpoint.core.serviceability.services import check_poq_ref, holdings, seller_contact
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.errors import Invalid, Problem
from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.notes import own_request_notes
from counterpoint.core.shared.times import iso, parse_aware
from counterpoint.core.shared.validation import ProductSchemas, gather_configuration_problems

__all__ = ["QuoteFilter", "create_quote", "get_quote", "list_quotes", "cancel_quote", "decline_quote",
           "advance_quote", "check_quote_refs", "accept_quotes"]

Q, QI = QuoteState, QuoteItemState


def _contact(contacts: Any, role: str) -> bool:
    return any(isinstance(c, dict) and c.get("role") == role for c in contacts or [])


def check_request(request: dict[str, Any], *, now: datetime) -> list[Problem]:
    """The MEF 115 rules on a create request that the envelope's schema cannot express (R18-R24)."""
    problems: list[Problem] = []
    deferred = not request.get("instantSyncQuote")
    if deferred and not _contact(request.get("relatedContactInformation"), "buyerContactInformation"):
        problems.append(Problem("missingProperty", "a deferred quote needs relatedContactInformation with role "
                                "buyerContactInformation", "/relatedContactInformation"))
    requested = request.get("requestedQuoteCompletionDate")
    if deferred and requested is None:
        problems.append(Problem("missingProperty", "requestedQuoteCompletionDate is required when "
                                "instantSyncQuote is false", "/requestedQuoteCompletionDate"))
    elif deferred:
        at = parse_aware(requested)
        if at is None:
            problems.append(Problem("invalidFormat", "requestedQuoteCompletionDate must be a date-time with a zone",
                                    "/requestedQuoteCompletionDate"))
        elif at <= now:
            problems.append(Problem("invalidValue", "requestedQuoteCompletionDate is in the past",
                                    "/requestedQuoteCompletionDate"))
    items = request[ITEMS]
    ids = [item["id"] for item in items]
    for i, item in enumerate(items):
        base = f"/{ITEMS}/{i}"
        if ids.count(item["id"]) > 1 and ids.index(item["id"]) != i:
            problems.append(Problem("invalidValue", f"item id {item['id']} is used twice", f"{base}/id"))
        action, product = item["action"], item.get("product")
        if product is None:
            problems.append(Problem("missingProperty", "every quote item needs a product", f"{base}/product"))
            product = {}
        if action == "add" and product.get("id") is not None:
            problems.append(Problem("unexpectedProperty", "an add item must not name an existing product",
                                    f"{base}/product/id"))
        if action in ("add", "modify") and product.get("productConfiguration") is None:
            problems.append(Problem("missingProperty", f"a {action} item needs a productConfiguration",
                                    f"{base}/product/productConfiguration"))
        if action in ("modify", "delete") and product.get("id") is None:
            problems.append(Problem("missingProperty", f"a {action} item must name the product (product.id)",
                                    f"{base}/product/id"))
        if deferred and not _contact(item.get("relatedContactInformation"), "quoteItemTechnicalContact"):
            problems.append(Problem("missingProperty", "a deferred quote item needs relatedContactInformation "
                                    "with role quoteItemTechnicalContact", f"{base}/relatedContactInformation"))
        if (deferred and action == "add" and product.get("place")
                and not _contact(item.get("relatedContactInformation"), "quoteItemLocationContact")):
            problems.append(Problem("missingProperty", "a deferred quote item with a location needs "
                                    "relatedContactInformation with role quoteItemLocationContact",
                                    f"{base}/relatedContactInformation"))
        for j, rel in enumerate(item.get("quoteItemRelationship") or []):
            if rel.get("id") not in ids or rel.get("id") == item["id"]:
                problems.append(Problem("referenceNotFound", f"no other item {rel.get('id')} in this quote",
                                        f"{base}/quoteItemRelationship/{j}/id"))
    return problems


def _state_for(priced: list[PricedItem], *, firm: bool) -> tuple[QuoteState, dict[str, QuoteItemState]]:
    """The completion states of a quote whose items are all priced or refused."""
    items: dict[str, QuoteItemState] = {}
    for p in priced:
        if not p.quotable:
            items[p.item_id] = QI.UNABLE_TO_PROVIDE
        elif not firm:
            items[p.item_id] = QI.ANSWERED
        else:
            items[p.item_id] = QI.APPROVED_ORDERABLE_ALTERNATE if p.alternate else QI.APPROVED_ORDERABLE
    if QI.UNABLE_TO_PROVIDE in items.values():
        return Q.UNABLE_TO_PROVIDE, items
    if not firm:
        return Q.ANSWERED, items
    if QI.APPROVED_ORDERABLE_ALTERNATE in items.values():
        return Q.APPROVED_ORDERABLE_ALTERNATE, items
    return Q.APPROVED_ORDERABLE, items


def _level(priced: list[PricedItem], *, firm: bool) -> QuoteLevel:
    if not firm:
        return QuoteLevel.BUDGETARY
    if any(p.quotable and p.feasibility_check for p in priced):
        return QuoteLevel.FIRM_SUBJECT_TO_FEASIBILITY_CHECK
    return QuoteLevel.FIRM


def _not_now(p: PricedItem, why: str) -> PricedItem:
    return PricedItem(p.item_id, False, {"quoteItemTerm": p.answer.get("quoteItemTerm", []), "terminationError": [
        {"code": "otherIssue", "value": why}]}, reason=why)


async def create_quote(uow: UnitOfWork, clock: Clock, profile: SellerProfile, schemas: ProductSchemas, *,
                       buyer_id: str, seller_id: str, channel: str, request: dict[str, Any],
                       href_base: str, supply_chain: SupplyChain = NO_SUPPLY) -> Quote:
    """createQuote: priced in the response when immediate, else acknowledged for the worker."""
    now = clock.now()
    instant = bool(request.get("instantSyncQuote"))
    firm = request.get("buyerRequestedQuoteLevel") == "firm"
    problems = check_request(request, now=now)
    warnings = gather_configuration_problems(schemas, strict=profile.validation is ValidationPolicy.STRICT,
                                             items=request[ITEMS], items_key=ITEMS, problems=problems)
    quote_id = new_id()
    doc = copy.deepcopy(request)
    own_request_notes(doc, ITEMS, buyer_id=buyer_id, at=now)
    doc["href"] = f"{href_base}/quote/{quote_id}"
    doc["relatedContactInformation"] = [*(doc.get("relatedContactInformation") or []), seller_contact(profile)]
    for item in doc[ITEMS]:
        item["quoteItemTerm"] = [offered_term(profile, item.get("requestedQuoteItemTerm"))]
    for w in warnings:  # lenient policy: the Buyer sees what was wrong with what it sent
        doc.setdefault("note", []).append({
            "id": new_id(), "author": profile.name, "date": iso(now), "source": "seller",
            "text": f"accepted with a product payload problem at {w['path']}: {w['reason']}"[:2000]})
    common: dict[str, Any] = {"id": quote_id, "buyer_id": buyer_id, "seller_id": seller_id, "channel": channel,
                              "at": now, "instant": instant, "warnings": warnings}
    async with uow:
        for i, item in enumerate(request[ITEMS]):
            problem = await check_poq_ref(uow, buyer_id, item.get("productOfferingQualificationItem"),
                                          f"/{ITEMS}/{i}/productOfferingQualificationItem")
            if problem is not None:
                problems.append(problem)
        if problems:
            raise Invalid(f"{len(problems)} problem(s) in the quote request", problems=problems)
        if instant:
            held = await holdings(uow, buyer_id, doc, ITEMS)
            priced = QuotePricer(profile, buyer_id=buyer_id, request=doc, holdings=held, at=now).price(firm=firm)
            composite = supply_chain.composite_items(profile, doc[ITEMS])
            priced = [_not_now(p, "this item is built from several network segments whose prices are confirmed "
                               "first; ask for a deferred quote (instantSyncQuote=false)")
                      if p.quotable and p.item_id in composite else
                      _not_now(p, "this item is priced by hand; ask for a deferred quote (instantSyncQuote=false)")
                      if p.quotable and p.manual else
                      _not_now(p, "a firm price needs a site survey first; ask for a deferred quote "
                               "(instantSyncQuote=false) or a budgetary one") if p.quotable and p.site_survey
                      else p for p in priced]
            state, item_states = _state_for(priced, firm=firm)
            by_id = {p.item_id: p for p in priced}
            for item in doc[ITEMS]:
                item.update(by_id[item["id"]].answer)
            doc["quoteLevel"] = _level(priced, firm=firm).value
            quote = Quote.create(doc=doc, state=state, item_states=item_states,
                                 valid_until=now + timedelta(days=profile.quote_validity_days), **common)
        else:
            requested_at = parse_aware(request["requestedQuoteCompletionDate"])
            answer_at = now + timedelta(days=profile.lead_times.quote_days)
            doc["expectedQuoteCompletionDate"] = iso(answer_at)
            quote = Quote.create(doc=doc, state=Q.ACKNOWLEDGED,
                                 item_states={item["id"]: QI.ACKNOWLEDGED for item in doc[ITEMS]},
                                 requested_completion_at=requested_at, expected_completion_at=answer_at,
                                 answer_at=answer_at, due_at=now, **common)
        await uow.quotes.add(quote)
        if not instant and supply_chain.composite_items(profile, doc[ITEMS]):  # our suppliers: asked by the worker
            await supply_chain.open_for_quote(uow, profile, quote, now=now)
        await uow.commit()
    return quote


async def get_quote(uow: UnitOfWork, *, buyer_id: str, quote_id: str) -> Quote:
    async with uow:
        quote: Quote = await uow.quotes.get(buyer_id, quote_id)
        return quote


async def list_quotes(uow: UnitOfWork, *, buyer_id: str, flt: QuoteFilter, offset: int,
                      limit: int) -> tuple[list[Quote], int]:
    async with uow:
        found: tuple[list[Quote], int] = await uow.quotes.search(buyer_id, flt, offset=offset, limit=limit)
        return found


async def _operate(uow: UnitOfWork, buyer_id: str, body: dict[str, Any], allowed: frozenset[QuoteState],
                   verb: str) -> Quote:
    quote: Quote | None = await uow.quotes.find(buyer_id, str(body["quoteId"]))
    if quote is None:  # another Buyer's quote is as unknown as a missing one (MEF 115 section 6.5)
        raise Invalid(f"no quote {body['quoteId']}", problems=[
            Problem("referenceNotFound", f"no quote {body['quoteId']}", "/quoteId")])
    if quote.state not in allowed:
        can = " or ".join(sorted(s.value for s in allowed))
        raise Invalid(f"quote {quote.id} is {quote.state.value}", problems=[Problem(
            "invalidValue", f"quote {quote.id} is {quote.state.value}; only a quote that is {can} can be {verb}",
            "/quoteId")])
    return quote


async def cancel_quote(uow: UnitOfWork, clock: Clock, *, buyer_id: str, body: dict[str, Any]) -> Quote:
    """cancelQuote: stops a quote in progress; unfinished items are abandoned."""
    async with uow:
        quote = await _operate(uow, buyer_id, body, frozenset({Q.IN_PROGRESS, Q.IN_PROGRESS_DRAFT}), "cancelled")
        now = clock.now()
        reason = body.get("reason") or "cancelled by the Buyer"
        for item in quote.items:
            if QuoteItemState(item["state"]) in UNFINISHED_ITEMS:
                quote.move_item(item["id"], QI.ABANDONED, at=now, reason=reason)
        quote.move_to(Q.CANCELLED, at=now, reason=reason)
        await uow.quotes.save(quote)
        await uow.commit()
    return quote


async def decline_quote(uow: UnitOfWork, clock: Clock, *, buyer_id: str, body: dict[str, Any]) -> Quote:
    """rejectQuote: the Buyer declines an orderable quote; its items keep their states."""
    async with uow:
        quote = await _operate(uow, buyer_id, body, ORDERABLE, "declined")
        quote.move_to(Q.DECLINED, at=clock.now(), reason=body.get("reason") or "declined by the Buyer")
        await uow.quotes.save(quote)
        await uow.commit()
    return quote


# --- the Seller's steps ------------------------------------------------------------------------------------


async def advance_quote(uow: UnitOfWork, clock: Clock, profile: SellerProfile, quote_id: str, *,
                        supply_chain: SupplyChain = NO_SUPPLY) -> int:
    """One due step of a quote: check and start, price, make firm, give up at the deadline, or expire.

    Returns 1 when the quote moved, 0 when nothing was due (e.g. another worker got there first).
    """
    async with uow:
        quote: Quote = await uow.quotes.get_unscoped(quote_id)
        now = clock.now()
        if quote.is_final or quote.due_at is None or quote.due_at > now:
            return 0
        firm = quote.doc.get("buyerRequestedQuoteLevel") == "firm"
        step_at = {Q.ACKNOWLEDGED: quote.created_at, Q.IN_PROGRESS: quote.answer_at,
                   Q.IN_PROGRESS_DRAFT: quote.firm_at}.get(quote.state)
        deadline = quote.requested_completion_at
        if quote.state in OPEN_ANSWERS:
            quote.move_to(Q.EXPIRED, at=now, reason="the quote's validity period ended")
        elif step_at is not None and step_at <= now and (
                waiting := await _supplied(uow, supply_chain, profile, quote, firm=firm, now=now)) is not None:
            if waiting:  # composite items wait for our suppliers' quotes; their enquiry wakes the quote
                quote.due_at = deadline
                await uow.quotes.save(quote)
                await uow.commit()
                return 0
        elif deadline is not None and deadline <= now:
            reason = "the Seller could not complete the quote by the requested completion date"
            for item in quote.items:
                if QuoteItemState(item["state"]) in UNFINISHED_ITEMS:
                    quote.move_item(item["id"], QI.ABANDONED, at=now, reason=reason)
            quote.move_to(Q.UNABLE_TO_PROVIDE, at=now, reason=reason)
        else:  # woken early (e.g. the plan changed): sleep until the next step
            quote.due_at = min(t for t in (step_at, deadline) if t is not None) if (step_at or deadline) else None
            await uow.quotes.save(quote)
            await uow.commit()
            return 0
        await uow.quotes.save(quote)
        await uow.commit()
    return 1


async def _supplied(uow: UnitOfWork, supply_chain: SupplyChain, profile: SellerProfile, quote: Quote, *, firm: bool,
                    now: datetime) -> bool | None:
    """The step that prices: True while composite items wait for suppliers (before the deadline), False once
    the step is taken, None when it must not be taken (waiting, and the deadline has come)."""
    held = await holdings(uow, quote.buyer_id, quote.doc, ITEMS)
    priced = QuotePricer(profile, buyer_id=quote.buyer_id, request=quote.doc, holdings=held, at=now).price(firm=firm)
    if quote.state is Q.ACKNOWLEDGED:
        _check(quote, priced, profile, now)
        return False
    cap = None
    if supply_chain.composite_items(profile, quote.items):  # priced from our suppliers' quotes
        priced, waiting, cap = await supply_chain.quote_prices(uow, profile, quote, priced, now=now)
        if waiting:
            deadline = quote.requested_completion_at
            return None if deadline is not None and deadline <= now else True
    if quote.state is Q.IN_PROGRESS:
        _answer(quote, priced, profile, now, firm=firm, cap=cap)
    else:
        _complete(quote, priced, profile, now, firm=firm, reason="site survey completed", cap=cap)
    return False


def _next(quote: Quote, step_at: datetime) -> None:
    deadline = quote.requested_completion_at
    quote.due_at = min(step_at, deadline) if deadline is not None else step_at


def _check(quote: Quote, priced: list[PricedItem], profile: SellerProfile, now: datetime) -> None:
    """acknowledged -> rejected when an item names what the Seller cannot resolve, else -> inProgress."""
    broken = [p for p in priced if p.termination]
    if broken:
        for p in priced:
            if p.termination:
                quote.move_item(p.item_id, QI.REJECTED, at=now, reason=p.reason,
                                answer={"terminationError": p.answer["terminationError"]})
            else:
                quote.move_item(p.item_id, QI.ABANDONED, at=now, reason="another item of this quote was rejected")
        quote.move_to(Q.REJECTED, at=now, reason="; ".join(p.reason or "" for p in broken))
        return
    for item in quote.items:
        quote.move_item(item["id"], QI.IN_PROGRESS, at=now)
    quote.move_to(Q.IN_PROGRESS, at=now)
    assert quote.answer_at is not None
    if any(p.site_survey and p.quotable for p in priced):
        quote.firm_at = quote.answer_at + timedelta(days=profile.lead_times.site_survey_days)
        quote.expected_completion_at = quote.firm_at
        quote.doc["expectedQuoteCompletionDate"] = iso(quote.firm_at)
    _next(quote, quote.answer_at)


def _answer(quote: Quote, priced: list[PricedItem], profile: SellerProfile, now: datetime, *, firm: bool,
            cap: datetime | None = None) -> None:
    """Prices are ready. Items waiting for a site survey get a draft price; the rest is final."""
    survey = [p for p in priced if p.site_survey and p.quotable]
    if not survey or not all(p.quotable for p in priced):  # nothing to wait for, or unable anyway
        _complete(quote, priced, profile, now, firm=firm, reason=None, cap=cap)
        return
    if quote.firm_at is None:  # the survey rule appeared after the quote was checked
        quote.firm_at = now + timedelta(days=profile.lead_times.site_survey_days)
        quote.expected_completion_at = quote.firm_at
        quote.doc["expectedQuoteCompletionDate"] = iso(quote.firm_at)
    for p in priced:
        if p.site_survey:
            quote.move_item(p.item_id, QI.IN_PROGRESS_DRAFT, at=now, reason="draft price; firm after the site survey",
                            answer={**p.answer, "subjectToFeasibilityCheck": True})
        else:
            quote.move_item(p.item_id, QI.APPROVED_ORDERABLE_ALTERNATE if p.alternate else QI.APPROVED_ORDERABLE,
                            at=now, answer={**p.answer, "subjectToFeasibilityCheck": p.feasibility_check})
    quote.doc["quoteLevel"] = QuoteLevel.FIRM_SUBJECT_TO_FEASIBILITY_CHECK.value
    quote.move_to(Q.IN_PROGRESS_DRAFT, at=now, reason="draft prices given; a site survey is scheduled")
    _next(quote, quote.firm_at)


def _complete(quote: Quote, priced: list[PricedItem], profile: SellerProfile, now: datetime, *, firm: bool,
              reason: str | None, cap: datetime | None = None) -> None:
    """The final answer; `cap` ends its validity early (a composite item's earliest supplier quote end)."""
    state, item_states = _state_for(priced, firm=firm)
    by_id = {p.item_id: p for p in priced}
    for item in quote.items:
        if QuoteItemState(item["state"]) not in UNFINISHED_ITEMS:
            continue  # answered already (with the draft)
        p = by_id[item["id"]]
        answer = {**p.answer, "subjectToFeasibilityCheck": p.feasibility_check} if firm and p.quotable else p.answer
        quote.move_item(item["id"], item_states[item["id"]], at=now, reason=p.reason, answer=answer)
    quote.doc["quoteLevel"] = _level(priced, firm=firm).value
    quote.valid_until = now + timedelta(days=profile.quote_validity_days)
    if cap is not None and cap < quote.valid_until:
        quote.valid_until = cap
    quote.move_to(state, at=now, reason=reason)


# --- acceptance by an order --------------------------------------------------------------------------------


async def check_quote_refs(uow: UnitOfWork, buyer_id: str, items: list[dict[str, Any]], *, now: datetime,
                           items_key: str = "productOrderItem") -> tuple[list[Problem], dict[str, Quote]]:
    """The quote items an order's items reference must be orderable answers of the Buyer's own quotes."""
    problems: list[Problem] = []
    quotes: dict[str, Quote] = {}
    for i, item in enumerate(items):
        ref = item.get("quoteItem")
        if not isinstance(ref, dict):
            continue
        path = f"/{items_key}/{i}/quoteItem"
        qid = str(ref.get("quoteId"))
        quote = quotes.get(qid) or await uow.quotes.find(buyer_id, qid)
        if quote is None:
            problems.append(Problem("referenceNotFound", f"no quote {qid}", f"{path}/quoteId"))
            continue
        if quote.state in ORDERABLE and quote.valid_until is not None and quote.valid_until <= now:
            problems.append(Problem("invalidValue", f"quote {qid} expired at {iso(quote.valid_until)}; ask for a "
                                    "new quote", f"{path}/quoteId"))
            continue
        if quote.state not in ORDERABLE:
            problems.append(Problem("invalidValue", f"quote {qid} is {quote.state.value}, not orderable",
                                    f"{path}/quoteId"))
            continue
        try:
            item_state = quote.item_state(str(ref.get("id")))
        except KeyError:
            problems.append(Problem("referenceNotFound", f"quote {qid} has no item {ref.get('id')}", f"{path}/id"))
            continue
        if item_state not in ITEM_ORDERABLE:
            problems.append(Problem("invalidValue", f"quote {qid} item {ref.get('id')} is {item_state.value}, "
                                    "not orderable", f"{path}/id"))
            continue
        differs = _differs(item, quote.item(str(ref.get("id"))))
        if differs is not None:
            problems.append(Problem("invalidValue", f"the item orders a different {differs} than quote {qid} item "
                                    f"{ref.get('id')} priced; ask for a new quote", f"/{items_key}/{i}/{differs}"))
            continue
        quotes[qid] = quote
    return problems, quotes


def _differs(ordered: dict[str, Any], quoted: dict[str, Any]) -> str | None:
    """What an order item changes of the quote item it names (the price holds only for what was quoted)."""
    if ordered.get("action") != quoted.get("action"):
        return "action"
    mine, theirs = ordered.get("product") or {}, quoted.get("product") or {}
    for key in ("id", "productOffering", "productConfiguration"):
        if key in theirs and mine.get(key) != theirs.get(key):
            return f"product/{key}"
    return None


async def accept_quotes(uow: UnitOfWork, quotes: dict[str, Quote], *, order_id: str, now: datetime) -> None:
    """An order placed on them accepts the quotes (in the order's own transaction)."""
    for quote in quotes.values():
        quote.move_to(Q.ACCEPTED, at=now, reason=f"ordered by product order {order_id}")
        await uow.quotes.save(quote)
