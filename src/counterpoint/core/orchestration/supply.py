"""What we say to suppliers and what we hear back, in our own words (the anti-corruption layer's inside).

Every supplier adapter (`suppliers/<shape>/`) translates these neutral requests into its partner's API and
the partner's answers back into `Observation`s: a supplier's state is evidence about a segment, seen at a
time, from a source; it is never our state. The core decides what evidence may change (see evidence.py).
Nothing here knows HTTP, MEF JSON shapes or any particular provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from counterpoint.core.shared.ids import ExternalRef

if TYPE_CHECKING:  # ticket_supply uses Source from here: its types are only named
    from counterpoint.core.orchestration.ticket_supply import (
        AppointmentAnswer,
        Slot,
        TicketObservation,
        TicketRequest,
        WorkOrderView,
    )


class SegmentState(StrEnum):
    """Our normalised view of one segment of a service, whoever delivers it."""

    PLANNED = "planned"  # decided, nothing sent yet
    REQUESTED = "requested"  # command stored (maybe sent), no answer yet
    UNKNOWN = "unknown"  # a command's outcome is unknown (timeout, lost connection): recovery settles it
    ACKNOWLEDGED = "acknowledged"  # the supplier holds our order
    IN_DELIVERY = "inDelivery"
    AWAITING_BUYER = "awaitingBuyer"  # pending an action of ours (charge to accept, info to give)
    DELIVERED = "deliveredPendingAcceptance"  # supplier says done; not ours until our tests pass
    ACTIVE = "active"  # accepted by us after the end-to-end test
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"
    REJECTED = "rejected"  # the supplier refused the order
    FAILED = "failed"
    UNRECOGNISED = "unrecognised"  # the supplier reported a state our mapping does not know


# How far along a segment is. Evidence may move a segment forward or sideways within a rank, never back:
# a late or replayed notification saying "inDelivery" cannot undo "delivered". Terminal states share the
# top rank so that one of them never overrides another.
RANK: dict[SegmentState, int] = {
    SegmentState.PLANNED: 0,
    SegmentState.REQUESTED: 1,
    SegmentState.UNKNOWN: 1,
    SegmentState.ACKNOWLEDGED: 2,
    SegmentState.IN_DELIVERY: 3,
    SegmentState.AWAITING_BUYER: 3,
    SegmentState.CANCELLING: 4,
    SegmentState.DELIVERED: 5,
    SegmentState.ACTIVE: 6,
    SegmentState.CANCELLED: 7,
    SegmentState.REJECTED: 7,
    SegmentState.FAILED: 7,
}
TERMINAL = frozenset({SegmentState.CANCELLED, SegmentState.REJECTED, SegmentState.FAILED})


class Source(StrEnum):
    COMMAND = "command"  # the answer to a command we sent
    POLL = "poll"  # we asked
    CALLBACK = "callback"  # the supplier told us (then, for thin MEF events, we read the resource)
    RECOVERY = "recovery"  # found by our reference after an unknown outcome


@dataclass(frozen=True, slots=True)
class Observation:
    """One piece of evidence about a supplier's resource."""

    state: SegmentState
    raw_state: str  # the supplier's own word for it, kept for the audit trail
    ref: ExternalRef  # the supplier's id of the resource
    source: Source
    observed_at: datetime  # when we saw it (our clock)
    as_of: datetime | None = None  # when the supplier says the state began, if it says
    our_ref: str | None = None  # the reference we gave the supplier, as it echoes it back
    expected_completion: datetime | None = None
    required_action: str | None = None  # what the supplier waits for, when AWAITING_BUYER
    reason: str | None = None  # why (rejection, failure, cancellation refused, ...)
    evidence: str | None = None  # event id, href or request id that carried it
    product_ref: ExternalRef | None = None  # the supplier's product, once delivered
    detail: dict[str, Any] = field(default_factory=dict)  # adapter-specific extras (never decided on)


@dataclass(frozen=True, slots=True)
class SegmentRequest:
    """What we ask one supplier to deliver, modify or remove, in provider-neutral terms.

    `configuration` is a MEF product payload (Access E-Line, Operator UNI, Internet Access ...): those
    schemas are the common language of the industry, so an adapter for a non-MEF partner reads the few
    fields its partner needs from it.
    """

    our_ref: str  # deterministic; sent as the buyer's reference (MEF externalId) so we can find it again
    correlation_id: str
    action: str  # add | modify | delete
    offering_id: str  # the supplier's product offering
    spec_urn: str | None
    configuration: dict[str, Any]
    places: list[dict[str, Any]]  # MEF place entries: FieldedAddress, GeographicAddressRef, GeographicSiteRef
    bandwidth_mbps: int | None = None
    requested_completion: datetime | None = None
    product_ref: ExternalRef | None = None  # the supplier's product, for modify and delete
    quote_ref: ExternalRef | None = None
    quote_item_id: str | None = None
    poq_ref: ExternalRef | None = None
    poq_item_id: str | None = None
    note: str | None = None
    term_months: int | None = None  # the contract term we commit to (a referenced quote's term wins)


