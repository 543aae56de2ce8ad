"""Technician visits a repair needs (MEF 137 work orders), as the ticket timeline sees them.

A ticket whose repair needs someone on site gets a work order linked to it and waits, `pending`, until the
Buyer books the work order's appointment; when the work order becomes `planned` the workforce capability wakes
the ticket (`uow.trouble_tickets.wake`) and the ticket worker lets the repair go on (R15). The repair is resolved
only once the visit's work order completed; when the visit fails or is called off (the work order open again,
or a follow-up work order opened) the ticket waits, pending, for the new appointment. This module is the one
place the ticket timeline meets core/workforce, through the `VisitDesk` port: `WorkforceVisits` opens and reads
real work orders (what `bootstrap.Container.visits` gives); with NO_VISITS the visit is folded into the repair
(the Seller notes it and the repair time covers it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.apis import base_path
from counterpoint.core.trouble_ticket.model import TroubleTicket, parse_time
from counterpoint.core.workforce import services as workforce
from counterpoint.core.workforce.model import WORK_ORDER_TERMINAL, WorkOrderFilter, WorkOrderState, trouble_ticket

if TYPE_CHECKING:
    from counterpoint.core.ports import UnitOfWork


class VisitState(StrEnum):
    """Where a ticket's technician visit stands, read from every work order serving the ticket."""

    NEEDED = "needed"  # a work order waits for the Buyer to book its appointment
    BOOKED = "booked"  # a work order is planned or its technician is at work
    DONE = "done"  # a work order completed and none is left to do
    NONE = "none"  # no work order left to do and none completed (all called off)


@dataclass(frozen=True, slots=True)
class VisitProgress:
    state: VisitState
    ends_at: datetime | None = None  # booked: when the visit should be over; done: when its work order completed
    new_refs: tuple[dict[str, Any], ...] = ()  # work orders serving the ticket it does not list yet (follow-ups)


class VisitDesk(Protocol):
    async def open_for_ticket(self, uow: UnitOfWork, profile: SellerProfile, ticket: TroubleTicket, what: str, *,
                              now: datetime) -> dict[str, Any] | None:
        """Open a work order for the visit (in the caller's transaction); its WorkOrderRef ({"id", "href"}), or
        None when this Seller cannot book visits through MEF 137."""
        ...

    async def progress(self, uow: UnitOfWork, profile: SellerProfile, ticket: TroubleTicket) -> VisitProgress:
        """Where the ticket's visit stands (its work orders, follow-ups included)."""
        ...

    async def call_off(self, uow: UnitOfWork, profile: SellerProfile, ticket: TroubleTicket, reason: str, *,
                       now: datetime) -> None:
        """The ticket ended (cancelled): its work orders still open are cancelled."""
        ...


class NoVisits:
    async def open_for_ticket(self, uow: UnitOfWork, profile: SellerProfile, ticket: TroubleTicket, what: str, *,
                              now: datetime) -> dict[str, Any] | None:
        return None

    async def progress(self, uow: UnitOfWork, profile: SellerProfile, ticket: TroubleTicket) -> VisitProgress:
        return VisitProgress(VisitState.NONE)

    async def call_off(self, uow: UnitOfWork, profile: SellerProfile, ticket: TroubleTicket, reason: str, *,
                       now: datetime) -> None:
        return None


NO_VISITS: VisitDesk = NoVisits()


@dataclass(frozen=True, slots=True)
class _At:
    """The instant the caller's step runs at, as the clock workforce's functions read."""

    at: datetime

    def now(self) -> datetime:
        return self.at


def _ref(ticket: TroubleTicket, work_order_id: str) -> dict[str, Any]:
    """The ticket's WorkOrderRef, its href on the Seller's own base URL as the ticket's href carries it."""
    ref: dict[str, Any] = {"id": work_order_id}
    href = str(ticket.doc.get("href") or "")
    if "/mefApi/" in href:
        ref["href"] = f"{href.split('/mefApi/')[0]}{base_path('workOrder', ticket.channel)}/workorder/{work_order_id}"
    return ref


