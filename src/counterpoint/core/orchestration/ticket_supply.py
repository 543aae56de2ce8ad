"""Trouble tickets with suppliers, in our own words (the anti-corruption layer's inside, for assurance).

A supplier's ticket state is evidence, like its order state: each adapter maps its partner's words (MEF 124
statuses, or a proprietary partner's) to `TicketState` and reports `TicketObservation`s; only
`ticket_model.judge_ticket` decides what they change. Nothing here knows HTTP, MEF JSON or any provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from counterpoint.core.orchestration.supply import Source
from counterpoint.core.shared.ids import ExternalRef


class TicketState(StrEnum):
    """Our normalised view of a ticket: the customer's with us, and each one we hold with a supplier."""

    OPEN = "open"  # reported; nobody works on it yet (ours: being diagnosed)
    INVESTIGATING = "investigating"
    WAITING_FOR_BUYER = "waitingForBuyer"  # the one who holds the ticket waits for the one who reported it
    RESOLVED = "resolvedPendingValidation"  # repaired, says the holder; not closed until the reporter's test
    CANCELLING = "cancelling"  # a cancellation is being assessed
    CLOSED = "closed"
    CANCELLED = "cancelled"
    UNRECOGNISED = "unrecognised"  # a word our mapping does not know: recorded, never acted on


# How far along a ticket is; evidence never moves one back, except a reopening (see ticket_model.judge_ticket).
TICKET_RANK: dict[TicketState, int] = {
    TicketState.OPEN: 0,
    TicketState.INVESTIGATING: 1,
    TicketState.WAITING_FOR_BUYER: 1,
    TicketState.RESOLVED: 2,
    TicketState.CANCELLING: 2,
    TicketState.CLOSED: 3,
    TicketState.CANCELLED: 3,
}
TICKET_TERMINAL = frozenset({TicketState.CLOSED, TicketState.CANCELLED})


@dataclass(frozen=True, slots=True)
class TicketNote:
    """A note on a supplier's ticket (their words: kept for the audit trail and passed on, never parsed for
    decisions other than what an information request asks)."""

    id: str
    text: str
    author: str
    source: str  # "seller" (the supplier wrote it) or "buyer" (we did)
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TicketObservation:
    """One piece of evidence about a supplier's ticket."""

    state: TicketState
    raw_state: str  # the supplier's own word
    ref: ExternalRef  # the supplier's ticket (kind "troubleTicket")
    source: Source
    observed_at: datetime  # our clock
    as_of: datetime | None = None  # when the supplier says the state began
    our_ref: str | None = None  # our reference (MEF externalId) as the supplier echoes it
    reopened: bool = False  # the supplier's word says the ticket was reopened (the one allowed step back)
    information_required: str | None = None  # what the supplier asks of us, when WAITING_FOR_BUYER
    expected_resolution: datetime | None = None
    resolved_at: datetime | None = None  # the supplier's resolution date, when it gives one
    notes: tuple[TicketNote, ...] = ()
    work_orders: tuple[ExternalRef, ...] = ()  # the supplier's work orders for the repair (MEF 137)
    reason: str | None = None
    evidence: str | None = None  # event id, href or request that carried it
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TicketRequest:
    """What we report to a supplier about its product, in provider-neutral terms."""

    our_ref: str  # deterministic; sent as MEF externalId (the partner's customer reference) and idempotency key
    correlation_id: str
    product_ref: ExternalRef | None  # the supplier's product (or order, if no product is known) at fault
    description: str
    severity: str = "significant"  # MEF 124 words: minor | moderate | significant | extensive
    priority: str = "high"  # low | medium | high | critical
    observed_impact: str = "down"  # degraded | intermittent | down
    ticket_type: str = "assistance"
    issue_start: datetime | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class WorkOrderView:
    """A supplier's work order as we read it: does the repair need a visit, and is one booked?"""

    ref: ExternalRef  # kind "workOrder"
    raw_state: str
    appointment_required: bool
    appointments: tuple[ExternalRef, ...] = ()
    observed_at: datetime | None = None
    duration_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class AppointmentAnswer:
    ref: ExternalRef  # kind "appointment"
    work_order: ExternalRef
    raw_state: str
    slot: Slot
    observed_at: datetime
