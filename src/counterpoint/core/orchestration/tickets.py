"""The orchestrator as the Seller's ticket desk (core/ports.py `TicketDesk`): a customer's ticket about a service
we build from segments is taken here and followed as a `FederatedTicket`. Wired in bootstrap.py.

Both calls run in the Seller's transaction and send nothing: they store the federated ticket, its commands and
the moves of the customer's ticket to make; the orchestration worker does the rest (ticket_escalation.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from counterpoint.core.orchestration.model import CompositeOrder, CompositeState
from counterpoint.core.orchestration.ports import CustomerTicket
from counterpoint.core.orchestration.ticket_escalation import store_command
from counterpoint.core.orchestration.ticket_model import (
    ADD_TICKET_NOTE,
    CANCEL_TICKET,
    CLOSE_TICKET,
    FINISH_CANCELLATION,
    FederatedTicket,
)
from counterpoint.core.orchestration.ticket_supply import TICKET_TERMINAL, TicketState
from counterpoint.core.ports import UnitOfWork
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.errors import NotFound
from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.times import iso, parse_aware

PATCHED = "patched"  # the changes the Seller's ticket capability reports (TicketDesk.ticket_changed)
CLOSED = "closed"
REOPENED = "reopened"
CANCEL_REQUESTED = "cancelRequested"


def affected_product(doc: dict[str, Any]) -> str | None:
    """The customer's product a MEF 124 ticket is about (its relatedEntity of type Product, the default)."""
    for entity in doc.get("relatedEntity") or []:
        if isinstance(entity, dict) and entity.get("@referredType", "Product") == "Product" \
                and isinstance(entity.get("id"), str):
            return str(entity["id"])
    return None


async def service_of(uow: UnitOfWork, product_id: str) -> CompositeOrder | None:
    """The composite order that built the customer's product (the latest active one), or None if not ours."""
    try:
        product = await uow.products.get_unscoped(product_id)
    except NotFound:
        return None
    found: list[CompositeOrder] = []
    for ref in product.doc.get("productOrderItem") or []:
        order_id = ref.get("productOrderId") if isinstance(ref, dict) else None
        if not order_id:
            continue
        for composite in await uow.composites.for_order(order_id):
            if composite.product_id == product_id and composite.state is CompositeState.ACTIVE:
                found.append(composite)
    return max(found, key=lambda c: c.updated_at) if found else None


def _reported(doc: dict[str, Any]) -> dict[str, Any]:
    keep = ("description", "severity", "priority", "observedImpact", "ticketType", "issueStartDate",
            "externalId", "siteAccessHours")
    return {k: doc[k] for k in keep if doc.get(k) is not None}


