"""The customer item's projection: the composite's state derived from its segments, and the customer's
order item kept in step with it (promised date, milestones, completion, failure)."""

from __future__ import annotations

from datetime import datetime

from counterpoint.core.inventory.services import apply_order_item
from counterpoint.core.orchestration.codec import ref_json
from counterpoint.core.orchestration.model import (
    CANCEL_ORDER,
    CompositeOrder,
    CompositeState,
    Segment,
    idempotency_key,
    new_command,
)
from counterpoint.core.orchestration.plan import promised_completion
from counterpoint.core.orchestration.supply import (
    TERMINAL,
    SegmentState,
)
from counterpoint.core.ordering.model import ItemState, OrderState, ProductOrder
from counterpoint.core.ports import UnitOfWork
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.errors import NotFound
from counterpoint.core.shared.times import iso


async def customer_order(uow: UnitOfWork, composite: CompositeOrder) -> ProductOrder:
    return await uow.product_orders.get_unscoped(composite.order_id)


async def derive(uow: UnitOfWork, profile: SellerProfile, composite: CompositeOrder, order: ProductOrder, *,
                  now: datetime) -> None:
    item_state = order.item_state(composite.item_id)
    segs = composite.segments
    if composite.state is CompositeState.CANCELLING:
        if all(s.state is SegmentState.CANCELLED or s.state in TERMINAL or s.state is SegmentState.PLANNED
               for s in segs):
            composite.move_to(CompositeState.CANCELLED, at=now, reason="every segment cancelled")
            composite.due_at = None
        return
    broken = next((s for s in segs if s.state in (SegmentState.REJECTED, SegmentState.FAILED)), None)
    if broken is not None:
        reason = f"segment {broken.name} ({broken.provider_id}) {broken.state.value}: {broken.reason or 'no reason'}"
        composite.move_to(CompositeState.FAILED, at=now, reason=reason)
        composite.due_at = None
        await fail_item(uow, order, composite, reason, now=now)
        await cancel_others(uow, composite, broken, now=now)
        return
    waiting = next((s for s in segs if s.state is SegmentState.AWAITING_BUYER), None)
    if waiting is not None:
        if composite.state is not CompositeState.PENDING_BUYER_ACTION:
            composite.pending_action = {"segment": waiting.name, "provider": waiting.provider_id,
                                        "action": waiting.required_action or "unspecified", "since": iso(now),
                                        "slaImpact": "the supplier's delivery clock may stop until we act"}
            composite.move_to(CompositeState.PENDING_BUYER_ACTION, at=now, reason=waiting.required_action)
    elif composite.all_delivered:
        if composite.state is not CompositeState.TESTING:
            composite.pending_action = None
            composite.move_to(CompositeState.TESTING, at=now, reason="every segment delivered")
            composite.due_at = now
            if item_state is ItemState.IN_PROGRESS:
                order.reach_milestone(composite.item_id, "allSegmentsDelivered", at=now)
    elif composite.state in (CompositeState.ORDERING, CompositeState.PENDING_BUYER_ACTION) and all(
            s.external_ref is not None for s in segs):
        composite.pending_action = None
        composite.move_to(CompositeState.IN_DELIVERY, at=now)
    # what we promise the customer follows the segments' dates
    orch = profile.orchestration
    comp_offering = orch.offering(_offering_of(order, composite)) if orch else None
    test_hours = comp_offering.test_hours if comp_offering else 0.0
    promise = promised_completion(now, [s.expected_completion for s in segs], test_hours)
    if composite.expected_completion is None or abs((promise - composite.expected_completion).total_seconds()) >= 1:
        composite.note(now, "promise to the customer moved",
                       **{"from": iso(composite.expected_completion) if composite.expected_completion else None,
                          "to": iso(promise)})
        composite.expected_completion = promise
        if item_state in (ItemState.IN_PROGRESS, ItemState.ACKNOWLEDGED, ItemState.HELD, ItemState.PENDING):
            order.set_expected_completion(composite.item_id, promise, at=now,
                                          reason="the providers' dates for its segments moved")


