"""Use cases of MEF 137: work orders the Seller opens, time slots, appointments the Buyer books, reschedules and
cancels, and the visits' timeline the worker drives.

`open_work_order` and `cancel_work_order` run in the caller's transaction (a trouble ticket whose repair needs a
visit, an order item whose installation needs a technician): they neither open nor commit the unit of work.
Everything else opens its own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from counterpoint.core.seller.model import SellerProfile, VisitOutcome
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.errors import Invalid, Problem, StaleVersion
from counterpoint.core.shared.ids import new_id
from counterpoint.core.shared.notes import own_notes
from counterpoint.core.shared.times import iso, parse_aware
from counterpoint.core.workforce import slots
from counterpoint.core.workforce.model import (
    APPOINTMENT_OPEN,
    Appointment,
    AppointmentFilter,
    AppointmentStatus,
    RelatedEntity,
    WorkOrder,
    WorkOrderFilter,
    WorkOrderState,
    place_keys,
)

if TYPE_CHECKING:
    from counterpoint.core.ports import UnitOfWork

A, W = AppointmentStatus, WorkOrderState
BUYER_ROLES = ("buyerAppointmentContact", "appointmentPlaceContact")
SELLER_ROLE = "sellerAppointmentContact"
DEFAULT_TASKS = ("Visit the place and carry out the work the related entity needs",)


def _without_nulls(value: Any) -> Any:
    """A request's value with every null member left out: MEF gives no attribute a null, so what the Seller
    stores and answers never carries one."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _invalid(code: str, reason: str, path: str) -> Invalid:
    return Invalid(reason, problems=[Problem(code, reason, path)])


