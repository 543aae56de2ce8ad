"""Outbound commands: claim, call the supplier outside any transaction, settle the outcome in a new one.

A process that dies between the claim and the settlement leaves an IN_FLIGHT command past its due time,
which recovery treats exactly as an unknown outcome: it asks the provider for our reference before
anything is sent again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from counterpoint.core.orchestration.cancellation import cancel_answered
from counterpoint.core.orchestration.codec import ref_from, ref_json, request_from
from counterpoint.core.orchestration.model import (
    CANCEL_ORDER,
    PLACE_ORDER,
    CommandState,
    CompositeState,
    OutboundCommand,
)
from counterpoint.core.orchestration.observations import observe
from counterpoint.core.orchestration.ports import Suppliers, Timing, UowFactory
from counterpoint.core.orchestration.projection import cancel_segment, cancellation_refused
from counterpoint.core.orchestration.reconciliation import reconcile
from counterpoint.core.orchestration.supply import (
    CancellationAnswer,
    CancellationOutcome,
    Observation,
    OutcomeUnknown,
    SegmentState,
    Source,
    SupplierAdapter,
    SupplierError,
    SupplierNotFound,
    SupplierRejected,
)
from counterpoint.core.orchestration.ticket_escalation import run_ticket_command
from counterpoint.core.orchestration.ticket_model import TICKET_ACTIONS
from counterpoint.core.ports import UnitOfWork
from counterpoint.core.seller.model import SellerProfile
from counterpoint.core.shared.clock import Clock
from counterpoint.core.shared.errors import StaleVersion
from counterpoint.core.shared.ids import ExternalRef


async def run_command(uow_factory: UowFactory, clock: Clock, profile: SellerProfile, suppliers: Suppliers,
                      command_id: str, *, timing: Timing = Timing(),
                      after_claim: Callable[[OutboundCommand], None] | None = None) -> int:
    """Advance one due command: send it, or recover it if its outcome is unknown. Returns 1 if it moved.

    `after_claim` is called once the IN_FLIGHT claim is committed and before the call goes out: the window a
    crash must not lose anything in (the chaos tests make the process die there).
    """
    now = clock.now()
    async with uow_factory() as uow:
        cmd = await uow.commands.get_unscoped(command_id)
        tickets = cmd.action in TICKET_ACTIONS
        if not tickets:
            if cmd.state in (CommandState.SUCCEEDED, CommandState.REJECTED) or (cmd.due_at and cmd.due_at > now):
                return 0
            if cmd.state is CommandState.IN_FLIGHT:  # the process that sent it died, or it is very late
                cmd.move_to(CommandState.UNKNOWN, at=now, note="found in flight past its grace time")
            recovering = cmd.state is CommandState.UNKNOWN
            if not recovering:
                cmd.attempts += 1
                cmd.sent_at = now
                cmd.move_to(CommandState.IN_FLIGHT, at=now, note=f"attempt {cmd.attempts}")
            cmd.due_at = now + timedelta(seconds=timing.in_flight_grace_s)
            await uow.commands.save(cmd)
            await uow.commit()
    if tickets:  # a command about a supplier's trouble ticket: the same rules, its own settlement
        return await run_ticket_command(uow_factory, clock, profile, suppliers, command_id, timing=timing,
                                        after_claim=after_claim)
    if after_claim is not None and not recovering:
        after_claim(cmd)
    adapter = suppliers.adapter(cmd.provider_id)
    outcome: Observation | SupplierError | None
    if recovering:
        outcome = await _recover(adapter, cmd)
    else:
        outcome = await _send(adapter, cmd)
    # the outcome is known now: settle it even if a callback or a poll wrote the composite meanwhile
    for attempt in range(5):
        try:
            async with uow_factory() as uow:
                await _settle(uow, clock, profile, cmd.id, outcome, recovering=recovering, timing=timing)
                await uow.commit()
            break
        except StaleVersion:
            if attempt == 4:
                raise  # left IN_FLIGHT: after its grace time recovery settles it from the supplier's record
    return 1


async def _send(adapter: SupplierAdapter, cmd: OutboundCommand) -> Observation | SupplierError:
    try:
        if cmd.action == PLACE_ORDER:
            return await adapter.place_order(request_from(cmd.payload["request"]))
        if cmd.action == CANCEL_ORDER:
            ref = _order_ref(cmd)
            answer = await adapter.cancel_order(ref, our_ref=cmd.idempotency_key, reason=cmd.payload["reason"])
            return _cancel_observation(cmd, answer)
        raise ValueError(f"unknown command action {cmd.action}")
    except SupplierError as exc:
        return exc


async def _recover(adapter: SupplierAdapter, cmd: OutboundCommand) -> Observation | SupplierError | None:
    """Look the supplier's record up by our reference; None when it has none."""
    try:
        if cmd.action == PLACE_ORDER:
            return await adapter.find_order(cmd.idempotency_key)
        if cmd.action == CANCEL_ORDER:
            obs = await adapter.get_order(_order_ref(cmd))
            return obs if obs.state in (SegmentState.CANCELLING, SegmentState.CANCELLED) else None
    except SupplierError as exc:
        return exc
    return None


def _order_ref(cmd: OutboundCommand) -> ExternalRef:
    """The supplier's order a cancel command is about (stored in its payload)."""
    ref = ref_from(cmd.payload["orderRef"])
    assert ref is not None, f"command {cmd.id} names no order"
    return ref


