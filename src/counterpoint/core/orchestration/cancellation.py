"""The customer's cancellation of an order with items being orchestrated, carried to every provider that
holds a segment of the service.

Cancellation
------------
A cancelProductOrder on an order with items being orchestrated is assessed against the providers before the
customer gets an answer (the Seller's cancellation task stays `acknowledged` meanwhile, the order
`assessingCancellation`, the affected items `pending`). The policy is *sequential, stop at the first refusal*:

- segments are asked one at a time, the one furthest along in delivery first (it is the likeliest to refuse),
  suppliers before our own network at the same stage (our own segments are the easiest to order again);
  composite orders of one customer order are assessed one after the other, in the order they were created;
- the next segment is asked only once the previous one accepted (a supplier's "pending" answer is waited
  for); a segment whose order has not reached its provider yet is asked once it has;
- every segment accepts: the customer's cancellation is `done`, the order `pendingCancellation` and its items
  `cancelled`; the order becomes `cancelled` once every provider reports its segment cancelled;
- a provider refuses (its answer, a definitive error, or its order going on with delivery after a pending
  answer): the customer's cancellation is `rejected` with a reason that names the part of the service, not the
  supplier; the order and its items go back to `inProgress`, the composite back to delivery, the refusing
  segment back to where delivery stood. A segment whose cancellation was already accepted before the refusal
  is ordered again from the same provider (a new segment replacing it, version + 1): the sequence keeps those
  cases rare, and the service the customer still has is whole.

Exactly one cancel command goes to a segment per customer cancellation (its key names the cancellation).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from counterpoint.core.orchestration.codec import ref_json, request_from, request_json
from counterpoint.core.orchestration.model import (
    CANCEL_ORDER,
    COMPOSITE_TERMINAL,
    PLACE_ORDER,
    CompositeOrder,
    CompositeState,
    Segment,
    idempotency_key,
    new_command,
)
from counterpoint.core.orchestration.modify import provider_capability
from counterpoint.core.orchestration.projection import (
    derive,
)
from counterpoint.core.orchestration.supply import (
    RANK,
    TERMINAL,
    Observation,
    SegmentState,
    SupplierError,
    SupplierNotFound,
    SupplierRejected,
)
from counterpoint.core.ordering.model import ItemState, OrderTask, ProductOrder, TaskState
from counterpoint.core.ports import UnitOfWork
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.times import iso, parse_aware

WAITING = "waiting"  # not asked yet


REQUESTED = "requested"  # cancel command stored or sent, no answer yet


PENDING = "pending"  # the provider is assessing


ACCEPTED = "accepted"


REFUSED = "refused"


NOT_NEEDED = "notNeeded"  # the segment ended otherwise (rejected, failed, cancelled): nothing to cancel


_SETTLED = (ACCEPTED, NOT_NEEDED)


@dataclass(slots=True)
class SupplyVerdict:
    """What the providers said about a customer's cancellation so far."""

    state: str  # PENDING | ACCEPTED | REFUSED
    composites: list[CompositeOrder] = field(default_factory=list)
    reason: str | None = None

    @property
    def pending(self) -> bool:
        return self.state == PENDING

    @property
    def refused(self) -> bool:
        return self.state == REFUSED

    @property
    def items(self) -> frozenset[str]:
        return frozenset(c.item_id for c in self.composites)

    async def decided(self, uow: UnitOfWork, profile: SellerProfile, order: ProductOrder, *, accepted: bool,
                      now: datetime) -> None:
        await cancellation_decided(uow, profile, order, self, accepted=accepted, now=now)


def assessing(composite: CompositeOrder) -> bool:
    """Whether the composite is held in CANCELLING by a customer's cancellation."""
    return composite.state is CompositeState.CANCELLING and composite.cancellation is not None


