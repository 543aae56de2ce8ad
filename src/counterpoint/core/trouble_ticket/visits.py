"""Technician visits a repair needs (MEF 137 work orders), as the ticket timeline sees them.

A ticket whose repair needs someone on site gets a work order linked to it and waits, `pending`, until the
work order's appointment is booked; when the work order becomes `planned` the ticket goes on (R15). Work orders
are another capability's (core/workforce); this module is the one place the ticket timeline meets it, through
the `VisitDesk` port: `bootstrap.Container.visits` gives the implementation, NO_VISITS when there is none.

Without a visit desk the visit is folded into the repair: the Seller notes it and the repair time covers it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.trouble_ticket.model import TroubleTicket

if TYPE_CHECKING:
    from counterpoint.core.ports import UnitOfWork


class VisitDesk(Protocol):
    async def open_for_ticket(self, uow: UnitOfWork, profile: SellerProfile, ticket: TroubleTicket, what: str, *,
                              now: datetime) -> dict[str, Any] | None:
        """Open a work order for the visit (in the caller's transaction); its WorkOrderRef ({"id", "href"}), or
        None when this Seller cannot book visits through MEF 137."""
        ...

    async def planned(self, uow: UnitOfWork, work_order_id: str) -> bool:
        """Whether the work order is `planned` (its appointment booked)."""
        ...


class NoVisits:
    async def open_for_ticket(self, uow: UnitOfWork, profile: SellerProfile, ticket: TroubleTicket, what: str, *,
                              now: datetime) -> dict[str, Any] | None:
        return None

    async def planned(self, uow: UnitOfWork, work_order_id: str) -> bool:
        return False


NO_VISITS: VisitDesk = NoVisits()


async def open_visit(uow: UnitOfWork, visits: VisitDesk, profile: SellerProfile, ticket: TroubleTicket, what: str,
                     *, at: datetime) -> None:
    """The repair needs a technician: a linked work order and pending until its appointment is booked."""
    ref = await visits.open_for_ticket(uow, profile, ticket, what, now=at)
    if ref is None:
        ticket.add_note(f"a technician visit is needed: {what}; it is arranged within the repair time", at=at)
        return
    ticket.link_work_order(ref, at=at)
    ticket.wait_for_appointment(at=at, reason=f"a technician visit is needed ({what}): waiting for the Buyer to "
                                "book the work order's appointment")


async def appointment_booked(uow: UnitOfWork, visits: VisitDesk, ticket: TroubleTicket) -> bool:
    """R15: some work order linked to the ticket is planned."""
    for wid in ticket.work_order_ids:
        if await visits.planned(uow, wid):
            return True
    return False
