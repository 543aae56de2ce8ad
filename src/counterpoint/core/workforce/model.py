"""MEF 137 work orders and appointments: states, allowed moves and the two aggregates.

Both keep their MEF document (`doc`) as a plain dict without `href` (the edge adds it: the core does not know
the Seller's public URL), plus what the Seller decides with: the state, the booked slot, the next due time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from counterpoint.core.seller.model import VisitOutcome
from counterpoint.core.shared.aggregate import Aggregate
from counterpoint.core.shared.times import iso
from counterpoint.core.shared.transitions import check_transition

APPOINTMENT_API = "appointment"
WORK_ORDER_API = "workOrder"


class WorkOrderState(StrEnum):
    OPEN = "open"
    PLANNED = "planned"
    IN_PROGRESS = "inProgress"
    COMPLETED = "completed"
    UNABLE_TO_COMPLETE = "unableToComplete"
    CANCELLED = "cancelled"


W = WorkOrderState
# The guide's work order diagram, plus planned -> open: cancelling the appointment of a planned work order
# sends it back to open with an appointment required (R48, R49), and so does a Seller calling a visit off
# (R27) or a visit nobody came to.
WORK_ORDER_ALLOWED: dict[WorkOrderState, frozenset[WorkOrderState]] = {
    W.OPEN: frozenset({W.IN_PROGRESS, W.PLANNED, W.CANCELLED}),
    W.PLANNED: frozenset({W.IN_PROGRESS, W.CANCELLED, W.OPEN}),
    W.IN_PROGRESS: frozenset({W.COMPLETED, W.UNABLE_TO_COMPLETE}),
}
WORK_ORDER_TERMINAL = frozenset({W.COMPLETED, W.UNABLE_TO_COMPLETE, W.CANCELLED})


class AppointmentStatus(StrEnum):
    CONFIRMED = "confirmed"
    IN_PROGRESS = "inProgress"
    COMPLETED = "completed"
    MISSED = "missed"
    FAILED = "failed"
    CANCELLED = "cancelled"


A = AppointmentStatus
# The guide's appointment diagram. A reschedule keeps the appointment confirmed (a new validFor, no move).
APPOINTMENT_ALLOWED: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    A.CONFIRMED: frozenset({A.IN_PROGRESS, A.CANCELLED}),
    A.IN_PROGRESS: frozenset({A.COMPLETED, A.MISSED, A.FAILED}),
}
APPOINTMENT_TERMINAL = frozenset({A.COMPLETED, A.MISSED, A.FAILED, A.CANCELLED})
# An appointment in one of these holds its work order (R20: no second one may be booked meanwhile).
APPOINTMENT_OPEN = frozenset({A.CONFIRMED, A.IN_PROGRESS})


def place_keys(places: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    """(site id, address id) of the first GeographicSiteRef and GeographicAddressRef among MEF places."""
    site = next((p.get("id") for p in places if p.get("@type") == "GeographicSiteRef"), None)
    address = next((p.get("id") for p in places if p.get("@type") == "GeographicAddressRef"), None)
    return site, address


@dataclass(frozen=True, slots=True)
class RelatedEntity:
    """What a work order is for (MEF RelatedEntity): a trouble ticket, a product order item, a product..."""

    id: str
    referred_type: str
    role: str
    href: str | None = None

    def to_mef(self) -> dict[str, Any]:
        out = {"id": self.id, "@referredType": self.referred_type, "role": self.role}
        if self.href:
            out["href"] = self.href
        return out


def trouble_ticket(ticket_id: str, *, href: str | None = None) -> RelatedEntity:
    return RelatedEntity(id=ticket_id, referred_type="TroubleTicket", role="parentTroubleTicket", href=href)


def order_item(order_id: str, item_id: str) -> list[RelatedEntity]:
    """A product order item needing a technician: the order, and the item named within it."""
    return [RelatedEntity(id=order_id, referred_type="ProductOrder", role="parentProductOrder"),
            RelatedEntity(id=f"{order_id}:{item_id}", referred_type="ProductOrderItem", role="installation")]


@dataclass(slots=True, kw_only=True)
class WorkOrder(Aggregate):
    state: WorkOrderState
    doc: dict[str, Any]
    due_at: datetime | None = None  # a work order needing no visit starts (and ends) on its own timeline
    follow_up_of: str | None = None  # the work order this one continues (a visit that could not finish)

    @property
    def appointment_required(self) -> bool:
        return bool(self.doc.get("appointmentRequired"))

    @property
    def related(self) -> list[dict[str, Any]]:
        related: list[dict[str, Any]] = self.doc.get("relatedEntity") or []
        return related

    @property
    def places(self) -> list[dict[str, Any]]:
        places: list[dict[str, Any]] = self.doc.get("place") or []
        return places

    def ticket_ids(self) -> list[str]:
        return [e["id"] for e in self.related if e.get("@referredType") == "TroubleTicket"]

    def appointment_ids(self) -> list[str]:
        return [a["id"] for a in self.doc.get("appointment") or []]

    def move_to(self, target: WorkOrderState, *, at: datetime) -> None:
        check_transition(WORK_ORDER_ALLOWED, f"work order {self.id}", self.state, target)
        self.state = target
        self.doc["state"] = target.value
        if target in WORK_ORDER_TERMINAL:
            self.due_at = None
        self.record("workOrderStateChangeEvent", WORK_ORDER_API, at)

    def require_appointment(self, *, at: datetime) -> None:
        """The Buyer must book a visit before the work can go on (R58: notified when it becomes true)."""
        if not self.appointment_required:
            self.doc["appointmentRequired"] = True
            self.record("workOrderAppointmentRequiredEvent", WORK_ORDER_API, at)

    def plan_visit(self, appointment_id: str, start: datetime, technician: dict[str, Any], *, at: datetime) -> None:
        """An appointment was booked for it (R22-R24): referenced, no longer required, planned for its start."""
        refs = self.doc.setdefault("appointment", [])
        if appointment_id not in self.appointment_ids():
            refs.append({"id": appointment_id})
        self.doc["appointmentRequired"] = False
        self.doc["plannedExecutionDate"] = iso(start)
        self.set_technician(technician)
        if self.state is not W.PLANNED:
            self.move_to(W.PLANNED, at=at)

    def set_technician(self, technician: dict[str, Any]) -> None:
        contacts = [c for c in self.doc.get("relatedContactInformation") or [] if c.get("role") != "technician"]
        self.doc["relatedContactInformation"] = [*contacts, technician]

    def add_note(self, text: str, *, at: datetime, note_id: str, author: str) -> None:
        self.doc.setdefault("note", []).append(
            {"id": note_id, "author": author, "date": iso(at), "source": "seller", "text": text[:2000]})

    def summary(self) -> dict[str, Any]:
        """WorkOrder_Find (R51)."""
        return {k: self.doc[k] for k in ("id", "appointmentRequired", "place", "relatedEntity", "state")
                if k in self.doc}


@dataclass(slots=True, kw_only=True)
class Appointment(Aggregate):
    status: AppointmentStatus
    doc: dict[str, Any]
    work_order_id: str
    start: datetime  # the booked slot (validFor)
    end: datetime
    technician: int  # which of the slot's technicians it holds
    outcome: VisitOutcome = VisitOutcome.DONE  # what the profile makes of this visit
    due_at: datetime | None = None
    arrived: bool = False  # the technician came (the work order went on in progress)
    site_id: str | None = field(default=None)
    address_id: str | None = field(default=None)

    def move_to(self, target: AppointmentStatus, *, at: datetime) -> None:
        check_transition(APPOINTMENT_ALLOWED, f"appointment {self.id}", self.status, target)
        self.status = target
        self.doc["status"] = target.value
        if target in APPOINTMENT_TERMINAL:
            self.due_at = None
        self.record("appointmentStatusChangeEvent", APPOINTMENT_API, at)

    def reschedule(self, start: datetime, end: datetime, technician: int) -> None:
        self.start, self.end, self.technician = start, end, technician
        self.doc["validFor"] = {"startDateTime": iso(start), "endDateTime": iso(end)}

    def set_place(self, place: dict[str, Any]) -> None:
        self.doc["relatedPlace"] = place
        self.site_id, self.address_id = place_keys([place])

    def attributes_changed(self, *, at: datetime) -> None:
        self.record("appointmentAttributeValueChangeEvent", APPOINTMENT_API, at)

    def add_note(self, text: str, *, at: datetime, note_id: str, author: str) -> None:
        """A note of the Seller's: the Buyer is told with appointmentAttributeValueChangeEvent (R29)."""
        self.doc.setdefault("note", []).append(
            {"id": note_id, "author": author, "date": iso(at), "source": "seller", "text": text[:2000]})
        self.attributes_changed(at=at)

    def summary(self) -> dict[str, Any]:
        """Appointment_Find (R30)."""
        return {k: self.doc[k] for k in ("id", "workOrder", "relatedPlace", "status", "validFor") if k in self.doc}


@dataclass(frozen=True, slots=True)
class WorkOrderFilter:
    state: str | None = None
    appointment_required: bool | None = None
    site_id: str | None = None
    address_id: str | None = None
    related_type: str | None = None
    related_id: str | None = None


@dataclass(frozen=True, slots=True)
class AppointmentFilter:
    work_order_id: str | None = None
    status: str | None = None
    site_id: str | None = None
    address_id: str | None = None
    valid_for_gt: datetime | None = None
    valid_for_lt: datetime | None = None