async def assess_cancellation(uow: UnitOfWork, profile: SellerProfile, order: ProductOrder, task: OrderTask, *,
                              now: datetime) -> SupplyVerdict | None:
    """Start or follow the assessment of a cancellation with every provider; None when no item is orchestrated.

    Runs in the caller's transaction (the Seller's assessment of the task); the composites it changes are saved.
    """
    involved: list[CompositeOrder] = []
    for comp in await uow.composites.for_order(order.id):
        ours = comp.cancellation is not None and comp.cancellation.get("task") == task.id
        live = comp.state not in COMPOSITE_TERMINAL and comp.state is not CompositeState.CANCELLING and \
            order.item_state(comp.item_id) in (ItemState.IN_PROGRESS, ItemState.HELD, ItemState.PENDING)
        if ours or live:
            involved.append(comp)
    if not involved:
        return None
    reason = task.doc.get("cancellationReason") or task.doc.get("cancellationReasonType") or "customer cancellation"
    for comp in involved:
        if comp.cancellation is None or comp.cancellation.get("task") != task.id:
            _begin(comp, order, task.id, reason, now=now)
            await uow.composites.save(comp)
    verdict = SupplyVerdict(PENDING, involved)
    for comp in involved:
        c = comp.cancellation
        assert c is not None
        if c["outcome"] is None and not c["turn"]:  # the previous ones all accepted: this one's turn
            c["turn"] = True
            await _advance(uow, comp, now=now)
            _decide(comp, now=now)  # settled at once when none of its segments needs cancelling
            await uow.composites.save(comp)
        if c["outcome"] == REFUSED:
            verdict.state, verdict.reason = REFUSED, c["refusal"]["customerReason"]
            return verdict
        if c["outcome"] is None:
            return verdict
    verdict.state = ACCEPTED
    return verdict


def _begin(comp: CompositeOrder, order: ProductOrder, task_id: str, reason: str, *, now: datetime) -> None:
    """Hold the composite while the providers are asked (its customer item is already pending: the Seller's
    ordering pends every open item when the cancellation is requested, and resumes them if it is refused)."""
    asked = [s for s in comp.segments if s.state not in TERMINAL and s.state is not SegmentState.ACTIVE]
    asked.sort(key=lambda s: (-RANK.get(s.state, 0), s.own))
    comp.cancellation = {
        "task": task_id, "reason": reason, "since": iso(now), "turn": False, "outcome": None, "refusal": None,
        "customer": None, "sequence": [s.id for s in asked],
        "segments": {s.id: {"state": WAITING, "before": s.state.value} for s in asked},
    }
    comp.move_to(CompositeState.CANCELLING, at=now, reason="the customer asked to cancel: asking every provider")
    comp.note(now, "cancellation assessment", order=order.id, sequence=", ".join(s.name for s in asked) or "none")


async def cancellation_decided(uow: UnitOfWork, profile: SellerProfile, order: ProductOrder,
                               verdict: SupplyVerdict, *, accepted: bool, now: datetime) -> None:
    """The customer has had the answer: finish the cancellation, or resume delivery (in the caller's transaction).

    The order has already moved (to pendingCancellation, or back to where it was).
    """
    for comp in verdict.composites:
        c = comp.cancellation
        assert c is not None
        c["customer"] = "done" if accepted else "rejected"
        if accepted:
            comp.note(now, "customer's cancellation done: waiting for every provider to finish cancelling")
            await follow_cancellation(uow, profile, comp, order, now=now, siblings=verdict.composites)
        else:
            await _resume(uow, profile, comp, order, now=now)
        await uow.composites.save(comp)


def cancel_answered(composite: CompositeOrder, segment: Segment, outcome: Observation | SupplierError | None, *,
                    now: datetime) -> None:
    """Record a provider's answer to the cancel command of a segment under assessment."""
    c = composite.cancellation
    st = c["segments"].get(segment.id) if c else None
    if st is None or st["state"] != REQUESTED:
        return
    st["answeredAt"] = iso(now)
    if isinstance(outcome, Observation):
        kind = outcome.detail.get("cancellation")
        if kind == "refused":
            st.update(state=REFUSED, reason=outcome.reason or "refused", answered=True)
        elif kind == "accepted" or outcome.state is SegmentState.CANCELLED:
            st["state"] = ACCEPTED
        else:
            st["state"] = PENDING
    elif isinstance(outcome, SupplierRejected) and not isinstance(outcome, SupplierNotFound):
        st.update(state=REFUSED, reason=outcome.reason, answered=True)


