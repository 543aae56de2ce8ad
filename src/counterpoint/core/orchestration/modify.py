"""A modify after activation: a change to a service built from segments, carried to every provider
that holds a segment of it; not decided by our Seller alone.

Modify (a bandwidth upgrade, say)
---------------------------------
A customer's `modify` item on a product we delivered through a composite order becomes a new composite order
(action modify) over the segments of the last composite order for that product that went active (its *base*;
found through the product's order item references in our inventory).

- Selection is skipped: each segment stays with the provider that holds it, and the change names that
  provider's product (`segment.product_ref`). If the provider's capability cannot carry the new bandwidth the
  customer's item fails with the reason: moving a segment elsewhere is a disconnect and a new order, not a
  modify.
- A segment is affected when its request would change: its configuration (segments that carry the customer's
  configuration take the new one; a template with a fixed configuration keeps its own) or its bandwidth. A
  bandwidth change therefore affects every segment, since each one carries the rate.
- An affected segment keeps its id, its version goes up by one (so no idempotency key of the change equals
  one of the add's) and its provider gets a `modify` request with the new configuration, bandwidth and
  requested date. An unaffected segment is carried over as it is (active, no command), so that the end-to-end
  test still covers the whole path.
- Dates flow back as for an add (the promise to the customer follows the segments' dates); the cost basis of
  each segment is refreshed from its provider's list price. When every modified segment is delivered, the
  end-to-end test runs at the new bandwidth, and only when it passes does the customer's item complete (the
  inventory then takes the new configuration).
"""

from __future__ import annotations

import copy
import dataclasses
from datetime import datetime, timedelta
from typing import Any

from counterpoint.core.orchestration.codec import request_from, request_json
from counterpoint.core.orchestration.model import (
    PLACE_ORDER,
    CompositeOrder,
    CompositeState,
    OutboundCommand,
    Segment,
    idempotency_key,
    new_command,
)
from counterpoint.core.orchestration.plan import CompositeOffering
from counterpoint.core.orchestration.registry import Capability
from counterpoint.core.orchestration.supply import (
    SegmentState,
)
from counterpoint.core.ordering.model import ProductOrder
from counterpoint.core.ports import UnitOfWork
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.times import parse_aware


class ChangeRefused(Exception):
    """A change our providers cannot make as asked; the customer's item fails with this reason."""


async def find_base(uow: UnitOfWork, buyer_id: str, product_id: str | None) -> CompositeOrder | None:
    """The last composite order that went active for this product of the buyer's (None if there is none)."""
    if not product_id:
        return None
    product = await uow.products.find(buyer_id, product_id)
    if product is None:
        return None
    for ref in reversed(product.doc.get("productOrderItem") or []):
        for comp in await uow.composites.for_order(ref.get("productOrderId", "")):
            if comp.item_id == ref.get("productOrderItemId") and comp.state is CompositeState.ACTIVE:
                if comp.offering_id is None:  # recorded before composites named their offering
                    comp.offering_id = (product.doc.get("productOffering") or {}).get("id")
                return comp
    return None


def provider_capability(profile: SellerProfile, provider_id: str, offering_id: str) -> Capability | None:
    orch = profile.orchestration
    try:
        caps = orch.provider(provider_id).capabilities if orch else ()
    except KeyError:
        return None
    return next((c for c in caps if c.offering_id == offering_id), None)


def _cost(cap: Capability | None, previous: dict[str, Any]) -> dict[str, Any]:
    if cap is None:
        return dict(previous)
    return {"nrc": str(cap.nrc), "mrc": str(cap.mrc), "currency": cap.currency, "basis": "list price"}


async def start_modify(uow: UnitOfWork, profile: SellerProfile, *, order: ProductOrder, item: dict[str, Any],
                       correlation_id: str, now: datetime, bandwidth_mbps: int | None
                       ) -> tuple[CompositeOrder, list[OutboundCommand]]:
    """A composite order that changes the segments of an active service (nothing is sent here)."""
    product = item.get("product") or {}
    pid = product.get("id")
    base = await find_base(uow, order.buyer_id, pid)
    if base is None:
        raise ChangeRefused(f"product {pid} has no active service built from segments to change")
    orch = profile.orchestration
    offering: CompositeOffering | None = orch.offering(base.offering_id) if orch else None
    fixed = {t.name for t in offering.segments if t.configuration is not None} if offering else set()
    new_config = product.get("productConfiguration")
    mbps = bandwidth_mbps if bandwidth_mbps is not None else base.bandwidth_mbps
    requested = parse_aware(item.get("requestedCompletionDate"))
    composite = CompositeOrder(
        id=new_id(), buyer_id=order.buyer_id, seller_id=order.seller_id, channel=order.channel, created_at=now,
        updated_at=now, order_id=order.id, item_id=item["id"], action="modify", correlation_id=correlation_id,
        bandwidth_mbps=mbps, product_id=pid, offering_id=base.offering_id, due_at=now)
    composite.note(now, "change of an active service", product=pid, base=base.id,
                   bandwidth=f"{base.bandwidth_mbps} -> {mbps} Mb/s" if mbps != base.bandwidth_mbps else None)
    commands: list[OutboundCommand] = []
    for seg in base.segments:
        if seg.state is SegmentState.CANCELLED:  # replaced earlier: its successor is in the list
            continue
        old = request_from(seg.request)
        config = copy.deepcopy(new_config) if new_config is not None and seg.name not in fixed else old.configuration
        if config == old.configuration and mbps == old.bandwidth_mbps:
            carried = Segment.from_json(seg.to_json())
            composite.segments.append(carried)
            composite.note(now, "segment unchanged: carried over", segment=seg.name, provider=seg.provider_id)
            continue
        if seg.product_ref is None:
            raise ChangeRefused(f"segment {seg.name} has no product reference from its provider to change")
        cap = provider_capability(profile, seg.provider_id, old.offering_id)
        if cap is not None and mbps is not None and mbps > cap.max_bandwidth_mbps:
            raise ChangeRefused(f"segment {seg.name} carries at most {cap.max_bandwidth_mbps} Mb/s where it is; "
                                f"{mbps} Mb/s needs another provider (a new order, not a change)")
        version = seg.version + 1
        key = idempotency_key(seg.provider_id, composite.id, seg.id, "modify", version)
        request = dataclasses.replace(
            old, our_ref=key, correlation_id=correlation_id, action="modify", configuration=config,
            bandwidth_mbps=mbps, requested_completion=requested, product_ref=seg.product_ref, quote_ref=None,
            quote_item_id=None, poq_ref=None, poq_item_id=None,
            note=f"change of segment {seg.name} of product {pid} (order {order.id})")
        lead = timedelta(days=cap.lead_time_days) if cap else timedelta(0)
        expected = max(now + lead, requested) if requested else now + lead
        segment = Segment(
            id=seg.id, name=seg.name, provider_id=seg.provider_id, own=seg.own, request=request_json(request),
            state=SegmentState.REQUESTED, version=version, our_ref=key, product_ref=seg.product_ref,
            expected_completion=expected,
            selection={"provider": seg.provider_id, "offering": old.offering_id, "candidates": [], "excluded": {},
                       "reasons": [f"kept: {seg.provider_id} holds the segment (product {seg.product_ref.value})"]},
            cost=_cost(cap, seg.cost))
        composite.segments.append(segment)
        composite.note(now, "segment change planned", segment=seg.name, provider=seg.provider_id,
                       product=seg.product_ref.value, version=version)
        commands.append(new_command(composite, segment, PLACE_ORDER, key, {"request": segment.request}, now))
    return composite, commands
