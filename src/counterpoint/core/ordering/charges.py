"""MEF 123 charges raised on an order item: the charge document, and what its outcome does to the order."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from counterpoint.core.ordering.model import API, Charge, ChargeState, ItemState, OrderState, ProductOrder
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
            order.fail_item(item_id, f"the blocking charge {charge.id} {why}", at=at)
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