async def follow_cancellation(uow: UnitOfWork, profile: SellerProfile, composite: CompositeOrder,
                              order: ProductOrder, *, now: datetime,
                              siblings: list[CompositeOrder] | None = None) -> None:
    """Move an assessment on from what the segments show; end the composite once every provider has cancelled."""
    c = composite.cancellation
    assert c is not None
    if c["customer"] == "rejected":
        return
    _update(composite)
    if c["turn"]:
        await _advance(uow, composite, now=now)
    if c["customer"] is None and _decide(composite, now=now):
        await _wake(uow, c["task"], now=now)
    if c["customer"] != "done":
        return
    if all(composite.segment(sid).state in TERMINAL for sid in c["sequence"]):
        composite.move_to(CompositeState.CANCELLED, at=now, reason="every provider cancelled its segment")
        composite.due_at = None
        if order.item_state(composite.item_id) is ItemState.PENDING:  # items of an older decision path
            order.move_item(composite.item_id, ItemState.CANCELLED, at=now)
        others = siblings if siblings is not None else await uow.composites.for_order(order.id)
        if all(o.id == composite.id or o.state is CompositeState.CANCELLED for o in others
               if o.cancellation is not None and o.cancellation.get("task") == c["task"]):
            order.settle_if_done(at=now)


def _update(composite: CompositeOrder) -> None:
    """Read accepted and withdrawn cancellations off the segments' states."""
    c = composite.cancellation
    assert c is not None
    for sid in c["sequence"]:
        st, seg = c["segments"][sid], composite.segment(sid)
        if st["state"] in (REQUESTED, PENDING) and seg.state is SegmentState.CANCELLED:
            st["state"] = ACCEPTED
        elif st["state"] in (REQUESTED, PENDING) and seg.state in (SegmentState.REJECTED, SegmentState.FAILED):
            st["state"] = NOT_NEEDED
        elif st["state"] == PENDING and seg.state is not SegmentState.CANCELLING and _seen_since_answer(seg, st):
            # the provider went on with delivery: its cancellation was refused or withdrawn
            st.update(state=REFUSED, reason=seg.reason or f"its provider went on with delivery ({seg.state.value})")


def _seen_since_answer(seg: Segment, st: dict[str, Any]) -> bool:
    """Evidence read after the provider's pending answer (a poll that was on its way before says nothing)."""
    answered = parse_aware(st.get("answeredAt"))
    return answered is None or (seg.observed_at is not None and seg.observed_at >= answered)


async def _advance(uow: UnitOfWork, composite: CompositeOrder, *, now: datetime) -> None:
    """Ask the next segment in the sequence, once the one before has accepted."""
    c = composite.cancellation
    assert c is not None
    if c["outcome"] is not None:
        return
    for sid in c["sequence"]:
        st, seg = c["segments"][sid], composite.segment(sid)
        if st["state"] in _SETTLED:
            continue
        if st["state"] != WAITING:
            return  # one at a time: this one has not accepted yet
        if seg.state in TERMINAL:
            st["state"] = NOT_NEEDED
            continue
        if seg.external_ref is None:
            return  # its order has not reached the provider yet: asked once it has
        await _request_cancel(uow, composite, seg, c, now=now)
        st["state"] = REQUESTED
        return


async def _request_cancel(uow: UnitOfWork, composite: CompositeOrder, seg: Segment, c: dict[str, Any], *,
                          now: datetime) -> None:
    assert seg.external_ref is not None
    key = idempotency_key(seg.provider_id, composite.id, seg.id, f"cancel:{c['task']}", seg.version)
    seg.state = SegmentState.CANCELLING
    composite.note(now, "asking to cancel segment", segment=seg.name, provider=seg.provider_id)
    if await uow.commands.by_key(key) is None:
        await uow.commands.add(new_command(composite, seg, CANCEL_ORDER, key,
                                        {"orderRef": ref_json(seg.external_ref), "reason": c["reason"]}, now))


