"""Combining the segments' answers of an enquiry into our own answer (qualification, quote, confirmation)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from counterpoint.core.orchestration import costing
from counterpoint.core.orchestration.codec import ref_json
from counterpoint.core.orchestration.enquiry import (
    AskState,
    Purpose,
    SupplyEnquiry,
    price_from,
    price_json,
)
from counterpoint.core.orchestration.supply import (
    Price,
    QualificationState,
    QuoteState,
)
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.times import iso, parse_aware


def finish(profile: SellerProfile, enq: SupplyEnquiry, *, now: datetime) -> None:
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