class QualificationState(StrEnum):
    PENDING = "pending"  # the supplier is still checking (deferred)
    SERVICEABLE = "serviceable"
    NOT_SERVICEABLE = "notServiceable"
    FAILED = "failed"  # the supplier could not answer


@dataclass(frozen=True, slots=True)
class QualificationAnswer:
    ref: ExternalRef
    state: QualificationState
    raw_state: str
    observed_at: datetime
    item_id: str | None = None  # the supplier's item id, to reference from quotes and orders
    installation_days: int | None = None
    reason: str | None = None


class QuoteState(StrEnum):
    PENDING = "pending"  # not firm yet (deferred, site survey, manual pricing)
    FIRM = "firm"  # priced and orderable until valid_until
    BUDGETARY = "budgetary"  # priced, not orderable
    UNABLE = "unable"  # the supplier cannot quote
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    ACCEPTED = "accepted"  # an order consumed it


@dataclass(frozen=True, slots=True)
class Price:
    nrc: Decimal
    mrc: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class QuoteAnswer:
    ref: ExternalRef
    state: QuoteState
    raw_state: str
    observed_at: datetime
    item_id: str | None = None
    price: Price | None = None
    term_months: int | None = None
    lead_time_days: int | None = None
    valid_until: datetime | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class QualificationRequest:
    our_ref: str
    correlation_id: str
    offering_id: str
    spec_urn: str | None
    configuration: dict[str, Any]
    places: list[dict[str, Any]]
    action: str = "add"
    bandwidth_mbps: int | None = None


@dataclass(frozen=True, slots=True)
class QuoteRequest:
    our_ref: str
    correlation_id: str
    offering_id: str
    spec_urn: str | None
    configuration: dict[str, Any]
    places: list[dict[str, Any]]
    term_months: int = 12
    action: str = "add"
    bandwidth_mbps: int | None = None
    poq_ref: ExternalRef | None = None
    poq_item_id: str | None = None
    instant: bool = False  # ask for an immediate answer; a supplier may still defer


class CancellationOutcome(StrEnum):
    ACCEPTED = "accepted"  # the supplier will cancel (or has)
    REFUSED = "refused"
    PENDING = "pending"  # being assessed


@dataclass(frozen=True, slots=True)
class CancellationAnswer:
    ref: ExternalRef  # the supplier's id of the cancellation request (or of the order, if it has none)
    outcome: CancellationOutcome
    raw_state: str
    observed_at: datetime
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class CallbackNote:
    """A verified notification from a supplier: which of its resources changed, and the event's identity."""

    provider: str
    ref: ExternalRef
    event_id: str
    event_type: str
    event_time: datetime | None
    observation: Observation | TicketObservation | None = None  # when the event carries the state (non-MEF)
    notice: SupplierNotice | None = None  # when the event itself carries a whole notice (non-MEF partners)


class NoticeKind(StrEnum):
    """What a supplier announces about the products it sells us."""

    MAINTENANCE = "maintenance"  # planned work in a window
    IMPAIRMENT = "impairment"  # a fault or degradation (MEF incidentType repair or installation)


class NoticeState(StrEnum):
    ANNOUNCED = "announced"  # not begun yet
    ONGOING = "ongoing"
    ENDED = "ended"  # over (closed by the supplier)
    UNRECOGNISED = "unrecognised"  # a word our mapping does not know: kept, decided on as "announced"


class NoticeImpact(StrEnum):
    OUTAGE = "outage"
    DEGRADED = "degraded"
    INTERMITTENT = "intermittent"


@dataclass(frozen=True, slots=True)
class SupplierNotice:
    """A supplier's notice of maintenance or an impairment on products it delivers to us, in our words: evidence
    about those products (seen at `observed_at` on our clock), never our own incident."""

    ref: ExternalRef  # the supplier's id of its notice (kind "incident")
    kind: NoticeKind
    state: NoticeState
    raw_state: str  # the supplier's own words, for the audit trail
    impact: NoticeImpact
    products: tuple[ExternalRef, ...]  # the supplier's products it concerns (kind "product")
    observed_at: datetime
    description: str = ""
    starts_at: datetime | None = None  # as the supplier states them (its clock)
    expected_end: datetime | None = None
    ended_at: datetime | None = None
    evidence: str | None = None  # event id or href that carried it
    detail: dict[str, Any] = field(default_factory=dict)