class TicketFederation:
    """Customer tickets about services built from segments: diagnosed, escalated, validated across providers."""

    async def take_ticket(self, uow: UnitOfWork, profile: SellerProfile, ticket: CustomerTicket, *,
                          now: datetime) -> bool:
        """True when the ticket's product is built from segments: we follow it (diagnosis comes next, outside
        this transaction); False leaves the ticket to the Seller's own handling."""
        if await uow.federated_tickets.for_ticket(ticket.id) is not None:
            return True  # taken already (a retried request)
        product_id = affected_product(ticket.doc)
        if product_id is None or profile.orchestration is None:
            return False
        composite = await service_of(uow, product_id)
        if composite is None:
            return False
        start = parse_aware(ticket.doc.get("issueStartDate")) or parse_aware(ticket.doc.get("creationDate")) or now
        ft = FederatedTicket(
            id=new_id(), buyer_id=ticket.buyer_id, seller_id=ticket.seller_id, channel=ticket.channel,
            created_at=now, updated_at=now, correlation_id=ticket.correlation_id or composite.correlation_id,
            ticket_id=ticket.id, product_id=product_id, composite_id=composite.id, reported=_reported(ticket.doc),
            segments=[{"id": s.id, "name": s.name, "provider": s.provider_id, "own": s.own, "state": s.state.value,
                       "productRef": s.product_ref.value if s.product_ref else None} for s in composite.segments],
            fault_started_at=min(start, now), due_at=now)
        ft.note(now, "ticket taken", ticket=ticket.id, product=product_id, composite=composite.id)
        await uow.federated_tickets.add(ft)
        return True

    async def ticket_changed(self, uow: UnitOfWork, profile: SellerProfile, ticket: CustomerTicket, *, change: str,
                             now: datetime) -> None:
        """The customer patched, closed, reopened or asked to cancel a ticket we follow."""
        ft = await uow.federated_tickets.for_ticket(ticket.id)
        if ft is None or ft.state in TICKET_TERMINAL:
            return
        if change == PATCHED:
            await self._forward_notes(uow, ft, ticket, now=now)
        elif change == CLOSED:
            ft.move_to(TicketState.CLOSED, at=now, reason="the customer closed its ticket")
            for esc in ft.open_escalations:
                if esc.external_ref is None and not esc.closing:
                    continue
                if esc.state is TicketState.RESOLVED and not esc.closing:
                    esc.closing = True
                    await store_command(uow, ft, esc, CLOSE_TICKET, f"round{esc.reopen_count}", {}, now)
                elif not esc.closing:
                    esc.closing = True
                    await store_command(uow, ft, esc, CANCEL_TICKET, "customer closed", {}, now)
            ft.due_at = now
        elif change == REOPENED:
            # the customer still sees the fault after we resolved: diagnose again and escalate anew
            if ft.state is TicketState.RESOLVED:
                ft.move_to(TicketState.INVESTIGATING, at=now, reason="the customer reopened its ticket")
            ft.validated_at = None
            ft.suspect = None
            ft.note(now, "reopened by the customer: diagnosing again")
            ft.due_at = now
        elif change == CANCEL_REQUESTED:
            ft.move_to(TicketState.CANCELLING, at=now, reason="the customer asked to cancel")
            for esc in ft.open_escalations:
                esc.closing = True
                action = CLOSE_TICKET if esc.state is TicketState.RESOLVED else CANCEL_TICKET
                await store_command(uow, ft, esc, action, "customer cancelled", {}, now)
            if not ft.open_escalations:
                ft.move_to(TicketState.CANCELLED, at=now, reason="no supplier ticket to withdraw")
                ft.tell_customer(FINISH_CANCELLATION, now)
            ft.due_at = now
        await uow.federated_tickets.save(ft)

    async def _forward_notes(self, uow: UnitOfWork, ft: FederatedTicket, ticket: CustomerTicket, *,
                             now: datetime) -> None:
        """The customer's new notes answer the question we passed on: forwarded to the supplier that asked."""
        notes = [n for n in ticket.doc.get("note") or [] if isinstance(n, dict) and n.get("source") == "buyer"
                 and isinstance(n.get("id"), str) and n["id"] not in ft.forwarded_notes]
        if not notes:
            return
        pending = ft.pending_question
        target = next((e for e in ft.open_escalations if pending and e.id == pending["escalation"]), None)
        target = target or next(iter(ft.open_escalations), None)
        for note in notes:
            ft.forwarded_notes.append(note["id"])
            if target is None:
                continue
            note_id = f"{target.our_ref[:24]}-c{len(ft.forwarded_notes)}"
            await store_command(uow, ft, target, ADD_TICKET_NOTE, note_id,
                                {"noteId": note_id, "text": str(note.get("text") or "")[:2000]}, now)
        if pending and target is not None:
            for q in target.questions:
                if q["text"] == pending["text"] and "answeredAt" not in q:
                    q["answeredAt"] = iso(now)
            ft.pending_question = None
            if ft.state is TicketState.WAITING_FOR_BUYER:
                ft.move_to(TicketState.INVESTIGATING, at=now, reason="the customer answered")
            ft.note(now, "customer's answer forwarded", provider=target.provider_id)
        ft.due_at = now
