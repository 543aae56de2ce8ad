"""The inter-provider order: one customer order item delivered as segments, ours and our suppliers'.

A `CompositeOrder` follows one item of a customer's product order. It owns its segments (each delivered by
us or by one supplier) and decides the customer-facing lifecycle from them: supplier completion is not
customer completion; the service is active only once every segment is delivered and the end-to-end
activation test passed. An `OutboundCommand` is one call we must make to a provider, stored before it is
sent, under a deterministic idempotency key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from counterpoint.core.orchestration.supply import RANK, TERMINAL, SegmentState
from counterpoint.core.shared.aggregate import Aggregate
from counterpoint.core.shared.errors import TransitionNotAllowed
from counterpoint.core.shared.ids import ExternalRef, new_id
from counterpoint.core.shared.times import iso, parse_aware


class CompositeState(StrEnum):
    ORDERING = "ordering"  # segments decided, commands going out
    IN_DELIVERY = "inDelivery"
    PENDING_BUYER_ACTION = "pendingBuyerAction"  # a supplier waits for us; its SLA clock may be stopped
    TESTING = "testing"  # every segment delivered; end-to-end activation test running
    ACTIVE = "active"  # the customer sees the service active
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"
    FAILED = "failed"


C = CompositeState
ALLOWED: dict[CompositeState, frozenset[CompositeState]] = {
    C.ORDERING: frozenset({C.IN_DELIVERY, C.PENDING_BUYER_ACTION, C.TESTING, C.CANCELLING, C.FAILED}),
    C.IN_DELIVERY: frozenset({C.PENDING_BUYER_ACTION, C.TESTING, C.CANCELLING, C.FAILED}),
    C.PENDING_BUYER_ACTION: frozenset({C.IN_DELIVERY, C.TESTING, C.CANCELLING, C.FAILED}),
    C.TESTING: frozenset({C.ACTIVE, C.IN_DELIVERY, C.FAILED, C.CANCELLING}),
    # a refused cancellation sends the order back to delivery: it is acted on, not ignored
    C.CANCELLING: frozenset({C.CANCELLED, C.IN_DELIVERY, C.PENDING_BUYER_ACTION, C.TESTING, C.ACTIVE, C.FAILED}),
    C.ACTIVE: frozenset({C.CANCELLING}),
    C.CANCELLED: frozenset(),
    C.FAILED: frozenset(),
}
COMPOSITE_TERMINAL = frozenset({C.ACTIVE, C.CANCELLED, C.FAILED})

PLACE_ORDER = "placeOrder"  # the actions of an outbound command
CANCEL_ORDER = "cancelOrder"


def idempotency_key(supplier: str, composite_id: str, segment_id: str, action: str, version: int) -> str:
    """The same command always gets the same key, so a resend can be recognised by the supplier and by us."""
    digest = hashlib.sha256(f"{supplier}|{composite_id}|{segment_id}|{action}|{version}".encode()).hexdigest()
    return f"cp-{digest[:32]}"


@dataclass(slots=True)
class Segment:
    """One part of the customer's service, delivered by one provider (ours or a supplier)."""

    id: str
    name: str
    provider_id: str
    own: bool  # delivered by our own network (Legato/Presto) rather than bought
    request: dict[str, Any]  # the SegmentRequest we send, as JSON (see orchestration.codec)
    state: SegmentState = SegmentState.PLANNED
    version: int = 1  # bumped by each change we order (modify), part of the idempotency key
    our_ref: str | None = None
    external_ref: ExternalRef | None = None
    product_ref: ExternalRef | None = None
    state_as_of: datetime | None = None  # the supplier's time of the state we hold, if it gave one
    observed_at: datetime | None = None  # when we last saw fresh evidence
    raw_state: str | None = None
    expected_completion: datetime | None = None
    required_action: str | None = None
    reason: str | None = None
    selection: dict[str, Any] = field(default_factory=dict)  # why this provider (selection.Choice as JSON)
    cost: dict[str, Any] = field(default_factory=dict)  # cost basis when known (nrc, mrc, currency, quote)

    @property
    def done(self) -> bool:
        return self.state in TERMINAL

    def to_json(self) -> dict[str, Any]:
        ref = self.external_ref
        prod = self.product_ref
        return {
            "id": self.id, "name": self.name, "provider": self.provider_id, "own": self.own,
            "request": self.request, "state": self.state.value, "version": self.version, "ourRef": self.our_ref,
            "externalRef": {"provider": ref.provider, "kind": ref.kind, "id": ref.value} if ref else None,
            "productRef": {"provider": prod.provider, "kind": prod.kind, "id": prod.value} if prod else None,
            "stateAsOf": iso(self.state_as_of) if self.state_as_of else None,
            "observedAt": iso(self.observed_at) if self.observed_at else None,
            "rawState": self.raw_state,
            "expectedCompletion": iso(self.expected_completion) if self.expected_completion else None,
            "requiredAction": self.required_action, "reason": self.reason,
            "selection": self.selection, "cost": self.cost,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Segment:
        def ref(r: dict[str, Any] | None) -> ExternalRef | None:
            return ExternalRef(r["provider"], r["id"], r.get("kind", "productOrder")) if r else None

        return cls(
            id=raw["id"], name=raw["name"], provider_id=raw["provider"], own=raw["own"], request=raw["request"],
            state=SegmentState(raw["state"]), version=raw.get("version", 1), our_ref=raw.get("ourRef"),
            external_ref=ref(raw.get("externalRef")), product_ref=ref(raw.get("productRef")),
            state_as_of=parse_aware(raw.get("stateAsOf")), observed_at=parse_aware(raw.get("observedAt")),
            raw_state=raw.get("rawState"), expected_completion=parse_aware(raw.get("expectedCompletion")),
            required_action=raw.get("requiredAction"), reason=raw.get("reason"),
            selection=raw.get("selection") or {}, cost=raw.get("cost") or {},
        )


@dataclass(slots=True, kw_only=True)
class CompositeOrder(Aggregate):
    """Follows one customer order item (`order_id`/`item_id` at our Seller) across every provider."""

    order_id: str
    item_id: str
    action: str  # add | modify | delete, as the customer's item asked
    state: CompositeState = CompositeState.ORDERING
    segments: list[Segment] = field(default_factory=list)
    bandwidth_mbps: int | None = None
    expected_completion: datetime | None = None  # what we promised the customer, kept current
    pending_action: dict[str, Any] | None = None  # {"segment", "action", "since", "slaImpact"}
    test: dict[str, Any] | None = None  # the last activation test report
    product_id: str | None = None  # the customer's product in our inventory, for modify/delete/cancel
    offering_id: str | None = None  # our composite offering it delivers (a modify item may not name it)
    cancellation: dict[str, Any] | None = None  # the customer's cancellation being assessed (see cancellation.py)
    timeline: list[dict[str, Any]] = field(default_factory=list)  # our own record, shown in views
    due_at: datetime | None = None  # when the orchestrator should look at it again

    def segment(self, segment_id: str) -> Segment:
        for seg in self.segments:
            if seg.id == segment_id:
                return seg
        raise KeyError(segment_id)

    def note(self, at: datetime, what: str, **detail: Any) -> None:
        self.timeline.append({"at": iso(at), "what": what, **{k: v for k, v in detail.items() if v is not None}})

    def move_to(self, target: CompositeState, *, at: datetime, reason: str | None = None) -> None:
        if target is self.state:
            return
        if target not in ALLOWED[self.state]:
            raise TransitionNotAllowed(f"composite order {self.id}: {self.state.value} -> {target.value}")
        self.note(at, "state", **{"from": self.state.value, "to": target.value, "reason": reason})
        self.state = target
        self.updated_at = at

    @property
    def all_delivered(self) -> bool:
        live = [s for s in self.segments if s.state not in (SegmentState.CANCELLED,)]
        return bool(live) and all(RANK.get(s.state, 0) >= RANK[SegmentState.DELIVERED]
                                  and s.state not in TERMINAL for s in live)


class CommandState(StrEnum):
    PENDING = "pending"  # stored, to be sent
    IN_FLIGHT = "inFlight"  # being sent now; found like this after a crash it is read as UNKNOWN
    UNKNOWN = "unknown"  # sent, outcome unknown: recovery looks the supplier's record up by our reference
    SUCCEEDED = "succeeded"
    REJECTED = "rejected"  # the supplier definitively refused


@dataclass(slots=True, kw_only=True)
class OutboundCommand(Aggregate):
    """One call to a provider. Stored before it is sent; its key never changes; it is settled exactly once."""

    provider_id: str
    composite_id: str
    segment_id: str
    action: str  # placeOrder | cancelOrder | pollOrder ...
    idempotency_key: str
    payload: dict[str, Any]
    state: CommandState = CommandState.PENDING
    attempts: int = 0
    due_at: datetime | None = None
    sent_at: datetime | None = None
    result: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    def move_to(self, target: CommandState, *, at: datetime, note: str | None = None) -> None:
        if self.state in (CommandState.SUCCEEDED, CommandState.REJECTED):
            raise TransitionNotAllowed(f"command {self.id} is settled ({self.state.value})")
        self.history.append({"at": iso(at), "from": self.state.value, "to": target.value,
                             **({"note": note[:500]} if note else {})})
        self.state = target
        self.updated_at = at


def new_command(composite: CompositeOrder, segment: Segment, action: str, key: str, payload: dict[str, Any],
                now: datetime) -> OutboundCommand:
    return OutboundCommand(
        id=new_id(), buyer_id=composite.buyer_id, seller_id=composite.seller_id, channel=composite.channel,
        created_at=now, updated_at=now, provider_id=segment.provider_id, composite_id=composite.id,
        segment_id=segment.id, action=action, idempotency_key=key, payload=payload,
        correlation_id=composite.correlation_id, due_at=now)
