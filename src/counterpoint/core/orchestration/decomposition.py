"""Decomposition: one customer item of a composite offering becomes segments and the commands that order them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from counterpoint.core.orchestration.codec import request_json
from counterpoint.core.orchestration.model import (
    PLACE_ORDER,
    CompositeOrder,
    OutboundCommand,
    Segment,
    idempotency_key,
    new_command,
)
from counterpoint.core.orchestration.plan import CompositeOffering, Place, decompose, promised_completion
from counterpoint.core.orchestration.supply import (
    SegmentRequest,
    SegmentState,
)
from counterpoint.core.ordering.model import ProductOrder
from counterpoint.core.quote.pricing import months_of
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.times import parse_aware


def is_composite(profile: SellerProfile, offering_id: str | None) -> CompositeOffering | None:
    orch = profile.orchestration
    return orch.offering(offering_id) if orch is not None and offering_id else None


def item_places(profile: SellerProfile, item: dict[str, Any]) -> list[Place]:
    out: list[Place] = []
    for place in (item.get("product") or {}).get("place") or []:
        kind, pid = place.get("@type"), place.get("id")
        address = None
        if kind == "GeographicSiteRef" and pid and (site := profile.site(pid)):
            address = profile.address(site.address_id)
        elif kind == "GeographicAddressRef" and pid:
            address = profile.address(pid)
        if address is not None:
            fields = {"@type": "FieldedAddress", **address.fields}
            out.append(Place(address.fields.get("country"), address.fields.get("city"), fields))
        elif kind == "FieldedAddress":
            fields = {k: v for k, v in place.items() if k not in ("role", "id", "href")}
            out.append(Place(place.get("country"), place.get("city"), fields))
    return out


def start_composite(profile: SellerProfile, offering: CompositeOffering, *, order: ProductOrder,
                    item: dict[str, Any], correlation_id: str, now: datetime,
                    bandwidth_mbps: int | None) -> tuple[CompositeOrder, list[OutboundCommand]]:
    """Decompose one customer item into segments and the commands that order them (nothing is sent here).

    Raises NoSupplier when some segment has no provider: the caller fails the customer's item with it.
    """
    orch = profile.orchestration
    assert orch is not None
    product = item.get("product") or {}
    plans = decompose(orch, offering, places=item_places(profile, item),
                      configuration=product.get("productConfiguration") or {}, bandwidth_mbps=bandwidth_mbps)
    composite = CompositeOrder(
        id=new_id(), buyer_id=order.buyer_id, seller_id=order.seller_id, channel=order.channel, created_at=now,
        updated_at=now, order_id=order.id, item_id=item["id"], action=item.get("action", "add"),
        correlation_id=correlation_id, bandwidth_mbps=bandwidth_mbps, due_at=now, offering_id=offering.offering_id)
    commands: list[OutboundCommand] = []
    requested = parse_aware(item.get("requestedCompletionDate"))
    term = (item.get("requestedItemTerm") or {}).get("duration") or {}
    term_months = round(months_of(term) or 0) or 12
    for plan in plans:
        seg_id = new_id()
        key = idempotency_key(plan.choice.provider_id, composite.id, seg_id, "add", 1)
        request = SegmentRequest(
            our_ref=key, correlation_id=correlation_id, action="add", offering_id=plan.choice.capability.offering_id,
            spec_urn=plan.spec_urn, configuration=plan.configuration, places=plan.places,
            bandwidth_mbps=bandwidth_mbps, requested_completion=requested, term_months=term_months,
            note=f"segment {plan.name} of order {order.id}")
        segment = Segment(id=seg_id, name=plan.name, provider_id=plan.choice.provider_id, own=plan.own,
                          request=request_json(request), state=SegmentState.REQUESTED, our_ref=key,
                          expected_completion=now + plan.lead_time, selection=plan.choice.to_json(),
                          cost={"nrc": str(plan.choice.capability.nrc), "mrc": str(plan.choice.capability.mrc),
                                "currency": plan.choice.capability.currency, "basis": "list price"})
        composite.segments.append(segment)
        composite.note(now, "segment planned", segment=plan.name, provider=plan.choice.provider_id,
                       why="; ".join(plan.choice.reasons))
        commands.append(new_command(composite, segment, PLACE_ORDER, key, {"request": segment.request}, now))
    composite.expected_completion = promised_completion(now, [s.expected_completion for s in composite.segments],
                                                        offering.test_hours)
    return composite, commands
