"""An order on our quote: the supplier quotes behind it are confirmed (or renewed) before the supplier
orders are released, or the customer's item fails with the reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from counterpoint.core.orchestration.codec import ref_json
from counterpoint.core.orchestration.enquiry import (
    Call,
    EnquiryState,
    Purpose,
    SupplyAsk,
    SupplyEnquiry,
)
from counterpoint.core.orchestration.enquiry_opening import matching_ask
from counterpoint.core.orchestration.model import (
    PLACE_ORDER,
    CommandState,
    CompositeOrder,
    CompositeState,
    OutboundCommand,
    idempotency_key,
)
from counterpoint.core.orchestration.supply import (
    QuoteState,
    SegmentState,
)
from counterpoint.core.ordering.model import ItemState, ProductOrder
from counterpoint.core.ports import UnitOfWork
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.times import parse_aware


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
        poq_ask = matching_ask(qualified, seg.name, seg.provider_id)
        if poq_ask is not None and poq_ask.ref is not None and poq_ask.answer.get("state") == "serviceable":
            seg.request["poqRef"], seg.request["poqItemId"] = ref_json(poq_ask.ref), poq_ask.item_id
        ask = matching_ask(quoted, seg.name, seg.provider_id)
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


async def release_or_fail(uow: UnitOfWork, enq: SupplyEnquiry, *, now: datetime) -> None:
    """The confirmation is in: send the withheld supplier orders, or fail the customer's item with the reason."""
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
            order.fail_item(composite.item_id, reason, at=now)
            await uow.product_orders.save(order)
    await uow.composites.save(composite)
