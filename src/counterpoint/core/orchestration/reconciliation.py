"""Reconciliation: after new evidence, the composite and the customer's item are brought in step, by the
customer's cancellation under assessment when there is one, else by the segments' states."""

from __future__ import annotations

from datetime import datetime

from counterpoint.core.orchestration.cancellation import assessing, follow_cancellation
from counterpoint.core.orchestration.model import (
    COMPOSITE_TERMINAL,
    CompositeOrder,
)
from counterpoint.core.orchestration.projection import (
    customer_order,
    derive,
)
from counterpoint.core.ports import UnitOfWork
from counterpoint.core.seller.model import SellerProfile


async def reconcile(uow: UnitOfWork, profile: SellerProfile, composite: CompositeOrder, *, now: datetime) -> None:
    """Derive the composite's state from its segments and keep the customer's item in step."""
    if composite.state in COMPOSITE_TERMINAL:
        return
    order = await customer_order(uow, composite)
    if assessing(composite):  # a customer's cancellation, assessed with every provider
        await follow_cancellation(uow, profile, composite, order, now=now)
    else:
        await derive(uow, profile, composite, order, now=now)
    await uow.product_orders.save(order)
