"""MEF 124 trouble ticket: statuses, their moves (developer guide Figure 9 / Table 9) and the ticket aggregate.

The ticket keeps its MEF document (`doc`) plus what the Seller decides with: the status, the emulated Seller's
plan (scheduled steps, see timeline.py), what a `pending` ticket waits for, and whether the orchestrator drives
it (`orchestrated`: the profile's emulated lifecycle leaves such a ticket alone).

Every Seller-side move here records its MEF event; a Buyer's own changes (patch) record none, as the
notification envelope says a Buyer's patch does not raise `troubleTicketAttributeValueChangeEvent`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from counterpoint.core.shared.aggregate import Aggregate
from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.times import iso
from counterpoint.core.shared.transitions import check_transition, terminal_states

API = "troubleTicket"
STATUS_CHANGE = "troubleTicketStatusChangeEvent"
RESOLVED = "troubleTicketResolvedEvent"
INFORMATION_REQUIRED = "troubleTicketInformationRequiredEvent"
ATTRIBUTE_CHANGE = "troubleTicketAttributeValueChangeEvent"
MAX_NOTE = 2000
HELD = "afterVisit"  # a step's detail flag: it waits for the repair's technician visit (see hold_resolution)


class TicketStatus(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    PENDING = "pending"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    ASSESSING_CANCELLATION = "assessingCancellation"
    CANCELLED = "cancelled"


S = TicketStatus
# Figure 9 of the MEF 124 guide (troubleTicketStates.puml), arrow for arrow.
TICKET_ALLOWED: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.ACKNOWLEDGED: frozenset({S.IN_PROGRESS, S.ASSESSING_CANCELLATION}),
    S.IN_PROGRESS: frozenset({S.RESOLVED, S.PENDING, S.ASSESSING_CANCELLATION}),
    S.PENDING: frozenset({S.IN_PROGRESS, S.ASSESSING_CANCELLATION}),
    S.RESOLVED: frozenset({S.CLOSED, S.REOPENED}),
    S.REOPENED: frozenset({S.IN_PROGRESS}),
    S.ASSESSING_CANCELLATION: frozenset({S.CANCELLED}),
}
TICKET_TERMINAL = terminal_states(TICKET_ALLOWED, TicketStatus)  # closed, cancelled
# R35: a Buyer's patch is refused in these.
NOT_PATCHABLE = frozenset({S.CLOSED, S.ASSESSING_CANCELLATION, S.CANCELLED})
# Who may make each move: the Buyer's operations (cancel, close, reopen) and the Seller's (everything else).
BUYER_MOVES: frozenset[tuple[TicketStatus, TicketStatus]] = frozenset({
    (S.ACKNOWLEDGED, S.ASSESSING_CANCELLATION), (S.IN_PROGRESS, S.ASSESSING_CANCELLATION),
    (S.PENDING, S.ASSESSING_CANCELLATION), (S.RESOLVED, S.CLOSED), (S.RESOLVED, S.REOPENED),
})


class Waiting(StrEnum):
    """What a `pending` ticket waits for (Table 9 names both)."""

    INFORMATION = "information"  # the Buyer answers with a patch carrying a note (R37)
    APPOINTMENT = "appointment"  # the linked work order becomes planned (R15)


class ResolutionCode(StrEnum):
    """Who the fault was found with, written into the Seller's resolution note (see RESOLUTION_NOTE_PREFIX).

    MEF 124 has no field for it, so the convention rides on the note: a Buyer (our own Buyer side included) can
    read it from any MEF Seller that follows it, and SLA attribution reads it without parsing prose."""

    SELLER_NETWORK = "sellerNetwork"  # repaired in the Seller's own network
    SUPPLIER_NETWORK = "supplierNetwork"  # repaired in a network the Seller buys from (orchestrated)
    CUSTOMER_EQUIPMENT = "customerEquipment"  # the fault was in the customer's equipment or premises
    NO_FAULT_FOUND = "noFaultFound"


# The resolution note's text starts with `resolution=<code>;` then the words for people, e.g.
# "resolution=customerEquipment; the fault is in the customer's router ...".
# A `supplierNetwork` resolution may go on with the root cause, before the words for people:
# "resolution=supplierNetwork; rootCause=<provider>; supplierTicket=<id>; ...", where `rootCause` is the provider
# in whose own network the fault was found (further down the supply chain) and `supplierTicket` that provider's
# ticket about it. A provider in between passes on the pair its supplier gave, unchanged, so whoever reads the
# note learns where the fault was however long the chain (see ResolutionNote).
RESOLUTION_NOTE_PREFIX = "resolution="
_RESOLUTION = re.compile(r"^resolution=([A-Za-z]+);")
_ROOT_CAUSE = re.compile(r"^resolution=supplierNetwork;\s*rootCause=([^;\s]+);\s*supplierTicket=([^;\s]+);")


@dataclass(frozen=True, slots=True)
class ResolutionNote:
    """What a coded resolution note says: its code and, for `supplierNetwork`, the root cause when given."""

    code: ResolutionCode
    root_cause: str | None = None  # the provider whose network held the fault
    supplier_ticket: str | None = None  # that provider's ticket about it

    def prefix(self) -> str:
        """The note's machine-readable start (the words for people follow it)."""
        head = f"{RESOLUTION_NOTE_PREFIX}{self.code.value};"
        if self.code is ResolutionCode.SUPPLIER_NETWORK and self.root_cause and self.supplier_ticket:
            head += f" rootCause={self.root_cause}; supplierTicket={self.supplier_ticket};"
        return head