def _cancel_observation(cmd: OutboundCommand, answer: CancellationAnswer) -> Observation:
    """A cancellation answer as evidence: accepted or pending means the segment is cancelling; a refusal
    changes no state and is recognised by `detail["cancellation"]`."""
    refused = answer.outcome is CancellationOutcome.REFUSED
    return Observation(state=SegmentState.UNRECOGNISED if refused else SegmentState.CANCELLING,
                       raw_state=f"cancellation {answer.raw_state}", ref=answer.ref, source=Source.COMMAND,
                       observed_at=answer.observed_at, reason=answer.reason,
                       detail={"cancellation": answer.outcome.value})


async def _settle(uow: UnitOfWork, clock: Clock, profile: SellerProfile, command_id: str,
                  outcome: Observation | SupplierError | None, *, recovering: bool, timing: Timing) -> None:
    now = clock.now()
    cmd = await uow.commands.get_unscoped(command_id)
    if cmd.state in (CommandState.SUCCEEDED, CommandState.REJECTED):
        return  # settled by someone else meanwhile: the first settlement stands
    composite = await uow.composites.get_unscoped(cmd.composite_id)
    segment = composite.segment(cmd.segment_id)
    if isinstance(outcome, Observation):
        cmd.result = {"externalRef": ref_json(outcome.ref), "rawState": outcome.raw_state,
                      "source": outcome.source.value}
        cmd.move_to(CommandState.SUCCEEDED, at=now, note=f"{outcome.source.value}: {outcome.raw_state}")
        cmd.due_at = None
        if cmd.action == PLACE_ORDER:
            segment.external_ref = outcome.ref
            await uow.composites.remember_ref(outcome.ref, composite.id, segment.id)
            composite.note(now, "supplier order placed" if not segment.own else "service order created",
                           segment=segment.name, provider=segment.provider_id, ref=outcome.ref.value,
                           via=outcome.source.value)
            await observe(uow, profile, composite, segment, outcome, now=now)
            if composite.state in (CompositeState.FAILED, CompositeState.CANCELLED) or (
                    composite.state is CompositeState.CANCELLING and composite.cancellation is None):
                # the order went out while the service was being abandoned: take it back (a customer's
                # cancellation under assessment asks each segment in its own turn: cancellation.py)
                await cancel_segment(uow, composite, segment, f"service {composite.state.value}", now=now)
        elif outcome.detail.get("cancellation") == "refused":
            composite.note(now, "cancellation refused", segment=segment.name, provider=segment.provider_id,
                           reason=outcome.reason)
            await cancellation_refused(uow, composite, segment, outcome.reason, now=now)
        else:
            await observe(uow, profile, composite, segment, outcome, now=now)
    elif isinstance(outcome, OutcomeUnknown):
        cmd.move_to(CommandState.UNKNOWN, at=now, note=outcome.reason)
        cmd.due_at = now + timedelta(seconds=timing.recovery_grace_s)
        segment.state = SegmentState.UNKNOWN if segment.state is SegmentState.REQUESTED else segment.state
        composite.note(now, "outcome unknown", segment=segment.name, provider=segment.provider_id,
                       reason=outcome.reason)
    elif isinstance(outcome, SupplierRejected) and not isinstance(outcome, SupplierNotFound):
        cmd.result = {"code": outcome.code, "reason": outcome.reason, "problems": outcome.problems}
        cmd.move_to(CommandState.REJECTED, at=now, note=outcome.reason)
        cmd.due_at = None
        if cmd.action == PLACE_ORDER:
            segment.state = SegmentState.REJECTED
            segment.reason = outcome.reason
            composite.note(now, "supplier refused the order", segment=segment.name, provider=segment.provider_id,
                           reason=outcome.reason)
        else:
            composite.note(now, "cancellation refused", segment=segment.name, reason=outcome.reason)
            await cancellation_refused(uow, composite, segment, outcome.reason, now=now)
    elif isinstance(outcome, SupplierError):  # unavailable, or a lookup that failed: try again later
        backoff = min(timing.max_retry_backoff_s, timing.retry_backoff_s * 2 ** max(0, cmd.attempts - 1))
        target = CommandState.UNKNOWN if recovering else CommandState.PENDING
        cmd.move_to(target, at=now, note=outcome.reason)
        cmd.due_at = now + timedelta(seconds=backoff)
        composite.note(now, "supplier unavailable", segment=segment.name, provider=segment.provider_id,
                       reason=outcome.reason, retryIn=f"{backoff:.1f}s")
    else:  # recovery found nothing under our reference
        waited = (now - cmd.sent_at).total_seconds() if cmd.sent_at else timing.recovery_grace_s
        if waited >= timing.recovery_grace_s:
            cmd.move_to(CommandState.PENDING, at=now, note="the supplier has no record of it: sending again")
            cmd.due_at = now
            composite.note(now, "not found at the supplier: resending", segment=segment.name,
                           provider=segment.provider_id)
        else:
            cmd.move_to(CommandState.UNKNOWN, at=now, note="not visible yet")
            cmd.due_at = now + timedelta(seconds=timing.recovery_grace_s - waited)
    await uow.commands.save(cmd)
    if cmd.action == CANCEL_ORDER and composite.cancellation is not None:  # a customer's cancellation
        cancel_answered(composite, segment, outcome, now=now)
    await reconcile(uow, profile, composite, now=now)
    await uow.composites.save(composite)
