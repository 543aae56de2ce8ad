"""A customer's trouble ticket followed across providers.

A `FederatedTicket` follows one ticket a customer opened with our Seller about a service we build from segments:
which service and segments it is about, which segment we suspect and why, and one `Escalation` per ticket we
open with a supplier. The supplier's ticket states are evidence (judged here, like order evidence in
evidence.py); our ticket is resolved only after our own end-to-end test passes.

What we tell our customer's ticket (start work, ask for information, resolve...) is kept as `CustomerMove`s
and carried out after our transaction commits, by the Seller's ticket capability (ports.CustomerTickets).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from counterpoint.core.orchestration.ticket_supply import (
    TICKET_RANK,
    TICKET_TERMINAL,
    TicketObservation,
    TicketState,
)
from counterpoint.core.shared.aggregate import Aggregate
from counterpoint.core.shared.errors import TransitionNotAllowed
from counterpoint.core.shared.ids import ExternalRef
from counterpoint.core.shared.times import iso, parse_aware
from counterpoint.core.trouble_ticket.model import ResolutionCode, parse_resolution_note

T = TicketState
ALLOWED: dict[TicketState, frozenset[TicketState]] = {
    T.OPEN: frozenset({T.INVESTIGATING, T.WAITING_FOR_BUYER, T.RESOLVED, T.CANCELLING, T.CANCELLED, T.CLOSED}),
    T.INVESTIGATING: frozenset({T.WAITING_FOR_BUYER, T.RESOLVED, T.CANCELLING, T.CANCELLED, T.CLOSED}),
    T.WAITING_FOR_BUYER: frozenset({T.INVESTIGATING, T.RESOLVED, T.CANCELLING, T.CANCELLED, T.CLOSED}),
    # our validation failed, or the customer says the fault is still there
    T.RESOLVED: frozenset({T.INVESTIGATING, T.CLOSED}),
    T.CANCELLING: frozenset({T.CANCELLED, T.INVESTIGATING, T.CLOSED}),
    T.CLOSED: frozenset(),
    T.CANCELLED: frozenset(),
}

# outbound command actions about tickets (stored in the same command store as orders)
OPEN_TICKET = "openTicket"
ADD_TICKET_NOTE = "addTicketNote"
CLOSE_TICKET = "closeTicket"
REOPEN_TICKET = "reopenTicket"
CANCEL_TICKET = "cancelTicket"
BOOK_APPOINTMENT = "bookAppointment"
TICKET_ACTIONS = frozenset({OPEN_TICKET, ADD_TICKET_NOTE, CLOSE_TICKET, REOPEN_TICKET, CANCEL_TICKET,
                            BOOK_APPOINTMENT})

# what we tell our customer's ticket (ports.CustomerTickets carries them out)
START_WORK = "startWork"
REQUEST_INFORMATION = "requestInformation"
RESOLVE = "resolve"
SELLER_NOTE = "sellerNote"
EXPECTED_RESOLUTION = "expectedResolution"
LINK_WORK_ORDER = "linkWorkOrder"
FINISH_CANCELLATION = "finishCancellation"


@dataclass(frozen=True, slots=True)
class Verdict:
    applied: bool
    why: str


@dataclass(slots=True)
class Escalation:
    """One ticket we hold with one supplier about one segment."""

    id: str
    provider_id: str
    segment_id: str
    segment_name: str
    our_ref: str  # the openTicket command's idempotency key, sent as the ticket's externalId
    state: TicketState = TicketState.OPEN
    external_ref: ExternalRef | None = None
    raw_state: str | None = None
    state_as_of: datetime | None = None
    observed_at: datetime | None = None
    expected_resolution: datetime | None = None
    resolved_at: datetime | None = None  # when we first saw the supplier's resolution
    information_required: str | None = None
    notes_seen: list[str] = field(default_factory=list)  # supplier note ids already read
    questions: list[dict[str, Any]] = field(default_factory=list)  # information requests and who answered
    work_orders: list[dict[str, Any]] = field(default_factory=list)  # {"id", "booking": key, "appointment"...}
    reopening: bool = False  # we asked to reopen; the supplier's next step back is expected
    closing: bool = False  # we asked to close (or cancel)
    reopen_count: int = 0
    # the supplier's coded resolution note, when it wrote one: {"code", "rootCause", "supplierTicket", "at",
    # "noteId"} (core.trouble_ticket.model.ResolutionNote; "at" on the supplier's clock)
    resolution: dict[str, Any] | None = None

    @property
    def done(self) -> bool:
        return self.state in TICKET_TERMINAL

    def to_json(self) -> dict[str, Any]:
        ref = self.external_ref
        return {
            "id": self.id, "provider": self.provider_id, "segmentId": self.segment_id,
            "segmentName": self.segment_name, "ourRef": self.our_ref, "state": self.state.value,
            "externalRef": {"provider": ref.provider, "kind": ref.kind, "id": ref.value} if ref else None,
            "rawState": self.raw_state, "stateAsOf": _iso(self.state_as_of), "observedAt": _iso(self.observed_at),
            "expectedResolution": _iso(self.expected_resolution), "resolvedAt": _iso(self.resolved_at),
            "informationRequired": self.information_required, "notesSeen": self.notes_seen,
            "questions": self.questions, "workOrders": self.work_orders, "reopening": self.reopening,
            "closing": self.closing, "reopenCount": self.reopen_count, "resolution": self.resolution,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Escalation:
        ref = raw.get("externalRef")
        return cls(
            id=raw["id"], provider_id=raw["provider"], segment_id=raw["segmentId"], segment_name=raw["segmentName"],
            our_ref=raw["ourRef"], state=TicketState(raw["state"]),
            external_ref=ExternalRef(ref["provider"], ref["id"], ref.get("kind", "troubleTicket")) if ref else None,
            raw_state=raw.get("rawState"), state_as_of=parse_aware(raw.get("stateAsOf")),
            observed_at=parse_aware(raw.get("observedAt")),
            expected_resolution=parse_aware(raw.get("expectedResolution")),
            resolved_at=parse_aware(raw.get("resolvedAt")), information_required=raw.get("informationRequired"),
            notes_seen=list(raw.get("notesSeen") or []), questions=list(raw.get("questions") or []),
            work_orders=list(raw.get("workOrders") or []), reopening=bool(raw.get("reopening")),
            closing=bool(raw.get("closing")), reopen_count=int(raw.get("reopenCount") or 0),
            resolution=raw.get("resolution"))


@dataclass(slots=True, kw_only=True)
class FederatedTicket(Aggregate):
    """Follows one customer ticket (`ticket_id` at our Seller) about a service built from segments."""

    ticket_id: str
    product_id: str  # the customer's product the ticket is about
    composite_id: str  # the composite order that built it
    state: TicketState = TicketState.OPEN
    reported: dict[str, Any] = field(default_factory=dict)  # what the customer reported (description, impact...)
    segments: list[dict[str, Any]] = field(default_factory=list)  # what the service is made of, when taken
    suspect: dict[str, Any] | None = None  # {"segmentId", "segmentName", "provider", "own", "why": [...]}
    escalations: list[Escalation] = field(default_factory=list)
    fault_started_at: datetime | None = None  # the first evidence of the fault (customer's issue start, ...)
    validated_at: datetime | None = None  # our passing end-to-end test
    validations: list[dict[str, Any]] = field(default_factory=list)  # every test we ran for it: {at, passed, ...}
    pending_question: dict[str, Any] | None = None  # a supplier's question we passed on to our customer
    forwarded_notes: list[str] = field(default_factory=list)  # the customer's note ids we passed to suppliers
    customer_moves: list[dict[str, Any]] = field(default_factory=list)  # to tell the customer's ticket, in order
    outage: dict[str, Any] | None = None  # what we recorded for the SLA, once validated
    timeline: list[dict[str, Any]] = field(default_factory=list)
    due_at: datetime | None = None

    def escalation(self, escalation_id: str) -> Escalation:
        for esc in self.escalations:
            if esc.id == escalation_id:
                return esc
        raise KeyError(escalation_id)

    @property
    def open_escalations(self) -> list[Escalation]:
        return [e for e in self.escalations if not e.done]

    def note(self, at: datetime, what: str, **detail: Any) -> None:
        self.timeline.append({"at": iso(at), "what": what, **{k: v for k, v in detail.items() if v is not None}})

    def move_to(self, target: TicketState, *, at: datetime, reason: str | None = None) -> None:
        if target is self.state:
            return
        if target not in ALLOWED[self.state]:
            raise TransitionNotAllowed(f"federated ticket {self.id}: {self.state.value} -> {target.value}")
        self.note(at, "state", **{"from": self.state.value, "to": target.value, "reason": reason})
        self.state = target
        self.updated_at = at

    def tell_customer(self, kind: str, at: datetime, *, text: str | None = None, **detail: Any) -> None:
        """Queue a move of the customer's ticket, carried out after commit (in order, once each)."""
        seq = len([m for m in self.timeline if m.get("what") == "customer told"]) + len(self.customer_moves)
        move = {"seq": seq, "kind": kind, "at": iso(at), **({"text": text} if text else {}), **detail}
        self.customer_moves.append(move)