def _minutes(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds() // 60))


def technician_contact(profile: SellerProfile, index: int | None) -> dict[str, Any]:
    """The technician a work order names (R53): the field-service desk until a visit is booked, then the
    technician the booking took."""
    contact = profile.desk_contact("technician", "field service", "field-service")
    if index is not None:
        contact["name"] = f"{profile.name} technician {index + 1}"
    return contact


# ---- work orders the Seller opens (in the caller's transaction) ---------------------------------------------


async def open_work_order(uow: UnitOfWork, clock: Clock, profile: SellerProfile, *, buyer_id: str, channel: str,
                          related: list[RelatedEntity], places: list[dict[str, Any]], correlation_id: str | None,
                          appointment_required: bool, tasks: list[str] | None = None, note: str | None = None,
                          follow_up_of: str | None = None) -> WorkOrder:
    """Open a work order for the Buyer's trouble ticket, order item or product, in the caller's transaction (the
    caller commits). It is announced with workOrderCreateEvent (R56) and, when the Buyer must book a visit,
    workOrderAppointmentRequiredEvent (R58). One that needs no visit starts on the Seller's own timeline."""
    if not related:
        raise ValueError("a work order relates to at least one entity (MEF RelatedEntity, minItems 1)")
    if any(not p.get("@type") or not p.get("role") for p in places):
        raise ValueError("each place of a work order names its @type and role (MEF RelatedPlaceRefOrValue)")
    now = clock.now()
    cal = profile.workforce
    wo_id = new_id()
    doc: dict[str, Any] = {
        "id": wo_id,
        "appointmentRequired": False,
        "duration": {"timeDurationValue": _minutes(cal.visit), "timeDurationUnits": "MIN"},
        "place": [dict(p) for p in places],
        "relatedContactInformation": [profile.desk_contact("technicalContact", "field service", "field-service"),
                                      technician_contact(profile, None)],
        "relatedEntity": [e.to_mef() for e in related],
        "state": W.OPEN.value,
        "task": list(tasks or DEFAULT_TASKS),
    }
    wo = WorkOrder(id=wo_id, buyer_id=buyer_id, seller_id=profile.seller_id, channel=channel, created_at=now,
                   updated_at=now, state=W.OPEN, doc=doc, follow_up_of=follow_up_of, correlation_id=correlation_id)
    if note:
        wo.add_note(note, at=now, note_id=new_id(), author=profile.name)
    wo.record("workOrderCreateEvent", "workOrder", now)
    if appointment_required:
        wo.require_appointment(at=now)
    else:
        wo.due_at = now + cal.unattended_start
        doc["plannedExecutionDate"] = iso(wo.due_at)
    await uow.work_orders.add(wo)
    return wo


async def cancel_work_order(uow: UnitOfWork, clock: Clock, profile: SellerProfile, work_order_id: str, *,
                            reason: str) -> WorkOrder:
    """The Seller cancels an open or planned work order (e.g. its ticket was cancelled), in the caller's
    transaction; a visit still booked for it is cancelled and its slot freed."""
    now = clock.now()
    wo = await uow.work_orders.get_unscoped(work_order_id)
    for appt_id in wo.appointment_ids():
        appt = await uow.appointments.get_unscoped(appt_id)
        if appt.status is A.CONFIRMED:
            appt.move_to(A.CANCELLED, at=now)
            appt.add_note(f"cancelled with its work order: {reason}", at=now, note_id=new_id(), author=profile.name)
            await uow.technician_slots.release(appt.id)
            await uow.appointments.save(appt)
    wo.move_to(W.CANCELLED, at=now)
    wo.add_note(reason, at=now, note_id=new_id(), author=profile.name)
    await uow.work_orders.save(wo)
    await _wake_tickets(uow, wo)
    return wo


async def _wake_tickets(uow: UnitOfWork, wo: WorkOrder) -> None:
    """Have the trouble tickets a work order serves looked at again now that it moved (planned: MEF 124 R15 lets
    the repair go on; ended: the repair can be judged). The ticket side decides; this side only wakes it."""
    for ticket_id in wo.ticket_ids():
        await uow.trouble_tickets.wake(ticket_id)


# ---- reading ------------------------------------------------------------------------------------------------


async def get_work_order(uow: UnitOfWork, *, buyer_id: str, work_order_id: str) -> WorkOrder:
    async with uow:
        return await uow.work_orders.get(buyer_id, work_order_id)


async def list_work_orders(uow: UnitOfWork, *, buyer_id: str, flt: WorkOrderFilter, offset: int, limit: int
                           ) -> tuple[list[WorkOrder], int]:
    async with uow:
        return await uow.work_orders.search(buyer_id, flt, offset=offset, limit=limit)


async def get_appointment(uow: UnitOfWork, *, buyer_id: str, appointment_id: str) -> Appointment:
    async with uow:
        return await uow.appointments.get(buyer_id, appointment_id)


async def list_appointments(uow: UnitOfWork, *, buyer_id: str, flt: AppointmentFilter, offset: int, limit: int
                            ) -> tuple[list[Appointment], int]:
    async with uow:
        return await uow.appointments.search(buyer_id, flt, offset=offset, limit=limit)


# ---- time slots ---------------------------------------------------------------------------------------------


def _period(raw: dict[str, Any], path: str) -> tuple[datetime, datetime]:
    start, end = parse_aware(raw.get("startDateTime")), parse_aware(raw.get("endDateTime"))
    if start is None:
        raise _invalid("invalidFormat", "startDateTime must be a date-time with a zone", f"{path}/startDateTime")
    if end is None:
        raise _invalid("invalidFormat", "endDateTime must be a date-time with a zone", f"{path}/endDateTime")
    if end <= start:
        raise _invalid("invalidValue", "endDateTime must come after startDateTime", f"{path}/endDateTime")
    try:
        return start.astimezone(UTC), end.astimezone(UTC)
    except (OverflowError, ValueError):  # e.g. 9999-12-31T23:59:59-14:00 has no UTC date
        raise _invalid("invalidValue", "the period lies outside the supported dates", path) from None


async def _bookable_work_order(uow: UnitOfWork, buyer_id: str, ref: dict[str, Any], *,
                               states: frozenset[WorkOrderState]) -> WorkOrder:
    wo = await uow.work_orders.find(buyer_id, str(ref.get("id")))
    if wo is None:
        raise _invalid("referenceNotFound", f"work order {ref.get('id')} not found", "/workOrder/id")
    if wo.state not in states:
        raise _invalid("invalidValue", f"work order {wo.id} is {wo.state.value}: no visit can be booked for it",
                       "/workOrder/id")
    return wo


async def search_time_slots(uow: UnitOfWork, clock: Clock, profile: SellerProfile, *, buyer_id: str,
                            request: dict[str, Any]) -> dict[str, Any]:
    """The Seller's free slots within the requested periods for the work order (R13, R14): an empty list when
    none is free. The work order must still need a visit (open) or have one to move (planned)."""
    cal = profile.workforce
    now = clock.now()
    request = _without_nulls(request)
    periods = [_period(ts.get("validFor") or {}, f"/requestedTimeSlot/{i}/validFor")
               for i, ts in enumerate(request["requestedTimeSlot"])]
    async with uow:
        await _bookable_work_order(uow, buyer_id, request["workOrder"], states=frozenset({W.OPEN, W.PLANNED}))
        booked: dict[datetime, int] = {}
        if periods:
            lo = max(min(s for s, _ in periods), slots.earliest_start(cal, now))
            hi = min(max(e for _, e in periods), now + cal.search_horizon)
            if lo < hi:
                booked = await uow.technician_slots.booked(lo, hi)
    free = slots.available(cal, now=now, periods=periods, booked=booked)
    return {
        "requestedTimeSlot": request["requestedTimeSlot"],
        "workOrder": {"id": request["workOrder"]["id"]},
        "availableTimeSlot": [{"validFor": {"startDateTime": iso(s.start), "endDateTime": iso(s.end)}} for s in free],
    }


# ---- appointments -------------------------------------------------------------------------------------------


def _check_contacts(contacts: list[dict[str, Any]]) -> None:
    """R15: both of the Buyer's contacts; the Seller's own contact is the Seller's to give."""
    roles = [c.get("role") for c in contacts]
    for i, role in enumerate(roles):
        if role == SELLER_ROLE:
            raise _invalid("unexpectedProperty", "the sellerAppointmentContact is given by the Seller",
                           f"/relatedContactInformation/{i}/role")
    for role in BUYER_ROLES:
        if role not in roles:
            raise _invalid("missingProperty", f"relatedContactInformation needs an item with role={role}",
                           "/relatedContactInformation")


def _scenario_ctx(profile: SellerProfile, wo: WorkOrder) -> dict[str, Any]:
    site_id, address_id = place_keys(wo.places)
    if address_id is None and site_id is not None:
        site = profile.site(site_id)
        address_id = site.address_id if site is not None else None
    address = profile.address(address_id) if address_id else None
    fields = address.fields if address is not None else {}
    return {"buyer": wo.buyer_id, "address_id": address_id, "city": fields.get("city"),
            "country": fields.get("country")}


def _outcome(profile: SellerProfile, wo: WorkOrder) -> VisitOutcome:
    """What the profile makes of this visit: only a work order's first visit follows a scenario (a follow-up
    work order or a rebooked visit goes as planned), so no scenario repeats forever."""
    if wo.follow_up_of is not None or wo.appointment_ids():
        return VisitOutcome.DONE
    for scenario in profile.scenarios_for(_scenario_ctx(profile, wo)):
        if scenario.visit_outcome is not None:
            return scenario.visit_outcome
    return VisitOutcome.DONE


def _first_due(profile: SellerProfile, appt: Appointment, now: datetime) -> datetime:
    if appt.outcome is VisitOutcome.RESCHEDULED_BY_SELLER:
        return max(now, appt.start - profile.workforce.seller_reschedule_notice)
    return appt.start


async def _book(uow: UnitOfWork, profile: SellerProfile, *, now: datetime, start: datetime, end: datetime,
                appointment_id: str) -> int:
    cal = profile.workforce
    booked = await uow.technician_slots.booked(start, start + timedelta(microseconds=1))
    why = slots.bookable(cal, now=now, start=start, end=end, booked=booked)
    if why is not None:
        raise _invalid("invalidValue", why, "/validFor")
    index = await uow.technician_slots.book(start, cal.technicians, appointment_id)
    if index is None:  # a concurrent booking took the last technician since we counted
        raise _invalid("invalidValue", "no Seller technician is free in that slot any more", "/validFor")
    return index


async def create_appointment(uow: UnitOfWork, clock: Clock, profile: SellerProfile, *, buyer_id: str,
                             channel: str, request: dict[str, Any]) -> Appointment:
    """Book a visit in a free slot for an open work order (R15-R24): the appointment is confirmed, the work
    order planned with it, and the slot is no longer offered."""
    now = clock.now()
    request = _without_nulls(request)
    _check_contacts(request["relatedContactInformation"])
    start, end = _period(request["validFor"], "/validFor")
    async with uow:
        wo = await _bookable_work_order(uow, buyer_id, request["workOrder"], states=frozenset(W))
        for appt_id in wo.appointment_ids():  # R20: one open appointment per work order
            other = await uow.appointments.get_unscoped(appt_id)
            if other.status in APPOINTMENT_OPEN:
                raise _invalid("invalidValue", f"work order {wo.id} already has appointment {other.id} "
                               f"({other.status.value})", "/workOrder/id")
        if wo.state is not W.OPEN:  # R21
            raise _invalid("invalidValue", f"work order {wo.id} is {wo.state.value}, not open", "/workOrder/id")
        if not wo.places:
            raise _invalid("invalidValue", f"work order {wo.id} names no place to visit", "/workOrder/id")
        appt_id = new_id()
        technician = await _book(uow, profile, now=now, start=start, end=end, appointment_id=appt_id)
        doc: dict[str, Any] = {
            "id": appt_id,
            "status": A.CONFIRMED.value,
            "workOrder": {"id": wo.id},
            "relatedContactInformation": [
                *request["relatedContactInformation"],
                profile.desk_contact(SELLER_ROLE, "field service", "appointments")],
        }
        if request.get("note"):
            doc["note"] = own_notes(request["note"], buyer_id=buyer_id, at=now)
        if request.get("attachment"):
            doc["attachment"] = _buyer_attachments(request["attachment"], at=now)
        appt = Appointment(id=appt_id, buyer_id=buyer_id, seller_id=profile.seller_id, channel=channel,
                           created_at=now, updated_at=now, status=A.CONFIRMED, doc=doc, work_order_id=wo.id,
                           start=start, end=end, technician=technician, outcome=_outcome(profile, wo))
        appt.reschedule(start, end, technician)
        appt.set_place(wo.places[0])
        appt.due_at = _first_due(profile, appt, now)
        wo.plan_visit(appt_id, start, technician_contact(profile, technician), at=now)
        wo.due_at = None
        await uow.appointments.add(appt)
        await _save_work_order(uow, wo)
        await _wake_tickets(uow, wo)
        await uow.commit()
    return appt


async def _save_work_order(uow: UnitOfWork, wo: WorkOrder) -> None:
    """A work order changed by a concurrent request (e.g. a second booking for it) refuses this one, as R20
    would have had it been first."""
    try:
        await uow.work_orders.save(wo)
    except StaleVersion:
        raise _invalid("invalidValue", f"work order {wo.id} was changed by a concurrent request; read it again",
                       "/workOrder/id") from None


# what identifies a note or an attachment already there, when the Buyer sends the list back with new ones
_SAME = {"note": ("id", "text"), "attachment": ("attachmentId", "name", "url", "content")}


def _appended(current: list[dict[str, Any]], given: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """R43, R44: notes and attachments are only appended; the ones there stay as they are (the stored versions
    are kept). Returns the new ones."""
    keys = _SAME[name]
    if len(given) < len(current) or any(
            tuple(g.get(k) for k in keys) != tuple(c.get(k) for k in keys) for g, c in zip(given, current,
                                                                                             strict=False)):
        raise _invalid("invalidValue", f"{name} items can only be appended: send the existing ones unchanged, "
                       "new ones after them", f"/{name}")
    return given[len(current):]


def _buyer_attachments(items: list[dict[str, Any]], *, at: datetime) -> list[dict[str, Any]]:
    """Attachments a Buyer sends are the Buyer's, dated when received unless they say when they were made."""
    return [{**a, "source": "buyer", "creationDate": a.get("creationDate") or iso(at)} for a in items]


def _patched_contacts(current: list[dict[str, Any]], given: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Buyer replaces its own contacts; the Seller's one stays the Seller's."""
    seller = [c for c in current if c.get("role") == SELLER_ROLE]
    for i, c in enumerate(given):
        if c.get("role") == SELLER_ROLE and c not in seller:
            raise _invalid("invalidValue", "the sellerAppointmentContact is the Seller's to change",
                           f"/relatedContactInformation/{i}")
    mine = [c for c in given if c.get("role") != SELLER_ROLE]
    _check_contacts(mine)
    return [*mine, *seller]


async def patch_appointment(uow: UnitOfWork, clock: Clock, profile: SellerProfile, *, buyer_id: str,
                            appointment_id: str, patch: dict[str, Any]) -> Appointment:
    """Merge-patch a confirmed appointment (R36-R44): append notes or attachments, replace the Buyer's contacts,
    move it to another of the work order's places, or reschedule it to another free slot (which frees the old
    one)."""
    now = clock.now()
    fields = ("attachment", "note", "relatedPlace", "relatedContactInformation", "validFor")
    for name in ("relatedPlace", "relatedContactInformation", "validFor"):  # a merge-patch null removes: refused
        if name in patch and patch[name] is None:
            raise _invalid("invalidValue", f"{name} cannot be removed from an appointment", f"/{name}")
    patch = _without_nulls(patch)  # null note or attachment lists: nothing to remove from append-only lists
    if not any(patch.get(f) is not None for f in fields):
        raise _invalid("missingProperty", f"a patch gives at least one of {', '.join(fields)}", "/")
    async with uow:
        appt = await uow.appointments.get(buyer_id, appointment_id)
        if appt.status is not A.CONFIRMED:  # R40
            raise _invalid("invalidValue", f"appointment {appt.id} is {appt.status.value}: only a confirmed one "
                           "can be changed", "/status")
        wo = await uow.work_orders.get_unscoped(appt.work_order_id)
        before = dict(appt.doc)
        if patch.get("note") is not None:
            current = appt.doc.get("note") or []
            added = own_notes(_appended(current, patch["note"], "note"), buyer_id=buyer_id, at=now, known=current)
            if added:
                appt.doc["note"] = [*current, *added]
        if patch.get("attachment") is not None:
            current = appt.doc.get("attachment") or []
            added = _buyer_attachments(_appended(current, patch["attachment"], "attachment"), at=now)
            if added:
                appt.doc["attachment"] = [*current, *added]
        if patch.get("relatedContactInformation") is not None:
            appt.doc["relatedContactInformation"] = _patched_contacts(appt.doc["relatedContactInformation"],
                                                                      patch["relatedContactInformation"])
        if patch.get("relatedPlace") is not None:
            if patch["relatedPlace"] not in wo.places:
                raise _invalid("invalidValue", f"the place must be one of work order {wo.id}'s places",
                               "/relatedPlace")
            appt.set_place(patch["relatedPlace"])
        if patch.get("validFor") is not None:
            start, end = _period(patch["validFor"], "/validFor")
            if (start, end) != (appt.start, appt.end):
                await uow.technician_slots.release(appt.id)
                technician = await _book(uow, profile, now=now, start=start, end=end, appointment_id=appt.id)
                appt.reschedule(start, end, technician)
                appt.due_at = _first_due(profile, appt, now)
                wo.doc["plannedExecutionDate"] = iso(start)
                wo.set_technician(technician_contact(profile, technician))
                await _save_work_order(uow, wo)
        if appt.doc != before:
            appt.attributes_changed(at=now)
        await uow.appointments.save(appt)
        await uow.commit()
    return appt


async def _call_off(uow: UnitOfWork, profile: SellerProfile, appt: Appointment, wo: WorkOrder, *, at: datetime,
                    why: str | None) -> None:
    """The appointment is cancelled and its slot freed; its work order needs a new visit (R48-R50, R27)."""
    appt.move_to(A.CANCELLED, at=at)
    if why:
        appt.add_note(why, at=at, note_id=new_id(), author=profile.name)
    await uow.technician_slots.release(appt.id)
    wo.move_to(W.OPEN, at=at)
    wo.set_technician(technician_contact(profile, None))
    wo.doc.pop("plannedExecutionDate", None)
    wo.require_appointment(at=at)


async def cancel_appointment(uow: UnitOfWork, clock: Clock, profile: SellerProfile, *, buyer_id: str,
                             appointment_id: str) -> None:
    """The Buyer cancels a confirmed appointment of a planned work order (R45-R50)."""
    now = clock.now()
    async with uow:
        appt = await uow.appointments.get(buyer_id, appointment_id)
        if appt.status is not A.CONFIRMED:
            raise _invalid("invalidValue", f"appointment {appt.id} is {appt.status.value}: only a confirmed one "
                           "can be cancelled", "/status")
        wo = await uow.work_orders.get_unscoped(appt.work_order_id)
        if wo.state is not W.PLANNED:
            raise _invalid("invalidValue", f"work order {wo.id} is {wo.state.value}, not planned",
                           "/workOrder/id")
        await _call_off(uow, profile, appt, wo, at=now, why=None)
        try:
            await uow.appointments.save(appt)
            await uow.work_orders.save(wo)
        except StaleVersion:  # moved meanwhile (a reschedule, the technician's arrival): cancelAppointment has
            raise _invalid("invalidValue", f"appointment {appt.id} changed while it was being cancelled; read it "
                           "again", "/status") from None  # no 409 in MEF, so it is refused like a wrong status
        await _wake_tickets(uow, wo)
        await uow.commit()


# ---- the visits' timeline (worker) --------------------------------------------------------------------------


async def _follow_up(uow: UnitOfWork, clock: Clock, profile: SellerProfile, wo: WorkOrder, why: str) -> None:
    """A work order left unable to complete is continued by a new one, for the same entities and places."""
    related = [RelatedEntity(id=e["id"], referred_type=e["@referredType"], role=e["role"], href=e.get("href"))
               for e in wo.related]
    await open_work_order(uow, clock, profile, buyer_id=wo.buyer_id, channel=wo.channel, related=related,
                          places=wo.places, correlation_id=wo.correlation_id, appointment_required=True,
                          tasks=list(wo.doc.get("task") or []) or None, follow_up_of=wo.id,
                          note=f"continues work order {wo.id}: {why}")


async def advance_appointment(uow: UnitOfWork, clock: Clock, profile: SellerProfile, appointment_id: str) -> int:
    """One step of a visit that is due: the technician arrives (or not), the work ends one way or another. The
    appointment and its work order move together, as the guide's end-to-end flow has them."""
    now = clock.now()
    async with uow:
        appt = await uow.appointments.get_unscoped(appointment_id)
        if appt.due_at is None or appt.due_at > now:
            return 0
        at = appt.due_at
        wo = await uow.work_orders.get_unscoped(appt.work_order_id)
        outcome = appt.outcome
        if appt.status is A.CONFIRMED and outcome is VisitOutcome.RESCHEDULED_BY_SELLER:
            await _call_off(uow, profile, appt, wo, at=at,
                            why="the Seller had to call this visit off; please book another time slot")
        elif appt.status is A.CONFIRMED:
            appt.move_to(A.IN_PROGRESS, at=at)
            if outcome is VisitOutcome.NO_SHOW:
                appt.due_at = appt.end
            else:
                appt.arrived = True
                wo.move_to(W.IN_PROGRESS, at=at)
                appt.due_at = appt.start + profile.workforce.visit
        elif appt.status is A.IN_PROGRESS:
            await _end_visit(uow, clock, profile, appt, wo, at=at)
        else:
            appt.due_at = None
        await uow.appointments.save(appt)
        await uow.work_orders.save(wo)
        await _wake_tickets(uow, wo)
        await uow.commit()
    return 1


async def _end_visit(uow: UnitOfWork, clock: Clock, profile: SellerProfile, appt: Appointment, wo: WorkOrder, *,
                     at: datetime) -> None:
    outcome, author = appt.outcome, profile.name
    if outcome is VisitOutcome.NO_SHOW:  # a Seller issue: missed, and the Buyer books again
        appt.move_to(A.MISSED, at=at)
        appt.add_note("no technician could come; please book another time slot", at=at, note_id=new_id(),
                      author=author)
        wo.move_to(W.OPEN, at=at)
        wo.set_technician(technician_contact(profile, None))
        wo.doc.pop("plannedExecutionDate", None)
        wo.require_appointment(at=at)
    elif outcome is VisitOutcome.NO_ACCESS:  # a Buyer issue: failed, and the work is continued by a new order
        appt.move_to(A.FAILED, at=at)
        why = "the technician could not get access to the place"
        appt.add_note(why, at=at, note_id=new_id(), author=author)
        wo.move_to(W.UNABLE_TO_COMPLETE, at=at)
        await _follow_up(uow, clock, profile, wo, why)
    elif outcome is VisitOutcome.INCOMPLETE:
        appt.move_to(A.COMPLETED, at=at)
        why = "the visit took place but not every task could be done"
        wo.move_to(W.UNABLE_TO_COMPLETE, at=at)
        wo.add_note(why, at=at, note_id=new_id(), author=author)
        await _follow_up(uow, clock, profile, wo, why)
    else:
        appt.move_to(A.COMPLETED, at=at)
        wo.move_to(W.COMPLETED, at=at)


async def advance_work_order(uow: UnitOfWork, clock: Clock, profile: SellerProfile, work_order_id: str) -> int:
    """A work order needing no visit starts when due, and completes after a visit's duration."""
    now = clock.now()
    async with uow:
        wo = await uow.work_orders.get_unscoped(work_order_id)
        if wo.due_at is None or wo.due_at > now:
            return 0
        at = wo.due_at
        if wo.state is W.OPEN:
            wo.move_to(W.IN_PROGRESS, at=at)
            wo.due_at = at + profile.workforce.visit
        elif wo.state is W.IN_PROGRESS:
            wo.move_to(W.COMPLETED, at=at)
        else:
            wo.due_at = None
        await uow.work_orders.save(wo)
        await _wake_tickets(uow, wo)
        await uow.commit()
    return 1