def _places(places: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Where the product is installed, as the visit's places."""
    return [{**p, "role": "appointmentPlace"} for p in places if isinstance(p, dict)]


class WorkforceVisits:
    """Visits as MEF 137 work orders of this Seller (core/workforce), the Buyer booking their appointments."""

    async def open_for_ticket(self, uow: UnitOfWork, profile: SellerProfile, ticket: TroubleTicket, what: str, *,
                              now: datetime) -> dict[str, Any] | None:
        product = await uow.products.find(ticket.buyer_id, ticket.product_id) if ticket.product_id else None
        places = _places(product.places if product is not None else [])
        if not places:  # nowhere to send a technician that a Buyer could book: folded into the repair
            return None
        wo = await workforce.open_work_order(
            uow, _At(now), profile, buyer_id=ticket.buyer_id, channel=ticket.channel,
            related=[trouble_ticket(ticket.id, href=ticket.doc.get("href"))],
            places=places, correlation_id=ticket.correlation_id,
            appointment_required=True, tasks=[what], note=f"for trouble ticket {ticket.id}: {what}")
        return _ref(ticket, wo.id)

    async def progress(self, uow: UnitOfWork, profile: SellerProfile, ticket: TroubleTicket) -> VisitProgress:
        found, _ = await uow.work_orders.search(ticket.buyer_id, WorkOrderFilter(
            related_type="TroubleTicket", related_id=ticket.id), offset=0, limit=1000)
        orders = {wo.id: wo for wo in found}
        for wid in ticket.work_order_ids:
            if wid not in orders:
                orders[wid] = await uow.work_orders.get_unscoped(wid)
        new_refs = tuple(_ref(ticket, wid) for wid in orders if wid not in ticket.work_order_ids)
        booked = [wo for wo in orders.values() if wo.state in (WorkOrderState.PLANNED, WorkOrderState.IN_PROGRESS)]
        if booked:
            starts = [parse_time(wo.doc.get("plannedExecutionDate")) for wo in booked]
            ends = [s + profile.workforce.visit for s in starts if s is not None]
            return VisitProgress(VisitState.BOOKED, max(ends, default=None), new_refs)
        if any(wo.state is WorkOrderState.OPEN for wo in orders.values()):
            return VisitProgress(VisitState.NEEDED, None, new_refs)
        done = [wo.updated_at for wo in orders.values() if wo.state is WorkOrderState.COMPLETED]
        if done:  # a completed work order's last change is its completion
            return VisitProgress(VisitState.DONE, max(done), new_refs)
        return VisitProgress(VisitState.NONE, None, new_refs)

    async def call_off(self, uow: UnitOfWork, profile: SellerProfile, ticket: TroubleTicket, reason: str, *,
                       now: datetime) -> None:
        for wid in ticket.work_order_ids:
            wo = await uow.work_orders.get_unscoped(wid)
            if wo.state not in WORK_ORDER_TERMINAL:
                await workforce.cancel_work_order(uow, _At(now), profile, wid, reason=reason)


async def open_visit(uow: UnitOfWork, visits: VisitDesk, profile: SellerProfile, ticket: TroubleTicket, what: str,
                     *, at: datetime) -> None:
    """The repair needs a technician: a linked work order and pending until its appointment is booked."""
    ref = await visits.open_for_ticket(uow, profile, ticket, what, now=at)
    if ref is None:
        ticket.add_note(f"a technician visit is needed: {what}; it is arranged within the repair time", at=at)
        return
    ticket.link_work_order(ref, at=at)
    ticket.hold_resolution()
    ticket.wait_for_appointment(at=at, reason=f"a technician visit is needed ({what}): waiting for the Buyer to "
                                "book the work order's appointment")
