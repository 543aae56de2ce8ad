"""Asking suppliers before we answer: qualifications and quotes of composite items, and quotes checked at order.

A `SupplyEnquiry` follows one item of ours while its supplier segments are asked something:

- `qualify`: one item of a POQ our Buyer sent us, for an offering we build from segments (MEF 87);
- `quote`: one item of a quote our Buyer asked for (MEF 115); its answer is the composite-quote record: the
  suppliers' quote references, the cost basis per segment, the lead-time basis, the expiry, the assumptions
  and our margin;
- `confirm`: a customer order item placed on such a quote, before any segment is ordered: each supplier quote
  is read again (it must still stand) or, if it expired, renewed and judged against the price we committed to.

Each segment is one `SupplyAsk`. Its call is stored, with a deterministic key (our reference at the supplier,
also its idempotency key), before it is made; the calls happen outside any transaction, and their outcomes
are settled in a new one (the outbound command store's discipline, kept inside the enquiry). Our own
segments are answered from the own-network capability at once and never called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from counterpoint.core.orchestration.codec import ref_from, ref_json
from counterpoint.core.orchestration.supply import Price
from counterpoint.core.shared.aggregate import Aggregate
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.core.shared.times import iso, parse_aware


class Purpose(StrEnum):
    QUALIFY = "qualify"  # answers one item of our POQ
    QUOTE = "quote"  # prices one item of our quote
    CONFIRM = "confirm"  # an order item on our quote: the suppliers' quotes still stand, or are renewed


class EnquiryState(StrEnum):
    OPEN = "open"  # some supplier has not answered yet
    ANSWERED = "answered"  # every segment answered; `result` holds our combined answer
    ABANDONED = "abandoned"  # our own resource ended first (deadline, cancellation, rejection)


class Call(StrEnum):
    QUALIFY = "qualify"  # qualify(), then get_qualification() while the supplier is working on it
    QUOTE = "requestQuote"  # request_quote(), then get_quote() while the supplier is working on it
    CHECK = "checkQuote"  # get_quote() of a quote we priced on: does it still stand?


class AskState(StrEnum):
    TO_SEND = "toSend"  # stored; the call goes out when due
    IN_FLIGHT = "inFlight"  # claimed and being made; found so after its grace time it is made again
    UNKNOWN = "unknown"  # made, no answer (timeout): made again with the same key after a grace time
    WAITING = "waiting"  # the supplier holds it and is still working: read again when due
    ANSWERED = "answered"  # a final answer is in `answer`
    FAILED = "failed"  # no answer will come (refused, or asked too many times)


ASK_FINAL = frozenset({AskState.ANSWERED, AskState.FAILED})
MAX_ROUNDS = 3  # a supplier quote or POQ asked for again (lost, expired before use) at most this often


@dataclass(slots=True)
class SupplyAsk:
    """One segment of the item: what we ask its provider, and what it answered."""

    segment: str  # the segment template's name (ours; never the supplier's)
    provider_id: str
    own: bool  # our own network: answered from the capability, never called
    offering_id: str  # the provider's offering
    spec_urn: str | None
    configuration: dict[str, Any]
    places: list[dict[str, Any]]
    listed: dict[str, Any] = field(default_factory=dict)  # the capability: list price and lead time
    call: Call | None = None
    round: int = 1  # bumped when the question is asked anew (new key, new supplier resource)
    state: AskState = AskState.TO_SEND
    key: str = ""  # our reference for this round of the call: the supplier's idempotency key
    ref: ExternalRef | None = None  # the supplier's POQ or quote
    item_id: str | None = None  # its item
    poq_ref: ExternalRef | None = None  # a supplier POQ item this quote request names
    poq_item_id: str | None = None
    answer: dict[str, Any] = field(default_factory=dict)  # the last answer, neutral (see enquiry_asking)
    quoted: dict[str, Any] = field(default_factory=dict)  # CONFIRM: the quote we priced on, as stored then
    seen: list[str] = field(default_factory=list)  # the supplier's state words, in the order we saw them
    attempts: int = 0
    due_at: datetime | None = None
    sent_at: datetime | None = None
    reason: str | None = None  # why it failed, or why it was asked again

    @property
    def final(self) -> bool:
        return self.state in ASK_FINAL

    def see(self, raw_state: str) -> None:
        if raw_state and (not self.seen or self.seen[-1] != raw_state):
            self.seen.append(raw_state[:64])

    def to_json(self) -> dict[str, Any]:
        return {
            "segment": self.segment, "provider": self.provider_id, "own": self.own, "offering": self.offering_id,
            "spec": self.spec_urn, "configuration": self.configuration, "places": self.places,
            "listed": self.listed, "call": self.call.value if self.call else None, "round": self.round,
            "state": self.state.value,
            "key": self.key, "ref": ref_json(self.ref), "itemId": self.item_id, "poqRef": ref_json(self.poq_ref),
            "poqItemId": self.poq_item_id, "answer": self.answer, "quoted": self.quoted, "seen": self.seen,
            "attempts": self.attempts, "dueAt": iso(self.due_at) if self.due_at else None,
            "sentAt": iso(self.sent_at) if self.sent_at else None, "reason": self.reason,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> SupplyAsk:
        return cls(
            segment=raw["segment"], provider_id=raw["provider"], own=raw["own"], offering_id=raw["offering"],
            spec_urn=raw.get("spec"), configuration=raw.get("configuration") or {}, places=raw.get("places") or [],
            listed=raw.get("listed") or {}, call=Call(raw["call"]) if raw.get("call") else None,
            round=raw.get("round", 1),
            state=AskState(raw["state"]), key=raw.get("key", ""), ref=ref_from(raw.get("ref")),
            item_id=raw.get("itemId"), poq_ref=ref_from(raw.get("poqRef")), poq_item_id=raw.get("poqItemId"),
            answer=raw.get("answer") or {}, quoted=raw.get("quoted") or {}, seen=raw.get("seen") or [],
            attempts=raw.get("attempts", 0), due_at=parse_aware(raw.get("dueAt")),
            sent_at=parse_aware(raw.get("sentAt")), reason=raw.get("reason"))


@dataclass(slots=True, kw_only=True)
class SupplyEnquiry(Aggregate):
    """What we asked our suppliers for one of our items, and the answer we built from theirs."""

    purpose: Purpose
    resource_id: str  # our POQ or quote (QUALIFY, QUOTE), or the composite order (CONFIRM)
    item_id: str  # the item of our POQ, quote or customer order
    offering_id: str  # our composite offering
    state: EnquiryState = EnquiryState.OPEN
    asks: list[SupplyAsk] = field(default_factory=list)
    firm: bool = True  # QUOTE: the Buyer asked for a firm quote
    term_months: int | None = None  # QUOTE: the term we offer, asked of the suppliers too
    bandwidth_mbps: int | None = None
    margin_pct: Decimal = Decimal(0)
    test_hours: float = 0.0
    link: dict[str, Any] = field(default_factory=dict)  # e.g. {"poq": id, "poqItem": id} or {"quote": id, ...}
    result: dict[str, Any] = field(default_factory=dict)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    due_at: datetime | None = None

    def ask(self, segment: str) -> SupplyAsk:
        for a in self.asks:
            if a.segment == segment:
                return a
        raise KeyError(segment)

    @property
    def supplier_asks(self) -> list[SupplyAsk]:
        return [a for a in self.asks if not a.own]

    @property
    def complete(self) -> bool:
        return all(a.final for a in self.asks)

    def note(self, at: datetime, what: str, **detail: Any) -> None:
        self.timeline.append({"at": iso(at), "what": what, **{k: v for k, v in detail.items() if v is not None}})

    def next_due(self) -> datetime | None:
        """When the enquiry next has something to do: the earliest due ask, None once settled."""
        if self.state is not EnquiryState.OPEN:
            return None
        dates = [a.due_at for a in self.asks if not a.final and a.due_at is not None]
        return min(dates, default=None)

    def answer_with(self, result: dict[str, Any], *, at: datetime) -> None:
        self.result = {**self.result, **result}
        self.state = EnquiryState.ANSWERED
        self.due_at = None
        self.updated_at = at

    def abandon(self, reason: str, *, at: datetime) -> None:
        self.state = EnquiryState.ABANDONED
        self.note(at, "abandoned", reason=reason)
        self.due_at = None
        self.updated_at = at


def price_json(price: Price | None) -> dict[str, str] | None:
    return {"nrc": str(price.nrc), "mrc": str(price.mrc), "currency": price.currency} if price else None


def price_from(raw: dict[str, Any] | None) -> Price | None:
    if not raw:
        return None
    return Price(nrc=Decimal(str(raw["nrc"])), mrc=Decimal(str(raw["mrc"])), currency=str(raw.get("currency", "")))