def _offering_of(order: ProductOrder, composite: CompositeOrder) -> str | None:
    product = order.item(composite.item_id).get("product") or {}
    return composite.offering_id or (product.get("productOffering") or {}).get("id")


async def fail_item(uow: UnitOfWork, order: ProductOrder, composite: CompositeOrder, reason: str, *,
                     now: datetime) -> None:
    iid = composite.item_id
    if order.item_state(iid) is ItemState.IN_PROGRESS or _paused_for_a_date_change(order, iid):
        order.fail_item(iid, reason, at=now)


def _paused_for_a_date_change(order: ProductOrder, iid: str) -> bool:
    """Whether the item is pending only because a change of its delivery date is being assessed (Table 9): its
    delivery still ends as the segments say, and the decision on the date then finds it ended."""
    return order.item_state(iid) is ItemState.PENDING and order.state is OrderState.PENDING_ASSESSING_MODIFICATION


async def cancel_others(uow: UnitOfWork, composite: CompositeOrder, broken: Segment, *, now: datetime) -> None:
    """A failed service is not left half-built: segments already ordered elsewhere are cancelled."""
    for seg in composite.segments:
        if seg is not broken:
            await cancel_segment(uow, composite, seg, f"segment {broken.name} failed", now=now)


async def cancel_segment(uow: UnitOfWork, composite: CompositeOrder, seg: Segment, reason: str, *,
                          now: datetime) -> None:
    """Queue the cancellation of one ordered segment (once: the key is deterministic)."""
    if seg.state in TERMINAL or seg.external_ref is None:
        return
    key = idempotency_key(seg.provider_id, composite.id, seg.id, "cancel", seg.version)
    if await uow.commands.by_key(key) is not None:
        return
    seg.state = SegmentState.CANCELLING
    composite.note(now, "cancelling segment", segment=seg.name, provider=seg.provider_id, reason=reason)
    await uow.commands.add(new_command(composite, seg, CANCEL_ORDER, key,
                                    {"orderRef": ref_json(seg.external_ref), "reason": reason}, now))


async def cancellation_refused(uow: UnitOfWork, composite: CompositeOrder, segment: Segment, reason: str | None,
                                *, now: datetime) -> None:
    """A refused cancellation is acted on: the segment is back in delivery and the customer is told."""
    if segment.state is SegmentState.CANCELLING:
        segment.state = SegmentState.IN_DELIVERY if segment.external_ref else SegmentState.REQUESTED
    segment.reason = reason
    composite.pending_action = {"segment": segment.name, "provider": segment.provider_id,
                                "action": "cancellationRefused", "reason": reason, "since": iso(now),
                                "slaImpact": "we keep paying for the segment until it can be terminated"}


async def complete_item(uow: UnitOfWork, order: ProductOrder, composite: CompositeOrder, *, now: datetime) -> None:
    iid = composite.item_id
    if _paused_for_a_date_change(order, iid):
        order.move_item(iid, ItemState.IN_PROGRESS, at=now, reason="delivered while its date change was assessed")
    if order.item_state(iid) is not ItemState.IN_PROGRESS:
        return
    item = order.item(iid)
    product = item.setdefault("product", {})
    order.reach_milestone(iid, "serviceActivated", at=now)
    pid = await apply_order_item(uow, buyer_id=order.buyer_id, seller_id=order.seller_id, channel=order.channel,
                                 order_id=order.id, order_item=item, action=item["action"],
                                 product_id=product.get("id"), at=now, external_id=order.doc.get("externalId"))
    product["id"] = pid
    composite.product_id = pid
    order.move_item(iid, ItemState.COMPLETED, at=now)
    order.settle_if_done(at=now)


async def get_composites(uow: UnitOfWork, order_id: str) -> list[CompositeOrder]:
    async with uow:
        found = await uow.composites.for_order(order_id)
    if not found:
        raise NotFound(f"no orchestration for order {order_id}")
    return found