def _iso(at: datetime | None) -> str | None:
    return iso(at) if at else None


# ---- evidence ----------------------------------------------------------------------------------------------


def judge_ticket(esc: Escalation, obs: TicketObservation, *, now: datetime, staleness: timedelta,
                 seen: bool = False) -> Verdict:
    """Decide, without changing anything, whether `obs` may move the supplier ticket we hold.

    In order: a duplicate changes nothing; stale evidence drives no decision; an unknown word is recorded only;
    evidence older than the state we hold changes nothing; a closed or cancelled ticket stays so; and a ticket
    never moves back (a resolution undone) unless the supplier says it was reopened or we asked it to reopen.
    """
    if seen:
        return Verdict(False, "duplicate: this evidence was already applied")
    if now - obs.observed_at > staleness:
        return Verdict(False, f"stale: observed {int((now - obs.observed_at).total_seconds())} s ago")
    if obs.state is TicketState.UNRECOGNISED:
        return Verdict(False, f"unrecognised supplier ticket state {obs.raw_state!r}: recorded, not acted on")
    if esc.state_as_of is not None and obs.as_of is not None and obs.as_of < esc.state_as_of:
        return Verdict(False, "out of order: older than the state we hold")
    current = esc.state
    if current in TICKET_TERMINAL and obs.state is not current:
        return Verdict(False, f"ticket already {current.value}")
    back = TICKET_RANK.get(obs.state, 0) < TICKET_RANK.get(current, 0)
    if back and current is TicketState.CANCELLING and obs.state is not TicketState.OPEN:
        return Verdict(True, "cancellation refused: work goes on")
    if back and not (obs.reopened or esc.reopening):
        return Verdict(False, f"would move back from {current.value} to {obs.state.value}")
    if back:
        return Verdict(True, "reopened")
    if obs.state is current and obs.information_required == esc.information_required \
            and obs.expected_resolution in (None, esc.expected_resolution) \
            and all(n.id in esc.notes_seen for n in obs.notes if n.source == "seller"):
        return Verdict(True, "confirms what we hold")
    return Verdict(True, "moves the ticket on")


