"""Order items a technician installs (profile scenario `installationVisit`): the visit is an MEF 137 work order.

When the item's installation is due to be scheduled, the Seller opens a work order for it (related to the order
and the item, at the item's places) that needs an appointment; the item completes only once a work order of its
has completed. A visit that cannot finish is continued by the follow-up work order core/workforce opens, so the
item waits for that one; if every work order of the item ended without completing (cancelled), the item fails.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from counterpoint.core.ordering.model import ProductOrder
from counterpoint.core.ports import UnitOfWork
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.clock import ManualClock
from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.times import iso
from counterpoint.core.workforce import services as workforce
from counterpoint.core.workforce.model import (
    WORK_ORDER_TERMINAL,
    WorkOrder,
    WorkOrderFilter,
    WorkOrderState,
    order_item,
)

RECHECK = timedelta(hours=6)  # how often a completion waiting for its visit looks again


def related_id(order: ProductOrder, item_id: str) -> str:
    return order_item(order.id, item_id)[1].id


async def open_visit(uow: UnitOfWork, profile: SellerProfile, order: ProductOrder, item_id: str, *,
                     at: datetime) -> WorkOrder:
    """Open the item's installation work order in the order's transaction, and tell the Buyer on the item."""
    item = order.item(item_id)
    places = [dict(p) for p in (item.get("product") or {}).get("place") or []]
    wo = await workforce.open_work_order(
        uow, ManualClock(at), profile, buyer_id=order.buyer_id, channel=order.channel,
        related=order_item(order.id, item_id), places=places, correlation_id=order.correlation_id,
        appointment_required=True, tasks=[f"Install the product of order {order.id} item {item_id}"])
    item.setdefault("note", []).append({
        "id": new_id(), "author": order.seller_id, "date": iso(at), "source": "seller",
        "text": f"a technician installs this item: please book an appointment for work order {wo.id} "
                "(MEF 137 searchTimeSlot, then appointment)"})
    return wo


async def visit_verdict(uow: UnitOfWork, order: ProductOrder, item_id: str) -> str:
    """"done" when a work order of the item completed, "failed" when all of them ended otherwise, else "waiting"."""
    found, _ = await uow.work_orders.search(order.buyer_id, WorkOrderFilter(
        related_type="ProductOrderItem", related_id=related_id(order, item_id)), offset=0, limit=100)
    if any(w.state is WorkOrderState.COMPLETED for w in found):
        return "done"
    if found and all(w.state in WORK_ORDER_TERMINAL for w in found):
        return "failed"
    return "waiting"
