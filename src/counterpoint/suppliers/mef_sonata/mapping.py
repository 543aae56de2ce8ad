"""The anti-corruption tables of the Sonata adapter: MEF documents in, our neutral answers out.

Everything here reads plain JSON dicts (not the generated models) on purpose: a supplier may answer with a
state word or a field our contracts do not know, and such an answer must become evidence we flag
(`SegmentState.UNRECOGNISED`), never an exception. Only a document without its `id` is unreadable.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from counterpoint.core.orchestration.supply import (
    CancellationAnswer,
    CancellationOutcome,
    Observation,
    Price,
    QualificationAnswer,
    QualificationState,
    QuoteAnswer,
    QuoteState,
    SegmentState,
    Source,
)
from counterpoint.core.orchestration.ticket_supply import (
    AppointmentAnswer,
    Slot,
    TicketNote,
    TicketObservation,
    TicketState,
    WorkOrderView,
)
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.core.shared.times import parse_aware


class UnreadableAnswer(ValueError):
    """A supplier document we cannot read at all (not an object, or no id)."""


# ---- MEF 123 product order -------------------------------------------------------------------------------

# The item decides: we put exactly one item in every order we send.
ITEM_STATES: dict[str, SegmentState] = {
    "acknowledged": SegmentState.ACKNOWLEDGED,
    "inProgress": SegmentState.IN_DELIVERY,
    "held": SegmentState.AWAITING_BUYER,  # a charge waits for our answer
    "pending": SegmentState.IN_DELIVERY,  # paused while the supplier assesses a request of ours (see below)
    "completed": SegmentState.DELIVERED,
    "failed": SegmentState.FAILED,
    "cancelled": SegmentState.CANCELLED,
    "rejected": SegmentState.REJECTED,
    "rejected.validated": SegmentState.REJECTED,  # the item was fine, another one was not: still refused
    "rejected.unassessed": SegmentState.REJECTED,
}

# Used when the order carries no item state.
ORDER_STATES: dict[str, SegmentState] = {
    "acknowledged": SegmentState.ACKNOWLEDGED,
    "inProgress": SegmentState.IN_DELIVERY,
    "held.assessingCharge": SegmentState.AWAITING_BUYER,
    "pending.assessingModification": SegmentState.IN_DELIVERY,
    "assessingCancellation": SegmentState.CANCELLING,
    "pendingCancellation": SegmentState.CANCELLING,
    "completed": SegmentState.DELIVERED,
    "failed": SegmentState.FAILED,
    "rejected": SegmentState.REJECTED,
    "cancelled": SegmentState.CANCELLED,
    "partial": SegmentState.FAILED,  # some items failed; with one item per order that item failed
}

# Order states that say more than the item can: a cancellation under way or done is decided at order level
# (the item is `pending`, then `cancelled` before the order itself is).
ORDER_OVERRIDES: dict[str, SegmentState] = {
    "assessingCancellation": SegmentState.CANCELLING,
    "pendingCancellation": SegmentState.CANCELLING,
    "cancelled": SegmentState.CANCELLED,
}


def segment_state(order_state: str | None, item_state: str | None) -> tuple[SegmentState, str | None]:
    """Our state for (order word, item word), and why it is UNRECOGNISED when it is.

    An unknown word on either level wins over everything: guessing what a supplier meant is worse than
    asking a person.
    """
    if order_state is not None and order_state not in ORDER_STATES:
        return SegmentState.UNRECOGNISED, f"unrecognised order state {order_state!r}"
    if item_state is not None and item_state not in ITEM_STATES:
        return SegmentState.UNRECOGNISED, f"unrecognised order item state {item_state!r}"
    if order_state in ORDER_OVERRIDES:
        return ORDER_OVERRIDES[order_state], None
    if item_state is not None:
        return ITEM_STATES[item_state], None
    if order_state is not None:
        return ORDER_STATES[order_state], None
    return SegmentState.UNRECOGNISED, "the order carries no state"


def observe_order(doc: Any, *, provider: str, source: Source, at: datetime) -> Observation:
    """An Observation of a MEF 123 ProductOrder (one item expected; the first one is read)."""
    doc = _resource(doc)
    items = [i for i in _list(doc.get("productOrderItem")) if isinstance(i, dict)]
    item = items[0] if items else {}
    order_word, item_word = _word(doc.get("state")), _word(item.get("state"))
    state, unrecognised = segment_state(order_word, item_word)
    product = item.get("product") if isinstance(item.get("product"), dict) else {}
    product_id = _text(product.get("id"))
    changes = [*_list(doc.get("stateChange")), *_list(item.get("stateChange"))]
    detail: dict[str, Any] = {k: v for k, v in (("itemId", _text(item.get("id"))), ("itemState", item_word),
                                                ("completionDate", _text(item.get("completionDate"))))
                              if v is not None}
    if len(items) > 1:
        detail["itemCount"] = len(items)
    required_action = None
    if state is SegmentState.AWAITING_BUYER:
        charges = [c["id"] for c in _list(item.get("charge")) if isinstance(c, dict) and _text(c.get("id"))]
        required_action = "acceptCharge" + (":" + ",".join(charges) if charges else "")
        if charges:
            detail["charges"] = charges
    return Observation(
        state=state,
        raw_state=order_word or item_word or "",
        ref=ExternalRef(provider, doc["id"], "productOrder"),
        source=source,
        observed_at=at,
        as_of=last_change(changes),
        our_ref=_text(doc.get("externalId")),
        expected_completion=parse_aware(item["expectedCompletionDate"]) if item.get("expectedCompletionDate")
        else None,
        required_action=required_action,
        reason=unrecognised or _termination(item) or _last_reason(_list(item.get("stateChange")))
        or _last_reason(_list(doc.get("stateChange"))),
        evidence=_text(doc.get("href")) or doc["id"],
        product_ref=ExternalRef(provider, product_id, "product") if product_id else None,
        detail=detail,
    )


# ---- MEF 123 cancel product order ------------------------------------------------------------------------

CANCELLATION_STATES: dict[str, CancellationOutcome] = {
    "acknowledged": CancellationOutcome.PENDING,
    "inProgress.assessingCharge": CancellationOutcome.PENDING,  # a cancellation charge waits for us
    "done": CancellationOutcome.ACCEPTED,
    "done.declined": CancellationOutcome.REFUSED,  # we declined its charge: nothing was cancelled
    "rejected": CancellationOutcome.REFUSED,
}


def cancellation_answer(doc: Any, *, provider: str, at: datetime) -> CancellationAnswer:
    """A CancellationAnswer from a MEF 123 CancelProductOrder (unknown states read as still pending)."""
    doc = _resource(doc)
    word = _word(doc.get("state")) or ""
    outcome = CANCELLATION_STATES.get(word)
    reason = _text(doc.get("cancellationDeniedReason"))
    if outcome is None:
        outcome, reason = CancellationOutcome.PENDING, f"unrecognised cancellation state {word!r}"
    return CancellationAnswer(ref=ExternalRef(provider, doc["id"], "cancelProductOrder"), outcome=outcome,
                              raw_state=word, observed_at=at, reason=reason)


# ---- MEF 115 quote ---------------------------------------------------------------------------------------

QUOTE_STATES: dict[str, QuoteState] = {
    "acknowledged": QuoteState.PENDING,
    "inProgress": QuoteState.PENDING,
    "inProgress.draft": QuoteState.PENDING,  # partly priced, not orderable yet
    "approved.orderable": QuoteState.FIRM,  # BUDGETARY instead when the quote level says so
    "approved.orderableAlternate": QuoteState.FIRM,  # orderable, with another term or interval than asked
    "answered": QuoteState.BUDGETARY,
    "unableToProvide": QuoteState.UNABLE,
    "rejected": QuoteState.UNABLE,
    "abandoned": QuoteState.UNABLE,  # item-level word
    "expired": QuoteState.EXPIRED,
    "cancelled": QuoteState.CANCELLED,
    "declined": QuoteState.CANCELLED,  # we declined it: as good as withdrawn
    "accepted": QuoteState.ACCEPTED,
}


def quote_answer(doc: Any, *, provider: str, at: datetime) -> QuoteAnswer:
    """A QuoteAnswer from a MEF 115 Quote (one item expected). Unknown states read as PENDING, with a reason."""
    doc = _resource(doc)
    item = next((i for i in _list(doc.get("quoteItem")) if isinstance(i, dict)), {})
    word = _word(doc.get("state")) or _word(item.get("state")) or ""
    state = QUOTE_STATES.get(word)
    reason: str | None = None
    if state is None:
        state, reason = QuoteState.PENDING, f"unrecognised quote state {word!r}"
    level = _word(doc.get("quoteLevel")) or _word(doc.get("buyerRequestedQuoteLevel"))
    if state is QuoteState.FIRM and level == "budgetary":
        state = QuoteState.BUDGETARY
    terms = [t for t in _list(item.get("quoteItemTerm")) if isinstance(t, dict)]
    valid_for = doc.get("validFor") if isinstance(doc.get("validFor"), dict) else {}
    return QuoteAnswer(
        ref=ExternalRef(provider, doc["id"], "quote"),
        state=state,
        raw_state=word,
        observed_at=at,
        item_id=_text(item.get("id")),
        price=quote_price(_list(item.get("quoteItemPrice"))),
        term_months=duration_months(terms[0].get("duration")) if terms else None,
        lead_time_days=duration_days(item.get("quoteItemInstallationInterval")),
        valid_until=parse_aware(valid_for["endDateTime"]) if valid_for.get("endDateTime") else None,
        reason=reason or _termination(item) or _last_reason(_list(doc.get("stateChange"))),
    )


# A recurring charge per period, as a share of a month.
_PER_MONTH = {"month": Decimal(1), "year": Decimal(1) / 12, "week": Decimal(52) / 12, "day": Decimal(365) / 12,
              "hour": Decimal(365 * 24) / 12}


def quote_price(prices: Iterable[Any]) -> Price | None:
    """One-off and monthly totals of the item's prices (duty-free amounts); None if unpriced or mixed currency.

    Usage-based prices are left out: they have no fixed amount to compare.
    """
    nrc, mrc, currencies, seen = Decimal(0), Decimal(0), set(), False
    for entry in prices:
        if not isinstance(entry, dict):
            continue
        price = entry.get("price") if isinstance(entry.get("price"), dict) else {}
        amount = price.get("dutyFreeAmount") if isinstance(price.get("dutyFreeAmount"), dict) else {}
        value = _decimal(amount.get("value"))
        if value is None:
            continue
        kind = entry.get("priceType")
        if kind == "nonRecurring":
            nrc += value
        elif kind == "recurring":
            factor = _PER_MONTH.get(str(entry.get("recurringChargePeriod") or "month"))
            if factor is None:
                continue
            mrc += value * factor
        else:
            continue
        seen = True
        if amount.get("unit"):
            currencies.add(str(amount["unit"]))
    if not seen or len(currencies) > 1:
        return None
    if mrc != mrc.to_integral_value():  # a yearly or weekly charge spread over months
        mrc = mrc.quantize(Decimal("0.01"))
    return Price(nrc=nrc, mrc=mrc, currency=currencies.pop() if currencies else "")


# ---- MEF 87 product offering qualification ---------------------------------------------------------------

POQ_STATES: dict[str, QualificationState] = {
    "acknowledged": QualificationState.PENDING,
    "inProgress": QualificationState.PENDING,
    "done.ready": QualificationState.SERVICEABLE,  # item-level confidence decides, see below
    "done.unableToProvide": QualificationState.FAILED,  # no answer in the time we allowed
    "done.abandoned": QualificationState.FAILED,  # item-level: given up because another item failed
    "terminatedWithError": QualificationState.FAILED,  # the supplier lacked information to answer
}
CONFIDENCE: dict[str, QualificationState] = {
    "green": QualificationState.SERVICEABLE,
    "yellow": QualificationState.SERVICEABLE,  # deliverable with less certainty; the reason says why
    "red": QualificationState.NOT_SERVICEABLE,
}


def qualification_answer(doc: Any, *, provider: str, at: datetime) -> QualificationAnswer:
    """A QualificationAnswer from a MEF 87 POQ (one item expected). Unknown states read as PENDING."""
    doc = _resource(doc)
    item = next((i for i in _list(doc.get("productOfferingQualificationItem")) if isinstance(i, dict)), {})
    poq_word, item_word = _word(doc.get("state")), _word(item.get("state"))
    word = item_word or poq_word or ""
    reason: str | None = None
    if poq_word is not None and poq_word not in POQ_STATES:
        state, reason = QualificationState.PENDING, f"unrecognised POQ state {poq_word!r}"
    elif item_word is not None and item_word not in POQ_STATES:
        state, reason = QualificationState.PENDING, f"unrecognised POQ item state {item_word!r}"
    elif poq_word in ("done.unableToProvide", "terminatedWithError"):
        state = POQ_STATES[poq_word]
    else:
        state = POQ_STATES.get(word, QualificationState.PENDING)
    if state is QualificationState.SERVICEABLE:
        confidence = _word(item.get("serviceabilityConfidence"))
        state = CONFIDENCE.get(confidence or "", QualificationState.FAILED)
        if confidence not in CONFIDENCE:
            reason = f"done without a serviceability confidence we know ({confidence!r})"
    return QualificationAnswer(
        ref=ExternalRef(provider, doc["id"], "poq"),
        state=state,
        raw_state=word,
        observed_at=at,
        item_id=_text(item.get("id")),
        installation_days=duration_days(item.get("installationInterval")),
        reason=reason or _text(item.get("serviceabilityConfidenceReason")) or _termination(item)
        or _last_reason(_list(item.get("stateChange"))) or _last_reason(_list(doc.get("stateChange"))),
    )


# ---- shared readers --------------------------------------------------------------------------------------

# Days per unit of a MEF Duration, business days counted as 7/5 calendar days.
_DAYS = {"calendarDays": 1.0, "businessDays": 7 / 5, "calendarMonths": 30.0, "calendarHours": 1 / 24,
         "businessHours": 7 / 5 / 8, "calendarMinutes": 1 / 1440, "businessMinutes": 7 / 5 / 480}


def duration_days(duration: Any) -> int | None:
    """A MEF Duration in whole calendar days (rounded up); None when absent or unreadable."""
    if not isinstance(duration, dict):
        return None
    amount, per_unit = duration.get("amount"), _DAYS.get(str(duration.get("units")))
    if per_unit is None or not isinstance(amount, int | float) or isinstance(amount, bool) or amount < 0:
        return None
    return math.ceil(amount * per_unit - 1e-9)


def duration_months(duration: Any) -> int | None:
    """A MEF Duration (a term) in whole months; days are read as 30 to a month."""
    if not isinstance(duration, dict):
        return None
    amount = duration.get("amount")
    if not isinstance(amount, int | float) or isinstance(amount, bool) or amount < 0:
        return None
    if duration.get("units") == "calendarMonths":
        return int(amount)
    days = duration_days(duration)
    return round(days / 30) if days is not None else None


# ---- MEF 124 trouble ticket ------------------------------------------------------------------------------

TICKET_STATES: dict[str, TicketState] = {
    "acknowledged": TicketState.OPEN,
    "inProgress": TicketState.INVESTIGATING,
    "pending": TicketState.WAITING_FOR_BUYER,  # information or an appointment from us (the seller's note says)
    "resolved": TicketState.RESOLVED,
    "reopened": TicketState.INVESTIGATING,  # after our reopen: the one step back (TicketObservation.reopened)
    "closed": TicketState.CLOSED,
    "assessingCancellation": TicketState.CANCELLING,
    "cancelled": TicketState.CANCELLED,
}
# the Seller's note asking for information starts with these words (our Seller's convention; others' notes are
# taken whole)
_ASKS = ("information needed: ",)


def observe_ticket(doc: Any, *, provider: str, source: Source, at: datetime) -> TicketObservation:
    """A TicketObservation of a MEF 124 TroubleTicket."""
    doc = _resource(doc)
    word = _word(doc.get("status")) or ""
    state = TICKET_STATES.get(word, TicketState.UNRECOGNISED)
    notes = tuple(TicketNote(id=str(n.get("id")), text=str(n.get("text") or ""), author=str(n.get("author") or ""),
                             source=str(n.get("source") or ""), at=parse_aware(n.get("date")))
                  for n in _list(doc.get("note")) if isinstance(n, dict) and n.get("id") is not None)
    asked = None
    if state is TicketState.WAITING_FOR_BUYER:
        theirs = [n for n in notes if n.source == "seller"]
        if theirs:
            latest = max(enumerate(theirs), key=lambda t: (t[1].at is not None, t[1].at or datetime.min, t[0]))[1]
            asked = latest.text
            for prefix in _ASKS:
                asked = asked.removeprefix(prefix)
        else:  # no note: the reason of the move to pending says what it waits for, if anything does
            changes = [c for c in _list(doc.get("statusChange")) if isinstance(c, dict)]
            asked = _text(changes[-1].get("changeReason")) if changes else None
            asked = asked or "information (the supplier gave no detail)"
    work_orders = tuple(ExternalRef(provider, w["id"], "workOrder") for w in _list(doc.get("workOrder"))
                        if isinstance(w, dict) and _text(w.get("id")))
    return TicketObservation(
        state=state, raw_state=word, ref=ExternalRef(provider, doc["id"], "troubleTicket"), source=source,
        observed_at=at, as_of=last_change(_list(doc.get("statusChange"))), our_ref=_text(doc.get("externalId")),
        reopened=word == "reopened", information_required=asked,
        expected_resolution=parse_aware(doc.get("expectedResolutionDate")),
        resolved_at=parse_aware(doc.get("resolutionDate")) if state is TicketState.RESOLVED else None,
        notes=notes, work_orders=work_orders,
        reason=None if state is not TicketState.UNRECOGNISED else f"unrecognised ticket status {word!r}",
        evidence=_text(doc.get("href")) or doc["id"])


# ---- MEF 137 work order and appointment ---------------------------------------------------------------------


def work_order_view(doc: Any, *, provider: str, at: datetime) -> WorkOrderView:
    doc = _resource(doc)
    duration = doc.get("duration") if isinstance(doc.get("duration"), dict) else {}
    minutes = None
    if isinstance(duration.get("amount"), int | float):
        factor = {"calendarMinutes": 1, "calendarHours": 60, "businessHours": 60, "calendarDays": 1440}
        minutes = int(duration["amount"] * factor.get(str(duration.get("units")), 1))
    return WorkOrderView(
        ref=ExternalRef(provider, doc["id"], "workOrder"), raw_state=_word(doc.get("state")) or "",
        appointment_required=doc.get("appointmentRequired") is True,
        appointments=tuple(ExternalRef(provider, a["id"], "appointment") for a in _list(doc.get("appointment"))
                           if isinstance(a, dict) and _text(a.get("id"))),
        observed_at=at, duration_minutes=minutes)


def slot_of(raw: Any) -> Slot | None:
    period = raw.get("validFor") if isinstance(raw, dict) else None
    if not isinstance(period, dict):
        return None
    start, end = parse_aware(period.get("startDateTime")), parse_aware(period.get("endDateTime"))
    return Slot(start, end) if start and end and end > start else None


def appointment_answer(doc: Any, *, provider: str, at: datetime) -> AppointmentAnswer:
    doc = _resource(doc)
    slot = slot_of(doc)
    work_order = doc.get("workOrder") if isinstance(doc.get("workOrder"), dict) else {}
    if slot is None or not _text(work_order.get("id")):
        raise UnreadableAnswer("an appointment without its time or work order")
    return AppointmentAnswer(ref=ExternalRef(provider, doc["id"], "appointment"),
                             work_order=ExternalRef(provider, work_order["id"], "workOrder"),
                             raw_state=_word(doc.get("status")) or "", slot=slot, observed_at=at)


def last_change(changes: Iterable[Any]) -> datetime | None:
    """The latest changeDate of stateChange entries (order and item logs together)."""
    dates = [d for c in changes if isinstance(c, dict) and (d := parse_aware(c.get("changeDate"))) is not None]
    return max(dates, default=None)


def _last_reason(changes: list[Any]) -> str | None:
    dated = [(parse_aware(c.get("changeDate")), n, c) for n, c in enumerate(changes) if isinstance(c, dict)]
    for _, _, change in sorted(dated, key=lambda t: (t[0] is not None, t[0] or datetime.min, t[1]), reverse=True):
        return _text(change.get("changeReason"))
    return None


def _termination(item: dict[str, Any]) -> str | None:
    """The supplier's explanation of a refused or failed item (terminationError values, else codes)."""
    texts = [_text(e.get("value")) or _text(e.get("code")) for e in _list(item.get("terminationError"))
             if isinstance(e, dict)]
    joined = "; ".join(t for t in texts if t)
    return joined or None


def _resource(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict) or not _text(doc.get("id")):
        raise UnreadableAnswer("the supplier's document has no id")
    return doc


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _word(value: Any) -> str | None:
    """A state word as sent; a non-string is kept as its text so that it reads as unrecognised."""
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