def apply_ticket(esc: Escalation, obs: TicketObservation) -> list[str]:
    """Take an observation the judge allowed; what changed, in words, for the timeline."""
    changes: list[str] = []
    if obs.state is not esc.state:
        changes.append(f"{esc.state.value} -> {obs.state.value}")
        if TICKET_RANK.get(obs.state, 0) < TICKET_RANK.get(esc.state, 0):
            esc.reopening = False  # the step back we asked for (or the supplier announced) happened
            esc.resolved_at = None
            esc.resolution = None
        esc.state = obs.state
    if obs.state is TicketState.RESOLVED and esc.resolved_at is None:
        esc.resolved_at = obs.resolved_at or obs.as_of or obs.observed_at
    if obs.state in (TicketState.RESOLVED, TicketState.CLOSED):
        found = resolution_of(obs)
        if found is not None and found != esc.resolution:
            esc.resolution = found
            changes.append(f"resolution {found['code']}"
                           + (f", root cause {found['rootCause']} ({found['supplierTicket']})"
                              if found.get("rootCause") else ""))
    if obs.expected_resolution is not None and obs.expected_resolution != esc.expected_resolution:
        esc.expected_resolution = obs.expected_resolution
        changes.append("expected resolution " + iso(obs.expected_resolution))
    if obs.information_required != esc.information_required:
        esc.information_required = obs.information_required
        if obs.information_required:
            changes.append(f"asks: {obs.information_required}")
    if esc.external_ref is None:
        esc.external_ref = obs.ref
    esc.raw_state = obs.raw_state
    if obs.as_of is not None and (esc.state_as_of is None or obs.as_of > esc.state_as_of):
        esc.state_as_of = obs.as_of
    if esc.observed_at is None or obs.observed_at > esc.observed_at:
        esc.observed_at = obs.observed_at
    for wo in obs.work_orders:
        if all(w["id"] != wo.value for w in esc.work_orders):
            esc.work_orders.append({"id": wo.value, "provider": wo.provider})
            changes.append(f"work order {wo.value}")
    return changes


def resolution_of(obs: TicketObservation) -> dict[str, Any] | None:
    """The supplier's latest coded resolution note in the observation (core.trouble_ticket's convention), as
    Escalation.resolution; None when it wrote none."""
    coded = [(n, r) for n in obs.notes if n.source == "seller" and (r := parse_resolution_note(n.text))]
    if not coded:
        return None
    note, res = max(enumerate(coded), key=lambda t: (t[1][0].at is not None, t[1][0].at or datetime.min, t[0]))[1]
    at = note.at or obs.resolved_at or obs.as_of or obs.observed_at
    return {"code": res.code.value, "rootCause": res.root_cause, "supplierTicket": res.supplier_ticket,
            "at": iso(at), "noteId": note.id}


def root_cause_of(esc: Escalation) -> tuple[str, str] | None:
    """Where the fault this supplier repaired was, as we pass it on (the provider, its ticket): the root cause
    its resolution names, else the supplier itself when it repaired its own network (or did not say); None
    when that is not known (its own supplier repaired, unnamed) or no network was at fault (the customer's
    equipment, no fault found)."""
    res = esc.resolution or {}
    if res.get("code") == ResolutionCode.SUPPLIER_NETWORK.value:
        if res.get("rootCause") and res.get("supplierTicket"):
            return str(res["rootCause"]), str(res["supplierTicket"])
        return None
    if res.get("code") in (None, ResolutionCode.SELLER_NETWORK.value) and esc.external_ref is not None:
        return esc.provider_id, esc.external_ref.value
    return None


def ticket_evidence_key(obs: TicketObservation) -> str | None:
    """What makes two ticket observations the same evidence: the carrier and what it said (see observations)."""
    if obs.evidence is None:
        return None
    return f"{obs.evidence}|{obs.raw_state}|{iso(obs.as_of) if obs.as_of else '-'}"
