"""The emulated Seller's timeline: what its profile plans for each order item, and each planned step.

This is the Seller's behaviour as data (lead times, scenario rules), not the MEF order lifecycle: a step
only calls the order's own moves (model.py), so a real Seller's events could drive the same lifecycle.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from counterpoint.core.inventory.services import apply_order_item
from counterpoint.core.ordering import installation
from counterpoint.core.ordering.charges import new_charge
from counterpoint.core.ordering.model import ItemState, OrderState, ProductOrder, Step, parse_time
from counterpoint.core.ordering.payload import bandwidth_mbps
from counterpoint.core.ports import SupplyChain, SupplyRefused, UnitOfWork
from counterpoint.core.seller.model import SellerProfile


def place_context(profile: SellerProfile, item: dict[str, Any]) -> dict[str, Any]:
    """Where an item is to be delivered, as the scenario rules see it."""
    for place in (item.get("product") or {}).get("place") or []:
        kind, pid = place.get("@type"), place.get("id")
        address_id = None
        if kind == "GeographicSiteRef" and pid and (site := profile.site(pid)):
            address_id = site.address_id
        elif kind == "GeographicAddressRef" and pid:
            address_id = pid
        if address_id and (address := profile.address(address_id)):
            return {"address_id": address.id, "city": address.fields.get("city"),
                    "country": address.fields.get("country")}
        if kind == "FieldedAddress":
            return {"city": place.get("city"), "country": place.get("country")}
    return {}


def scenario_context(profile: SellerProfile, buyer_id: str, order: dict[str, Any],
                     item: dict[str, Any]) -> dict[str, Any]:
    product = item.get("product") or {}
    ctx = {"offering": (product.get("productOffering") or {}).get("id"), "buyer": buyer_id,
           "external_id": order.get("externalId"), **place_context(profile, item)}
    if any(s.match.min_bandwidth_mbps is not None for s in profile.scenarios):  # only scan when a rule asks
        ctx["bandwidth_mbps"] = bandwidth_mbps(product.get("productConfiguration"))
    return ctx


def plan_item(profile: SellerProfile, buyer_id: str, order: dict[str, Any], item: dict[str, Any],
               now: datetime, *, orchestrated: bool = False) -> tuple[list[Step], datetime]:
    """Schedule an item's life from the profile; returns the steps and the committed completion date.

    `orchestrated`: a change to a product built from segments (see orchestrated_changes).
    """
    ctx = scenario_context(profile, buyer_id, order, item)
    rules = profile.scenarios_for(ctx)
    lead = profile.lead_times
    start = now + timedelta(days=lead.order_ack_days)
    iid = item["id"]
    reject = next((r.order_reject_item for r in rules if r.order_reject_item), None)
    if reject:
        return [Step(at=start, item_id=iid, kind="reject", detail={"reason": reject})], start
    offering = profile.offering(ctx["offering"]) if ctx.get("offering") else None
    install = timedelta(days=offering.installation_days if offering else 10)
    orch = profile.orchestration
    if orch is not None and (orchestrated or (
            item.get("action") == "add" and orch.offering(ctx.get("offering")) is not None)):
        # built from segments, ours and our suppliers': the orchestrator decides when it is complete
        return [Step(at=start, item_id=iid, kind="start"), Step(at=start, item_id=iid, kind="orchestrate")], \
            start + install
    if item.get("action") in ("delete", "modify"):  # a change to an installed product: no new installation
        install = timedelta(days=max(1.0, install.days / 4))
    done = start + install
    requested = parse_time(item.get("requestedCompletionDate"))
    if requested and requested > done:
        done = requested
    span = done - start
    steps = [Step(at=start, item_id=iid, kind="start")]
    charge = next((r.order_hold_for_charge for r in rules if r.order_hold_for_charge), None)
    if charge:
        steps.append(Step(at=start, item_id=iid, kind="hold", detail={
            "description": charge.description, "amount": str(charge.amount), "currency": charge.currency,
            "priceType": charge.kind}))
    steps.append(Step(at=start + span * 0.25, item_id=iid, kind="milestone", detail={"name": "siteSurveyComplete"}))
    steps.append(Step(at=start + span * 0.5, item_id=iid, kind="milestone",
                      detail={"name": "installationScheduled"}))
    slip = sum(r.order_delivery_slip_days for r in rules)
    if slip:
        steps.append(Step(at=start + span * 0.6, item_id=iid, kind="slip", detail={"days": slip}))
    fail = next((r.order_fail_item for r in rules if r.order_fail_item), None)
    visit = item.get("action") == "add" and bool((item.get("product") or {}).get("place")) and any(
        r.order_installation_visit for r in rules)
    if visit:  # a technician installs it, in a visit the Buyer books on the work order (MEF 137)
        steps.append(Step(at=start + span * 0.5, item_id=iid, kind="visit"))
    if fail:
        steps.append(Step(at=start + span * 0.75, item_id=iid, kind="fail", detail={"reason": fail}))
    else:
        steps.append(Step(at=done, item_id=iid, kind="complete", detail={"visit": True} if visit else {}))
    return steps, done


async def apply_step(uow: UnitOfWork, profile: SellerProfile, order: ProductOrder, step: Step, now: datetime,
                 api_base: str, supply_chain: SupplyChain) -> None:
    # A step runs at its planned time when the engine is late, but never before what the order last
    # recorded: no history runs backwards (e.g. a step that came due while the order waited).
    at = max(min(step.at, now), order.updated_at)
    iid = step.item_id
    state = order.item_state(iid)
    if step.kind == "start":
        if state is ItemState.ACKNOWLEDGED:
            if order.state is OrderState.ACKNOWLEDGED:
                order.move_to(OrderState.IN_PROGRESS, at=at)
            order.move_item(iid, ItemState.IN_PROGRESS, at=at)
    elif step.kind == "reject" and order.state is OrderState.ACKNOWLEDGED:
        reasons = {iid: step.detail.get("reason", "rejected")}
        for other in order.plan:  # every item found wanting is rejected together
            if other.kind == "reject":
                reasons[other.item_id] = other.detail.get("reason", "rejected")
        order.reject(reasons, at=at)
    elif step.kind == "orchestrate" and state is ItemState.IN_PROGRESS:
        await _orchestrate(uow, supply_chain, profile, order, iid, at)
    elif step.kind == "hold" and state is ItemState.IN_PROGRESS:
        # The charge is the Buyer's to answer from the moment it exists: raised now, never back-dated.
        at = max(now, at)
        due = at + timedelta(days=profile.lead_times.charge_response_days)
        charge = new_charge(order, iid, step.detail, at=at, due=due, api_base=api_base)
        order.move_item(iid, ItemState.HELD, at=at, reason="awaiting the buyer's answer to a charge")
        if order.state is OrderState.IN_PROGRESS:
            order.move_to(OrderState.HELD_ASSESSING_CHARGE, at=at, reason="charge raised")
        await uow.charges.add(charge)
    elif step.kind == "milestone" and state is ItemState.IN_PROGRESS:
        order.reach_milestone(iid, step.detail["name"], at=at)
    elif step.kind == "slip" and state is ItemState.IN_PROGRESS:
        days = timedelta(days=float(step.detail["days"]))
        for later in order.plan:
            if later.item_id == iid:
                later.at = later.at + days
        current = parse_time(order.item(iid).get("expectedCompletionDate")) or at
        order.set_expected_completion(iid, current + days, at=at,
                                      reason=f"the delivery slipped by {float(step.detail['days']):g} days")
    elif step.kind == "fail" and state is ItemState.IN_PROGRESS:
        order.fail_item(iid, step.detail.get("reason", "failed"), at=at)
    elif step.kind == "visit" and state is ItemState.IN_PROGRESS:
        await installation.open_visit(uow, profile, order, iid, at=at)
    elif step.kind == "complete" and state is ItemState.IN_PROGRESS and step.detail.get("visit") and \
            (verdict := await installation.visit_verdict(uow, order, iid)) != "done":
        if verdict == "failed":
            order.fail_item(iid, "the installation visit could not take place (its work order was cancelled)", at=at)
        else:  # the visit is still to come: look again later, and say so when the promised date passes
            step.at = max(now, at) + installation.RECHECK
            order.plan.append(step)
            expected = parse_time(order.item(iid).get("expectedCompletionDate"))
            if expected is not None and step.at > expected:
                order.set_expected_completion(iid, step.at + timedelta(days=1), at=at,
                                              reason="waiting for the technician's installation visit")
    elif step.kind == "complete" and state is ItemState.IN_PROGRESS:
        item = order.item(iid)
        product = item.setdefault("product", {})
        order.reach_milestone(iid, "serviceActivated", at=at)
        pid = await apply_order_item(uow, buyer_id=order.buyer_id, seller_id=order.seller_id,
                                     channel=order.channel, order_id=order.id, order_item=item,
                                     action=item["action"], product_id=product.get("id"), at=at,
                                     external_id=order.doc.get("externalId"))
        product["id"] = pid
        order.move_item(iid, ItemState.COMPLETED, at=at)
        order.settle_if_done(at=at)


async def _orchestrate(uow: UnitOfWork, supply_chain: SupplyChain, profile: SellerProfile, order: ProductOrder,
                       iid: str, at: datetime) -> None:
    """Hand an item built from segments to the supply chain, in the same transaction as its start."""
    try:
        expected = await supply_chain.start_item(uow, profile, order, order.item(iid), now=at)
    except SupplyRefused as exc:
        order.fail_item(iid, str(exc), at=at)
        return
    if expected is not None:
        order.set_expected_completion(iid, expected, at=at, reason="the dates of the segments it is built from")