def parse_resolution_note(text: str) -> ResolutionNote | None:
    """The coded start of a resolution note's text (None when the note does not follow the convention)."""
    match = _RESOLUTION.match(text)
    if not match or match.group(1) not in ResolutionCode._value2member_map_:
        return None
    cause = _ROOT_CAUSE.match(text)
    return ResolutionNote(ResolutionCode(match.group(1)), cause.group(1) if cause else None,
                          cause.group(2) if cause else None)


def resolution_code_of(doc: dict[str, Any]) -> ResolutionCode | None:
    """The code of the ticket's latest Seller resolution note (None when there is none, or not one of ours)."""
    for note in reversed(doc.get("note") or []):
        if note.get("source") != "seller":
            continue
        match = _RESOLUTION.match(str(note.get("text", "")))
        if match and match.group(1) in ResolutionCode._value2member_map_:
            return ResolutionCode(match.group(1))
    return None


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(str(value).replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


@dataclass(slots=True, kw_only=True)
class Step:
    """One scheduled move of the emulated Seller (timeline.py)."""

    at: datetime
    kind: str  # start | requestInfo | visit | slip | resolve | autoClose | finishCancel
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"at": iso(self.at), "kind": self.kind, "detail": self.detail}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Step:
        at = parse_time(raw["at"])
        assert at is not None
        return cls(at=at, kind=raw["kind"], detail=raw.get("detail") or {})


