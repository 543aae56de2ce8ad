"""The emulated Seller's repair timeline: what its profile plans for a ticket, and each planned step.

This is the Seller's behaviour as data (profile `assurance`: repair times, scenario rules), not the MEF ticket
lifecycle: a step only calls the ticket's own moves (model.py), so a real repair desk, or the orchestrator for
the tickets it takes, drives the same lifecycle. `advance_ticket` is the worker's step: it applies what is due
in one transaction, the step leaving the plan in the same commit that applies it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.times import iso
from counterpoint.core.trouble_ticket.model import (
    ResolutionCode,
    Step,
    TicketStatus,
    TroubleTicket,
    Waiting,
    parse_time,
)
from counterpoint.core.trouble_ticket.visits import VisitDesk, VisitProgress, VisitState, open_visit

if TYPE_CHECKING:
    from counterpoint.core.ports import TicketDesk, UnitOfWork

S = TicketStatus
REPAIRED = "the fault was found and repaired in the Seller's network"


def committed_resolution(profile: SellerProfile, ctx: dict[str, Any], now: datetime) -> datetime:
    """The expectedResolutionDate the Seller commits to on creation: acknowledgement, then the repair time."""
    a = profile.assurance
    return now + timedelta(hours=a.acknowledge_hours) + a.repair_time(ctx)


def _resolution(ticket: TroubleTicket) -> dict[str, Any]:
    text = ticket.scenario.get("customerEquipment")
    if text:
        return {"code": ResolutionCode.CUSTOMER_EQUIPMENT.value, "text": str(text)}
    return {"code": ResolutionCode.SELLER_NETWORK.value, "text": REPAIRED}


def plan_ticket(profile: SellerProfile, ticket: TroubleTicket, ctx: dict[str, Any], now: datetime) -> None:
    """Schedule a new ticket's life from the profile (the ticket's expectedResolutionDate is already set)."""
    a = profile.assurance
    rules = a.scenarios_for(ctx)
    info = next((r.needs_information for r in rules if r.needs_information), None)
    visit = next((r.needs_visit for r in rules if r.needs_visit), None)
    late = sum(r.late_hours for r in rules)
    ticket.scenario = {"names": [r.name for r in rules],
                       "customerEquipment": next((r.customer_equipment for r in rules if r.customer_equipment),
                                                 None),
                       "lateHours": late}
    start = now + timedelta(hours=a.acknowledge_hours)
    committed = ticket.expected_resolution or committed_resolution(profile, ctx, now)
    steps = [Step(at=start, kind="start")]
    if info:
        steps.append(Step(at=start, kind="requestInfo", detail={"what": info}))
    if visit:
        steps.append(Step(at=start, kind="visit", detail={"what": visit}))
    if late:
        steps.append(Step(at=committed, kind="slip", detail={"hours": late}))
    resolution = _resolution(ticket)
    if late:
        resolution["committed"] = iso(committed)
    steps.append(Step(at=committed + timedelta(hours=late), kind="resolve", detail=resolution))
    ticket.plan = steps


def plan_after_reopen(profile: SellerProfile, ticket: TroubleTicket, ctx: dict[str, Any], now: datetime) -> None:
    """A reopened ticket is taken up again and repaired in a new repair time (with the same finding); the new
    committed date is given when work starts again."""
    a = profile.assurance
    start = now + timedelta(hours=a.acknowledge_hours)
    done = start + a.repair_time(ctx)
    ticket.plan = [Step(at=start, kind="start"), Step(at=done, kind="resolve", detail=_resolution(ticket))]


def plan_cancellation(profile: SellerProfile, ticket: TroubleTicket, now: datetime) -> None:
    ticket.plan = [Step(at=now + timedelta(hours=profile.assurance.cancellation_hours), kind="finishCancel")]


def plan_auto_close(profile: SellerProfile, ticket: TroubleTicket, resolved_at: datetime) -> None:
    """The closure policy: a resolved ticket the Buyer neither closes nor reopens closes after the profile's
    confirmation period (Table 9: the pre-agreed time frame passed without a response)."""
    hours = profile.assurance.confirmation_hours
    ticket.plan = [s for s in ticket.plan if s.kind != "autoClose"]
    ticket.plan.append(Step(at=resolved_at + timedelta(hours=hours), kind="autoClose", detail={"hours": hours}))


def resume(profile: SellerProfile, ticket: TroubleTicket, now: datetime, *, reason: str) -> None:
    """pending -> inProgress: what the Seller waited for came. The time spent waiting for the Buyer stops the
    repair clock, so the remaining steps, and the committed date (with its R22 note), move by that much."""
    since = next((parse_time(c.get("changeDate")) for c in reversed(ticket.doc.get("statusChange") or [])
                  if c.get("status") == S.PENDING.value), None)
    waited = max(now - since, timedelta(0)) if since is not None else timedelta(0)
    ticket.start_work(at=now, reason=reason)
    if not waited:
        return
    for step in ticket.plan:
        step.at = max(step.at + waited, now)
    expected = ticket.expected_resolution
    if expected is not None:
        hours = waited.total_seconds() / 3600
        ticket.set_expected_resolution(expected + waited, f"the repair waited {hours:.1f} h for the Buyer", at=now)


def _commit_no_earlier(ticket: TroubleTicket, when: datetime | None, why: str, *, at: datetime) -> None:
    """The visit makes the repair later than committed: the committed date moves, with its R22 note."""
    expected = ticket.expected_resolution
    if when is not None and (expected is None or when > expected):
        ticket.set_expected_resolution(when, why, at=at)


def follow_visit(profile: SellerProfile, ticket: TroubleTicket, visit: VisitProgress, now: datetime) -> None:
    """A work order serving the ticket moved: the repair follows its visit. Booked: the repair goes on (R15);
    needed again (missed, called off, or a follow-up work order): pending until the Buyer books anew; done:
    the held resolution runs, never before the work order completed."""
    for ref in visit.new_refs:
        ticket.link_work_order(ref, at=now)
    waiting = ticket.status is S.PENDING and ticket.waiting is Waiting.APPOINTMENT
    if visit.state is VisitState.NEEDED:
        if ticket.status is S.IN_PROGRESS:
            ticket.hold_resolution()
            ticket.wait_for_appointment(at=now, reason="the technician's visit did not complete the repair: "
                                        "waiting for the Buyer to book a new appointment")
        return
    if waiting:
        reason = ("the technician's appointment is booked (work order planned)" if visit.state is VisitState.BOOKED
                  else "the technician's visit is over (work order completed)")
        resume(profile, ticket, now, reason=reason)
    if ticket.status is not S.IN_PROGRESS:
        return
    if visit.state is VisitState.BOOKED:
        ticket.hold_resolution()
        _commit_no_earlier(ticket, visit.ends_at, "the repair needs the technician's visit, booked to end at "
                           f"{iso(visit.ends_at)}" if visit.ends_at else "", at=now)
    else:
        when = ticket.release_resolution(visit.ends_at)
        if visit.state is VisitState.DONE:
            _commit_no_earlier(ticket, when, "the repair is finished after the technician's visit", at=now)


async def _apply(uow: UnitOfWork, profile: SellerProfile, ticket: TroubleTicket, step: Step, now: datetime,
                 visits: VisitDesk) -> None:
    # a step runs at its planned time when the worker is late, never before what the ticket last recorded
    at = max(min(step.at, now), ticket.updated_at)
    status = ticket.status
    if step.kind == "start" and status in (S.ACKNOWLEDGED, S.REOPENED):
        ticket.start_work(at=at, reason="the Seller is working on the issue")
        resolve_at = next((s.at for s in ticket.plan if s.kind == "resolve"), None)
        if status is S.REOPENED and resolve_at is not None:  # a new commitment, with its R22 note
            ticket.set_expected_resolution(resolve_at, "the ticket was reopened: the repair starts again", at=at)
    elif step.kind == "requestInfo" and status is S.IN_PROGRESS:
        ticket.request_information(str(step.detail.get("what")), at=at)
    elif step.kind == "visit" and status is S.IN_PROGRESS:
        await open_visit(uow, visits, profile, ticket, str(step.detail.get("what")), at=at)
    elif step.kind == "slip" and status is S.IN_PROGRESS:
        resolve_at = next((s.at for s in ticket.plan if s.kind == "resolve"), None)
        if resolve_at is not None:
            ticket.set_expected_resolution(resolve_at, "the repair takes longer than committed", at=at)
    elif step.kind == "resolve" and status is S.IN_PROGRESS:
        code = ResolutionCode(step.detail.get("code", ResolutionCode.SELLER_NETWORK.value))
        text = str(step.detail.get("text") or REPAIRED)
        if step.detail.get("committed"):
            text += f"; resolved after the date first committed ({step.detail['committed']})"
        ticket.resolve(text, at=at, code=code)
        plan_auto_close(profile, ticket, at)
    elif step.kind == "autoClose" and status is S.RESOLVED:
        ticket.close(at=at, reason=f"no answer from the Buyer within {step.detail.get('hours', 0):g} h of the "
                     "resolution")
    elif step.kind == "finishCancel" and status is S.ASSESSING_CANCELLATION:
        ticket.finish_cancellation(at=at)


async def advance_ticket(uow: UnitOfWork, clock: Clock, profile: SellerProfile, ticket_id: str, *,
                         desk: TicketDesk, visits: VisitDesk) -> int:
    """The ticket worker's step: a wake-up first (a linked work order moved: the repair follows its visit, R15),
    then every planned step that is due. Returns how many moves were made."""
    now = clock.now()
    moved = 0
    async with uow:
        ticket = await uow.trouble_tickets.get_unscoped(ticket_id)
        if ticket.wake_at is not None:
            ticket.wake_at = None
            moved += 1
            if ticket.work_order_ids and not ticket.orchestrated and ticket.status in (S.PENDING, S.IN_PROGRESS) \
                    and ticket.waiting is not Waiting.INFORMATION:
                follow_visit(profile, ticket, await visits.progress(uow, profile, ticket), now)
        while (step := ticket.next_due_step(now)) is not None:
            await _apply(uow, profile, ticket, step, now, visits)
            ticket.plan.sort(key=lambda s: s.at)
            moved += 1
            if step.kind == "autoClose" and ticket.orchestrated and ticket.status is S.CLOSED:
                await desk.ticket_changed(uow, profile, ticket, change="closed", now=now)
        if moved:
            await uow.trouble_tickets.save(ticket)
            if ticket.status is S.CANCELLED and ticket.work_order_ids:  # after the save: this wakes the ticket
                await visits.call_off(uow, profile, ticket, f"trouble ticket {ticket.id} was cancelled", now=now)
            await uow.commit()
    return moved