# ---- errors: how a call to a supplier can end other than with an answer ---------------------------------


class SupplierError(Exception):
    """Base of everything an adapter raises; `provider` names who, `reason` says what in our words."""

    def __init__(self, provider: str, reason: str, *, status: int | None = None) -> None:
        super().__init__(f"{provider}: {reason}")
        self.provider = provider
        self.reason = reason
        self.status = status


class OutcomeUnknown(SupplierError):
    """The request may or may not have been acted on (timeout after sending, connection lost mid-way).

    Never read as a failure: the command stays UNKNOWN until recovery finds the supplier's record by our
    reference (or proves there is none) before anything is sent again.
    """


class SupplierUnavailable(SupplierError):
    """The supplier did not take the request (refused connection, 5xx, 429) after the adapter's retries.

    Safe to send again later with the same idempotency key.
    """


class SupplierRejected(SupplierError):
    """A definite refusal (4xx with an error body): sending the same request again will not help."""

    def __init__(self, provider: str, reason: str, *, status: int | None = None, code: str | None = None,
                 problems: list[dict[str, Any]] | None = None) -> None:
        super().__init__(provider, reason, status=status)
        self.code = code
        self.problems = problems or []


class SupplierNotFound(SupplierRejected):
    """The supplier has no such resource (or will not show it to us)."""


class CallbackRejected(SupplierError):
    """A notification that failed verification (unknown sender, bad signature, not ours)."""


class SupplierAdapter(Protocol):
    """One partner, whatever its API shape. Adapters own authentication, retries with backoff and jitter,
    timeouts, error normalisation (to the errors above), external-id mapping and callback verification.
    They report; they decide nothing.
    """

    provider_id: str

    async def qualify(self, req: QualificationRequest) -> QualificationAnswer: ...
    async def get_qualification(self, ref: ExternalRef) -> QualificationAnswer: ...
    async def request_quote(self, req: QuoteRequest) -> QuoteAnswer: ...
    async def get_quote(self, ref: ExternalRef) -> QuoteAnswer: ...
    async def place_order(self, req: SegmentRequest) -> Observation: ...
    async def get_order(self, ref: ExternalRef) -> Observation: ...
    async def find_order(self, our_ref: str) -> Observation | None: ...
    async def cancel_order(self, ref: ExternalRef, *, our_ref: str, reason: str) -> CancellationAnswer: ...
    async def get_cancellation(self, ref: ExternalRef) -> CancellationAnswer: ...
    async def get_incident(self, ref: ExternalRef) -> SupplierNotice: ...
    async def list_incidents(self) -> list[SupplierNotice]:
        """The supplier's notices on our products that are not over (to catch up on missed notifications)."""
        ...
    async def subscribe(self, callback_base_url: str) -> list[str]: ...
    # trouble tickets (MEF 124) and the visits their repairs need (MEF 137): see ticket_supply.py
    async def open_ticket(self, req: TicketRequest) -> TicketObservation: ...
    async def get_ticket(self, ref: ExternalRef) -> TicketObservation: ...
    async def find_ticket(self, our_ref: str) -> TicketObservation | None: ...
    async def add_ticket_note(self, ref: ExternalRef, *, note_id: str, text: str) -> TicketObservation: ...
    async def close_ticket(self, ref: ExternalRef) -> TicketObservation: ...
    async def reopen_ticket(self, ref: ExternalRef, *, reason: str) -> TicketObservation: ...
    async def cancel_ticket(self, ref: ExternalRef) -> TicketObservation: ...
    async def get_work_order(self, ref: ExternalRef) -> WorkOrderView: ...
    async def search_time_slots(self, work_order: ExternalRef, wanted: list[Slot]) -> list[Slot]: ...
    async def book_appointment(self, work_order: ExternalRef, slot: Slot, *, note: str,
                               site_contact: dict[str, Any] | None = None) -> AppointmentAnswer: ...
    async def find_appointment(self, work_order: ExternalRef) -> AppointmentAnswer | None: ...
    def parse_callback(self, path: str, headers: dict[str, str], body: bytes) -> CallbackNote: ...
    async def aclose(self) -> None: ...
