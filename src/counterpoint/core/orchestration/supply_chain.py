"""The orchestrator as the Seller's supply chain (core/ports.py `SupplyChain`): what our POQs, quotes and orders
ask of it for items built from segments. Wired in bootstrap.py; the Seller's capabilities never import this
package."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from counterpoint.core.orchestration import cancellation, enquiry_answers, enquiry_opening
from counterpoint.core.orchestration.decomposition import is_composite, start_composite
from counterpoint.core.orchestration.enquiry_confirmation import apply_quoted_supply
from counterpoint.core.orchestration.modify import ChangeRefused, start_modify
from counterpoint.core.orchestration.selection import NoSupplier
from counterpoint.core.ordering.model import OrderTask, ProductOrder
from counterpoint.core.ordering.payload import bandwidth_mbps
from counterpoint.core.ports import CancellationAssessment, SupplyRefused, UnitOfWork
from counterpoint.core.quote.model import Quote
from counterpoint.core.quote.pricing import PricedItem
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.serviceability.model import Poq
from counterpoint.core.serviceability.qualification import ItemAnswer


class Orchestrator:
    """Items of composite offerings: enquiries behind our POQs and quotes, composite orders behind our orders."""

    def composite_items(self, profile: SellerProfile, items: list[dict[str, Any]]) -> set[str]:
        return set(enquiry_opening.has_composite_items(profile, items))

    async def open_for_poq(self, uow: UnitOfWork, profile: SellerProfile, poq: Poq, *, now: datetime) -> None:
        await enquiry_opening.open_for_poq(uow, profile, poq, now=now)

    async def qualification_answers(self, uow: UnitOfWork, poq: Poq, answers: list[ItemAnswer]) -> bool:
        return await enquiry_answers.qualification_answers(uow, poq, answers)

    async def open_for_quote(self, uow: UnitOfWork, profile: SellerProfile, quote: Quote, *,
                             now: datetime) -> None:
        await enquiry_opening.open_for_quote(uow, profile, quote, now=now)

    async def quote_prices(self, uow: UnitOfWork, profile: SellerProfile, quote: Quote, priced: list[PricedItem], *,
                           now: datetime) -> tuple[list[PricedItem], bool, datetime | None]:
        return await enquiry_answers.quote_prices(uow, profile, quote, priced, now=now)

    async def start_item(self, uow: UnitOfWork, profile: SellerProfile, order: ProductOrder, item: dict[str, Any], *,
                         now: datetime) -> datetime | None:
        """Decompose the item (or the change of an active service) and store the composite order and its commands,
        in the transaction of the item's start."""
        product = item.get("product") or {}
        correlation = await uow.product_orders.correlation_of(order.id) or order.id
        mbps = bandwidth_mbps(product.get("productConfiguration"))
        try:
            if item.get("action") == "modify":  # a change to a service built from segments
                composite, commands = await start_modify(uow, profile, order=order, item=item,
                                                         correlation_id=correlation, now=now, bandwidth_mbps=mbps)
            else:
                offering = is_composite(profile, (product.get("productOffering") or {}).get("id"))
                if offering is None:
                    raise SupplyRefused(f"item {item.get('id')} names no offering built from segments")
                composite, commands = start_composite(profile, offering, order=order, item=item,
                                                      correlation_id=correlation, now=now, bandwidth_mbps=mbps)
        except (NoSupplier, ChangeRefused) as exc:
            raise SupplyRefused(str(exc)) from exc
        if item.get("action", "add") == "add":  # the supplier quotes behind the quote it accepts, if any
            await apply_quoted_supply(uow, profile, order, item, composite, commands, now=now)
        await uow.composites.add(composite)
        for command in commands:
            await uow.commands.add(command)
        return composite.expected_completion

    async def assess_cancellation(self, uow: UnitOfWork, profile: SellerProfile, order: ProductOrder,
                                  task: OrderTask, *, now: datetime) -> CancellationAssessment | None:
        return await cancellation.assess_cancellation(uow, profile, order, task, now=now)