def _decide(composite: CompositeOrder, *, now: datetime) -> bool:
    """Settle the composite's outcome when it is known; True when it was settled now."""
    c = composite.cancellation
    assert c is not None
    if c["outcome"] is not None:
        return False
    for sid in c["sequence"]:
        st = c["segments"][sid]
        if st["state"] == REFUSED:
            seg = composite.segment(sid)
            why = st.get("reason") or "refused"
            c["outcome"] = REFUSED
            c["refusal"] = {"segment": seg.name, "provider": seg.provider_id, "reason": why,
                            "customerReason": f"part of the service ({seg.name}) can no longer be cancelled: {why}"}
            composite.note(now, "cancellation refused", segment=seg.name, provider=seg.provider_id, reason=why)
            return True
    if not c["turn"] or any(c["segments"][sid]["state"] not in _SETTLED for sid in c["sequence"]):
        return False
    c["outcome"] = ACCEPTED
    composite.note(now, "every provider accepted the cancellation")
    return True


async def _wake(uow: UnitOfWork, task_id: str, *, now: datetime) -> None:
    """Have the Seller look at its cancellation task again: the providers have answered."""
    task = await uow.cancel_requests.get_unscoped(task_id)
    if task.state is TaskState.ACKNOWLEDGED:
        task.due_at = now
        await uow.cancel_requests.save(task)


async def _resume(uow: UnitOfWork, profile: SellerProfile, comp: CompositeOrder, order: ProductOrder, *,
                  now: datetime) -> None:
    """The customer keeps the service: delivery goes on, and what was already cancelled is ordered again."""
    c = comp.cancellation
    assert c is not None
    for sid in list(c["sequence"]):
        st, seg = c["segments"][sid], comp.segment(sid)
        if st["state"] == ACCEPTED:
            await _order_again(uow, profile, comp, seg, now=now)
            continue
        before = SegmentState(st["before"])
        if seg.state is SegmentState.CANCELLING or (seg.state not in TERMINAL and (
                RANK.get(before, 0) > RANK.get(seg.state, 0)
                or (st.get("answered") and seg.state is SegmentState.IN_DELIVERY))):
            seg.state = before  # a refused cancellation leaves the segment where delivery stood when asked
    comp.pending_action = None
    refusal = c.get("refusal") or {}
    comp.move_to(CompositeState.IN_DELIVERY, at=now,
                 reason=f"cancellation refused for segment {refusal.get('segment', '?')}: delivery goes on")
    comp.due_at = now
    await derive(uow, profile, comp, order, now=now)


async def _order_again(uow: UnitOfWork, profile: SellerProfile, comp: CompositeOrder, old: Segment, *,
                       now: datetime) -> None:
    """Replace a segment whose cancellation was accepted by a new order from the same provider."""
    req = request_from(old.request)
    seg_id = new_id()
    version = old.version + 1
    key = idempotency_key(old.provider_id, comp.id, seg_id, req.action, version)
    requested = req.requested_completion if req.requested_completion and req.requested_completion > now else None
    request = dataclasses.replace(req, our_ref=key, requested_completion=requested, quote_ref=None,
                                  quote_item_id=None, poq_ref=None, poq_item_id=None)
    cap = provider_capability(profile, old.provider_id, req.offering_id)
    seg = Segment(id=seg_id, name=old.name, provider_id=old.provider_id, own=old.own, request=request_json(request),
                  state=SegmentState.REQUESTED, version=version, our_ref=key,
                  product_ref=old.product_ref if req.action != "add" else None,
                  expected_completion=now + timedelta(days=cap.lead_time_days if cap else 0),
                  selection=old.selection, cost=old.cost)
    old.state = SegmentState.CANCELLED  # its cancellation was accepted: it is gone whatever it reports next
    old.reason = f"cancelled for a customer cancellation that was then refused; ordered again as {seg_id}"
    comp.segments.insert(comp.segments.index(old) + 1, seg)
    comp.note(now, "segment ordered again", segment=old.name, provider=old.provider_id, replaces=old.id)
    await uow.commands.add(new_command(comp, seg, PLACE_ORDER, key, {"request": seg.request}, now))
