"""The customer's ticket at our Seller, moved by the federation (ports.CustomerTickets) with the Seller-side
functions of core/trouble_ticket/services.py, each move in its own transaction after the federation's committed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from counterpoint.core.orchestration.ticket_model import (
    EXPECTED_RESOLUTION,
    FINISH_CANCELLATION,
    LINK_WORK_ORDER,
    REQUEST_INFORMATION,
    RESOLVE,
    SELLER_NOTE,
    START_WORK,
)
from counterpoint.core.ports import UnitOfWork
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.errors import Invalid
from counterpoint.core.shared.times import parse_aware
from counterpoint.core.trouble_ticket import services as tickets
from counterpoint.core.trouble_ticket.model import ResolutionCode, TicketStatus


class SellerTicketMoves:
    """CustomerTickets over the Seller's own trouble tickets."""

    async def apply(self, uow: UnitOfWork, profile: SellerProfile, *, buyer_id: str, ticket_id: str,
                    move: dict[str, Any], now: datetime) -> None:
        kind, text = move["kind"], str(move.get("text") or "")
        async with uow:
            ticket = await tickets.load_ticket(uow, ticket_id)
            if kind == START_WORK:
                if ticket.status is not TicketStatus.IN_PROGRESS:
                    await tickets.start_work(uow, ticket, now=now, reason=text or None)
                if text:
                    await tickets.add_seller_note(uow, ticket, text, now=now)
            elif kind == REQUEST_INFORMATION:
                await tickets.request_information(uow, ticket, text, now=now)
            elif kind == RESOLVE:
                if ticket.status is not TicketStatus.IN_PROGRESS:
                    await tickets.start_work(uow, ticket, now=now)
                await tickets.resolve(uow, profile, ticket, text, at=now, code=ResolutionCode.SUPPLIER_NETWORK,
                                      root_cause=move.get("rootCause"), supplier_ticket=move.get("supplierTicket"))
            elif kind == SELLER_NOTE:
                await tickets.add_seller_note(uow, ticket, text, now=now)
            elif kind == EXPECTED_RESOLUTION:
                when = parse_aware(move.get("date"))
                if when is not None:
                    await tickets.set_expected_resolution(uow, ticket, when, "Expected resolution updated.", now=now)
            elif kind == LINK_WORK_ORDER:
                await tickets.link_work_order(uow, ticket, dict(move.get("ref") or {}), now=now)
            elif kind == FINISH_CANCELLATION:
                await tickets.finish_cancellation(uow, ticket, now=now)
            else:
                raise Invalid(f"unknown ticket move {kind}")
            await uow.commit()