@dataclass(slots=True, kw_only=True)
class TroubleTicket(Aggregate):
    status: TicketStatus
    doc: dict[str, Any]
    product_id: str | None = None  # the affected product (relatedEntity, @referredType Product)
    offering_id: str | None = None  # that product's offering, for the profile's rules
    plan: list[Step] = field(default_factory=list)
    waiting: Waiting | None = None  # while pending: for what
    orchestrated: bool = False  # the orchestrator (TicketDesk) drives it, not the profile's timeline
    scenario: dict[str, Any] = field(default_factory=dict)  # the profile's behaviour chosen at creation
    wake_at: datetime | None = None  # set by `wake` (a linked work order moved): look at it then

    # --- reading ----------------------------------------------------------------------------------
    @property
    def due_at(self) -> datetime | None:
        """When the Seller next has work on this ticket (its plan, or a wake-up); None when nothing is due."""
        times = [s.at for s in self.runnable_steps()]
        if self.wake_at is not None:
            times.append(self.wake_at)
        return min(times, default=None)

    def runnable_steps(self) -> list[Step]:
        """Steps that may run: none once the ticket ended, none but the cancellation's while it is assessed, and
        no repair step while the Seller waits for the Buyer (pending)."""
        if self.status in TICKET_TERMINAL:
            return []
        if self.status is S.ASSESSING_CANCELLATION:
            return [s for s in self.plan if s.kind == "finishCancel"]
        if self.status is S.PENDING:
            return []
        if self.status is S.RESOLVED:
            return [s for s in self.plan if s.kind == "autoClose"]
        return [s for s in self.plan if s.kind not in ("autoClose", "finishCancel") and not s.detail.get(HELD)]

    def next_due_step(self, now: datetime) -> Step | None:
        due = [s for s in self.runnable_steps() if s.at <= now]
        if not due:
            return None
        step = min(due, key=lambda s: s.at)
        self.plan.remove(step)
        return step

    @property
    def expected_resolution(self) -> datetime | None:
        return parse_time(self.doc.get("expectedResolutionDate"))

    @property
    def resolution_at(self) -> datetime | None:
        return parse_time(self.doc.get("resolutionDate"))

    @property
    def work_order_ids(self) -> list[str]:
        return [str(w["id"]) for w in self.doc.get("workOrder") or [] if w.get("id")]

    # --- moving -----------------------------------------------------------------------------------
    def move_to(self, target: TicketStatus, *, at: datetime, reason: str | None = None) -> None:
        """One move of Figure 9: the status, its history entry and the status change event."""
        check_transition(TICKET_ALLOWED, f"trouble ticket {self.id}", self.status, target)
        self.status = target
        self.doc["status"] = target.value
        change: dict[str, Any] = {"changeDate": iso(at), "status": target.value}
        if reason:
            change["changeReason"] = reason[:255]
        self.doc.setdefault("statusChange", []).append(change)
        if target is not S.PENDING:
            self.waiting = None
        if target in TICKET_TERMINAL:
            self.plan.clear()
            self.wake_at = None
        self.record(STATUS_CHANGE, API, at)

    def seller_note(self, text: str, *, at: datetime) -> dict[str, Any]:
        """Append a note written by the Seller (R18: source seller). No event: callers decide (see add_note)."""
        note = {"id": new_id(), "author": self.seller_id, "date": iso(at), "source": "seller",
                "text": text[:MAX_NOTE]}
        self.doc.setdefault("note", []).append(note)
        self.updated_at = at
        return note

    def add_note(self, text: str, *, at: datetime) -> None:
        """A Seller note on its own is an attribute change the Buyer is told of."""
        self.seller_note(text, at=at)
        self.record(ATTRIBUTE_CHANGE, API, at)

    def start_work(self, *, at: datetime, reason: str | None = None) -> None:
        """acknowledged, pending or reopened -> inProgress."""
        self.move_to(S.IN_PROGRESS, at=at, reason=reason)

    def request_information(self, what: str, *, at: datetime) -> None:
        """inProgress -> pending; the note says what the Seller needs (the information required event's
        contract: the details are in a note)."""
        self.move_to(S.PENDING, at=at, reason="the Seller needs more information from the Buyer")
        self.waiting = Waiting.INFORMATION
        self.seller_note(f"information needed: {what}", at=at)
        self.record(INFORMATION_REQUIRED, API, at)

    def wait_for_appointment(self, *, at: datetime, reason: str) -> None:
        """inProgress -> pending until the linked work order's appointment is booked (R15 resumes it)."""
        self.move_to(S.PENDING, at=at, reason=reason)
        self.waiting = Waiting.APPOINTMENT

    def hold_resolution(self) -> None:
        """The repair needs a technician visit: its resolution waits until the visit's work order completes,
        however early its planned time comes (release_resolution lets it go)."""
        for step in self.plan:
            if step.kind == "resolve":
                step.detail[HELD] = True

    def release_resolution(self, earliest: datetime | None) -> datetime | None:
        """The visit is over (or called off for good): the held resolution runs at its planned time, and never
        before `earliest` (when the visit's work order completed). Returns when it will run, if one was held."""
        when = None
        for step in self.plan:
            if step.kind == "resolve" and step.detail.pop(HELD, None):
                if earliest is not None and earliest > step.at:
                    step.at = earliest
                when = step.at
        return when

    def resolve(self, note: str, *, at: datetime, code: ResolutionCode = ResolutionCode.SELLER_NETWORK,
                root_cause: str | None = None, supplier_ticket: str | None = None) -> None:
        """inProgress -> resolved, with the resolution date and the note saying how (R28), whose text starts
        with the machine-readable code (RESOLUTION_NOTE_PREFIX) and, for a supplier's repair, its root cause."""
        self.move_to(S.RESOLVED, at=at, reason="the Seller resolved the issue")
        self.doc["resolutionDate"] = iso(at)
        head = ResolutionNote(code, root_cause, supplier_ticket).prefix()
        self.seller_note(f"{head} {note}", at=at)
        self.plan = [s for s in self.plan if s.kind in ("autoClose",)]
        self.record(RESOLVED, API, at)

    def set_expected_resolution(self, when: datetime, note: str, *, at: datetime) -> None:
        """A new committed date, with the note R22 asks for when it changes."""
        before, after = self.doc.get("expectedResolutionDate"), iso(when)
        if before == after:
            return
        self.doc["expectedResolutionDate"] = after
        if before:
            self.seller_note(f"expected resolution moved from {before} to {after}: {note}", at=at)
        self.record(ATTRIBUTE_CHANGE, API, at)

    def link_work_order(self, ref: dict[str, Any], *, at: datetime) -> None:
        """Add (or update, O5) a work order reference; never removes one (R36)."""
        orders = self.doc.setdefault("workOrder", [])
        for existing in orders:
            if existing.get("id") == ref.get("id"):
                if existing == ref:
                    return
                existing.update(ref)
                break
        else:
            orders.append(dict(ref))
        self.record(ATTRIBUTE_CHANGE, API, at)

    def request_cancellation(self, *, at: datetime) -> None:
        """The Buyer's cancel: acknowledged, inProgress or pending -> assessingCancellation."""
        self.move_to(S.ASSESSING_CANCELLATION, at=at, reason="the Buyer asked to cancel the ticket")

    def finish_cancellation(self, *, at: datetime) -> None:
        self.move_to(S.CANCELLED, at=at, reason="cancellation assessed and accepted")

    def close(self, *, at: datetime, reason: str) -> None:
        self.move_to(S.CLOSED, at=at, reason=reason)

    def reopen(self, reason: str, *, at: datetime) -> None:
        """resolved -> reopened; the Buyer's reason becomes a Buyer note authored `closureRejection` (R46)."""
        self.move_to(S.REOPENED, at=at, reason="the Buyer reopened the ticket")
        self.doc.setdefault("note", []).append({"id": new_id(), "author": "closureRejection", "date": iso(at),
                                                "source": "buyer", "text": reason[:MAX_NOTE]})
        self.doc.pop("resolutionDate", None)
