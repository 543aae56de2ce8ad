"""MEF 123 charges raised on an order item: the charge document, and what its outcome does to the order."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from counterpoint.core.ordering.model import (
    API,
    ITEM_TERMINAL,
    Charge,
    ChargeState,
    ItemState,
    OrderState,
    ProductOrder,
)
from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.times import iso


def _resume_after_hold(order: ProductOrder, item_id: str, at: datetime, charge_id: str) -> None:
    """The charge is settled: the item's remaining steps move on by the time this item was held."""
    held = at - (order.held_since(item_id) or at)
    for step in order.plan:
        if step.item_id == item_id:
            step.at = step.at + held
    done = next((s.at for s in order.plan if s.item_id == item_id and s.kind == "complete"), None)
    if done is not None and held > timedelta(0):
        order.set_expected_completion(item_id, done, at=at,
                                      reason=f"work stopped while charge {charge_id} awaited the Buyer's answer")


def related_items(order: ProductOrder, item_id: str) -> list[str]:
    """The items linked to `item_id` by productOrderItemRelationship, in either direction."""
    found: set[str] = set()
    for item in order.items:
        for rel in item.get("productOrderItemRelationship") or []:
            if item["id"] == item_id and rel.get("id"):
                found.add(rel["id"])
            elif rel.get("id") == item_id:
                found.add(item["id"])
    found.discard(item_id)
    return sorted(found)


def withdraw_if_item_ended(order: ProductOrder, charge: Charge, *, at: datetime) -> bool:
    """A charge still awaiting an answer about an item that has ended is withdrawn; True if it was."""
    if charge.state is not ChargeState.AWAITING_RESPONSE or charge.item_id is None or \
            order.item_state(charge.item_id) not in ITEM_TERMINAL:
        return False
    for item in charge.doc["chargeItem"]:
        if item.get("state") == "awaitingResponse":
            item["state"] = "withdrawnBySeller"
    charge.move_to(ChargeState.WITHDRAWN_BY_SELLER, at=at)
    return True


def settle_charge(order: ProductOrder, charge: Charge, *, accepted: bool, at: datetime,
                  timed_out: bool = False) -> None:
    """Apply the outcome of a charge to its order: the item goes on when accepted and fails otherwise; the
    order leaves held.assessingCharge only once no other item still waits for an answer."""
    item_id = charge.item_id
    if item_id is not None and order.item_state(item_id) is ItemState.HELD:
        if accepted:
            _resume_after_hold(order, item_id, at, charge.id)
            order.move_item(item_id, ItemState.IN_PROGRESS, at=at, reason="charge accepted")
        else:
            why = "was not answered in time" if timed_out else "was declined"
            reason = f"the blocking charge {charge.id} {why}"
            order.fail_item(item_id, reason, at=at)
            for other in related_items(order, item_id):  # items related to a failed one fail with it
                if order.item_state(other) in (ItemState.IN_PROGRESS, ItemState.HELD, ItemState.PENDING):
                    order.fail_item(other, f"related item {item_id} failed: {reason}", at=at)
    still_held = any(ItemState(i["state"]) is ItemState.HELD for i in order.items)
    if order.state is OrderState.HELD_ASSESSING_CHARGE and not still_held:
        order.move_to(OrderState.IN_PROGRESS, at=at, reason="charge settled")


def new_charge(order: ProductOrder, item_id: str, detail: dict[str, Any], *, at: datetime, due: datetime,
               api_base: str) -> Charge:
    cid = new_id()
    price_type = detail.get("priceType", "nonRecurring")
    charge_item: dict[str, Any] = {
        "id": "1", "activityType": "new", "blocking": True, "priceCategory": "expedite", "priceType": price_type,
        "price": {"dutyFreeAmount": {"unit": detail.get("currency", "USD"), "value": float(detail["amount"])}},
        "state": "awaitingResponse",
        "note": [{"id": new_id(), "author": order.seller_id, "date": iso(at), "source": "seller",
                  "text": detail.get("description", "charge")}]}
    if price_type == "recurring":
        charge_item["recurringChargePeriod"] = "month"
    doc = {"id": cid, "href": f"{api_base}/charge/{cid}", "creationDate": iso(at), "responseDueDate": iso(due),
           "state": ChargeState.AWAITING_RESPONSE.value, "chargeItem": [charge_item],
           "productOrderItem": {"productOrderId": order.id, "productOrderItemId": item_id,
                                "productOrderHref": order.doc.get("href")}}
    charge = Charge(id=cid, buyer_id=order.buyer_id, seller_id=order.seller_id, channel=order.channel,
                    created_at=at, updated_at=at, order_id=order.id, item_id=item_id,
                    state=ChargeState.AWAITING_RESPONSE, doc=doc, due_at=due)
    charge.record("chargeCreateEvent", API, at)
    order.item(item_id).setdefault("charge", []).append({"id": cid, "href": doc["href"]})
    return charge
